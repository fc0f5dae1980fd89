package vq

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// Distances returns the squared Euclidean distances ‖z − e_k‖² between the vectors z, shape (..., d), and the codes
// e_k, the rows of codebook (K, d): a tensor of shape (..., K).
//
// They are computed from the expansion ‖a‖² − 2⟨a, b_k⟩ + ‖b_k‖² (clamped at 0) of a = (z − c)/t, b_k = (e_k − c)/t:
// c is the mean of the codes, and t a power of two that brings the largest magnitude of an element of the centred
// vectors into [1, 2) (1 when it is 0); the result is multiplied by t twice. The scaling is exact, every scaled term
// is below 64d, and nothing overflows before the last two products, which give +Inf only where the distance itself
// exceeds the largest value of the dtype: no finite input gives NaN. Centring on c makes the absolute error about
// ε·(‖z − c‖² + ‖e_k − c‖²), ε the dtype's rounding unit, instead of ε·(‖z‖² + ‖e_k‖²): vectors far from the origin
// but close to the codes keep their digits. The three terms are one matrix product, of [a, ‖a‖², 1] and
// [−2b_k, 1, ‖b_k‖²].
//
// The gradient is the exact one, in closed form: with v = ∂L/∂distances,
//
//	∂L/∂z = 2 Σ_k v_k (z − e_k),   ∂L/∂e_k = −2 Σ_n v_nk (z_n − e_k)   (n over the vectors of z)
//
// It panics (with an error) unless z and codebook are float tensors of the same dtype, z of rank ≥ 1 and codebook
// of shape (K, d) with d the last axis of z.
func Distances(z, codebook *Node) *Node {
	flat, k := checkShapes("Distances", z, codebook)
	d, t := scaledDistances(flat, codebook)
	value := Mul(Mul(MaxScalar(d, 0), t), t)
	out := withVJP(value, []*Node{flat, codebook}, func(v *Node, i int) *Node {
		return distanceVJP(flat, codebook, MulScalar(v, 2), i)
	})
	return Reshape(out, append(leading(z), k)...)
}

// Nearest returns the index of the code nearest to each vector of z, argmin_k ‖z − e_k‖² (ties go to the lowest
// index), as int32 of shape (...) for z of shape (..., d). It has no gradient. It panics as Distances does.
func Nearest(z, codebook *Node) *Node {
	flat, _ := checkShapes("Nearest", z, codebook)
	d, _ := scaledDistances(flat, codebook)
	return Reshape(ArgMin(d, -1), leading(z)...)
}

// Logits returns the logits of the stochastic code of z at temperature T,
//
//	θ_k = −(‖z − e_k‖² − min_j ‖z − e_j‖²) / T,
//
// shape (..., K): softmax(θ) is the law p(k | z) ∝ exp(−‖z − e_k‖²/T), which the shift by the nearest distance does
// not change. The shift gives the nearest code θ = 0 exactly. The distances are those of Distances before their
// scaling (θ = −(d̃_k − min_j d̃_j)·t²/T, d̃ of order 1 for vectors spread like the codes); where t²/T exceeds the
// largest value M of the dtype it is taken as M, which changes only logits below −M·(d̃_k − min_j d̃_j), far below
// any a softmax can tell from −Inf. Every logit is finite or −Inf (a code too far
// to be drawn in the dtype), so no finite input gives NaN; estimators of package reinmax treat −Inf as a category
// never drawn, with a zero gradient.
//
// The gradient is that of −‖z − e_k‖²/T (the shift is a constant: softmax is invariant to it), in closed form: with
// v = ∂L/∂θ, ∂L/∂z = −(2/T) Σ_k v_k (z − e_k) and ∂L/∂e_k = (2/T) Σ_n v_nk (z_n − e_k). It panics as Distances does,
// and unless T is positive and, in the dtype, neither 0 nor infinite.
func Logits(z, codebook *Node, temperature float64) *Node {
	flat, k := checkShapes("Logits", z, codebook)
	checkTemperature(temperature, z.DType())
	d, t := scaledDistances(flat, codebook)
	scale := MaxScalar(Neg(DivScalar(Mul(t, t), temperature)), -maxFloat(z.DType())) // −t²/T, at least −M
	value := Mul(Sub(d, ReduceAndKeep(d, ReduceMin, -1)), scale)
	out := withVJP(value, []*Node{flat, codebook}, func(v *Node, i int) *Node {
		return distanceVJP(flat, codebook, MulScalar(v, -2/temperature), i)
	})
	return Reshape(out, append(leading(z), k)...)
}

// scaledDistances returns d (N, K) = ‖a_n‖² − 2⟨a_n, b_k⟩ + ‖b_k‖² (not clamped: rounding can make it slightly
// negative) and a scalar t > 0 such that ‖z_n − e_k‖² = t²·d_nk up to rounding, for z (N, d) and e (K, d). Neither has
// a gradient.
//
// The vectors are scaled twice by powers of two, which is exact: by s₀, the largest power of two at or below the
// largest magnitude of an element of z and e, so that centring on the mean c of the scaled codes cannot overflow;
// then, once centred, by s₁, the same for the centred vectors, so that the elements of a = (z/s₀ − c)/s₁ and
// b = (e/s₀ − c)/s₁ lie below 2 in magnitude whatever the spread of the vectors (s = 1 when a maximum is 0 or
// subnormal). t = s₀·s₁, taken as the largest finite value when it overflows (elements near the largest value of the
// dtype, where every distance that is not 0 overflows anyway). The sum is one product of (N, d+2) and (K, d+2)
// matrices, in the layout the pure-Go backend multiplies without transposing.
func scaledDistances(z, e *Node) (d, t *Node) {
	z, e = StopGradient(z), StopGradient(e)
	largest := func(x, y *Node) *Node { return powerOfTwoAtMost(Max(ReduceAllMax(Abs(x)), ReduceAllMax(Abs(y)))) }
	s0 := largest(z, e)
	zs, es := Div(z, s0), Div(e, s0)
	c := ReduceAndKeep(es, ReduceMean, 0)
	a, b := Sub(zs, c), Sub(es, c)
	s1 := largest(a, b)
	a, b = Div(a, s1), Div(b, s1)
	aa := ReduceAndKeep(Square(a), ReduceSum, -1) // (N, 1)
	bb := ReduceAndKeep(Square(b), ReduceSum, -1) // (K, 1)
	lhs := Concatenate([]*Node{a, aa, OnesLike(aa)}, -1)
	rhs := Concatenate([]*Node{MulScalar(b, -2), OnesLike(bb), bb}, -1)
	t = MinScalar(Mul(s0, s1), maxFloat(z.DType()))
	return DotGeneral(lhs, []int{1}, nil, rhs, []int{1}, nil), t
}

// powerOfTwoAtMost returns, for a scalar m ≥ 0, the largest power of two at or below m, read from the exponent bits
// of m; 1 when m is 0 or subnormal.
func powerOfTwoAtMost(m *Node) *Node {
	g := m.Graph()
	var bits *Node
	switch m.DType() {
	case dtypes.Float32:
		bits = BitwiseAnd(Bitcast(m, dtypes.Int32), Const(g, int32(0x7F800000)))
	case dtypes.Float64:
		bits = BitwiseAnd(Bitcast(m, dtypes.Int64), Const(g, int64(0x7FF0000000000000)))
	default:
		panic(fmt.Errorf("vq: vectors must be float32 or float64, got %s", m.DType()))
	}
	p := Bitcast(bits, m.DType())
	return Where(GreaterThan(p, ScalarZero(g, p.DType())), p, ScalarOne(g, p.DType()))
}

// distanceVJP returns the gradient of Σ_nk v_nk ‖z_n − e_k‖²/2 with respect to z (i = 0) or e (i = 1), for z (N, d), e
// (K, d) and v (N, K): Σ_k v_nk (z_n − e_k) = a_n Σ_k v_nk − (v·b)_n, or −Σ_n v_nk (z_n − e_k) = b_k Σ_n v_nk − (vᵀ·a)_k,
// with a = z − c and b = e − c centred on the mean c of the codes, so that vectors far from the origin but close to
// the codes keep their digits. Callers pass v already multiplied by the derivative of their function of the distance.
// Each is one matrix product with a column of ones appended, v·[b, 1] or [a, 1]ᵀ·v, in layouts that do not make the
// backend transpose v.
func distanceVJP(z, e, v *Node, i int) *Node {
	c := ReduceAndKeep(StopGradient(e), ReduceMean, 0)
	a, b := Sub(StopGradient(z), c), Sub(StopGradient(e), c)
	d := a.Shape().Dimensions[1]
	if i == 0 {
		ones := Ones(v.Graph(), shapes.Make(v.DType(), b.Shape().Dimensions[0], 1))
		vb := DotGeneral(v, []int{1}, nil, Concatenate([]*Node{b, ones}, -1), []int{0}, nil) // (N, d+1): v·b, Σ_k v
		return Sub(Mul(a, Slice(vb, AxisRange(), AxisRange(d, d+1))), Slice(vb, AxisRange(), AxisRange(0, d)))
	}
	ones := Ones(v.Graph(), shapes.Make(v.DType(), a.Shape().Dimensions[0], 1))
	av := Transpose(DotGeneral(Transpose(Concatenate([]*Node{a, ones}, -1), 0, 1), []int{1}, nil, v, []int{0}, nil), 0, 1) // (K, d+1)
	return Sub(Mul(b, Slice(av, AxisRange(), AxisRange(d, d+1))), Slice(av, AxisRange(), AxisRange(0, d)))
}

// maxFloat is the largest finite value of dtype (float32 or float64).
func maxFloat(dtype dtypes.DType) float64 {
	if dtype == dtypes.Float32 {
		return math.MaxFloat32
	}
	return math.MaxFloat64
}

// checkShapes panics unless z (..., d) and codebook (K, d) are float tensors of one dtype with K ≥ 1, d ≥ 1; it
// returns z as (N, d) and K.
func checkShapes(name string, z, codebook *Node) (flat *Node, k int) {
	if !z.DType().IsFloat() || z.DType() != codebook.DType() {
		panic(fmt.Errorf("vq: %s: vectors and codebook must be float32 or float64 of one dtype, got %s and %s", name, z.DType(), codebook.DType()))
	}
	if z.Rank() < 1 || codebook.Rank() != 2 {
		panic(fmt.Errorf("vq: %s: want vectors (..., d) and a codebook (K, d), got shapes %s and %s", name, z.Shape(), codebook.Shape()))
	}
	k, d := codebook.Shape().Dimensions[0], codebook.Shape().Dimensions[1]
	if z.Shape().Dimensions[z.Rank()-1] != d || k < 1 || d < 1 {
		panic(fmt.Errorf("vq: %s: vectors of shape %s do not match a codebook of shape %s (K, d)", name, z.Shape(), codebook.Shape()))
	}
	return Reshape(z, -1, d), k
}

// leading returns the dimensions of z but the last.
func leading(z *Node) []int {
	return append([]int(nil), z.Shape().Dimensions[:z.Rank()-1]...)
}

// checkTemperature panics unless T is positive and neither 0 nor infinite once converted to dtype.
func checkTemperature(t float64, dtype dtypes.DType) {
	x := t
	if dtype == dtypes.Float32 {
		x = float64(float32(t))
	}
	if !(t > 0) || x == 0 || math.IsInf(x, 0) {
		panic(fmt.Errorf("vq: temperature T = %v, want a finite T > 0 (representable in %s)", t, dtype))
	}
}
