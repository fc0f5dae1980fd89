package oracle

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// alphas are the mixing weights of the tests: the ends of the range (½ and a large α close to ST), ReinMax (1),
// and points on either side of it.
var alphas = []float64{0.5, 0.75, 1, 1.5, 2, 20}

// TestReinMaxAlphaIsReinMax checks that ReinMaxAlpha with Alpha = 1 is ReinMax, sample by sample, at several
// temperatures, with and without the soft path: the two compute the same gradient along different routes
// (J((P + D)/2) against J(P) and (D − P)(D − P)ᵀ), so they agree to rounding, 1e-14.
func TestReinMaxAlphaIsReinMax(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(21, 21))
	for _, tau := range []float64{1, 1.3, 3} {
		for trial := range 20 {
			C := 2 + trial%6
			theta, gD, gp := normals(rnd, C), normals(rnd, C), normals(rnd, C)
			if trial%2 == 0 {
				gp = nil
			}
			for s := range C {
				want, got := make([]float64, C), make([]float64, C)
				ReinMax{Tau: tau}.Grad(want, theta, s, gD, gp)
				ReinMaxAlpha{Tau: tau, Alpha: 1}.Grad(got, theta, s, gD, gp)
				if d := maxAbsDiff(got, want); !(d <= 1e-14*(1+norm(want))) {
					t.Fatalf("tau %v, C = %d, s = %d: ReinMaxAlpha(1) = %v, ReinMax = %v (gap %g)", tau, C, s, got, want, d)
				}
			}
		}
	}
}

// TestReinMaxAlphaJacobianForm checks the identity behind the closed form: for alpha > ½ the gradient equals
// J(π_α) g_D/(1 − β) − β J(π₀) g_D + J(π₀) g_p with π_α = (1 − β) softmax(θ/τ) + β D, computed here from its
// definition, to rounding.
func TestReinMaxAlphaJacobianForm(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(22, 22))
	for _, alpha := range alphas[1:] {
		for _, tau := range []float64{1, 2} {
			C := 5
			theta, gD, gp := normals(rnd, C), normals(rnd, C), normals(rnd, C)
			beta := 1 / (2 * alpha)
			for s := range C {
				pa := make([]float64, C)
				SoftmaxTau(pa, theta, tau)
				for i := range pa {
					pa[i] *= 1 - beta
				}
				pa[s] += beta
				want := make([]float64, C)
				JVP(want, pa, gD)
				scale(want, 1/(1-beta))
				v := make([]float64, C)
				for i := range v {
					v[i] = gp[i] - beta*gD[i]
				}
				pi0 := make([]float64, C)
				Softmax(pi0, theta)
				JVP(v, pi0, v)
				for i := range want {
					want[i] += v[i]
				}
				got := make([]float64, C)
				ReinMaxAlpha{Tau: tau, Alpha: alpha}.Grad(got, theta, s, gD, gp)
				if d := maxAbsDiff(got, want); !(d <= 1e-13*(1+norm(want))) {
					t.Errorf("alpha %v, tau %v, s = %d: closed form %v, Jacobian form %v (gap %g)", alpha, tau, s, got, want, d)
				}
			}
		}
	}
}

// TestReinMaxAlphaExpectation checks the expectation of the α family at τ = 1 on smooth, quadratic and cubic losses:
//
//   - E_D[ReinMaxAlpha(α)] = Quadrature(w = 1/(2α)) to 1e-12, which at α = 1 is Heun (= E[ReinMax]);
//   - E_D[ReinMaxAlpha(α)] = (1 − 1/α)·E_D[ST] + (1/α)·E_D[ReinMax] (the estimator is that combination sample by
//     sample);
//   - on quadratic losses the bias is (1 − 1/α) times ST's: zero at α = 1 only. The test requires the relative bias
//     to exceed 1e-3 at every α ≠ 1, so that "exact only at α = 1" is a finding and not a tolerance.
func TestReinMaxAlphaExpectation(t *testing.T) {
	t.Parallel()
	must := mustGrad(t)
	for _, kind := range []string{"smooth", "quadratic", "cubic"} {
		for _, p := range problems(23, kind) {
			exact := must(ExactGradient(p.theta, p.f))
			st := must(ExpectedGradient(p.theta, p.f, ST{Tau: 1}))
			rm := must(ExpectedGradient(p.theta, p.f, ReinMax{Tau: 1}))
			heun := must(Heun(p.theta, p.f))
			tol := 1e-12 * (1 + norm(exact))
			for _, alpha := range alphas {
				name := fmt.Sprintf("%s (L=%d, C=%d), alpha %v", p.name, p.f.L, p.f.C, alpha)
				got := must(ExpectedGradient(p.theta, p.f, ReinMaxAlpha{Tau: 1, Alpha: alpha}))
				quad := must(Quadrature(p.theta, p.f, 1/(2*alpha)))
				if d := maxAbsDiff(got, quad); !(d <= tol) {
					t.Errorf("%s: |E[ReinMaxAlpha] - Quadrature(1/(2 alpha))| = %g", name, d)
				}
				mix := make([]float64, len(st))
				for i := range mix {
					mix[i] = (1-1/alpha)*st[i] + rm[i]/alpha
				}
				if d := maxAbsDiff(got, mix); !(d <= tol) {
					t.Errorf("%s: |E[ReinMaxAlpha] - ((1-1/alpha) E[ST] + E[ReinMax]/alpha)| = %g", name, d)
				}
				if alpha == 1 {
					if d := maxAbsDiff(got, heun); !(d <= tol) {
						t.Errorf("%s: |E[ReinMaxAlpha(1)] - Heun| = %g", name, d)
					}
				}
				if kind != "quadratic" {
					continue
				}
				bias, stBias := sub(got, exact), sub(st, exact)
				for i := range stBias {
					stBias[i] *= 1 - 1/alpha
				}
				if d := maxAbsDiff(bias, stBias); !(d <= tol) {
					t.Errorf("%s: bias %v, want (1 - 1/alpha) times ST's, %v", name, bias, stBias)
				}
				rel := norm(bias) / norm(exact)
				switch {
				case alpha == 1 && !(rel <= 1e-12):
					t.Errorf("%s: relative bias %g on a quadratic, want 0", name, rel)
				case alpha != 1 && !(rel > 1e-3):
					t.Errorf("%s: relative bias %g on a quadratic, want > 1e-3", name, rel)
				}
			}
		}
	}
}

// TestReinMaxAlphaLinear checks that every α is exact for a loss linear in D (the rule is consistent), while the
// variant of the published code, 2·[diag(π_α) − π₁π_αᵀ] g_D − β J(π₀) g_D, scales the gradient of a linear loss by
// 2 − 1/α (so it is consistent at α = 1 only); the comparison is why ReinMaxAlpha chooses other coefficients.
func TestReinMaxAlphaLinear(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(24, 24))
	const L, C = 2, 4
	theta := normals(rnd, L*C)
	f := Quadratic(L, C, nil, normals(rnd, L*C))
	exact := mustGrad(t)(ExactGradient(theta, f))
	for _, alpha := range alphas {
		got := mustGrad(t)(ExpectedGradient(theta, f, ReinMaxAlpha{Tau: 1, Alpha: alpha}))
		if d := maxAbsDiff(got, exact); !(d <= 1e-13) {
			t.Errorf("alpha %v: linear loss, E[ReinMaxAlpha] - exact = %g", alpha, d)
		}
		pub := mustGrad(t)(ExpectedGradient(theta, f, publishedAlpha{alpha}))
		for i := range pub {
			if want := (2 - 1/alpha) * exact[i]; !(math.Abs(pub[i]-want) <= 1e-13) {
				t.Errorf("alpha %v: published variant's expectation[%d] = %v, want (2 - 1/alpha)·exact = %v", alpha, i, pub[i], want)
			}
		}
	}
}

// publishedAlpha is the α variant as the repository danielwang0452/ReinMax_ASC computes it (reinmax/reinmax.py,
// transcribed from its formula, at τ = 1): 2·(π_α⊙g − π₁⟨π_α, g⟩) − β J(π₀) g, π₁ = (π₀ + D)/2.
type publishedAlpha struct{ alpha float64 }

func (e publishedAlpha) Grad(dst, theta []float64, s int, gD, _ []float64) {
	C := len(theta)
	beta := 1 / (2 * e.alpha)
	pi0 := make([]float64, C)
	Softmax(pi0, theta)
	pa, p1 := make([]float64, C), make([]float64, C)
	for i := range pa {
		pa[i] = (1 - beta) * pi0[i]
		p1[i] = 0.5 * pi0[i]
	}
	pa[s] += beta
	p1[s] += 0.5
	c := dot(pa, gD)
	v := make([]float64, C)
	for i := range v {
		v[i] = -beta * gD[i]
	}
	JVP(v, pi0, v)
	for i := range dst {
		dst[i] = 2*(pa[i]*gD[i]-p1[i]*c) + v[i]
	}
}

// TestReinMaxAlphaPanics checks the range of Alpha.
func TestReinMaxAlphaPanics(t *testing.T) {
	t.Parallel()
	theta, gD, dst := []float64{0, 1}, []float64{1, 2}, make([]float64, 2)
	for _, a := range []float64{0, 0.49, -1, math.NaN(), math.Inf(1)} {
		if !panics(func() { ReinMaxAlpha{Tau: 1, Alpha: a}.Grad(dst, theta, 0, gD, nil) }) {
			t.Errorf("Alpha = %v: no panic", a)
		}
	}
}
