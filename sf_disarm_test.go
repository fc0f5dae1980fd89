package reinmax

import "testing"

// TestDisARMUnbiased checks that the mean of 10⁵ DisARM estimates matches the exact gradient and E f, for one pair
// (K = 2) and two pairs (K = 4), and on logits of ±30 (θ within 1e-13 of 0 or 1), where the estimate must stay finite.
func TestDisARMUnbiased(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key string
		est ScoreFunction
		p   sfProblem
	}{
		{"disarm K=2", DisARM{K: 2}, sfBinary4},
		{"disarm K=2", DisARM{K: 2}, sfBinary6},
		{"disarm K=4", DisARM{K: 4}, sfBinary6},
		{"disarm K=2", DisARM{K: 2}, sfExtreme3},
	} {
		checkUnbiased(t, tc.key, sfDrawsOf(t, tc.key, tc.est, nil, tc.p), tc.p, true)
	}
}
