package reinmax

import (
	"cmp"

	. "github.com/gomlx/gomlx/core/graph"
)

// ST is the straight-through estimator (Bengio, Léonard & Courville 2013) in the form the ReinMax and GST papers
// compare with.
//
// With θ the logits, π₀ = softmax(θ), D ~ Cat(π₀) one-hot, g_D = ∂L/∂hard and g_p = ∂L/∂soft:
//
//	forward:  hard = D,  soft = π₀
//	backward: ∂L/∂θ = (1/τ)·J(softmax(θ/τ))·g_D + J(π₀)·g_p
//
// that is, hard = D + P − stop_gradient(P) with P = softmax(θ/τ). The temperature scales and reshapes the surrogate
// only; the sample is drawn at temperature 1. At τ = 1 the expected gradient is the forward-Euler (first-order)
// approximation of the true gradient.
//
// Tau must be positive; the zero value selects τ = 1.
//
// Reference: Y. Bengio, N. Léonard, A. Courville, "Estimating or Propagating Gradients Through Stochastic Neurons for
// Conditional Computation", arXiv:1308.3432, 2013.
type ST struct {
	Tau float64
}

// Name implements StraightThrough.
func (ST) Name() string { return "st" }

// Validate returns an error unless the parameters are in range.
func (e ST) Validate() error { return checkTau("st", e.tau(), 0) }

func (e ST) tau() float64 { return cmp.Or(e.Tau, 1) }

// Sample implements StraightThrough.
func (e ST) Sample(src Source, logits *Node) (hard, soft *Node) {
	checkLogits("st", logits)
	must(e.Validate())
	pi0 := StopGradient(Softmax(logits, -1))
	return e.given(logits, sampleOneHot(src, pi0), pi0)
}

// Given implements StraightThrough; ST needs no noise besides the sample.
func (e ST) Given(_ Source, logits, onehot *Node) (hard, soft *Node) {
	checkLogits("st", logits)
	checkOneHot("st", logits, onehot)
	must(e.Validate())
	return e.given(logits, onehot, StopGradient(Softmax(logits, -1)))
}

// given returns hard = onehot and soft = π₀ with ST's gradient, in closed form: (1/τ)·J(P)·g_D + J(π₀)·g_p, which at
// τ = 1 (P = π₀) is the single product J(π₀)·(g_D + g_p).
func (e ST) given(logits, onehot, pi0 *Node) (hard, soft *Node) {
	tau := e.tau()
	if tau == 1 {
		return withGradients(logits, onehot, pi0, func(gD, gP *Node) *Node {
			return softmaxJVP(pi0, addGradients(gD, gP))
		})
	}
	p := StopGradient(Softmax(DivScalar(logits, tau), -1))
	return withGradients(logits, onehot, pi0, func(gD, gP *Node) *Node {
		var grad *Node
		if gD != nil {
			grad = DivScalar(softmaxJVP(p, gD), tau)
		}
		if gP != nil {
			grad = addGradients(grad, softmaxJVP(pi0, gP))
		}
		return grad
	})
}

// relaxedJacobian returns a node with the value of onehot whose gradient to theta is (1/τ)·J(softmax(z/τ))·g_D,
// averaged over the leading axis of z when z has one more axis than theta (K perturbed copies of the logits).
func relaxedJacobian(theta, onehot, z *Node, tau float64) *Node {
	p := StopGradient(Softmax(DivScalar(z, tau), -1))
	return withGradient(theta, onehot, func(gD *Node) *Node {
		if p.Rank() == gD.Rank() {
			return DivScalar(softmaxJVP(p, gD), tau)
		}
		k := p.Shape().Dimensions[0]
		return DivScalar(ReduceSum(softmaxJVP(p, InsertAxes(gD, 0)), 0), tau*float64(k))
	})
}
