package catvae

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/compute"

	"github.com/f60e9205/reinmax/experiments"
)

// BenchWorkload is the training step of the paper's 10x30 VAE with the paper's optimiser and temperature for the
// estimator, on a batch (0: the paper's 100) of fixed uniform pixels: the `vae` workload of `reinmax bench`.
func BenchWorkload(backend compute.Backend, w experiments.WorkloadSpec) (experiments.Workload, error) {
	estimator, batch := w.Estimator, w.Batch
	if w.Binary {
		return experiments.Workload{}, fmt.Errorf("catvae: the categorical VAE has no binary variables for a Bernoulli form")
	}
	cfg, err := PaperConfig("10x30", estimator)
	if err != nil {
		return experiments.Workload{}, err
	}
	if batch > 0 {
		cfg.Batch = batch
	}
	tr, err := NewTrainer(cfg, backend)
	if err != nil {
		return experiments.Workload{}, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, cfg.Batch*Pixels)
	for i := range x {
		x[i] = rng.Float32()
	}
	return experiments.Workload{
		Describe: fmt.Sprintf("workload=vae config=%s estimator=%s tau=%g optimizer=%s batch=%d", cfg.Name(), estimator, cfg.Tau, cfg.Optimizer, cfg.Batch),
		Step:     func() error { _, _, _, err := tr.Step(x); return err },
		Close:    tr.Close,
	}, nil
}
