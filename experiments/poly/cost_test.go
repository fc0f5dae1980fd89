package poly

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/probe"
)

func TestMeasureCost(t *testing.T) {
	cfg := DefaultCostConfig()
	cfg.Estimators = []string{"st", "gr-mck"}
	cfg.GRMCKK = []int{3, 5}
	cfg.L, cfg.Batch, cfg.Steps, cfg.MinSteps = 8, 16, 4, 2
	costs, err := MeasureCost(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(costs) != 3 {
		t.Fatalf("%d costs, want 3 (st, gr-mck K=3, gr-mck K=5)", len(costs))
	}
	for i, want := range []struct {
		name string
		k    int
	}{{"st", 0}, {"gr-mck", 3}, {"gr-mck", 5}} {
		c := costs[i]
		if c.Estimator != want.name || c.K != want.k || c.Tau != 1 {
			t.Errorf("cost %d is %s τ=%v K=%d, want %s τ=1 K=%d", i, c.Estimator, c.Tau, c.K, want.name, want.k)
		}
		if c.StepsTimed != 4 || !(c.StepTime > 0) || c.PerSteps != 4*c.StepTime || c.PeakHeap == 0 {
			t.Errorf("cost %d: %+v", i, c)
		}
		if _, err := os.Stat("/proc/self/status"); err == nil && !(c.PeakRSS >= c.BaseRSS && c.PeakRSS > 0) {
			t.Errorf("cost %d: peak RSS %d below the base %d", i, c.PeakRSS, c.BaseRSS)
		}
	}
	path := filepath.Join(t.TempDir(), CostFile)
	if err := WriteCost(path, cfg.Steps, costs); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], "estimator,tau,k,") {
		t.Errorf("cost.csv:\n%s", b)
	}
	bad := cfg
	bad.GRMCKK = []int{0}
	if _, err := MeasureCost(bad, nil); err == nil || !strings.Contains(err.Error(), "K = 0") {
		t.Errorf("MeasureCost(K = 0) = %v, want an error naming K", err)
	}
}

// grMCKQuery is one categorical variable of 2 categories, repeated on n rows, with category 0 sampled.
func grMCKQuery(est reinmax.StraightThrough, n int) probe.Query {
	q := probe.Query{Estimator: est, C: 2, Seed: 11}
	for range n {
		q.Logits = append(q.Logits, 0.3, -0.4)
		q.Samples = append(q.Samples, 0)
		q.GHard = append(q.GHard, 1.5, -0.5)
	}
	return q
}

// TestGRMCKMemoryLean checks the chunked GR-MCK that the cost table relies on (grmck.go), through the public
// estimator. With 8192 rows of 2 logits the chunks hold 2²⁰/16384 = 64 perturbations, so K = 130 runs the While
// loop twice and then a chunk of 2.
func TestGRMCKMemoryLean(t *testing.T) {
	backend, err := compute.New()
	if err != nil {
		t.Fatal(err)
	}
	const n = 8192
	grad := func(name string, p reinmax.Params) []float64 {
		est, err := reinmax.NewStraightThrough(name, p)
		if err != nil {
			t.Fatal(err)
		}
		res, err := probe.Run(backend, grMCKQuery(est, n))
		if err != nil {
			t.Fatal(err)
		}
		return res.Grad
	}
	// τ = 1 takes the weights' form and any other τ the log-space form; at τ = 1 + 1e-6 they see the same
	// uniforms, so they agree row by row to float32 rounding.
	one := grad("gr-mck", reinmax.Params{Tau: 1, K: 130})
	near := grad("gr-mck", reinmax.Params{Tau: 1 + 1e-6, K: 130})
	for i := range one {
		if !(math.Abs(one[i]-near[i]) <= 1e-5) {
			t.Fatalf("row %d: τ = 1 gives %v, τ = 1 + 1e-6 gives %v", i/2, one[i], near[i])
		}
	}
	// GR-MCK averages STGS given the sample over K perturbations: the mean over rows of both must agree within
	// the standard error of STGS's mean (GR-MCK's is about √130 times smaller).
	stgs := grad("stgs", reinmax.Params{}) // probe runs Given: STGS with its Gumbel conditioned on the sample
	for j := range 2 {
		var mg, ms, vs float64
		for i := 0; i < n; i++ {
			mg += one[2*i+j]
			ms += stgs[2*i+j]
			vs += stgs[2*i+j] * stgs[2*i+j]
		}
		mg, ms = mg/n, ms/n
		se := math.Sqrt((vs/n - ms*ms) / n)
		if !(math.Abs(mg-ms) <= 5*se) {
			t.Errorf("component %d: GR-MCK mean %v, STGS mean %v, standard error %v", j, mg, ms, se)
		}
	}
}

// TestGRMCKSameDraws pins the single-chunk path (K ≤ the chunk size) to the gradients the original formulation,
// which held all K perturbed logits at once, printed for the same seed: `reinmax grad --estimator gr-mck --k 5
// --logits 1,-0.5,0.25 --sample 1 --ghard 0.3,-1.2,2 --seed S [--tau 0.5]` at commit 4211125, before grmck.go
// was reworked. Both draw the same uniforms, so they agree to float32 rounding.
func TestGRMCKSameDraws(t *testing.T) {
	backend, err := compute.New()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tau  float64
		seed int64
		want []float64
	}{
		{1, 0, []float64{0.160305, -0.495966, 0.335661}},
		{0.5, 0, []float64{0.339908, -0.765151, 0.425243}},
		{1, 1, []float64{0.133887, -0.484064, 0.350177}},
		{0.5, 1, []float64{0.346983, -0.696118, 0.349135}},
	}
	for _, tc := range tests {
		est, err := reinmax.NewStraightThrough("gr-mck", reinmax.Params{Tau: tc.tau, K: 5})
		if err != nil {
			t.Fatal(err)
		}
		res, err := probe.Run(backend, probe.Query{Estimator: est, C: 3, Logits: []float64{1, -0.5, 0.25},
			Samples: []int{1}, GHard: []float64{0.3, -1.2, 2}, Seed: tc.seed})
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range tc.want {
			if !(math.Abs(res.Grad[i]-w) <= 2e-6) {
				t.Errorf("τ=%v seed %d: gradient %v, want %v", tc.tau, tc.seed, res.Grad, tc.want)
				break
			}
		}
	}
}
