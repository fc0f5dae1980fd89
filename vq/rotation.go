package vq

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

// RotationTrick returns the rotation-and-rescale estimator of Fifty et al. (2025) for vectors z and their codes q
// (both (..., d)). With ẑ = z/‖z‖, q̂ = q/‖q‖, λ = ‖q‖/‖z‖, r = (ẑ + q̂)/‖ẑ + q̂‖ and the rotation
//
//	R = I − 2rrᵀ + 2q̂ẑᵀ,   which takes ẑ to q̂ in the plane they span and fixes its orthogonal complement,
//
// the output is q̃ = sg(λR)·z:
//
//	forward:  λRz = q (returned exactly: q, without the rounding of the product)
//	backward: ∂L/∂z = λRᵀ·∂L/∂q = λ(g − 2r⟨r, g⟩ + 2ẑ⟨q̂, g⟩),  g = ∂L/∂q;  nothing to q
//
// λ and R are constants of the backward pass (computed from sg(z), sg(q)), and Rᵀ is a rotation taking q̂ to ẑ, so
// ∂L/∂z makes with z the angle that g makes with q and has norm λ‖g‖: inputs of one code that differ in angle or
// norm get different gradients, where the straight-through estimator copies g to all of them. The codebook learns
// only from the codebook loss.
//
// Where z or q is the zero vector the rotation is undefined and the gradient is g (the straight-through one); where
// q̂ = −ẑ (to within 4dε, ε the dtype's rounding unit, below which ẑ + q̂ has no direction), r = 0 and
// λR = λ(I − 2ẑẑᵀ), the reflection that takes z to q. Norms are computed on vectors scaled by their largest element,
// so that they do not overflow. It panics unless z and q have one shape and float dtype.
//
// Reference: C. Fifty et al., "Restructuring Vector Quantization with the Rotation Trick", ICLR 2025,
// arXiv:2410.06424. R = (I − 2q̂q̂ᵀ)(I − 2rrᵀ), two Householder reflections; it is applied as the rank-two update
// above, without building the matrix.
func RotationTrick(z, q *Node) *Node {
	checkPair("RotationTrick", z, q)
	zHat, zNorm := normalize(StopGradient(z))
	qHat, qNorm := normalize(StopGradient(q))
	g := z.Graph()
	zero, one := ScalarZero(g, z.DType()), ScalarOne(g, z.DType())
	degenerate := Or(Equal(zNorm, zero), Equal(qNorm, zero))
	lambda := Where(degenerate, one, Div(qNorm, Where(degenerate, one, zNorm)))
	// r = 0 where q̂ = −ẑ to rounding: ẑ + q̂ is then rounding noise of norm about √d·ε, whose direction means nothing.
	r, rNorm := normalize(Add(zHat, qHat))
	d := z.Shape().Dimensions[z.Rank()-1]
	r = Where(BroadcastToDims(GreaterThan(rNorm, Scalar(g, z.DType(), 4*float64(d)*epsilon(z.DType()))), r.Shape().Dimensions...), r, zero)
	return withVJP(q, []*Node{z}, func(v *Node, _ int) *Node {
		rotated := Add(Sub(v, MulScalar(Mul(r, dot(r, v)), 2)), MulScalar(Mul(zHat, dot(qHat, v)), 2))
		return Where(BroadcastToDims(degenerate, v.Shape().Dimensions...), v, Mul(lambda, rotated))
	})
}

// normalize returns x/‖x‖ and ‖x‖ over the last axis (the norm with the axis kept), 0 and 0 for a zero vector. The
// norm is m·‖x/m‖, m the largest magnitude of an element, so that it overflows only when it exceeds the dtype's
// range.
func normalize(x *Node) (unit, norm *Node) {
	g := x.Graph()
	zero, one := ScalarZero(g, x.DType()), ScalarOne(g, x.DType())
	m := ReduceAndKeep(Abs(x), ReduceMax, -1)
	m = Where(GreaterThan(m, zero), m, one)
	y := Div(x, m)
	n := Sqrt(ReduceAndKeep(Square(y), ReduceSum, -1))
	unit = Div(y, Where(GreaterThan(n, zero), n, one))
	return unit, Mul(m, n)
}

// epsilon is the rounding unit of dtype (float32 or float64).
func epsilon(dtype dtypes.DType) float64 {
	if dtype == dtypes.Float32 {
		return 0x1p-24
	}
	return 0x1p-53
}

// dot returns ⟨a, b⟩ over the last axis, kept.
func dot(a, b *Node) *Node { return ReduceAndKeep(Mul(a, b), ReduceSum, -1) }

// checkPair panics unless z and q are float tensors of one shape.
func checkPair(name string, z, q *Node) {
	if !z.DType().IsFloat() || !z.Shape().Equal(q.Shape()) || z.Rank() < 1 {
		panic(fmt.Errorf("vq: %s: vectors and codes must be float tensors (..., d) of one shape, got %s and %s", name, z.Shape(), q.Shape()))
	}
}
