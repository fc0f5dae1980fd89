package reinmax

import (
	"cmp"
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
)

// ReinMaxAlpha is ReinMax with a free mixing weight α (generalised ReinMax, Wang & Bui 2026): the point at which
// the second Jacobian is taken, π_α = (1 − β)·softmax(θ/τ) + β·D with β = 1/(2α), moves from softmax(θ/τ) towards
// the sample as α falls; α = 1 is ReinMax.
//
// With θ the logits, π₀ = softmax(θ), P = softmax(θ/τ), D ~ Cat(π₀) one-hot, g_D = ∂L/∂hard and g_p = ∂L/∂soft:
//
//	forward:  hard = D,  soft = π₀
//	backward: ∂L/∂θ = J(π_α)·g_D/(1 − β) − β·J(π₀)·g_D + J(π₀)·g_p
//	                = J(P)·g_D + β·(D − P)⟨D − P, g_D⟩ − β·J(π₀)·g_D + J(π₀)·g_p
//
// The two lines agree because J((1 − β)P + βD) = (1 − β)·[J(P) + β(D − P)(D − P)ᵀ] for one-hot D; the second is
// the one computed, and it is defined at α = ½ too, where π_α = D. As for ReinMax, τ only moves the point P; there
// is no 1/τ factor.
//
// What α does (at τ = 1, P = π₀): the estimator is (1 − 1/α)·ST + (1/α)·ReinMax for every sample, and its
// expectation is the two-node rule for f(e_i) − f(e_j) = ∫₀¹ ∇f(e_j + t(e_i − e_j))·(e_i − e_j) dt with weight
// 1 − β on the gradient at the sample's end and β = 1/(2α) on the far end: the weights (1 − 1/(2α), 1/(2α)) of
// the Runge-Kutta family of order two, with the second node fixed at the far vertex. β = ½ (α = 1) is the
// trapezoid (Heun): exact for losses quadratic in D. Every other α is first order: on a quadratic loss its bias is
// exactly (1 − 1/α) times ST's, so no α ≠ 1 stays exact (package oracle proves this: ReinMaxAlpha, Quadrature).
// α → ∞ tends to ST; α = ½ puts the whole weight on the far vertex. Every α is exact for losses linear in D. The
// coefficients 1/(1 − β) and −β are what makes the rule consistent: the code published with the paper uses
// 2·[diag(π_α) − π₁π_αᵀ] and −β, whose expectation for a linear loss is (2 − 1/α) times the true gradient.
//
// Alpha must be finite and at least ½, Tau at least 1 (as for ReinMax); the zero values select α = 1 and τ = 1.
// Masked categories (logit -Inf) are never sampled and receive a zero gradient.
//
// Reference: D. Wang, T. D. Bui, "Beyond ReinMax: Low-Variance Gradient Estimators for Discrete Latent Variables",
// arXiv:2603.08257, 2026; L. Liu et al., "Bridging Discrete and Backpropagation: Straight-Through and Beyond",
// NeurIPS 2023.
type ReinMaxAlpha struct {
	Tau   float64
	Alpha float64
}

// Name implements StraightThrough.
func (ReinMaxAlpha) Name() string { return "reinmax-alpha" }

// Validate returns an error unless the parameters are in range.
func (e ReinMaxAlpha) Validate() error {
	if err := checkTau(e.Name(), e.tau(), 1); err != nil {
		return err
	}
	return checkAlpha(e.Name(), e.alpha())
}

func (e ReinMaxAlpha) tau() float64   { return cmp.Or(e.Tau, 1) }
func (e ReinMaxAlpha) alpha() float64 { return cmp.Or(e.Alpha, 1) }

// checkAlpha returns an error naming the estimator unless alpha is finite and at least ½.
func checkAlpha(name string, alpha float64) error {
	if !(alpha >= 0.5) || math.IsInf(alpha, 0) {
		return fmt.Errorf("reinmax: %s: alpha = %v, want a finite alpha >= 0.5 (the mixing point (1-1/(2 alpha)) softmax(theta/tau) + D/(2 alpha) must lie between softmax(theta/tau) and D)", name, alpha)
	}
	return nil
}

// Sample implements StraightThrough.
func (e ReinMaxAlpha) Sample(src Source, logits *Node) (hard, soft *Node) {
	checkLogits(e.Name(), logits)
	must(e.Validate())
	pi0 := StopGradient(Softmax(logits, -1))
	return e.given(logits, sampleOneHot(src, pi0), pi0)
}

// Given implements StraightThrough; ReinMaxAlpha needs no noise besides the sample.
func (e ReinMaxAlpha) Given(_ Source, logits, onehot *Node) (hard, soft *Node) {
	checkLogits(e.Name(), logits)
	checkOneHot(e.Name(), logits, onehot)
	must(e.Validate())
	return e.given(logits, onehot, StopGradient(Softmax(logits, -1)))
}

// given returns hard = onehot and soft = π₀ with the gradient in closed form, J(P)·g_D + β·(D − P)⟨D − P, g_D⟩ +
// J(π₀)·(g_p − β·g_D); at τ = 1 the two products with J(π₀) are one, J(π₀)·((1 − β)·g_D + g_p).
func (e ReinMaxAlpha) given(logits, onehot, pi0 *Node) (hard, soft *Node) {
	beta := 1 / (2 * e.alpha())
	tau := e.tau()
	p := pi0
	if tau != 1 {
		p = StopGradient(Softmax(DivScalar(logits, tau), -1))
	}
	dp := StopGradient(Sub(onehot, p)) // D − P
	return withGradients(logits, onehot, pi0, func(gD, gP *Node) *Node {
		var grad, u *Node
		if gD != nil {
			grad = MulScalar(Mul(dp, ReduceAndKeep(Mul(dp, gD), ReduceSum, -1)), beta)
			if tau == 1 {
				u = MulScalar(gD, 1-beta)
			} else {
				grad = Add(grad, softmaxJVP(p, gD))
				u = MulScalar(gD, -beta)
			}
		}
		return addGradients(grad, softmaxJVP(pi0, addGradients(u, gP)))
	})
}
