package reinmax

import (
	"cmp"

	. "github.com/gomlx/gomlx/core/graph"
)

// STGS is the straight-through Gumbel-Softmax estimator (Jang, Gu & Poole 2017), PyTorch's
// gumbel_softmax(logits, tau, hard=True).
//
// With θ the logits, G standard Gumbel noise, y = softmax((θ+G)/τ), g_D = ∂L/∂hard and g_p = ∂L/∂soft:
//
//	forward:  hard = D = onehot(argmax(θ+G)),  soft = softmax(θ)
//	backward: ∂L/∂θ = (1/τ)·J(y)·g_D + J(softmax(θ))·g_p
//
// By the Gumbel-max property D ~ Cat(softmax(θ)) exactly. Given draws G from its law conditioned on the sample, so
// STGS given D is GR-MCK with K = 1. Tau must be positive (the literature uses τ < 1); the zero value selects τ = 1.
//
// Reference: E. Jang, S. Gu, B. Poole, "Categorical Reparameterization with Gumbel-Softmax", ICLR 2017.
type STGS struct {
	Tau float64
}

// Name implements StraightThrough.
func (STGS) Name() string { return "stgs" }

// Validate returns an error unless the parameters are in range.
func (e STGS) Validate() error { return checkTau("stgs", e.tau(), 0) }

func (e STGS) tau() float64 { return cmp.Or(e.Tau, 1) }

// Sample implements StraightThrough.
func (e STGS) Sample(src Source, logits *Node) (hard, soft *Node) {
	checkLogits("stgs", logits)
	must(e.Validate())
	theta := finite(logits)
	z := Add(StopGradient(theta), gumbel(src, logits.Graph(), logits.Shape()))
	return relaxedJacobian(theta, oneHotArgMax(z), z, e.tau()), Softmax(logits, -1)
}

// Given implements StraightThrough.
func (e STGS) Given(src Source, logits, onehot *Node) (hard, soft *Node) {
	checkLogits("stgs", logits)
	checkOneHot("stgs", logits, onehot)
	must(e.Validate())
	theta := finite(logits)
	z := Squeeze(conditionalGumbel(src, theta, onehot, 1), 0)
	return relaxedJacobian(theta, onehot, z, e.tau()), Softmax(logits, -1)
}
