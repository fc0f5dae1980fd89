package moe

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/data/images"
	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/gradlab"
	"github.com/f60e9205/reinmax/internal/testutil"
	"github.com/f60e9205/reinmax/moe"
)

var (
	fashionOnce sync.Once
	fashion     Data
	fashionErr  error
)

// smallData loads Fashion-MNIST (once) and keeps a few hundred images, enough to exercise training in a second.
func smallData(t *testing.T) Data {
	t.Helper()
	fashionOnce.Do(func() { fashion, fashionErr = LoadData(mnist.Fashion, experiments.LoadEnv{}) })
	if fashionErr != nil {
		t.Fatal(fashionErr)
	}
	return Data{Train: fashion.Train.Slice(0, 512), Test: fashion.Test.Slice(0, 200)}
}

// smallConfig is a run of 30 steps of 32 images with a record every 10, on a smaller model.
func smallConfig(t *testing.T, method string, k int) Config {
	t.Helper()
	c := DefaultConfig(Fashion, method, k)
	c.Hidden, c.ExpertHidden, c.Batch, c.Steps, c.EvalEvery = 16, 16, 32, 30, 10
	c, err := c.Resolved()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestValidate(t *testing.T) {
	good := smallConfig(t, "reinmax", 1)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Data = "cifar" }, `data "cifar"`},
		{func(c *Config) { c.Experts = 1 }, "1 experts, want at least 2"},
		{func(c *Config) { c.TopK = 2 }, "reinmax does not support top-2"},
		{func(c *Config) { c.Method, c.TopK, c.Experts = moe.Switch, 2, 2; c.TopK = 3 }, "top-3"},
		{func(c *Config) { c.Capacity = 0 }, "capacity factor 0"},
		{func(c *Config) { c.Method = "nope" }, `unknown routing method "nope"`},
		{func(c *Config) { c.Tau = 0.5 }, "tau"},
		{func(c *Config) { c.Balance = math.NaN() }, "balancing"},
		{func(c *Config) { c.Optimizer = "sgd" }, "optimizer"},
		{func(c *Config) { c.LR = 0 }, "learning rate"},
		{func(c *Config) { c.Batch = 1 }, "batch"},
		{func(c *Config) { c.Steps = 0 }, "steps"},
		{func(c *Config) { c.TrainSize = 10 }, "train size"},
	} {
		c := good
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("error %v, want one line containing %q", err, tc.want)
		}
	}
}

// TestSweepRuns checks that a sweep leaves out the top-k a method does not support and writes out each method's
// parameters.
func TestSweepRuns(t *testing.T) {
	runs, err := Sweep{Data: []string{Fashion}, Methods: []string{moe.Switch, "reinmax", "gr-mck", moe.SparseMixer, moe.SparseMixerV2},
		TopK: []int{1, 2}, Seeds: []int64{0, 4}}.Runs()
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, r := range runs {
		labels = append(labels, r.Label())
	}
	want := "fashion switch top-1 seed=0,fashion switch top-1 seed=4,fashion switch top-2 seed=0,fashion switch top-2 seed=4," +
		"fashion reinmax top-1 seed=0,fashion reinmax top-1 seed=4,fashion gr-mck top-1 seed=0,fashion gr-mck top-1 seed=4," +
		"fashion sparsemixer top-1 seed=0,fashion sparsemixer top-1 seed=4,fashion sparsemixer-v2 top-1 seed=0," +
		"fashion sparsemixer-v2 top-1 seed=4,fashion sparsemixer-v2 top-2 seed=0,fashion sparsemixer-v2 top-2 seed=4"
	if got := strings.Join(labels, ","); got != want {
		t.Errorf("runs\n%s\nwant\n%s", got, want)
	}
	for _, r := range runs {
		var ok bool
		switch r.Method {
		case moe.Switch:
			ok = r.Tau == 0 && r.Samples == 0 && r.Jitter == 0
		case "reinmax":
			ok = r.Tau == 1 && r.Samples == 0 && r.Jitter == 0
		case "gr-mck":
			ok = r.Tau == 1 && r.Samples == 100
		default:
			ok = r.Tau == 0 && r.Jitter == moe.DefaultJitter
		}
		if !ok {
			t.Errorf("%s: tau %v, samples %d, jitter %v", r.Label(), r.Tau, r.Samples, r.Jitter)
		}
	}
	for _, bad := range []Sweep{
		{Data: []string{Fashion}, Methods: []string{"st"}, TopK: []int{2}, Seeds: []int64{0}},
		{Data: []string{Fashion}, Methods: []string{"nope"}, TopK: []int{1}, Seeds: []int64{0}},
		{Data: []string{"cifar"}, Methods: []string{"st"}, TopK: []int{1}, Seeds: []int64{0}},
	} {
		if _, err := bad.Runs(); err == nil {
			t.Errorf("sweep %+v: no error", bad)
		}
	}
}

// TestResumeEqualsUninterrupted stops a run after its second record was written but before its checkpoint, as a
// crash would, and checks that resuming reproduces the uninterrupted run's numbers exactly; and that training
// lowers the loss.
func TestResumeEqualsUninterrupted(t *testing.T) {
	data := smallData(t)
	for _, tc := range []struct {
		method string
		k      int
	}{{"reinmax", 1}, {moe.SparseMixerV2, 2}} {
		cfg := smallConfig(t, tc.method, tc.k)
		want, err := train(cfg, data, experiments.Env{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 3 || !want[2].Final() {
			t.Fatalf("%d records, want 3, the last final", len(want))
		}
		if !(want[2].TrainLoss < want[0].TrainLoss) {
			t.Errorf("%s: training loss did not fall: %v then %v", tc.method, want[0].TrainLoss, want[2].TrainLoss)
		}
		ckpt := filepath.Join(t.TempDir(), "run.ckpt")
		crash := errors.New("crash")
		var got []Point
		_, err = train(cfg, data, experiments.Env{Checkpoint: ckpt}, func(p Point) error {
			got = append(got, p)
			if p.Step == 20 {
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
		if len(resumed) != 2 || resumed[0].Step != 20 {
			t.Fatalf("resumed run gave %d records from step %d, want steps 20 and 30", len(resumed), resumed[0].Step)
		}
		for i, r := range append(got[:1], resumed...) {
			w := want[i]
			r.Seconds, w.Seconds = 0, 0
			if r != w {
				t.Errorf("%s step %d: resumed %+v, uninterrupted %+v", tc.method, r.Step, r, w)
			}
		}
	}
}

// TestNonFiniteLogitsStop feeds an image with a NaN pixel: its router logits are NaN at the first step that draws
// it, and the run stops with an error naming the step and the quantity.
func TestNonFiniteLogitsStop(t *testing.T) {
	data := smallData(t)
	train0 := &images.Set{Images: append([]float32(nil), data.Train.Images...), Labels: data.Train.Labels,
		N: data.Train.N, Rows: data.Train.Rows, Cols: data.Train.Cols}
	for i := range train0.Images {
		if i%Pixels == 300 {
			train0.Images[i] = float32(math.NaN()) // every image
		}
	}
	cfg := smallConfig(t, moe.Switch, 1)
	_, err := train(cfg, Data{Train: train0, Test: data.Test}, experiments.Env{}, nil)
	if err == nil || !strings.Contains(err.Error(), "step 1: 128 router logits are NaN or infinite") {
		t.Fatalf("error %v, want one naming step 1 and the 32×4 router logits", err)
	}
}

// TestSweepWritesResultsAndSkipsFinished runs a sweep of two methods through the runner, checks its files, and that
// a second run trains nothing.
func TestSweepWritesResultsAndSkipsFinished(t *testing.T) {
	data := smallData(t)
	dir := t.TempDir()
	s := Sweep{Data: []string{Fashion}, Methods: []string{moe.Switch, moe.SparseMixerV2}, TopK: []int{2}, Seeds: []int64{0},
		Modify: func(c *Config) { c.Hidden, c.ExpertHidden, c.Batch, c.Steps, c.EvalEvery = 16, 16, 32, 20, 10 }}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	exp := &Experiment{}
	if _, err := exp.data.Get(Fashion, func(string) (Data, error) { return data, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := experiments.Run(exp, runs, experiments.Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{experiments.ResultsFile, SummaryFile, TableFile, CurvesFile + ".png", CurvesFile + ".svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, experiments.ResultsFile))
	out, err := experiments.Run(exp, runs, experiments.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, experiments.ResultsFile))
	if out.Trained != 0 || string(before) != string(after) {
		t.Error("a second run of the same sweep trained again instead of skipping finished runs")
	}
	table, _ := os.ReadFile(filepath.Join(dir, TableFile))
	for _, want := range []string{"### Fashion-MNIST", "| switch | 2 | 1 |", "| sparsemixer-v2 | 2 | 1 |"} {
		if !strings.Contains(string(table), want) {
			t.Errorf("table.md lacks %q:\n%s", want, table)
		}
	}
}

// TestLoad checks the load summary: entropy in nats and the busiest share over the mean.
func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		counts           []float64
		entropy, maxMean float64
	}{
		{[]float64{5, 5, 5, 5}, math.Log(4), 1},
		{[]float64{8, 0, 0, 0}, 0, 4},
		{[]float64{3, 1}, -(0.75*math.Log(0.75) + 0.25*math.Log(0.25)), 1.5},
	} {
		e, m := load(tc.counts)
		if !(math.Abs(e-tc.entropy) <= 1e-12 && math.Abs(m-tc.maxMean) <= 1e-12) {
			t.Errorf("load(%v) = %v, %v, want %v, %v", tc.counts, e, m, tc.entropy, tc.maxMean)
		}
	}
	if e, m := load([]float64{0, 0}); !math.IsNaN(e) || !math.IsNaN(m) {
		t.Errorf("load of nothing = %v, %v, want NaN", e, m)
	}
}

// TestRouterProblem checks the lab's router problem on a briefly trained model: the exact gradient against
// central finite differences of the exact expected loss (step 1e-5: error O(1e-10)), the graph's loss against the
// float64 one at the weights of every expert, and that every routing method runs in the lab.
func TestRouterProblem(t *testing.T) {
	data := smallData(t)
	cfg := smallConfig(t, moe.Switch, 1)
	store, err := trainStore(cfg, data, experiments.Env{})
	if err != nil {
		t.Fatal(err)
	}
	test := data.Test.Slice(0, 6)
	p, err := NewRouterProblem(nil, store, cfg, test.Images, test.Labels)
	if err != nil {
		t.Fatal(err)
	}
	theta, dims := p.Logits()
	if dims[0] != 6 || dims[1] != 4 {
		t.Fatalf("logits of dimensions %v, want (6, 4)", dims)
	}
	exact, err := p.ExactGradient()
	if err != nil {
		t.Fatal(err)
	}
	const h = 1e-5
	for i := range theta {
		p.theta[i] = theta[i] + h
		up := p.Expectation()
		p.theta[i] = theta[i] - h
		down := p.Expectation()
		p.theta[i] = theta[i]
		if fd := (up - down) / (2 * h); !(math.Abs(fd-exact[i]) <= 1e-7*(1+math.Abs(fd))) {
			t.Errorf("∂F/∂θ[%d] = %.10f, finite differences %.10f", i, exact[i], fd)
		}
	}

	backend, err := experiments.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	const m, e = 6, 4
	w := make([]float64, e*m*e) // draw n = e: every image on expert e at its gate
	for n := range e {
		for i := range m {
			w[(n*m+i)*e+n] = testutil.Softmax(theta[i*e : (i+1)*e])[n]
		}
	}
	outs, err := ExecOnceN(backend, func(w *Node) *Node { return p.LossPerExample(w) }, tensors.FromFlatDataAndDimensions(w, e, m, e))
	if err != nil {
		t.Fatal(err)
	}
	losses, _ := tensors.CopyFlatData[float64](outs[0])
	for n := range e {
		for i := range m {
			want, _ := p.loss(i, n, w[(n*m+i)*e+n])
			if !(math.Abs(losses[n*m+i]-want) <= 1e-12*(1+want)) {
				t.Errorf("image %d on expert %d: graph loss %.15g, float64 %.15g", i, n, losses[n*m+i], want)
			}
		}
	}

	// Monte Carlo over 20,000 draws against exact expectations, each component within 5 standard errors: an
	// unbiased estimator (REINFORCE for the choice plus the exact gate term given it) against the exact gradient,
	// and ReinMax's router gradient against its exact expectation (ExpectedGradient, by package oracle's backward).
	// The baseline of image m is its exact expected loss, a constant: the estimator stays unbiased, with far less
	// variance.
	baseline := make([]float64, m)
	for i := range m {
		pi := testutil.Softmax(theta[i*e : (i+1)*e])
		for k := range e {
			l, _ := p.loss(i, k, pi[k])
			baseline[i] += pi[k] * l
		}
	}
	unbiased := gradlab.Estimator{Name: "reinforce+gate", Surrogate: func(_ *model.Scope, src reinmax.Source, x *Node, loss func(*Node) *Node) *Node {
		d := reinmax.Categorical(src, x)
		pi := Softmax(x, -1)
		l := loss(Mul(d, pi))                            // (N, M)
		logp := ReduceSum(Mul(d, LogSoftmax(x, -1)), -1) // (N, M)
		score := Mul(StopGradient(Sub(l, Reshape(Const(x.Graph(), baseline), 1, m))), logp)
		return ReduceAllSum(Add(l, score)) // the gate term pathwise, the choice by REINFORCE
	}}
	rm, err := LabEstimator("reinmax", 1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	expected, err := p.ExpectedGradient(rm.Oracle)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		est  gradlab.Estimator
		want []float64
	}{{unbiased, exact}, {rm, expected}} {
		mean, se := monteCarlo(t, backend, p, tc.est, 20000)
		for i := range mean {
			if !(math.Abs(mean[i]-tc.want[i]) <= 5*se[i]) {
				t.Errorf("%s: component %d: mean %.5f, want %.5f ± %.5f (5 s.e.)", tc.est.Name, i, mean[i], tc.want[i], 5*se[i])
			}
		}
	}

	// Every routing method through the lab, with few draws: a smoke test of the surrogates.
	ests, skipped, err := LabEstimators(moe.Methods(), []float64{0.5, 1}, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) == 0 || !strings.HasPrefix(skipped[0], "reinmax at tau=0.5") {
		t.Errorf("skipped %v, want reinmax at tau=0.5 first", skipped)
	}
	for _, s := range skipped { // the ReinMax family only, which wants τ >= 1
		if !strings.HasPrefix(s, "reinmax") || !strings.Contains(s, "at tau=0.5: ") {
			t.Errorf("skipped %q, want only the ReinMax family at tau=0.5", s)
		}
	}
	for _, e := range ests {
		r, err := gradlab.Measure(backend, p, e, gradlab.Config{Draws: 20, Seed: 1, Replicates: 100}, nil)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		if !(r.RelBias >= 0 && r.RelBias < 10) || !(r.MeanCos >= -1 && r.MeanCos <= 1) {
			t.Errorf("%s: relative bias %v, mean cosine %v", e, r.RelBias, r.MeanCos)
		}
	}
}

// monteCarlo returns the mean and standard error of each component of n draws of est's gradient on p.
func monteCarlo(t *testing.T, backend compute.Backend, p *RouterProblem, est gradlab.Estimator, n int) (mean, se []float64) {
	t.Helper()
	theta, dims := p.Logits()
	store, err := experiments.NewStore(3)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := model.ExecOnceN(backend, store, func(scope *model.Scope, logits *Node) *Node {
		x := BroadcastToDims(InsertAxes(logits, 0), n, dims[0], dims[1])
		return Gradient(est.Surrogate(scope, reinmax.ScopeSource(scope), x, p.LossPerExample), x)[0]
	}, tensors.FromFlatDataAndDimensions(theta, dims...))
	if err != nil {
		t.Fatal(err)
	}
	g, err := tensors.CopyFlatData[float64](outs[0])
	if err != nil {
		t.Fatal(err)
	}
	k := len(theta)
	mean, se = make([]float64, k), make([]float64, k)
	for i := range k {
		var sum, sq float64
		for j := range n {
			sum += g[j*k+i]
		}
		m := sum / float64(n)
		for j := range n {
			sq += (g[j*k+i] - m) * (g[j*k+i] - m)
		}
		mean[i], se[i] = m, math.Sqrt(sq/float64(n-1)/float64(n))
	}
	return mean, se
}

// TestParseLabSpec checks the names of the lab's router problem, with defaults filled in.
func TestParseLabSpec(t *testing.T) {
	for _, tc := range []struct{ in, want, ckpt string }{
		{"moe", "moe:data=fashion,method=switch,steps=1000,images=100", "moe-data=fashion_method=switch_steps=1000_images=100.ckpt"},
		{"moe:data=mnist,method=reinmax,steps=50,images=7,seed=3,jitter=1", "moe:data=mnist,method=reinmax,steps=50,images=7,seed=3,jitter=1",
			"moe-data=mnist_method=reinmax_steps=50_images=7_seed=3.ckpt"},
	} {
		s, err := ParseLabSpec(tc.in)
		if err != nil || s.String() != tc.want || s.CheckpointFile() != tc.ckpt {
			t.Errorf("ParseLabSpec(%q) = %q, %q, %v; want %q, %q", tc.in, s, s.CheckpointFile(), err, tc.want, tc.ckpt)
		}
	}
	for in, want := range map[string]string{
		"moe:jitter=0":       "jitter",
		"moe:images=x":       "images",
		"moe:method=nope":    `unknown routing method "nope"`,
		"moe:method=st,x":    `parameter "x", want key=value`,
		"moe:data=cifar":     `data "cifar"`,
		"moe:images=20000":   "20000 images",
		"moe2":               "want moe",
		"moe:method=densemi": "unknown routing method",
	} {
		if _, err := ParseLabSpec(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseLabSpec(%q): error %v, want one containing %q", in, err, want)
		}
	}
}
