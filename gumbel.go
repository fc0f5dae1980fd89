package reinmax

import (
	. "github.com/gomlx/gomlx/core/graph"
)

// conditionalGumbel returns k draws of the perturbed logits z = θ + G, G standard Gumbel, conditioned on
// argmax z being the category of onehot; the result has shape (k, ...) for logits of shape (...). θ must be finite.
//
// Given argmax = s, the maximum z_s is Gumbel around log Z = logsumexp(θ) and every other z_j is a Gumbel around θ_j
// truncated below z_s (Maddison, Tarlow & Minka 2014). With E ~ Exp(1) i.i.d., in log space so that large logits
// cannot overflow:
//
//	z_s = log Z − log E_s
//	z_j = −logaddexp(log E_j − θ_j, log E_s − log Z),  j ≠ s
func conditionalGumbel(src Source, theta, onehot *Node, k int) *Node {
	g := theta.Graph()
	theta = StopGradient(theta)
	shape := theta.Shape().Clone()
	shape.Dimensions = append([]int{k}, shape.Dimensions...)
	logE := Log(Neg(Log(src.Uniform(g, shape))))
	d := InsertAxes(onehot, 0)
	logZ := InsertAxes(logSumExp(theta), 0)
	logEs := ReduceAndKeep(Mul(logE, d), ReduceSum, -1)
	top := Sub(logZ, logEs)
	rest := Neg(LogAddExp(Sub(logE, InsertAxes(theta, 0)), BroadcastToShape(Neg(top), shape)))
	return Add(Mul(d, BroadcastToShape(top, shape)), Mul(OneMinus(d), rest))
}

// logSumExp returns log Σ exp(x) over the last axis, keeping the axis.
func logSumExp(x *Node) *Node {
	m := StopGradient(ReduceAndKeep(x, ReduceMax, -1))
	return Add(m, Log(ReduceAndKeep(Exp(Sub(x, m)), ReduceSum, -1)))
}
