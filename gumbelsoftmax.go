package reinmax

import (
	"cmp"

	. "github.com/gomlx/gomlx/core/graph"
)

// GumbelSoftmax is the relaxed Gumbel-Softmax (Concrete) estimator (Jang, Gu & Poole 2017; Maddison, Mnih & Teh
// 2017): the forward value is not one-hot but the relaxed sample itself.
//
// With θ the logits and G standard Gumbel noise:
//
//	forward:  hard = y = softmax((θ+G)/τ),  soft = softmax(θ)
//	backward: the exact gradient of y, (1/τ)·J(y)·∂L/∂y, plus J(softmax(θ))·∂L/∂soft
//
// The estimator is biased for a loss defined on one-hot samples because the loss is evaluated away from the simplex
// vertices; as τ → 0, y tends to the one-hot onehot(argmax(θ+G)) ~ Cat(softmax(θ)) and the variance grows like 1/τ.
// Tau must be positive; the zero value selects τ = 1.
//
// Reference: E. Jang, S. Gu, B. Poole, "Categorical Reparameterization with Gumbel-Softmax", ICLR 2017;
// C. J. Maddison, A. Mnih, Y. W. Teh, "The Concrete Distribution", ICLR 2017.
type GumbelSoftmax struct {
	Tau float64
}

// Name implements StraightThrough.
func (GumbelSoftmax) Name() string { return "gumbel-softmax" }

// Validate returns an error unless the parameters are in range.
func (e GumbelSoftmax) Validate() error { return checkTau("gumbel-softmax", e.tau(), 0) }

func (e GumbelSoftmax) tau() float64 { return cmp.Or(e.Tau, 1) }

// Sample implements StraightThrough; hard is the relaxed sample y.
func (e GumbelSoftmax) Sample(src Source, logits *Node) (hard, soft *Node) {
	checkLogits("gumbel-softmax", logits)
	must(e.Validate())
	return e.relax(finite(logits), gumbel(src, logits.Graph(), logits.Shape())), Softmax(logits, -1)
}

// Given implements StraightThrough: the Gumbel noise is conditioned on argmax(θ+G) being the category of onehot,
// and hard is the relaxed sample y, whose argmax is that category.
func (e GumbelSoftmax) Given(src Source, logits, onehot *Node) (hard, soft *Node) {
	checkLogits("gumbel-softmax", logits)
	checkOneHot("gumbel-softmax", logits, onehot)
	must(e.Validate())
	theta := finite(logits)
	noise := Sub(Squeeze(conditionalGumbel(src, theta, onehot, 1), 0), StopGradient(theta))
	return e.relax(theta, noise), Softmax(logits, -1)
}

// relax returns softmax((θ + noise)/τ), differentiable in θ.
func (e GumbelSoftmax) relax(theta, noise *Node) *Node {
	return Softmax(DivScalar(Add(theta, StopGradient(noise)), e.tau()), -1)
}
