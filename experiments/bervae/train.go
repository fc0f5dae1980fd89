package bervae

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/f60e9205/reinmax/checkpoint"
	"github.com/f60e9205/reinmax/data/images"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/optim"
)

// Record is written at every evaluation of a run.
type Record struct {
	experiments.Stamp[Config]
	Dataset   string  `json:"dataset"`
	K         int     `json:"k"`
	Estimator string  `json:"estimator"`
	Tau       float64 `json:"tau,omitempty"`
	Seed      int64   `json:"seed"`
	Step      int     `json:"step"`
	Steps     int     `json:"steps"`
	// TrainNegELBO is the training −ELBO averaged over the steps since the previous record, while training (the
	// paper's metric); it is the K-sample estimate the estimator optimises.
	TrainNegELBO float64 `json:"train_neg_elbo"`
	ValidNegELBO float64 `json:"valid_neg_elbo"` // single-sample −ELBO on the validation images
	TestNegELBO  float64 `json:"test_neg_elbo"`  // single-sample −ELBO on the test images
	// GradVariance is the variance of the gradient estimate of the encoder's last weight matrix, from exponential
	// moving averages (decay 0.999, bias-corrected) of its first and second moments, averaged over the weights, as
	// DisARM and RODEO log it.
	GradVariance float64 `json:"grad_variance"`
	// IWBound is the importance-weighted bound −log (1/S)Σ p(x,z_s)/q(z_s|x) on the test images, in the final
	// record only (0 elsewhere, or when the configuration skips it).
	IWBound float64 `json:"iw_bound,omitempty"`
	Seconds float64 `json:"seconds"` // wall time of the training steps since the previous record
}

// Label implements experiments.Record.
func (r Record) Label() string { return label(r.Dataset, r.K, r.Estimator, r.Seed) }

// Final implements results.Record.
func (r Record) Final() bool { return r.Step == r.Steps }

// Position implements results.Positioned.
func (r Record) Position() int { return r.Step }

type state struct{ Step int }

// gradDecay is the decay of the moving averages behind Record.GradVariance.
const gradDecay = 0.999

// train trains one configuration in env, emitting a record at every evaluation, and returns the records. With a
// checkpoint, saved at every evaluation, it resumes from the last one, and the results equal those of an
// uninterrupted run.
func train(cfg Config, data Data, env experiments.Env, emit func(Record) error) ([]Record, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	train := data.Train.Limit(cfg.TrainSize)
	valid, test := data.Valid.Limit(cfg.EvalSize), data.Test.Limit(cfg.EvalSize)
	if train.N < cfg.Batch || valid.N < 1 || test.N < 1 {
		return nil, fmt.Errorf("bervae: need at least one batch of %d training images and one validation and test image", cfg.Batch)
	}
	est, err := cfg.estimator()
	if err != nil {
		return nil, err
	}
	optimizer, err := optim.New(cfg.Optimizer, cfg.LR)
	if err != nil {
		return nil, err
	}
	m := vae{cfg: cfg, est: est}
	var st state
	backend, store, err := experiments.Start(env, cfg.Seed, &st)
	if err != nil {
		return nil, err
	}
	trainStep, err := newTrainStep(backend, store, m, optimizer)
	if err != nil {
		return nil, err
	}
	evalStep, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) *Node {
		return ReduceAllSum(m.sampledNegELBO(scope, x))
	})
	if err != nil {
		return nil, err
	}
	validBin, testBin := binarized(valid, evalSeed, 1), binarized(test, evalSeed, 2)

	stepsPerEpoch := train.N / cfg.Batch
	batch := make([]float32, cfg.Batch*Pixels)
	var records []Record
	var sum float64
	var variance float64
	start := time.Now()
	var epochImages *images.Set
	var order []int
	epochOf := func(step int) int { return (step - 1) / stepsPerEpoch } // step counts from 1
	for step := st.Step + 1; step <= cfg.Steps; step++ {
		if epoch := epochOf(step); order == nil || (step-1)%stepsPerEpoch == 0 {
			order = rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(epoch))).Perm(train.N)
			switch {
			case cfg.FixedBinarization && epochImages == nil:
				epochImages = binarized(train, uint64(cfg.Seed), math.MaxUint64)
			case !cfg.FixedBinarization:
				epochImages = binarized(train, uint64(cfg.Seed), uint64(epoch))
			}
		}
		s := (step - 1) % stepsPerEpoch
		for i, idx := range order[s*cfg.Batch : (s+1)*cfg.Batch] {
			copy(batch[i*Pixels:(i+1)*Pixels], epochImages.Image(idx))
		}
		out, err := trainStep.Exec(tensors.FromFlatDataAndDimensions(batch, cfg.Batch, Pixels))
		if err != nil {
			return nil, err
		}
		loss := float64(tensors.ToScalar[float32](out[0]))
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, fmt.Errorf("bervae: %s: the loss is %v at step %d", cfg.Label(), loss, step)
		}
		sum += loss
		variance = float64(tensors.ToScalar[float32](out[1]))
		env.Report(step, map[string]float64{"-elbo": loss})
		if env.Stopped() {
			return nil, fmt.Errorf("bervae: %s: stopped after another run failed", cfg.Label())
		}
		if step%cfg.EvalEvery != 0 && step != cfg.Steps {
			continue
		}
		n := step - st.Step
		rec := Record{
			Dataset: cfg.Dataset, K: cfg.K, Estimator: cfg.Estimator, Tau: cfg.Tau, Seed: cfg.Seed,
			Step: step, Steps: cfg.Steps, TrainNegELBO: sum / float64(n), GradVariance: variance,
			Seconds: time.Since(start).Seconds(),
		}
		if rec.ValidNegELBO, err = evaluate(evalStep, validBin, cfg.Batch); err != nil {
			return nil, err
		}
		if rec.TestNegELBO, err = evaluate(evalStep, testBin, cfg.Batch); err != nil {
			return nil, err
		}
		if step == cfg.Steps && cfg.IWSamples > 0 {
			if rec.IWBound, err = iwBound(backend, store, m, testBin.Limit(cfg.IWImages), cfg.IWSamples); err != nil {
				return nil, err
			}
		}
		records = append(records, rec)
		if emit != nil {
			if err := emit(rec); err != nil {
				return nil, err
			}
		}
		if env.Checkpoint != "" {
			if err := checkpoint.Save(env.Checkpoint, store, state{Step: step}); err != nil {
				return nil, err
			}
		}
		st.Step, sum, start = step, 0, time.Now()
	}
	return records, nil
}

// newTrainStep compiles one training step on the variables of store: its input is a batch of binarised images,
// its outputs the batch's mean −ELBO (the K-sample estimate the estimator optimises) and the variance of the
// encoder gradient (trackVariance).
func newTrainStep(backend compute.Backend, store *model.Store, m vae, update optim.WithGradients) (*model.Exec, error) {
	return model.NewExec(backend, store, func(scope *model.Scope, x *Node) []*Node {
		loss, _ := m.negELBO(scope, x)
		mean := ReduceAllMean(loss)
		grads := scope.BuildTrainableVariablesGradientsGraph(mean)
		variance := trackVariance(scope, grads)
		update.UpdateGraphWithGradients(scope, grads, mean.DType())
		return []*Node{mean, variance}
	})
}

// trackVariance updates moving averages of the first and second moments of the gradient of the encoder's last
// weight matrix and returns their bias-corrected variance, averaged over the weights.
func trackVariance(scope *model.Scope, grads []*Node) *Node {
	var grad *Node
	i := 0
	g := grads[0].Graph()
	for v := range scope.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		if v.Path() == "/encoder/layer3/weights" {
			grad = grads[i]
		}
		i++
	}
	if grad == nil {
		panic(errors.New("bervae: no gradient for /encoder/layer3/weights"))
	}
	s := scope.At("grad_moments").WithInitializer(initializer.Zero)
	m1 := s.VariableWithShape("mean", grad.Shape()).SetTrainable(false)
	m2 := s.VariableWithShape("second", grad.Shape()).SetTrainable(false)
	t := s.VariableWithShape("steps", shapes.Make(grad.DType())).SetTrainable(false)
	tn := AddScalar(t.NodeValue(g), 1)
	a := Add(MulScalar(m1.NodeValue(g), gradDecay), MulScalar(grad, 1-gradDecay))
	b := Add(MulScalar(m2.NodeValue(g), gradDecay), MulScalar(Square(grad), 1-gradDecay))
	m1.SetNodeValue(a)
	m2.SetNodeValue(b)
	t.SetNodeValue(tn)
	corr := Reciprocal(OneMinus(Pow(Scalar(g, grad.DType(), gradDecay), tn)))
	mean := Mul(a, corr)
	return ReduceAllMean(Sub(Mul(b, corr), Square(mean)))
}

// evaluate returns the single-sample −ELBO averaged over the images, in batches.
func evaluate(exec *model.Exec, im *images.Set, batch int) (float64, error) {
	var sum float64
	for lo := 0; lo < im.N; lo += batch {
		hi := min(lo+batch, im.N)
		x := tensors.FromFlatDataAndDimensions(append([]float32(nil), im.Images[lo*Pixels:hi*Pixels]...), hi-lo, Pixels)
		out, err := exec.Exec(x)
		if err != nil {
			return 0, err
		}
		sum += float64(tensors.ToScalar[float32](out[0]))
	}
	return sum / float64(im.N), nil
}

// iwBound returns the S-sample importance-weighted bound averaged over the images.
func iwBound(backend compute.Backend, store *model.Store, m vae, im *images.Set, samples int) (float64, error) {
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) *Node {
		return ReduceAllSum(m.importanceBound(scope, x, samples))
	})
	if err != nil {
		return 0, err
	}
	return evaluate(exec, im, 100)
}
