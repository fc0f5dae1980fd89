package listops

import (
	"fmt"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	listopsdata "github.com/f60e9205/reinmax/data/listops" // the data set; this package is the experiment
	"github.com/f60e9205/reinmax/optim"
)

// BenchmarkTrainStep times one training step of the default configuration (ReinMax, batch 64) on expressions of
// one padded width, for two hidden sizes: the cost of a step grows with the width squared (every merge step
// composes all adjacent pairs) and with the hidden size.
func BenchmarkTrainStep(b *testing.B) {
	ex, err := listopsdata.Generator{}.Generate(20000, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, hidden := range []int{32, 64} {
		for _, w := range []int{16, 48, 96} {
			b.Run(fmt.Sprintf("h%d/width%d", hidden, w), func(b *testing.B) {
				cfg, err := DefaultConfig("reinmax")
				if err != nil {
					b.Fatal(err)
				}
				cfg.Hidden = hidden
				var idx []int
				for i, e := range ex {
					if width(len(e.Tokens)) == w && len(idx) < cfg.Batch {
						idx = append(idx, i)
					}
				}
				in := batch{width: w, idx: idx}.tensors(ex, cfg.Batch)
				m, store := newModel(b, cfg)
				update, err := optim.New(cfg.Optimizer, cfg.LR)
				if err != nil {
					b.Fatal(err)
				}
				step, err := newTrainStep(testutil.Backend(b), store, m, update)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := step.Exec(in...); err != nil { // compiles
					b.Fatal(err)
				}
				for b.Loop() {
					if _, err := step.Exec(in...); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
			})
		}
	}
}
