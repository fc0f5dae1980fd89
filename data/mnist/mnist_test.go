package mnist

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/f60e9205/reinmax/data/images"
	"github.com/f60e9205/reinmax/data/store"
)

// loaded caches the real data sets so that each file is read once per test binary.
var loaded sync.Map // key: [2]int{name, split} -> *loadResult

type loadResult struct {
	once sync.Once
	set  *images.Set
	err  error
}

func load(t *testing.T, name Name, split Split) *images.Set {
	t.Helper()
	v, _ := loaded.LoadOrStore([2]int{int(name), int(split)}, &loadResult{})
	r := v.(*loadResult)
	r.once.Do(func() { r.set, r.err = Load(name, split) })
	if r.err != nil {
		// Not a skip: CI installs the files, and the error says how.
		t.Fatalf("Load(%v, %v): %v", name, split, r.err)
	}
	return r.set
}

// TestCounts checks the sizes and the class counts of the real files (read from the module
// cache and from Debian's package; Load has already checked their SHA-256).
func TestCounts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   Name
		split  Split
		n      int
		counts [10]int
	}{
		// Class counts of LeCun's files, as tabulated e.g. in torchvision's and TensorFlow's docs.
		{MNIST, Train, 60000, [10]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}},
		{MNIST, Test, 10000, [10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}},
		// Fashion-MNIST is balanced: 6,000 / 1,000 images per class (Zalando's README).
		{Fashion, Train, 60000, [10]int{6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000}},
		{Fashion, Test, 10000, [10]int{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}},
	} {
		s := load(t, tc.name, tc.split)
		if s.N != tc.n || s.Rows != 28 || s.Cols != 28 || len(s.Images) != tc.n*784 || len(s.Labels) != tc.n {
			t.Errorf("%v %v: N=%d %dx%d, %d pixels, %d labels; want N=%d 28x28", tc.name, tc.split, s.N, s.Rows, s.Cols, len(s.Images), len(s.Labels), tc.n)
			continue
		}
		var counts [10]int
		for _, l := range s.Labels {
			counts[l]++
		}
		if counts != tc.counts {
			t.Errorf("%v %v: class counts %v, want %v", tc.name, tc.split, counts, tc.counts)
		}
	}
}

// TestGolden checks pixels and labels against numbers published elsewhere.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        Name
		split       Split
		firstLabels []int
		mean, std   float64 // over all pixels of the split; NaN: not checked
	}{
		// "5 0 4 1 9" are the first training digits and 0.1307, 0.3081 the mean and standard
		// deviation of the training pixels used to normalise MNIST in PyTorch's MNIST example.
		{MNIST, Train, []int{5, 0, 4, 1, 9}, 0.1307, 0.3081},
		// "7 2 1 0 4" are the first test digits shown in most MNIST tutorials.
		{MNIST, Test, []int{7, 2, 1, 0, 4}, math.NaN(), math.NaN()},
		// The first training and test images of Fashion-MNIST are ankle boots (class 9), as in
		// TensorFlow's "basic classification" tutorial; 0.2860 and 0.3530 are the usual
		// normalisation constants of its training pixels.
		{Fashion, Train, []int{9}, 0.2860, 0.3530},
		{Fashion, Test, []int{9}, math.NaN(), math.NaN()},
	} {
		s := load(t, tc.name, tc.split)
		for i, want := range tc.firstLabels {
			if s.Labels[i] != want {
				t.Errorf("%v %v: label %d = %d, want %d", tc.name, tc.split, i, s.Labels[i], want)
			}
		}
		var sum, sum2 float64
		for _, v := range s.Images {
			// Every grey level is k/255 for a byte k.
			if k := float64(v) * 255; !(math.Abs(k-math.Round(k)) <= 1e-3 && v >= 0 && v <= 1) {
				t.Fatalf("%v %v: pixel %v is not k/255 in [0,1]", tc.name, tc.split, v)
			}
			sum += float64(v)
			sum2 += float64(v) * float64(v)
		}
		if math.IsNaN(tc.mean) {
			continue
		}
		n := float64(len(s.Images))
		mean := sum / n
		std := math.Sqrt(sum2/n - mean*mean)
		// The published constants are rounded to 4 decimals: 5e-5 of rounding, 1e-4 allowed.
		if !(math.Abs(mean-tc.mean) <= 1e-4) || !(math.Abs(std-tc.std) <= 1e-4) {
			t.Errorf("%v %v: mean %.6f std %.6f, want %.4f %.4f within 1e-4", tc.name, tc.split, mean, std, tc.mean, tc.std)
		}
	}
}

func TestSplitValid(t *testing.T) {
	t.Parallel()
	s := load(t, MNIST, Train)
	train, valid := SplitValid(s)
	if train.N != 50000 || valid.N != 10000 || len(train.Images) != 50000*784 || len(valid.Labels) != 10000 {
		t.Fatalf("SplitValid: %d + %d images", train.N, valid.N)
	}
	if &valid.Images[0] != &s.Images[50000*784] || valid.Labels[0] != s.Labels[50000] {
		t.Error("SplitValid: the validation set is not the last 10,000 images")
	}
	if img := valid.Image(1); len(img) != 784 || &img[0] != &s.Images[50001*784] {
		t.Error("Image(1) of the validation set is not image 50001")
	}
	defer func() {
		if recover() == nil {
			t.Error("SplitValid of 10 images: no panic")
		}
	}()
	SplitValid(s.Slice(0, 10))
}

// TestWhere checks where the files are found: in the data root first, else in the package places
// (the GoMNIST module in the module cache, Debian's folder).
func TestWhere(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, tc := range []struct {
		name   Name
		origin string
	}{
		{MNIST, "Go module " + GoMNIST},
		{Fashion, "Debian package dataset-fashion-mnist"},
	} {
		_, found, err := Source{Name: tc.name, Root: root}.Read(Test)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range found {
			if f.Origin != tc.origin || f.Err != nil || !strings.HasSuffix(f.Path, f.File) {
				t.Errorf("%v: %s found at %s (%s), %v; want it from %s", tc.name, f.File, f.Path, f.Origin, f.Err, tc.origin)
			}
		}
	}
	// A copy in the data root comes first.
	orig := Dataset(MNIST).Places()[0].Dir
	dir := filepath.Join(root, "mnist")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"} {
		if err := os.Symlink(filepath.Join(orig, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	set, found, err := Source{Name: MNIST, Root: root}.Read(Test)
	if err != nil || set.N != TestLen {
		t.Fatal(err)
	}
	for _, f := range found {
		if f.Origin != store.OriginRoot || f.Path != filepath.Join(dir, f.File) {
			t.Errorf("%s found at %s (%s), want it in the data root %s", f.File, f.Path, f.Origin, dir)
		}
	}
}

// TestMissing checks the error when MNIST is neither in the data root nor in the module cache:
// one message that lists the missing files and gives the commands that get them.
func TestMissing(t *testing.T) {
	root := t.TempDir()
	t.Setenv("GOMODCACHE", t.TempDir())
	_, err := LoadRoot(root, MNIST, Test)
	if err == nil {
		t.Fatal("no error with an empty data root and module cache")
	}
	var missing *store.MissingError
	if !errors.As(err, &missing) || len(missing.Files) != 2 {
		t.Fatalf("error %v is not a *store.MissingError listing 2 files", err)
	}
	for _, want := range []string{"t10k-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz", filepath.Join(root, "mnist"),
		"reinmax data fetch --data " + root + " mnist", "reinmax data import --data " + root + " mnist DIR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// TestBadFiles checks that a missing, truncated, altered or re-compressed file gives one error
// naming it and saying how to get it (or, for a re-compression of the same bytes, no error).
func TestBadFiles(t *testing.T) {
	t.Parallel()
	for _, name := range []Name{MNIST, Fashion} {
		d := Dataset(name)
		orig := d.Places()[0].Dir
		hint := "a good copy, or put one into the data root with: reinmax data fetch " + d.Name
		labels, err := os.ReadFile(filepath.Join(orig, "t10k-labels-idx1-ubyte.gz"))
		if err != nil {
			t.Fatal(err)
		}
		raw := gunzip(t, labels)
		altered := bytes.Clone(raw)
		altered[8] = (altered[8] + 1) % 10 // a different first label, still in 0..9
		for _, tc := range []struct {
			name   string
			labels []byte // nil: no labels file
			want   []string
		}{
			{"missing", nil, []string{"files missing: t10k-labels-idx1-ubyte.gz (looked in", "reinmax data fetch " + d.Name}},
			{"truncated", labels[:len(labels)/2], []string{"SHA-256", "does not decompress", hint}},
			{"altered", regzip(t, altered), []string{"its content has SHA-256", hint}},
			{"recompressed", regzip(t, raw), nil},
		} {
			dir := t.TempDir()
			if err := os.Symlink(filepath.Join(orig, "t10k-images-idx3-ubyte.gz"), filepath.Join(dir, "t10k-images-idx3-ubyte.gz")); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")
			if tc.labels != nil {
				if err := os.WriteFile(path, tc.labels, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s, err := Source{Name: name, Dir: dir}.Load(Test)
			if tc.want == nil {
				if err != nil || s.N != TestLen {
					t.Errorf("%v %s: %v", name, tc.name, err)
				}
				continue
			}
			if err == nil {
				t.Errorf("%v %s: no error", name, tc.name)
				continue
			}
			for _, w := range append(tc.want, dir) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v %s: error %q does not contain %q", name, tc.name, err, w)
				}
			}
		}
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func regzip(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkLoad measures Load of each split, SHA-256 and decompression included.
func BenchmarkLoad(b *testing.B) {
	for _, name := range []Name{MNIST, Fashion} {
		for _, split := range []Split{Train, Test} {
			b.Run(name.String()+"/"+split.String(), func(b *testing.B) {
				for b.Loop() {
					if _, err := Load(name, split); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
