package moe

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/f60e9205/reinmax"
)

// The routing methods besides the straight-through estimators of package reinmax, which are named as in its
// registry (see Methods).
const (
	Switch        = "switch"         // top-K by logit, gate gradient only (Fedus et al. 2021)
	DenseMixer    = "densemixer"     // Switch's forward, the dense mixture's router gradient (Yao et al. 2025)
	Dense         = "dense"          // every expert, softmax weights: the upper reference
	SparseMixer   = "sparsemixer"    // SparseMixer v1, top-1 (Liu, Gao & Chen 2023)
	SparseMixerV2 = "sparsemixer-v2" // SparseMixer v2, top-1 or top-2 (GRIN, Liu et al. 2024)
)

// DefaultJitter is SparseMixer's ε when Router.Jitter is zero, the default of the authors' code.
const DefaultJitter = 0.1

// relaxed are the straight-through estimators of the registry whose sample is not one-hot: a relaxed sample
// would mix every expert, which is not routing.
var relaxed = []string{"gumbel-softmax"}

// Methods returns the names of the routing methods: switch, densemixer, dense, sparsemixer, sparsemixer-v2, then
// the straight-through estimators of package reinmax whose sample is one-hot (st, stgs, gst-1.0, gst-p, gr-mck,
// reinmax, ...).
func Methods() []string {
	out := []string{Switch, DenseMixer, Dense, SparseMixer, SparseMixerV2}
	for _, n := range reinmax.Names(reinmax.StraightThroughFamily) {
		if !slices.Contains(relaxed, n) {
			out = append(out, n)
		}
	}
	return out
}

// SupportedTopK reports the numbers of experts per token that method supports: {1, 2} for switch, densemixer and
// sparsemixer-v2, {1} for the others. It returns nil for an unknown method.
func SupportedTopK(method string) []int {
	switch {
	case method == Switch || method == DenseMixer || method == SparseMixerV2:
		return []int{1, 2}
	case slices.Contains(Methods(), method):
		return []int{1}
	}
	return nil
}

// NeedsAllExperts reports whether method needs the output of every expert for every token: densemixer, dense and
// the straight-through estimators read g_e = ⟨∂L/∂y_t, f_e(x_t)⟩ for experts that were not chosen.
func NeedsAllExperts(method string) bool {
	return method != Switch && method != SparseMixer && method != SparseMixerV2
}

// Router chooses the experts of each token and supplies the router's gradient by Method (see the package
// documentation for the forward values and gradients). The zero value is not valid: Method, TopK and Capacity
// must be set.
type Router struct {
	Method string // a name of Methods
	TopK   int    // experts per token, 1 or 2 (see SupportedTopK); at most the number of experts
	// Capacity is the capacity factor c > 0: each expert takes at most min(T, ⌈c·K·T/E⌉) of T tokens (Forward).
	// A factor of E/K or more never drops a token. The dense method runs every expert on every token and ignores it.
	Capacity float64
	// Estimator holds τ and K of a straight-through method (a zero field selects the registry's default).
	Estimator reinmax.Params
	// Jitter is SparseMixer's ε >= 0 (zero selects DefaultJitter): experts whose logit is more than 2ε·max(|θ_e|,
	// max θ) below the largest are masked out of its softmax.
	Jitter float64
	// Inference selects the deterministic form every method uses at test time: the top-K experts by logit, each at
	// its full gate (π_e, or π̃_e for SparseMixer), no sampling. The gradient is then that of the gate alone.
	Inference bool
}

// Validate returns an error naming the first setting out of range for a layer of experts experts: fewer than 2
// experts, an unknown method, a TopK the method does not support or larger than the number of experts, a capacity
// factor that is not a finite number > 0, a negative jitter, or an estimator parameter the estimator rejects.
func (r Router) Validate(experts int) error {
	ks := SupportedTopK(r.Method)
	switch {
	case experts < 2:
		return fmt.Errorf("moe: %d experts, want at least 2", experts)
	case ks == nil:
		return fmt.Errorf("moe: unknown routing method %q (valid: %s)", r.Method, strings.Join(Methods(), ", "))
	case r.TopK < 1 || r.TopK > 2:
		return fmt.Errorf("moe: top-%d routing, want top-1 or top-2", r.TopK)
	case r.TopK > experts:
		return fmt.Errorf("moe: top-%d routing over %d experts, want k <= %d", r.TopK, experts, experts)
	case !slices.Contains(ks, r.TopK):
		return fmt.Errorf("moe: %s does not support top-%d routing (it routes each token to one expert)", r.Method, r.TopK)
	case !(r.Capacity > 0) || math.IsInf(r.Capacity, 1):
		return fmt.Errorf("moe: capacity factor %v, want a finite number > 0", r.Capacity)
	case !(r.Jitter >= 0) || math.IsInf(r.Jitter, 1):
		return fmt.Errorf("moe: sparsemixer jitter %v, want a finite number >= 0", r.Jitter)
	}
	if _, ok := r.straightThrough(); ok {
		if _, err := reinmax.NewStraightThrough(r.Method, r.Estimator); err != nil {
			return fmt.Errorf("moe: %w", err)
		}
	}
	return nil
}

// straightThrough reports whether the method is an estimator of package reinmax, and returns its name.
func (r Router) straightThrough() (string, bool) {
	switch r.Method {
	case Switch, DenseMixer, Dense, SparseMixer, SparseMixerV2:
		return "", false
	}
	return r.Method, true
}

func (r Router) jitter() float64 {
	if r.Jitter == 0 {
		return DefaultJitter
	}
	return r.Jitter
}

// Decision is a router's choice for T tokens over E experts. Route fills Weights, Choice, Scale and Probs; Forward
// fills the rest.
type Decision struct {
	// Weights (T, E) are the combine weights w_{t,e}: the gate of expert e for token t when e is chosen, else 0.
	// Their gradient is the method's; the layer's output is Σ_e w_{t,e} f_e(x_t).
	Weights *Node
	Choice  *Node // (T, K) int32: the chosen experts, first choice first (for dense, the top-K by logit)
	// Scale (T, K) is the forward multiplier of each choice: SparseMixer's ½ or ⅓ on its midpoint draws, 1 otherwise.
	Scale *Node
	Probs *Node // (T, E): π = softmax(logits), differentiable

	Kept    *Node // (T, K): 1 where the assignment found a place within the capacity, 0 where it was dropped
	Load    *Node // (E): assignments to each expert, before the capacity
	Dropped *Node // scalar: assignments dropped, of T·K
	// Balance is the load-balancing loss of the Switch Transformer, E·Σ_e f_e P_e with f_e = Load_e/(K·T) (no
	// gradient) and P_e the mean over tokens of π_e: 1 when both are uniform. Add it to the loss with a small
	// coefficient (Switch uses 0.01). Its gradient flows through P only.
	Balance *Node
}

// Route returns the decision of the router for logits of shape (T, E), drawing what the method samples from src
// (unused by switch, densemixer, dense and at inference). It panics, with an error naming the setting, when the
// router is not valid for E experts or the logits are not a float matrix. Logits must be finite.
func (r Router) Route(src reinmax.Source, logits *Node) Decision {
	if !logits.DType().IsFloat() || logits.Rank() != 2 {
		panic(fmt.Errorf("moe: router logits must be a float matrix (tokens, experts), got %s", logits.Shape()))
	}
	experts := logits.Shape().Dimensions[1]
	if err := r.Validate(experts); err != nil {
		panic(err)
	}
	probs := Softmax(logits, -1)
	d := Decision{Probs: probs}
	if r.Inference {
		d.Weights, d.Choice = r.inference(logits, probs)
		d.Scale = Ones(logits.Graph(), shapeOf(logits, r.TopK))
		return d
	}
	switch r.Method {
	case Switch:
		var s *Node
		s, d.Choice = topK(logits, r.TopK)
		d.Weights = Mul(s, probs)
	case DenseMixer:
		var s *Node
		s, d.Choice = topK(logits, r.TopK)
		// Value S⊙π; the gradient of π alone, J(π)G.
		d.Weights = Sub(probs, StopGradient(Mul(OneMinus(s), probs)))
	case Dense:
		_, d.Choice = topK(logits, r.TopK)
		d.Weights = probs
	case SparseMixer:
		d.Weights, d.Choice, d.Scale = r.sparseMixer(src, logits, 1)
	case SparseMixerV2:
		d.Weights, d.Choice, d.Scale = r.sparseMixer(src, logits, r.TopK)
	default:
		est, err := reinmax.NewStraightThrough(r.Method, r.Estimator)
		if err != nil {
			panic(fmt.Errorf("moe: %w", err))
		}
		hard, soft := est.Sample(src, logits)
		d.Weights = Mul(hard, soft)
		d.Choice = InsertAxes(ArgMax(StopGradient(hard), -1), -1)
	}
	if d.Scale == nil {
		d.Scale = Ones(logits.Graph(), shapeOf(logits, r.TopK))
	}
	return d
}

// inference returns the weights and choice of the deterministic form: the top-K experts by logit at their gate.
func (r Router) inference(logits, probs *Node) (w, choice *Node) {
	switch r.Method {
	case Dense:
		_, choice = topK(logits, r.TopK)
		return probs, choice
	case SparseMixer, SparseMixerV2:
		fixed := StopGradient(logits)
		var gates []*Node
		excluded := (*Node)(nil)
		for j := 0; j < r.TopK; j++ {
			keep := r.keepMask(fixed, excluded)
			pt := MaskedSoftmax(logits, keep)
			s := oneHot(ArgMax(Where(keep, fixed, Infinity(logits.Graph(), fixed.DType(), -1)), -1), logits)
			gates = append(gates, Mul(s, pt))
			choice = appendChoice(choice, s)
			excluded = orMask(excluded, s)
		}
		return sum(gates), choice
	}
	s, choice := topK(logits, r.TopK)
	return Mul(s, probs), choice
}

// sparseMixer returns SparseMixer's weights, choices and forward multipliers: version 1 for k = 1 with the Router's
// method sparsemixer, version 2 otherwise (see the package documentation). For each choice j, with the experts
// already chosen excluded, π̃ʲ is the masked softmax, D_j ~ Cat(π̃ʲ) is drawn by the Gumbel-max trick, and
//
//	v1: m = 1 if D is the argmax or u > ½, else ½;  w = D π̃_D m,   ∂L/∂θ = 2 J(π̃)(G⊙D)
//	v2: m = 1 if D is the argmax or u > ¾, else ⅓;  w = D π̃_D m,   ∂L/∂θ = J(π̃)(G⊙D)
//
// with u ~ U(0, 1). The gradient is written as D⊙π̃·c − stop_gradient(D⊙π̃·c) added to the value, with c = 2 or 1,
// so that autodiff through the masked softmax gives c·J(π̃)(G⊙D) and masked experts get 0.
func (r Router) sparseMixer(src reinmax.Source, logits *Node, k int) (w, choice, scale *Node) {
	g := logits.Graph()
	dt := logits.DType()
	// v1: the midpoint ½ when u <= ½, the gradient doubled; v2: Radau's node ⅓ when u <= ¾, undoubled.
	half, threshold, factor := 0.5, 0.5, 2.0
	if r.Method == SparseMixerV2 {
		half, threshold, factor = 1.0/3, 0.75, 1.0
	}
	fixed := StopGradient(logits)
	negInf := Infinity(g, dt, -1)
	var parts, scales []*Node
	var excluded *Node
	for j := 0; j < k; j++ {
		keep := r.keepMask(fixed, excluded)
		masked := Where(keep, fixed, negInf)
		pt := MaskedSoftmax(logits, keep)
		d := reinmax.Categorical(src, masked)
		top := oneHot(ArgMax(masked, -1), logits)
		isTop := GreaterThan(ReduceAndKeep(Mul(d, top), ReduceSum, -1), ScalarZero(g, dt)) // (T, 1)
		u := src.Uniform(g, shapeOf(logits, 1))
		full := LogicalOr(isTop, GreaterThan(u, Scalar(g, dt, threshold)))
		m := Where(full, ScalarOne(g, dt), Scalar(g, dt, half)) // (T, 1)
		gate := Mul(d, pt)
		value := StopGradient(Mul(gate, m))
		scaled := MulScalar(gate, factor)
		parts = append(parts, Add(value, Sub(scaled, StopGradient(scaled))))
		scales = append(scales, m)
		choice = appendChoice(choice, d)
		excluded = orMask(excluded, d)
	}
	return sum(parts), choice, Concatenate(scales, -1)
}

// keepMask returns SparseMixer's mask (T, E) over the logits θ not excluded: with m the largest of them, expert e
// is kept when (m − θ_e) <= 2ε·max(|θ_e|, m). The largest is always kept.
func (r Router) keepMask(fixed, excluded *Node) *Node {
	g := fixed.Graph()
	candidates := fixed
	if excluded != nil {
		candidates = Where(excluded, Infinity(g, fixed.DType(), -1), fixed)
	}
	m := ReduceAndKeep(candidates, ReduceMax, -1)
	gap := Sub(m, fixed)
	bound := MulScalar(Max(Abs(fixed), m), 2*r.jitter())
	keep := LessOrEqual(gap, bound)
	if excluded != nil {
		keep = LogicalAnd(keep, LogicalNot(excluded))
	}
	return keep
}

// topK returns the one-hot sum S (T, E) of the k largest logits of each row and their indices (T, k), largest
// first; ties go to the lower index.
func topK(logits *Node, k int) (s, choice *Node) {
	_, idx := TopK(StopGradient(logits), k, -1)
	for j := 0; j < k; j++ {
		oh := oneHot(Squeeze(SliceAxis(idx, -1, AxisElem(j)), -1), logits)
		if s == nil {
			s = oh
		} else {
			s = Add(s, oh)
		}
	}
	return s, ConvertDType(idx, dtypes.Int32)
}

// oneHot returns onehot(idx) with the shape and dtype of like, without gradient.
func oneHot(idx, like *Node) *Node {
	return StopGradient(OneHot(idx, like.Shape().Dimensions[1], like.DType()))
}

// appendChoice appends the index of the one-hot rows d (T, E) as a new column of choice (T, j).
func appendChoice(choice, d *Node) *Node {
	col := InsertAxes(ArgMax(StopGradient(d), -1, dtypes.Int32), -1)
	if choice == nil {
		return col
	}
	return Concatenate([]*Node{choice, col}, -1)
}

// orMask returns mask ∨ (d > 0), for a nil mask d > 0.
func orMask(mask, d *Node) *Node {
	chosen := GreaterThan(d, ScalarZero(d.Graph(), d.DType()))
	if mask == nil {
		return chosen
	}
	return LogicalOr(mask, chosen)
}

// sum adds the nodes of xs.
func sum(xs []*Node) *Node {
	out := xs[0]
	for _, x := range xs[1:] {
		out = Add(out, x)
	}
	return out
}
