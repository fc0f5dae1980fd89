package oracle

import (
	"math"
	"math/rand/v2"
)

// maxAbsDiff returns max_i |a_i - b_i|; NaN if any difference is NaN, so that tolerance checks of the
// form !(maxAbsDiff(a, b) <= tol) fail on NaN.
func maxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.NaN()
	}
	var m float64
	for i := range a {
		d := math.Abs(a[i] - b[i])
		if math.IsNaN(d) {
			return math.NaN()
		}
		m = max(m, d)
	}
	return m
}

func norm(x []float64) float64 { return math.Sqrt(dot(x, x)) }

func sub(a, b []float64) []float64 {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return d
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

// openUnif returns a uniform variate on the open interval (0, 1).
func openUnif(rnd *rand.Rand) float64 {
	for {
		if u := rnd.Float64(); u > 0 {
			return u
		}
	}
}

func openUnifs(rnd *rand.Rand, n int) []float64 {
	u := make([]float64, n)
	for i := range u {
		u[i] = openUnif(rnd)
	}
	return u
}

// sampleCat draws an index from Cat(pi) by inverse CDF.
func sampleCat(pi []float64, u float64) int {
	var c float64
	for i, p := range pi {
		c += p
		if u < c {
			return i
		}
	}
	for i := len(pi) - 1; i >= 0; i-- { // u beyond the rounded total: last category with mass
		if pi[i] > 0 {
			return i
		}
	}
	panic("sampleCat: no mass")
}

// panics reports whether f panics.
func panics(f func()) (ok bool) {
	defer func() { ok = recover() != nil }()
	f()
	return false
}

var negInf = math.Inf(-1)
