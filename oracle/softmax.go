package oracle

import "math"

// Panic messages for programmer errors.
const (
	badLength = "oracle: slice lengths do not match"
	badTau    = "oracle: temperature tau must be positive and finite"
	badShape  = "oracle: need L >= 0 variables and C >= 1 categories"
	badIndex  = "oracle: category index out of range"
	badUnif   = "oracle: uniform variate outside the open interval (0, 1)"
	badFunc   = "oracle: Func has a nil F, or its L*C does not match len(theta)"
	noGrad    = "oracle: Func has a nil Grad"
	badGap    = "oracle: GST gap must be >= 0 (0 selects GST-p)"
	badAlpha  = "oracle: ReinMaxAlpha needs a finite Alpha >= 0.5"
	noMass    = "oracle: logits define no distribution (NaN, +Inf, or all -Inf)"
)

// Softmax writes softmax(x) to dst:
//
//	dst_i = exp(x_i - m) / Σ_j exp(x_j - m),  m = max_j x_j.
//
// The shift by the maximum keeps exp from overflowing. Entries of x equal to -Inf (masked categories)
// give exactly 0. When x defines no distribution, that is when it contains NaN or +Inf or all its
// entries are -Inf, every entry of dst is set to NaN: the result is then undefined, and NaN makes any
// later use of it visible. Softmax panics if len(dst) != len(x). dst may be x.
func Softmax(dst, x []float64) { SoftmaxTau(dst, x, 1) }

// SoftmaxTau writes softmax(x/tau) to dst, with the conventions of Softmax. tau must be positive and
// finite.
func SoftmaxTau(dst, x []float64, tau float64) {
	if len(dst) != len(x) {
		panic(badLength)
	}
	if !(tau > 0) || math.IsInf(tau, 1) {
		panic(badTau)
	}
	m := math.Inf(-1)
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 1) {
			fillNaN(dst)
			return
		}
		m = max(m, v)
	}
	if math.IsInf(m, -1) {
		fillNaN(dst)
		return
	}
	var sum float64
	for i, v := range x {
		e := math.Exp((v - m) / tau) // exp(-Inf) = 0 for masked entries
		dst[i] = e
		sum += e
	}
	for i := range dst {
		dst[i] /= sum
	}
}

func fillNaN(dst []float64) {
	for i := range dst {
		dst[i] = math.NaN()
	}
}

// JVP writes J(p) v to dst, where J(p) = diag(p) - p p^T is the Jacobian of softmax at the point
// where it equals p (J(p) is symmetric, so this is also the vector-Jacobian product):
//
//	dst_i = p_i (v_i - <p, v>).
//
// The result sums to 0 when p sums to 1. dst may be v. JVP panics if the lengths differ.
func JVP(dst, p, v []float64) {
	if len(dst) != len(p) || len(v) != len(p) {
		panic(badLength)
	}
	var pv float64
	for i, pi := range p {
		pv += pi * v[i]
	}
	for i, pi := range p {
		dst[i] = pi * (v[i] - pv)
	}
}

// logSumExp returns log Σ_i exp(x_i), shifted by the maximum; -Inf if all entries are -Inf.
func logSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	if math.IsInf(m, 0) || math.IsNaN(m) {
		return m
	}
	var sum float64
	for _, v := range x {
		sum += math.Exp(v - m)
	}
	return m + math.Log(sum)
}

// logAddExp returns log(exp(a) + exp(b)) without overflow.
func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(a, 0) { // a = +Inf, or both -Inf
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// rowProbs returns softmax of every row of theta (rows of length C).
func rowProbs(theta []float64, C int) []float64 {
	pi := make([]float64, len(theta))
	for l := 0; l < len(theta); l += C {
		Softmax(pi[l:l+C], theta[l:l+C])
	}
	return pi
}
