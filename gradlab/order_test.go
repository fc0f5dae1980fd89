package gradlab

import (
	"math"
	"testing"

	"github.com/f60e9205/reinmax/oracle"
)

// TestOrderOfAccuracy checks the paper's claim on the family f_h(D) = F(h·D) of the default net problem, from the
// oracle's exact expectations (no Monte Carlo): as h → 0 the relative bias of ST falls like h and that of ReinMax
// at τ = 1 like h², while GST-1.0's, a different relaxation, does not fall at all; ReinMax with a free mixing weight
// α is second order at α = 1 only. h spans [2⁻¹⁰, 2⁻⁶], inside the
// asymptotic regime (measured: the local slopes there are 0.86 to 0.99 for ST and 2.00 to 2.02 for ReinMax).
func TestOrderOfAccuracy(t *testing.T) {
	t.Parallel()
	hs := GeomSpace(math.Ldexp(1, -10), math.Ldexp(1, -6), 9)
	fam := NetFamily(ProblemSpec{Name: "net"})
	for _, test := range []struct {
		name   string
		est    oracle.Estimator
		lo, hi float64
	}{
		{"st", oracle.ST{Tau: 1}, 0.8, 1.2},
		{"reinmax", oracle.ReinMax{Tau: 1}, 1.8, 2.2},
		{"gst-1.0", oracle.GST{Tau: 1, Gap: 1}, -0.2, 0.2},
		// The α family (ReinMaxAlpha): first order at every α but 1, where it is ReinMax.
		{"reinmax-alpha(alpha=0.75)", oracle.ReinMaxAlpha{Tau: 1, Alpha: 0.75}, 0.8, 1.2},
		{"reinmax-alpha(alpha=1)", oracle.ReinMaxAlpha{Tau: 1, Alpha: 1}, 1.8, 2.2},
		{"reinmax-alpha(alpha=2)", oracle.ReinMaxAlpha{Tau: 1, Alpha: 2}, 0.8, 1.2},
	} {
		o, err := ExactOrder(fam, hs, test.name, test.est)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: slope %.4f", test.name, o.Slope)
		if !(test.lo <= o.Slope && o.Slope <= test.hi) {
			t.Errorf("%s: slope %.4f, want it in [%v, %v]", test.name, o.Slope, test.lo, test.hi)
		}
	}
}

// TestFitSlope checks the fit on y = 3x² (slope 2, intercept log 3) and the errors.
func TestFitSlope(t *testing.T) {
	t.Parallel()
	x := []float64{0.1, 0.2, 0.5, 1, 4}
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = 3 * v * v
	}
	s, c, err := FitSlope(x, y)
	if err != nil || !(math.Abs(s-2) <= 1e-12 && math.Abs(c-math.Log(3)) <= 1e-12) {
		t.Errorf("FitSlope(3x²) = %v, %v, %v, want 2, log 3", s, c, err)
	}
	for _, bad := range [][2][]float64{
		{{1}, {1}},
		{{1, 2}, {1}},
		{{1, 2}, {1, 0}},
		{{1, math.NaN()}, {1, 2}},
		{{1, math.Inf(1)}, {1, 2}},
	} {
		if _, _, err := FitSlope(bad[0], bad[1]); err == nil {
			t.Errorf("FitSlope(%v, %v): no error", bad[0], bad[1])
		}
	}
	o := Order{Estimator: "x", H: x, RelBias: y}
	y[0] = 1e6 // outside the window: must not count
	if err := o.Fit(0.2, 4); err != nil || !(math.Abs(o.Slope-2) <= 1e-12) || o.FitLo != 0.2 || o.FitHi != 4 {
		t.Errorf("Fit(0.2, 4): slope %v on [%v, %v] (%v), want 2 on [0.2, 4]", o.Slope, o.FitLo, o.FitHi, err)
	}
}
