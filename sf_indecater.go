package reinmax

import (
	"cmp"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// IndeCateR is the Independent Categorical REINFORCE estimator of De Smet et al. (2023): for every variable, the
// expectation over its own C outcomes is taken exactly, with the other variables sampled.
//
// With L independent variables x_l ~ q_l (Bernoulli or one-hot categorical, see Latent), K independent samples x_k
// of all of them, and x_k^{l←c} the sample x_k with variable l set to outcome c:
//
//	value:    (1/K) Σ_k f(x_k)
//	gradient: ∂/∂θ_l = (1/K) Σ_k Σ_c ∂q_l(c)/∂θ_l · f(x_k^{l←c})
//	          = (1/K) Σ_k J(π_l)·[f(x_k^{l←1}), …, f(x_k^{l←C})]        (categorical, π_l = softmax(θ_l))
//	          = σ(α_l)(1 − σ(α_l))·(1/K) Σ_k [f(x_k^{l←1}) − f(x_k^{l←0})]  (Bernoulli)
//
// Given the other variables, the sum over the outcomes of variable l is the exact derivative of E_{x_l} f, so the
// estimator is unbiased for any f; it is REINFORCE Rao-Blackwellised over each variable in turn, and needs no
// baseline (Σ_c ∂q_l(c)/∂θ_l = 0 makes any baseline that does not depend on x_l vanish). The price is K·L·C
// evaluations of f per example (K·2L for Bernoulli variables), made in one call of f on a leading axis of K·L·C
// samples; Evaluations returns K and EvaluationsFor the count of f's evaluations. K must be at least 1; the zero
// value selects K = 1.
//
// Reference: L. De Smet, E. Sansone, P. Zuidberg Dos Martires, "Differentiable Sampling of Categorical
// Distributions Using the CatLog-Derivative Trick", NeurIPS 2023.
type IndeCateR struct {
	K int
}

// Name implements ScoreFunction.
func (IndeCateR) Name() string { return "indecater" }

// Evaluations implements ScoreFunction: K, the number of joint samples; f is evaluated L·C times for each (see
// EvaluationsFor).
func (e IndeCateR) Evaluations() int { return cmp.Or(e.K, 1) }

// EvaluationsFor implements EvaluationCounter: K·L·C evaluations of f per example, C = 2 for Bernoulli variables.
func (e IndeCateR) EvaluationsFor(latent Latent, logits shapes.Shape) int {
	dims := logits.Dimensions
	if latent == OneHotCategorical && len(dims) >= 2 {
		return e.Evaluations() * dims[len(dims)-2] * dims[len(dims)-1]
	}
	if len(dims) == 0 {
		return 0
	}
	return e.Evaluations() * dims[len(dims)-1] * 2
}

// Validate returns an error unless the parameters are in range.
func (e IndeCateR) Validate() error {
	return checkK(e.Name(), e.Evaluations(), 1, 1, "K >= 1 samples")
}

// Estimate implements ScoreFunction; the scope is not used and may be nil.
func (e IndeCateR) Estimate(_ *model.Scope, src Source, latent Latent, logits *Node, f Loss) *Node {
	mustSF(e.Validate())
	in := newInput(e.Name(), latent, logits, false)
	k := e.Evaluations()
	x := in.samples(src, k) // (K, batch..., L[, C])
	dims := x.Shape().Dimensions
	nb := len(in.batch)
	L := dims[1+nb]
	c := 2
	if latent == OneHotCategorical {
		c = dims[len(dims)-1]
	}
	// The variants x^{l←c}, shape (L, C, K, batch..., L[, C]): x where the variable axis equals l is replaced by
	// outcome c (the one-hot e_c, or the bit c).
	g, dt := x.Graph(), x.DType()
	lead := func(axes ...int) []int { return append(axes, slices.Repeat([]int{1}, 1+nb)...) } // (a, b, 1 for K and batch)
	var isL, outcome *Node
	if latent == OneHotCategorical {
		isL = Reshape(eye(g, dt, L), append(lead(L, 1), L, 1)...)
		outcome = Reshape(eye(g, dt, c), append(lead(1, c), 1, c)...)
	} else {
		isL = Reshape(eye(g, dt, L), append(lead(L, 1), L)...)
		outcome = Reshape(Iota(g, shapes.Make(dt, 2), 0), append(lead(1, 2), 1)...)
	}
	base := InsertAxes(x, 0, 0)
	variants := Add(Mul(base, OneMinus(isL)), Mul(isL, outcome))
	vdims := append([]int{L, c}, dims...)
	variants = BroadcastToDims(variants, vdims...)
	n := L * c * k
	fx := in.eval(f, Reshape(StopGradient(variants), append([]int{n}, dims[1:]...)...), n)
	fx = Reshape(fx, append([]int{L, c, k}, in.batch...)...) // f(x_k^{l←c})
	// h[batch..., l, c] = (1/K) Σ_k f(x_k^{l←c}).
	h := ReduceMean(StopGradient(fx), 2) // (L, C, batch...)
	perm := make([]int, 0, nb+2)
	for i := range nb {
		perm = append(perm, 2+i)
	}
	h = TransposeAllDims(h, append(perm, 0, 1)...) // (batch..., L, C)
	var ghat *Node
	if latent == OneHotCategorical {
		ghat = softmaxJVP(in.probs(), h)
	} else {
		p := in.probs()
		d := Sub(SliceAxis(h, -1, AxisElem(1)), SliceAxis(h, -1, AxisElem(0)))
		ghat = Mul(Mul(p, OneMinus(p)), Squeeze(d, -1))
	}
	// The value (1/K) Σ_k f(x_k): f(x_k) is f(x_k^{0←c}) at the outcome c that variable 0 has in x_k.
	first := SliceAxis(fx, 0, AxisElem(0)) // (1, C, K, batch...)
	first = Reshape(first, append([]int{c, k}, in.batch...)...)
	var at *Node // (C, K, batch...): 1 at the outcome of variable 0
	if latent == OneHotCategorical {
		x0 := Squeeze(SliceAxis(x, -2, AxisElem(0)), -2) // (K, batch..., C)
		at = TransposeAllDims(x0, append([]int{nb + 1}, seq(nb+1)...)...)
	} else {
		x0 := Squeeze(SliceAxis(x, -1, AxisElem(0)), -1) // (K, batch...)
		at = Concatenate([]*Node{InsertAxes(OneMinus(x0), 0), InsertAxes(x0, 0)}, 0)
	}
	value := ReduceMean(ReduceSum(Mul(StopGradient(at), first), 0), 0)
	return in.surrogate(value, ghat)
}

// seq returns 0, 1, …, n−1.
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// EvaluationCounter is implemented by score-function estimators whose number of evaluations of f per example
// depends on the shape of the logits (IndeCateR: K·L·C), where Evaluations gives only K.
type EvaluationCounter interface {
	EvaluationsFor(latent Latent, logits shapes.Shape) int
}

// LossEvaluations returns the number of evaluations of f per example that e makes on logits of the given shape:
// EvaluationsFor when e implements EvaluationCounter, Evaluations otherwise (Exact's 0 stands for every outcome).
func LossEvaluations(e ScoreFunction, latent Latent, logits shapes.Shape) int {
	if c, ok := e.(EvaluationCounter); ok {
		return c.EvaluationsFor(latent, logits)
	}
	return e.Evaluations()
}

// eye returns the n×n identity matrix.
func eye(g *Graph, dt dtypes.DType, n int) *Node {
	return OneHot(Iota(g, shapes.Make(dtypes.Int32, n), 0), n, dt)
}
