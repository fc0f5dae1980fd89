package reinmax_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	"github.com/gomlx/compute/dtypes"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/probe"
)

// TestGSTpGap checks GST-p's probability-dependent gap through its definition: GST-p at a sample of probability π_s
// must give the gradient of GST with the fixed gap −log(1 − p)/p, p = π_s·(1 − 10⁻⁵), computed here in float64.
// When π_s underflows to 0 (logits 80 and −80 in float32, 800 and −800 in float64) the gap tends to its limit 1
// (−log(1 − p)/p = 1 + p/2 + O(p²)), so GST-p must then equal GST-1.0; 0/0 would make the whole row NaN.
func TestGSTpGap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		logits []float64
		sample int
	}{
		{[]float64{1, -0.5, 0.25}, 1},
		{[]float64{1, -0.5, 0.25}, 0},
		{[]float64{3, -2, 0, 1}, 1},
		{[]float64{80, -80, 0}, 1},   // π_s = e^-160: 0 in float32
		{[]float64{800, -800, 0}, 1}, // π_s = e^-1600: 0 in float64 too
	}
	gD := []float64{0.3, -1.2, 2, 0.7}
	const tau = 0.8
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/%v/sample%d", dtype, tc.logits, tc.sample), func(t *testing.T) {
				c := len(tc.logits)
				p := testutil.Softmax(tc.logits)[tc.sample] * (1 - 1e-5)
				gap := 1.0
				if p > 0 {
					gap = -math.Log1p(-p) / p
				}
				query := func(e reinmax.StraightThrough) []float64 {
					res, err := probe.Run(testutil.Backend(t), probe.Query{
						Estimator: e, C: c, Logits: tc.logits, Samples: []int{tc.sample}, GHard: gD[:c], DType: dtype,
					})
					if err != nil {
						t.Fatal(err)
					}
					return res.Grad
				}
				got := query(reinmax.GST{Tau: tau, Adaptive: true})
				want := query(reinmax.GST{Tau: tau, Gap: gap})
				for j := range got {
					if !(math.Abs(got[j]-want[j]) <= 1e-6) {
						t.Errorf("GST-p gradient %v, want GST with gap %.6g: %v", got, gap, want)
						break
					}
				}
			})
		}
	}
}
