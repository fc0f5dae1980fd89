package poly

import (
	"fmt"

	"github.com/gomlx/compute"

	"github.com/f60e9205/reinmax/experiments"
)

// BenchWorkload is the training step of polynomial programming with the paper's L = 128, p = 2 and c = 0.45, and
// a batch of samples (0: 512, the slides' cost table): the `poly` workload of `reinmax bench`.
func BenchWorkload(backend compute.Backend, w experiments.WorkloadSpec) (experiments.Workload, error) {
	estimator, batch := w.Estimator, w.Batch
	cfg := DefaultConfig()
	cfg.Estimator, cfg.Tau, cfg.Batch, cfg.Binary = estimator, 0, 512, w.Binary
	if batch > 0 {
		cfg.Batch = batch
	}
	cfg, err := cfg.resolved()
	if err != nil {
		return experiments.Workload{}, err
	}
	if err := cfg.Validate(); err != nil {
		return experiments.Workload{}, err
	}
	est, err := cfg.estimator()
	if err != nil {
		return experiments.Workload{}, err
	}
	cs, err := Targets(cfg.Target, cfg.L, cfg.C)
	if err != nil {
		return experiments.Workload{}, err
	}
	obj, err := NewObjective(cfg.P, cs)
	if err != nil {
		return experiments.Workload{}, err
	}
	tr, err := newTrainer(backend, cfg, est, obj, 1)
	if err != nil {
		return experiments.Workload{}, err
	}
	return experiments.Workload{
		Describe: fmt.Sprintf("workload=poly L=%d estimator=%s binary=%v p=%g optimizer=adam batch=%d", cfg.L, estimator, cfg.Binary, cfg.P, cfg.Batch),
		Step:     tr.step,
		Close:    tr.close,
	}, nil
}
