package bervae

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/optim"
)

// BenchWorkload is the training step of the Bernoulli VAE (200 binary latents) on MNIST's settings for the
// estimator with K = 2 decoder evaluations, on a batch (0: the paper's 100) of fixed random binary images, in the
// estimator's Bernoulli form when w.Binary is set: the `bervae` workload of `reinmax bench`.
func BenchWorkload(backend compute.Backend, w experiments.WorkloadSpec) (experiments.Workload, error) {
	estimator, batch := w.Estimator, w.Batch
	cfg, err := PaperConfig("mnist", 2, estimator)
	if err != nil {
		return experiments.Workload{}, err
	}
	if batch > 0 {
		cfg.Batch = batch
	}
	cfg.Binary = w.Binary
	if cfg, err = cfg.resolved(); err != nil {
		return experiments.Workload{}, err
	}
	est, err := cfg.estimator()
	if err != nil {
		return experiments.Workload{}, err
	}
	update, err := optim.New(cfg.Optimizer, cfg.LR)
	if err != nil {
		return experiments.Workload{}, err
	}
	store, err := experiments.NewStore(1)
	if err != nil {
		return experiments.Workload{}, err
	}
	exec, err := newTrainStep(backend, store, vae{cfg: cfg, est: est}, update)
	if err != nil {
		return experiments.Workload{}, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, cfg.Batch*Pixels)
	for i := range x {
		if rng.Float32() < 0.13 { // about MNIST's share of ink
			x[i] = 1
		}
	}
	return experiments.Workload{
		Describe: fmt.Sprintf("workload=bervae estimator=%s binary=%v K=%d optimizer=%s batch=%d", estimator, cfg.Binary, cfg.K, cfg.Optimizer, cfg.Batch),
		Step: func() error {
			_, err := exec.Exec(tensors.FromFlatDataAndDimensions(x, cfg.Batch, Pixels))
			return err
		},
		Close: exec.Finalize,
	}, nil
}
