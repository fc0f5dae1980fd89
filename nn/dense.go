package nn

import (
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Dense returns x·W + b for x of shape (..., in), with W of shape (in, out) and b of shape (out), variables
// "weights" and "biases" of scope. Both are initialised as torch.nn.Linear does: U(−1/√in, 1/√in).
//
// The product is a single DotGeneral over the last axis, whose gradient is two DotGenerals.
func Dense(scope *model.Scope, x *Node, out int) *Node {
	in := x.Shape().Dimensions[x.Rank()-1]
	bound := 1 / math.Sqrt(float64(in))
	scope = scope.WithInitializer(initializer.RandomUniformFn(scope, -bound, bound))
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), in, out)).NodeValue(x.Graph())
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), out)).NodeValue(x.Graph())
	y := DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{0}, nil)
	return Add(y, ExpandLeftToRank(b, y.Rank()))
}
