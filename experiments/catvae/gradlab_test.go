package catvae

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/checkpoint"
	"github.com/f60e9205/reinmax/data/images"
	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/gradlab"
	"github.com/f60e9205/reinmax/oracle"
)

// tinyEncoder is a categorical VAE with C = 2 categories and L = 3 latents (8 codes), trained for one epoch of two
// steps, with its encoder problem at 3 test images; built once for all the tests of this file.
var tinyEncoder = sync.OnceValues(func() (*tinyFixture, error) {
	train, test, err := loadMNIST()
	if err != nil {
		return nil, err
	}
	cfg, err := PaperConfig("8x4", "reinmax")
	if err != nil {
		return nil, err
	}
	cfg.Categories, cfg.Latents = 2, 3
	cfg.Epochs, cfg.TrainSize, cfg.TestSize = 1, 200, 100
	backend, err := compute.New()
	if err != nil {
		return nil, err
	}
	store, epochs, err := TrainStore(cfg, Data{Train: train, Test: test}, experiments.Env{Backend: backend})
	if err != nil {
		return nil, err
	}
	if epochs != 1 {
		return nil, errors.New("TrainStore: want 1 epoch")
	}
	images := test.Images[:3*Pixels]
	p, err := NewEncoderProblem(backend, store, cfg, images)
	if err != nil {
		return nil, err
	}
	return &tinyFixture{cfg: cfg, backend: backend, store: store, images: images, p: p}, nil
})

// loadMNIST loads both splits of MNIST.
func loadMNIST() (train, test *images.Set, err error) {
	if train, err = mnist.Load(mnist.MNIST, mnist.Train); err != nil {
		return nil, nil, err
	}
	test, err = mnist.Load(mnist.MNIST, mnist.Test)
	return train, test, err
}

type tinyFixture struct {
	cfg     Config
	backend compute.Backend
	store   *model.Store // the trained float32 model
	images  []float32
	p       *EncoderProblem
}

func tiny(t *testing.T) *tinyFixture {
	t.Helper()
	fx, err := tinyEncoder()
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// codeOf returns the one-hot rows of code k (the last variable changes fastest).
func codeOf(k, L, C int) []float64 {
	d := make([]float64, L*C)
	for l := L - 1; l >= 0; l-- {
		d[l*C+k%C] = 1
		k /= C
	}
	return d
}

// TestEncoderLossMatchesTable checks that Loss, on one-hot draws, equals the sum over images of the tabulated
// f_m(k) (both float64, from the same decoder: to 1e-12 relative), and that the table agrees with the trained
// float32 model's own decoder and BCE to float32 precision.
func TestEncoderLossMatchesTable(t *testing.T) {
	fx := tiny(t)
	p := fx.p
	L, C, M := fx.cfg.Latents, fx.cfg.Categories, p.Images()
	K := 1 << L
	// Draw n: image m takes code (n + 3m) mod K, so that every code appears for every image.
	var draws []float64
	for n := range K {
		for m := range M {
			draws = append(draws, codeOf((n+3*m)%K, L, C)...)
		}
	}
	out, err := model.ExecOnce(fx.backend, model.NewStore(), func(_ *model.Scope, d *Node) *Node { return p.Loss(d) },
		tensors.FromFlatDataAndDimensions(draws, K, M, L, C))
	if err != nil {
		t.Fatal(err)
	}
	got, err := tensors.CopyFlatData[float64](out)
	if err != nil {
		t.Fatal(err)
	}
	for n := range K {
		var want float64
		for m := range M {
			want += p.Code(m, (n+3*m)%K)
		}
		if !(math.Abs(got[n]-want) <= 1e-12*math.Abs(want)) {
			t.Errorf("draw %d: Loss = %.15g, table sum = %.15g", n, got[n], want)
		}
	}

	// The float32 model: Σ_pixels softplus(o) − x·o with the training code's decoder on the trained store.
	codes := make([]float32, K*L*C)
	for k := range K {
		for i, v := range codeOf(k, L, C) {
			codes[k*L*C+i] = float32(v)
		}
	}
	m := vae{cfg: fx.cfg}
	f32, err := model.ExecOnce(fx.backend, fx.store, func(scope *model.Scope, codes, x *Node) *Node {
		o := m.decode(scope, codes)
		return Sub(InsertAxes(ReduceSum(Softplus(o), -1), 1), DotGeneral(o, []int{1}, nil, x, []int{1}, nil))
	}, tensors.FromFlatDataAndDimensions(codes, K, L*C), tensors.FromFlatDataAndDimensions(fx.images, M, Pixels))
	if err != nil {
		t.Fatal(err)
	}
	want32, err := tensors.CopyFlatData[float32](f32)
	if err != nil {
		t.Fatal(err)
	}
	for k := range K {
		for m := range M {
			// float32: 784 terms of size ~1 summed, relative error well below 1e-5.
			want := float64(want32[k*M+m])
			if got := p.Code(m, k); !(math.Abs(got-want) <= 1e-5*math.Abs(want)) {
				t.Errorf("f_%d(code %d) = %.9g in float64, %.9g in the float32 model", m, k, got, want)
			}
		}
	}
}

// TestEncoderExactGradient checks the exact gradient against central finite differences of E_D f(D), the
// expectation computed by a direct sum over the codes with the product of the probabilities of their rows.
func TestEncoderExactGradient(t *testing.T) {
	fx := tiny(t)
	p := fx.p
	L, C, M := fx.cfg.Latents, fx.cfg.Categories, p.Images()
	theta, dims := p.Logits()
	if len(dims) != 3 || dims[0] != M || dims[1] != L || dims[2] != C || len(theta) != M*L*C {
		t.Fatalf("Logits: dims %v, %d values, want (%d, %d, %d)", dims, len(theta), M, L, C)
	}
	expect := func(th []float64) float64 {
		var e float64
		for m := range M {
			pi := make([]float64, L*C)
			for l := range L {
				oracle.Softmax(pi[l*C:(l+1)*C], th[(m*L+l)*C:(m*L+l+1)*C])
			}
			for k := range 1 << L {
				d, w := codeOf(k, L, C), 1.0
				for i, v := range d {
					if v == 1 {
						w *= pi[i]
					}
				}
				e += w * p.Code(m, k)
			}
		}
		return e
	}
	g, err := p.ExactGradient()
	if err != nil {
		t.Fatal(err)
	}
	var norm float64
	for _, v := range g {
		norm = math.Max(norm, math.Abs(v))
	}
	if !(norm > 0) {
		t.Fatalf("exact gradient %v is zero", g)
	}
	const h = 1e-5
	for i := range theta {
		up, down := append([]float64(nil), theta...), append([]float64(nil), theta...)
		up[i] += h
		down[i] -= h
		fd := (expect(up) - expect(down)) / (2 * h)
		// Central differences: truncation ~h²·f''' and rounding ~1e-16·|E f|/h, both below 1e-6 here
		// (|E f| ~ 600 for three images).
		if !(math.Abs(g[i]-fd) <= 1e-6*math.Max(1, norm)) {
			t.Errorf("∂E f/∂θ[%d] = %.10g, finite difference %.10g", i, g[i], fd)
		}
	}
	e, err := p.Expectation()
	if err != nil {
		t.Fatal(err)
	}
	if want := expect(theta); !(math.Abs(e-want) <= 1e-12*math.Abs(want)) {
		t.Errorf("Expectation = %.15g, direct sum %.15g", e, want)
	}
}

// TestEncoderDerivatives checks the tabulated ∂f_m/∂d at a few codes against central finite differences of Loss
// in d, and the exact expectation of ReinMax at τ = 1 against the oracle's Heun expression, which it equals.
func TestEncoderDerivatives(t *testing.T) {
	fx := tiny(t)
	p := fx.p
	L, C, M := fx.cfg.Latents, fx.cfg.Categories, p.Images()
	lc := L * C
	if _, err := p.ExpectedGradient(oracle.ST{Tau: 1}); err != nil { // tabulates the derivatives
		t.Fatal(err)
	}
	// Draws: for each image m and coordinate j, code k = m+1 of every image, with d_{m,j} moved by ±h.
	const h = 1e-4
	k := 5
	base := make([]float64, 0, M*lc)
	for range M {
		base = append(base, codeOf(k, L, C)...)
	}
	var draws []float64
	for m := range M {
		for j := range lc {
			for _, s := range []float64{h, -h} {
				d := append([]float64(nil), base...)
				d[m*lc+j] += s
				draws = append(draws, d...)
			}
		}
	}
	out, err := model.ExecOnce(fx.backend, model.NewStore(), func(_ *model.Scope, d *Node) *Node { return p.Loss(d) },
		tensors.FromFlatDataAndDimensions(draws, 2*M*lc, M, L, C))
	if err != nil {
		t.Fatal(err)
	}
	loss, err := tensors.CopyFlatData[float64](out)
	if err != nil {
		t.Fatal(err)
	}
	for m := range M {
		for j := range lc {
			i := m*lc + j
			fd := (loss[2*i] - loss[2*i+1]) / (2 * h)
			got := p.df[(k*M+m)*lc+j]
			// The decoder is piecewise smooth (ReLU); at h = 1e-4 no unit changes sign here, and the central
			// difference of a smooth f is accurate to ~h²·|f'''| plus rounding ~1e-16·|f|/h ≈ 1e-10.
			if !(math.Abs(got-fd) <= 1e-5*math.Max(1, math.Abs(fd))) {
				t.Errorf("∂f_%d/∂d_%d at code %d = %.10g, finite difference %.10g", m, j, k, got, fd)
			}
		}
	}
	for m := range M {
		th, f := p.image(m)
		heun, err := oracle.Heun(th, f)
		if err != nil {
			t.Fatal(err)
		}
		all, err := p.ExpectedGradient(oracle.ReinMax{Tau: 1})
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range heun {
			if got := all[m*lc+i]; !(math.Abs(got-v) <= 1e-9*math.Max(1, math.Abs(v))) {
				t.Errorf("image %d: E[ReinMax][%d] = %.12g, Heun %.12g", m, i, got, v)
			}
		}
	}
}

// TestEncoderMeasure runs the lab on the problem with ReinMax at τ = 1: the figures are finite, and the exact
// relative bias of ReinMax (from the derivatives' table) lies within the Monte-Carlo interval.
func TestEncoderMeasure(t *testing.T) {
	fx := tiny(t)
	est, err := gradlab.NewEstimator("reinmax", reinmax.Params{Tau: 1})
	if err != nil {
		t.Fatal(err)
	}
	r, err := gradlab.Measure(fx.backend, fx.p, est, gradlab.Config{Draws: 2000, Seed: 1, Replicates: 200}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{"rel. bias": r.RelBias, "rel. std": r.RelStd, "mean cos": r.MeanCos,
		"cos of mean": r.CosOfMean, "MSE": r.MSE} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s = %v, want a finite number", name, v)
		}
	}
	if !(r.MeanCos >= -1 && r.MeanCos <= 1 && r.CosOfMean >= -1 && r.CosOfMean <= 1) {
		t.Errorf("cosines %v, %v outside [-1, 1]", r.MeanCos, r.CosOfMean)
	}
	t.Logf("%s: rel. bias %.4g [%.4g, %.4g], rel. std %.4g, mean cos %.4g, cos of mean %.4g", r.Problem, r.RelBias,
		r.RelBiasLo, r.RelBiasHi, r.RelStd, r.MeanCos, r.CosOfMean)
	if r.ExactRelBias == nil {
		t.Fatal("no exact relative bias: the problem should implement gradlab.Expecter")
	}
	// The 95% interval of the relative bias covers the exact value (fixed seed; the interval's half-width is
	// about 2·RelStd/√N).
	if b := *r.ExactRelBias; !(b >= r.RelBiasLo && b <= r.RelBiasHi) {
		t.Errorf("exact relative bias %.4g outside the Monte-Carlo interval [%.4g, %.4g] (estimate %.4g)", b, r.RelBiasLo, r.RelBiasHi, r.RelBias)
	}
	if !strings.HasPrefix(r.Problem, "vae2x3:") {
		t.Errorf("problem name %q, want vae2x3:...", r.Problem)
	}
}

// TestEncoderRefuses checks the refusals: too many codes (with the count and the limit), images of the wrong
// length, a store of another configuration, a missing checkpoint.
func TestEncoderRefuses(t *testing.T) {
	fx := tiny(t)
	big := fx.cfg
	big.Categories, big.Latents = 4, 24
	_, err := NewEncoderProblem(fx.backend, fx.store, big, fx.images)
	if !errors.Is(err, oracle.ErrTooManyOutcomes) || !strings.Contains(err.Error(), "4^24 = 281474976710656") ||
		!strings.Contains(err.Error(), "1048576") {
		t.Errorf("4x24: error %v, want one naming 4^24 codes and the limit 1048576", err)
	}
	if _, err := NewEncoderProblem(fx.backend, fx.store, fx.cfg, fx.images[:100]); err == nil || !strings.Contains(err.Error(), "784") {
		t.Errorf("100 grey levels: error %v, want one naming 784", err)
	}
	other := fx.cfg
	other.Categories = 3
	if _, err := NewEncoderProblem(fx.backend, fx.store, other, fx.images); err == nil {
		t.Error("a 3x3 problem on a 2x3 model: no error")
	} else {
		t.Logf("3x3 problem on a 2x3 model: %v", err)
	}
	if _, _, err := LoadCheckpoint(filepath.Join(t.TempDir(), "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadCheckpoint of a missing file: error %v, want fs.ErrNotExist", err)
	}
	if err := (EncoderSpec{Config: "4x24"}).Validate(); !errors.Is(err, oracle.ErrTooManyOutcomes) {
		t.Errorf("EncoderSpec 4x24: error %v, want ErrTooManyOutcomes", err)
	}
}

func TestParseEncoderSpec(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want: canonical name, or a fragment of the error
		ok       bool
	}{
		{"vae8x4", "vae8x4:epochs=1,train=10000,images=10", true},
		{" vae8x4:epochs=3,images=20 ", "vae8x4:epochs=3,train=10000,images=20", true},
		{"vae8x4:train=60000,seed=2", "vae8x4:epochs=1,train=60000,images=10,seed=2", true},
		{"vae10x30:images=1", "vae10x30:epochs=1,train=10000,images=1", true},
		{"vae", "CxL", false},
		{"net", "vaeCxL", false},
		{"vae8x4:epochs=0", "epochs=\"0\"", false},
		{"vae8x4:images=x", "images=\"x\"", false},
		{"vae8x4:h=1", "unknown parameter \"h\"", false},
		{"vae8x4:epochs", "key=value", false},
		{"vae8x4:seed=1.5", "seed=\"1.5\"", false},
	} {
		s, err := ParseEncoderSpec(tc.in)
		switch {
		case tc.ok && err != nil:
			t.Errorf("ParseEncoderSpec(%q): %v", tc.in, err)
		case tc.ok && s.String() != tc.want:
			t.Errorf("ParseEncoderSpec(%q) = %s, want %s", tc.in, s, tc.want)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("ParseEncoderSpec(%q): error %v, want one containing %q", tc.in, err, tc.want)
		}
	}
	cfg, err := EncoderSpec{Epochs: 2, Train: 500, Seed: 3}.TrainConfig()
	if err != nil {
		t.Fatal(err)
	}
	// The paper's ReinMax settings for 8x4 (reference section 3.2): Adam, lr 5e-4, tau 1.3, batch 100.
	if cfg.Name() != "8x4" || cfg.Estimator != "reinmax" || cfg.Optimizer != "adam" || cfg.LR != 5e-4 || cfg.Tau != 1.3 ||
		cfg.Batch != 100 || cfg.Epochs != 2 || cfg.TrainSize != 500 || cfg.Seed != 3 {
		t.Errorf("TrainConfig = %+v", cfg)
	}
}

// TestEncoderLab runs the lab's sweep on the problem as a custom problem: one row per estimator, with the problem's
// name, and the tau plot named after it.
func TestEncoderLab(t *testing.T) {
	fx := tiny(t)
	dir := t.TempDir()
	lab := gradlab.Lab{Custom: []gradlab.Problem{fx.p}, Estimators: []string{"st", "stgs"}, Taus: []float64{1},
		Config: gradlab.Config{Draws: 50, Seed: 1, Replicates: 100}, Dir: dir}
	sum, err := lab.Run(fx.backend, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Results) != 2 || sum.Results[0].Problem != fx.p.Name() || sum.Results[1].Estimator != "stgs" {
		t.Fatalf("results %+v, want st and stgs on %s", sum.Results, fx.p.Name())
	}
	if sum.Results[0].ExactRelBias == nil || sum.Results[1].ExactRelBias != nil {
		t.Error("want an exact relative bias for st and none for stgs")
	}
	for _, f := range []string{gradlab.ResultsCSV, gradlab.TableFile, gradlab.TauPlotPrefix + "vae2x3.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestTrainStoreReuses checks that TrainStore takes a checkpoint that holds the epochs asked for as it is, without
// training (it is given no data, so Run would fail), and trains further one that holds fewer.
func TestTrainStoreReuses(t *testing.T) {
	fx := tiny(t)
	path := filepath.Join(t.TempDir(), "model.checkpoint")
	if err := checkpoint.Save(path, fx.store, state{Epoch: 1}); err != nil {
		t.Fatal(err)
	}
	store, epochs, err := TrainStore(fx.cfg, Data{}, experiments.Env{Backend: fx.backend, Checkpoint: path})
	if err != nil || epochs != 1 {
		t.Fatalf("TrainStore on a 1-epoch checkpoint for 1 epoch: %d epochs, error %v", epochs, err)
	}
	p, err := NewEncoderProblem(fx.backend, store, fx.cfg, fx.images)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Code(1, 3), fx.p.Code(1, 3); got != want {
		t.Errorf("the reloaded model gives f_1(3) = %v, the original %v", got, want)
	}
	more := fx.cfg
	more.Epochs = 2
	if _, _, err := TrainStore(more, Data{}, experiments.Env{Backend: fx.backend, Checkpoint: path}); err == nil {
		t.Error("TrainStore for 2 epochs on a 1-epoch checkpoint without data: no error (did it not train?)")
	}
}
