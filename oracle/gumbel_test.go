package oracle

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// Extreme uniforms: the smallest positive float64 and the largest float64 below 1.
var (
	uTiny = math.SmallestNonzeroFloat64
	uTop  = 1 - 0x1p-53
)

// TestGumbelMaxLaw checks that argmax(theta + Gumbel) ~ Cat(softmax theta) with Pearson's chi-square
// test (seed fixed; 1e5 draws; 5 unmasked categories, 4 degrees of freedom; critical value the 0.999
// quantile of chi-square(4), 18.47), and that a masked category is never drawn.
func TestGumbelMaxLaw(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(6, 6))
	theta := []float64{1, -0.5, 0.25, 2, -1, negInf}
	const C, N = 6, 100000
	pi := make([]float64, C)
	Softmax(pi, theta)
	var count [C]int
	z, u := make([]float64, C), make([]float64, C)
	for range N {
		for j := range u {
			u[j] = openUnif(rnd)
		}
		count[GumbelMax(z, theta, u)]++
	}
	if count[5] != 0 {
		t.Errorf("masked category drawn %d times", count[5])
	}
	var chi2 float64
	for j := range 5 {
		e := N * pi[j]
		chi2 += (float64(count[j]) - e) * (float64(count[j]) - e) / e
	}
	crit := distuv.ChiSquared{K: 4}.Quantile(0.999)
	t.Logf("chi-square = %.2f (critical %.2f), counts %v", chi2, crit, count)
	if !(chi2 <= crit) {
		t.Errorf("chi-square = %.2f > %.2f: counts %v do not follow pi = %v", chi2, crit, count, pi)
	}
}

func TestGumbelMaxExtremes(t *testing.T) {
	t.Parallel()
	z := make([]float64, 3)
	// -log(-log uTiny) = -6.61 and -log(-log uTop) = 36.74, so index 1 wins.
	s := GumbelMax(z, []float64{80, 80, negInf}, []float64{uTiny, uTop, uTop})
	if s != 1 || math.IsInf(z[0], 0) || math.IsInf(z[1], 0) || !math.IsInf(z[2], -1) {
		t.Errorf("GumbelMax at extreme uniforms: s = %d, z = %v; want s = 1, finite z except z[2] = -Inf", s, z)
	}
}

// TestConditionalGumbelExtremes checks argmax z = s, finiteness for logits of 80, and z = -Inf at masked
// logits, for uniforms at both ends of (0, 1).
func TestConditionalGumbelExtremes(t *testing.T) {
	t.Parallel()
	theta := []float64{80, 0, negInf, 79.5, -3}
	const C = 5
	rnd := rand.New(rand.NewPCG(8, 8))
	for _, s := range []int{0, 1, 3, 4} {
		fill := func(us, others float64) []float64 {
			u := make([]float64, C)
			for j := range u {
				u[j] = others
			}
			u[s] = us
			return u
		}
		for _, u := range [][]float64{
			fill(uTiny, uTiny), fill(uTop, uTop), fill(uTiny, uTop), fill(uTop, uTiny),
			fill(0.5, uTop), openUnifs(rnd, C),
		} {
			z := make([]float64, C)
			ConditionalGumbel(z, theta, s, u)
			best := 0
			for j, v := range z {
				if v > z[best] {
					best = j
				}
				switch {
				case j == 2 && !math.IsInf(v, -1):
					t.Errorf("s=%d, u=%v: masked z[2] = %v, want -Inf", s, u, v)
				case j != 2 && (math.IsInf(v, 0) || math.IsNaN(v)):
					t.Errorf("s=%d, u=%v: z[%d] = %v, want finite", s, u, j, v)
				case j != s && !(v < z[s]):
					t.Errorf("s=%d, u=%v: z[%d] = %v is not below z[s] = %v", s, u, j, v, z[s])
				}
			}
			if best != s {
				t.Errorf("s=%d, u=%v: argmax z = %d, z = %v", s, u, best, z)
			}
		}
	}
}

// TestConditionalGumbelLaw checks that drawing s ~ Cat(pi) and then z from ConditionalGumbel(theta, s)
// gives the law of theta + G (Gumbel-max). Two statistics, each within 5 standard errors (fixed seed):
//   - the mean of z_j, whose exact value is theta_j + γ (Euler's constant), variance π²/6 per draw;
//   - the mean of softmax(z/tau)_j, compared with the same mean under GumbelMax, with the standard error
//     of the difference estimated from both samples' variances.
func TestConditionalGumbelLaw(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(9, 9))
	theta := []float64{1, -0.5, 0.25, 2}
	const C, N, tau = 4, 40000, 0.5
	pi := make([]float64, C)
	Softmax(pi, theta)
	var zSum, cSum, cSq, uSum, uSq [C]float64
	z, y := make([]float64, C), make([]float64, C)
	for range N {
		s := sampleCat(pi, openUnif(rnd))
		ConditionalGumbel(z, theta, s, openUnifs(rnd, C))
		SoftmaxTau(y, z, tau)
		for j := range C {
			zSum[j] += z[j]
			cSum[j] += y[j]
			cSq[j] += y[j] * y[j]
		}
		GumbelMax(z, theta, openUnifs(rnd, C))
		SoftmaxTau(y, z, tau)
		for j := range C {
			uSum[j] += y[j]
			uSq[j] += y[j] * y[j]
		}
	}
	const eulerGamma = 0.5772156649015329 // Euler-Mascheroni constant, mean of the standard Gumbel
	seZ := math.Pi / math.Sqrt(6*N)
	for j := range C {
		if m, want := zSum[j]/N, theta[j]+eulerGamma; !(math.Abs(m-want) <= 5*seZ) {
			t.Errorf("mean z[%d] = %.4f, want %.4f ± %.4f", j, m, want, 5*seZ)
		}
		mc, mu := cSum[j]/N, uSum[j]/N
		vc, vu := cSq[j]/N-mc*mc, uSq[j]/N-mu*mu
		se := math.Sqrt(vc/N + vu/N)
		if !(math.Abs(mc-mu) <= 5*se) {
			t.Errorf("mean softmax(z/tau)[%d]: conditional %.4f, unconditional %.4f, tolerance %.4f", j, mc, mu, 5*se)
		}
	}
}

func TestUniformOutsideOpenIntervalPanics(t *testing.T) {
	t.Parallel()
	theta := []float64{0, 1}
	z := make([]float64, 2)
	for _, u := range [][]float64{{0, 0.5}, {0.5, 1}, {math.NaN(), 0.5}} {
		if !panics(func() { GumbelMax(z, theta, u) }) {
			t.Errorf("GumbelMax with u = %v did not panic", u)
		}
		if !panics(func() { ConditionalGumbel(z, theta, 1, u) }) {
			t.Errorf("ConditionalGumbel with u = %v did not panic", u)
		}
	}
	if !panics(func() { ConditionalGumbel(z, []float64{0, negInf}, 1, []float64{0.5, 0.5}) }) {
		t.Error("ConditionalGumbel with a masked sampled category did not panic")
	}
}
