package poly

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/gomlx/compute/gobackend"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/results"
)

// small returns a sweep of ReinMax runs that train in well under a second each.
func small() Sweep {
	return Sweep{Estimators: []string{"reinmax"}, P: []float64{2}, Seeds: []int64{0},
		Modify: func(c *Config) {
			c.L, c.Steps, c.Every = 8, 200, 50
			c.LR = 0.05 // a larger step than the paper's, so that 200 steps move θ well beyond the sampling noise
		}}
}

// runs returns the configurations of s or stops the test.
func runs(t *testing.T, s Sweep) []Config {
	t.Helper()
	rs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// trainAll trains every run of s, without a runner, and returns the records.
func trainAll(t *testing.T, s Sweep) []Record {
	t.Helper()
	var recs []Record
	for _, c := range runs(t, s) {
		if err := train(c, experiments.Env{}, func(r Record) error { recs = append(recs, r); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return recs
}

func TestSweepValidate(t *testing.T) {
	for _, s := range []Sweep{DefaultSweep(), PaperSweep()} {
		if _, err := s.Runs(); err != nil {
			t.Errorf("%v: %v", s.Estimators, err)
		}
	}
	if n := len(PaperSweep().Estimators); n != len(reinmax.Names(reinmax.StraightThroughFamily)) {
		t.Errorf("PaperSweep has %d estimators, want every straight-through one", n)
	}
	tests := []struct {
		name string
		edit func(*Sweep)
		want string
	}{
		{"p = 0", func(s *Sweep) { s.P = []float64{1.5, 0} }, "p = 0, want a finite p > 0"},
		{"p < 0", func(s *Sweep) { s.P = []float64{-2} }, "p = -2"},
		{"p NaN", func(s *Sweep) { s.P = []float64{math.NaN()} }, "p = NaN"},
		{"no p", func(s *Sweep) { s.P = nil }, "the sweep is empty"},
		{"L = 0", func(s *Sweep) { s.Modify = func(c *Config) { c.L = 0 } }, "L = 0 binary variables, want L >= 1"},
		{"batch = 0", func(s *Sweep) { s.Modify = func(c *Config) { c.Batch = 0 } }, "batch = 0, want batch >= 1"},
		{"steps = 0", func(s *Sweep) { s.Modify = func(c *Config) { c.Steps = 0 } }, "steps = 0, want steps >= 1"},
		{"unknown estimator", func(s *Sweep) { s.Estimators = []string{"st", "foo"} },
			`unknown estimator "foo" (valid: ` + strings.Join(reinmax.Names(), ", ") + ")"},
		{"no estimators", func(s *Sweep) { s.Estimators = nil }, "the sweep is empty"},
		{"reinmax tau < 1", func(s *Sweep) { s.Params = map[string]reinmax.Params{"reinmax": {Tau: 0.5}} }, "tau = 0.5, want tau >= 1"},
		{"tau NaN", func(s *Sweep) { s.Params = map[string]reinmax.Params{"st": {Tau: math.NaN()}} }, "tau = NaN"},
		{"params of another", func(s *Sweep) { s.Params = map[string]reinmax.Params{"gr-mck": {K: 3}} }, "not among the estimators"},
		{"no seeds", func(s *Sweep) { s.Seeds = nil }, "the sweep is empty"},
		{"lr", func(s *Sweep) { s.Modify = func(c *Config) { c.LR = 0 } }, "learning rate 0"},
		{"target", func(s *Sweep) { s.Modify = func(c *Config) { c.Target = "zigzag" } }, `unknown target "zigzag"`},
		{"c", func(s *Sweep) { s.Modify = func(c *Config) { c.C = 1.5 } }, "c = 1.5"},
		{"every", func(s *Sweep) { s.Modify = func(c *Config) { c.Every = 0 } }, "every = 0"},
	}
	for _, tc := range tests {
		s := DefaultSweep()
		s.Estimators = []string{"st", "reinmax"}
		tc.edit(&s)
		_, err := s.Runs()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Runs = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestTrainReinMaxDecreases trains ReinMax for 200 steps on 8 variables: the exact loss must fall well below its
// initial value, records come every 50 steps plus step 0, and the last one is final.
func TestTrainReinMaxDecreases(t *testing.T) {
	s := small()
	recs := trainAll(t, s)
	cfg := runs(t, s)[0]
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
		if i > 0 && !(r.StepSeconds > 0) {
			t.Errorf("record %d: step time %v, want > 0", i, r.StepSeconds)
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
}

// TestResumeEqualsUninterrupted stops a run at a record after its checkpoint was saved and resumes it: every
// number equals the uninterrupted run's.
func TestResumeEqualsUninterrupted(t *testing.T) {
	s := small()
	want := trainAll(t, s)
	cfg := runs(t, s)[0]
	defer func(d time.Duration) { checkpointEvery = d }(checkpointEvery)
	checkpointEvery = 0 // a checkpoint at every record
	ckpt := filepath.Join(t.TempDir(), "run.ckpt")
	crash := errors.New("crash")
	var got []Record
	saved := false
	err := train(cfg, experiments.Env{Checkpoint: ckpt}, func(r Record) error {
		got = append(got, r)
		if _, err := os.Stat(ckpt); err == nil && !saved {
			saved = true
			return crash
		}
		return nil
	})
	if !errors.Is(err, crash) {
		t.Fatalf("interrupted run: %v", err)
	}
	err = train(cfg, experiments.Env{Checkpoint: ckpt}, func(r Record) error { got = append(got, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	got = results.Complete(got)
	if len(got) != len(want) {
		t.Fatalf("%d records after resuming, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Step != w.Step || g.Exact != w.Exact || g.Gap != w.Gap || g.Sampled != w.Sampled {
			t.Errorf("step %d: resumed %+v, uninterrupted %+v", w.Step, g, w)
		}
	}
}

// TestSweepThroughRunner runs a sweep as two shards into two folders, merges them, and runs the whole sweep again
// into the merged folder: every run is trained once and the merged folder has the report.
func TestSweepThroughRunner(t *testing.T) {
	root := t.TempDir()
	s := small()
	s.Estimators = []string{"st", "reinmax"}
	s.Modify = func(c *Config) { c.L, c.Steps, c.Every, c.LR = 8, 10, 5, 0.05 }
	rs := runs(t, s)
	var dirs []string
	for i := range 2 {
		dir := filepath.Join(root, "shard"+string(rune('0'+i)))
		if _, err := experiments.Run(Experiment{}, rs, experiments.Options{Dir: dir, Shard: experiments.Shard{I: i, N: 2}}); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	out := filepath.Join(root, "all")
	if err := experiments.Merge(Experiment{}, out, dirs...); err != nil {
		t.Fatal(err)
	}
	recs, err := results.ReadJSONL[Record](filepath.Join(out, experiments.ResultsFile))
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
	before, _ := os.ReadFile(filepath.Join(out, experiments.ResultsFile))
	if _, err := experiments.Run(Experiment{}, rs, experiments.Options{Dir: out, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(out, experiments.ResultsFile))
	if string(before) != string(after) {
		t.Error("the finished runs of the merged folder were trained again")
	}
}

// TestTrainScoreFunction trains with estimators of the score-function family: each step draws Batch/K examples of
// K samples, and the exact loss falls as it does with ReinMax.
func TestTrainScoreFunction(t *testing.T) {
	for _, name := range []string{"rloo", "disarm"} {
		s := small()
		s.Estimators = []string{name}
		recs := trainAll(t, s)
		first, last := recs[0], recs[len(recs)-1]
		if !(last.Gap < first.Gap/2) {
			t.Errorf("%s: gap went from %v to %v after %d steps, want less than half", name, first.Gap, last.Gap, last.Step)
		}
		if last.K != 2 {
			t.Errorf("%s: record K = %d, want the default 2 evaluations", name, last.K)
		}
	}
	s := small()
	s.Estimators = []string{"relax"}
	if _, err := s.Runs(); err == nil || !strings.Contains(err.Error(), "multiple of K") {
		t.Errorf("relax (K = 3) with batch 64: error %v, want one about the batch not being a multiple of K", err)
	}
	s.Estimators = []string{"exact"}
	if _, err := s.Runs(); err == nil || !strings.Contains(err.Error(), "exact") {
		t.Errorf("exact on L = 8: error %v", err)
	}
}

// TestMemoryRefusedBeforeAllocating asks for a billion variables: the runner refuses the run with its estimate
// before anything is allocated or written.
func TestMemoryRefusedBeforeAllocating(t *testing.T) {
	s := small()
	s.Modify = func(c *Config) { c.L = 1_000_000_000 }
	rs := runs(t, s)
	dir := filepath.Join(t.TempDir(), "out")
	_, err := experiments.Run(Experiment{}, rs, experiments.Options{Dir: dir})
	if _, merr := os.Stat("/proc/meminfo"); merr != nil {
		t.Skip("the machine's memory is unknown here")
	}
	if err == nil || !strings.Contains(err.Error(), "needs about") || !strings.Contains(err.Error(), "GB") {
		t.Errorf("a billion variables: %v, want a refusal with the estimate", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the refused sweep created its output folder")
	}
}

// TestBinaryFormMatchesTwoCategories trains st and reinmax in their Bernoulli form and in their two-category form:
// the same uniforms draw the same samples, and the gradients agree to rounding, so the exact losses of the two runs
// stay together (measured: within 1e-6 after 200 steps; a sample flipped by rounding would part them by ~1e-3).
func TestBinaryFormMatchesTwoCategories(t *testing.T) {
	for _, name := range []string{"st", "reinmax"} {
		s := small()
		s.Estimators = []string{name}
		two := trainAll(t, s)
		base := s.Modify
		s.Modify = func(c *Config) { base(c); c.Binary = true }
		bin := trainAll(t, s)
		for i := range two {
			if d := math.Abs(bin[i].Exact - two[i].Exact); !(d < 1e-4) {
				t.Errorf("%s step %d: exact loss %v (Bernoulli form) against %v (two categories)", name, two[i].Step, bin[i].Exact, two[i].Exact)
			}
		}
	}
	s := small()
	s.Estimators = []string{"gst-1.0"}
	s.Modify = func(c *Config) { c.Binary = true }
	if _, err := s.Runs(); err == nil || !strings.Contains(err.Error(), "no Bernoulli form") {
		t.Errorf("gst-1.0 in a Bernoulli form: %v", err)
	}
}
