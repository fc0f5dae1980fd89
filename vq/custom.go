package vq

import (
	"errors"

	. "github.com/gomlx/gomlx/core/graph"
)

// withVJP returns a node with the value of value, which carries no gradient of its own, through which the gradient v
// arriving from the loss reaches inputs[i] as vjp(v, i).
//
// GoMLX's autodiff visits nodes in reverse order of creation: the output, created last, records v before the
// identities of the inputs ask for their gradients, and each builds only its own (an input that needs no gradient
// costs nothing). The identities are put on the output's path with zeros made by a selection (Where), not by
// arithmetic, so that no pass over an input is made and no input value can turn the output into NaN.
func withVJP(value *Node, inputs []*Node, vjp func(v *Node, i int) *Node) *Node {
	g := value.Graph()
	var v *Node
	zero := ScalarZero(g, value.DType())
	for i, x := range inputs {
		carrier := IdentityWithCustomGradient(x, func(_, _ *Node) *Node {
			if v == nil {
				panic(errors.New("vq: the gradient of a quantiser's output was not recorded before that of its inputs; GoMLX's autodiff order changed"))
			}
			return vjp(v, i)
		})
		first := Reshape(Slice(carrier, firstSpec(carrier.Rank())...))
		zero = Add(zero, Where(Const(g, false), ConvertDType(first, value.DType()), ScalarZero(g, value.DType())))
	}
	return IdentityWithCustomGradient(Add(StopGradient(value), zero), func(_, gv *Node) *Node {
		v = gv
		return gv
	})
}

// firstSpec selects the first element of every one of n axes.
func firstSpec(n int) []SliceAxisSpec {
	specs := make([]SliceAxisSpec, n)
	for i := range specs {
		specs[i] = AxisRange(0, 1)
	}
	return specs
}
