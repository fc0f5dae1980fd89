package reinmax

import "testing"

// sfExtreme3 has logits of ±30 next to a moderate one: the antithetic estimators' correction factors must stay finite.
var sfExtreme3 = func() sfProblem {
	p := newSFProblem("bernoulli L=3 logits ±30", Bernoulli, 3, 0, true, 4)
	p.Alpha = []float64{30, -30, 0.7}
	return p
}()

// TestARMSUnbiased checks that the mean of 10⁵ ARMS estimates matches the exact gradient and E f for K = 2, 3 and 4
// (for K > 2 the copula's joint probability enters the debiasing factor), including logits of ±30.
func TestARMSUnbiased(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key string
		est ScoreFunction
		p   sfProblem
	}{
		{"arms K=2", ARMS{K: 2}, sfBinary4},
		{"arms K=2", ARMS{K: 2}, sfBinary6},
		{"arms K=3", ARMS{K: 3}, sfBinary4},
		{"arms K=4", ARMS{K: 4}, sfBinary6},
		{"arms K=4", ARMS{K: 4}, sfExtreme3},
	} {
		checkUnbiased(t, tc.key, sfDrawsOf(t, tc.key, tc.est, nil, tc.p), tc.p, true)
	}
}
