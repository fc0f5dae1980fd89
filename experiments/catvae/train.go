package catvae

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
)

// Data holds the images a run trains and tests on.
type Data = images.TrainTest

// Epoch is the record of one finished epoch of one run.
type Epoch struct {
	experiments.Stamp[Config]
	Config    string  `json:"config"`
	Estimator string  `json:"estimator"`
	Tau       float64 `json:"tau"`
	Seed      int64   `json:"seed"`
	Epoch     int     `json:"epoch"`
	Epochs    int     `json:"epochs"`
	// TrainNegELBO is the training −ELBO averaged over the epoch's steps while training, as the paper reports it;
	// TrainBCE and TrainKL are its two terms.
	TrainNegELBO float64 `json:"train_neg_elbo"`
	TrainBCE     float64 `json:"train_bce"`
	TrainKL      float64 `json:"train_kl"`
	// TestNegELBO is the single-sample −ELBO on the test set after the epoch.
	TestNegELBO float64 `json:"test_neg_elbo"`
	Seconds     float64 `json:"seconds"` // wall time of the epoch's training steps
}

// Label implements experiments.Record.
func (e Epoch) Label() string { return label(e.Config, e.Estimator, e.Seed) }

// Final implements results.Record.
func (e Epoch) Final() bool { return e.Epoch == e.Epochs }

// Position implements results.Positioned.
func (e Epoch) Position() int { return e.Epoch }

// state is what a checkpoint keeps besides the model's variables.
type state struct {
	Epoch int
}

// train trains one configuration in env, emitting the record of every epoch, and returns the records. With a
// checkpoint it resumes from the last finished epoch, and the results equal those of an uninterrupted run: all
// randomness comes from the model's random number generator, saved in the checkpoint, and from a shuffle seeded by
// (Seed, epoch). After the last epoch it draws test images, reconstructions and prior samples into the run's
// artefact images/….png.
func train(cfg Config, data Data, env experiments.Env, emit func(Epoch) error) ([]Epoch, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	data, err := data.Limit(cfg.TrainSize, cfg.TestSize, cfg.Batch)
	if err != nil {
		return nil, fmt.Errorf("catvae: %w", err)
	}
	train, test := data.Train, data.Test
	var st state
	backend, store, err := experiments.Start(env, cfg.Seed, &st)
	if err != nil {
		return nil, err
	}
	tr, err := newTrainer(cfg, backend, store)
	if err != nil {
		return nil, err
	}
	m := tr.m
	evalStep, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) *Node {
		return m.negELBO(scope, x).loss()
	})
	if err != nil {
		return nil, err
	}

	stepsPerEpoch := train.N / cfg.Batch
	batch := make([]float32, cfg.Batch*Pixels)
	var records []Epoch
	for epoch := st.Epoch + 1; epoch <= cfg.Epochs; epoch++ {
		order := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(epoch))).Perm(train.N)
		var sumLoss, sumBCE, sumKL float64
		start := time.Now()
		for s := 0; s < stepsPerEpoch; s++ {
			for i, idx := range order[s*cfg.Batch : (s+1)*cfg.Batch] {
				copy(batch[i*Pixels:(i+1)*Pixels], train.Image(idx))
			}
			loss, bce, kl, err := tr.Step(batch)
			if err != nil {
				return nil, err
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return nil, fmt.Errorf("catvae: %s: the loss is %v at epoch %d step %d", cfg.Label(), loss, epoch, s+1)
			}
			sumLoss, sumBCE, sumKL = sumLoss+loss, sumBCE+bce, sumKL+kl
			env.Report((epoch-1)*stepsPerEpoch+s+1, map[string]float64{"epoch": float64(epoch), "-elbo": sumLoss / float64(s+1)})
			if env.Stopped() {
				return nil, fmt.Errorf("catvae: %s: stopped after another run failed", cfg.Label())
			}
		}
		seconds := time.Since(start).Seconds()
		testLoss, err := evaluate(evalStep, test, cfg.Batch)
		if err != nil {
			return nil, err
		}
		n := float64(stepsPerEpoch)
		rec := Epoch{
			Config: cfg.Name(), Estimator: cfg.Estimator, Tau: cfg.Tau, Seed: cfg.Seed, Epoch: epoch, Epochs: cfg.Epochs,
			TrainNegELBO: sumLoss / n, TrainBCE: sumBCE / n, TrainKL: sumKL / n, TestNegELBO: testLoss, Seconds: seconds,
		}
		records = append(records, rec)
		if emit != nil {
			if err := emit(rec); err != nil {
				return nil, err
			}
		}
		if epoch == cfg.Epochs {
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
			if err := checkpoint.Save(env.Checkpoint, store, state{Epoch: epoch}); err != nil {
				return nil, err
			}
		}
	}
	return records, nil
}

// Trainer runs the training steps of one configuration: each step is one execution of a compiled graph that draws
// the codes, computes the −ELBO and its gradient, and updates the parameters and the optimiser's state.
type Trainer struct {
	cfg   Config
	m     vae
	store *model.Store
	exec  *model.Exec
}

// NewTrainer compiles the training step of cfg on backend (nil selects experiments.NewBackend()), with parameters initialised
// and codes drawn from cfg.Seed. It returns an error for an invalid configuration.
func NewTrainer(cfg Config, backend compute.Backend) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	backend, err := experiments.BackendOr(backend)
	if err != nil {
		return nil, err
	}
	store, err := experiments.NewStore(cfg.Seed)
	if err != nil {
		return nil, err
	}
	return newTrainer(cfg, backend, store)
}

// newTrainer compiles the training step of cfg on the variables of store.
func newTrainer(cfg Config, backend compute.Backend, store *model.Store) (*Trainer, error) {
	est, err := cfg.estimator()
	if err != nil {
		return nil, err
	}
	optimizer, err := optim.New(cfg.Optimizer, cfg.LR)
	if err != nil {
		return nil, err
	}
	m := vae{cfg: cfg, est: est}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) []*Node {
		t := m.negELBO(scope, x)
		loss := t.loss()
		optimizer.UpdateGraph(scope, x.Graph(), loss)
		return []*Node{loss, t.bce, t.kl}
	})
	if err != nil {
		return nil, err
	}
	return &Trainer{cfg: cfg, m: m, store: store, exec: exec}, nil
}

// Step runs one training step on images, cfg.Batch images of Pixels grey levels in [0, 1] one after the other, and
// returns the batch's −ELBO and its reconstruction and KL terms before the update.
func (t *Trainer) Step(images []float32) (negELBO, bce, kl float64, err error) {
	if len(images) != t.cfg.Batch*Pixels {
		return 0, 0, 0, fmt.Errorf("catvae: step: %d pixels, want %d (batch %d × %d)", len(images), t.cfg.Batch*Pixels, t.cfg.Batch, Pixels)
	}
	out, err := t.exec.Exec(tensors.FromFlatDataAndDimensions(images, t.cfg.Batch, Pixels))
	if err != nil {
		return 0, 0, 0, err
	}
	return scalar(out[0]), scalar(out[1]), scalar(out[2]), nil
}

// Close releases the compiled graph.
func (t *Trainer) Close() { t.exec.Finalize() }

// evaluate returns the single-sample −ELBO averaged over the test images, in batches of size batch (the last,
// partial batch included).
func evaluate(exec *model.Exec, test *images.Set, batch int) (float64, error) {
	var sum float64
	for lo := 0; lo < test.N; lo += batch {
		hi := min(lo+batch, test.N)
		x := tensors.FromFlatDataAndDimensions(append([]float32(nil), test.Images[lo*Pixels:hi*Pixels]...), hi-lo, Pixels)
		out, err := exec.Exec(x)
		if err != nil {
			return 0, err
		}
		sum += scalar(out[0]) * float64(hi-lo)
	}
	return sum / float64(test.N), nil
}

func scalar(t *tensors.Tensor) float64 {
	return float64(tensors.ToScalar[float32](t))
}
