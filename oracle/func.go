package oracle

import (
	"math"
	"math/rand/v2"
)

// Func is a loss f on the one-hot sample of L categorical variables with C categories each.
//
// The estimators of the straight-through family differentiate f as a function of the real vector d,
// so F and Grad must accept any d in R^{L*C}, not only one-hot ones; the oracle evaluates them at one-hot
// points, where they must be finite.
type Func struct {
	L, C int

	// F returns f(d) for d of length L*C (row l is variable l).
	F func(d []float64) float64

	// Grad writes ∂f/∂d at d to dst (length L*C). It is needed by ExpectedGradient, Euler and Heun,
	// and may be nil otherwise.
	Grad func(dst, d []float64)
}

// mustMatch panics unless f can be evaluated on logits theta.
func (f Func) mustMatch(theta []float64) {
	if f.F == nil || f.L < 1 || f.C < 1 || f.L*f.C != len(theta) {
		panic(badFunc)
	}
}

// Quadratic returns the function
//
//	f(d) = d^T A d + b^T d,   ∂f/∂d = (A + A^T) d + b,
//
// with A an n×n matrix stored row-major and b of length n, n = L*C. A nil A or b means zero.
// Heun's (trapezoid) rule is exact for quadratics, so ReinMax at tau = 1 is unbiased for them.
func Quadratic(L, C int, A, b []float64) Func {
	n := L * C
	if (A != nil && len(A) != n*n) || (b != nil && len(b) != n) {
		panic(badLength)
	}
	return Func{L: L, C: C,
		F: func(d []float64) float64 {
			return quadForm(A, d) + dot(b, d)
		},
		Grad: func(dst, d []float64) {
			quadGrad(dst, A, d)
			if b != nil {
				for i := range dst {
					dst[i] += b[i]
				}
			}
		},
	}
}

// Cubic returns the function
//
//	f(d) = (w^T d)^3 + d^T A d + b^T d,   ∂f/∂d = 3 (w^T d)^2 w + (A + A^T) d + b,
//
// with the conventions of Quadratic; a nil w means zero. Heun's rule is not exact for it.
func Cubic(L, C int, w, A, b []float64) Func {
	if w != nil && len(w) != L*C {
		panic(badLength)
	}
	q := Quadratic(L, C, A, b)
	return Func{L: L, C: C,
		F: func(d []float64) float64 {
			t := dot(w, d)
			return t*t*t + q.F(d)
		},
		Grad: func(dst, d []float64) {
			q.Grad(dst, d)
			t := dot(w, d)
			for i := range w {
				dst[i] += 3 * t * t * w[i]
			}
		},
	}
}

// RandomQuadratic returns Quadratic(L, C, A, b) with the entries of A and b drawn from N(0, 1).
func RandomQuadratic(L, C int, rnd *rand.Rand) Func {
	return Quadratic(L, C, normals(rnd, L*C*L*C), normals(rnd, L*C))
}

// RandomCubic returns Cubic(L, C, w, A, b) with the entries of w, A and b drawn from N(0, 1).
func RandomCubic(L, C int, rnd *rand.Rand) Func {
	return Cubic(L, C, normals(rnd, L*C), normals(rnd, L*C*L*C), normals(rnd, L*C))
}

// RandomSmooth returns a random smooth function that is not a polynomial,
//
//	f(d) = Σ_{k=1}^{3} a_k sin(w_k^T d + c_k) + b^T d,
//	∂f/∂d = Σ_k a_k cos(w_k^T d + c_k) w_k + b,
//
// with a_k and the entries of w_k and b drawn from N(0, 1) and c_k from U(0, 2π).
func RandomSmooth(L, C int, rnd *rand.Rand) Func {
	const K = 3
	n := L * C
	a, c := normals(rnd, K), make([]float64, K)
	w := make([][]float64, K)
	for k := range K {
		w[k] = normals(rnd, n)
		c[k] = 2 * math.Pi * rnd.Float64()
	}
	b := normals(rnd, n)
	return Func{L: L, C: C,
		F: func(d []float64) float64 {
			f := dot(b, d)
			for k := range K {
				f += a[k] * math.Sin(dot(w[k], d)+c[k])
			}
			return f
		},
		Grad: func(dst, d []float64) {
			copy(dst, b)
			for k := range K {
				s := a[k] * math.Cos(dot(w[k], d)+c[k])
				for i, wi := range w[k] {
					dst[i] += s * wi
				}
			}
		},
	}
}

// dot returns x^T y; a nil x means zero.
func dot(x, y []float64) float64 {
	var s float64
	for i, xi := range x {
		s += xi * y[i]
	}
	return s
}

// quadForm returns d^T A d; a nil A means zero.
func quadForm(A, d []float64) float64 {
	if A == nil {
		return 0
	}
	n := len(d)
	var s float64
	for i := range n {
		s += d[i] * dot(A[i*n:(i+1)*n], d)
	}
	return s
}

// quadGrad writes (A + A^T) d to dst; a nil A means zero.
func quadGrad(dst, A, d []float64) {
	clear(dst)
	if A == nil {
		return
	}
	n := len(d)
	for i := range n {
		for j := range n {
			dst[i] += (A[i*n+j] + A[j*n+i]) * d[j]
		}
	}
}

func normals(rnd *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rnd.NormFloat64()
	}
	return x
}
