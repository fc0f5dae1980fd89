package reinmax

import (
	"math"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/f60e9205/reinmax/oracle"
)

// The statistical tests of ReinMax-Rao and ReinMax-CV evaluate the gradient of ⟨hard, g_D⟩ on n copies of one row
// of logits with one fixed sample, each copy with its own noise: the rows are independent draws of the estimator
// given D. Tolerances are 5 standard errors estimated from the rows.

// raoRow is the row of the tests: logits, the sampled category and g_D.
var raoRow = struct {
	logits, gD []float64
	s          int
}{[]float64{0.5, -1, 1.5, 0, -0.3}, []float64{1, -2, 0.5, 3, -1}, 0}

// givenRows returns the gradients (n × C, row-major) of ⟨hard, g_D⟩ for every estimator, each with its own seed, on
// n copies of raoRow given its sample, in float64.
func givenRows(t *testing.T, n int, ests ...StraightThrough) [][]float64 {
	t.Helper()
	c := len(raoRow.logits)
	var x, d, g []float64
	for range n {
		x = append(x, raoRow.logits...)
		g = append(g, raoRow.gD...)
		row := make([]float64, c)
		row[raoRow.s] = 1
		d = append(d, row...)
	}
	return run(t, func(gr *Graph, in []*Node) []*Node {
		var res []*Node
		for i, e := range ests {
			hard, _ := e.Given(NewStateSource(gr, int64(100+i)), in[0], in[1])
			res = append(res, Gradient(ReduceAllSum(Mul(hard, in[2])), in[0])[0])
		}
		return res
	}, tensorOf(dtypes.Float64, x, n, c), tensorOf(dtypes.Float64, d, n, c), tensorOf(dtypes.Float64, g, n, c))
}

// columnStats returns, per category, the mean and the standard error of the mean of the rows, and the total variance
// (the sum of the per-category variances).
func columnStats(x []float64, c int) (mean, se []float64, total float64) {
	mean, se = make([]float64, c), make([]float64, c)
	for j := range c {
		m, v := testutil.MeanVar(testutil.Column(x, c, j))
		mean[j], se[j] = m, math.Sqrt(v/float64(len(x)/c))
		total += v
	}
	return mean, se, total
}

// jvp64 returns a·J(p)·v = a·(p⊙v − p⟨p, v⟩) in float64.
func jvp64(p, v []float64, a float64) []float64 {
	var pv float64
	for j := range p {
		pv += p[j] * v[j]
	}
	out := make([]float64, len(p))
	for j := range p {
		out[j] = a * (p[j]*v[j] - p[j]*pv)
	}
	return out
}

// fixedGrad returns the gradient of a deterministic-given-D estimator of package oracle at raoRow.
func fixedGrad(e oracle.Estimator) []float64 {
	g := make([]float64, len(raoRow.logits))
	e.Grad(g, raoRow.logits, raoRow.s, raoRow.gD, nil)
	return g
}

// TestReinMaxRaoIsRaoBlackwellised checks ReinMax-Rao given D against ReinMax-GS, 2·J_τ(z)·g_D − ½J(π₀)·g_D with one
// conditional perturbation z (twice STGS given D, minus the ReinMax correction):
//
//   - with K = 1 and the same source the two are the same draw (the K perturbations come from the uniforms STGS
//     uses), to rounding, at τ = 1 (the weights' form) and τ = 0.7 (the log-space form);
//   - with K = 16 the mean agrees with K = 1's within 5 standard errors and the total variance is 16 times smaller:
//     the ratio must lie in (8, 32), as in TestGRMCKVarianceFallsWithK (4000 rows, relative standard error of each
//     variance ≤ 5%);
//   - its mean is not ReinMax's: the gap exceeds 20 standard errors (an estimator that sees only D and g_D and has
//     ReinMax's expectation for every loss is ReinMax).
func TestReinMaxRaoIsRaoBlackwellised(t *testing.T) {
	t.Parallel()
	const n = 4000
	c := len(raoRow.logits)
	for _, tau := range []float64{1, 0.7} {
		// Seeds: Rao(K=1) and STGS share seed 100 and 101 by position; Rao(16) gets 102.
		// Seeds go by position: first in each call, Rao(K=1) and STGS draw from the same seed.
		rao, stgs := givenRows(t, 8, ReinMaxRao{Tau: tau, K: 1})[0], givenRows(t, 8, STGS{Tau: tau})[0]
		half := jvp64(testutil.Softmax(raoRow.logits), raoRow.gD, -0.5) // −½J(π₀)g_D
		for i := range rao {
			want := 2*stgs[i] + half[i%c]
			if !nearlyEqual(rao[i], want, 1e-12) {
				t.Fatalf("tau %v: Rao(K=1) row %d, category %d = %.15g, 2·STGS − ½J(π₀)g_D = %.15g", tau, i/c, i%c, rao[i], want)
			}
		}
		out := givenRows(t, n, ReinMaxRao{Tau: tau, K: 1}, ReinMaxRao{Tau: tau, K: 16})
		rao1, rao16 := out[0], out[1]
		m1, se1, v1 := columnStats(rao1, c)
		m16, se16, v16 := columnStats(rao16, c)
		rm := fixedGrad(oracle.ReinMax{Tau: 1})
		var gap float64 // the largest |mean − ReinMax| in standard errors
		for j := range c {
			if tol := 5 * math.Hypot(se1[j], se16[j]); !(math.Abs(m16[j]-m1[j]) <= tol) {
				t.Errorf("tau %v, category %d: mean Rao(16) %.5f, mean Rao(1) %.5f, differ by more than %.5f", tau, j, m16[j], m1[j], tol)
			}
			gap = max(gap, math.Abs(m16[j]-rm[j])/se16[j])
		}
		ratio := v1 / v16
		t.Logf("tau %v: total variance K=1 %.5f, K=16 %.5f, ratio %.2f (theory 16); mean - ReinMax up to %.0f standard errors",
			tau, v1, v16, ratio, gap)
		if !(ratio > 8 && ratio < 32) {
			t.Errorf("tau %v: variance ratio K=1 / K=16 = %.2f, want about 16, in (8, 32)", tau, ratio)
		}
		if !(gap > 20) {
			t.Errorf("tau %v: Rao's mean is within %.1f standard errors of ReinMax's gradient; the doc comment says it differs", tau, gap)
		}
	}
}

// TestReinMaxRaoChunked runs ReinMax-Rao where its K perturbations do not fit in one chunk: 4096 rows of 4 logits
// make chunks of 2²⁰/16384 = 64 perturbations, so K = 130 runs the While loop twice and then a chunk of 2. The mean
// must agree with K = 1's within 5 standard errors (K = 1's dominate), and the total variance must fall by about
// 130: the ratio must exceed 65 (each variance has a relative standard error of a few per cent at 4096 rows).
func TestReinMaxRaoChunked(t *testing.T) {
	t.Parallel()
	const n, c = 4096, 4
	logits := []float64{0.3, -0.4, 1, -1.2}
	gD := []float64{1.5, -0.5, 2, -1}
	var x, d, g []float64
	for range n {
		x = append(x, logits...)
		g = append(g, gD...)
		d = append(d, 0, 0, 1, 0)
	}
	out := run(t, func(gr *Graph, in []*Node) []*Node {
		var res []*Node
		for i, k := range []int{1, 130} {
			hard, _ := ReinMaxRao{Tau: 0.8, K: k}.Given(NewStateSource(gr, int64(7+i)), in[0], in[1])
			res = append(res, Gradient(ReduceAllSum(Mul(hard, in[2])), in[0])[0])
		}
		return res
	}, tensorOf(dtypes.Float32, x, n, c), tensorOf(dtypes.Float32, d, n, c), tensorOf(dtypes.Float32, g, n, c))
	m1, se1, v1 := columnStats(out[0], c)
	mk, _, vk := columnStats(out[1], c)
	for j := range c {
		if !(math.Abs(mk[j]-m1[j]) <= 5*se1[j]) {
			t.Errorf("category %d: mean Rao(130) %.5f, mean Rao(1) %.5f ± %.5f", j, mk[j], m1[j], se1[j])
		}
	}
	t.Logf("total variance K=1 %.5f, K=130 %.6f, ratio %.1f", v1, vk, v1/vk)
	if !(v1/vk > 65) {
		t.Errorf("variance ratio K=1 / K=130 = %.1f, want about 130", v1/vk)
	}
}

// TestReinMaxCVGivenD checks ReinMax-CV given D: its control variate has mean zero given D, so the mean of the rows
// is ReinMax's gradient at D (the oracle's, in float64) within 5 standard errors; and its variance given D is
// η²·(1 + 1/K) times that of the relaxed Jacobian's term J_τ(z)·g_D, which is STGS's gradient given D. The ratio of the
// measured total variances to that prediction must lie in (0.75, 1.33): with 4000 rows each variance has a relative
// standard error of about 5%.
func TestReinMaxCVGivenD(t *testing.T) {
	t.Parallel()
	const n = 4000
	c := len(raoRow.logits)
	for _, tc := range []struct {
		tau, eta float64
		k        int
	}{{1, 1, 4}, {1.5, -0.6, 1}} {
		out := givenRows(t, n, ReinMaxCV{Tau: tc.tau, K: tc.k, Eta: tc.eta}, STGS{Tau: tc.tau})
		mean, se, v := columnStats(out[0], c)
		_, _, vs := columnStats(out[1], c)
		rm := fixedGrad(oracle.ReinMax{Tau: tc.tau})
		for j := range c {
			if !(math.Abs(mean[j]-rm[j]) <= 5*se[j]) {
				t.Errorf("%+v, category %d: mean ReinMax-CV %.5f ± %.5f, ReinMax %.5f", tc, j, mean[j], se[j], rm[j])
			}
		}
		want := tc.eta * tc.eta * (1 + 1/float64(tc.k)) * vs
		t.Logf("%+v: total variance %.5f, predicted η²(1+1/K)·Var[STGS | D] = %.5f (ReinMax's given D: 0)", tc, v, want)
		if r := v / want; !(r > 0.75 && r < 1.33) {
			t.Errorf("%+v: variance %.5f, predicted %.5f (ratio %.3f)", tc, v, want, r)
		}
	}
}

// TestReinMaxCVExpectation checks that ReinMax-CV's Sample, where D and z₀ come from one Gumbel perturbation, has
// ReinMax's expectation: for the loss ⟨hard, g⟩ (linear in D, so g_D = g at every sample) the mean over 20000 rows
// matches the oracle's exact E_D[ReinMax] within 5 standard errors per category.
func TestReinMaxCVExpectation(t *testing.T) {
	t.Parallel()
	const n = 20000
	c := len(raoRow.logits)
	var x, g []float64
	for range n {
		x = append(x, raoRow.logits...)
		g = append(g, raoRow.gD...)
	}
	out := run(t, func(gr *Graph, in []*Node) []*Node {
		hard, _ := ReinMaxCV{Tau: 1.3, K: 2}.Sample(NewStateSource(gr, 3), in[0])
		return []*Node{Gradient(ReduceAllSum(Mul(hard, in[1])), in[0])[0]}
	}, tensorOf(dtypes.Float64, x, n, c), tensorOf(dtypes.Float64, g, n, c))
	want, err := oracle.ExpectedGradient(raoRow.logits, oracle.Quadratic(1, c, nil, raoRow.gD), oracle.ReinMax{Tau: 1.3})
	if err != nil {
		t.Fatal(err)
	}
	mean, se, _ := columnStats(out[0], c)
	for j := range c {
		if !(math.Abs(mean[j]-want[j]) <= 5*se[j]) {
			t.Errorf("category %d: mean ReinMax-CV %.5f ± %.5f, exact E[ReinMax] %.5f", j, mean[j], se[j], want[j])
		}
	}
}
