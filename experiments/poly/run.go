package poly

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	optimizers "github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/checkpoint"
	"github.com/f60e9205/reinmax/experiments"
)

// Record is one checkpoint of one run: a line of the results file.
type Record struct {
	experiments.Stamp[Config]
	Estimator string  `json:"estimator"`
	Tau       float64 `json:"tau"`
	K         int     `json:"k,omitempty"` // the estimator's K (GR-MCK's Gumbels, a score-function estimator's evaluations); 0 for the others
	// Alpha and TauForward are reinmax-alpha's mixing weight and the decoupled estimators' forward temperature.
	Alpha      float64 `json:"alpha,omitempty"`
	TauForward float64 `json:"tau_forward,omitempty"`
	P          float64 `json:"p"`
	Target     Target  `json:"target"`
	L          int     `json:"L"`
	Batch      int     `json:"batch"`
	LR         float64 `json:"lr"`
	Steps      int     `json:"steps"` // steps of the whole run; the record at Step == Steps closes it
	Seed       int64   `json:"seed"`
	Step       int     `json:"step"`    // Adam steps taken so far
	Exact      float64 `json:"exact"`   // exact expected loss E(θ) at this step
	Optimum    float64 `json:"optimum"` // min E
	Gap        float64 `json:"gap"`     // E(θ) − min E, computed without cancellation
	// Sampled is the sampled loss (1/B)·Σ_b (1/L)·Σ_l |z_{b,l} − c_l|^p averaged over the steps since the
	// previous record; 0 (omitted) at step 0, where no step has been taken.
	Sampled float64 `json:"sampled,omitempty"`
	// StepSeconds is the mean wall time of one training step (one graph execution: sampling, estimator, loss and
	// Adam update) since the previous record, compilation excluded; 0 at step 0.
	StepSeconds float64 `json:"step_seconds,omitempty"`
}

// Label implements experiments.Record.
func (r Record) Label() string { return runLabel(r.Estimator, r.P, r.Seed) }

// Final implements results.Record: the record of the last step closes the run.
func (r Record) Final() bool { return r.Step == r.Steps }

// Position implements results.Positioned.
func (r Record) Position() int { return r.Step }

// Experiment is polynomial programming for the experiments runner.
type Experiment struct{}

var _ experiments.Experiment[Config, Record] = Experiment{}

// Name implements experiments.Experiment.
func (Experiment) Name() string { return "poly" }

// Load implements experiments.Experiment: the experiment reads no data.
func (Experiment) Load([]Config, experiments.LoadEnv) error { return nil }

// Cost implements experiments.Experiment: the run's steps.
func (Experiment) Cost(c Config) int { return c.Steps }

// Train implements experiments.Experiment.
func (Experiment) Train(c Config, env experiments.Env, emit func(Record) error) error {
	return train(c, env, emit)
}

// Report implements experiments.Experiment.
func (Experiment) Report(dir string) error { return Report(dir) }

// state is what a checkpoint keeps besides θ, Adam's moments, the random number generator and the running sum of
// the sampled loss, which live in the store.
type state struct {
	Step    int     // steps taken
	PrevSum float64 // the running sum of the sampled loss at the last record
}

// checkpointEvery is the least wall time between two checkpoints; they are saved at records.
var checkpointEvery = 5 * time.Second

// train trains one run in env and emits its records: at step 0, every Every steps and at the last step. With a
// checkpoint (saved at a record at most every few seconds) it resumes from it, and its numbers equal those of an
// uninterrupted run.
func train(cfg Config, env experiments.Env, emit func(Record) error) error {
	est, err := cfg.estimator()
	if err != nil {
		return err
	}
	cs, err := Targets(cfg.Target, cfg.L, cfg.C)
	if err != nil {
		return err
	}
	obj, err := NewObjective(cfg.P, cs)
	if err != nil {
		return err
	}
	backend, err := experiments.BackendOr(env.Backend)
	if err != nil {
		return err
	}
	tr, err := newTrainer(backend, cfg, est, obj, cfg.Seed)
	if err != nil {
		return err
	}
	defer tr.close()
	var st state
	if _, err := checkpoint.Resume(env.Checkpoint, tr.store, &st); err != nil {
		return err
	}
	base := Record{Estimator: cfg.Estimator, Tau: cfg.Tau, K: cfg.K, Alpha: cfg.Alpha, TauForward: cfg.TauForward, P: cfg.P, Target: cfg.Target, L: cfg.L,
		Batch: cfg.Batch, LR: cfg.LR, Steps: cfg.Steps, Seed: cfg.Seed, Optimum: obj.Optimum()}
	record := func(step int, sum float64, stepTime time.Duration, steps int) error {
		theta, err := tr.theta()
		if err != nil {
			return err
		}
		r := base
		r.Step, r.Exact, r.Gap = step, obj.Exact(theta), obj.Gap(theta)
		if step > st.Step {
			r.Sampled = (sum - st.PrevSum) / float64(step-st.Step)
		}
		if steps > 0 {
			r.StepSeconds = stepTime.Seconds() / float64(steps)
		}
		if math.IsNaN(r.Exact) || math.IsNaN(r.Sampled) {
			return fmt.Errorf("poly: %s: the loss became NaN at step %d", cfg.Label(), step)
		}
		env.Report(step, map[string]float64{"step": float64(step), "exact": r.Exact, "gap": r.Gap})
		return emit(r)
	}
	if st.Step == 0 {
		if err := record(0, 0, 0, 0); err != nil {
			return err
		}
	}
	var (
		timed   time.Duration // step time since the last record, the graph's compilation excluded
		counted int
		first   = true // the first execution compiles the graph
		saved   = time.Now()
	)
	for step := st.Step + 1; step <= cfg.Steps; step++ {
		if env.Stopped() {
			return fmt.Errorf("poly: %s: stopped after another run failed", cfg.Label())
		}
		t0 := time.Now()
		if err := tr.step(); err != nil {
			return fmt.Errorf("poly: %s: step %d: %w", cfg.Label(), step, err)
		}
		if !first {
			timed += time.Since(t0)
			counted++
		}
		first = false
		if step%cfg.Every != 0 && step != cfg.Steps {
			continue
		}
		sum, err := tr.lossSum()
		if err != nil {
			return err
		}
		if err := record(step, sum, timed, counted); err != nil {
			return err
		}
		st.Step, st.PrevSum, timed, counted = step, sum, 0, 0
		if env.Checkpoint != "" && step < cfg.Steps && time.Since(saved) >= checkpointEvery {
			if err := checkpoint.Save(env.Checkpoint, tr.store, st); err != nil {
				return err
			}
			saved = time.Now()
		}
	}
	return nil
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

func newTrainer(backend compute.Backend, cfg Config, est reinmax.Estimator, obj Objective, seed int64) (*trainer, error) {
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
		// alpha are the variables' logits θ_l0 − θ_l1 (z_l = 1 with probability σ(α_l)); lossOf is the mean loss of
		// samples z of shape (cfg.Batch, L).
		alpha := graph.Squeeze(graph.Sub(graph.SliceAxis(theta, -1, graph.AxisElem(0)), graph.SliceAxis(theta, -1, graph.AxisElem(1))), -1)
		lossOf := func(z *graph.Node) *graph.Node {
			c := graph.Const(g, tensors.FromFlatDataAndDimensions(targets, cfg.Batch, cfg.L))
			return graph.ReduceAllMean(power(graph.Abs(graph.Sub(z, c)), obj.P))
		}
		var loss *graph.Node
		switch {
		case cfg.Binary:
			// One logit per variable; z drawn from one uniform per variable, as bernoulliOneHot draws it.
			z, _ := est.StraightThrough.(reinmax.Binary).SampleBinary(src, reinmax.Bernoulli,
				graph.BroadcastToDims(graph.InsertAxes(alpha, 0), cfg.Batch, cfg.L))
			loss = lossOf(z)
		case est.Spec.Family == reinmax.StraightThroughFamily:
			st := est.StraightThrough
			logits := graph.BroadcastToDims(graph.InsertAxes(theta, 0), cfg.Batch, cfg.L, 2)
			var hard *graph.Node
			if sampleDrawsNoise[st.Name()] {
				hard, _ = st.Sample(src, logits)
			} else {
				hard, _ = st.Given(src, logits, bernoulliOneHot(src, logits))
			}
			loss = lossOf(graph.Squeeze(graph.SliceAxis(hard, -1, graph.AxisElem(0)), -1)) // 1 where category 0 was drawn
		default:
			// Batch/K examples of the L binary variables, K samples each.
			sf := est.ScoreFunction
			k := sf.Evaluations()
			c := graph.Const(g, tensors.FromFlatDataAndDimensions(targets[:cfg.L], 1, 1, cfg.L))
			f := func(z *graph.Node) *graph.Node { return graph.ReduceMean(power(graph.Abs(graph.Sub(z, c)), obj.P), -1) }
			loss = graph.ReduceAllMean(sf.Estimate(scope.At("estimator"), src, reinmax.Bernoulli,
				graph.BroadcastToDims(graph.InsertAxes(alpha, 0), cfg.Batch/k, cfg.L), f))
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
// STGS and Gumbel-Softmax) or not drawn from Cat(softmax θ) (the decoupled estimators' Cat(softmax(θ/τ_f))); they
// are run through Sample. The others draw the sample by a categorical draw and then
// need no noise (ST, GST, ReinMax) or noise conditioned on the sample (GR-MCK); they are run through Given at a
// sample drawn by bernoulliOneHot, which has the same law and costs one uniform per variable instead of the two
// Gumbels per variable of reinmax.Categorical.
var sampleDrawsNoise = map[string]bool{"stgs": true, "gumbel-softmax": true, "decoupled-st": true, "decoupled-stgs": true}

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

// Memory implements experiments.Sizer: about 64 tensors of the batch's Batch·L·2 float32 values (samples, noise,
// the estimator's backward pass, Adam), plus the Go runtime and the backend.
func (Experiment) Memory(c Config) float64 { return 4*64*float64(c.Batch)*float64(c.L)*2 + 100e6 }
