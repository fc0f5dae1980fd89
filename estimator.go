package reinmax

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

// StraightThrough is an estimator of the straight-through family: the forward pass draws a sample from the
// categorical distribution Cat(softmax(logits)) over the last axis, and the backward pass replaces the missing
// Jacobian of the sample with a surrogate.
//
// Both methods return hard, the sample (a one-hot tensor shaped like logits, except for GumbelSoftmax, whose sample
// is relaxed), and soft = softmax(logits) at temperature 1, differentiable in the usual way (use it for KL terms).
// The gradient that reaches logits through hard is the estimator; the one through soft is the exact J(π)·∂L/∂soft.
//
// Methods are graph-building functions: they panic, with an error naming the estimator, on invalid parameters or
// logits that are not float or have fewer than 2 categories; GoMLX's Exec returns that error.
type StraightThrough interface {
	// Name returns the estimator's registry name, for example "reinmax".
	Name() string
	// Sample draws the sample and any noise the estimator needs from src.
	Sample(src Source, logits *Node) (hard, soft *Node)
	// Given is Sample with the one-hot sample fixed to onehot (shaped like logits); noise the estimator needs is
	// drawn from its law conditioned on that sample, so that averaging Given over onehot ~ Cat(softmax(logits))
	// reproduces Sample's law.
	Given(src Source, logits, onehot *Node) (hard, soft *Node)
}

// Categorical draws one-hot samples D ~ Cat(softmax(logits)) over the last axis, by the Gumbel-max trick
// D = onehot(argmax(logits + G)). Categories with logit -Inf are never drawn. The result has the shape and dtype of
// logits and no gradient.
func Categorical(src Source, logits *Node) *Node {
	checkLogits("Categorical", logits)
	return oneHotArgMax(Add(StopGradient(logits), gumbel(src, logits.Graph(), logits.Shape())))
}

// oneHotArgMax returns onehot(argmax z) over the last axis, without gradient.
func oneHotArgMax(z *Node) *Node {
	return StopGradient(OneHot(ArgMax(z, -1), numCategories(z), z.DType()))
}

// softmaxJVP returns J(p)·v = p⊙v − p⟨p,v⟩ over the last axis, the product of the softmax Jacobian at p with v.
func softmaxJVP(p, v *Node) *Node {
	return Mul(p, Sub(v, ReduceAndKeep(Mul(p, v), ReduceSum, -1)))
}

// withGradient returns a node whose value is value and through which the gradient v arriving from the loss reaches
// logits as vjp(v). Logits must be finite (see finite): the node is built as value + (logits − logits).
func withGradient(logits, value *Node, vjp func(v *Node) *Node) *Node {
	zero := Sub(logits, StopGradient(logits))
	zero = IdentityWithCustomGradient(zero, func(_, v *Node) *Node { return vjp(v) })
	return Add(StopGradient(value), zero)
}

// finite replaces logits of -Inf (masked categories) by the lowest finite value of their dtype. Softmax still gives
// them probability exactly 0, while differences such as logits − logits stay finite.
func finite(logits *Node) *Node {
	lowest := -math.MaxFloat64
	if logits.DType() == dtypes.Float32 {
		lowest = -math.MaxFloat32
	}
	return MaxScalar(logits, lowest)
}

// numCategories is the size of the last axis.
func numCategories(logits *Node) int {
	return logits.Shape().Dimensions[logits.Rank()-1]
}

// checkLogits panics unless logits are float with at least 2 categories on the last axis.
func checkLogits(name string, logits *Node) {
	if !logits.DType().IsFloat() {
		panic(fmt.Errorf("reinmax: %s: logits must be float32 or float64, got %s", name, logits.DType()))
	}
	if logits.Rank() < 1 || numCategories(logits) < 2 {
		panic(fmt.Errorf("reinmax: %s: logits need at least 2 categories on the last axis, got shape %s", name, logits.Shape()))
	}
}

// checkOneHot panics unless onehot is shaped like logits.
func checkOneHot(name string, logits, onehot *Node) {
	if !onehot.Shape().Equal(logits.Shape()) {
		panic(fmt.Errorf("reinmax: %s: one-hot sample must have the shape of the logits %s, got %s", name, logits.Shape(), onehot.Shape()))
	}
}

// must panics with err while building a graph. Graph-building panics carry an error value: GoMLX's Exec turns
// those into returned errors, while a panic with another value leaves its compilation pending.
func must(err error) {
	if err != nil {
		panic(err)
	}
}

// checkTau returns an error unless tau is finite, positive and at least min.
func checkTau(name string, tau, min float64) error {
	if math.IsNaN(tau) || math.IsInf(tau, 0) || tau <= 0 || tau < min {
		if min > 0 {
			return fmt.Errorf("reinmax: %s: tau = %v, want tau >= %v", name, tau, min)
		}
		return fmt.Errorf("reinmax: %s: tau = %v, want a finite tau > 0", name, tau)
	}
	return nil
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
