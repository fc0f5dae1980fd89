package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/bervae"
	"github.com/f60e9205/reinmax/experiments/catvae"
	listopsexp "github.com/f60e9205/reinmax/experiments/listops"
	"github.com/f60e9205/reinmax/experiments/moe"
	"github.com/f60e9205/reinmax/experiments/poly"
	"github.com/f60e9205/reinmax/experiments/vq"
	"github.com/f60e9205/reinmax/gradlab"
	"github.com/f60e9205/reinmax/results"
)

// scriptName is an estimator name that is a script: a results file can hold any text, and the page must show it
// as text.
const scriptName = `<script>document.title='pwned'</script>`

// stamped gives rec the identity and settings of cfg, as the runner does.
func stamped[C any, P interface{ SetStamp(string, C) }](t *testing.T, experiment string, cfg C, rec P) {
	t.Helper()
	id, err := experiments.ID(experiment, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec.SetStamp(id, cfg)
}

func appendRecords[R any](t *testing.T, dir string, recs ...R) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := results.AppendJSONL(filepath.Join(dir, experiments.ResultsFile), recs); err != nil {
		t.Fatal(err)
	}
}

// polyFixture writes two estimators × three seeds of polynomial programming, 100 steps each, into dir. ReinMax's
// final exact loss is 0.21 + seed/1000, ST's 0.25 + seed/1000 (means over the seeds 0.211 and 0.251).
func polyFixture(t *testing.T, dir string) {
	for _, est := range []string{"st", "reinmax"} {
		for seed := range int64(3) {
			cfg := poly.DefaultConfig()
			cfg.Estimator, cfg.Seed, cfg.Steps, cfg.Every = est, seed, 100, 50
			final := 0.25
			if est == "reinmax" {
				final = 0.21
			}
			for _, step := range []int{0, 50, 100} {
				exact := 0.2525 - float64(step)/100*(0.2525-final) + float64(seed)/1000
				r := poly.Record{Estimator: est, Tau: 1, P: 2, Target: poly.Const, L: cfg.L, Batch: cfg.Batch, LR: cfg.LR,
					Steps: 100, Seed: seed, Step: step, Exact: exact, Optimum: 0.2025, Gap: exact - 0.2025}
				stamped(t, "poly", cfg, &r)
				appendRecords(t, dir, r)
			}
		}
	}
}

// catvaeFixture writes 10x30 runs of reinmax, st and scriptName, seed 0, two epochs; ReinMax's final training
// −ELBO is 101.25.
func catvaeFixture(t *testing.T, dir string) {
	for i, est := range []string{"reinmax", "st", scriptName} {
		cfg := catvae.Config{Categories: 10, Latents: 30, Estimator: est, Tau: 1.3, Optimizer: "radam", LR: 5e-4, Batch: 100, Epochs: 2}
		for epoch := 1; epoch <= 2; epoch++ {
			elbo := 101.25 + float64(i) + float64(2-epoch)*50
			r := catvae.Epoch{Config: "10x30", Estimator: est, Tau: 1.3, Epoch: epoch, Epochs: 2, TrainNegELBO: elbo, TestNegELBO: elbo + 3, Seconds: 20}
			stamped(t, "catvae", cfg, &r)
			appendRecords(t, dir, r)
		}
	}
}

// bervaeFixture writes MNIST K=2 runs of reinmax and rloo, seed 0, 200 steps; ReinMax's final training −ELBO is
// 139.22.
func bervaeFixture(t *testing.T, dir string) {
	for i, est := range []string{"reinmax", "rloo"} {
		cfg, err := bervae.PaperConfig("mnist", 2, est)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Steps, cfg.EvalEvery = 200, 100
		for _, step := range []int{100, 200} {
			r := bervae.Record{Dataset: "mnist", K: 2, Estimator: est, Tau: cfg.Tau, Step: step, Steps: 200,
				TrainNegELBO: 139.22 + 15*float64(i) + float64(200-step), GradVariance: 0.01 * float64(1+i), Seconds: 5}
			stamped(t, "bervae", cfg, &r)
			appendRecords(t, dir, r)
		}
	}
}

// listopsFixture writes runs of reinmax and st, seed 0, two epochs, with the baselines; ReinMax's test accuracy is
// 45.00 %.
func listopsFixture(t *testing.T, dir string) {
	for i, est := range []string{"reinmax", "st"} {
		cfg, err := listopsexp.DefaultConfig(est)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Epochs, cfg.TrainSize = 2, 100
		for epoch := 1; epoch <= 2; epoch++ {
			r := listopsexp.Epoch{Estimator: est, Tau: cfg.Tau, Hidden: cfg.Hidden, TrainSize: 100, Epoch: epoch, Epochs: 2,
				Optimizer: "adam", LR: cfg.LR, TrainLoss: 2 - 0.1*float64(epoch), ValidAcc: 0.2 * float64(epoch), Seconds: 30}
			if epoch == 2 {
				r.Test = &listopsexp.Eval{N: 100, Acc: 0.45 - 0.05*float64(i), TreeF1: 0.2}
			}
			stamped(t, "listops", cfg, &r)
			appendRecords(t, dir, r)
		}
	}
	base := `[{"train_size": 100, "majority_test_acc": 0.1107, "bag_of_tokens_test_acc": 0.3183, "left_branching_tree_f1": 0.43}]`
	if err := os.WriteFile(filepath.Join(dir, listopsexp.BaselinesFile), []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
}

// moeFixture writes Fashion-MNIST runs of reinmax and switch top-1 and switch top-2, seed 0, 20 steps with a record
// every 10; the final test accuracies are 85, 80 and 83 %.
func moeFixture(t *testing.T, dir string) {
	for _, run := range []struct {
		method string
		k      int
		acc    float64
	}{{"reinmax", 1, 0.85}, {"switch", 1, 0.80}, {"switch", 2, 0.83}} {
		cfg := moe.DefaultConfig(moe.Fashion, run.method, run.k)
		cfg.Steps, cfg.EvalEvery = 20, 10
		cfg, err := cfg.Resolved()
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []int{10, 20} {
			acc := run.acc - 0.1*float64(20-step)/10
			r := moe.Point{Data: moe.Fashion, Method: run.method, TopK: run.k, Tau: cfg.Tau, Step: step, Steps: 20,
				TrainLoss: 1 - acc, LoadEntropy: 1.38, LoadMaxMean: 1.1, Dropped: 0.02, TestAcc: acc, TestNLL: 1.2 - acc,
				TestLoadEntropy: 1.37, TestLoadMaxMean: 1.2, Seconds: 0.2, Window: 10}
			stamped(t, "moe", cfg, &r)
			appendRecords(t, dir, r)
		}
	}
}

// vqFixture writes MNIST runs of ste and reinmax (T = 0.01), seed 0, 20 steps with a record every 10; the final test
// MSEs per pixel are 0.0190 and 0.0185.
func vqFixture(t *testing.T, dir string) {
	for i, method := range []string{"ste", "reinmax"} {
		cfg := vq.DefaultConfig("mnist", method)
		cfg.Steps, cfg.EvalEvery = 20, 10
		for _, step := range []int{10, 20} {
			mse := 0.019 - 0.0005*float64(i) + 0.01*float64(20-step)/10
			r := vq.Eval{Data: "mnist", Name: cfg.Name(), Method: method, Step: step, Steps: 20, TrainMSE: mse + 0.001,
				TestMSE: mse, TestCodesUsed: 200 + 10*i, TestUsage: float64(200+10*i) / 256, TestPerplexity: 150, Seconds: 3}
			if method == "reinmax" {
				r.TestMSESampled = mse + 0.0003
			}
			stamped(t, "vq", cfg, &r)
			appendRecords(t, dir, r)
		}
	}
}

// gradlabFixture writes a lab folder as the lab writes it: results.csv and order.csv, ST's exact slope 0.971 and
// ReinMax's 2.005.
func gradlabFixture(t *testing.T, dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	header := []string{"problem", "estimator", "tau", "k", "seed", "draws", "rel_bias", "rel_bias_lo", "rel_bias_hi", "exact_rel_bias", "rel_std", "cos_of_mean"}
	rows := [][]string{
		{"quadratic:L=1,C=8", "st", "1", "0", "1", "50000", "1.259", "1.249", "1.270", "1.256", "2.43", "0.255"},
		{"quadratic:L=1,C=8", "reinmax", "1", "0", "1", "50000", "0.0001", "0", "0.032", "3.7e-16", "5.26", "1.000"},
		{"vae8x4:epochs=1,train=10000,images=10", "st", "1", "0", "1", "5000", "0.526", "0.519", "0.534", "0.522", "0.975", "0.865"},
		{"vae8x4:epochs=1,train=10000,images=10", "reinmax", "1", "0", "1", "5000", "0.266", "0.261", "0.272", "0.266", "1.51", "0.972"},
	}
	if err := results.WriteCSV(filepath.Join(dir, gradlab.ResultsCSV), header, rows); err != nil {
		t.Fatal(err)
	}
	order := [][]string{
		{"exact", "st", "0.0009765625", "0.00015", "", "", "0.971", "0.0009765625", "0.015625"},
		{"exact", "st", "0.015625", "0.0023", "", "", "0.971", "0.0009765625", "0.015625"},
		{"exact", "reinmax", "0.0009765625", "1e-7", "", "", "2.005", "0.0009765625", "0.015625"},
		{"exact", "reinmax", "0.015625", "2.6e-5", "", "", "2.005", "0.0009765625", "0.015625"},
		{"monte-carlo", "st", "0.5", "0.1", "0.09", "0.11", "1.3", "", ""},
		{"monte-carlo", "st", "0.25", "0.05", "0.04", "0.06", "1.3", "", ""},
	}
	if err := results.WriteCSV(filepath.Join(dir, gradlab.OrderCSV), []string{"kind", "estimator", "h", "rel_bias", "rel_bias_lo", "rel_bias_hi", "slope", "fit_h_lo", "fit_h_hi"}, order); err != nil {
		t.Fatal(err)
	}
}

// allFixtures writes a folder of every experiment under root and returns them as inputs, in a fixed order.
func allFixtures(t *testing.T, root string) []Input {
	var inputs []Input
	for _, f := range []struct {
		name  string
		write func(*testing.T, string)
	}{{"poly", polyFixture}, {"catvae", catvaeFixture}, {"bervae", bervaeFixture}, {"listops", listopsFixture}, {"gradlab", gradlabFixture},
		{"moe", moeFixture}, {"vq", vqFixture}} {
		dir := filepath.Join(root, f.name)
		f.write(t, dir)
		inputs = append(inputs, Input{Dir: dir})
	}
	return inputs
}
