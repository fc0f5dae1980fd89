package reinmax

import (
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

func (e ReinMax) tau() float64 { return orDefault(e.Tau, 1) }

// Sample implements StraightThrough.
func (e ReinMax) Sample(src Source, logits *Node) (hard, soft *Node) {
	checkLogits("reinmax", logits)
	return e.Given(src, logits, Categorical(src, logits))
}

// Given implements StraightThrough; ReinMax needs no noise besides the sample.
func (e ReinMax) Given(_ Source, logits, onehot *Node) (hard, soft *Node) {
	checkLogits("reinmax", logits)
	checkOneHot("reinmax", logits, onehot)
	must(e.Validate())
	theta := finite(logits)
	pi0 := StopGradient(Softmax(theta, -1))
	pi1 := MulScalar(Add(Softmax(DivScalar(StopGradient(theta), e.tau()), -1), onehot), 0.5)
	hard = withGradient(theta, onehot, func(gD *Node) *Node {
		return Sub(MulScalar(softmaxJVP(pi1, gD), 2), MulScalar(softmaxJVP(pi0, gD), 0.5))
	})
	return hard, Softmax(logits, -1)
}
