package gradlab

import (
	"errors"
	"math"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/oracle"
)

// exactLaw returns, for an estimator whose gradient depends only on the sample of a single categorical variable
// (L = 1), the exact mean squared error E‖g − g*‖², mean cosine E[cos(g, g*)] and cosine of the mean cos(E[g], g*),
// by summing over the C outcomes with their probabilities.
func exactLaw(t *testing.T, p *FuncProblem, est oracle.Estimator) (mse, meanCos, cosMean float64) {
	t.Helper()
	if p.F.L != 1 {
		t.Fatalf("exactLaw needs L = 1, got %d", p.F.L)
	}
	C := p.F.C
	exact, err := p.ExactGradient()
	if err != nil {
		t.Fatal(err)
	}
	pi := make([]float64, C)
	oracle.Softmax(pi, p.Theta)
	D, gD, g, mean := make([]float64, C), make([]float64, C), make([]float64, C), make([]float64, C)
	dot := func(a, b []float64) (s float64) {
		for i := range a {
			s += a[i] * b[i]
		}
		return s
	}
	for s := range C {
		clear(D)
		D[s] = 1
		p.F.Grad(gD, D)
		est.Grad(g, p.Theta, s, gD, nil)
		var e2 float64
		for i := range g {
			e2 += (g[i] - exact[i]) * (g[i] - exact[i])
			mean[i] += pi[s] * g[i]
		}
		mse += pi[s] * e2
		meanCos += pi[s] * dot(g, exact) / math.Sqrt(dot(g, g)*dot(exact, exact))
	}
	cosMean = dot(mean, exact) / math.Sqrt(dot(mean, mean)*dot(exact, exact))
	return mse, meanCos, cosMean
}

// TestFiguresRight checks the lab against the oracle on single-categorical problems, where the law of the
// straight-through family's gradient is known exactly: the relative bias (from oracle.ExpectedGradient against
// oracle.ExactGradient), the mean squared error and both cosines must lie inside the lab's own intervals. The draws
// come from the real GoMLX path with a fixed seed; the intervals are at level 0.99 so that the four checks of a
// row fail together with probability below 4% for an arbitrary seed. ReinMax at τ = 1 is unbiased on the quadratic
// (Heun's rule is exact there), so its interval must start at 0; it is biased on the cubic and at τ = 1.5, where
// its interval must exclude 0.
func TestFiguresRight(t *testing.T) {
	t.Parallel()
	backend := testutil.Backend(t)
	quadratic := mustProblem(t, ProblemSpec{Name: "quadratic"})
	cubic := mustProblem(t, ProblemSpec{Name: "cubic", C: 5})
	for _, test := range []struct {
		p        *FuncProblem
		name     string
		tau      float64
		unbiased bool
	}{
		{quadratic, "st", 1, false},
		{quadratic, "gst-1.0", 1, false},
		{quadratic, "reinmax", 1, true},
		{quadratic, "reinmax", 1.5, false},
		{cubic, "reinmax", 1, false},
		{cubic, "st", 2, false},
	} {
		est := mustEstimator(t, test.name, test.tau)
		r, err := Measure(backend, test.p, est, Config{Draws: 20000, Seed: 5, Level: 0.99}, nil)
		if err != nil {
			t.Fatal(err)
		}
		id := est.String() + " on " + test.p.Name()
		if r.ExactRelBias == nil {
			t.Fatalf("%s: no exact relative bias", id)
		}
		exact := *r.ExactRelBias
		if !(r.RelBiasLo <= exact && exact <= r.RelBiasHi) {
			t.Errorf("%s: exact relative bias %.5f outside the lab's interval [%.5f, %.5f]", id, exact, r.RelBiasLo, r.RelBiasHi)
		}
		if test.unbiased {
			if !(exact <= 1e-12 && r.RelBiasLo == 0) {
				t.Errorf("%s: exact relative bias %g and interval [%g, %g], want 0 and an interval from 0", id, exact, r.RelBiasLo, r.RelBiasHi)
			}
		} else if !(r.RelBiasLo > 0) {
			t.Errorf("%s: interval [%g, %g] contains 0, want a resolved bias (exact %g)", id, r.RelBiasLo, r.RelBiasHi, exact)
		}
		mse, meanCos, cosMean := exactLaw(t, test.p, est.Oracle)
		for _, c := range []struct {
			what         string
			want, lo, hi float64
		}{
			{"mean squared error", mse, r.MSELo, r.MSEHi},
			{"mean cosine", meanCos, r.MeanCosLo, r.MeanCosHi},
			{"cosine of the mean", cosMean, r.CosOfMeanLo, r.CosOfMeanHi},
		} {
			if !(c.lo <= c.want && c.want <= c.hi) {
				t.Errorf("%s: exact %s %.5f outside the lab's interval [%.5f, %.5f]", id, c.what, c.want, c.lo, c.hi)
			}
		}
		if !(math.Abs(r.MSE-(r.Bias2+r.Var)) <= 1e-12*r.MSE) {
			t.Errorf("%s: MSE %v != bias² %v + var %v", id, r.MSE, r.Bias2, r.Var)
		}
	}
}

// TestMeasureSeed checks that a seed fixes the draws and that another seed changes them, on an estimator with
// Gumbel noise (STGS, which has no oracle form: no exact relative bias is reported).
func TestMeasureSeed(t *testing.T) {
	t.Parallel()
	backend := testutil.Backend(t)
	p := mustProblem(t, ProblemSpec{Name: "net", L: 2, C: 2})
	est := mustEstimator(t, "stgs", 0.5)
	var rs []*Result
	for _, seed := range []int64{3, 3, 4} {
		r, err := Measure(backend, p, est, Config{Draws: 1000, Batch: 300, Seed: seed}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	if rs[0].N != 1000 || rs[0].ExactRelBias != nil {
		t.Errorf("N = %d, exact relative bias %v: want 1000 draws and none", rs[0].N, rs[0].ExactRelBias)
	}
	if !(rs[0].MeanCos == rs[1].MeanCos && rs[0].Var == rs[1].Var) {
		t.Errorf("seed 3 twice: mean cosines %v and %v, variances %v and %v, want equal", rs[0].MeanCos, rs[1].MeanCos, rs[0].Var, rs[1].Var)
	}
	if rs[0].MeanCos == rs[2].MeanCos {
		t.Errorf("seeds 3 and 4 gave the same mean cosine %v", rs[0].MeanCos)
	}
}

// TestMeasureErrors checks the errors for too few draws and for a problem whose exact gradient fails.
func TestMeasureErrors(t *testing.T) {
	t.Parallel()
	backend := testutil.Backend(t)
	p := mustProblem(t, ProblemSpec{Name: "quadratic", C: 3})
	est := mustEstimator(t, "st", 1)
	for _, n := range []int{-1, 0, 1} {
		if _, err := Measure(backend, p, est, Config{Draws: n}, nil); !errors.Is(err, ErrTooFewDraws) {
			t.Errorf("Measure with %d draws: error %v, want ErrTooFewDraws", n, err)
		}
	}
	big := &FuncProblem{Label: "big", Theta: make([]float64, 42), F: oracle.Quadratic(21, 2, nil, nil)}
	if _, err := Measure(backend, big, est, Config{Draws: 10}, nil); !errors.Is(err, oracle.ErrTooManyOutcomes) {
		t.Errorf("Measure on 2^21 outcomes: error %v, want ErrTooManyOutcomes", err)
	}
}

// TestScoreFunction checks the score-function adapter: REINFORCE and RLOO are unbiased, so on the cubic (where
// ReinMax is not) their relative-bias intervals must start at 0, and no exact value is claimed for them.
func TestScoreFunction(t *testing.T) {
	t.Parallel()
	backend := testutil.Backend(t)
	p := mustProblem(t, ProblemSpec{Name: "cubic", C: 5})
	for _, name := range []string{"reinforce", "rloo"} {
		sf, err := reinmax.NewScoreFunction(name, reinmax.Params{K: 4})
		if err != nil {
			t.Fatal(err)
		}
		est := FromScoreFunction(sf)
		r, err := Measure(backend, p, est, Config{Draws: 10000, Seed: 2, Level: 0.99}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !(r.RelBiasLo == 0 && r.RelBiasHi < 0.05) || r.ExactRelBias != nil || r.K != 4 {
			t.Errorf("%s: relative bias %v [%v, %v] (exact %v), K = %d; want an interval from 0, below 0.05, no exact value, K = 4",
				name, r.RelBias, r.RelBiasLo, r.RelBiasHi, r.ExactRelBias, r.K)
		}
	}
}
