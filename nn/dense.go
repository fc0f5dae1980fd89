package nn

import (
	"errors"
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Dense returns x·Wᵀ + b for x of shape (..., in), with W of shape (out, in) and b of shape (out), variables
// "weights" and "biases" of scope. W is stored as torch.nn.Linear stores it, and both are initialised as it
// initialises them: U(−1/√in, 1/√in).
//
// The gradient is computed in closed form: with v = ∂L/∂y,
//
//	∂L/∂x = v·W,   ∂L/∂W = vᵀ·x (summed over every leading axis of x),   ∂L/∂b = Σ v
//
// as products that the pure-Go backend multiplies in the layout it is given, with one transpose (of v). GoMLX's own
// gradient of DotGeneral ends the gradient of each operand with a transpose node, a full copy even when the
// permutation is the identity, and has the backend transpose both operands of vᵀ·x: on the categorical VAE that
// costs about a tenth of a training step. ∂L/∂x is only built when something upstream of x needs it (not for the
// input images, say).
func Dense(scope *model.Scope, x *Node, out int) *Node {
	g := x.Graph()
	rank := x.Rank()
	in := x.Shape().Dimensions[rank-1]
	bound := 1 / math.Sqrt(float64(in))
	scope = scope.WithInitializer(initializer.RandomUniformFn(scope, -bound, bound))
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), out, in)).NodeValue(g)
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), out)).NodeValue(g)

	// The output's custom gradient records v; the custom gradients of identities of x and W, which autodiff visits
	// later (it goes in reverse order of creation), turn it into the closed forms above. The product itself is
	// behind a stop-gradient, so that GoMLX's gradient of DotGeneral is never built.
	var v *Node
	xg := IdentityWithCustomGradient(x, func(_, _ *Node) *Node {
		checkRecorded(v)
		return DotGeneral(v, []int{rank - 1}, nil, w, []int{0}, nil)
	})
	wg := IdentityWithCustomGradient(w, func(_, _ *Node) *Node {
		checkRecorded(v)
		vt := Transpose(Reshape(v, -1, out), 0, 1) // (out, n), n the product of x's leading dimensions
		return DotGeneral(vt, []int{1}, nil, Reshape(xg, -1, in), []int{0}, nil)
	})
	product := StopGradient(DotGeneral(xg, []int{rank - 1}, nil, wg, []int{1}, nil))
	// A zero (0 times one element of x and of W) added to the bias puts xg and wg on the path from the loss, so
	// that autodiff calls their custom gradients; the gradient it would carry itself is never computed.
	zero := MulScalar(Add(firstElement(xg), firstElement(wg)), 0)
	y := Add(product, ExpandLeftToRank(Add(b, zero), rank))
	return IdentityWithCustomGradient(y, func(_, vy *Node) *Node {
		v = vy
		return vy
	})
}

// firstElement returns the element of x at index 0 on every axis, as a scalar.
func firstElement(x *Node) *Node {
	specs := make([]SliceAxisSpec, x.Rank())
	for i := range specs {
		specs[i] = AxisRange(0, 1)
	}
	return Reshape(Slice(x, specs...))
}

// checkRecorded panics if the gradient of a Dense output was not recorded before the gradients of its inputs were
// asked for, which would mean that autodiff no longer visits nodes in reverse order of creation.
func checkRecorded(v *Node) {
	if v == nil {
		panic(errors.New("nn: Dense: the gradient of the output was not seen before those of the inputs; GoMLX's autodiff order changed"))
	}
}
