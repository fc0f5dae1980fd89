package reinmax

import (
	"errors"
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
// D = onehot(argmax(logits + G)) (see sampleOneHot). Categories with logit -Inf are never drawn. The result has the
// shape and dtype of logits and no gradient.
func Categorical(src Source, logits *Node) *Node {
	checkLogits("Categorical", logits)
	return sampleOneHot(src, StopGradient(Softmax(logits, -1)))
}

// sampleOneHot draws one-hot samples D ~ Cat(p) over the last axis of probabilities p = softmax(θ) by the
// Gumbel-max trick, D = onehot(argmax_c θ_c + G_c) with G_c = −log(−log u_c), computed with one logarithm per
// category instead of two: exp is increasing, so the argmax is that of exp(θ_c + G_c) ∝ p_c/(−log u_c), which is
// the argmin of p_c/log u_c (log u_c < 0). A category with p_c = 0 (a masked logit) gives 0, above every other
// ratio, so it is never drawn. Up to rounding in near ties, the sample is the one the textbook form draws from the
// same uniforms; the pure-Go backend's logarithm is its dearest element-wise operation.
func sampleOneHot(src Source, p *Node) *Node {
	ratio := Div(p, Log(src.Uniform(p.Graph(), p.Shape())))
	return StopGradient(OneHot(ArgMin(ratio, -1), numCategories(p), p.DType()))
}

// oneHotArgMax returns onehot(argmax z) over the last axis, without gradient.
func oneHotArgMax(z *Node) *Node {
	return StopGradient(OneHot(ArgMax(z, -1), numCategories(z), z.DType()))
}

// softmaxJVP returns J(p)·v = p⊙v − p⟨p,v⟩ over the last axis, the product of the softmax Jacobian at p with v.
// Written so that p⊙v is computed once and only one operation broadcasts ⟨p,v⟩.
func softmaxJVP(p, v *Node) *Node {
	pv := Mul(p, v)
	return Sub(pv, Mul(p, ReduceAndKeep(pv, ReduceSum, -1)))
}

// withGradient returns a node with the value of value, through which the gradient v arriving from the loss reaches
// logits as vjp(v). See withGradients.
func withGradient(logits, value *Node, vjp func(v *Node) *Node) *Node {
	hard, _ := withGradients(logits, value, nil, func(gHard, _ *Node) *Node { return vjp(gHard) })
	return hard
}

// withGradients returns two nodes with the values of hard and soft (soft may be nil, and then so is the second
// result), through which the gradients gHard and gSoft arriving from the loss reach logits as vjp(gHard, gSoft). An
// argument of vjp is nil when the loss does not depend on that output; vjp is called during autodiff, once for
// every gradient computed.
//
// The outputs record the gradients arriving at them, and a custom gradient on an identity of logits returns vjp of
// the recorded gradients: GoMLX's autodiff visits nodes in reverse order of creation, so the outputs' gradients are
// complete before that of logits is asked for. The identity of logits is put on the outputs' path from the loss
// with a zero that is a selection (Where), not arithmetic, so that masked logits of -Inf cannot make it NaN. No
// other work is done: one graph pass for each output (adding the scalar zero), against the several element-wise
// passes of autodiff through the value + (θ − stop_gradient(θ)) surrogate.
func withGradients(logits, hard, soft *Node, vjp func(gHard, gSoft *Node) *Node) (*Node, *Node) {
	var gHard, gSoft *Node
	carrier := IdentityWithCustomGradient(logits, func(_, _ *Node) *Node {
		d, p := gHard, gSoft
		gHard, gSoft = nil, nil // consumed: a later gradient of the same graph records its own
		if d == nil && p == nil {
			panic(errors.New("reinmax: the gradient of an estimator's output was not recorded before that of the logits; GoMLX's autodiff order changed"))
		}
		return vjp(d, p)
	})
	g := logits.Graph()
	first := Reshape(Slice(carrier, repeatSpec(carrier.Rank(), AxisRange(0, 1))...))
	zero := Where(Const(g, false), first, ScalarZero(g, logits.DType()))
	record := func(value *Node, dst **Node) *Node {
		if !value.StopGradient() {
			value = StopGradient(value)
		}
		return IdentityWithCustomGradient(Add(value, zero), func(_, v *Node) *Node {
			*dst = v
			return v
		})
	}
	hard = record(hard, &gHard)
	if soft != nil {
		soft = record(soft, &gSoft)
	}
	return hard, soft
}

// repeatSpec returns n copies of spec.
func repeatSpec(n int, spec SliceAxisSpec) []SliceAxisSpec {
	specs := make([]SliceAxisSpec, n)
	for i := range specs {
		specs[i] = spec
	}
	return specs
}

// addGradients returns a + b, either of which may be nil (no gradient).
func addGradients(a, b *Node) *Node {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return Add(a, b)
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
