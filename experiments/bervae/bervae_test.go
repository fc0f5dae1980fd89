package bervae

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/gomlx/compute/gobackend"

	"github.com/f60e9205/reinmax/experiments"
)

var (
	mnistOnce sync.Once
	mnistData Data
	mnistErr  error
)

func loadMNIST(t *testing.T) Data {
	t.Helper()
	mnistOnce.Do(func() { mnistData, mnistErr = Load("mnist", "") })
	if mnistErr != nil {
		t.Fatal(mnistErr)
	}
	return mnistData
}

func tinyConfig(t *testing.T, est string, k int) Config {
	t.Helper()
	c, err := PaperConfig("mnist", k, est)
	if err != nil {
		t.Fatal(err)
	}
	c.Steps, c.EvalEvery, c.TrainSize, c.EvalSize, c.IWSamples, c.IWImages = 20, 10, 1000, 100, 8, 50
	return c
}

// TestEveryFamilyTrains runs a few steps with estimators of both families and checks the records.
func TestEveryFamilyTrains(t *testing.T) {
	data := loadMNIST(t)
	for _, tc := range []struct {
		est    string
		k      int
		binary bool
	}{{"reinmax", 2, false}, {"reinmax", 2, true}, {"rloo", 2, false}, {"relax", 3, false}, {"rodeo", 2, false}} {
		cfg := tinyConfig(t, tc.est, tc.k)
		cfg.Binary = tc.binary
		recs, err := train(cfg, data, experiments.Env{}, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.est, err)
		}
		if len(recs) != 2 || recs[1].Step != 20 || !recs[1].Final() {
			t.Fatalf("%s: records %+v, want steps 10 and 20", tc.est, recs)
		}
		last := recs[1]
		for name, v := range map[string]float64{"train": last.TrainNegELBO, "valid": last.ValidNegELBO, "test": last.TestNegELBO, "iw": last.IWBound} {
			// 784·log 2 = 543 is the −ELBO of a decoder that predicts 1/2 everywhere; an untrained model is near it.
			if !(v > 100 && v < 1000) {
				t.Errorf("%s: %s −ELBO = %v, want a finite value near 543", tc.est, name, v)
			}
		}
		if !(last.IWBound <= last.TestNegELBO+5) {
			t.Errorf("%s: IW bound %v above the single-sample −ELBO %v", tc.est, last.IWBound, last.TestNegELBO)
		}
		if !(last.GradVariance > 0) {
			t.Errorf("%s: gradient variance %v, want > 0", tc.est, last.GradVariance)
		}
	}
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	data := loadMNIST(t)
	cfg := tinyConfig(t, "reinmax", 2)
	cfg.Steps, cfg.EvalEvery = 30, 10
	want, err := train(cfg, data, experiments.Env{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "run.ckpt")
	crash := errors.New("crash")
	var first []Record
	_, err = train(cfg, data, experiments.Env{Checkpoint: ckpt}, func(r Record) error {
		first = append(first, r)
		if r.Step == 20 {
			return crash
		}
		return nil
	})
	if !errors.Is(err, crash) {
		t.Fatalf("interrupted run: %v", err)
	}
	rest, err := train(cfg, data, experiments.Env{Checkpoint: ckpt}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := append(first[:1], rest...)
	if len(got) != len(want) {
		t.Fatalf("%d records after resume, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.TrainNegELBO != w.TrainNegELBO || g.TestNegELBO != w.TestNegELBO || g.GradVariance != w.GradVariance || g.IWBound != w.IWBound {
			t.Errorf("step %d: resumed %+v, uninterrupted %+v", w.Step, g, w)
		}
	}
}

// TestBinaryForm checks that --binary resolves away for score-function estimators and is refused for a
// straight-through estimator without a Bernoulli form.
func TestBinaryForm(t *testing.T) {
	runs, err := Sweep{Datasets: []string{"mnist"}, Ks: []int{2}, Estimators: []string{"reinmax", "rloo"}, Seeds: []int64{0},
		Modify: func(c *Config) { c.Binary = true }}.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if !runs[0].Binary || runs[1].Binary {
		t.Errorf("binary: reinmax %v, rloo %v; want true and false (a score-function estimator has no such form)", runs[0].Binary, runs[1].Binary)
	}
	_, err = Sweep{Datasets: []string{"mnist"}, Ks: []int{2}, Estimators: []string{"gst-1.0"}, Seeds: []int64{0},
		Modify: func(c *Config) { c.Binary = true }}.Runs()
	if err == nil || !strings.Contains(err.Error(), "no Bernoulli form") {
		t.Errorf("gst-1.0 in a Bernoulli form: %v", err)
	}
}

func TestPaperConfigAndValidate(t *testing.T) {
	// Reference section 3.4 (ReinMax scripts) and RODEO's README (score-function estimators).
	for _, tc := range []struct {
		dataset, est string
		k            int
		lr, tau      float64
		opt          string
	}{
		{"mnist", "reinmax", 2, 3e-4, 1.1, "radam"},
		{"omniglot", "reinmax", 3, 5e-4, 1.2, "radam"},
		{"fashion", "rodeo", 2, 3e-4, 0, "adam"},
		{"omniglot", "disarm", 2, 1e-3, 0, "adam"},
	} {
		c, err := PaperConfig(tc.dataset, tc.k, tc.est)
		if err != nil {
			t.Fatal(err)
		}
		if c.LR != tc.lr || c.Tau != tc.tau || c.Optimizer != tc.opt || c.Steps != 1_000_000 || c.Batch != 100 {
			t.Errorf("%s %s K=%d: %+v", tc.dataset, tc.est, tc.k, c)
		}
	}
	good, _ := PaperConfig("mnist", 2, "reinmax")
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Dataset = "cifar" }, "dataset"},
		{func(c *Config) { c.K = 0 }, "K = 0"},
		{func(c *Config) { c.LR = math.Inf(1) }, "learning rate"},
		{func(c *Config) { c.Estimator = "rloo"; c.K = 1 }, "rloo"},
		{func(c *Config) { c.Estimator = "disarm"; c.K = 3 }, "disarm"},
		{func(c *Config) { c.Estimator = "exact" }, "2^200"},
		{func(c *Config) { c.Steps = 0 }, "steps"},
	} {
		c := good
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
}
