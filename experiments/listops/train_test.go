package listops

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax"
	listopsdata "github.com/f60e9205/reinmax/data/listops" // the data set; this package is the experiment
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/results"
)

// tinyData returns generated expressions of at most 8 tokens (one padded width, so one compiled graph per step
// function): 64 to train on, 32 to validate and 32 standing in for the test split.
func tinyData(t *testing.T) Data {
	t.Helper()
	ex, err := listopsdata.Generator{MaxArgs: 3, MaxTokens: 9}.Generate(128, 7)
	if err != nil {
		t.Fatal(err)
	}
	return Data{Train: ex[:64], Valid: ex[64:96], Test: ex[96:], TestRows: 32}
}

func tinyConfig(t *testing.T, est string) Config {
	t.Helper()
	c, err := DefaultConfig(est)
	if err != nil {
		t.Fatal(err)
	}
	c.Hidden, c.TrainSize, c.Batch, c.Epochs, c.LR, c.Dropout = 16, 64, 16, 3, 1e-2, 0.2
	return c
}

func TestTrainingReducesLoss(t *testing.T) {
	cfg := tinyConfig(t, "reinmax")
	// Adam: RAdam's first steps are plain momentum, too small for a test of a few steps.
	cfg.Epochs, cfg.Batch, cfg.Optimizer, cfg.Dropout = 6, 8, "adam", 0
	evaluated := map[string][]float64{} // the evaluation progress reported, per set
	report := func(_ int, metrics map[string]float64) {
		for _, set := range []string{"validating", "testing"} {
			if f, ok := metrics[set]; ok {
				evaluated[set] = append(evaluated[set], f)
			}
		}
	}
	recs, err := train(cfg, tinyData(t), experiments.Env{Backend: testutil.Backend(t)}.WithReport(report), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Validation after each of the 6 epochs and the test after the last, each ending at 1.
	if v, ts := evaluated["validating"], evaluated["testing"]; len(v) < 6 || len(ts) < 1 || v[len(v)-1] != 1 || ts[len(ts)-1] != 1 {
		t.Errorf("evaluation progress: validating %v, testing %v; want at least 6 and 1 reports ending at 1", v, ts)
	}
	if len(recs) != 6 || recs[5].Test == nil || recs[4].Test != nil {
		t.Fatalf("records %+v: want 6 epochs, a test result on the last only", recs)
	}
	for _, r := range recs {
		t.Logf("epoch %d: training loss %.4f accuracy %.3f, validation accuracy %.3f", r.Epoch, r.TrainLoss, r.TrainAcc, r.ValidAcc)
	}
	// Chance level is ln 10 = 2.303; 48 steps at lr 1e-2 on 64 expressions fit them well below it.
	first, last := recs[0].TrainLoss, recs[5].TrainLoss
	if !(last < first-0.1) {
		t.Errorf("training loss went from %v to %v, want a fall of at least 0.1", first, last)
	}
	if r := recs[5].Test; !(r.N == 32 && r.Acc >= 0 && r.Acc <= 1 && r.TreeF1 >= 0 && r.TreeF1 <= 1) {
		t.Errorf("test result %+v out of range", *r)
	}
}

// TestResumeEqualsUninterrupted stops a run after the record of epoch 2 was written but before its checkpoint,
// as a crash would, and checks that resuming reproduces the uninterrupted run's numbers exactly.
func TestResumeEqualsUninterrupted(t *testing.T) {
	data := tinyData(t)
	cfg := tinyConfig(t, "reinmax")
	cfg.Patience = 1 // exercise the learning-rate schedule's state across the checkpoint
	backend := testutil.Backend(t)
	want, err := train(cfg, data, experiments.Env{Backend: backend}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "run.ckpt")
	crash := errors.New("crash")
	var got []Epoch
	_, err = train(cfg, data, experiments.Env{Backend: backend, Checkpoint: ckpt}, func(e Epoch) error {
		got = append(got, e)
		if e.Epoch == 2 {
			return crash
		}
		return nil
	})
	if !errors.Is(err, crash) {
		t.Fatalf("interrupted run: error %v", err)
	}
	resumed, err := train(cfg, data, experiments.Env{Backend: backend, Checkpoint: ckpt}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(resumed) != 2 || resumed[0].Epoch != 2 {
		t.Fatalf("resumed run gave %d epochs starting at %d, want epochs 2 and 3", len(resumed), resumed[0].Epoch)
	}
	for i, r := range append(got[:1], resumed...) {
		w := want[i]
		r.Seconds, w.Seconds = 0, 0
		rt, wt := r.Test, w.Test
		r.Test, w.Test = nil, nil
		if r != w || (rt == nil) != (wt == nil) || (rt != nil && *rt != *wt) {
			t.Errorf("epoch %d: resumed %+v %+v, uninterrupted %+v %+v", w.Epoch, r, rt, w, wt)
		}
	}
}

func TestPlateau(t *testing.T) {
	// ReduceLROnPlateau (mode max, threshold 1e-4 relative, patience 2): the rate halves at the third epoch
	// without improvement, and the count restarts.
	st := state{BestValid: -1}
	var halved []int
	for epoch, acc := range []float64{0.20, 0.30, 0.30, 0.29, 0.30001, 0.31, 0.2, 0.2, 0.2, 0.2} {
		st = plateau(st, epoch+1, acc, 2)
		if st.BadEpochs < 0 {
			halved = append(halved, epoch+1)
			st.BadEpochs = 0
		}
	}
	if want := []int{5, 9}; !slices.Equal(halved, want) || st.BestValid != 0.31 || st.Epoch != 10 {
		t.Errorf("halved after epochs %v (state %+v), want %v", halved, st, want)
	}
	if st := plateau(state{BestValid: 0.5, BadEpochs: 7}, 3, 0.1, 0); st.BadEpochs != 8 {
		t.Errorf("patience 0 must never halve: state %+v", st)
	}
}

func TestWidthsAndBatches(t *testing.T) {
	for _, tc := range []struct{ n, want int }{{1, 8}, {4, 8}, {8, 8}, {9, 16}, {96, 96}, {97, 99}, {99, 99}, {100, 104}} {
		if got := width(tc.n); got != tc.want {
			t.Errorf("width(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
	ex, err := listopsdata.Generator{}.Generate(300, 3)
	if err != nil {
		t.Fatal(err)
	}
	order := make([]int, len(ex))
	for i := range order {
		order[i] = len(ex) - 1 - i
	}
	seen := map[int]int{}
	plan := batches(ex, order, 16, nil)
	for k, b := range plan {
		if len(b.idx) == 0 || len(b.idx) > 16 || (len(b.idx) < 16 && k < len(plan)-1) {
			t.Fatalf("batch %d of %d has %d examples, want 16 (1..16 for the last)", k, len(plan), len(b.idx))
		}
		widest := 0
		for _, i := range b.idx {
			seen[i]++
			widest = max(widest, width(len(ex[i].Tokens)))
		}
		if widest != b.width {
			t.Errorf("batch %d has width %d, its widest example %d", k, b.width, widest)
		}
		in := b.tensors(ex, 16)
		weights := in[3]
		var sum float64
		for _, w := range tensorsFloat(t, weights) {
			sum += float64(w)
		}
		if int(sum) != len(b.idx) {
			t.Errorf("weights sum to %v for a batch of %d examples", sum, len(b.idx))
		}
	}
	if len(seen) != len(ex) {
		t.Errorf("%d of %d examples in a batch", len(seen), len(ex))
	}
	for i, k := range seen {
		if k != 1 {
			t.Errorf("example %d in %d batches", i, k)
		}
	}
}

// tinySweep runs a sweep of one estimator per entry on data into dir, with hidden size 8, one epoch, batch 16.
func tinySweep(t *testing.T, data Data, dir string, trainSize int, estimators ...string) {
	t.Helper()
	runs, err := Sweep{Estimators: estimators, Seeds: []int64{0}, Hiddens: []int{8}, TrainSizes: []int{trainSize},
		Modify: func(c *Config) { c.Epochs, c.Batch = 1, 16 }}.Runs()
	if err != nil {
		t.Fatal(err)
	}
	exp := &Experiment{data: map[dataKey]Data{{0, DefaultValidSize}: data}}
	if _, err := experiments.Run(exp, runs, experiments.Options{Dir: dir, Backend: testutil.Backend(t)}); err != nil {
		t.Fatal(err)
	}
}

func TestSweepWritesResultsAndSkipsFinished(t *testing.T) {
	data := tinyData(t)
	dir := t.TempDir()
	tinySweep(t, data, dir, 32, "st", "reinmax")
	for _, f := range []string{experiments.ResultsFile, SummaryFile, TableFile, BaselinesFile, CurvesFile + ".png", CurvesFile + ".svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
	treeFiles, _ := filepath.Glob(filepath.Join(dir, TreesDir, "h8_n32_reinmax_seed=0-*.txt"))
	if len(treeFiles) != 1 {
		t.Fatalf("trees of the reinmax run: %v, want one file", treeFiles)
	}
	before, _ := os.ReadFile(filepath.Join(dir, experiments.ResultsFile))
	tinySweep(t, data, dir, 32, "st", "reinmax")
	after, _ := os.ReadFile(filepath.Join(dir, experiments.ResultsFile))
	if string(before) != string(after) {
		t.Error("a second run of the same sweep trained again instead of skipping finished runs")
	}
	table, _ := os.ReadFile(filepath.Join(dir, TableFile))
	for _, want := range []string{"| reinmax |", "68.07 ± 1.18", "majority class", "bag of tokens", "left-branching"} {
		if !strings.Contains(string(table), want) {
			t.Errorf("table.md lacks %q:\n%s", want, table)
		}
	}
	trees, _ := os.ReadFile(treeFiles[0])
	if !strings.Contains(string(trees), "gold") || !strings.Contains(string(trees), "induced") {
		t.Errorf("trees file lacks the gold and induced trees:\n%s", trees)
	}
}

// TestMergeCombinesRunsAndBaselines merges two output folders that hold different training-set sizes: the merged
// folder has both runs and both sizes' baselines, ordered by size.
func TestMergeCombinesRunsAndBaselines(t *testing.T) {
	data := tinyData(t)
	root := t.TempDir()
	var dirs []string
	for _, n := range []int{32, 16} {
		dir := filepath.Join(root, fmt.Sprint(n))
		tinySweep(t, data, dir, n, "st")
		dirs = append(dirs, dir)
	}
	dst := filepath.Join(root, "merged")
	if err := experiments.Merge(&Experiment{}, dst, dirs...); err != nil {
		t.Fatal(err)
	}
	bs, err := readBaselines(filepath.Join(dst, BaselinesFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].TrainSize != 16 || bs[1].TrainSize != 32 {
		t.Errorf("merged baselines %+v, want those of 16 and 32 expressions in that order", bs)
	}
	recs, err := results.ReadJSONL[Epoch](filepath.Join(dst, experiments.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]bool{}
	for _, r := range results.Complete(recs) {
		if r.Final() {
			labels[r.Label()] = true
		}
	}
	if len(labels) != 2 || !labels["h8 n16 st seed=0"] || !labels["h8 n32 st seed=0"] {
		t.Errorf("merged results finish %v, want both runs", labels)
	}
}

func TestValidate(t *testing.T) {
	good, err := DefaultConfig("reinmax")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Hidden = 0 }, "hidden"},
		{func(c *Config) { c.Dropout = 1 }, "dropout"},
		{func(c *Config) { c.Optimizer = "sgd" }, "optimizer"},
		{func(c *Config) { c.LR = math.NaN() }, "learning rate"},
		{func(c *Config) { c.Batch = 0 }, "batch"},
		{func(c *Config) { c.Epochs = 0 }, "epochs"},
		{func(c *Config) { c.TrainSize = 0 }, "train size"},
		{func(c *Config) { c.Estimator = "nope" }, "valid:"},
		{func(c *Config) { c.Tau = 0.5 }, "tau"},
	} {
		c := good
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
	for _, est := range PaperEstimators {
		c, err := PaperConfig(est)
		if err != nil || c.Hidden != 300 || c.Batch != 16 || c.LR != 7e-4 || c.Epochs != 20 || c.Optimizer != "radam" {
			t.Errorf("PaperConfig(%s) = %+v, %v", est, c, err)
		}
	}
	if c, _ := PaperConfig("reinmax"); c.Tau != 1.1 {
		t.Errorf("ReinMax's paper temperature %v, want 1.1", c.Tau)
	}
}

func tensorsFloat(t *testing.T, v any) []float32 {
	t.Helper()
	x, ok := v.(*tensors.Tensor)
	if !ok {
		t.Fatalf("input %T, want a tensor", v)
	}
	return tensors.MustCopyFlatData[float32](x)
}

// TestClipGlobalNorm checks the scaling on gradients (3, 4) and (12) of global norm 13: clipped to 6.5 they are
// halved (up to torch's 1e-6 on the norm); with a bound above 13 they are unchanged.
func TestClipGlobalNorm(t *testing.T) {
	for _, tc := range []struct{ c, scale float64 }{{6.5, 6.5 / (13 + 1e-6)}, {20, 1}} {
		out := MustExecOnceN(testutil.Backend(t), func(a, b *Node) []*Node {
			return clipGlobalNorm([]*Node{a, b}, tc.c)
		}, []float32{3, 4}, []float32{12})
		got := append(out[0].Value().([]float32), out[1].Value().([]float32)...)
		for i, g := range []float64{3, 4, 12} {
			if want := g * tc.scale; !(math.Abs(float64(got[i])-want) <= 1e-6*want) {
				t.Errorf("clip %v: gradient %d = %v, want %v", tc.c, i, got[i], want)
			}
		}
	}
}

// TestEvaluationIgnoresPadding checks that an expression's greedy parse and prediction do not depend on the batch
// it is evaluated in: alone (padded to its own width) or in a batch padded to a wider example's width.
func TestEvaluationIgnoresPadding(t *testing.T) {
	ex, err := listopsdata.Generator{MaxTokens: 40}.Generate(40, 11)
	if err != nil {
		t.Fatal(err)
	}
	m, store := newModel(t, tinyConfig(t, "reinmax"))
	ev, err := newEvaluator(testutil.Backend(t), store, m)
	if err != nil {
		t.Fatal(err)
	}
	_, together, err := ev.run(ex, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	widths := map[int]bool{}
	widest := 0
	for _, e := range ex {
		widths[width(len(e.Tokens))] = true
		widest = max(widest, width(len(e.Tokens)))
	}
	if len(widths) < 3 || len(ex) > evalBatch {
		t.Fatalf("%d expressions of %d widths, want one batch of several widths", len(ex), len(widths))
	}
	for i := range ex {
		_, alone, err := ev.run(ex[i:i+1], true, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(alone[0].merges, together[i].merges) || alone[0].pred != together[i].pred {
			t.Errorf("expression %d (%d tokens): alone %v -> %d, in a batch of width %d %v -> %d", i, len(ex[i].Tokens),
				alone[0].merges, alone[0].pred, widest, together[i].merges, together[i].pred)
		}
	}
}

// newModel returns the model of cfg and a store with its initial parameters.
func newModel(t testing.TB, cfg Config) (treeLSTM, *model.Store) {
	t.Helper()
	est, err := reinmax.NewStraightThrough(cfg.Estimator, reinmax.Params{Tau: cfg.Tau, K: cfg.K})
	if err != nil {
		t.Fatal(err)
	}
	store, err := experiments.NewStore(cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := initParams(store, cfg.Hidden, cfg.Seed); err != nil {
		t.Fatal(err)
	}
	return treeLSTM{cfg: cfg, est: est}, store
}
