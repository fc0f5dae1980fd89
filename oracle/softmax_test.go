package oracle

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSoftmax(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	for _, test := range []struct {
		name string
		x    []float64
		tau  float64
		want []float64
		tol  float64
	}{
		// softmax column of reference section 1.4 (6 decimals).
		{"reference", []float64{1, -0.5, 0.25}, 1, []float64{.589798, .131602, .278601}, 1e-6},
		// By hand: equal logits give the uniform distribution.
		{"uniform", []float64{0, 0}, 1, []float64{0.5, 0.5}, 0},
		// By hand: masked entries are exactly 0, the rest renormalise.
		{"masked", []float64{negInf, 3, 3}, 1, []float64{0, 0.5, 0.5}, 0},
		// By hand: softmax([0, ln 4]/2) = softmax([0, ln 2]) = [1/3, 2/3].
		{"tau", []float64{0, math.Log(4)}, 2, []float64{1.0 / 3, 2.0 / 3}, 1e-15},
		// By hand: exp(-1000) underflows to 0 and exp(1000) must not overflow.
		{"large", []float64{1000, 0}, 1, []float64{1, 0}, 0},
		{"logit80", []float64{80, 80}, 1, []float64{0.5, 0.5}, 0},
		// No distribution: documented to give NaN everywhere.
		{"all masked", []float64{negInf, negInf}, 1, []float64{nan, nan}, 0},
		{"NaN", []float64{nan, 0}, 1, []float64{nan, nan}, 0},
		{"+Inf", []float64{math.Inf(1), 0}, 1, []float64{nan, nan}, 0},
	} {
		got := make([]float64, len(test.x))
		SoftmaxTau(got, test.x, test.tau)
		for i, w := range test.want {
			ok := math.Abs(got[i]-w) <= test.tol
			if math.IsNaN(w) {
				ok = math.IsNaN(got[i])
			}
			if !ok {
				t.Errorf("%s: softmax = %v, want %v", test.name, got, test.want)
				break
			}
		}
	}
	if !panics(func() { SoftmaxTau(make([]float64, 2), []float64{1, 2}, 0) }) {
		t.Error("SoftmaxTau with tau = 0 did not panic")
	}
}

// TestJVP compares J(p)v with the explicit matrix (diag(p) - p p^T) v.
func TestJVP(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, C := range []int{1, 2, 5, 9} {
		p := make([]float64, C)
		Softmax(p, normals(rnd, C))
		v := normals(rnd, C)
		want := make([]float64, C)
		for i := range C {
			for j := range C {
				Jij := -p[i] * p[j]
				if i == j {
					Jij += p[i]
				}
				want[i] += Jij * v[j]
			}
		}
		got := make([]float64, C)
		JVP(got, p, v)
		if d := maxAbsDiff(got, want); !(d <= 1e-15) {
			t.Errorf("C=%d: J(p)v = %v, want %v", C, got, want)
		}
		if s := sum(got); !(math.Abs(s) <= 1e-15) {
			t.Errorf("C=%d: J(p)v sums to %g, want 0", C, s)
		}
	}
}
