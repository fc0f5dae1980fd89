package oracle

import "math"

// Estimator is the backward pass of a straight-through-family estimator whose gradient is a
// deterministic function of the sampled category: ST, ReinMax and GST. All three sample the forward
// value D = e_s with s ~ Cat(softmax theta), at temperature 1.
type Estimator interface {
	// Grad writes to dst the estimate of ∂L/∂theta for one categorical row with logits theta,
	// sampled index s, gD = ∂L/∂D (the gradient of the loss with respect to the one-hot sample) and
	// gp = ∂L/∂pi0 (with respect to the soft output pi0 = softmax theta; nil means 0).
	Grad(dst, theta []float64, s int, gD, gp []float64)
}

// ST is the straight-through estimator with temperature Tau > 0 (Bengio et al. 2013; the ST of the
// GST/ReinMax experiment code, reference section 2):
//
//	forward  D = e_s, s ~ Cat(pi0), pi0 = softmax(theta);  out = D - sg(P) + P,  P = softmax(theta/tau)
//	backward ∂L/∂theta = (1/tau) J(P) gD + J(pi0) gp.
//
// tau enters only through P and its 1/tau factor. Its expectation at tau = 1 is Euler.
type ST struct{ Tau float64 }

// Grad implements Estimator; ST does not depend on s.
func (e ST) Grad(dst, theta []float64, s int, gD, gp []float64) {
	checkRow(dst, theta, s, gD, gp)
	P := make([]float64, len(theta))
	SoftmaxTau(P, theta, e.Tau)
	JVP(dst, P, gD)
	scale(dst, 1/e.Tau)
	addSoft(dst, theta, gp)
}

// ReinMax is the ReinMax estimator with temperature Tau (Liu et al. 2023, Algorithm 2; the backward of
// the reinmax package, reference section 1.2):
//
//	forward  D = e_s, s ~ Cat(pi0), pi0 = softmax(theta)
//	backward pi1 = ½ (softmax(theta/tau) + D)
//	         g   = 2 J(pi1) gD + J(pi0) (gp - ½ gD)
//	         ∂L/∂theta = g - mean(g)   (the centring is numerically a no-op: both terms sum to 0)
//
// tau moves only the point pi1 at which the Jacobian is taken; there is no 1/tau factor. The paper
// uses tau >= 1 (the reinmax package rejects tau < 1); any tau > 0 is accepted here. Its expectation at
// tau = 1 is Heun, so it is unbiased for quadratic losses.
type ReinMax struct{ Tau float64 }

// Grad implements Estimator.
func (e ReinMax) Grad(dst, theta []float64, s int, gD, gp []float64) {
	checkRow(dst, theta, s, gD, gp)
	C := len(theta)
	pi1 := make([]float64, C)
	SoftmaxTau(pi1, theta, e.Tau)
	pi1[s]++
	scale(pi1, 0.5)
	JVP(dst, pi1, gD)
	scale(dst, 2)

	v := make([]float64, C) // gp - ½ gD
	for i := range v {
		v[i] = -0.5 * gD[i]
		if gp != nil {
			v[i] += gp[i]
		}
	}
	pi0 := make([]float64, C)
	Softmax(pi0, theta)
	JVP(v, pi0, v)

	var mean float64
	for i := range dst {
		dst[i] += v[i]
		mean += dst[i]
	}
	mean /= float64(C)
	for i := range dst {
		dst[i] -= mean
	}
}

// ReinMaxAlpha is generalised ReinMax with mixing weight Alpha >= ½ and temperature Tau > 0 (the free
// weight of Wang & Bui, arXiv:2603.08257, with the coefficients chosen so that the estimator is consistent):
//
//	forward  D = e_s, s ~ Cat(pi0), pi0 = softmax(theta)
//	backward P = softmax(theta/tau),  beta = 1/(2 alpha),  pi_alpha = (1 - beta) P + beta D
//	         ∂L/∂theta = J(pi_alpha) gD / (1 - beta) - beta J(pi0) gD + J(pi0) gp
//	                   = J(P) gD + beta (D - P) <D - P, gD> - beta J(pi0) gD + J(pi0) gp.
//
// The two lines agree because J((1 - β)P + βD) = (1 - β)[J(P) + β(D - P)(D - P)ᵀ] for one-hot D; the second
// is also defined at alpha = ½ (beta = 1, pi_alpha = D) and is the one computed. Alpha = 1 is ReinMax
// (2 J(pi1) - ½ J(pi0), pi1 = (P + D)/2) at every tau. At tau = 1 the estimator is
// (1 - 1/alpha)·ST + (1/alpha)·ReinMax for every sample, and its expectation is Quadrature with
// w = 1/(2 alpha); it is exact for quadratic f only at alpha = 1. Grad panics unless Alpha >= ½.
type ReinMaxAlpha struct{ Tau, Alpha float64 }

// Grad implements Estimator.
func (e ReinMaxAlpha) Grad(dst, theta []float64, s int, gD, gp []float64) {
	checkRow(dst, theta, s, gD, gp)
	if !(e.Alpha >= 0.5) || math.IsInf(e.Alpha, 0) {
		panic(badAlpha)
	}
	beta := 1 / (2 * e.Alpha)
	C := len(theta)
	P := make([]float64, C)
	SoftmaxTau(P, theta, e.Tau)
	JVP(dst, P, gD)
	c := gD[s] - dot(P, gD) // <D - P, gD>
	for i := range dst {
		d := -P[i]
		if i == s {
			d++
		}
		dst[i] += beta * d * c
	}
	v := make([]float64, C) // gp - beta gD
	for i := range v {
		v[i] = -beta * gD[i]
		if gp != nil {
			v[i] += gp[i]
		}
	}
	pi0 := make([]float64, C)
	Softmax(pi0, theta)
	JVP(v, pi0, v)
	for i := range dst {
		dst[i] += v[i]
	}
}

// GST is the gapped straight-through estimator of Fan et al. (ICML 2022), GST-1.0 or GST-p, with
// temperature Tau > 0 (the gst_mover of reference section 2):
//
//	forward  D = e_s, s ~ Cat(pi0), pi0 = softmax(theta);  out = D - sg(P) + P,  P = softmax(theta'/tau)
//	backward ∂L/∂theta = (1/tau) J(P) gD + J(pi0) gp,
//
// where theta' = GappedLogits(theta, s, gap) raises the sampled logit to the maximum and pushes the
// others at least gap below it. Gap > 0 is a fixed gap (GST-1.0 is Gap = 1); Gap = 0 selects GST-p,
// whose gap GapP(theta, s) depends on the sample. A negative Gap panics.
type GST struct{ Tau, Gap float64 }

// Grad implements Estimator.
func (e GST) Grad(dst, theta []float64, s int, gD, gp []float64) {
	checkRow(dst, theta, s, gD, gp)
	gap := e.Gap
	switch {
	case gap == 0:
		gap = GapP(theta, s)
	case !(gap > 0):
		panic(badGap)
	}
	P := make([]float64, len(theta))
	GappedLogits(P, theta, s, gap)
	SoftmaxTau(P, P, e.Tau)
	JVP(dst, P, gD)
	scale(dst, 1/e.Tau)
	addSoft(dst, theta, gp)
}

// GappedLogits writes GST's gapped logits theta' to dst:
//
//	theta'_s = max_j theta_j,   theta'_j = min(theta_j, max_k theta_k - gap)  for j ≠ s.
//
// The code of Fan et al. also subtracts the mean of theta', which softmax ignores; it is omitted here.
func GappedLogits(dst, theta []float64, s int, gap float64) {
	if len(dst) != len(theta) {
		panic(badLength)
	}
	if s < 0 || s >= len(theta) {
		panic(badIndex)
	}
	m := math.Inf(-1)
	for _, v := range theta {
		m = max(m, v)
	}
	for j, v := range theta {
		if j == s {
			dst[j] = m
		} else {
			dst[j] = min(v, m-gap)
		}
	}
}

// GapP returns the gap of GST-p for sampled index s:
//
//	gap = -log(1 - p)/p,   p = softmax(theta)_s (1 - 1e-5),
//
// which grows from 1 (p -> 0, returned for p = 0) to about 11.5 (pi_s = 1); the factor 1 - 1e-5 is that
// of the reference code and keeps the gap finite.
func GapP(theta []float64, s int) float64 {
	if s < 0 || s >= len(theta) {
		panic(badIndex)
	}
	pi := make([]float64, len(theta))
	Softmax(pi, theta)
	p := pi[s] * (1 - 1e-5)
	if p == 0 {
		return 1
	}
	return -math.Log1p(-p) / p
}

// STGS is the straight-through Gumbel-softmax estimator with temperature Tau > 0 (Jang et al. 2017;
// PyTorch's gumbel_softmax with hard=True), and, averaged over K conditional perturbations, GR-MCK(K)
// (Paulus et al. 2021). Its gradient depends on the perturbed logits z_k = theta + G_k, not only on D:
//
//	STGS:       z_1 from GumbelMax, D = onehot(argmax z_1), K = 1
//	GR-MCK(K):  D = e_s, s ~ Cat(pi0); z_1..z_K from ConditionalGumbel(theta, s), independent
//	backward:   ∂L/∂theta = (1/K) Σ_k (1/tau) J(softmax(z_k/tau)) gD + J(pi0) gp.
//
// The perturbation z_k - theta is a constant in the backward pass.
type STGS struct{ Tau float64 }

// Grad writes the STGS (K = len(z) = 1) or GR-MCK (K = len(z)) gradient to dst; see STGS. gp nil means 0.
func (e STGS) Grad(dst, theta []float64, z [][]float64, gD, gp []float64) {
	checkRow(dst, theta, 0, gD, gp)
	if len(z) == 0 {
		panic("oracle: STGS needs at least one perturbed logit vector")
	}
	C := len(theta)
	P, tmp := make([]float64, C), make([]float64, C)
	clear(dst)
	for _, zk := range z {
		SoftmaxTau(P, zk, e.Tau)
		JVP(tmp, P, gD)
		for i, v := range tmp {
			dst[i] += v
		}
	}
	scale(dst, 1/(e.Tau*float64(len(z))))
	addSoft(dst, theta, gp)
}

// addSoft adds the soft path J(softmax theta) gp to dst; gp nil means 0.
func addSoft(dst, theta, gp []float64) {
	if gp == nil {
		return
	}
	pi0, v := make([]float64, len(theta)), make([]float64, len(theta))
	Softmax(pi0, theta)
	JVP(v, pi0, gp)
	for i := range dst {
		dst[i] += v[i]
	}
}

func scale(x []float64, a float64) {
	for i := range x {
		x[i] *= a
	}
}

// checkRow panics unless dst, theta, gD (and gp if not nil) have one length C >= 1 and 0 <= s < C.
func checkRow(dst, theta []float64, s int, gD, gp []float64) {
	C := len(theta)
	if C == 0 || len(dst) != C || len(gD) != C || (gp != nil && len(gp) != C) {
		panic(badLength)
	}
	if s < 0 || s >= C {
		panic(badIndex)
	}
}
