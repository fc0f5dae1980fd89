package catvae

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/gomlx/compute/gobackend"

	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/experiments"
)

// smallData loads MNIST and keeps a few hundred images, enough to exercise training in a second.
func smallData(t *testing.T) Data {
	t.Helper()
	train, err := mnist.Load(mnist.MNIST, mnist.Train)
	if err != nil {
		t.Fatal(err)
	}
	test, err := mnist.Load(mnist.MNIST, mnist.Test)
	if err != nil {
		t.Fatal(err)
	}
	return Data{Train: train.Slice(0, 400), Test: test.Slice(0, 100)}
}

func smallConfig(t *testing.T, est string) Config {
	t.Helper()
	c, err := PaperConfig("8x4", est)
	if err != nil {
		t.Fatal(err)
	}
	c.Epochs = 3
	return c
}

func TestPaperConfig(t *testing.T) {
	// Values of the paper's hyper-parameter table (reference section 3.2).
	for _, tc := range []struct {
		name, est string
		lr, tau   float64
		opt       string
	}{
		{"8x4", "reinmax", 5e-4, 1.3, "adam"},
		{"10x30", "reinmax", 5e-4, 1.3, "radam"},
		{"10x30", "st", 7e-4, 1.4, "radam"},
		{"16x12", "gr-mck", 5e-4, 1.0, "adam"},
		{"64x8", "stgs", 7e-4, 0.7, "radam"},
		{"4x24", "gst-p", 5e-4, 0.5, "radam"},
	} {
		c, err := PaperConfig(tc.name, tc.est)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.name, tc.est, err)
		}
		if c.LR != tc.lr || c.Tau != tc.tau || c.Optimizer != tc.opt || c.Batch != 100 || c.Epochs != 160 {
			t.Errorf("%s %s: %+v, want lr %v tau %v %s batch 100, 160 epochs", tc.name, tc.est, c, tc.lr, tc.tau, tc.opt)
		}
	}
	if _, err := PaperConfig("4x6", "reinmax"); err == nil || !strings.Contains(err.Error(), "4x6") {
		t.Errorf("PaperConfig(4x6): error %v, want one naming the unknown configuration", err)
	}
	if c, _, err := ParseName("10x30"); err != nil || c != 10 {
		t.Errorf("ParseName(10x30) = %d, %v", c, err)
	}
	for _, bad := range []string{"", "10", "1x30", "ax3", "10x0"} {
		if _, _, err := ParseName(bad); err == nil {
			t.Errorf("ParseName(%q): no error", bad)
		}
	}
}

func TestValidate(t *testing.T) {
	good, err := PaperConfig("8x4", "reinmax")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Categories = 1 }, "categories"},
		{func(c *Config) { c.Latents = 0 }, "latents"},
		{func(c *Config) { c.Optimizer = "sgd" }, "optimizer"},
		{func(c *Config) { c.LR = math.NaN() }, "learning rate"},
		{func(c *Config) { c.Batch = 0 }, "batch"},
		{func(c *Config) { c.Epochs = 0 }, "epochs"},
		{func(c *Config) { c.Estimator = "nope" }, "valid:"},
		{func(c *Config) { c.Tau = 0.5 }, "tau"},
	} {
		c := good
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
}

// TestResumeEqualsUninterrupted stops a run after the record of epoch 2 was written but before its checkpoint,
// as a crash would, and checks that resuming reproduces the uninterrupted run's numbers exactly.
func TestResumeEqualsUninterrupted(t *testing.T) {
	data := smallData(t)
	cfg := smallConfig(t, "reinmax")
	want, err := train(cfg, data, experiments.Env{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 3 {
		t.Fatalf("%d records, want 3", len(want))
	}
	if !(want[2].TrainNegELBO < want[0].TrainNegELBO) {
		t.Errorf("training -ELBO did not fall: %v then %v", want[0].TrainNegELBO, want[2].TrainNegELBO)
	}

	ckpt := filepath.Join(t.TempDir(), "run.ckpt")
	crash := errors.New("crash")
	var got []Epoch
	_, err = train(cfg, data, experiments.Env{Checkpoint: ckpt}, func(e Epoch) error {
		got = append(got, e)
		if e.Epoch == 2 {
			return crash
		}
		return nil
	})
	if !errors.Is(err, crash) {
		t.Fatalf("interrupted run: error %v", err)
	}
	resumed, err := train(cfg, data, experiments.Env{Checkpoint: ckpt}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(resumed) != 2 || resumed[0].Epoch != 2 {
		t.Fatalf("resumed run gave epochs %v, want 2 and 3", resumed)
	}
	for i, r := range append(got[:1], resumed...) {
		w := want[i]
		if r.TrainNegELBO != w.TrainNegELBO || r.TestNegELBO != w.TestNegELBO || r.TrainKL != w.TrainKL {
			t.Errorf("epoch %d: resumed %+v, uninterrupted %+v", r.Epoch, r, w)
		}
	}
}

func TestSweepWritesResultsAndSkipsFinished(t *testing.T) {
	data := smallData(t)
	dir := t.TempDir()
	s := Sweep{Configs: []string{"8x4"}, Estimators: []string{"st", "reinmax"}, Seeds: []int64{0},
		Modify: func(c *Config) { c.Epochs = 1 }}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	exp := &Experiment{}
	if _, err := exp.data.Get(struct{}{}, func(struct{}) (Data, error) { return data, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := experiments.Run(exp, runs, experiments.Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	images, _ := filepath.Glob(filepath.Join(dir, imagesDir, "8x4_reinmax_seed=0-*.png"))
	if len(images) != 1 {
		t.Errorf("images of the reinmax run: %v, want one file", images)
	}
	for _, f := range []string{experiments.ResultsFile, SummaryFile, TableFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing output: %v", err)
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
	if !strings.Contains(string(table), "| reinmax |") || !strings.Contains(string(table), "124.66") {
		t.Errorf("table.md lacks the reinmax row or the paper's 8x4 number:\n%s", table)
	}
}

func TestSweepResolvesParameters(t *testing.T) {
	runs, err := Sweep{Configs: []string{"8x4"}, Estimators: []string{"gr-mck", "reinmax"}, Seeds: []int64{3},
		Modify: func(c *Config) { c.K = 0 }}.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if runs[0].K != 100 || runs[1].K != 0 || runs[1].Tau != 1.3 || runs[0].Seed != 3 {
		t.Errorf("runs %+v: want gr-mck with its default K = 100, reinmax with no K and the paper's tau 1.3", runs)
	}
	bad := []func(*Config){
		func(c *Config) { c.Tau = math.NaN() },
		func(c *Config) { c.LR = math.NaN() },
		func(c *Config) { c.TrainSize = 50 },
	}
	for i, m := range bad {
		if _, err := (Sweep{Configs: []string{"8x4"}, Estimators: []string{"st"}, Seeds: []int64{0}, Modify: m}).Runs(); err == nil {
			t.Errorf("bad setting %d accepted", i)
		}
	}
}

// TestExactMode trains 8x4 with the exact gradient over all 4096 codes, and refuses it where the codes are too many.
func TestExactMode(t *testing.T) {
	data := smallData(t)
	cfg, err := PaperConfig("8x4", "exact")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Epochs = 2
	recs, err := train(cfg, data, experiments.Env{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !(recs[1].TrainNegELBO < recs[0].TrainNegELBO) {
		t.Errorf("exact mode: training -ELBO %v then %v, want it to fall", recs[0].TrainNegELBO, recs[1].TrainNegELBO)
	}
	big := cfg
	big.Categories, big.Latents = 10, 30
	if err := big.Validate(); err == nil || !strings.Contains(err.Error(), "10x30") {
		t.Errorf("exact on 10x30: error %v, want one naming the configuration and the count", err)
	}
}
