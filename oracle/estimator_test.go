package oracle

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestReferenceVectors checks ReinMax and ST against the test vectors of reference section 1.4
// (a plain-Python transcription of the reinmax backward, given to 6 decimals; hence tolerance 1e-6).
// The ST column there uses gD only, so ST is called with gp = nil.
func TestReferenceVectors(t *testing.T) {
	t.Parallel()
	theta := []float64{1, -0.5, 0.25}
	gD := []float64{0.3, -1.2, 2}
	for _, test := range []struct {
		theta   []float64
		s       int
		gD, gp  []float64
		tau     float64
		reinmax []float64
		st      []float64
	}{
		{theta, 1, gD, nil, 1.0, []float64{.442348, -.888109, .445761}, []float64{-.162913, -.233753, .396666}},
		{theta, 1, gD, nil, 2.0, []float64{.379438, -.926913, .547475}, []float64{-.049296, -.187328, .236624}},
		{theta, 0, gD, []float64{.5, .1, -.4}, 1.5, []float64{.077543, -.197939, .120396}, []float64{-.081965, -.216477, .298441}},
		{[]float64{0, 0}, 0, []float64{1, 0}, nil, 1.0, []float64{.25, -.25}, []float64{.25, -.25}},
	} {
		got := make([]float64, len(test.theta))
		ReinMax{Tau: test.tau}.Grad(got, test.theta, test.s, test.gD, test.gp)
		if d := maxAbsDiff(got, test.reinmax); !(d <= 1e-6) {
			t.Errorf("ReinMax(theta=%v, s=%d, tau=%v) = %v, want %v", test.theta, test.s, test.tau, got, test.reinmax)
		}
		ST{Tau: test.tau}.Grad(got, test.theta, test.s, test.gD, nil)
		if d := maxAbsDiff(got, test.st); !(d <= 1e-6) {
			t.Errorf("ST(theta=%v, tau=%v) = %v, want %v", test.theta, test.tau, got, test.st)
		}
	}
}

// TestGST checks the gapped logits and GST's gradient on hand-derived cases.
func TestGST(t *testing.T) {
	t.Parallel()
	theta := []float64{1, -0.5, 0.25}
	gD := []float64{0.3, -1.2, 2}

	// By hand: max theta = 1; s = 1 is raised to 1, the others are capped at 1 - gap = 0.
	got := make([]float64, 3)
	GappedLogits(got, theta, 1, 1)
	if want := []float64{0, 1, 0}; !(maxAbsDiff(got, want) == 0) {
		t.Errorf("GappedLogits(gap=1) = %v, want %v", got, want)
	}
	// -log(1-p)/p with p = softmax(theta)_s (1-1e-5), evaluated in Python (math.log1p).
	for s, want := range []float64{1.510855884199999, 1.0722102374436795, 1.172150257389634} {
		if g := GapP(theta, s); !(math.Abs(g-want) <= 1e-14) {
			t.Errorf("GapP(s=%d) = %v, want %v", s, g, want)
		}
	}
	// pi_s = 1: p = 1 - 1e-5, gap = -log(1e-5)/(1-1e-5) (Python).
	if g := GapP([]float64{0, negInf}, 0); !(math.Abs(g-11.513040595380733) <= 1e-12) {
		t.Errorf("GapP(pi_s = 1) = %v, want 11.513040595380733", g)
	}

	for _, test := range []struct {
		name string
		est  GST
		gp   []float64
		want []float64
	}{
		// GST-1.0, s = 1, tau = 1: J(P) gD with P = (1, e, 1)/(2+e), evaluated in Python.
		{"GST-1.0", GST{Tau: 1, Gap: 1}, nil, []float64{0.10679198435339332, -0.5738846166558319, 0.4670926323024385}},
		// GST-p, s = 1, tau = 2, theta' = (1-gap, 1, 1-gap), gap = 1.0722..., plus J(pi0) gp; Python.
		{"GST-p", GST{Tau: 2}, []float64{.5, .1, -.4}, []float64{0.21033095777854652, -0.3046614703129969, 0.09433051253445032}},
	} {
		test.est.Grad(got, theta, 1, gD, test.gp)
		if d := maxAbsDiff(got, test.want); !(d <= 1e-14) {
			t.Errorf("%s: gradient %v, want %v", test.name, got, test.want)
		}
	}
}

// TestSTGS checks the 1/K average and the soft path: with z = theta STGS is ST, and with two
// perturbations it is the mean of the two single-perturbation gradients.
func TestSTGS(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(4, 4))
	const C = 4
	theta, gD, gp := normals(rnd, C), normals(rnd, C), normals(rnd, C)
	z1, z2 := normals(rnd, C), normals(rnd, C)
	st, got := make([]float64, C), make([]float64, C)
	ST{Tau: 0.7}.Grad(st, theta, 0, gD, gp)
	STGS{Tau: 0.7}.Grad(got, theta, [][]float64{theta, theta, theta}, gD, gp)
	if d := maxAbsDiff(got, st); !(d <= 1e-15) {
		t.Errorf("STGS with z = theta: %v, want ST's %v", got, st)
	}
	a, b := make([]float64, C), make([]float64, C)
	STGS{Tau: 0.7}.Grad(a, theta, [][]float64{z1}, gD, gp)
	STGS{Tau: 0.7}.Grad(b, theta, [][]float64{z2}, gD, gp)
	STGS{Tau: 0.7}.Grad(got, theta, [][]float64{z1, z2}, gD, gp)
	for i := range a {
		a[i] = (a[i] + b[i]) / 2
	}
	if d := maxAbsDiff(got, a); !(d <= 1e-15) {
		t.Errorf("STGS with K = 2: %v, want the mean of the K = 1 gradients %v", got, a)
	}
}

// TestSumToZero checks that every estimator's gradient sums to 0 over the C categories (softmax is
// invariant to adding a constant to the logits), on random, masked and large logits.
func TestSumToZero(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(5, 5))
	const C = 5
	masked := normals(rnd, C)
	masked[3] = negInf
	for _, theta := range [][]float64{normals(rnd, C), masked, {80, 79, 80, -80, 0}} {
		pi := make([]float64, C)
		Softmax(pi, theta)
		gD, gp := normals(rnd, C), normals(rnd, C)
		s := sampleCat(pi, openUnif(rnd))
		z := make([][]float64, 4) // GR-MCK(4) perturbations conditioned on s
		for k := range z {
			z[k] = make([]float64, C)
			ConditionalGumbel(z[k], theta, s, openUnifs(rnd, C))
		}
		zu := make([]float64, C) // STGS perturbation
		GumbelMax(zu, theta, openUnifs(rnd, C))
		for _, test := range []struct {
			name string
			grad func(dst []float64)
		}{
			{"ST(1)", func(dst []float64) { ST{Tau: 1}.Grad(dst, theta, s, gD, gp) }},
			{"ST(0.5)", func(dst []float64) { ST{Tau: 0.5}.Grad(dst, theta, s, gD, gp) }},
			{"ReinMax(1)", func(dst []float64) { ReinMax{Tau: 1}.Grad(dst, theta, s, gD, gp) }},
			{"ReinMax(1.5)", func(dst []float64) { ReinMax{Tau: 1.5}.Grad(dst, theta, s, gD, gp) }},
			{"GST-1.0", func(dst []float64) { GST{Tau: 1, Gap: 1}.Grad(dst, theta, s, gD, gp) }},
			{"GST-p", func(dst []float64) { GST{Tau: 0.5}.Grad(dst, theta, s, gD, gp) }},
			{"STGS", func(dst []float64) { STGS{Tau: 0.5}.Grad(dst, theta, [][]float64{zu}, gD, gp) }},
			{"GR-MCK(4)", func(dst []float64) { STGS{Tau: 0.5}.Grad(dst, theta, z, gD, gp) }},
		} {
			dst := make([]float64, C)
			test.grad(dst)
			if sm := sum(dst); !(math.Abs(sm) <= 1e-12) {
				t.Errorf("%s, theta=%v: gradient %v sums to %g, want 0", test.name, theta, dst, sm)
			}
		}
	}
}
