package oracle

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// TestBernoulliGradientMatchesCategorical checks BernoulliExpectation and BernoulliGradient against the categorical
// enumeration (Expectation, ExactGradient) with C = 2 and logits (alpha_l, 0), an independent code path: the
// derivative with respect to alpha_l is that with respect to theta_{l,0}.
func TestBernoulliGradientMatchesCategorical(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, L := range []int{1, 3, 5, 6} {
		for _, kind := range []string{"quadratic", "cubic", "smooth"} {
			cat := map[string]func(L, C int, rnd *rand.Rand) Func{
				"smooth": RandomSmooth, "quadratic": RandomQuadratic, "cubic": RandomCubic,
			}[kind](L, 2, rnd)
			f := func(b []float64) float64 { // f on bits, through the one-hot encoding
				d := make([]float64, 2*len(b))
				for l, v := range b {
					d[2*l], d[2*l+1] = v, 1-v
				}
				return cat.F(d)
			}
			alpha := normals(rnd, L)
			alpha[0] *= 4 // one far from 0
			theta := make([]float64, 2*L)
			for l, a := range alpha {
				theta[2*l] = a
			}
			wantE, err := Expectation(theta, cat)
			if err != nil {
				t.Fatal(err)
			}
			wantG, err := ExactGradient(theta, cat)
			if err != nil {
				t.Fatal(err)
			}
			gotE, err := BernoulliExpectation(alpha, f)
			if err != nil {
				t.Fatal(err)
			}
			gotG, err := BernoulliGradient(alpha, f)
			if err != nil {
				t.Fatal(err)
			}
			if !(math.Abs(gotE-wantE) <= 1e-12*math.Max(1, math.Abs(wantE))) {
				t.Errorf("L=%d %s: BernoulliExpectation = %v, categorical Expectation = %v", L, kind, gotE, wantE)
			}
			for l := range L {
				if !(math.Abs(gotG[l]-wantG[2*l]) <= 1e-12*math.Max(1, math.Abs(wantG[2*l]))) {
					t.Errorf("L=%d %s: gradient[%d] = %v, categorical = %v", L, kind, l, gotG[l], wantG[2*l])
				}
			}
		}
	}
}

// TestBernoulliGradientClosedForm checks a case with a closed form: for f(b) = c·b + d·b_0·b_1, E f =
// Σ c_l σ_l + d σ_0 σ_1 and ∂E/∂alpha_l = σ_l(1−σ_l)(c_l + d σ_other 1[l < 2]).
func TestBernoulliGradientClosedForm(t *testing.T) {
	t.Parallel()
	alpha := []float64{0.3, -1.2, 2.5}
	c := []float64{1.5, -0.7, 0.25}
	const d = 2.0
	f := func(b []float64) float64 { return c[0]*b[0] + c[1]*b[1] + c[2]*b[2] + d*b[0]*b[1] }
	s := make([]float64, 3)
	for l, a := range alpha {
		s[l] = 1 / (1 + math.Exp(-a))
	}
	wantE := c[0]*s[0] + c[1]*s[1] + c[2]*s[2] + d*s[0]*s[1]
	wantG := []float64{
		s[0] * (1 - s[0]) * (c[0] + d*s[1]),
		s[1] * (1 - s[1]) * (c[1] + d*s[0]),
		s[2] * (1 - s[2]) * c[2],
	}
	gotE, _ := BernoulliExpectation(alpha, f)
	gotG, _ := BernoulliGradient(alpha, f)
	if !(math.Abs(gotE-wantE) <= 1e-14) {
		t.Errorf("E f = %v, want %v", gotE, wantE)
	}
	if !(maxAbsDiff(gotG, wantG) <= 1e-14) {
		t.Errorf("gradient = %v, want %v", gotG, wantG)
	}
	if p := BernoulliProb(alpha, []float64{1, 0, 1}); !(math.Abs(p-s[0]*(1-s[1])*s[2]) <= 1e-15) {
		t.Errorf("BernoulliProb = %v, want %v", p, s[0]*(1-s[1])*s[2])
	}
}

// TestBernoulliGradientFiniteDifference checks BernoulliGradient against a central difference of
// BernoulliExpectation (h = 1e-5: truncation ~ 1e-10, round-off ~ 1e-11), including logits of ±40.
func TestBernoulliGradientFiniteDifference(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(5, 6))
	cat := RandomCubic(4, 2, rnd)
	f := func(b []float64) float64 {
		d := make([]float64, 2*len(b))
		for l, v := range b {
			d[2*l], d[2*l+1] = v, 1-v
		}
		return cat.F(d)
	}
	alpha := []float64{0.4, -40, 1.1, 40}
	g, err := BernoulliGradient(alpha, f)
	if err != nil {
		t.Fatal(err)
	}
	const h = 1e-5
	for l := range alpha {
		a := append([]float64(nil), alpha...)
		a[l] += h
		ep, _ := BernoulliExpectation(a, f)
		a[l] -= 2 * h
		em, _ := BernoulliExpectation(a, f)
		fd := (ep - em) / (2 * h)
		if !(math.Abs(g[l]-fd) <= 1e-8) {
			t.Errorf("gradient[%d] = %v, finite difference %v", l, g[l], fd)
		}
	}
}

// TestBernoulliTooMany checks that more than MaxOutcomes = 2^20 outcomes are refused with ErrTooManyOutcomes.
func TestBernoulliTooMany(t *testing.T) {
	t.Parallel()
	alpha := make([]float64, 21)
	f := func([]float64) float64 { return 0 }
	if _, err := BernoulliExpectation(alpha, f); !errors.Is(err, ErrTooManyOutcomes) {
		t.Errorf("BernoulliExpectation with L = 21: err = %v, want ErrTooManyOutcomes", err)
	}
	if _, err := BernoulliGradient(alpha, f); !errors.Is(err, ErrTooManyOutcomes) {
		t.Errorf("BernoulliGradient with L = 21: err = %v, want ErrTooManyOutcomes", err)
	}
	if !panics(func() { BernoulliGradient(alpha[:2], nil) }) {
		t.Error("BernoulliGradient with nil f did not panic")
	}
	if !panics(func() { BernoulliProb(alpha[:2], []float64{1, 0.5}) }) {
		t.Error("BernoulliProb with a bit of 0.5 did not panic")
	}
}
