package reinmax

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// TestRELAXUnbiased trains RELAX's control variate (η, λ and the network r_ρ with 16 hidden units) for sfTrainSteps
// Adam steps with learning rate 0.02, through the second-order gradient of the squared estimate, then checks that the
// mean of 10⁵ (2·10⁴ for K = 6) frozen estimates matches the exact gradient and E f. The control variate starts at
// η = 1, λ = 0.5, so its terms are large from the start: dropping any of them biases the mean.
func TestRELAXUnbiased(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key string
		k   int
		p   sfProblem
		n   int
	}{
		{"relax K=3", 3, sfBinary4, sfDrawCount},
		{"relax K=3", 3, sfBinary6, sfDrawCount},
		{"relax K=6", 6, sfBinary4, 20_000}, // two estimates averaged; fewer draws
	} {
		d := sfDrawsN(t, tc.key, RELAX{K: tc.k, Hidden: 16, Frozen: true}, RELAX{K: tc.k, Hidden: 16, LR: 0.02}, tc.p, tc.n)
		checkUnbiased(t, tc.key, d, tc.p, true)
	}
}

// TestRELAXLearns checks that the second-order update moves η and λ: the gradient of ‖ĝ‖² with respect to them goes
// through ∂c/∂α, a gradient inside the graph.
func TestRELAXLearns(t *testing.T) {
	t.Parallel()
	store := sfStore(7)
	exec := sfExec(t, store, RELAX{Hidden: 16, LR: 0.02}, sfBinary4, sfTrainDraws)
	for range 20 {
		sfRun(t, exec, sfBinary4, sfTrainDraws)
	}
	for name, init := range map[string]float64{"/relax/eta": 1, "/relax/log_lambda": math.Log(0.5)} {
		v := store.GetVariable(name)
		if v == nil {
			t.Fatalf("variable %s not found", name)
		}
		if x := tensors.ToScalar[float64](v.MustValue()); !(math.Abs(x-init) > 0.05) {
			t.Errorf("after 20 steps %s = %v, started at %v: want it moved by more than 0.05", name, x, init)
		}
	}
}
