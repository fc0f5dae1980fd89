package moe

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/f60e9205/reinmax"
)

// Experts evaluates the E experts of a layer at once: x has shape (E, n, d), block e holding n inputs of expert
// e, and the result has shape (E, n, d_out), block e holding expert e's outputs. Rows must be independent (an
// output row depends on its input row only): Forward fills unused rows with zeros and discards their outputs.
type Experts func(x *Node) *Node

// ExpertCapacity returns the number of tokens each expert takes of a batch of tokens: min(T, ⌈c·K·T/E⌉), at least 1.
func (r Router) ExpertCapacity(tokens, experts int) int {
	c := int(math.Ceil(r.Capacity * float64(r.TopK) * float64(tokens) / float64(experts)))
	return max(1, min(tokens, c))
}

// Forward routes the T tokens x, shape (T, d), by the router logits (T, E) and returns the layer's output
// y_t = Σ_e w_{t,e} f_e(x_t), shape (T, d_out), and the decision with its capacity statistics and balancing loss.
//
// Assignments beyond an expert's capacity (ExpertCapacity) are dropped: the first choices of all tokens come
// before any second choice, each in token order. A dropped assignment's weight is multiplied by 0: it adds nothing
// to its token's output and ∂L/∂w is 0 there, while the experts not chosen keep theirs (the methods that read them
// see where else the token could go). Switch, sparsemixer and sparsemixer-v2 run each expert on its C dispatched
// tokens only, through a (T, E, C) one-hot dispatch as the Switch Transformer does with static shapes (memory and
// time O(T·E·C): meant for batches of up to a few thousand tokens); densemixer and the straight-through estimators
// run every expert on every token, which their gradients need; dense runs every expert and drops nothing.
//
// It panics, with an error, when the router is not valid, when logits and x do not have the same dtype and number
// of tokens, or when experts returns a tensor of the wrong shape.
func (r Router) Forward(src reinmax.Source, logits, x *Node, experts Experts) (*Node, Decision) {
	d := r.Route(src, logits)
	if x.Rank() != 2 || x.DType() != logits.DType() || x.Shape().Dimensions[0] != logits.Shape().Dimensions[0] {
		panic(fmt.Errorf("moe: tokens of shape %s for router logits %s, want (%d, d) of the same dtype",
			x.Shape(), logits.Shape(), logits.Shape().Dimensions[0]))
	}
	g := logits.Graph()
	dt := logits.DType()
	t, e := logits.Shape().Dimensions[0], logits.Shape().Dimensions[1]
	zero := ScalarZero(g, dt)
	choices := make([]*Node, r.TopK)
	for j := range choices {
		choices[j] = oneHot(Squeeze(SliceAxis(d.Choice, -1, AxisElem(j)), -1), logits)
	}
	all := sum(choices)
	d.Load = ReduceSum(all, 0)
	d.Balance = MulScalar(ReduceAllSum(Mul(DivScalar(d.Load, float64(r.TopK*t)), ReduceMean(d.Probs, 0))), float64(e))

	if r.Method == Dense {
		d.Kept = Ones(g, shapeOf(logits, r.TopK))
		d.Dropped = zero
		return mixAll(x, d.Weights, experts, e), d
	}

	// Queue positions: token t's j-th choice comes after every first choice (and earlier choice) and after the
	// earlier tokens' j-th choices of the same expert.
	capacity := Scalar(g, dt, float64(r.ExpertCapacity(t, e)))
	offset := Zeros(g, shapes.Make(dt, 1, e))
	var kept, slot *Node
	kepts := make([]*Node, r.TopK)
	for j, s := range choices {
		pos := Add(Sub(CumSum(s, 0), s), offset)
		k := Mul(s, ConvertDType(LessThan(pos, capacity), dt))
		kepts[j] = ReduceAndKeep(k, ReduceSum, -1)
		if kept == nil {
			kept, slot = k, Mul(k, pos)
		} else {
			kept, slot = Add(kept, k), Add(slot, Mul(k, pos))
		}
		offset = Add(offset, ReduceAndKeep(s, ReduceSum, 0))
	}
	kept, slot = StopGradient(kept), StopGradient(slot)
	d.Kept = StopGradient(Concatenate(kepts, -1))
	d.Dropped = StopGradient(Sub(ReduceAllSum(all), ReduceAllSum(kept)))

	if NeedsAllExperts(r.Method) {
		// Every expert on every token, the weight of a dropped assignment multiplied by 0.
		return mixAll(x, Mul(d.Weights, OneMinus(Sub(all, kept))), experts, e), d
	}
	c := r.ExpertCapacity(t, e)
	dispatch := StopGradient(Mul(OneHot(ConvertDType(slot, dtypes.Int32), c, dt), InsertAxes(kept, -1))) // (T, E, C)
	in := DotGeneral(dispatch, []int{0}, nil, x, []int{0}, nil)                                          // (E, C, d)
	out := checkExperts(experts(in), e, c)
	combine := Mul(dispatch, InsertAxes(d.Weights, -1))                    // (T, E, C)
	return DotGeneral(combine, []int{1, 2}, nil, out, []int{0, 1}, nil), d // (T, d_out)
}

// mixAll runs every expert on every token and returns Σ_e w_{t,e} f_e(x_t).
func mixAll(x, w *Node, experts Experts, e int) *Node {
	t, dim := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	out := checkExperts(experts(BroadcastToDims(InsertAxes(x, 0), e, t, dim)), e, t) // (E, T, d_out)
	return DotGeneral(w, []int{1}, []int{0}, out, []int{0}, []int{1})                // (T, d_out)
}

// checkExperts panics unless out has shape (e, n, d_out).
func checkExperts(out *Node, e, n int) *Node {
	if out.Rank() != 3 || out.Shape().Dimensions[0] != e || out.Shape().Dimensions[1] != n {
		panic(fmt.Errorf("moe: experts returned shape %s for inputs of %d experts × %d rows, want (%d, %d, d_out)", out.Shape(), e, n, e, n))
	}
	return out
}

// shapeOf returns the shape (T, k) in the dtype of logits (T, E).
func shapeOf(logits *Node, k int) shapes.Shape {
	return shapes.Make(logits.DType(), logits.Shape().Dimensions[0], k)
}

// NonFinite returns the number of entries of x that are NaN or infinite, as a scalar of x's dtype: a training
// loop checks it on the router logits and the loss to stop a run that has gone non-finite.
func NonFinite(x *Node) *Node {
	return ReduceAllSum(ConvertDType(LogicalNot(IsFinite(x)), x.DType()))
}
