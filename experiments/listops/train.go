package listops

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
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/checkpoint"
	listopsdata "github.com/f60e9205/reinmax/data/listops" // the data set; this package is the experiment
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/optim"
)

// Epoch is the record of one finished epoch of one run.
type Epoch struct {
	experiments.Stamp[Config]
	Estimator string  `json:"estimator"`
	Tau       float64 `json:"tau"`
	Hidden    int     `json:"hidden"`
	TrainSize int     `json:"train_size"`
	Seed      int64   `json:"seed"`
	Epoch     int     `json:"epoch"`
	Epochs    int     `json:"epochs"`
	Optimizer string  `json:"optimizer,omitempty"` // "adam" or "radam"; absent from the first records, all RAdam
	LR        float64 `json:"lr"`                  // learning rate during the epoch
	// TrainLoss and TrainAcc are the cross-entropy and accuracy of the epoch's training steps, averaged over the
	// training expressions while training (sampled merges, dropout).
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	// ValidLoss and ValidAcc are measured on the validation set after the epoch, with greedy parsing.
	ValidLoss float64 `json:"valid_loss"`
	ValidAcc  float64 `json:"valid_acc"`
	// Test is measured on the official test split after the final epoch only.
	Test    *Eval   `json:"test,omitempty"`
	Seconds float64 `json:"seconds"` // wall time of the epoch's training steps (graph compilation included)
}

// Eval is the result of greedy parsing on a set of expressions.
type Eval struct {
	N    int     `json:"n"`    // expressions
	Loss float64 `json:"loss"` // mean cross-entropy
	Acc  float64 `json:"acc"`  // accuracy, a fraction
	// TreeF1 is the mean over expressions of 3 tokens or more of the fraction of the gold tree's n−2 non-trivial
	// spans (all inner nodes but the root) that the induced tree also has (unlabelled bracketing F1: both trees are
	// binary over the same tokens, so precision equals recall).
	TreeF1 float64 `json:"tree_f1"`
}

// Label implements experiments.Record.
func (e Epoch) Label() string { return label(e.Hidden, e.TrainSize, e.Estimator, e.Seed) }

// optimizer is the run's optimiser; records written before they carried it were all RAdam's.
func (e Epoch) optimizer() string {
	if e.Optimizer == "" {
		return "radam"
	}
	return e.Optimizer
}

// Final implements results.Record.
func (e Epoch) Final() bool { return e.Epoch == e.Epochs }

// Position implements results.Positioned.
func (e Epoch) Position() int { return e.Epoch }

// state is what a checkpoint keeps besides the model's variables (whose learning rate variable holds the current
// learning rate).
type state struct {
	Epoch     int
	BestValid float64 // best validation accuracy so far, for the plateau schedule
	BadEpochs int     // epochs since it last improved
}

// evalBatch is the number of expressions per evaluation step.
const evalBatch = 64

// lrPath is where GoMLX's optimisers (and optim.RAdam) keep the learning rate.
var lrPath = "/" + optimizer.Scope + "/" + optimizer.ParamLearningRate

// StepsPerEpoch returns the number of training steps of one epoch for cfg on data: batches cuts the training
// expressions into full batches but the last, so it is ⌈TrainSize/Batch⌉.
func StepsPerEpoch(cfg Config, data Data) int {
	n := min(cfg.TrainSize, len(data.Train))
	return (n + cfg.Batch - 1) / cfg.Batch
}

// train trains one configuration in env, emitting the record of every epoch, and returns the records. With a
// checkpoint it resumes after the last finished epoch, and the results equal those of an uninterrupted run: the
// initialisation depends on Seed only, every random draw in the graph (merge samples, dropout) comes from the
// model's random number generator, saved in the checkpoint, and the shuffle of each epoch is seeded by (Seed,
// epoch). After the last epoch it writes the induced trees of a few test expressions beside their gold trees into
// the run's artefact trees/….txt.
func train(cfg Config, data Data, env experiments.Env, emit func(Epoch) error) ([]Epoch, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(data.Train) < cfg.TrainSize {
		return nil, fmt.Errorf("listops: %s: train size %d, but the data has %d training expressions", cfg.Label(), cfg.TrainSize, len(data.Train))
	}
	if len(data.Valid) == 0 || len(data.Test) == 0 {
		return nil, fmt.Errorf("listops: %s: empty validation or test set", cfg.Label())
	}
	train := data.Train[:cfg.TrainSize]
	test := data.Test
	if cfg.TestSize > 0 && cfg.TestSize < len(test) {
		test = test[:cfg.TestSize]
	}
	est, err := reinmax.NewStraightThrough(cfg.Estimator, reinmax.Params{Tau: cfg.Tau, K: cfg.K})
	if err != nil {
		return nil, err
	}
	backend, err := experiments.BackendOr(env.Backend)
	if err != nil {
		return nil, err
	}
	optimizer, err := optim.New(cfg.Optimizer, cfg.LR)
	if err != nil {
		return nil, err
	}
	m := treeLSTM{cfg: cfg, est: est}

	store, err := experiments.NewStore(cfg.Seed)
	if err != nil {
		return nil, err
	}
	if err := initParams(store, cfg.Hidden, cfg.Seed); err != nil {
		return nil, err
	}
	st := state{BestValid: -1}
	if _, err := checkpoint.Resume(env.Checkpoint, store, &st); err != nil {
		return nil, err
	}
	trainStep, err := newTrainStep(backend, store, m, optimizer)
	if err != nil {
		return nil, err
	}
	ev, err := newEvaluator(backend, store, m)
	if err != nil {
		return nil, err
	}

	steps := StepsPerEpoch(cfg, data)
	order := make([]int, len(train))
	var records []Epoch
	for epoch := st.Epoch + 1; epoch <= cfg.Epochs; epoch++ {
		rng := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(epoch)))
		for i := range order {
			order[i] = i
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		plan := batches(train, order, cfg.Batch, rng)
		var sumLoss, sumCorrect float64
		seen := 0
		start := time.Now()
		for s, b := range plan {
			out, err := trainStep.Exec(b.tensors(train, cfg.Batch)...)
			if err != nil {
				return nil, err
			}
			l := scalar(out[0])
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return nil, fmt.Errorf("listops: %s: the loss is %v at epoch %d step %d", cfg.Label(), l, epoch, s+1)
			}
			sumLoss, sumCorrect, seen = sumLoss+l, sumCorrect+scalar(out[1]), seen+len(b.idx)
			env.Report((epoch-1)*steps+s+1, map[string]float64{
				"epoch": float64(epoch), "loss": sumLoss / float64(seen), "acc": sumCorrect / float64(seen),
			})
			if env.Stopped() {
				return nil, fmt.Errorf("listops: %s: stopped after another run failed", cfg.Label())
			}
		}
		seconds := time.Since(start).Seconds()
		lr, err := learningRate(store)
		if err != nil {
			return nil, err
		}
		// Evaluation takes minutes on the test split: its progress is reported as the fraction of expressions done.
		evaluating := func(set string) func(float64) {
			return func(frac float64) {
				env.Report(epoch*steps, map[string]float64{"epoch": float64(epoch), set: frac})
			}
		}
		valid, _, err := ev.run(data.Valid, false, evaluating("validating"))
		if err != nil {
			return nil, err
		}
		rec := Epoch{
			Estimator: cfg.Estimator, Tau: cfg.Tau, Hidden: cfg.Hidden, TrainSize: cfg.TrainSize, Seed: cfg.Seed,
			Epoch: epoch, Epochs: cfg.Epochs, Optimizer: cfg.Optimizer, LR: lr,
			TrainLoss: sumLoss / float64(seen), TrainAcc: sumCorrect / float64(seen),
			ValidLoss: valid.Loss, ValidAcc: valid.Acc, Seconds: seconds,
		}
		if epoch == cfg.Epochs {
			res, parses, err := ev.run(test, true, evaluating("testing"))
			if err != nil {
				return nil, err
			}
			rec.Test = &res
			path, err := env.Artefact(TreesDir, ".txt")
			if err != nil {
				return nil, err
			}
			if path != "" {
				if err := writeTrees(path, rec, test, parses); err != nil {
					return nil, err
				}
			}
		}
		records = append(records, rec)
		if emit != nil {
			if err := emit(rec); err != nil {
				return nil, err
			}
		}
		st = plateau(st, epoch, valid.Acc, cfg.Patience)
		if st.BadEpochs < 0 { // the schedule asks for a smaller learning rate
			st.BadEpochs = 0
			if err := setLearningRate(store, lr/2); err != nil {
				return nil, err
			}
		}
		if env.Checkpoint != "" {
			if err := checkpoint.Save(env.Checkpoint, store, st); err != nil {
				return nil, err
			}
		}
	}
	return records, nil
}

// newTrainStep compiles one training step on the variables of store: its inputs are a batch's tensors (see
// batch.tensors), its outputs the weighted sum of the cross-entropy and the number of correct predictions. The
// gradient's global norm is clipped to m.cfg.ClipNorm before the optimiser applies it.
func newTrainStep(backend compute.Backend, store *model.Store, m treeLSTM, update optim.WithGradients) (*model.Exec, error) {
	return model.NewExec(backend, store, func(scope *model.Scope, in []*Node) []*Node {
		logits, _ := m.forward(scope, in[0], in[1], true)
		mean, sum, correct := loss(logits, in[2], in[3])
		grads := scope.BuildTrainableVariablesGradientsGraph(mean)
		if m.cfg.ClipNorm > 0 {
			grads = clipGlobalNorm(grads, m.cfg.ClipNorm)
		}
		update.UpdateGraphWithGradients(scope, grads, mean.DType())
		return []*Node{sum, correct}
	})
}

// clipGlobalNorm scales the gradients by min(1, c/‖g‖), where ‖g‖ is the Euclidean norm of all of them together,
// as torch.nn.utils.clip_grad_norm_ does (with its 1e-6 added to the norm).
func clipGlobalNorm(grads []*Node, c float64) []*Node {
	var sq *Node
	for _, g := range grads {
		s := ReduceAllSum(Square(g))
		if sq == nil {
			sq = s
		} else {
			sq = Add(sq, s)
		}
	}
	scale := MinScalar(Div(Scalar(sq.Graph(), sq.DType(), c), AddScalar(Sqrt(sq), 1e-6)), 1)
	out := make([]*Node, len(grads))
	for i, g := range grads {
		out[i] = Mul(g, scale)
	}
	return out
}

// plateau advances the ReduceLROnPlateau schedule (mode max, relative threshold 1e-4) by one epoch with validation
// accuracy acc: it returns BadEpochs = −1 when the learning rate must be halved (more than patience epochs without
// improvement); patience 0 disables the schedule.
func plateau(st state, epoch int, acc float64, patience int) state {
	st.Epoch = epoch
	if acc > st.BestValid*(1+1e-4) {
		st.BestValid, st.BadEpochs = acc, 0
		return st
	}
	st.BadEpochs++
	if patience > 0 && st.BadEpochs > patience {
		st.BadEpochs = -1
	}
	return st
}

func learningRate(store *model.Store) (float64, error) {
	v := store.GetVariable(lrPath)
	if v == nil {
		return 0, fmt.Errorf("listops: the optimiser has no learning rate variable %s", lrPath)
	}
	t, err := v.Value()
	if err != nil {
		return 0, err
	}
	return scalar(t), nil
}

func setLearningRate(store *model.Store, lr float64) error {
	v := store.GetVariable(lrPath)
	if v == nil {
		return fmt.Errorf("listops: the optimiser has no learning rate variable %s", lrPath)
	}
	return v.SetValue(tensors.FromScalar(float32(lr)))
}

// evaluator runs the model with greedy parsing.
type evaluator struct {
	exec *model.Exec
}

func newEvaluator(backend compute.Backend, store *model.Store, m treeLSTM) (evaluator, error) {
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, in []*Node) []*Node {
		logits, merges := m.forward(scope, in[0], in[1], false)
		_, sum, correct := loss(logits, in[2], in[3])
		pred := ConvertDType(ArgMax(logits, -1), dtypes.Int32)
		return []*Node{sum, correct, merges, pred}
	})
	return evaluator{exec}, err
}

// parse is the model's greedy reading of one expression.
type parse struct {
	merges []int // n−1 merge positions for n tokens, as listopsdata.MergeTree reads them
	pred   int   // predicted value
}

// run evaluates the model on ex. With trees set it also returns the parse of every expression and measures
// Eval.TreeF1; without, the parses are nil and TreeF1 is 0. After every batch it calls progress, unless nil, with
// the fraction of the expressions done.
func (e evaluator) run(ex []listopsdata.Example, trees bool, progress func(float64)) (Eval, []parse, error) {
	order := make([]int, len(ex))
	for i := range order {
		order[i] = i
	}
	var parses []parse
	if trees {
		parses = make([]parse, len(ex))
	}
	var sum, correct float64
	done := 0
	for _, b := range batches(ex, order, evalBatch, nil) {
		out, err := e.exec.Exec(b.tensors(ex, evalBatch)...)
		if err != nil {
			return Eval{}, nil, err
		}
		sum, correct = sum+scalar(out[0]), correct+scalar(out[1])
		if done += len(b.idx); progress != nil {
			progress(float64(done) / float64(len(ex)))
		}
		if !trees {
			continue
		}
		merges, err := tensors.CopyFlatData[int32](out[2])
		if err != nil {
			return Eval{}, nil, err
		}
		preds, err := tensors.CopyFlatData[int32](out[3])
		if err != nil {
			return Eval{}, nil, err
		}
		steps := b.width - 1
		for r, i := range b.idx {
			n := len(ex[i].Tokens)
			p := make([]int, n-1)
			for t := range p {
				p[t] = int(merges[r*steps+t])
			}
			parses[i] = parse{merges: p, pred: int(preds[r])}
		}
	}
	res := Eval{N: len(ex), Loss: sum / float64(len(ex)), Acc: correct / float64(len(ex))}
	if trees {
		f1, err := treeF1(ex, parses)
		if err != nil {
			return Eval{}, nil, err
		}
		res.TreeF1 = f1
	}
	return res, parses, nil
}

// treeF1 is Eval.TreeF1 of the merges of every expression.
func treeF1(ex []listopsdata.Example, parses []parse) (float64, error) {
	var sum float64
	n := 0
	for i, e := range ex {
		if len(e.Tokens) < 3 {
			continue
		}
		induced, err := listopsdata.MergeTree(e.Tokens, parses[i].merges)
		if err != nil {
			return 0, fmt.Errorf("listops: expression %d: %w", i, err)
		}
		sum += spanAgreement(e.Expr.Tree(), induced)
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return sum / float64(n), nil
}

// spanAgreement is the fraction of gold's inner spans, the root's excluded, that induced also has.
func spanAgreement(gold, induced *listopsdata.Tree) float64 {
	have := map[[2]int]bool{}
	for _, s := range induced.Spans() {
		have[s] = true
	}
	spans := gold.Spans()
	spans = spans[:len(spans)-1] // post-order: the root is last
	if len(spans) == 0 {
		return 1
	}
	hit := 0
	for _, s := range spans {
		if have[s] {
			hit++
		}
	}
	return float64(hit) / float64(len(spans))
}

func scalar(t *tensors.Tensor) float64 {
	return float64(tensors.ToScalar[float32](t))
}
