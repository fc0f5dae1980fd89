package reinmax

import (
	"math"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestReinforceUnbiased checks that the mean of 10⁵ REINFORCE estimates matches the exact gradient (and the mean value
// E f) on binary and categorical problems, within sfZ standard errors per coordinate.
func TestReinforceUnbiased(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key string
		est ScoreFunction
		p   sfProblem
	}{
		{"reinforce K=2", Reinforce{K: 2}, sfBinary4},
		{"reinforce K=2", Reinforce{K: 2}, sfBinary6},
		{"reinforce K=2", Reinforce{K: 2}, sfCategorical3},
	} {
		checkUnbiased(t, tc.key, sfDrawsOf(t, tc.key, tc.est, nil, tc.p), tc.p, true)
	}
}

// TestReinforceBaselineUnbiased checks REINFORCE with the moving-average baseline after the baseline has been trained
// for sfTrainSteps steps (so that c ≈ E f ≠ 0), on binary and categorical problems.
func TestReinforceBaselineUnbiased(t *testing.T) {
	t.Parallel()
	for _, p := range []sfProblem{sfBinary4, sfBinary6, sfCategorical3} {
		key := "reinforce-baseline K=1"
		checkUnbiased(t, key, sfDrawsOf(t, key, ReinforceBaseline{Frozen: true}, ReinforceBaseline{}, p), p, true)
	}
}

// TestReinforceBaselineState checks the moving average with a constant loss f ≡ 5: the first call has no baseline
// (c = 0, estimate 5·(b − σ(α))), it sets m = (1 − 0.95)·5 and t = 1, so the bias-corrected baseline of the second
// call is 5 and its estimate 0 (to rounding: 1e-12). Frozen leaves the state alone.
func TestReinforceBaselineState(t *testing.T) {
	t.Parallel()
	store := sfStore(1)
	const n = 64
	run := func(e ReinforceBaseline) []float64 {
		exec, err := model.NewExec(testutil.Backend(t), store, func(scope *model.Scope, alpha *Node) *Node {
			f := func(x *Node) *Node { return AddScalar(ZerosLike(ReduceSum(x, -1)), 5) }
			sur := e.Estimate(scope, ScopeSource(scope), Bernoulli, alpha, f)
			return Gradient(ReduceAllSum(sur), alpha)[0]
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(tensors.FromFlatDataAndDimensions(make([]float64, n*3), n, 3))
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float64](out[0])
	}
	first := run(ReinforceBaseline{})
	for i, g := range first { // 5·(b − ½) = ±2.5
		if !(math.Abs(math.Abs(g)-2.5) <= 1e-12) {
			t.Fatalf("first call: estimate[%d] = %v, want ±2.5 (no baseline yet)", i, g)
		}
	}
	for _, e := range []ReinforceBaseline{{Frozen: true}, {}, {}} { // frozen, then twice with the baseline
		for i, g := range run(e) {
			if !(math.Abs(g) <= 1e-12) {
				t.Fatalf("call with the baseline (Frozen %v): estimate[%d] = %v, want 0", e.Frozen, i, g)
			}
		}
	}
	ema := store.GetVariable("/reinforce-baseline/ema")
	steps := store.GetVariable("/reinforce-baseline/steps")
	if ema == nil || steps == nil {
		t.Fatal("baseline variables not found in the store")
	}
	// Three updates with mean 5: m = 5(1 − 0.95³), t = 3.
	if m := tensors.ToScalar[float64](ema.MustValue()); !(math.Abs(m-5*(1-math.Pow(0.95, 3))) <= 1e-12) {
		t.Errorf("ema = %v, want %v", m, 5*(1-math.Pow(0.95, 3)))
	}
	if s := tensors.ToScalar[float64](steps.MustValue()); s != 3 {
		t.Errorf("steps = %v, want 3 (the frozen call must not count)", s)
	}
}
