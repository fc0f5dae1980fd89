package nn

import (
	. "github.com/gomlx/gomlx/core/graph"
)

// ReLU returns max(x, 0), with the gradient v⊙1[x > 0] in closed form (0 at x = 0, as in PyTorch). The value is
// x + stop_gradient(max(x, 0) − x), exactly max(x, 0); GoMLX's own gradient of Max builds its indicator from two
// Sign operations and takes several times as long.
func ReLU(x *Node) *Node {
	r := MaxScalar(x, 0)
	positive := GreaterThan(r, ScalarZero(x.Graph(), x.DType()))
	xg := IdentityWithCustomGradient(x, func(_, v *Node) *Node {
		return Where(positive, v, ScalarZero(v.Graph(), v.DType()))
	})
	return Add(xg, StopGradient(Sub(r, x)))
}
