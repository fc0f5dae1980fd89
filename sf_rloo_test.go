package reinmax

import "testing"

// TestRLOOUnbiased checks that the mean of 10⁵ RLOO estimates matches the exact gradient and E f, for K = 2 and 4 on
// binary problems and K = 3 on the categorical one.
func TestRLOOUnbiased(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key string
		est ScoreFunction
		p   sfProblem
	}{
		{"rloo K=2", RLOO{K: 2}, sfBinary4},
		{"rloo K=2", RLOO{K: 2}, sfBinary6},
		{"rloo K=4", RLOO{K: 4}, sfBinary6},
		{"rloo K=3", RLOO{K: 3}, sfCategorical3},
	} {
		checkUnbiased(t, tc.key, sfDrawsOf(t, tc.key, tc.est, nil, tc.p), tc.p, true)
	}
}
