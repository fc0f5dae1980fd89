package gradlab

import (
	"cmp"

	"github.com/f60e9205/reinmax/progress"

	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax"
)

// Config sets how many draws the lab makes and how it summarises them. A zero field selects the default.
type Config struct {
	// Draws is the number N >= 2 of estimates drawn (no default: it must be set).
	Draws int
	// Batch is the number of draws per graph execution, default min(Draws, 10000) capped so that a batch holds
	// at most 2²⁰ numbers.
	Batch int
	// Seed seeds the random number generator of the draws; the same seed gives the same draws.
	Seed int64
	// Level is the confidence level of the intervals, in (0, 1); default 0.95.
	Level float64
	// Replicates is the number of parametric-bootstrap replicates behind the intervals of the relative bias and of
	// the cosine of the mean, at least 100; default 2000.
	Replicates int
}

// ErrTooFewDraws is wrapped by the error of Measure when Config.Draws < 2.
var ErrTooFewDraws = errors.New("gradlab: too few draws")

func (c Config) withDefaults(dim int) (Config, error) {
	if c.Draws < 2 {
		return c, fmt.Errorf("%w: N = %d, want at least 2 (the variance needs two draws)", ErrTooFewDraws, c.Draws)
	}
	if c.Batch < 0 {
		return c, fmt.Errorf("gradlab: batch of %d draws, want a positive number (or 0 for the default)", c.Batch)
	}
	c.Batch = cmp.Or(c.Batch, min(c.Draws, 10000, max(1, (1<<20)/dim)))
	c.Batch = min(c.Batch, c.Draws)
	c.Level = cmp.Or(c.Level, 0.95)
	c.Replicates = cmp.Or(c.Replicates, 2000)
	return c, nil
}

// Result is the measurement of one estimator on one problem: one row of the lab's tables.
type Result struct {
	Problem    string  `json:"problem"`
	Estimator  string  `json:"estimator"`
	Tau        float64 `json:"tau"`
	K          int     `json:"k"`
	Alpha      float64 `json:"alpha,omitempty"`
	TauForward float64 `json:"tau_forward,omitempty"`
	// Evals is the number of loss evaluations of one draw: 1 for the straight-through family, K or more for the
	// score-function one (IndeCateR: K·L·C).
	Evals int   `json:"evals"`
	Seed  int64 `json:"seed"`
	Stats
	// ExactRelBias is ‖E[g] − g*‖/‖g*‖ computed exactly by the oracle, when the estimator has an oracle form and
	// the problem implements Expecter; nil otherwise.
	ExactRelBias *float64 `json:"exact_rel_bias,omitempty"`
	Seconds      float64  `json:"seconds"` // wall time of the draws
}

// Label returns the estimator with its parameters, as Estimator.String writes it.
func (r *Result) Label() string { return withParams(r.Estimator, r.Tau, r.K, r.Alpha, r.TauForward) }

// MSEAt returns the mean squared error of the average of the draws that a budget of b loss evaluations buys,
// max(Bias2, 0) + Var·Evals/b: the bias stays, the variance falls with the number b/Evals of draws averaged. It is
// defined for b >= Evals (at least one draw).
func (r *Result) MSEAt(b float64) float64 {
	return max(r.Bias2, 0) + r.Var*float64(max(r.Evals, 1))/b
}

// Measure draws cfg.Draws estimates of problem p's exact gradient with est on backend and summarises them. Progress
// goes to report (which may be nil) after every batch, with Done and Total counted in draws and the running
// ‖ḡ − g*‖/‖g*‖ as the metric "rel_bias_plugin".
//
// The graph of one batch takes θ, broadcasts it to shape (n, dims...) and differentiates est's surrogate with
// respect to the broadcast logits: row i of the result is the i-th draw. The random number generator lives in the
// graph's store, seeded with cfg.Seed, and advances with every execution. Computation is in float64.
func Measure(backend compute.Backend, p Problem, est Estimator, cfg Config, report progress.Reporter) (*Result, error) {
	theta, dims := p.Logits()
	if len(dims) == 0 || dims[len(dims)-1] < 2 {
		return nil, fmt.Errorf("gradlab: problem %s: logits of dimensions %v, want a last axis of at least 2 categories", p.Name(), dims)
	}
	size := 1
	for _, d := range dims {
		size *= d
	}
	if size != len(theta) {
		return nil, fmt.Errorf("gradlab: problem %s: %d logits, want %d for dimensions %v", p.Name(), len(theta), size, dims)
	}
	cfg, err := cfg.withDefaults(size)
	if err != nil {
		return nil, err
	}
	if est.Surrogate == nil {
		return nil, fmt.Errorf("gradlab: estimator %q has no Surrogate", est.Name)
	}
	exact, err := p.ExactGradient()
	if err != nil {
		return nil, err
	}
	if len(exact) != size {
		return nil, fmt.Errorf("gradlab: problem %s: exact gradient of length %d, want %d", p.Name(), len(exact), size)
	}
	acc, err := NewAccumulator(exact)
	if err != nil {
		return nil, fmt.Errorf("gradlab: problem %s: %w", p.Name(), err)
	}
	res := &Result{Problem: p.Name(), Estimator: est.Name, Tau: est.Tau, K: est.K, Alpha: est.Alpha,
		TauForward: est.TauForward, Evals: est.evaluations(dims), Seed: cfg.Seed}
	if e, ok := p.(Expecter); ok && est.Oracle != nil {
		mean, err := e.ExpectedGradient(est.Oracle)
		if err != nil {
			return nil, err
		}
		rb := relDist(mean, exact)
		res.ExactRelBias = &rb
	}

	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(cfg.Seed); err != nil {
		return nil, fmt.Errorf("gradlab: seeding the random number generator: %w", err)
	}
	batchDims := append([]int{cfg.Batch}, dims...)
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, logits *Node) *Node {
		x := BroadcastToDims(InsertAxes(logits, 0), batchDims...)
		xs, loss := objective(p, x)
		s := est.Surrogate(scope, reinmax.ScopeSource(scope), xs, loss)
		return Gradient(s, x)[0]
	})
	if err != nil {
		return nil, fmt.Errorf("gradlab: %s on %s: %w", est, p.Name(), err)
	}
	defer exec.Finalize()
	input := tensors.FromFlatDataAndDimensions(theta, dims...)
	run := fmt.Sprintf("%s on %s", est, p.Name())
	start := time.Now()
	for acc.N() < cfg.Draws {
		outs, err := exec.Exec(input)
		if err != nil {
			return nil, fmt.Errorf("gradlab: %s: %w", run, err)
		}
		rows, err := tensors.CopyFlatData[float64](outs[0])
		if err != nil {
			return nil, fmt.Errorf("gradlab: %s: reading the gradients: %w", run, err)
		}
		take := min(cfg.Batch, cfg.Draws-acc.N())
		if err := acc.AddBatch(rows[:take*size]); err != nil {
			return nil, fmt.Errorf("gradlab: %s: %w", run, err)
		}
		if report != nil {
			mean := acc.Moments().Mean()
			report(progress.Update{Run: run, Done: acc.N(), Total: cfg.Draws,
				Metrics: map[string]float64{"rel_bias_plugin": relDist(mean, exact)}})
		}
	}
	res.Seconds = time.Since(start).Seconds()
	if res.Stats, err = acc.Stats(cfg.Level, cfg.Replicates, uint64(cfg.Seed)); err != nil {
		return nil, fmt.Errorf("gradlab: %s: %w", run, err)
	}
	return res, nil
}

// objective returns the logits x (N, dims...) and the loss in the form an estimator's surrogate takes them: for a
// Separable problem, x as it is and the loss per draw and example, (N, M); otherwise the loss per draw, (N), with
// the variable axes of x between the draw axis and the categories flattened into one, (N, L, C), so that every
// variable of a draw belongs to one example.
func objective(p Problem, x *Node) (*Node, func(*Node) *Node) {
	if s, ok := p.(Separable); ok {
		return x, s.LossPerExample
	}
	dims := x.Shape().Dimensions
	if len(dims) <= 3 {
		return x, p.Loss
	}
	c := dims[len(dims)-1]
	return Reshape(x, dims[0], -1, c), func(d *Node) *Node {
		return p.Loss(Reshape(d, append([]int{d.Shape().Dimensions[0]}, dims[1:]...)...))
	}
}

// relDist returns ‖a − b‖/‖b‖.
func relDist(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += b[i] * b[i]
	}
	return math.Sqrt(num / den)
}
