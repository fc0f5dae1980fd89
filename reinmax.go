package reinmax

import (
	"cmp"

	. "github.com/gomlx/gomlx/core/graph"
)

// ReinMax is the second-order straight-through estimator of Liu et al. (2023).
//
// With θ the logits, π₀ = softmax(θ), D ~ Cat(π₀) one-hot, g_D = ∂L/∂hard and g_p = ∂L/∂soft:
//
//	forward:  hard = D,  soft = π₀
//	backward: ∂L/∂θ = 2·J(π₁)·g_D − ½·J(π₀)·g_D + J(π₀)·g_p,   π₁ = (softmax(θ/τ) + D) / 2
//
// where J(p)v = p⊙v − p⟨p,v⟩. The temperature only moves the point π₁ at which the Jacobian is evaluated: the
// sample is always drawn at temperature 1 and there is no 1/τ factor. At τ = 1 the expected gradient equals the Heun
// (trapezoidal) approximation of the true gradient, so it is unbiased whenever the loss is quadratic in D; straight-
// through is the forward-Euler approximation at the same cost.
//
// Tau must be at least 1, as in the original package; the zero value selects τ = 1. The paper's scripts use
// 1.1 to 1.5. Masked categories (logit -Inf) are never sampled and receive a zero gradient.
//
// Reference: L. Liu, C. Dong, X. Liu, B. Yu, J. Gao, "Bridging Discrete and Backpropagation: Straight-Through and
// Beyond", NeurIPS 2023, arXiv:2304.08612, Algorithm 2.
type ReinMax struct {
	Tau float64
}

// Name implements StraightThrough.
func (ReinMax) Name() string { return "reinmax" }

// Validate returns an error unless the parameters are in range.
func (e ReinMax) Validate() error { return checkTau("reinmax", e.tau(), 1) }

func (e ReinMax) tau() float64 { return cmp.Or(e.Tau, 1) }

// Sample implements StraightThrough.
func (e ReinMax) Sample(src Source, logits *Node) (hard, soft *Node) {
	checkLogits("reinmax", logits)
	must(e.Validate())
	pi0 := StopGradient(Softmax(logits, -1))
	return e.given(logits, sampleOneHot(src, pi0), pi0)
}

// Given implements StraightThrough; ReinMax needs no noise besides the sample.
func (e ReinMax) Given(_ Source, logits, onehot *Node) (hard, soft *Node) {
	checkLogits("reinmax", logits)
	checkOneHot("reinmax", logits, onehot)
	must(e.Validate())
	return e.given(logits, onehot, StopGradient(Softmax(logits, -1)))
}

// given returns hard = onehot and soft = π₀ with ReinMax's gradient in closed form, as the original package computes
// it (one product with J(π₀) for both outputs):
//
//	∂L/∂θ = 2·J(π₁)·g_D + J(π₀)·(g_p − ½·g_D),   2·J(π₁)·v = a⊙v − ½a⟨a, v⟩,   a = 2π₁ = softmax(θ/τ) + D
func (e ReinMax) given(logits, onehot, pi0 *Node) (hard, soft *Node) {
	p := pi0
	if tau := e.tau(); tau != 1 {
		p = StopGradient(Softmax(DivScalar(logits, tau), -1))
	}
	a := StopGradient(Add(p, onehot))
	return withGradients(logits, onehot, pi0, func(gD, gP *Node) *Node {
		var grad, u *Node
		if gD != nil {
			grad, u = shiftedJVP(a, gD), MulScalar(gD, -0.5)
		}
		return addGradients(grad, softmaxJVP(pi0, addGradients(u, gP)))
	})
}

// shiftedJVP returns 2·J(π₁)·v = a⊙v − ½a⟨a, v⟩ for a = 2π₁.
func shiftedJVP(a, v *Node) *Node {
	av := Mul(a, v)
	return Sub(av, Mul(a, MulScalar(ReduceAndKeep(av, ReduceSum, -1), 0.5)))
}
