package vq

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

// Distances returns the squared Euclidean distances ‖z − e_k‖² between the vectors z, shape (..., d), and the codes
// e_k, the rows of codebook (K, d): a tensor of shape (..., K).
//
// They are computed from the expansion ‖a‖² − 2⟨a, b_k⟩ + ‖b_k‖² (clamped at 0) of a = (z − c)/s, b_k = (e_k − c)/s:
// c is the mean of the codes, and s the largest power of two at or below the largest magnitude of an element of z
// and of the codebook (1 when that is 0); the result is multiplied by s twice. Dividing by s is exact, every scaled
// term is below 64d, and nothing overflows before the last two products, which give +Inf only where the distance
// itself exceeds the largest value of the dtype: no finite input gives NaN. Centring on c makes the absolute error
// about ε·(‖z − c‖² + ‖e_k − c‖²), ε the dtype's rounding unit, instead of ε·(‖z‖² + ‖e_k‖²): vectors far from the
// origin but close to the codes keep their digits.
//
// The gradient is the exact one, in closed form: with v = ∂L/∂distances,
//
//	∂L/∂z = 2 Σ_k v_k (z − e_k),   ∂L/∂e_k = −2 Σ_n v_nk (z_n − e_k)   (n over the vectors of z)
//
// It panics (with an error) unless z and codebook are float tensors of the same dtype, z of rank ≥ 1 and codebook
// of shape (K, d) with d the last axis of z.
func Distances(z, codebook *Node) *Node {
	flat, k := checkShapes("Distances", z, codebook)
	d, s := scaledDistances(flat, codebook)
	value := Mul(Mul(d, s), s)
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
// not change. The shift gives the nearest code θ = 0 exactly and every other a finite logit or −Inf (a code too far
// to be drawn in the dtype), so no finite input gives NaN; estimators of package reinmax treat −Inf as a category
// never drawn, with a zero gradient.
//
// The gradient is that of −‖z − e_k‖²/T (the shift is a constant: softmax is invariant to it), in closed form: with
// v = ∂L/∂θ, ∂L/∂z = −(2/T) Σ_k v_k (z − e_k) and ∂L/∂e_k = (2/T) Σ_n v_nk (z_n − e_k). It panics as Distances does,
// and unless T is positive and, in the dtype, neither 0 nor infinite.
func Logits(z, codebook *Node, temperature float64) *Node {
	flat, k := checkShapes("Logits", z, codebook)
	checkTemperature(temperature, z.DType())
	d, s := scaledDistances(flat, codebook)
	shifted := Sub(d, ReduceAndKeep(d, ReduceMin, -1)) // ≥ 0, exactly 0 at the nearest code
	value := Neg(DivScalar(Mul(Mul(shifted, s), s), temperature))
	out := withVJP(value, []*Node{flat, codebook}, func(v *Node, i int) *Node {
		return distanceVJP(flat, codebook, MulScalar(v, -2/temperature), i)
	})
	return Reshape(out, append(leading(z), k)...)
}

// scaledDistances returns d (N, K) = max(0, ‖a_n‖² − 2⟨a_n, b_k⟩ + ‖b_k‖²) for a = z/s − c, b = e/s − c, c the mean
// of the rows of e/s, and the scalar s: the largest power of two at or below the largest magnitude of an element of
// z (N, d) and e (K, d), or 1 when that is 0 or subnormal. Then ‖z_n − e_k‖² = s·s·d_nk up to rounding. Neither has
// a gradient.
func scaledDistances(z, e *Node) (d, s *Node) {
	z, e = StopGradient(z), StopGradient(e)
	s = powerOfTwoAtMost(Max(ReduceAllMax(Abs(z)), ReduceAllMax(Abs(e))))
	zs, es := Div(z, s), Div(e, s)
	c := ReduceAndKeep(es, ReduceMean, 0)
	zs, es = Sub(zs, c), Sub(es, c)
	zz := ReduceAndKeep(Square(zs), ReduceSum, -1)         // (N, 1)
	ee := InsertAxes(ReduceSum(Square(es), -1), 0)         // (1, K)
	ze := DotGeneral(zs, []int{1}, nil, es, []int{1}, nil) // (N, K)
	return MaxScalar(Add(Sub(zz, MulScalar(ze, 2)), ee), 0), s
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
func distanceVJP(z, e, v *Node, i int) *Node {
	c := ReduceAndKeep(StopGradient(e), ReduceMean, 0)
	a, b := Sub(StopGradient(z), c), Sub(StopGradient(e), c)
	if i == 0 {
		return Sub(Mul(a, ReduceAndKeep(v, ReduceSum, 1)), DotGeneral(v, []int{1}, nil, b, []int{0}, nil))
	}
	return Sub(Mul(b, InsertAxes(ReduceSum(v, 0), -1)), DotGeneral(v, []int{0}, nil, a, []int{0}, nil))
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
