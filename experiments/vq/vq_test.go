package vq

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/gomlx/compute/gobackend"

	"github.com/f60e9205/reinmax/experiments"
)

var (
	dataOnce sync.Once
	dataVal  Data
	dataErr  error
)

// smallData loads Fashion-MNIST once and keeps a few hundred images, enough to exercise training in a second.
func smallData(t *testing.T) Data {
	t.Helper()
	dataOnce.Do(func() {
		var all Data
		if all, dataErr = LoadData("fashion", experiments.LoadEnv{}); dataErr == nil {
			dataVal = Data{Train: all.Train.Slice(0, 256), Test: all.Test.Slice(0, 50)}
		}
	})
	if dataErr != nil {
		t.Fatal(dataErr)
	}
	return dataVal
}

// smallConfig is a model small enough to train a few steps in milliseconds.
func smallConfig(method string) Config {
	c := DefaultConfig("fashion", method)
	c.Codes, c.Dim, c.Latents, c.Hidden, c.Batch, c.Steps, c.EvalEvery = 16, 4, 2, 32, 64, 6, 2
	c, _ = c.resolved()
	return c
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Data = "cifar" }, `data "cifar"`},
		{func(c *Config) { c.Method = "kmeans" }, `unknown method "kmeans" (valid: ste, rotation,`},
		{func(c *Config) { c.Method = "reinforce" }, "score-function"},
		{func(c *Config) { c.Codes = 1 }, "codes K = 1"},
		{func(c *Config) { c.Dim = 0 }, "dimension d = 0"},
		{func(c *Config) { c.Beta = -1 }, "beta = -1"},
		{func(c *Config) { c.Temperature = 0 }, "temperature T = 0"},
		{func(c *Config) { c.Tau = 0.5 }, "tau = 0.5"},
		{func(c *Config) { c.Refresh = -1 }, "refresh every -1"},
		{func(c *Config) { c.Latents = 0 }, "latents L = 0"},
		{func(c *Config) { c.Hidden = 1 }, "hidden width"},
		{func(c *Config) { c.Optimizer = "sgd" }, "optimizer"},
		{func(c *Config) { c.LR = math.Inf(1) }, "learning rate"},
		{func(c *Config) { c.Steps = 0 }, "steps = 0"},
		{func(c *Config) { c.EvalEvery = 0 }, "eval every 0"},
		{func(c *Config) { c.TrainSize = 10 }, "less than one batch"},
	} {
		c := DefaultConfig("fashion", "reinmax")
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: error %v, want one line containing %q", c, err, tc.want)
		}
	}
}

func TestSweepRuns(t *testing.T) {
	t.Parallel()
	runs, err := Sweep{Data: []string{"fashion"}, Methods: []string{"ste", "gr-mck", "reinmax"}, Temperatures: []float64{0.1, 1},
		Refresh: []int{0, 50}, Seeds: []int64{4}}.Runs()
	if err != nil {
		t.Fatal(err)
	}
	// ste: one temperature (none) × 2 refresh; gr-mck and reinmax: 2 temperatures × 2 refresh.
	if len(runs) != 2+4+4 {
		t.Fatalf("%d runs, want 10", len(runs))
	}
	labels := map[string]bool{}
	for _, c := range runs {
		labels[c.Label()] = true
		switch c.Method {
		case "ste":
			if c.Temperature != 0 || c.Tau != 0 || c.K != 0 {
				t.Errorf("%s: T %v, tau %v, K %v: want none for ste", c.Label(), c.Temperature, c.Tau, c.K)
			}
		case "gr-mck":
			if c.K != DefaultGRMCKK || c.Tau != 1 {
				t.Errorf("%s: K %d, tau %v, want %d and 1", c.Label(), c.K, c.Tau, DefaultGRMCKK)
			}
		}
		if c.Seed != 4 || c.Steps != DefaultSteps || c.Codes != 256 || c.Dim != 32 {
			t.Errorf("%s: %+v", c.Label(), c)
		}
	}
	if len(labels) != len(runs) {
		t.Errorf("labels %v do not tell the %d runs apart", labels, len(runs))
	}
	if !labels["fashion reinmax T=0.1 refresh=50 seed=4"] || !labels["fashion gr-mck T=1 k=10 seed=4"] || !labels["fashion ste seed=4"] {
		t.Errorf("labels %v", labels)
	}
	if _, err := (Sweep{Data: []string{"fashion"}, Methods: []string{"ste"}, Seeds: []int64{0},
		Modify: func(c *Config) { c.Codes = 1 }}).Runs(); err == nil || !strings.Contains(err.Error(), "codes K = 1") {
		t.Errorf("a sweep with one code: error %v", err)
	}
}

// TestResumeEqualsUninterrupted stops a run after the record of step 4 was written but before its checkpoint, as a
// crash would, and checks that resuming reproduces the uninterrupted run's numbers exactly: with stochastic codes,
// and with the deterministic nearest code and a refresh every 2 steps (its counters are variables of the checkpoint).
func TestResumeEqualsUninterrupted(t *testing.T) {
	t.Parallel()
	data := smallData(t)
	for _, method := range []string{"reinmax", "ste"} {
		cfg := smallConfig(method)
		if method == "ste" {
			cfg.Refresh = 2
		}
		want, err := train(cfg, data, experiments.Env{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 3 {
			t.Fatalf("%s: %d records, want 3", method, len(want))
		}
		ckpt := filepath.Join(t.TempDir(), "run.ckpt")
		crash := errors.New("crash")
		var got []Eval
		_, err = train(cfg, data, experiments.Env{Checkpoint: ckpt}, func(e Eval) error {
			got = append(got, e)
			if e.Step == 4 {
				return crash
			}
			return nil
		})
		if !errors.Is(err, crash) {
			t.Fatalf("%s: interrupted run: error %v", method, err)
		}
		resumed, err := train(cfg, data, experiments.Env{Checkpoint: ckpt}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(resumed) != 2 || resumed[0].Step != 4 {
			t.Fatalf("%s: resumed run gave steps %v, want 4 and 6", method, resumed)
		}
		refreshed := 0
		for i, r := range append(got[:1], resumed...) {
			w := want[i]
			r.Seconds, w.Seconds = 0, 0
			if r != w {
				t.Errorf("%s: step %d: resumed %+v, uninterrupted %+v", method, r.Step, r, w)
			}
			refreshed += w.Refreshed
		}
		last := want[2]
		if last.TestCodesUsed < 1 || (method == "reinmax") != (last.TestMSESampled != 0) || (method == "ste") != (refreshed > 0) {
			t.Errorf("%s: final record %+v, %d codes refreshed: want codes used, a sampled test MSE for reinmax only, "+
				"and refreshed codes for ste only", method, last, refreshed)
		}
	}
}

// TestSweepWritesResultsAndSkipsFinished runs two small runs through the runner: results, summary, table, curves and
// a picture per run are written, and a second run of the same sweep trains nothing.
func TestSweepWritesResultsAndSkipsFinished(t *testing.T) {
	t.Parallel()
	data := smallData(t)
	dir := t.TempDir()
	runs, err := Sweep{Data: []string{"fashion"}, Methods: []string{"rotation", "st"}, Seeds: []int64{0},
		Modify: func(c *Config) {
			small := smallConfig(c.Method)
			small.Temperature, small.Seed = c.Temperature, c.Seed
			*c = small
		}}.Runs()
	if err != nil {
		t.Fatal(err)
	}
	exp := &Experiment{}
	if _, err := exp.data.Get("fashion", func(string) (Data, error) { return data, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := experiments.Run(exp, runs, experiments.Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	for _, pattern := range []string{"images/fashion_rotation_seed=0-*.png", "images/fashion_st_T=0.01_seed=0-*.png",
		experiments.ResultsFile, SummaryFile, TableFile, CurvesFile + ".png"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) != 1 {
			t.Errorf("%s: %v, want one file", pattern, m)
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, experiments.ResultsFile))
	if _, err := experiments.Run(exp, runs, experiments.Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, experiments.ResultsFile))
	if string(before) != string(after) {
		t.Error("a second run of the same sweep trained again instead of skipping finished runs")
	}
	table, _ := os.ReadFile(filepath.Join(dir, TableFile))
	if !strings.Contains(string(table), "| rotation |") || !strings.Contains(string(table), "| st T=0.01 |") {
		t.Errorf("table.md lacks a row:\n%s", table)
	}
}

// TestSummaryReportsCollapse checks that a run whose test set uses one code is counted in the summary and the table.
func TestSummaryReportsCollapse(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig("fashion", "ste")
	recs := []Eval{
		{Data: "fashion", Name: "ste", Seed: 0, Step: 10, Steps: 10, TestMSE: 0.05, TestCodesUsed: 1, TestPerplexity: 1, Collapsed: true, Seconds: 1},
		{Data: "fashion", Name: "ste", Seed: 1, Step: 10, Steps: 10, TestMSE: 0.03, TestCodesUsed: 40, TestPerplexity: 30, Seconds: 3},
	}
	for i := range recs {
		recs[i].SetStamp(string(rune('a'+i)), cfg)
	}
	sums := Summarize(recs)
	if len(sums) != 1 || sums[0].Collapsed != 1 || sums[0].Seeds != 2 || sums[0].CodesMean != 20.5 ||
		!(math.Abs(sums[0].MillisecondsPerStep-200) < 1e-9) || !math.IsNaN(sums[0].SampledMean) {
		t.Fatalf("summary %+v: want 1 collapsed run of 2, 20.5 codes, 200 ms per step, no sampled MSE", sums)
	}
	var b strings.Builder
	if err := writeTable(&b, sums); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "1 of 2") || !strings.Contains(b.String(), "40.00 ± 14.14") {
		t.Errorf("table does not show the collapse or the MSE:\n%s", b.String())
	}
}

// TestSummaryKeepsSettingsApart checks that runs of one method that differ in a setting other than the seed are
// separate rows, labelled with the setting, and that seeds of one setting are averaged.
func TestSummaryKeepsSettingsApart(t *testing.T) {
	t.Parallel()
	var recs []Eval
	for i, steps := range []int{10, 10, 20} {
		cfg := DefaultConfig("fashion", "ste")
		cfg.Steps, cfg.Seed = steps, int64(i)
		r := Eval{Data: "fashion", Name: "ste", Seed: cfg.Seed, Step: steps, Steps: steps, TestMSE: 0.01 * float64(i+1), Seconds: 1}
		r.SetStamp(string(rune('a'+i)), cfg)
		recs = append(recs, r)
	}
	sums := Summarize(recs)
	if len(sums) != 2 || sums[0].Name != "ste (steps=10)" || sums[0].Seeds != 2 || sums[1].Name != "ste (steps=20)" {
		t.Fatalf("summaries %+v: want ste (steps=10) over 2 seeds and ste (steps=20)", sums)
	}
}
