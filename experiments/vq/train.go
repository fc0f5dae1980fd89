package vq

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax/checkpoint"
	"github.com/f60e9205/reinmax/data/images"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/optim"
	vqlib "github.com/f60e9205/reinmax/vq"
)

// Data holds the images a run trains and tests on.
type Data = images.TrainTest

// Eval is the record of one run after Step training steps: every EvalEvery steps and after the last.
type Eval struct {
	experiments.Stamp[Config]
	Data   string `json:"data"`
	Name   string `json:"name"` // the method and the settings that tell its runs apart (Config.Name)
	Method string `json:"method"`
	Seed   int64  `json:"seed"`
	Step   int    `json:"step"`
	Steps  int    `json:"steps"`
	// TrainMSE and TrainLoss are the reconstruction's mean squared error per pixel and the loss, averaged over the
	// training steps since the previous record, with the codes the method chose; TrainCodesUsed is the number of
	// codes chosen at least once in those steps.
	TrainMSE       float64 `json:"train_mse"`
	TrainLoss      float64 `json:"train_loss"`
	TrainCodesUsed int     `json:"train_codes_used"`
	// TestMSE is the mean squared error per pixel on the test set with the nearest codes (a tokeniser's codes);
	// TestMSESampled is the same with the method's sampled codes, for stochastic methods only.
	TestMSE        float64 `json:"test_mse"`
	TestMSESampled float64 `json:"test_mse_sampled,omitempty"`
	// TestCodesUsed, TestUsage and TestPerplexity describe the nearest codes of the test set's L·N vectors: codes
	// used, their fraction of K, and exp of the entropy of their histogram. Collapsed is set when one code takes
	// every vector.
	TestCodesUsed  int     `json:"test_codes_used"`
	TestUsage      float64 `json:"test_usage"`
	TestPerplexity float64 `json:"test_perplexity"`
	Collapsed      bool    `json:"collapsed"`
	Refreshed      int     `json:"refreshed,omitempty"` // codes replaced by the refresh since the previous record
	Seconds        float64 `json:"seconds"`             // wall time of the training steps since the previous record
}

// Label implements experiments.Record.
func (e Eval) Label() string { return label(e.Data, e.Name, e.Seed) }

// Final implements results.Record.
func (e Eval) Final() bool { return e.Step == e.Steps }

// Position implements results.Positioned.
func (e Eval) Position() int { return e.Step }

// state is what a checkpoint keeps besides the model's variables.
type state struct {
	Step int
}

// train trains one configuration in env, emitting a record every cfg.EvalEvery steps and after the last, and
// returns the records. With a checkpoint it resumes from the last record, and the results equal those of an
// uninterrupted run: all randomness comes from the model's random number generator, saved in the checkpoint, and
// from a shuffle seeded by (Seed, epoch). After the last step it draws test images and their reconstructions into
// the run's artefact images/….png.
func train(cfg Config, data Data, env experiments.Env, emit func(Eval) error) ([]Eval, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	data, err := data.Limit(cfg.TrainSize, cfg.TestSize, cfg.Batch)
	if err != nil {
		return nil, fmt.Errorf("vq: %w", err)
	}
	trainSet, test := data.Train, data.Test
	var st state
	backend, store, err := experiments.Start(env, cfg.Seed, &st)
	if err != nil {
		return nil, err
	}
	m := newAutoencoder(cfg)
	tr, err := newTrainer(cfg, m, backend, store)
	if err != nil {
		return nil, err
	}
	defer tr.exec.Finalize()
	ev, err := newEvaluator(m, backend, store)
	if err != nil {
		return nil, err
	}
	defer ev.exec.Finalize()

	perEpoch := trainSet.N / cfg.Batch
	batch := make([]float32, cfg.Batch*Pixels)
	var (
		records                  []Eval
		order                    []int
		sumMSE, sumLoss, seconds float64
		steps, refreshed         int
		used                     = make([]bool, cfg.Codes)
	)
	for s := st.Step + 1; s <= cfg.Steps; s++ {
		epoch, pos := (s-1)/perEpoch+1, (s-1)%perEpoch
		if order == nil || pos == 0 {
			order = rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(epoch))).Perm(trainSet.N)
		}
		start := time.Now()
		for i, idx := range order[pos*cfg.Batch : (pos+1)*cfg.Batch] {
			copy(batch[i*Pixels:(i+1)*Pixels], trainSet.Image(idx))
		}
		out, err := tr.step(batch)
		if err != nil {
			return nil, err
		}
		seconds += time.Since(start).Seconds()
		if math.IsNaN(out.loss) || math.IsInf(out.loss, 0) {
			return nil, fmt.Errorf("vq: %s: the loss is %v at step %d", cfg.Label(), out.loss, s)
		}
		sumMSE, sumLoss, steps, refreshed = sumMSE+out.mse, sumLoss+out.loss, steps+1, refreshed+out.refreshed
		for _, k := range out.index {
			used[k] = true
		}
		env.Report(s, map[string]float64{"mse": sumMSE / float64(steps)})
		if env.Stopped() {
			return nil, fmt.Errorf("vq: %s: stopped after another run failed", cfg.Label())
		}
		if s%cfg.EvalEvery != 0 && s != cfg.Steps {
			continue
		}
		res, err := ev.evaluate(test, cfg)
		if err != nil {
			return nil, err
		}
		rec := Eval{
			Data: cfg.Data, Name: cfg.Name(), Method: cfg.Method, Seed: cfg.Seed, Step: s, Steps: cfg.Steps,
			TrainMSE: sumMSE / float64(steps), TrainLoss: sumLoss / float64(steps), TrainCodesUsed: count(used),
			TestMSE: res.mse, TestMSESampled: res.sampled, TestCodesUsed: res.usage.Used, TestUsage: res.usage.Fraction,
			TestPerplexity: res.usage.Perplexity, Collapsed: res.usage.Collapsed(), Refreshed: refreshed, Seconds: seconds,
		}
		records = append(records, rec)
		if emit != nil {
			if err := emit(rec); err != nil {
				return nil, err
			}
		}
		if s == cfg.Steps {
			path, err := env.Artefact(imagesDir, ".png")
			if err != nil {
				return nil, err
			}
			if path != "" {
				if err := writeImages(path, m, store, test, backend); err != nil {
					return nil, err
				}
			}
		}
		if env.Checkpoint != "" {
			if err := checkpoint.Save(env.Checkpoint, store, state{Step: s}); err != nil {
				return nil, err
			}
		}
		sumMSE, sumLoss, seconds, steps, refreshed = 0, 0, 0, 0, 0
		clear(used)
	}
	return records, nil
}

// count returns the number of true values.
func count(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// trainer runs the training steps of one configuration: each step is one execution of a compiled graph that
// encodes, quantises, decodes, computes the loss and its gradient, updates the parameters and the optimiser's state,
// and refreshes dead codes when the configuration asks for it.
type trainer struct {
	cfg  Config
	exec *model.Exec
}

// stepOutput is what a training step returns.
type stepOutput struct {
	loss, mse float64
	index     []int32 // the codes chosen
	refreshed int     // codes replaced by the refresh
}

// newTrainer compiles the training step of cfg on the variables of store.
func newTrainer(cfg Config, m autoencoder, backend compute.Backend, store *model.Store) (*trainer, error) {
	optimizer, err := optim.New(cfg.Optimizer, cfg.LR)
	if err != nil {
		return nil, err
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) []*Node {
		s := m.forward(scope, x)
		optimizer.UpdateGraph(scope, x.Graph(), s.loss)
		refreshed := m.q.Refresh(s.vq, s.z, s.index) // after the update: it sets the updated codebook
		return []*Node{s.loss, s.mse, s.index, refreshed}
	})
	if err != nil {
		return nil, err
	}
	return &trainer{cfg: cfg, exec: exec}, nil
}

// step runs one training step on images, cfg.Batch images of Pixels grey levels one after the other.
func (t *trainer) step(images []float32) (stepOutput, error) {
	out, err := t.exec.Exec(tensors.FromFlatDataAndDimensions(images, t.cfg.Batch, Pixels))
	if err != nil {
		return stepOutput{}, err
	}
	index, err := tensors.CopyFlatData[int32](out[2])
	if err != nil {
		return stepOutput{}, err
	}
	return stepOutput{loss: scalar(out[0]), mse: scalar(out[1]), index: index, refreshed: int(scalar(out[3]))}, nil
}

// evaluator computes the test-set numbers of a record.
type evaluator struct {
	exec       *model.Exec
	stochastic bool
}

func newEvaluator(m autoencoder, backend compute.Backend, store *model.Store) (*evaluator, error) {
	stochastic := m.q.Stochastic()
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) []*Node {
		r := m.reconstruct(scope, x)
		out := []*Node{ReduceAllSum(r.mse), r.index}
		if stochastic {
			out = append(out, ReduceAllSum(r.sampledMSE))
		}
		return out
	})
	if err != nil {
		return nil, err
	}
	return &evaluator{exec: exec, stochastic: stochastic}, nil
}

// testResult is the test-set part of a record.
type testResult struct {
	mse, sampled float64
	usage        vqlib.Usage
}

// evaluate runs the test images in batches of cfg.Batch (the last, partial batch included).
func (e *evaluator) evaluate(test *images.Set, cfg Config) (testResult, error) {
	counts := make([]int, cfg.Codes)
	var sum, sampled float64
	for lo := 0; lo < test.N; lo += cfg.Batch {
		hi := min(lo+cfg.Batch, test.N)
		x := tensors.FromFlatDataAndDimensions(append([]float32(nil), test.Images[lo*Pixels:hi*Pixels]...), hi-lo, Pixels)
		out, err := e.exec.Exec(x)
		if err != nil {
			return testResult{}, err
		}
		sum += scalar(out[0])
		index, err := tensors.CopyFlatData[int32](out[1])
		if err != nil {
			return testResult{}, err
		}
		for _, k := range index {
			counts[k]++
		}
		if e.stochastic {
			sampled += scalar(out[2])
		}
	}
	n := float64(test.N)
	return testResult{mse: sum / n, sampled: sampled / n, usage: vqlib.UsageOf(counts)}, nil
}

func scalar(t *tensors.Tensor) float64 {
	return float64(tensors.ToScalar[float32](t))
}
