package gradlab

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/f60e9205/reinmax/internal/stats"

	"gonum.org/v1/gonum/mat"
)

// TestStatsByHand checks every figure on two draws, [1, 0] and [3, 0], of an estimator of g* = [1, 1], worked out by
// hand: mean [2, 0], variances [2, 0] (tr = 2), squared errors 1 and 5 (MSE 3 = bias² 1 + var 2), ‖ḡ − g*‖ = √2,
// every cosine 1/√2.
func TestStatsByHand(t *testing.T) {
	t.Parallel()
	acc, err := NewAccumulator([]float64{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.AddBatch([]float64{1, 0, 3, 0}); err != nil {
		t.Fatal(err)
	}
	s, err := acc.Stats(0.95, 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := 1 / math.Sqrt2
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"N", float64(s.N), 2},
		{"ExactNorm", s.ExactNorm, math.Sqrt2},
		{"RelBiasPlugIn", s.RelBiasPlugIn, 1},
		{"NoiseFloor", s.NoiseFloor, r},
		{"RelStd", s.RelStd, 1},
		{"MeanCos", s.MeanCos, r},
		{"MeanCosLo", s.MeanCosLo, r}, // zero variance: a degenerate interval
		{"MeanCosHi", s.MeanCosHi, r},
		{"CosOfMean", s.CosOfMean, r},
		{"MSE", s.MSE, 3},
		{"Bias2", s.Bias2, 1},
		{"Var", s.Var, 2},
	} {
		if !(math.Abs(c.got-c.want) <= 1e-12) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !(s.RelBiasLo <= s.RelBias && s.RelBias <= s.RelBiasHi) {
		t.Errorf("RelBias %v outside its interval [%v, %v]", s.RelBias, s.RelBiasLo, s.RelBiasHi)
	}
}

// gaussianDraws returns n draws of mean mu and covariance A·Aᵀ, A = (I − 11ᵀ/d)·diag(scale): like gradients of a
// categorical variable, each draw sums to sum(mu), so the covariance is singular and its coordinates correlated.
func gaussianDraws(rnd *rand.Rand, n int, mu, scale []float64) []float64 {
	d := len(mu)
	x := make([]float64, n*d)
	z := make([]float64, d)
	for r := range n {
		var mean float64
		for i := range z {
			z[i] = scale[i] * rnd.NormFloat64()
			mean += z[i] / float64(d)
		}
		for i := range z {
			x[r*d+i] = mu[i] + z[i] - mean
		}
	}
	return x
}

// TestBiasIntervalCoverage checks the coverage of the relative-bias interval on Gaussian draws with a known bias β,
// from β = 0 to β far above the noise floor √(tr S) (about 0.055 and 0.11 here), with equal and with very unequal
// variances. Over R = 300 repetitions at level 0.95 the number of intervals that contain the true ‖β‖/‖g*‖ is
// binomial with standard deviation √(R·0.95·0.05) ≈ 3.8: the test accepts 95% ± 4 standard deviations. At β = 0
// the interval misses only below, so its coverage is 97.5% by construction, still inside the band. Taking β's
// direction to be b̂'s in the bootstrap (instead of the profile direction β_ρ) fails this test: with the unequal
// variances and |β| = 0.2 the coverage falls to about 78%.
func TestBiasIntervalCoverage(t *testing.T) {
	t.Parallel()
	exact := []float64{0.5, -0.2, -0.1, -0.2}
	dir := []float64{1, -1, 0.5, -0.5} // sums to 0, like a gradient
	const n, reps, level = 1000, 300, 0.95
	norm := func(x []float64) float64 {
		return math.Sqrt(mat.Dot(mat.NewVecDense(len(x), x), mat.NewVecDense(len(x), x)))
	}
	for _, scale := range [][]float64{{1, 1, 1, 1}, {4, 0.5, 0.5, 0.5}} {
		for _, bias := range []float64{0, 0.1, 0.2, 2} {
			rnd := rand.New(rand.NewPCG(21, uint64(100*bias)))
			beta := make([]float64, len(dir))
			mu := make([]float64, len(dir))
			for i := range dir {
				beta[i] = bias * dir[i] / norm(dir)
				mu[i] = exact[i] + beta[i]
			}
			want := norm(beta) / norm(exact)
			covered := 0
			for rep := range reps {
				acc, err := NewAccumulator(exact)
				if err != nil {
					t.Fatal(err)
				}
				if err := acc.AddBatch(gaussianDraws(rnd, n, mu, scale)); err != nil {
					t.Fatal(err)
				}
				s, err := acc.Stats(level, 500, uint64(rep))
				if err != nil {
					t.Fatal(err)
				}
				if s.RelBiasLo <= want && want <= s.RelBiasHi {
					covered++
				}
			}
			sd := math.Sqrt(reps * level * (1 - level))
			if !(math.Abs(float64(covered)-reps*level) <= 4*sd) {
				t.Errorf("scale %v, |β| = %v: %d of %d intervals contain the true relative bias %.4f, want %.0f ± %.0f",
					scale, bias, covered, reps, want, reps*level, 4*sd)
			}
		}
	}
}

// TestBiasIntervalDelta checks that far from 0 the interval is the delta method's, ‖b̂‖ ± z·√(uᵀSu), u = b̂/‖b̂‖,
// S = Cov/N: with 10⁴ draws and a bias of 200 noise floors the two agree to a few percent of the half-width
// (the bootstrap quantiles of 4000 replicates are good to about 2%).
func TestBiasIntervalDelta(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(31, 32))
	exact := []float64{1, -0.5, -0.5}
	mu := []float64{1.3, -0.7, -0.6}
	const n = 10000
	acc, _ := NewAccumulator(exact)
	x := gaussianDraws(rnd, n, mu, []float64{1, 1, 2})
	if err := acc.AddBatch(x); err != nil {
		t.Fatal(err)
	}
	s, err := acc.Stats(0.95, 4000, 3)
	if err != nil {
		t.Fatal(err)
	}
	mean := acc.Moments().Mean()
	cov := acc.Moments().Cov()
	b := make([]float64, 3)
	var bn float64
	for i := range b {
		b[i] = mean[i] - exact[i]
		bn += b[i] * b[i]
	}
	bn = math.Sqrt(bn)
	u := mat.NewVecDense(3, []float64{b[0] / bn, b[1] / bn, b[2] / bn})
	se := math.Sqrt(mat.Inner(u, cov, u) / n)
	gn := math.Sqrt(1.5)
	half := 1.959963984540054 * se / gn // z_{0.975}
	if got := (s.RelBiasHi - s.RelBiasLo) / 2; !(math.Abs(got-half) <= 0.05*half) {
		t.Errorf("half-width %v, delta method %v", got, half)
	}
	if mid := (s.RelBiasHi + s.RelBiasLo) / 2; !(math.Abs(mid-bn/gn) <= 0.05*half) {
		t.Errorf("interval centre %v, want ‖b̂‖/‖g*‖ = %v", mid, bn/gn)
	}
}

// TestStatsErrors checks the errors of NewAccumulator, AddBatch and Stats.
func TestStatsErrors(t *testing.T) {
	t.Parallel()
	if _, err := NewAccumulator([]float64{0, 0}); err == nil || !strings.Contains(err.Error(), "is 0") {
		t.Errorf("NewAccumulator(zero gradient): error %v, want one saying the gradient is 0", err)
	}
	if _, err := NewAccumulator([]float64{1, math.NaN()}); err == nil {
		t.Errorf("NewAccumulator(NaN): no error")
	}
	acc, _ := NewAccumulator([]float64{1, -1})
	if err := acc.AddBatch([]float64{1, math.Inf(1)}); err == nil || acc.N() != 0 {
		t.Errorf("AddBatch(+Inf): error %v and N = %d, want an error and nothing added", err, acc.N())
	}
	acc.AddBatch([]float64{1, -1})
	if _, err := acc.Stats(0.95, 1000, 1); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("Stats with 1 draw: error %v, want one asking for at least 2 draws", err)
	}
	acc.AddBatch([]float64{2, -2})
	for _, c := range []struct {
		level float64
		reps  int
	}{{1, 1000}, {math.NaN(), 1000}, {0.95, 10}} {
		if _, err := acc.Stats(c.level, c.reps, 1); err == nil {
			t.Errorf("Stats(level %v, %d replicates): no error", c.level, c.reps)
		}
	}
}

// TestSelectQuantile checks the selection-based quantile against the sorted one, on samples with ties.
func TestSelectQuantile(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(41, 42))
	for _, n := range []int{1, 2, 3, 10, 101, 500} {
		for _, p := range []float64{0, 0.025, 0.5, 0.975, 1} {
			x := make([]float64, n)
			for i := range x {
				x[i] = math.Round(10 * rnd.NormFloat64()) // ties
			}
			sorted := append([]float64(nil), x...)
			slices.Sort(sorted)
			if got, want := selectQuantile(x, p), stats.Quantile(sorted, p); !(got == want) {
				t.Errorf("n = %d, p = %v: selectQuantile %v, sorted quantile %v", n, p, got, want)
			}
		}
	}
}
