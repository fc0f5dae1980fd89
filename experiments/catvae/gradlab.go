package catvae

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax/checkpoint"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/gradlab"
	"github.com/f60e9205/reinmax/oracle"
)

// EncoderProblem is the paper's gradient-accuracy diagnostic (reference section 3.3) as a problem of the gradient
// lab: a trained categorical VAE is fixed at a checkpoint, the encoder's logits θ of M images are the point at which
// estimators are compared, and the loss of a draw D = (D_1, …, D_M) of codes is the reconstruction term alone (no KL):
//
//	f(D) = Σ_m BCE(decoder(D_m), x_m) = Σ_m Σ_pixels softplus(o_m) − x_m·o_m,   o_m = decoder(D_m),
//
// with θ of dimensions (M, L, C) and D_{m,l} ~ Cat(softmax θ_{m,l}), all independent. The exact gradient
// g* = ∇θ E_D f(D) is computed by enumeration: the decoder runs once on each of the C^L codes, which gives the
// table f_m(k) of every code k for every image m, and since the images are independent, g* is the concatenation
// over m of the oracle's exact gradient of E f_m(D_m) (oracle.ExactGradient). The problem also implements
// gradlab.Expecter, from a second table holding ∂f_m/∂d at every code, so that the lab reports the exact expected
// gradient of ST, ReinMax and GST besides their Monte-Carlo estimates.
//
// The problem runs on a float64 copy of the model's trainable variables, embedded in the lab's graph as constants
// (Loss is given no scope); encoder and decoder are those of the training code. EncoderProblem must be built with
// NewEncoderProblem; it caches the exact gradient and the derivatives and is not safe for concurrent use.
type EncoderProblem struct {
	// Label is the name returned by Name; NewEncoderProblem sets it to "vaeCxL:images=M", and callers may
	// replace it (for example to say at which epoch the checkpoint was taken).
	Label string

	cfg     Config
	backend compute.Backend
	store   *model.Store // float64 constants: the model's trainable variables
	m, k    int          // images M and codes K = C^L
	images  []float64    // M × Pixels
	theta   []float64    // M × L × C
	f       []float64    // f_m(k) at f[k·M + m]
	df      []float64    // ∂f_m/∂d at code k at df[(k·M + m)·L·C :], computed on first use
	exact   []float64    // g*, computed on first use
}

// The lab measures it with both families; score-function estimators take each image's term of the loss.
var _ gradlab.Separable = (*EncoderProblem)(nil)

// maxTable is the largest number of values NewEncoderProblem agrees to tabulate, C^L·M·L·C (the table of the
// derivatives ∂f_m/∂d): 2²⁷ float64 numbers, 1 GiB.
const maxTable = 1 << 27

// encoderChunk is the number of decoder rows per graph execution when the tables are computed.
const encoderChunk = 4096

// NewEncoderProblem returns the encoder-gradient problem of the model held by store (trained for configuration
// cfg, as Run trains it; only cfg's Categories, Latents and LeakyReLU matter) at the images given, M images of
// Pixels grey levels in [0, 1] one after the other, on backend (nil selects experiments.NewBackend()). It computes the
// encoder's logits and the table of f over the C^L codes.
//
// It returns an error naming the number of codes C^L and oracle.MaxOutcomes when the codes are too many to
// enumerate, one naming the table size when C^L·M·L·C exceeds 2²⁷, one for images of the wrong length, and one
// when the store does not hold a model of cfg's shape.
func NewEncoderProblem(backend compute.Backend, store *model.Store, cfg Config, images []float32) (*EncoderProblem, error) {
	if cfg.Categories < 2 || cfg.Latents < 1 {
		return nil, fmt.Errorf("catvae: encoder problem: %d latents with %d categories, want L >= 1 and C >= 2", cfg.Latents, cfg.Categories)
	}
	k, err := oracle.NumOutcomes(cfg.Latents, cfg.Categories)
	if err != nil {
		return nil, fmt.Errorf("catvae: encoder problem on %s: the codes are too many to enumerate: %w", cfg.Name(), err)
	}
	if len(images) == 0 || len(images)%Pixels != 0 {
		return nil, fmt.Errorf("catvae: encoder problem: %d grey levels, want a positive multiple of %d (one image is 28×28)", len(images), Pixels)
	}
	m := len(images) / Pixels
	lc := cfg.Latents * cfg.Categories
	if float64(k)*float64(m)*float64(lc) > maxTable {
		return nil, fmt.Errorf("catvae: encoder problem on %s with %d images: %d codes × %d images × %d derivatives = %d numbers to tabulate, more than %d",
			cfg.Name(), m, k, m, lc, k*m*lc, maxTable)
	}
	if backend, err = experiments.BackendOr(backend); err != nil {
		return nil, err
	}
	consts, err := constantCopy(store)
	if err != nil {
		return nil, err
	}
	p := &EncoderProblem{
		Label: fmt.Sprintf("vae%s:images=%d", cfg.Name(), m),
		cfg:   cfg, backend: backend, store: consts, m: m, k: k,
		images: make([]float64, len(images)),
	}
	for i, v := range images {
		p.images[i] = float64(v)
	}
	x := tensors.FromFlatDataAndDimensions(p.images, m, Pixels)
	vm := vae{cfg: cfg}
	theta, err := model.ExecOnce(backend, consts, func(scope *model.Scope, x *Node) *Node {
		return vm.encode(scope, x)
	}, x)
	if err != nil {
		return nil, fmt.Errorf("catvae: encoder problem on %s: encoding the images (does the checkpoint hold a %s model?): %w", cfg.Name(), cfg.Name(), err)
	}
	if p.theta, err = tensors.CopyFlatData[float64](theta); err != nil {
		return nil, err
	}
	if p.f, err = p.table(); err != nil {
		return nil, fmt.Errorf("catvae: encoder problem on %s: decoding the codes: %w", cfg.Name(), err)
	}
	return p, nil
}

// constantCopy returns a store whose variables are float64 copies of the trainable floating-point variables of
// store, embedded in graphs as constants.
func constantCopy(store *model.Store) (*model.Store, error) {
	out := model.NewStore().WithVariableAsConst(true)
	n := 0
	for v := range store.IterVariables() {
		if !v.Trainable || !v.HasValue() {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("catvae: variable %s: %w", v.Path(), err)
		}
		var data []float64
		switch t.DType() {
		case dtypes.Float32:
			f32, err := tensors.CopyFlatData[float32](t)
			if err != nil {
				return nil, fmt.Errorf("catvae: variable %s: %w", v.Path(), err)
			}
			data = make([]float64, len(f32))
			for i, x := range f32 {
				data[i] = float64(x)
			}
		case dtypes.Float64:
			if data, err = tensors.CopyFlatData[float64](t); err != nil {
				return nil, fmt.Errorf("catvae: variable %s: %w", v.Path(), err)
			}
		default:
			continue
		}
		if _, err := out.CreateVariable(v.Path(), tensors.FromFlatDataAndDimensions(data, t.Shape().Dimensions...)); err != nil {
			return nil, fmt.Errorf("catvae: variable %s: %w", v.Path(), err)
		}
		n++
	}
	if n == 0 {
		return nil, errors.New("catvae: encoder problem: the store holds no trained variables")
	}
	return out, nil
}

// bce returns Σ_pixels softplus(o) − x·o over the last axis, for decoder logits o and images x of the same shape
// (or x broadcastable to it).
func bce(out, x *Node) *Node {
	return ReduceSum(Sub(Softplus(out), Mul(out, x)), -1)
}

// codes returns the one-hot codes number lo to hi−1, in the order of oracle.Outcomes (the last variable changes
// fastest), as a (hi−lo) × L·C tensor.
func (p *EncoderProblem) codes(lo, hi int) *tensors.Tensor {
	L, C := p.cfg.Latents, p.cfg.Categories
	out := make([]float64, (hi-lo)*L*C)
	for k := lo; k < hi; k++ {
		row := out[(k-lo)*L*C : (k-lo+1)*L*C]
		idx := k
		for l := L - 1; l >= 0; l-- {
			row[l*C+idx%C] = 1
			idx /= C
		}
	}
	return tensors.FromFlatDataAndDimensions(out, hi-lo, L*C)
}

// table runs the decoder on every code and returns f_m(k) at [k·M + m].
func (p *EncoderProblem) table() ([]float64, error) {
	vm := vae{cfg: p.cfg}
	return p.overCodes(encoderChunk, func(scope *model.Scope, codes, x *Node) *Node {
		out := vm.decode(scope, codes)                              // (n, Pixels)
		xo := DotGeneral(out, []int{1}, nil, x, []int{1}, nil)      // (n, M)
		return Sub(InsertAxes(ReduceSum(Softplus(out), -1), 1), xo) // (n, M)
	})
}

// derivatives returns ∂f_m/∂d at every code k and image m, at [(k·M + m)·L·C :], by differentiating the decoder's
// loss with respect to its input.
func (p *EncoderProblem) derivatives() ([]float64, error) {
	lc := p.cfg.Latents * p.cfg.Categories
	vm := vae{cfg: p.cfg}
	return p.overCodes(max(1, encoderChunk/p.m), func(scope *model.Scope, codes, x *Node) *Node {
		n := codes.Shape().Dimensions[0]
		d := BroadcastToDims(InsertAxes(codes, 1), n, p.m, lc) // (n, M, L·C): one copy of each code per image
		out := Reshape(vm.decode(scope, Reshape(d, n*p.m, lc)), n, p.m, Pixels)
		return Gradient(ReduceAllSum(bce(out, InsertAxes(x, 0))), d)[0]
	})
}

// overCodes compiles fn, a function of a chunk of codes (n, L·C) and the M images (M, Pixels), runs it on every
// code, chunk codes at a time, and returns its outputs one after the other.
func (p *EncoderProblem) overCodes(chunk int, fn func(scope *model.Scope, codes, x *Node) *Node) ([]float64, error) {
	exec, err := model.NewExec(p.backend, p.store, fn)
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	x := tensors.FromFlatDataAndDimensions(p.images, p.m, Pixels)
	var out []float64
	for lo := 0; lo < p.k; lo += chunk {
		outs, err := exec.Exec(p.codes(lo, min(lo+chunk, p.k)), x)
		if err != nil {
			return nil, err
		}
		v, err := tensors.CopyFlatData[float64](outs[0])
		if err != nil {
			return nil, err
		}
		out = append(out, v...)
	}
	return out, nil
}

// Name implements gradlab.Problem.
func (p *EncoderProblem) Name() string { return p.Label }

// Logits implements gradlab.Problem: the encoder's logits of the M images, dimensions (M, L, C).
func (p *EncoderProblem) Logits() ([]float64, []int) {
	return append([]float64(nil), p.theta...), []int{p.m, p.cfg.Latents, p.cfg.Categories}
}

// Images returns the number M of images.
func (p *EncoderProblem) Images() int { return p.m }

// Loss implements gradlab.Problem: d has shape (N, M, L, C) and the result, of shape (N), is Σ_m
// BCE(decoder(d_m), x_m) for each draw, computed in d's dtype with the model's weights as constants.
func (p *EncoderProblem) Loss(d *Node) *Node { return ReduceSum(p.LossPerExample(d), -1) }

// LossPerExample implements gradlab.Separable: the terms BCE(decoder(d_m), x_m), shape (N, M).
func (p *EncoderProblem) LossPerExample(d *Node) *Node {
	L, C := p.cfg.Latents, p.cfg.Categories
	dims := d.Shape().Dimensions
	if d.Rank() != 4 || dims[1] != p.m || dims[2] != L || dims[3] != C {
		panic(fmt.Sprintf("catvae: %s: samples have shape %s, want (N, %d, %d, %d)", p.Label, d.Shape(), p.m, L, C))
	}
	n := dims[0]
	out := vae{cfg: p.cfg}.decode(p.store.RootScope(), Reshape(ConvertDType(d, dtypes.Float64), n*p.m, L*C))
	x := Const(d.Graph(), tensors.FromFlatDataAndDimensions(p.images, 1, p.m, Pixels))
	f := bce(Reshape(out, n, p.m, Pixels), x) // (N, M)
	return ConvertDType(f, d.DType())
}

// Expectation returns E_D f(D) = Σ_m Σ_k Π_l softmax(θ_{m,l})_{k_l} f_m(k), by enumeration.
func (p *EncoderProblem) Expectation() (float64, error) {
	var e float64
	for m := range p.m {
		th, f := p.image(m)
		v, err := oracle.Expectation(th, f)
		if err != nil {
			return 0, err
		}
		e += v
	}
	return e, nil
}

// Code returns f_m(k), the loss of image m at code k, k in the order of oracle.Outcomes (the last variable
// changes fastest). It panics if m or k is out of range.
func (p *EncoderProblem) Code(m, k int) float64 {
	if m < 0 || m >= p.m || k < 0 || k >= p.k {
		panic(fmt.Sprintf("catvae: Code(%d, %d) out of range: %d images, %d codes", m, k, p.m, p.k))
	}
	return p.f[k*p.m+m]
}

// image returns the logits of image m and its loss as an oracle.Func that looks the value up in the table (and the
// gradient in the table of derivatives, when it has been computed).
func (p *EncoderProblem) image(m int) ([]float64, oracle.Func) {
	L, C := p.cfg.Latents, p.cfg.Categories
	lc := L * C
	index := func(d []float64) int {
		k := 0
		for l := range L {
			best := 0
			for i := 1; i < C; i++ {
				if d[l*C+i] > d[l*C+best] {
					best = i
				}
			}
			k = k*C + best
		}
		return k
	}
	f := oracle.Func{L: L, C: C, F: func(d []float64) float64 { return p.f[index(d)*p.m+m] }}
	if p.df != nil {
		f.Grad = func(dst, d []float64) {
			off := (index(d)*p.m + m) * lc
			copy(dst, p.df[off:off+lc])
		}
	}
	return p.theta[m*lc : (m+1)*lc], f
}

// ExactGradient implements gradlab.Problem: for each image, the oracle's exact gradient of E f_m(D_m) from the
// table of f over the C^L codes.
func (p *EncoderProblem) ExactGradient() ([]float64, error) {
	if p.exact == nil {
		var g []float64
		for m := range p.m {
			th, f := p.image(m)
			gm, err := oracle.ExactGradient(th, f)
			if err != nil {
				return nil, fmt.Errorf("catvae: %s: %w", p.Label, err)
			}
			g = append(g, gm...)
		}
		p.exact = g
	}
	return append([]float64(nil), p.exact...), nil
}

// ExpectedGradient implements gradlab.Expecter: the exact expectation over D of est's estimate, for each image by
// enumeration (oracle.ExpectedGradient). The first call tabulates ∂f_m/∂d at every code, with one decoder pass
// forward and backward per code and image.
func (p *EncoderProblem) ExpectedGradient(est oracle.Estimator) ([]float64, error) {
	if p.df == nil {
		df, err := p.derivatives()
		if err != nil {
			return nil, fmt.Errorf("catvae: %s: derivatives of the loss at the codes: %w", p.Label, err)
		}
		p.df = df
	}
	var g []float64
	for m := range p.m {
		th, f := p.image(m)
		gm, err := oracle.ExpectedGradient(th, f, est)
		if err != nil {
			return nil, fmt.Errorf("catvae: %s: %w", p.Label, err)
		}
		g = append(g, gm...)
	}
	return g, nil
}

// LoadCheckpoint reads a checkpoint written by a run into a new store and returns it with the number of epochs the
// run had finished. The error wraps fs.ErrNotExist when there is no file at path.
func LoadCheckpoint(path string) (*model.Store, int, error) {
	store := model.NewStore()
	var st state
	if err := checkpoint.Load(path, store, &st); err != nil {
		return nil, 0, err
	}
	return store, st.Epoch, nil
}

// TrainStore trains cfg as a run of the experiment does, in env, and returns the trained model's store and the number
// of epochs it has finished. The checkpoint goes to env.Checkpoint (to a temporary file, removed afterwards, when it
// is ""); when the checkpoint already holds cfg.Epochs epochs or more, nothing is trained and the checkpoint's
// model is returned as it is.
func TrainStore(cfg Config, data Data, env experiments.Env) (*model.Store, int, error) {
	if env.Checkpoint == "" {
		dir, err := os.MkdirTemp("", "catvae-")
		if err != nil {
			return nil, 0, err
		}
		defer os.RemoveAll(dir)
		env.Checkpoint = filepath.Join(dir, "checkpoint")
	}
	if store, epochs, err := LoadCheckpoint(env.Checkpoint); err == nil && epochs >= cfg.Epochs {
		return store, epochs, nil // nothing to train: skip compiling the training step
	}
	if _, err := train(cfg, data, env, nil); err != nil {
		return nil, 0, err
	}
	return LoadCheckpoint(env.Checkpoint)
}

// EncoderSpec names an encoder-gradient problem of the gradient lab: a categorical VAE of configuration Config
// trained with ReinMax at the paper's settings for that configuration (PaperConfig(Config, "reinmax")) for Epochs
// epochs on the first Train training images, with seed Seed, and its encoder gradient at the first Images test
// images. ParseEncoderSpec reads it from "vae8x4:epochs=1,train=10000,images=10,seed=0"; a zero field selects the
// default.
type EncoderSpec struct {
	Config string // "CxL", default "8x4" (the only configuration of the paper whose 4,096 codes can be enumerated)
	Epochs int    // default 1
	Train  int    // training images, default 10,000 (60,000 or more: all of them)
	Images int    // test images M, default 10 (the paper's diagnostic uses the first N images of a batch)
	Seed   int64  // seed of the training run
}

// EncoderPrefix starts the names that ParseEncoderSpec reads.
const EncoderPrefix = "vae"

// ParseEncoderSpec parses "vaeCxL" or "vaeCxL:key=value,...", with keys epochs, train, images and seed. The error
// names the offending part.
func ParseEncoderSpec(s string) (EncoderSpec, error) {
	name, params, _ := strings.Cut(strings.TrimSpace(s), ":")
	config, ok := strings.CutPrefix(name, EncoderPrefix)
	if !ok {
		return EncoderSpec{}, fmt.Errorf("catvae: problem %q: want %sCxL, e.g. vae8x4", s, EncoderPrefix)
	}
	if _, _, err := ParseName(config); err != nil {
		return EncoderSpec{}, fmt.Errorf("catvae: problem %q: %w", s, err)
	}
	spec := EncoderSpec{Config: config}
	if params == "" {
		return spec, nil
	}
	for _, kv := range strings.Split(params, ",") {
		key, val, ok := strings.Cut(kv, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok {
			return spec, fmt.Errorf("catvae: problem %q: parameter %q, want key=value", s, kv)
		}
		switch key {
		case "epochs", "images", "train":
			v, err := strconv.Atoi(val)
			if err != nil || v < 1 {
				return spec, fmt.Errorf("catvae: problem %q: %s=%q, want a positive integer", s, key, val)
			}
			switch key {
			case "epochs":
				spec.Epochs = v
			case "images":
				spec.Images = v
			default:
				spec.Train = v
			}
		case "seed":
			v, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return spec, fmt.Errorf("catvae: problem %q: seed=%q, want an integer", s, val)
			}
			spec.Seed = v
		default:
			return spec, fmt.Errorf("catvae: problem %q: unknown parameter %q (valid: epochs, train, images, seed)", s, key)
		}
	}
	return spec, nil
}

// withDefaults returns s with its zero fields set to the defaults.
func (s EncoderSpec) withDefaults() EncoderSpec {
	if s.Config == "" {
		s.Config = "8x4"
	}
	if s.Epochs == 0 {
		s.Epochs = 1
	}
	if s.Train == 0 {
		s.Train = 10000
	}
	if s.Images == 0 {
		s.Images = 10
	}
	return s
}

// String returns the canonical name with the defaults filled in, e.g. "vae8x4:epochs=1,train=10000,images=10"
// (the seed is shown when it is not 0).
func (s EncoderSpec) String() string {
	s = s.withDefaults()
	return s.name(s.Epochs)
}

// name returns the canonical name with the given number of epochs.
func (s EncoderSpec) name(epochs int) string {
	name := fmt.Sprintf("%s%s:epochs=%d,train=%d,images=%d", EncoderPrefix, s.Config, epochs, s.Train, s.Images)
	if s.Seed != 0 {
		name += fmt.Sprintf(",seed=%d", s.Seed)
	}
	return name
}

// CheckpointFile returns a file name for the checkpoint of s's training run, which does not depend on s.Images,
// e.g. "vae8x4-epochs1-train10000-seed0.checkpoint".
func (s EncoderSpec) CheckpointFile() string {
	s = s.withDefaults()
	return fmt.Sprintf("%s%s-epochs%d-train%d-seed%d.checkpoint", EncoderPrefix, s.Config, s.Epochs, s.Train, s.Seed)
}

// TrainConfig returns the configuration of the training run: the paper's ReinMax settings for s.Config, with
// s's epochs, training images and seed.
func (s EncoderSpec) TrainConfig() (Config, error) {
	s = s.withDefaults()
	cfg, err := PaperConfig(s.Config, "reinmax")
	if err != nil {
		return Config{}, err
	}
	cfg.Epochs, cfg.Seed, cfg.TrainSize = s.Epochs, s.Seed, s.Train
	return cfg, cfg.Validate()
}

// Validate returns an error when the problem cannot be built: a configuration without paper settings, one whose
// codes are too many to enumerate (naming C^L and oracle.MaxOutcomes), or a bad field.
func (s EncoderSpec) Validate() error {
	cfg, err := s.TrainConfig()
	if err != nil {
		return err
	}
	if s.Images < 0 {
		return fmt.Errorf("catvae: problem %s: %d images, want at least 1", s, s.Images)
	}
	if _, err := oracle.NumOutcomes(cfg.Latents, cfg.Categories); err != nil {
		return fmt.Errorf("catvae: problem %s: the codes are too many to enumerate: %w", s, err)
	}
	return nil
}

// Build trains the model of s (or resumes it from env.Checkpoint, or takes the checkpoint as it is when it holds
// at least s.Epochs epochs: see TrainStore) on MNIST and returns its encoder problem at the first s.Images test
// images, named by s with the number of epochs the model was trained for.
func (s EncoderSpec) Build(env experiments.Env) (*EncoderProblem, error) {
	s = s.withDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	data, err := LoadData(env.LoadEnv)
	if err != nil {
		return nil, err
	}
	if data.Test.N < s.Images {
		return nil, fmt.Errorf("catvae: problem %s: %d test images, want at least %d", s, data.Test.N, s.Images)
	}
	cfg, _ := s.TrainConfig()
	store, epochs, err := TrainStore(cfg, data, env)
	if err != nil {
		return nil, err
	}
	p, err := NewEncoderProblem(env.Backend, store, cfg, data.Test.Images[:s.Images*Pixels])
	if err != nil {
		return nil, err
	}
	p.Label = s.name(epochs)
	return p, nil
}

// The encoder problem is a problem of the gradient lab, with exact expectations.
var (
	_ gradlab.Problem  = (*EncoderProblem)(nil)
	_ gradlab.Expecter = (*EncoderProblem)(nil)
)
