package omniglot

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/f60e9205/reinmax/data/images"
	"github.com/f60e9205/reinmax/data/store"
)

var (
	loadOnce          sync.Once
	loadTrain, loadTe *images.Set
	loadErr           error
)

// load builds the real sets, from the embedded files, once per test binary.
func load(t *testing.T) (train, test *images.Set) {
	t.Helper()
	loadOnce.Do(func() { loadTrain, loadTe, loadErr = Load() })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loadTrain, loadTe
}

// strokes returns the number of stroke pixels of the 105x105 original behind a 28x28 image:
// area averaging keeps the mass, sum(out) = 16/225 * strokes (see inkAverager), and every
// output is k/225 for an integer k.
func strokes(img []float32) int {
	var k int
	for _, v := range img {
		k += int(math.Round(float64(v) * 225))
	}
	return k / 16
}

func TestLoad(t *testing.T) {
	t.Parallel()
	train, test := load(t)
	if train.N != 24345 || test.N != 8115 || len(train.Images) != 24345*784 || len(test.Images) != 8115*784 ||
		len(train.Labels) != train.N || len(test.Labels) != test.N || train.Rows != 28 || test.Cols != 28 {
		t.Fatalf("train %d (%d pixels), test %d (%d pixels)", train.N, len(train.Images), test.N, len(test.Images))
	}
	for _, s := range []struct {
		name string
		set  *images.Set
		per  int
	}{{"train", train, 15}, {"test", test, 5}} {
		for i, l := range s.set.Labels {
			if l != i/s.per {
				t.Fatalf("%s label %d = %d, want %d", s.name, i, l, i/s.per)
			}
		}
		for i, v := range s.set.Images {
			if k := float64(v) * 225; !(math.Abs(k-math.Round(k)) <= 1e-4 && v >= 0 && v <= 1) {
				t.Fatalf("%s pixel %d = %v is not k/225 in [0,1]", s.name, i, v)
			}
		}
	}

	// Stroke counts of single originals (zero bytes of the 11025-byte image), counted with
	// unzip -p images_*.npz images.npy | tail -c +129 | ... | tr -d '\377' | wc -c.
	for _, tc := range []struct {
		name string
		img  []float32
		want int
	}{
		{"background character 0, drawing 0", train.Image(0), 917},
		{"background character 0, drawing 15", test.Image(0), 800},
		{"evaluation character 0, drawing 0", train.Image(964 * 15), 1731},
		{"evaluation character 658, drawing 19", test.Image(8114), 455},
	} {
		if got := strokes(tc.img); got != tc.want {
			t.Errorf("%s: %d stroke pixels, want %d", tc.name, got, tc.want)
		}
	}

	// All stroke pixels of both files, 16567007 + 12247261, counted the same way. Area
	// averaging keeps the mean, so the mean grey level of all 32,460 images is the stroke
	// fraction of the originals, 28814268 / (1623*20*105*105) = 0.0805; strokes are thin, so
	// it is small, and a wrong orientation (paper = 1) would give 0.92.
	var total int
	var sum float64
	for _, s := range []*images.Set{train, test} {
		for i := range s.N {
			total += strokes(s.Image(i))
		}
		for _, v := range s.Images {
			sum += float64(v)
		}
	}
	if total != 28814268 {
		t.Errorf("%d stroke pixels in all, want 28814268", total)
	}
	mean := sum / float64((train.N+test.N)*784)
	if want := 28814268.0 / (1623 * 20 * 105 * 105); !(math.Abs(mean-want) <= 1e-6) {
		t.Errorf("mean grey level %v, want %v", mean, want)
	}
}

func TestSplitValid(t *testing.T) {
	t.Parallel()
	train, _ := load(t)
	tr, va := SplitValid(train)
	if tr.N != 23000 || va.N != 1345 || len(va.Images) != 1345*784 || &va.Images[0] != &train.Images[23000*784] {
		t.Fatalf("SplitValid: %d + %d", tr.N, va.N)
	}
	// 23000 = 1533*15 + 5: validation starts at drawing 5 of character 1533.
	if va.Labels[0] != 1533 || va.Labels[9] != 1533 || va.Labels[10] != 1534 || va.Labels[1344] != 1622 {
		t.Errorf("validation labels %d %d %d %d, want 1533 1533 1534 1622", va.Labels[0], va.Labels[9], va.Labels[10], va.Labels[1344])
	}
	defer func() {
		if recover() == nil {
			t.Error("SplitValid of 10 images: no panic")
		}
	}()
	SplitValid(train.Slice(0, 10))
}

// TestEmbedded checks that the embedded copies are the files of shared/data/SHA256SUMS, whose
// digests parts holds, and that Dataset reports them embedded.
func TestEmbedded(t *testing.T) {
	t.Parallel()
	for i, f := range Dataset().Find(nil) {
		b, err := files.ReadFile("embedded/" + f.File)
		if err != nil || f.File != parts[i].file || f.Err != nil || f.Origin != store.OriginEmbedded || f.Size != int64(len(b)) {
			t.Errorf("%+v (%d bytes embedded, %v)", f, len(b), err)
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != parts[i].sha256 {
			t.Errorf("%s: SHA-256 %x, want %s", f.File, got, parts[i].sha256)
		}
	}
}

// TestBadFiles checks that a missing or altered file in Source.Dir gives an error that names it.
func TestBadFiles(t *testing.T) {
	t.Parallel()
	background, err := files.ReadFile("embedded/images_background.npz")
	if err != nil {
		t.Fatal(err)
	}
	good, err := files.ReadFile("embedded/images_evaluation.npz")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte // images_evaluation.npz; nil: absent
		want string
	}{
		{"missing", nil, "Omniglot files missing: images_evaluation.npz (looked in "},
		{"truncated", good[:len(good)/2], "images_evaluation.npz (Source.Dir): SHA-256"},
		{"altered", append(good[:len(good):len(good)], 0), "images_evaluation.npz (Source.Dir): SHA-256"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "images_background.npz"), background, 0o600); err != nil {
			t.Fatal(err)
		}
		if tc.data != nil {
			if err := os.WriteFile(filepath.Join(dir, "images_evaluation.npz"), tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		_, _, err := Source{Dir: dir}.Load()
		if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %s and containing %q", tc.name, err, dir, tc.want)
		}
	}
}

func TestAreaAverage(t *testing.T) {
	t.Parallel()
	// block returns an s x s image with ones on [y0, y1) x [x0, x1).
	block := func(s, y0, y1, x0, x1 int) []float32 {
		img := make([]float32, s*s)
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				img[y*s+x] = 1
			}
		}
		return img
	}
	// want lists the non-zero outputs; values from the overlaps, output pixel j of 105 -> 28
	// covering [3.75 j, 3.75 (j+1)).
	for _, tc := range []struct {
		name string
		s, d int
		src  []float32
		want map[[2]int]float64
	}{
		{"pixel (0,0): (1/3.75)^2", 105, 28, block(105, 0, 1, 0, 1), map[[2]int]float64{{0, 0}: 16.0 / 225}},
		{"pixel (3,3): split 0.75/0.25 both ways", 105, 28, block(105, 3, 4, 3, 4),
			map[[2]int]float64{{0, 0}: 9.0 / 225, {0, 1}: 3.0 / 225, {1, 0}: 3.0 / 225, {1, 1}: 1.0 / 225}},
		{"block 4x4: covers output (0,0) and a quarter pixel of its neighbours", 105, 28, block(105, 0, 4, 0, 4),
			map[[2]int]float64{{0, 0}: 1, {0, 1}: 1.0 / 15, {1, 0}: 1.0 / 15, {1, 1}: 1.0 / 225}},
		{"block 15x15: exactly outputs 0..3", 105, 28, block(105, 0, 15, 0, 15), func() map[[2]int]float64 {
			m := map[[2]int]float64{}
			for y := range 4 {
				for x := range 4 {
					m[[2]int{y, x}] = 1
				}
			}
			return m
		}()},
		{"2x2 mean pooling", 4, 2, []float32{1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 8, 8, 0, 0, 8, 0}, map[[2]int]float64{{0, 0}: 2.5, {1, 1}: 6}},
		{"identity", 2, 2, []float32{1, 2, 3, 4}, map[[2]int]float64{{0, 0}: 1, {0, 1}: 2, {1, 0}: 3, {1, 1}: 4}},
		{"upsample 1 -> 3", 1, 3, []float32{5}, func() map[[2]int]float64 {
			m := map[[2]int]float64{}
			for i := range 9 {
				m[[2]int{i / 3, i % 3}] = 5
			}
			return m
		}()},
	} {
		dst := make([]float32, tc.d*tc.d)
		AreaAverage(dst, tc.d, tc.src, tc.s)
		for y := range tc.d {
			for x := range tc.d {
				if want, got := tc.want[[2]int{y, x}], float64(dst[y*tc.d+x]); !(math.Abs(got-want) <= 1e-6) {
					t.Errorf("%s: (%d,%d) = %v, want %v", tc.name, y, x, got, want)
				}
			}
		}
	}

	// All ones stays all ones, and the mean is kept for any image.
	ones := block(105, 0, 105, 0, 105)
	dst := make([]float32, 28*28)
	AreaAverage(dst, 28, ones, 105)
	for i, v := range dst {
		if !(math.Abs(float64(v)-1) <= 1e-6) {
			t.Fatalf("all ones: pixel %d = %v", i, v)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][2]int{{105, 28}, {7, 3}, {3, 7}, {10, 10}} {
		s, d := sz[0], sz[1]
		src, dst := make([]float32, s*s), make([]float32, d*d)
		var in, out float64
		for i := range src {
			src[i] = rng.Float32()
			in += float64(src[i]) / float64(s*s)
		}
		AreaAverage(dst, d, src, s)
		for _, v := range dst {
			out += float64(v) / float64(d*d)
		}
		if !(math.Abs(in-out) <= 1e-6) {
			t.Errorf("%d -> %d: mean %v, want %v", s, d, out, in)
		}
	}
}

// TestInkAverager checks the fast loader kernel against AreaAverage of the inverted image, and
// its hand-written weights against areaWeights.
func TestInkAverager(t *testing.T) {
	t.Parallel()
	w, den := areaWeights(105, 28)
	if den != 15 {
		t.Fatalf("denominator %d, want 15", den)
	}
	for j, ws := range w {
		var x [15]int32
		for _, o := range ws {
			if o.I/15 != j/4 {
				t.Fatalf("output %d overlaps source %d outside its group", j, o.I)
			}
			x[o.I%15] = int32(o.Num)
		}
		// group4 applied to a unit vector e_k gives the weight of source pixel k in each output.
		for k := range 15 {
			var e [15]int32
			e[k] = 1
			a, b, c, d := group4(&e)
			if got := [4]int32{a, b, c, d}[j%4]; got != x[k] {
				t.Errorf("output %d, source %d: weight %d, areaWeights says %d", j, 15*(j/4)+k, got, x[k])
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var avg inkAverager
	src := make([]byte, 105*105)
	ink := make([]float32, 105*105)
	got, want := make([]float32, 784), make([]float32, 784)
	for trial := range 20 {
		p := []float64{0, 0.02, 0.1, 0.5, 1}[trial%5]
		for i := range src {
			src[i], ink[i] = 255, 0
			if rng.Float64() < p {
				src[i], ink[i] = 0, 1
			}
		}
		avg.average(got, src)
		AreaAverage(want, 28, ink, 105)
		for i := range got {
			if !(math.Abs(float64(got[i]-want[i])) <= 1e-6) {
				t.Fatalf("trial %d: pixel %d = %v, AreaAverage gives %v", trial, i, got[i], want[i])
			}
		}
	}
}

// BenchmarkLoad measures Load: SHA-256, decompression of 358 MB of .npy and area averaging.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
