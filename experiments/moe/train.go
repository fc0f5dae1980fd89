package moe

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax/checkpoint"
	"github.com/f60e9205/reinmax/data/images"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/moe"
	"github.com/f60e9205/reinmax/optim"
)

// Data holds the images a run trains and tests on.
type Data = images.TrainTest

// Point is the record of one run at one step: the training statistics since the previous record and an
// evaluation on the test set.
type Point struct {
	experiments.Stamp[Config]
	Data   string  `json:"data"`
	Method string  `json:"method"`
	TopK   int     `json:"top_k"`
	Tau    float64 `json:"tau"`
	Seed   int64   `json:"seed"`
	Step   int     `json:"step"`
	Steps  int     `json:"steps"`
	// TrainLoss is the cross-entropy of the training batches since the previous record, averaged over those steps
	// (the balancing term excluded), as the routing method trains; Balance is the balancing loss likewise.
	TrainLoss float64 `json:"train_loss"`
	Balance   float64 `json:"balance"`
	// Load is the expert load while training since the previous record: the entropy (nats, at most log E) of the
	// fraction of assignments that went to each expert, and the largest fraction over the mean 1/E (1 when
	// balanced, E when one expert takes everything). Dropped is the fraction of assignments dropped by the capacity.
	LoadEntropy float64 `json:"load_entropy"`
	LoadMaxMean float64 `json:"load_max_mean"`
	Dropped     float64 `json:"dropped"`
	// TestAcc and TestNLL are the accuracy and mean cross-entropy on the test set with the deterministic router
	// (top-K by logit, no capacity limit); TestLoadEntropy and TestLoadMaxMean are its expert load there.
	TestAcc         float64 `json:"test_acc"`
	TestNLL         float64 `json:"test_nll"`
	TestLoadEntropy float64 `json:"test_load_entropy"`
	TestLoadMaxMean float64 `json:"test_load_max_mean"`
	// Seconds is the wall time of the training steps since the previous record (the only field a rerun changes).
	Seconds float64 `json:"seconds"`
	Window  int     `json:"window"` // training steps since the previous record
}

// Label implements experiments.Record.
func (p Point) Label() string { return label(p.Data, p.Method, p.TopK, p.Seed) }

// Final implements results.Record.
func (p Point) Final() bool { return p.Step == p.Steps }

// Position implements results.Positioned.
func (p Point) Position() int { return p.Step }

// StepSeconds is the mean wall time of a training step since the previous record.
func (p Point) StepSeconds() float64 { return p.Seconds / float64(max(p.Window, 1)) }

// state is what a checkpoint keeps besides the model's variables.
type state struct {
	Step int
}

// load summarises expert loads: the entropy of the fractions and the largest over the mean.
func load(counts []float64) (entropy, maxMean float64) {
	var total, top float64
	for _, c := range counts {
		total += c
		top = max(top, c)
	}
	if total == 0 {
		return math.NaN(), math.NaN()
	}
	for _, c := range counts {
		if c > 0 {
			f := c / total
			entropy -= f * math.Log(f)
		}
	}
	return entropy, top / total * float64(len(counts))
}

// train trains one configuration, emitting a record every cfg.EvalEvery steps and at the last, and returns the
// records. With env.Checkpoint it saves after every record and resumes from the last, and the results equal those
// of an uninterrupted run: the routing draws come from the model's random number generator, saved in the
// checkpoint, and the order of the images from a shuffle seeded by (Seed, epoch). A step whose router logits or loss
// are not finite stops the run with an error naming the step and the quantity.
func train(cfg Config, data Data, env experiments.Env, emit func(Point) error) ([]Point, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	data, err := data.Limit(cfg.TrainSize, cfg.TestSize, cfg.Batch)
	if err != nil {
		return nil, fmt.Errorf("moe: %w", err)
	}
	trainSet, testSet := data.Train, data.Test
	var st state
	backend, store, err := experiments.Start(env, cfg.Seed, &st)
	if err != nil {
		return nil, err
	}
	tr, err := newTrainer(cfg, backend, store)
	if err != nil {
		return nil, err
	}
	defer tr.exec.Finalize()
	ev, err := newEvaluator(cfg, backend, store)
	if err != nil {
		return nil, err
	}
	defer ev.exec.Finalize()

	perEpoch := trainSet.N / cfg.Batch
	var order []int
	orderEpoch := -1
	batch := make([]float32, cfg.Batch*Pixels)
	labels := make([]int32, cfg.Batch)
	var records []Point
	var w window
	w.reset(cfg.Experts)
	start := time.Now()
	for step := st.Step + 1; step <= cfg.Steps; step++ {
		epoch, pos := (step-1)/perEpoch, (step-1)%perEpoch
		if epoch != orderEpoch {
			order = rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(epoch+1))).Perm(trainSet.N)
			orderEpoch = epoch
		}
		for i, idx := range order[pos*cfg.Batch : (pos+1)*cfg.Batch] {
			copy(batch[i*Pixels:(i+1)*Pixels], trainSet.Image(idx))
			labels[i] = int32(trainSet.Labels[idx])
		}
		s, err := tr.step(batch, labels)
		if err != nil {
			return nil, err
		}
		switch {
		case s.nonFinite > 0:
			return nil, fmt.Errorf("moe: %s: step %d: %d router logits are NaN or infinite", cfg.Label(), step, int(s.nonFinite))
		case math.IsNaN(s.loss) || math.IsInf(s.loss, 0):
			return nil, fmt.Errorf("moe: %s: step %d: the training loss is %v", cfg.Label(), step, s.loss)
		}
		w.add(s)
		env.Report(step, map[string]float64{"loss": w.loss / float64(w.steps)})
		if env.Stopped() {
			return nil, fmt.Errorf("moe: %s: stopped after another run failed", cfg.Label())
		}
		if step%cfg.EvalEvery != 0 && step != cfg.Steps {
			continue
		}
		seconds := time.Since(start).Seconds()
		e, err := ev.evaluate(testSet)
		if err != nil {
			return nil, err
		}
		p := Point{
			Data: cfg.Data, Method: cfg.Method, TopK: cfg.TopK, Tau: cfg.Tau, Seed: cfg.Seed, Step: step, Steps: cfg.Steps,
			TrainLoss: w.loss / float64(w.steps), Balance: w.balance / float64(w.steps),
			Dropped: w.dropped / float64(w.steps*cfg.Batch*cfg.TopK),
			TestAcc: e.acc, TestNLL: e.nll, Seconds: seconds, Window: w.steps,
		}
		p.LoadEntropy, p.LoadMaxMean = load(w.load)
		p.TestLoadEntropy, p.TestLoadMaxMean = load(e.load)
		records = append(records, p)
		if emit != nil {
			if err := emit(p); err != nil {
				return nil, err
			}
		}
		if env.Checkpoint != "" {
			if err := checkpoint.Save(env.Checkpoint, store, state{Step: step}); err != nil {
				return nil, err
			}
		}
		w.reset(cfg.Experts)
		start = time.Now()
	}
	return records, nil
}

// stepStats are the numbers one training step returns.
type stepStats struct {
	loss, balance, dropped, nonFinite float64
	load                              []float64
}

// window accumulates the steps since the last record.
type window struct {
	steps                  int
	loss, balance, dropped float64
	load                   []float64
}

func (w *window) reset(experts int) { *w = window{load: make([]float64, experts)} }

func (w *window) add(s stepStats) {
	w.steps++
	w.loss += s.loss
	w.balance += s.balance
	w.dropped += s.dropped
	for i, l := range s.load {
		w.load[i] += l
	}
}

// trainer runs the training steps of one configuration: one execution of a compiled graph routes the batch,
// computes the loss and its gradient, and updates the parameters and the optimiser's state.
type trainer struct {
	cfg  Config
	exec *model.Exec
}

func newTrainer(cfg Config, backend compute.Backend, store *model.Store) (*trainer, error) {
	optimizer, err := optim.New(cfg.Optimizer, cfg.LR)
	if err != nil {
		return nil, err
	}
	m := classifier{cfg: cfg, router: cfg.Router(false)}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x, labels *Node) []*Node {
		out := m.forward(scope, x)
		ce := ReduceAllMean(crossEntropy(out.logits, labels))
		loss := ce
		if cfg.Balance > 0 {
			loss = Add(loss, MulScalar(out.decision.Balance, cfg.Balance))
		}
		optimizer.UpdateGraph(scope, x.Graph(), loss)
		return []*Node{ce, out.decision.Balance, out.decision.Dropped, moe.NonFinite(out.routerLogits), out.decision.Load}
	})
	if err != nil {
		return nil, err
	}
	return &trainer{cfg: cfg, exec: exec}, nil
}

// step runs one training step on a batch of images and labels and returns its statistics before the update.
func (t *trainer) step(images []float32, labels []int32) (stepStats, error) {
	outs, err := t.exec.Exec(tensors.FromFlatDataAndDimensions(images, t.cfg.Batch, Pixels), tensors.FromValue(labels))
	if err != nil {
		return stepStats{}, fmt.Errorf("moe: %s: %w", t.cfg.Label(), err)
	}
	s := stepStats{loss: scalar(outs[0]), balance: scalar(outs[1]), dropped: scalar(outs[2]), nonFinite: scalar(outs[3])}
	l, err := tensors.CopyFlatData[float32](outs[4])
	if err != nil {
		return stepStats{}, err
	}
	for _, v := range l {
		s.load = append(s.load, float64(v))
	}
	return s, nil
}

// evaluator measures the model on test images with the deterministic router.
type evaluator struct {
	cfg   Config
	batch int
	exec  *model.Exec
}

// evalBatch is the number of test images per execution of the evaluation graph.
const evalBatch = 500

func newEvaluator(cfg Config, backend compute.Backend, store *model.Store) (*evaluator, error) {
	m := classifier{cfg: cfg, router: cfg.Router(true)}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x, labels *Node) []*Node {
		out := m.forward(scope, x)
		ce := ReduceAllSum(crossEntropy(out.logits, labels))
		correct := ReduceAllSum(ConvertDType(Equal(ArgMax(out.logits, -1, dtypes.Int32), labels), x.DType()))
		return []*Node{ce, correct, out.decision.Load}
	})
	if err != nil {
		return nil, err
	}
	return &evaluator{cfg: cfg, batch: evalBatch, exec: exec}, nil
}

type evaluation struct {
	acc, nll float64
	load     []float64
}

// evaluate returns the accuracy, the mean cross-entropy and the expert load on set, in batches (the last one
// partial).
func (ev *evaluator) evaluate(set *images.Set) (evaluation, error) {
	e := evaluation{load: make([]float64, ev.cfg.Experts)}
	var ce, correct float64
	for lo := 0; lo < set.N; lo += ev.batch {
		hi := min(lo+ev.batch, set.N)
		labels := make([]int32, hi-lo)
		for i := range labels {
			labels[i] = int32(set.Labels[lo+i])
		}
		x := tensors.FromFlatDataAndDimensions(append([]float32(nil), set.Images[lo*Pixels:hi*Pixels]...), hi-lo, Pixels)
		outs, err := ev.exec.Exec(x, tensors.FromValue(labels))
		if err != nil {
			return e, fmt.Errorf("moe: %s: evaluation: %w", ev.cfg.Label(), err)
		}
		ce += scalar(outs[0])
		correct += scalar(outs[1])
		l, err := tensors.CopyFlatData[float32](outs[2])
		if err != nil {
			return e, err
		}
		for i, v := range l {
			e.load[i] += float64(v)
		}
	}
	e.acc, e.nll = correct/float64(set.N), ce/float64(set.N)
	return e, nil
}

func scalar(t *tensors.Tensor) float64 {
	return float64(tensors.ToScalar[float32](t))
}
