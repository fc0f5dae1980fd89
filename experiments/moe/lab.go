package moe

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/checkpoint"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/gradlab"
	"github.com/f60e9205/reinmax/moe"
	"github.com/f60e9205/reinmax/oracle"
)

// RouterProblem is the router of a trained classifier as a problem of the gradient lab. The model is fixed at a
// checkpoint; the router logits θ (M, E) of M test images are the point at which routing methods are compared.
// Each image m is routed to one expert D_m ~ Cat(π_m), π_m = softmax(θ_m), all independent, with no capacity
// limit, and its loss is the cross-entropy of the classifier on the gated output of that expert:
//
//	ℓ_m(w) = CE(a_m + Σ_e w_e B_{m,e}, y_m),   a_m = W_c h_m + b_c,   B_{m,e} = W_c f_e(h_m),
//
// the classifier being linear in the MoE output, at the combine weights w = π_{m,D} e_D. The expected loss is
// F(θ) = Σ_m Σ_e π_{m,e} ℓ_m(π_{m,e} e_e), and since the images are independent its exact gradient is, per image,
// the enumeration over the E experts
//
//	∇_{θ_m} F = J(π_m) a_m,   a_{m,e} = ℓ_m(π_{m,e} e_e) + π_{m,e} ∂ℓ_m/∂w_e (π_{m,e} e_e),
//
// the choice's term and the gate's. The lab's draws w (N, M, E) are the combine weights a routing method returns
// (LabEstimators), so every method is measured against the gradient of this one objective; a method that samples
// from another law (SparseMixer's masked softmax) or ignores one of the two terms (Switch, SparseMixer v2) is
// biased for it by design. Everything is float64.
type RouterProblem struct {
	Label string // the name returned by Name; NewRouterProblem sets it

	m, e   int
	theta  []float64 // M × E
	a      []float64 // M × Classes
	b      []float64 // M × E × Classes
	labels []int
	exact  []float64
}

var (
	_ gradlab.Separable = (*RouterProblem)(nil)
	_ gradlab.Expecter  = (*RouterProblem)(nil)
)

// NewRouterProblem returns the router problem of the model held by store (trained for cfg, as train trains it;
// only cfg's Experts, Hidden and ExpertHidden matter) at the images given (M images of Pixels grey levels in [0, 1]
// one after the other) and their labels, on backend (nil selects experiments.NewBackend()).
func NewRouterProblem(backend compute.Backend, store *model.Store, cfg Config, images []float32, labels []int) (*RouterProblem, error) {
	if len(images) == 0 || len(images) != len(labels)*Pixels {
		return nil, fmt.Errorf("moe: router problem: %d grey levels for %d labels, want %d per image", len(images), len(labels), Pixels)
	}
	backend, err := experiments.BackendOr(backend)
	if err != nil {
		return nil, err
	}
	m := len(labels)
	cm := classifier{cfg: cfg, router: cfg.Router(true)}
	outs, err := model.ExecOnceN(backend, store, func(scope *model.Scope, x *Node) []*Node {
		out := cm.forward(scope, x)
		f := cm.expertOutputs(scope, out.h) // (E, M, H)
		g := x.Graph()
		cls := scope.Shared("classifier")
		wc := cls.GetVariable("weights").NodeValue(g) // (Classes, H)
		bc := cls.GetVariable("biases").NodeValue(g)
		a := Add(DotGeneral(out.h, []int{1}, nil, wc, []int{1}, nil), InsertAxes(bc, 0)) // (M, Classes)
		b := DotGeneral(f, []int{2}, nil, wc, []int{1}, nil)                             // (E, M, Classes)
		return []*Node{out.routerLogits, a, Transpose(b, 0, 1)}
	}, tensors.FromFlatDataAndDimensions(images, m, Pixels))
	if err != nil {
		return nil, fmt.Errorf("moe: router problem: evaluating the model (does the checkpoint hold a model of %d experts, hidden %d, expert hidden %d?): %w",
			cfg.Experts, cfg.Hidden, cfg.ExpertHidden, err)
	}
	p := &RouterProblem{m: m, e: cfg.Experts, labels: slices.Clone(labels)}
	for i, dst := range []*[]float64{&p.theta, &p.a, &p.b} {
		v, err := tensors.CopyFlatData[float32](outs[i])
		if err != nil {
			return nil, err
		}
		*dst = make([]float64, len(v))
		for j, x := range v {
			(*dst)[j] = float64(x)
		}
	}
	for _, y := range labels {
		if y < 0 || y >= Classes {
			return nil, fmt.Errorf("moe: router problem: label %d, want 0..%d", y, Classes-1)
		}
	}
	p.Label = fmt.Sprintf("moe:experts=%d,images=%d", p.e, m)
	return p, nil
}

// Name implements gradlab.Problem.
func (p *RouterProblem) Name() string { return p.Label }

// Logits implements gradlab.Problem: the router logits, dimensions (M, E).
func (p *RouterProblem) Logits() ([]float64, []int) { return slices.Clone(p.theta), []int{p.m, p.e} }

// Images returns the number of images M.
func (p *RouterProblem) Images() int { return p.m }

// Loss implements gradlab.Problem: Σ_m ℓ_m(w_m) for combine weights w of shape (N, M, E).
func (p *RouterProblem) Loss(w *Node) *Node { return ReduceSum(p.LossPerExample(w), -1) }

// LossPerExample implements gradlab.Separable: ℓ_m(w_{n,m}), shape (N, M).
func (p *RouterProblem) LossPerExample(w *Node) *Node {
	dims := w.Shape().Dimensions
	if w.Rank() != 3 || dims[1] != p.m || dims[2] != p.e {
		panic(fmt.Errorf("moe: %s: combine weights of shape %s, want (N, %d, %d)", p.Label, w.Shape(), p.m, p.e))
	}
	g := w.Graph()
	w64 := ConvertDType(w, dtypes.Float64)
	b := Const(g, tensors.FromFlatDataAndDimensions(p.b, p.m, p.e, Classes))
	z := DotGeneral(w64, []int{2}, []int{1}, b, []int{1}, []int{0}) // (M, N, Classes)
	z = Add(z, Const(g, tensors.FromFlatDataAndDimensions(p.a, p.m, 1, Classes)))
	onehot := make([]float64, p.m*Classes)
	for i, y := range p.labels {
		onehot[i*Classes+y] = 1
	}
	ce := Neg(ReduceSum(Mul(LogSoftmax(z, -1), Const(g, tensors.FromFlatDataAndDimensions(onehot, p.m, 1, Classes))), -1))
	return ConvertDType(Transpose(ce, 0, 1), w.DType()) // (N, M)
}

// loss returns ℓ_m at the weights s·e_e and its derivative along w_e, in float64.
func (p *RouterProblem) loss(m, e int, s float64) (value, slope float64) {
	value, grad := p.lossGrad(m, e, s)
	return value, grad[e]
}

// lossGrad returns ℓ_m at the weights s·e_e and its gradient ∂ℓ_m/∂w_k = ⟨softmax(z) − onehot(y_m), B_{m,k}⟩ with
// respect to the weights of every expert k, in float64.
func (p *RouterProblem) lossGrad(m, e int, s float64) (value float64, grad []float64) {
	z := make([]float64, Classes)
	b := func(k int) []float64 { return p.b[(m*p.e+k)*Classes : (m*p.e+k+1)*Classes] }
	top := math.Inf(-1)
	for c := range z {
		z[c] = p.a[m*Classes+c] + s*b(e)[c]
		top = math.Max(top, z[c])
	}
	var sum float64
	for _, v := range z {
		sum += math.Exp(v - top)
	}
	lse := top + math.Log(sum)
	y := p.labels[m]
	q := make([]float64, Classes) // softmax(z) − onehot(y)
	for c := range z {
		q[c] = math.Exp(z[c] - lse)
	}
	q[y]--
	grad = make([]float64, p.e)
	for k := range grad {
		for c, v := range b(k) {
			grad[k] += q[c] * v
		}
	}
	return lse - z[y], grad
}

// ExpectedGradient implements gradlab.Expecter for the straight-through methods whose backward pass is a
// deterministic function of the choice (package oracle's ST, ReinMax, GST): per image, the enumeration over the
// experts s of π_s times the method's gradient at s, est(g_D = G⊙π, g_p = G⊙e_s) with G = ∂ℓ_m/∂w at π_s e_s (the
// estimator's term and the gate's).
func (p *RouterProblem) ExpectedGradient(est oracle.Estimator) ([]float64, error) {
	g := make([]float64, p.m*p.e)
	tmp, gD, gp := make([]float64, p.e), make([]float64, p.e), make([]float64, p.e)
	for m := range p.m {
		theta := p.theta[m*p.e : (m+1)*p.e]
		pi := make([]float64, p.e)
		oracle.Softmax(pi, theta)
		for s := range p.e {
			_, grad := p.lossGrad(m, s, pi[s])
			for k := range gD {
				gD[k], gp[k] = grad[k]*pi[k], 0
			}
			gp[s] = grad[s]
			est.Grad(tmp, theta, s, gD, gp)
			for k, v := range tmp {
				g[m*p.e+k] += pi[s] * v
			}
		}
	}
	return g, nil
}

// ExactGradient implements gradlab.Problem: J(π_m) a_m per image, by enumeration over the experts.
func (p *RouterProblem) ExactGradient() ([]float64, error) {
	if p.exact == nil {
		g := make([]float64, p.m*p.e)
		for m := range p.m {
			pi := make([]float64, p.e)
			oracle.Softmax(pi, p.theta[m*p.e:(m+1)*p.e])
			a := make([]float64, p.e)
			for e := range p.e {
				l, dl := p.loss(m, e, pi[e])
				a[e] = l + pi[e]*dl
			}
			oracle.JVP(g[m*p.e:(m+1)*p.e], pi, a)
		}
		p.exact = g
	}
	return slices.Clone(p.exact), nil
}

// Expectation returns the expected loss F(θ) = Σ_m Σ_e π_{m,e} ℓ_m(π_{m,e} e_e).
func (p *RouterProblem) Expectation() float64 {
	var f float64
	for m := range p.m {
		pi := make([]float64, p.e)
		oracle.Softmax(pi, p.theta[m*p.e:(m+1)*p.e])
		for e := range p.e {
			l, _ := p.loss(m, e, pi[e])
			f += pi[e] * l
		}
	}
	return f
}

// LabEstimator returns the routing method as an estimator of the gradient lab: top-1, no capacity limit, τ and K
// for a straight-through method and SparseMixer's jitter ε (0: the defaults). The surrogate routes the draws'
// logits (N, M, E) as N·M tokens and sums the problem's loss at the combine weights, so its gradient is the
// method's.
func LabEstimator(method string, tau float64, k int, jitter float64) (gradlab.Estimator, error) {
	r := moe.Router{Method: method, TopK: 1, Capacity: 1, Estimator: reinmax.Params{Tau: tau, K: k}, Jitter: jitter}
	if err := r.Validate(2); err != nil {
		return gradlab.Estimator{}, err
	}
	est := gradlab.Estimator{Name: method}
	if spec, err := reinmax.Lookup(method); err == nil && spec.Family == reinmax.StraightThroughFamily {
		// τ and K in effect, and the backward pass of package oracle where there is one (ST, ReinMax, GST), with
		// which the lab computes the exact expectation (ExpectedGradient).
		var err error
		if est, err = gradlab.NewEstimator(method, r.Estimator); err != nil {
			return gradlab.Estimator{}, err
		}
	}
	est.Surrogate = func(_ *model.Scope, src reinmax.Source, x *Node, loss func(*Node) *Node) *Node {
		dims := x.Shape().Dimensions
		d := r.Route(src, Reshape(x, -1, dims[len(dims)-1]))
		return ReduceAllSum(loss(Reshape(d.Weights, dims...)))
	}
	return est, nil
}

// LabEstimators returns the routing methods for the lab: switch, densemixer, dense, sparsemixer and sparsemixer-v2
// once each, and each straight-through method at every temperature of taus it accepts (ReinMax skips τ < 1), with
// K samples where it has them (0: the registry's default), SparseMixer with jitter ε (0: moe.DefaultJitter). Skipped
// pairs are returned with the reason.
func LabEstimators(methods []string, taus []float64, k int, jitter float64) (ests []gradlab.Estimator, skipped []string, err error) {
	for _, m := range methods {
		spec, lookupErr := reinmax.Lookup(m)
		if lookupErr != nil || !slices.Contains(spec.Params, "tau") {
			e, err := LabEstimator(m, 0, 0, jitter)
			if err != nil {
				return nil, nil, err
			}
			ests = append(ests, e)
			continue
		}
		for _, tau := range taus {
			e, err := LabEstimator(m, tau, k, 0)
			if err != nil {
				skipped = append(skipped, fmt.Sprintf("%s at tau=%v: %v", m, tau, err))
				continue
			}
			ests = append(ests, e)
		}
	}
	if len(ests) == 0 {
		return nil, skipped, fmt.Errorf("moe: no routing method accepts the temperatures given: %s", strings.Join(skipped, "; "))
	}
	return ests, skipped, nil
}

// LabPrefix starts the name of the router problem in the gradient lab's --problem flag.
const LabPrefix = "moe"

// LabSpec names the router problem of the gradient lab: a model trained with DefaultConfig's settings on a data
// set with a routing method (top-1), and the first M test images. A zero field selects its default.
type LabSpec struct {
	Data   string // "fashion" (default) or "mnist"
	Method string // the routing method the model is trained with, default "switch"
	Steps  int    // training steps, default 1000
	Images int    // test images M, default 100
	Seed   int64  // seed of the training run
	// Jitter is the ε of the lab's SparseMixer estimators (0: moe.DefaultJitter), not a setting of the training
	// run: a large ε measures SparseMixer's gradient without its mask.
	Jitter float64
}

// ParseLabSpec parses "moe" or "moe:key=value,...", with keys data, method, steps, images, seed and jitter, for
// example "moe:data=mnist,method=reinmax,steps=500". The error names the offending part.
func ParseLabSpec(s string) (LabSpec, error) {
	name, params, _ := strings.Cut(strings.TrimSpace(s), ":")
	if name != LabPrefix {
		return LabSpec{}, fmt.Errorf("moe: problem %q: want %s or %s:key=value,...", s, LabPrefix, LabPrefix)
	}
	var spec LabSpec
	if params == "" {
		return spec, nil
	}
	for _, kv := range strings.Split(params, ",") {
		key, val, ok := strings.Cut(kv, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok {
			return spec, fmt.Errorf("moe: problem %q: parameter %q, want key=value", s, kv)
		}
		switch key {
		case "data":
			spec.Data = val
		case "method":
			spec.Method = val
		case "steps", "images":
			v, err := strconv.Atoi(val)
			if err != nil || v < 1 {
				return spec, fmt.Errorf("moe: problem %q: %s=%q, want a positive integer", s, key, val)
			}
			if key == "steps" {
				spec.Steps = v
			} else {
				spec.Images = v
			}
		case "seed":
			v, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return spec, fmt.Errorf("moe: problem %q: seed=%q, want an integer", s, val)
			}
			spec.Seed = v
		case "jitter":
			v, err := strconv.ParseFloat(val, 64)
			if err != nil || !(v > 0) || math.IsInf(v, 0) {
				return spec, fmt.Errorf("moe: problem %q: jitter=%q, want a finite number > 0", s, val)
			}
			spec.Jitter = v
		default:
			return spec, fmt.Errorf("moe: problem %q: unknown parameter %q (valid: data, method, steps, images, seed, jitter)", s, key)
		}
	}
	return spec, spec.Validate()
}

func (s LabSpec) withDefaults() LabSpec {
	if s.Data == "" {
		s.Data = Fashion
	}
	if s.Method == "" {
		s.Method = moe.Switch
	}
	if s.Steps == 0 {
		s.Steps = 1000
	}
	if s.Images == 0 {
		s.Images = 100
	}
	return s
}

// String returns the canonical name with the defaults filled in, e.g. "moe:data=fashion,method=switch,steps=1000,images=100".
func (s LabSpec) String() string {
	s = s.withDefaults()
	name := fmt.Sprintf("%s:data=%s,method=%s,steps=%d,images=%d", LabPrefix, s.Data, s.Method, s.Steps, s.Images)
	if s.Seed != 0 {
		name += fmt.Sprintf(",seed=%d", s.Seed)
	}
	if s.Jitter != 0 {
		name += ",jitter=" + strconv.FormatFloat(s.Jitter, 'g', -1, 64)
	}
	return name
}

// TrainConfig returns the configuration of the training run behind the problem.
func (s LabSpec) TrainConfig() (Config, error) {
	s = s.withDefaults()
	c := DefaultConfig(s.Data, s.Method, 1)
	c.Steps, c.Seed = s.Steps, s.Seed
	c.EvalEvery = c.Steps
	c, err := c.Resolved()
	if err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Validate returns an error naming the setting out of range.
func (s LabSpec) Validate() error {
	if s.Images < 0 || s.Images > 10000 {
		return fmt.Errorf("moe: problem %s: %d images, want 1..10000", s, s.Images)
	}
	_, err := s.TrainConfig()
	return err
}

// CheckpointFile is the file name of the model's checkpoint, named after the training run.
func (s LabSpec) CheckpointFile() string {
	s = s.withDefaults()
	s.Jitter = 0 // not a setting of the training run
	return experiments.FileName(strings.NewReplacer(":", "-", ",", "_").Replace(s.String())) + ".ckpt"
}

// Build trains the model of the spec into env.Checkpoint (resuming it, or using it as it is when it holds the
// steps asked for), loads its data set from env.DataDir and returns the problem on the first Images test images.
func (s LabSpec) Build(env experiments.Env) (*RouterProblem, error) {
	cfg, err := s.TrainConfig()
	if err != nil {
		return nil, err
	}
	s = s.withDefaults()
	data, err := LoadData(cfg.dataset(), env.LoadEnv)
	if err != nil {
		return nil, err
	}
	store, err := trainStore(cfg, data, env)
	if err != nil {
		return nil, err
	}
	test := data.Test.Limit(s.Images)
	p, err := NewRouterProblem(env.Backend, store, cfg, test.Images, test.Labels)
	if err != nil {
		return nil, err
	}
	p.Label = s.String()
	return p, nil
}

// trainStore trains cfg into env.Checkpoint (a temporary file when it is empty) and returns the trained variables;
// a checkpoint that already holds cfg.Steps steps is used as it is.
func trainStore(cfg Config, data Data, env experiments.Env) (*model.Store, error) {
	if env.Checkpoint == "" {
		dir, err := os.MkdirTemp("", "moe-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		env.Checkpoint = filepath.Join(dir, "checkpoint")
	}
	load := func() (*model.Store, int, error) {
		store := model.NewStore()
		var st state
		err := checkpoint.Load(env.Checkpoint, store, &st)
		return store, st.Step, err
	}
	if store, steps, err := load(); err == nil && steps >= cfg.Steps {
		return store, nil
	}
	if _, err := train(cfg, data, env, nil); err != nil {
		return nil, err
	}
	store, _, err := load()
	return store, err
}
