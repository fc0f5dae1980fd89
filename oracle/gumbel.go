package oracle

import "math"

// GumbelMax writes to z the logits perturbed by standard Gumbel noise and returns their argmax:
//
//	z_j = theta_j - log(-log u_j),   s = argmax_j z_j.
//
// When the u_j are independent U(0, 1), s ~ Cat(softmax theta) (the Gumbel-max trick) and z is the
// perturbed logit vector of STGS. Masked logits (-Inf) give z_j = -Inf and are never chosen. The u_j
// must lie in the open interval (0, 1). GumbelMax panics on bad lengths, on u outside (0, 1), and when
// theta has NaN or +Inf entries or only -Inf ones.
func GumbelMax(z, theta, u []float64) int {
	if len(z) != len(theta) || len(u) != len(theta) {
		panic(badLength)
	}
	mustLogits(theta)
	s := 0
	for j, t := range theta {
		z[j] = t - math.Log(-math.Log(checkUnif(u[j])))
		if z[j] > z[s] {
			s = j
		}
	}
	return s
}

// ConditionalGumbel writes to z the perturbed logits theta + G, G standard Gumbel, conditioned on
// argmax z = s (the sampler of GR-MCK, Paulus et al. 2021). With E_j = -log u_j (independent Exp(1)
// when the u_j are U(0, 1)) and logZ = logsumexp(theta):
//
//	z_s = logZ - log E_s                                  (the maximum, a Gumbel with location logZ)
//	z_j = -logaddexp(log E_j - theta_j, log E_s - logZ)   for j ≠ s (a Gumbel truncated below z_s).
//
// This is -log(E_j e^{-theta_j} + E_s/Z) computed in log space, so it neither overflows for large
// logits nor takes log 0; masked logits (-Inf) give z_j = -Inf. If rounding makes some z_j equal to
// z_s, z_j is moved to the next float64 below z_s, so argmax z = s always holds. If s ~ Cat(softmax
// theta), the z so drawn has the law of theta + G (Gumbel-max). It panics on bad lengths, on u outside
// (0, 1), on s out of range or masked (theta_s = -Inf), and on logits as in GumbelMax.
func ConditionalGumbel(z, theta []float64, s int, u []float64) {
	if len(z) != len(theta) || len(u) != len(theta) {
		panic(badLength)
	}
	if s < 0 || s >= len(theta) {
		panic(badIndex)
	}
	mustLogits(theta)
	if math.IsInf(theta[s], -1) {
		panic("oracle: ConditionalGumbel: the sampled category is masked (theta_s = -Inf)")
	}
	logZ := logSumExp(theta)
	logEs := math.Log(-math.Log(checkUnif(u[s])))
	zs := logZ - logEs
	for j, t := range theta {
		if j == s {
			z[j] = zs
			continue
		}
		logEj := math.Log(-math.Log(checkUnif(u[j])))
		z[j] = -logAddExp(logEj-t, logEs-logZ)
		if z[j] >= zs {
			z[j] = math.Nextafter(zs, math.Inf(-1))
		}
	}
}

func checkUnif(u float64) float64 {
	if !(u > 0 && u < 1) {
		panic(badUnif)
	}
	return u
}

// mustLogits panics unless theta defines a distribution.
func mustLogits(theta []float64) {
	ok := false
	for _, t := range theta {
		if math.IsNaN(t) || math.IsInf(t, 1) {
			panic(noMass)
		}
		ok = ok || !math.IsInf(t, -1)
	}
	if !ok {
		panic(noMass)
	}
}
