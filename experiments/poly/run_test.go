package poly

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/gomlx/compute/gobackend"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/results"
)

// small returns a configuration that trains in well under a second per run.
func small() Config {
	c := DefaultConfig()
	c.Estimators = []string{"reinmax"}
	c.P = []float64{2}
	c.L = 8
	c.Steps = 200
	c.Every = 50
	c.Seeds = []int64{0}
	c.LR = 0.05 // a larger step than the paper's, so that 200 steps move θ well beyond the sampling noise
	return c
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig: %v", err)
	}
	if err := PaperConfig().Validate(); err != nil {
		t.Errorf("PaperConfig: %v", err)
	}
	if n := len(PaperConfig().Estimators); n != len(reinmax.Names(reinmax.StraightThroughFamily)) {
		t.Errorf("PaperConfig has %d estimators, want every straight-through one", n)
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"p = 0", func(c *Config) { c.P = []float64{1.5, 0} }, "p = 0, want a finite p > 0"},
		{"p < 0", func(c *Config) { c.P = []float64{-2} }, "p = -2"},
		{"no p", func(c *Config) { c.P = nil }, "no exponent"},
		{"L = 0", func(c *Config) { c.L = 0 }, "L = 0 binary variables, want L >= 1"},
		{"batch = 0", func(c *Config) { c.Batch = 0 }, "batch = 0, want batch >= 1"},
		{"steps = 0", func(c *Config) { c.Steps = 0 }, "steps = 0, want steps >= 1"},
		{"unknown estimator", func(c *Config) { c.Estimators = []string{"st", "foo"} },
			`unknown estimator "foo" (valid: ` + strings.Join(reinmax.Names(), ", ") + ")"},
		{"twice", func(c *Config) { c.Estimators = []string{"st", "st"} }, "listed twice"},
		{"no estimators", func(c *Config) { c.Estimators = nil }, "no estimators"},
		{"reinmax tau < 1", func(c *Config) { c.Params = map[string]reinmax.Params{"reinmax": {Tau: 0.5}} }, "tau = 0.5, want tau >= 1"},
		{"params of another", func(c *Config) { c.Params = map[string]reinmax.Params{"gr-mck": {K: 3}} }, "not among the estimators"},
		{"no seeds", func(c *Config) { c.Seeds = nil }, "no seeds"},
		{"seed twice", func(c *Config) { c.Seeds = []int64{1, 1} }, "seed 1 is listed twice"},
		{"lr", func(c *Config) { c.LR = 0 }, "learning rate 0"},
		{"target", func(c *Config) { c.Target = "zigzag" }, `unknown target "zigzag"`},
		{"c", func(c *Config) { c.C = 1.5 }, "c = 1.5"},
		{"every", func(c *Config) { c.Every = 0 }, "every = 0"},
		{"workers", func(c *Config) { c.Workers = 0 }, "workers = 0"},
		{"shard", func(c *Config) { c.Shard = experiments.Shard{I: 2, N: 2} }, "shard 2/2"},
	}
	for _, tc := range tests {
		c := DefaultConfig()
		c.Estimators = []string{"st", "reinmax"}
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error containing %q", tc.name, err, tc.want)
		}
		if _, err := Run(c, nil); err == nil {
			t.Errorf("%s: Run accepted the configuration", tc.name)
		}
	}
}

// TestRunReinMaxDecreases trains ReinMax for 200 steps on 8 variables: the exact loss must fall well below its
// initial value, records come every 50 steps plus step 0, and the last one is final.
func TestRunReinMaxDecreases(t *testing.T) {
	cfg := small()
	res, err := Run(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Trained != 1 || res.Skipped != 0 {
		t.Errorf("trained %d, skipped %d; want 1 and 0", res.Trained, res.Skipped)
	}
	recs := res.Records
	if len(recs) != cfg.Steps/cfg.Every+1 {
		t.Fatalf("%d records, want %d (steps 0, 50, ..., 200)", len(recs), cfg.Steps/cfg.Every+1)
	}
	for i, r := range recs {
		if r.Step != i*cfg.Every || r.Final() != (i == len(recs)-1) {
			t.Errorf("record %d: step %d, final %v", i, r.Step, r.Final())
		}
		if !(r.Gap >= 0) || !(r.Exact >= r.Optimum) {
			t.Errorf("record %d: exact %v, gap %v, optimum %v: the exact loss is below its minimum", i, r.Exact, r.Gap, r.Optimum)
		}
	}
	first, last := recs[0], recs[len(recs)-1]
	// At init |θ| <= 0.01, so E(θ) is within 0.01·(0.55² − 0.45²)/2 of E(0) = 0.2525 (the reference's value).
	if !(first.Exact > 0.2525-0.001 && first.Exact < 0.2525+0.001) {
		t.Errorf("initial exact loss %v, want 0.2525 ± 0.001", first.Exact)
	}
	// With lr 0.05, 200 Adam steps move each θ_0 − θ_1 by up to 20; even a tenth of that leaves less than half of
	// the initial gap 0.05. The run is deterministic (fixed seed), so this is not a flaky bound.
	if !(last.Gap < first.Gap/2) {
		t.Errorf("gap went from %v to %v after %d steps, want less than half", first.Gap, last.Gap, cfg.Steps)
	}
	// The sampled loss is the mean of 50 steps of 64·8 samples: within a few standard errors of the exact loss
	// (the per-sample loss lies in [0.2025, 0.3025], so its standard deviation is at most 0.05).
	if !(last.Sampled > 0 && last.Sampled < last.Exact+0.05 && last.Sampled > last.Exact-0.05) {
		t.Errorf("last sampled loss %v far from the exact loss %v", last.Sampled, last.Exact)
	}
	if _, ok := res.StepTime["reinmax"]; !ok {
		t.Errorf("no step time for reinmax")
	}
}

// TestRunResume runs the same sweep twice into one folder: the second run trains nothing and returns the same
// records.
func TestRunResume(t *testing.T) {
	cfg := small()
	cfg.Estimators = []string{"st", "reinmax"}
	cfg.Seeds = []int64{0, 1}
	cfg.Steps = 20
	cfg.Every = 10
	cfg.Out = t.TempDir()
	var mu sync.Mutex
	steps := 0
	count := func(p experiments.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := p.Metrics["step"]; ok {
			steps++
		}
	}
	res1, err := Run(cfg, count)
	if err != nil {
		t.Fatal(err)
	}
	if res1.Trained != 4 || steps == 0 {
		t.Fatalf("first run: trained %d runs, %d step reports; want 4 and some", res1.Trained, steps)
	}
	steps = 0
	res2, err := Run(cfg, count)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Trained != 0 || res2.Skipped != 4 || steps != 0 {
		t.Errorf("second run: trained %d, skipped %d, %d step reports; want 0, 4, 0", res2.Trained, res2.Skipped, steps)
	}
	if len(res2.Records) != len(res1.Records) {
		t.Errorf("second run returned %d records, want %d", len(res2.Records), len(res1.Records))
	}
	// One more seed: only its runs are trained.
	cfg.Seeds = []int64{0, 1, 2}
	res3, err := Run(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res3.Trained != 2 || res3.Skipped != 4 {
		t.Errorf("third run: trained %d, skipped %d; want 2 and 4", res3.Trained, res3.Skipped)
	}
	recs, err := results.ReadJSONL[Record](filepath.Join(cfg.Out, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(results.Finished(recs)); got != 6 {
		t.Errorf("results.jsonl holds %d finished runs, want 6", got)
	}
}

// TestShardsMerge runs a sweep as two shards into two folders and merges them: the merged folder holds every
// run once, with its report.
func TestShardsMerge(t *testing.T) {
	root := t.TempDir()
	cfg := small()
	cfg.Estimators = []string{"st", "reinmax"}
	cfg.Steps, cfg.Every = 10, 5
	var dirs []string
	for i := range 2 {
		c := cfg
		c.Shard = experiments.Shard{I: i, N: 2}
		c.Out = filepath.Join(root, "shard"+string(rune('0'+i)))
		res, err := Run(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Trained != 1 {
			t.Errorf("shard %d trained %d runs, want 1", i, res.Trained)
		}
		dirs = append(dirs, c.Out)
	}
	out := filepath.Join(root, "all")
	if err := Merge(out, dirs...); err != nil {
		t.Fatal(err)
	}
	recs, err := results.ReadJSONL[Record](filepath.Join(out, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(results.Finished(recs)); got != 2 {
		t.Errorf("merged %d finished runs, want 2", got)
	}
	for _, name := range []string{SummaryFile, CurvesBase + ".png", CurvesBase + ".svg"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("merged folder: %v", err)
		}
	}
	sums := Summarize(recs)
	if len(sums) != 2 || sums[0].Seeds != 1 {
		t.Errorf("summaries %+v, want one per estimator with 1 seed", sums)
	}
}

// TestRunScoreFunction trains with estimators of the score-function family: each step draws Batch/K examples of K
// samples, and the exact loss falls as it does with ReinMax.
func TestRunScoreFunction(t *testing.T) {
	for _, name := range []string{"rloo", "disarm"} {
		cfg := small()
		cfg.Estimators = []string{name}
		res, err := Run(cfg, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		first, last := res.Records[0], res.Records[len(res.Records)-1]
		if !(last.Gap < first.Gap/2) {
			t.Errorf("%s: gap went from %v to %v after %d steps, want less than half", name, first.Gap, last.Gap, cfg.Steps)
		}
	}
	cfg := small()
	cfg.Estimators, cfg.Batch = []string{"relax"}, 64
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "multiple of K") {
		t.Errorf("relax (K = 3) with batch 64: error %v, want one about the batch not being a multiple of K", err)
	}
	cfg.Estimators = []string{"exact"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "exact") {
		t.Errorf("exact on L = %d: error %v", cfg.L, err)
	}
}
