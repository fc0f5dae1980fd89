package poly

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	optimizers "github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/results"
)

// ResultsFile is the name of the log of records in Config.Out.
const ResultsFile = "results.jsonl"

// Record is one checkpoint of one run: a line of results.jsonl.
type Record struct {
	Estimator string  `json:"estimator"`
	Tau       float64 `json:"tau"`
	K         int     `json:"k,omitempty"` // GR-MCK's number of Gumbel samples; 0 for other estimators
	P         float64 `json:"p"`
	Target    Target  `json:"target"`
	L         int     `json:"L"`
	Batch     int     `json:"batch"`
	LR        float64 `json:"lr"`
	Steps     int     `json:"steps"` // steps of the whole run; the record at Step == Steps closes it
	Seed      int64   `json:"seed"`
	Step      int     `json:"step"`    // Adam steps taken so far
	Exact     float64 `json:"exact"`   // exact expected loss E(θ) at this step
	Optimum   float64 `json:"optimum"` // min E
	Gap       float64 `json:"gap"`     // E(θ) − min E, computed without cancellation
	// Sampled is the sampled loss (1/B)·Σ_b (1/L)·Σ_l |z_{b,l} − c_l|^p averaged over the steps since the
	// previous record; 0 (omitted) at step 0, where no step has been taken.
	Sampled float64 `json:"sampled,omitempty"`
	Seconds float64 `json:"seconds"` // wall time since the run started, graph compilation included
}

// RunKey implements results.Record: everything that defines the run except the step.
func (r Record) RunKey() string {
	return fmt.Sprintf("%s tau=%g k=%d p=%g target=%s L=%d batch=%d lr=%g steps=%d seed=%d",
		r.Estimator, r.Tau, r.K, r.P, r.Target, r.L, r.Batch, r.LR, r.Steps, r.Seed)
}

// Final implements results.Record: the record of the last step closes the run.
func (r Record) Final() bool { return r.Step == r.Steps }

// Position implements results.Positioned.
func (r Record) Position() int { return r.Step }

// Result is what Run returns.
type Result struct {
	// Records holds the records of every run of the sweep (of this shard): those trained now and those found
	// finished in Config.Out, in the order of the sweep.
	Records []Record
	// Trained and Skipped count the runs trained now and the runs found finished in Config.Out.
	Trained, Skipped int
	// StepTime is the mean wall time of one training step (one graph execution: sampling, estimator, loss and
	// Adam update) by estimator, over the runs trained now, compilation excluded.
	StepTime map[string]time.Duration
}

// job is one run of the sweep.
type job struct {
	index     int
	estimator string
	p         float64
	seed      int64
}

// Run trains every estimator for every p and every seed of cfg (the runs of cfg.Shard) and returns their records.
// With cfg.Out set, runs already finished there are skipped and every run trained appends its records to
// cfg.Out/results.jsonl when it ends; a run interrupted before its end leaves nothing and is trained again from
// the start. Progress goes to rep after every record and every skipped run. Run returns an error naming the
// problem for an invalid configuration, an unreadable or unwritable results file, or a failed graph execution.
func Run(cfg Config, rep experiments.Reporter) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var done map[string][]Record
	if cfg.Out != "" {
		if err := results.PrepareDir(cfg.Out); err != nil {
			return nil, err
		}
		recs, err := results.ReadJSONL[Record](filepath.Join(cfg.Out, ResultsFile))
		if err != nil {
			return nil, err
		}
		done = make(map[string][]Record)
		for _, r := range results.Complete(recs) {
			done[r.RunKey()] = append(done[r.RunKey()], r)
		}
	}
	backend, err := experiments.BackendOr(cfg.Backend)
	if err != nil {
		return nil, fmt.Errorf("poly: %w", err)
	}

	var jobs []job
	n := 0
	for _, est := range cfg.Estimators {
		for _, p := range cfg.P {
			for _, seed := range cfg.Seeds {
				if cfg.Shard.Owns(n) {
					jobs = append(jobs, job{index: len(jobs), estimator: est, p: p, seed: seed})
				}
				n++
			}
		}
	}

	res := &Result{StepTime: make(map[string]time.Duration)}
	perJob := make([][]Record, len(jobs))
	var todo []job
	for _, j := range jobs {
		if recs, ok := done[cfg.runKey(j)]; ok {
			perJob[j.index] = recs
			res.Skipped++
			continue
		}
		todo = append(todo, j)
	}

	// Progress counts steps over the whole sweep; skipped runs count as done.
	prog := newProgress(rep, len(jobs)*cfg.Steps)
	for _, j := range jobs {
		if perJob[j.index] != nil {
			prog.report(cfg.label(j), cfg.Steps, map[string]float64{"skipped": 1})
		}
	}

	type outcome struct {
		j    job
		recs []Record
		step time.Duration
		err  error
	}
	work := make(chan job)
	out := make(chan outcome)
	var wg sync.WaitGroup
	var appendMu sync.Mutex // the workers take turns at results.jsonl
	for range min(cfg.Workers, max(len(todo), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				recs, step, err := trainRun(backend, cfg, j, prog)
				if err == nil && cfg.Out != "" {
					appendMu.Lock()
					err = results.AppendJSONL(filepath.Join(cfg.Out, ResultsFile), recs)
					appendMu.Unlock()
				}
				out <- outcome{j, recs, step, err}
			}
		}()
	}
	go func() {
		defer close(work)
		for _, j := range todo {
			select {
			case work <- j:
			case <-prog.stopped():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()

	var errs []error
	steps := make(map[string][]time.Duration)
	for o := range out {
		if o.err != nil {
			errs = append(errs, o.err)
			prog.stop()
			continue
		}
		perJob[o.j.index] = o.recs
		res.Trained++
		steps[o.j.estimator] = append(steps[o.j.estimator], o.step)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for est, ds := range steps {
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		res.StepTime[est] = sum / time.Duration(len(ds))
	}
	for _, recs := range perJob {
		res.Records = append(res.Records, recs...)
	}
	return res, nil
}

// runKey returns the key of the records of job j.
func (c Config) runKey(j job) string {
	return c.record(j).RunKey()
}

// record returns a record of job j with every field that identifies the run filled in.
func (c Config) record(j job) Record {
	params := c.params(j.estimator)
	r := Record{Estimator: j.estimator, Tau: params.Tau, P: j.p, Target: c.Target, L: c.L, Batch: c.Batch, LR: c.LR,
		Steps: c.Steps, Seed: j.seed}
	if j.estimator == "gr-mck" {
		r.K = params.K
	}
	return r
}

// label names job j for progress reports.
func (c Config) label(j job) string {
	return fmt.Sprintf("%s p=%s seed=%d", j.estimator, strconv.FormatFloat(j.p, 'g', -1, 64), j.seed)
}

// progress serialises the reports of concurrent runs and tells the runs to stop when one of them failed.
type progress struct {
	rep         experiments.Reporter
	mu          sync.Mutex
	total, done int
	stopOnce    sync.Once
	stopc       chan struct{}
}

func newProgress(rep experiments.Reporter, total int) *progress {
	return &progress{rep: rep, total: total, stopc: make(chan struct{})}
}

// report adds steps to the work done and reports it with the run's latest metrics.
func (p *progress) report(run string, steps int, metrics map[string]float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += steps
	p.rep.Report(experiments.Progress{Run: run, Done: p.done, Total: p.total, Metrics: metrics})
}

// stopped is closed once a run failed.
func (p *progress) stopped() <-chan struct{} { return p.stopc }

func (p *progress) stop() { p.stopOnce.Do(func() { close(p.stopc) }) }

// trainRun trains job j and returns its records and the mean time of a step after the first.
func trainRun(backend compute.Backend, cfg Config, j job, prog *progress) ([]Record, time.Duration, error) {
	start := time.Now()
	est, err := cfg.estimator(j.estimator)
	if err != nil {
		return nil, 0, err
	}
	cs, err := Targets(cfg.Target, cfg.L, cfg.C)
	if err != nil {
		return nil, 0, err
	}
	obj, err := NewObjective(j.p, cs)
	if err != nil {
		return nil, 0, err
	}
	tr, err := newTrainer(backend, cfg, est, obj, j.seed)
	if err != nil {
		return nil, 0, err
	}
	defer tr.close()

	base := cfg.record(j)
	base.Optimum = obj.Optimum()
	var recs []Record
	checkpoint := func(step int, lossSum, prevSum float64, prevStep int) error {
		theta, err := tr.theta()
		if err != nil {
			return err
		}
		r := base
		r.Step = step
		r.Exact = obj.Exact(theta)
		r.Gap = obj.Gap(theta)
		if step > prevStep {
			r.Sampled = (lossSum - prevSum) / float64(step-prevStep)
		}
		r.Seconds = time.Since(start).Seconds()
		if math.IsNaN(r.Exact) || math.IsNaN(r.Sampled) {
			return fmt.Errorf("poly: %s: the loss became NaN at step %d", cfg.label(j), step)
		}
		recs = append(recs, r)
		prog.report(cfg.label(j), step-prevStep, map[string]float64{"step": float64(step), "exact": r.Exact, "gap": r.Gap})
		return nil
	}
	if err := checkpoint(0, 0, 0, 0); err != nil {
		return nil, 0, err
	}
	var (
		prevSum  float64
		prevStep int
		timed    time.Duration
		first    = true
	)
	for step := 1; step <= cfg.Steps; step++ {
		select {
		case <-prog.stopped():
			return nil, 0, fmt.Errorf("poly: %s: stopped after another run failed", cfg.label(j))
		default:
		}
		t0 := time.Now()
		if err := tr.step(); err != nil {
			return nil, 0, fmt.Errorf("poly: %s: step %d: %w", cfg.label(j), step, err)
		}
		if !first {
			timed += time.Since(t0)
		}
		first = false
		if step%cfg.Every == 0 || step == cfg.Steps {
			sum, err := tr.lossSum()
			if err != nil {
				return nil, 0, err
			}
			if err := checkpoint(step, sum, prevSum, prevStep); err != nil {
				return nil, 0, err
			}
			prevSum, prevStep = sum, step
		}
	}
	var perStep time.Duration
	if cfg.Steps > 1 {
		perStep = timed / time.Duration(cfg.Steps-1)
	}
	return recs, perStep, nil
}

// trainer holds the state of one run: θ, Adam's moments, the random number generator and the running sum of the
// sampled loss live in a model.Store; one execution of the graph is one training step.
type trainer struct {
	store            *model.Store
	exec             *model.Exec
	thetaV, lossSumV *model.Variable
}

// seedStream separates the random streams derived from a run's seed.
const (
	initStream   = 0x706f6c79 // "poly": the initial θ
	sampleStream = 0x5eed     // the graph's random number generator
)

func newTrainer(backend compute.Backend, cfg Config, est any, obj Objective, seed int64) (*trainer, error) {
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(seed*1_000_003 + sampleStream); err != nil {
		return nil, fmt.Errorf("poly: %w", err)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), initStream))
	init := make([]float32, 2*cfg.L)
	for i := range init {
		init[i] = float32(cfg.Init * (2*rng.Float64() - 1))
	}
	thetaV, err := store.CreateVariable("/poly/theta", tensors.FromFlatDataAndDimensions(init, cfg.L, 2))
	if err != nil {
		return nil, fmt.Errorf("poly: %w", err)
	}
	lossSumV, err := store.CreateVariable("/poly/loss_sum", tensors.FromScalar(float64(0)))
	if err != nil {
		return nil, fmt.Errorf("poly: %w", err)
	}
	lossSumV.SetTrainable(false)
	targets := make([]float32, cfg.Batch*cfg.L) // c, repeated for every sample
	for i := range targets {
		targets[i] = float32(obj.C[i%cfg.L])
	}
	opt := optimizers.Adam().LearningRate(cfg.LR).Epsilon(1e-8).Done()
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, g *graph.Graph) {
		theta := thetaV.NodeValue(g)
		src := reinmax.ScopeSource(scope)
		var loss *graph.Node
		switch est := est.(type) {
		case reinmax.StraightThrough:
			logits := graph.BroadcastToDims(graph.InsertAxes(theta, 0), cfg.Batch, cfg.L, 2)
			var hard *graph.Node
			if sampleDrawsNoise[est.Name()] {
				hard, _ = est.Sample(src, logits)
			} else {
				hard, _ = est.Given(src, logits, bernoulliOneHot(src, logits))
			}
			z := graph.Squeeze(graph.SliceAxis(hard, -1, graph.AxisElem(0)), -1) // (batch, L): 1 where category 0 was drawn
			c := graph.Const(g, tensors.FromFlatDataAndDimensions(targets, cfg.Batch, cfg.L))
			loss = graph.ReduceAllMean(power(graph.Abs(graph.Sub(z, c)), obj.P))
		case reinmax.ScoreFunction:
			// Batch/K examples of the L binary variables, z_l = 1 with probability σ(θ_l0 − θ_l1); K samples each.
			k := est.Evaluations()
			alpha := graph.Squeeze(graph.Sub(graph.SliceAxis(theta, -1, graph.AxisElem(0)), graph.SliceAxis(theta, -1, graph.AxisElem(1))), -1)
			alpha = graph.BroadcastToDims(graph.InsertAxes(alpha, 0), cfg.Batch/k, cfg.L)
			c := graph.Const(g, tensors.FromFlatDataAndDimensions(targets[:cfg.L], 1, 1, cfg.L))
			f := func(z *graph.Node) *graph.Node { return graph.ReduceMean(power(graph.Abs(graph.Sub(z, c)), obj.P), -1) }
			loss = graph.ReduceAllMean(est.Estimate(scope.At("estimator"), src, reinmax.Bernoulli, alpha, f))
		}
		opt.UpdateGraph(scope, g, loss)
		lossSumV.SetNodeValue(graph.Add(lossSumV.NodeValue(g), graph.ConvertDType(loss, dtypes.Float64)))
	})
	if err != nil {
		return nil, fmt.Errorf("poly: %w", err)
	}
	return &trainer{store: store, exec: exec, thetaV: thetaV, lossSumV: lossSumV}, nil
}

// sampleDrawsNoise names the estimators whose sample is a function of their own noise (the Gumbel perturbation of
// STGS and Gumbel-Softmax); they are run through Sample. The others draw the sample by a categorical draw and then
// need no noise (ST, GST, ReinMax) or noise conditioned on the sample (GR-MCK); they are run through Given at a
// sample drawn by bernoulliOneHot, which has the same law and costs one uniform per variable instead of the two
// Gumbels per variable of reinmax.Categorical.
var sampleDrawsNoise = map[string]bool{"stgs": true, "gumbel-softmax": true}

// bernoulliOneHot draws one-hot samples D ~ Cat(softmax(logits)) of binary variables (logits shaped (..., 2)) by
// inversion: category 0 is drawn when u < σ(θ_0 − θ_1) for u ~ U(0, 1).
func bernoulliOneHot(src reinmax.Source, logits *graph.Node) *graph.Node {
	g := logits.Graph()
	diff := graph.StopGradient(graph.Sub(graph.SliceAxis(logits, -1, graph.AxisElem(0)), graph.SliceAxis(logits, -1, graph.AxisElem(1))))
	z := graph.ConvertDType(graph.LessThan(src.Uniform(g, diff.Shape()), graph.Sigmoid(diff)), diff.DType())
	return graph.Concatenate([]*graph.Node{z, graph.OneMinus(z)}, -1)
}

// power returns x^p for x >= 0, with the cheaper exact forms for p = 1, 2 and 3.
func power(x *graph.Node, p float64) *graph.Node {
	switch p {
	case 1:
		return x
	case 2:
		return graph.Square(x)
	case 3:
		return graph.Mul(graph.Square(x), x)
	}
	return graph.Pow(x, graph.Scalar(x.Graph(), x.DType(), p))
}

// step runs one training step.
func (t *trainer) step() error {
	_, err := t.exec.Exec()
	return err
}

// theta fetches θ as float64, row-major.
func (t *trainer) theta() ([]float64, error) {
	v, err := t.thetaV.Value()
	if err != nil {
		return nil, fmt.Errorf("poly: reading theta: %w", err)
	}
	flat, err := tensors.CopyFlatData[float32](v)
	if err != nil {
		return nil, fmt.Errorf("poly: reading theta: %w", err)
	}
	out := make([]float64, len(flat))
	for i, x := range flat {
		out[i] = float64(x)
	}
	return out, nil
}

// lossSum fetches the sum of the sampled losses of every step so far.
func (t *trainer) lossSum() (float64, error) {
	v, err := t.lossSumV.Value()
	if err != nil {
		return 0, fmt.Errorf("poly: reading the loss: %w", err)
	}
	return tensors.ToScalar[float64](v), nil
}

func (t *trainer) close() {
	t.exec.Finalize()
}
