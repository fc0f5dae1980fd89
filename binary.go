package reinmax

import (
	"cmp"
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
)

// Binary is the Bernoulli form of a straight-through estimator, for binary variables b_l ~ Bernoulli(σ(α_l)) with
// one logit α_l per variable, as a sigmoid layer produces them. It is the estimator's categorical form with two
// categories and logits θ = (α, 0), written as scalars: b = D₀, σ(α) = softmax(θ)₀, and the gradient to α is the
// gradient to θ₀. It needs no category axis, draws one uniform per variable instead of one per category, and its
// backward pass is element-wise: J(p)·v for p = (σ(α), σ(−α)) and v = (g, 0) is σ'(α)·g, σ' = σ(1 − σ).
//
// logits have shape (..., L); latent must be Bernoulli (the convention of ScoreFunction.Estimate), and the methods
// panic, naming the estimator, when it is OneHotCategorical: categorical logits (..., L, C) go to the
// StraightThrough methods. hard = b ∈ {0, 1} and soft = σ(α) have the shape of the logits; the gradient through
// hard is the estimator, the one through soft the exact σ'(α)·∂L/∂soft. With g = ∂L/∂hard, P_τ = σ(α/τ) and
// p = σ(α) (at temperature 1):
//
//	st              b ~ Bernoulli(p)                  (1/τ)·σ'(α/τ)·g
//	stgs            b = 1[α + ε > 0], ε logistic      (1/τ)·σ'((α + ε)/τ)·g
//	reinmax         b ~ Bernoulli(p)                  2q(1 − q)·g − ½σ'(α)·g,  q = (P_τ + b)/2
//	reinmax-alpha   b ~ Bernoulli(p)                  σ'(α/τ)·g + β(b − P_τ)²·g − β·σ'(α)·g,  β = 1/(2α)
//	decoupled-st    b ~ Bernoulli(σ(α/τ_f))           (1/τ)·σ'(α/τ)·g
//	decoupled-stgs  b = 1[α + τ_f ε > 0]              (1/τ)·σ'((α + τ_f ε)/τ)·g
//
// ε = G₀ − G₁ is the difference of the two categories' Gumbels, a standard logistic variable, drawn by inversion
// from the same uniform as b: ε = −logit(u) and b = 1[u < σ(α)]. Given draws ε from its law conditioned on b.
// Logits of ±Inf give b = 1 or 0 always and a zero gradient. NewBinary returns the Bernoulli form by registry name.
type Binary interface {
	// Name returns the estimator's registry name.
	Name() string
	// SampleBinary draws b and any noise the estimator needs from src.
	SampleBinary(src Source, latent Latent, logits *Node) (hard, soft *Node)
	// GivenBinary is SampleBinary with the sample fixed to bits (0 or 1, shaped like logits); noise is drawn from its
	// law conditioned on bits.
	GivenBinary(src Source, latent Latent, logits, bits *Node) (hard, soft *Node)
}

// checkBinary panics, naming the estimator, unless latent is Bernoulli and the logits are float with at least one
// axis, and (when bits is not nil) bits has their shape.
func checkBinary(name string, latent Latent, logits, bits *Node) {
	if latent != Bernoulli {
		panic(fmt.Errorf("reinmax: %s: the Bernoulli form takes Bernoulli logits (..., L), one per binary variable; got %s logits of shape %s (categorical logits (..., L, C) go to Sample and Given; for C = 2, logits (α, 0) give this estimator)",
			name, latent, logits.Shape()))
	}
	if !logits.DType().IsFloat() {
		panic(fmt.Errorf("reinmax: %s: logits must be float32 or float64, got %s", name, logits.DType()))
	}
	if logits.Rank() < 1 {
		panic(fmt.Errorf("reinmax: %s: Bernoulli logits need a last axis of variables (..., L), got shape %s", name, logits.Shape()))
	}
	if bits != nil && !bits.Shape().Equal(logits.Shape()) {
		panic(fmt.Errorf("reinmax: %s: the bits must have the shape of the logits %s, got %s", name, logits.Shape(), bits.Shape()))
	}
}

// checkForm panics, naming e, unless its parameters are valid and the input of its Bernoulli form is (see checkBinary).
func checkForm(e validator, latent Latent, logits, bits *Node) {
	checkBinary(e.Name(), latent, logits, bits)
	must(e.Validate())
}

// sigmoidSlope returns σ'(x) = σ(x)·σ(−x), accurate for large |x| (0 at ±Inf).
func sigmoidSlope(x *Node) *Node { return Mul(Sigmoid(x), Sigmoid(Neg(x))) }

// binaryGradients returns hard = bits and soft = σ(α), through which the gradients g = ∂L/∂hard and ∂L/∂soft reach
// the logits as slope⊙g + σ'(α)⊙∂L/∂soft.
func binaryGradients(logits, bits, slope *Node) (hard, soft *Node) {
	p := StopGradient(Sigmoid(logits))
	softSlope := StopGradient(sigmoidSlope(logits))
	slope = StopGradient(slope)
	return withGradients(logits, bits, p, func(gD, gP *Node) *Node {
		var grad *Node
		if gD != nil {
			grad = Mul(slope, gD)
		}
		if gP != nil {
			grad = addGradients(grad, Mul(softSlope, gP))
		}
		return grad
	})
}

// relaxedSlope returns (1/τ)·σ'(x/τ), the derivative of σ(x/τ).
func relaxedSlope(x *Node, tau float64) *Node {
	if tau == 1 {
		return sigmoidSlope(x)
	}
	return DivScalar(sigmoidSlope(DivScalar(x, tau)), tau)
}

// bernoulliBits draws b = 1[u < σ(α/τ_f)] and returns b and u.
func bernoulliBits(src Source, logits *Node, tf float64) (bits, u *Node) {
	a := StopGradient(logits)
	if tf != 1 {
		a = DivScalar(a, tf)
	}
	u = src.Uniform(a.Graph(), a.Shape())
	return bernoulliBelow(u, Sigmoid(a)), u
}

// perturbed returns Δ = α − τ_f·logit(u) = α + τ_f ε (ε = −logit(u) is standard logistic), without gradient; Δ > 0
// exactly when u < σ(α/τ_f), up to rounding at the boundary.
func perturbed(logits, u *Node, tf float64) *Node {
	logit := Sub(Log(u), Log1p(Neg(u)))
	return StopGradient(Sub(logits, MulScalar(logit, tf)))
}

// conditionalPerturbed returns Δ = α − τ_f·logit(u) for u uniform on (0, σ(a)) when bits is 1 and on (σ(a), 1) when
// it is 0, a = α/τ_f: the logistic perturbation conditioned on the sample. With v ~ U(0, 1) from src, u = v·σ(a) or
// 1 − v·σ(−a), and the logarithms are taken in the form that keeps their precision:
//
//	b = 1: logit(u) = log v − softplus(−a) − log1p(−v·σ(a))
//	b = 0: logit(u) = log1p(−v·σ(−a)) − log v + softplus(a)
func conditionalPerturbed(src Source, logits, bits *Node, tf float64) *Node {
	a := StopGradient(logits)
	if tf != 1 {
		a = DivScalar(a, tf)
	}
	v := src.Uniform(a.Graph(), a.Shape())
	logV := Log(v)
	one := Sub(Sub(logV, softplus(Neg(a))), Log1p(Neg(Mul(v, Sigmoid(a)))))
	zero := Add(Sub(Log1p(Neg(Mul(v, Sigmoid(Neg(a))))), logV), softplus(a))
	logit := Where(GreaterThan(bits, ScalarZero(a.Graph(), a.DType())), one, zero)
	return StopGradient(Sub(logits, MulScalar(logit, tf)))
}

// softplus returns log(1 + eˣ) as max(x, 0) + log1p(e^−|x|): 0 at −Inf and +Inf at +Inf (graph.Softplus of GoMLX
// v0.28.2 returns −Inf at −Inf).
func softplus(x *Node) *Node {
	return Add(MaxScalar(x, 0), Log1p(Exp(Neg(Abs(x)))))
}

// stBinary is the Bernoulli form of ST and DecoupledST: b ~ Bernoulli(σ(α/τ_f)) unless bits are given, gradient
// (1/τ)·σ'(α/τ)·g.
func stBinary(src Source, logits, bits *Node, tau, tf float64) (hard, soft *Node) {
	if bits == nil {
		bits, _ = bernoulliBits(src, logits, tf)
	}
	return binaryGradients(logits, bits, relaxedSlope(logits, tau))
}

// stgsBinary is the Bernoulli form of STGS and DecoupledSTGS: Δ = α + τ_f ε, b = 1[Δ > 0] unless bits are given
// (then ε is drawn given b), gradient (1/τ)·σ'(Δ/τ)·g.
func stgsBinary(src Source, logits, bits *Node, tau, tf float64) (hard, soft *Node) {
	var delta *Node
	if bits == nil {
		var u *Node
		bits, u = bernoulliBits(src, logits, tf)
		delta = perturbed(logits, u, tf)
	} else {
		delta = conditionalPerturbed(src, logits, bits, tf)
	}
	return binaryGradients(logits, bits, relaxedSlope(delta, tau))
}

// alphaBinary is the Bernoulli form of ReinMaxAlpha (and of ReinMax at α = 1): b ~ Bernoulli(σ(α)) unless bits are
// given, gradient (σ'(α/τ) − β·σ'(α) + β(b − P_τ)²)·g, the scalar form of J(P)·g_D + β(D − P)⟨D − P, g_D⟩ −
// β·J(π₀)·g_D at θ = (α, 0). At β = ½ it is ReinMax's 2q(1 − q) − ½σ'(α), q = (P_τ + b)/2.
func alphaBinary(src Source, logits, bits *Node, tau, alpha float64) (hard, soft *Node) {
	if bits == nil {
		bits, _ = bernoulliBits(src, logits, 1)
	}
	beta := 1 / (2 * alpha)
	pt := Sigmoid(DivScalar(logits, tau))
	d := Sub(bits, pt)
	slope := Add(Sub(sigmoidSlope(DivScalar(logits, tau)), MulScalar(sigmoidSlope(logits), beta)), MulScalar(Mul(d, d), beta))
	return binaryGradients(logits, bits, slope)
}

// SampleBinary implements Binary.
func (e ST) SampleBinary(src Source, latent Latent, logits *Node) (hard, soft *Node) {
	return e.GivenBinary(src, latent, logits, nil)
}

// GivenBinary implements Binary.
func (e ST) GivenBinary(src Source, latent Latent, logits, bits *Node) (hard, soft *Node) {
	checkForm(e, latent, logits, bits)
	return stBinary(src, logits, bits, e.tau(), 1)
}

// SampleBinary implements Binary.
func (e DecoupledST) SampleBinary(src Source, latent Latent, logits *Node) (hard, soft *Node) {
	return e.GivenBinary(src, latent, logits, nil)
}

// GivenBinary implements Binary.
func (e DecoupledST) GivenBinary(src Source, latent Latent, logits, bits *Node) (hard, soft *Node) {
	checkForm(e, latent, logits, bits)
	return stBinary(src, logits, bits, cmp.Or(e.Tau, 1), cmp.Or(e.TauForward, 1))
}

// SampleBinary implements Binary.
func (e STGS) SampleBinary(src Source, latent Latent, logits *Node) (hard, soft *Node) {
	return e.GivenBinary(src, latent, logits, nil)
}

// GivenBinary implements Binary.
func (e STGS) GivenBinary(src Source, latent Latent, logits, bits *Node) (hard, soft *Node) {
	checkForm(e, latent, logits, bits)
	return stgsBinary(src, logits, bits, e.tau(), 1)
}

// SampleBinary implements Binary.
func (e DecoupledSTGS) SampleBinary(src Source, latent Latent, logits *Node) (hard, soft *Node) {
	return e.GivenBinary(src, latent, logits, nil)
}

// GivenBinary implements Binary.
func (e DecoupledSTGS) GivenBinary(src Source, latent Latent, logits, bits *Node) (hard, soft *Node) {
	checkForm(e, latent, logits, bits)
	return stgsBinary(src, logits, bits, cmp.Or(e.Tau, 1), cmp.Or(e.TauForward, 1))
}

// SampleBinary implements Binary.
func (e ReinMax) SampleBinary(src Source, latent Latent, logits *Node) (hard, soft *Node) {
	return e.GivenBinary(src, latent, logits, nil)
}

// GivenBinary implements Binary.
func (e ReinMax) GivenBinary(src Source, latent Latent, logits, bits *Node) (hard, soft *Node) {
	checkForm(e, latent, logits, bits)
	return alphaBinary(src, logits, bits, e.tau(), 1)
}

// SampleBinary implements Binary.
func (e ReinMaxAlpha) SampleBinary(src Source, latent Latent, logits *Node) (hard, soft *Node) {
	return e.GivenBinary(src, latent, logits, nil)
}

// GivenBinary implements Binary.
func (e ReinMaxAlpha) GivenBinary(src Source, latent Latent, logits, bits *Node) (hard, soft *Node) {
	checkForm(e, latent, logits, bits)
	return alphaBinary(src, logits, bits, e.tau(), e.alpha())
}
