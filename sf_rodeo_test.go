package reinmax

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// TestRODEOUnbiased trains RODEO's control variates (α, β and the network, 16 hidden units) for sfTrainSteps Adam
// steps with learning rate 0.02, then checks that the mean of 10⁵ (2·10⁴ for K = 3) frozen estimates matches the
// exact gradient and E f.
func TestRODEOUnbiased(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key string
		k   int
		p   sfProblem
		n   int
	}{
		{"rodeo K=2", 2, sfBinary4, sfDrawCount},
		{"rodeo K=2", 2, sfBinary6, sfDrawCount},
		{"rodeo K=3", 3, sfBinary4, 20_000}, // K(K−1) = 6 network evaluations per point: fewer draws
	} {
		d := sfDrawsN(t, tc.key, RODEO{K: tc.k, Hidden: 16, Frozen: true}, RODEO{K: tc.k, Hidden: 16, LR: 0.02}, tc.p, tc.n)
		checkUnbiased(t, tc.key, d, tc.p, true)
	}
}

// TestRODEOLearns checks that α and β leave 0 when trained, so that TestRODEOUnbiased exercises both Stein control
// variates rather than plain RLOO.
func TestRODEOLearns(t *testing.T) {
	t.Parallel()
	store := sfStore(7)
	exec := sfExec(t, store, RODEO{Hidden: 16, LR: 0.02}, sfBinary4, sfTrainDraws)
	for range 50 {
		sfRun(t, exec, sfBinary4, sfTrainDraws)
	}
	for _, name := range []string{"/rodeo/alpha", "/rodeo/beta"} {
		v := store.GetVariable(name)
		if v == nil {
			t.Fatalf("variable %s not found", name)
		}
		if x := tensors.ToScalar[float64](v.MustValue()); !(math.Abs(x) > 0.1) {
			t.Errorf("after 50 steps %s = %v, want |%s| > 0.1", name, x, name)
		}
	}
}
