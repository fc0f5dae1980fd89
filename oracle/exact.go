package oracle

// Expectation returns the exact expectation E_D f(D) under D_l ~ Cat(softmax theta_l), independent over
// l, by enumerating the C^L joint outcomes; outcomes of probability 0 are skipped. The error is that of
// NumOutcomes. It panics if f does not match theta.
func Expectation(theta []float64, f Func) (float64, error) {
	f.mustMatch(theta)
	outs, err := Outcomes(f.L, f.C)
	if err != nil {
		return 0, err
	}
	pi := rowProbs(theta, f.C)
	D := make([]float64, f.L*f.C)
	var e float64
	for d := range outs {
		p := 1.0
		for l, i := range d {
			p *= pi[l*f.C+i]
		}
		if p == 0 {
			continue
		}
		OneHot(D, d, f.C)
		e += p * f.F(D)
	}
	return e, nil
}

// ExactGradient returns the gradient of E_D f(D) with respect to theta (length L*C), by enumeration.
// For variable l,
//
//	∂E f/∂theta_l = J(pi_l) h_l,   h_{l,i} = E_{D_{-l}} f(e_i, D_{-l}),
//
// where D_{-l} are the other variables: only row l of pi depends on theta_l, and
// ∂pi_{l,i}/∂theta_l = J(pi_l) e_i. The error is that of NumOutcomes; it panics if f does not match theta.
func ExactGradient(theta []float64, f Func) ([]float64, error) {
	C := f.C
	pi := rowProbs(theta, C)
	h := make([]float64, len(theta))
	err := sections(theta, pi, f, false, func(l int, w float64, val, _ []float64) {
		hl := h[l*C : (l+1)*C]
		for i, v := range val {
			hl[i] += w * v
		}
	})
	if err != nil {
		return nil, err
	}
	return applyJ(pi, h, C), nil
}

// Euler returns, for every variable l, the forward-Euler (first-order) approximation of the exact
// gradient, averaged over the other variables D_{-l}:
//
//	J(pi_l) h_l,   h_{l,i} = E_{D_{-l}} Σ_j pi_{l,j} g_j · (e_i - e_j),
//
// where g_j = ∂f/∂d_l at (e_j, D_{-l}). It is the exact gradient with f(e_i) - f(e_j) replaced by its
// first-order Taylor expansion at e_j, and it equals E_D[ST] at tau = 1 (reference section 1.3). It is
// Quadrature with w = 0. f.Grad is required. Errors and panics are those of ExactGradient.
func Euler(theta []float64, f Func) ([]float64, error) { return Quadrature(theta, f, 0) }

// Heun returns, for every variable l, the Heun (trapezoid, second-order) approximation of the exact
// gradient, averaged over the other variables D_{-l}:
//
//	J(pi_l) h_l,   h_{l,i} = E_{D_{-l}} Σ_j pi_{l,j} ½(g_i + g_j) · (e_i - e_j),
//
// with g_j as in Euler. It is exact when f is quadratic in d_l, and it equals E_D[ReinMax] at tau = 1
// (reference section 1.3). It is Quadrature with w = ½. f.Grad is required. Errors and panics are those of
// ExactGradient.
func Heun(theta []float64, f Func) ([]float64, error) { return Quadrature(theta, f, 0.5) }

// Quadrature returns, for every variable l, the two-node rule with weight w on the far node for
// f(e_i) - f(e_j) = ∫₀¹ ∂f(e_j + t(e_i - e_j))·(e_i - e_j) dt, averaged over the other variables D_{-l}:
//
//	J(pi_l) h_l,   h_{l,i} = E_{D_{-l}} Σ_j pi_{l,j} [(1 - w) g_j + w g_i] · (e_i - e_j),
//
// with g_j as in Euler. w = 0 is Euler (E_D[ST] at tau = 1), w = ½ is Heun (E_D[ReinMax]), w = 1 takes the
// gradient at the far node only, and E_D[ReinMaxAlpha] at tau = 1 is the rule with w = 1/(2 Alpha). Every w
// is exact for f linear in d_l; for f quadratic in d_l the rule's error is (w - ½)·Σ_j pi_{l,j}
// (g_i - g_j)·(e_i - e_j) before J(pi_l), so only w = ½ is exact. f.Grad is required. Errors and panics are
// those of ExactGradient.
func Quadrature(theta []float64, f Func, w float64) ([]float64, error) {
	C := f.C
	pi := rowProbs(theta, C)
	h := make([]float64, len(theta))
	err := sections(theta, pi, f, true, func(l int, wt float64, _, g []float64) {
		p, hl := pi[l*C:(l+1)*C], h[l*C:(l+1)*C]
		for i := range C {
			gi := g[i*C : (i+1)*C]
			for j, pj := range p {
				gj := g[j*C : (j+1)*C]
				hl[i] += wt * pj * ((1-w)*(gj[i]-gj[j]) + w*(gi[i]-gi[j]))
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return applyJ(pi, h, C), nil
}

// ExpectedGradient returns the exact expectation over D of the estimator est, for every variable l:
//
//	E_D[ est(theta_l, D_l, gD_l) ],   gD_l = ∂f/∂d_l at D,
//
// with no soft path (gp = 0). It enumerates D_{-l} and then the C values of D_l, with their
// probabilities. f.Grad is required. Errors and panics are those of ExactGradient.
func ExpectedGradient(theta []float64, f Func, est Estimator) ([]float64, error) {
	C := f.C
	pi := rowProbs(theta, C)
	out := make([]float64, len(theta))
	tmp := make([]float64, C)
	err := sections(theta, pi, f, true, func(l int, w float64, _, g []float64) {
		th, p, ol := theta[l*C:(l+1)*C], pi[l*C:(l+1)*C], out[l*C:(l+1)*C]
		for s, ps := range p {
			if ps == 0 {
				continue
			}
			est.Grad(tmp, th, s, g[s*C:(s+1)*C], nil)
			for i, v := range tmp {
				ol[i] += w * ps * v
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyJ replaces every row h_l of h by J(pi_l) h_l and returns h.
func applyJ(pi, h []float64, C int) []float64 {
	for l := 0; l < len(h); l += C {
		JVP(h[l:l+C], pi[l:l+C], h[l:l+C])
	}
	return h
}

// sections calls fn(l, w, val, g) for every variable l and every outcome D_{-l} of the other variables
// that has probability w = Π_{m≠l} pi_{m,d_m} > 0. Together they describe f restricted to variable l:
//
//	val[i] = f(e_i, D_{-l}),   g[j*C+i] = ∂f/∂d_{l,i} at (e_j, D_{-l})   (g only if wantGrad).
//
// The slices are reused between calls.
func sections(theta, pi []float64, f Func, wantGrad bool, fn func(l int, w float64, val, g []float64)) error {
	f.mustMatch(theta)
	if wantGrad && f.Grad == nil {
		panic(noGrad)
	}
	L, C := f.L, f.C
	if _, err := NumOutcomes(L, C); err != nil {
		return err
	}
	rest, _ := Outcomes(L-1, C) // cannot fail: C^(L-1) <= C^L
	d := make([]int, L)
	D, grad := make([]float64, L*C), make([]float64, L*C)
	val, g := make([]float64, C), make([]float64, C*C)
	for l := range L {
		for other := range rest {
			copy(d[:l], other[:l])
			copy(d[l+1:], other[l:])
			w := 1.0
			for m, i := range d {
				if m != l {
					w *= pi[m*C+i]
				}
			}
			if w == 0 {
				continue
			}
			for i := range C {
				d[l] = i
				OneHot(D, d, C)
				val[i] = f.F(D)
				if wantGrad {
					f.Grad(grad, D)
					copy(g[i*C:(i+1)*C], grad[l*C:(l+1)*C])
				}
			}
			fn(l, w, val, g)
		}
	}
	return nil
}
