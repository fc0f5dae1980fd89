package reinmax

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// TestDoubleCVUnbiased trains Double CV's coefficient a for sfTrainSteps Adam steps (learning rate 0.02, so that a
// moves well away from 0 and the Taylor control variate and its correction both matter), then checks that the mean of
// 10⁵ frozen estimates matches the exact gradient and E f.
func TestDoubleCVUnbiased(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key string
		k   int
		p   sfProblem
	}{
		{"double-cv K=2", 2, sfBinary4},
		{"double-cv K=2", 2, sfBinary6},
		{"double-cv K=3", 3, sfBinary6},
	} {
		d := sfDrawsOf(t, tc.key, DoubleCV{K: tc.k, Frozen: true}, DoubleCV{K: tc.k, LR: 0.02}, tc.p)
		checkUnbiased(t, tc.key, d, tc.p, true)
	}
}

// TestDoubleCVLearns checks that the coefficient a leaves 0 when trained: a control variate that never moves would
// make TestDoubleCVUnbiased a test of RLOO.
func TestDoubleCVLearns(t *testing.T) {
	t.Parallel()
	store := sfStore(7)
	exec := sfExec(t, store, DoubleCV{LR: 0.02}, sfBinary4, sfTrainDraws)
	for range 50 {
		sfRun(t, exec, sfBinary4, sfTrainDraws)
	}
	v := store.GetVariable("/double-cv/a")
	if v == nil {
		t.Fatal("variable /double-cv/a not found")
	}
	if a := tensors.ToScalar[float64](v.MustValue()); !(math.Abs(a) > 0.2) {
		t.Errorf("after 50 steps a = %v, want |a| > 0.2 (50 steps of 0.02)", a)
	}
}
