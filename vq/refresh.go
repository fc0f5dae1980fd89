package vq

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/f60e9205/reinmax"
)

// Names of the variables Refresh keeps in the quantiser's scope besides the codebook; neither is trainable.
const (
	RefreshCountsVariable = "refresh_counts" // (K): how many inputs chose each code since the last refresh
	RefreshStepsVariable  = "refresh_steps"  // scalar int32: training steps since the last refresh
)

// Refresh replaces dead codes of the codebook of scope (see Apply), a common remedy for codebooks of which training
// uses only a part: every RefreshEvery calls, each code that no input chose (index) during those calls is replaced by
// a vector of z drawn uniformly from the current batch, with replacement. It returns the number of codes replaced by
// this call (0 on the other calls), a scalar of z's dtype; with RefreshEvery = 0 it does nothing and returns 0.
//
// Call it once per training step, inside the training graph and after the optimiser's update, with the step's vectors
// z and Result.Index: it sets the codebook from its updated value. The optimiser's moments of a replaced code are left
// as they are. The counts and the step counter are variables of scope (RefreshCountsVariable,
// RefreshStepsVariable), saved with the model; the draw comes from scope's random number generator at every call.
//
// Reference: the restart of unused codes of J. Dhariwal et al., "Jukebox: A Generative Model for Music",
// arXiv:2005.00341, 2020, section 2.4 (with a count over a window in place of a moving average).
func (q Quantizer) Refresh(scope *model.Scope, z, index *Node) *Node {
	g := z.Graph()
	dtype := z.DType()
	if q.RefreshEvery == 0 {
		return ScalarZero(g, dtype)
	}
	codebook := q.Codebook(scope, z) // validates q
	flat, _ := checkShapes("Refresh", z, codebook)
	if !index.DType().IsInt() || index.Shape().Size() != flat.Shape().Dimensions[0] {
		panic(fmt.Errorf("vq: Refresh: index of shape %s, want one integer code per vector of z %s", index.Shape(), z.Shape()))
	}
	n := flat.Shape().Dimensions[0]
	zeros := scope.WithInitializer(initializer.Zero)
	countsVar := zeros.VariableWithShape(RefreshCountsVariable, shapes.Make(dtype, q.Codes)).SetTrainable(false)
	stepsVar := zeros.VariableWithShape(RefreshStepsVariable, shapes.Make(dtypes.Int32)).SetTrainable(false)

	counts := Add(countsVar.NodeValue(g), ReduceSum(OneHot(Reshape(index, n), q.Codes, dtype), 0))
	steps := AddScalar(stepsVar.NodeValue(g), 1)
	fire := GreaterOrEqual(steps, Const(g, int32(q.RefreshEvery)))
	dead := And(BroadcastToDims(fire, q.Codes), Equal(counts, ScalarZero(g, dtype)))

	u := reinmax.ScopeSource(scope).Uniform(g, shapes.Make(dtype, q.Codes))
	rows := MinScalar(ConvertDType(Floor(MulScalar(u, float64(n))), dtypes.Int32), float64(n-1))
	fresh := Gather(StopGradient(flat), InsertAxes(rows, -1))
	cbVar := scope.VariableWithShape(CodebookVariable, codebook.Shape())
	cbVar.SetNodeValue(Where(dead, fresh, cbVar.NodeValue(g)))
	countsVar.SetNodeValue(Where(fire, ScalarZero(g, dtype), counts))
	stepsVar.SetNodeValue(Where(fire, Const(g, int32(0)), steps))
	return ReduceSum(ConvertDType(dead, dtype))
}
