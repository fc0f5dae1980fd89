package catvae

import (
	"math/rand/v2"
	"testing"

	_ "github.com/gomlx/compute/gobackend"
)

// syntheticBatch returns n images of grey levels drawn uniformly from [0, 1] (seeded): the step's cost does not
// depend on the pixels, and the benchmark then needs no data files.
func syntheticBatch(n int) []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*Pixels)
	for i := range x {
		x[i] = rng.Float32()
	}
	return x
}

// BenchmarkTrainStep times one training step (sampling, estimator, −ELBO, gradient, optimiser update) of the
// paper's 10x30 configuration, batch 100, for ST and ReinMax. Run with GOEXPERIMENT=simd and GOMAXPROCS=2 to
// compare with bench/README.md.
func BenchmarkTrainStep(b *testing.B) {
	for _, est := range []string{"st", "reinmax"} {
		b.Run(est, func(b *testing.B) {
			cfg, err := PaperConfig("10x30", est)
			if err != nil {
				b.Fatal(err)
			}
			tr, err := NewTrainer(cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			x := syntheticBatch(cfg.Batch)
			for range 3 { // compilation and warm-up
				if _, _, _, err := tr.Step(x); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, _, _, err := tr.Step(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
