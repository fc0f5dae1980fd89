package oracle

import "math"

// The functions below treat L independent binary variables b_l ∈ {0, 1} with P(b_l = 1) = σ(alpha_l), where
// σ(a) = 1/(1 + e^(−a)) and alpha holds one logit per variable. A loss on them is a plain function of the bit vector.
// This is the parameterisation of the Bernoulli score-function estimators (REINFORCE, ARMS, DisARM, RELAX, Double CV,
// RODEO); it equals the categorical one with C = 2 and logits (alpha_l, 0).

// BernoulliProb returns q(b) = Π_l σ(alpha_l)^b_l (1 − σ(alpha_l))^(1−b_l) for a bit vector b (entries 0 or 1). It
// panics if the lengths differ or an entry of b is not 0 or 1.
func BernoulliProb(alpha, b []float64) float64 {
	if len(alpha) != len(b) {
		panic(badLength)
	}
	p := 1.0
	for l, a := range alpha {
		p *= bitProb(a, b[l])
	}
	return p
}

// BernoulliExpectation returns the exact expectation E_b f(b) under independent b_l ~ Bernoulli(σ(alpha_l)), by
// enumerating the 2^L outcomes; outcomes of probability 0 are skipped. The error is that of NumOutcomes(L, 2)
// (more than MaxOutcomes outcomes). It panics if f is nil.
func BernoulliExpectation(alpha []float64, f func(b []float64) float64) (float64, error) {
	if f == nil {
		panic(badFunc)
	}
	outs, err := Outcomes(len(alpha), 2)
	if err != nil {
		return 0, err
	}
	b := make([]float64, len(alpha))
	var e float64
	for d := range outs {
		p := 1.0
		for l, i := range d {
			b[l] = float64(i)
			p *= bitProb(alpha[l], b[l])
		}
		if p == 0 {
			continue
		}
		e += p * f(b)
	}
	return e, nil
}

// BernoulliGradient returns the gradient of E_b f(b) with respect to alpha, by enumeration. For variable l,
//
//	∂E f/∂alpha_l = σ(alpha_l)(1 − σ(alpha_l)) · E_{b_{−l}}[ f(b_l = 1, b_{−l}) − f(b_l = 0, b_{−l}) ],
//
// where b_{−l} are the other variables: only the factor of b_l depends on alpha_l, and dσ/da = σ(1 − σ). Errors and
// panics are those of BernoulliExpectation.
func BernoulliGradient(alpha []float64, f func(b []float64) float64) ([]float64, error) {
	if f == nil {
		panic(badFunc)
	}
	L := len(alpha)
	if _, err := NumOutcomes(L, 2); err != nil {
		return nil, err
	}
	rest, _ := Outcomes(L-1, 2) // cannot fail: 2^(L-1) <= 2^L
	grad := make([]float64, L)
	b := make([]float64, L)
	for l := range L {
		var h float64 // E_{b_{-l}}[f(1, b_{-l}) - f(0, b_{-l})]
		for other := range rest {
			w := 1.0
			for m, i := range other {
				idx := m
				if m >= l {
					idx = m + 1
				}
				b[idx] = float64(i)
				w *= bitProb(alpha[idx], b[idx])
			}
			if w == 0 {
				continue
			}
			b[l] = 1
			f1 := f(b)
			b[l] = 0
			h += w * (f1 - f(b))
		}
		grad[l] = sigmoid(alpha[l]) * sigmoid(-alpha[l]) * h
	}
	return grad, nil
}

// bitProb returns P(b_l = bit) = σ(a) for bit 1 and σ(−a) for bit 0.
func bitProb(a, bit float64) float64 {
	switch bit {
	case 1:
		return sigmoid(a)
	case 0:
		return sigmoid(-a)
	}
	panic(badIndex)
}

// sigmoid returns 1/(1 + e^(−a)) without overflow: e^(−a) is only formed for a >= 0.
func sigmoid(a float64) float64 {
	if a >= 0 {
		return 1 / (1 + math.Exp(-a))
	}
	e := math.Exp(a)
	return e / (1 + e)
}
