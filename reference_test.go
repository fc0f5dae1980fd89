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

// TestReferenceVectors reproduces the test vectors of shared/reference/reinmax-reference.md, section 1.4 (computed
// there with a plain-Python transcription of the original package's backward, printed with 6 decimals; re-derived
// with an independent float64 transcription to 16 digits, which agrees within 5e-7). The ST column is
// (1/τ)·J(testutil.Softmax(θ/τ))·g_D, without the g_p term, so ST runs with g_p = 0.
func TestReferenceVectors(t *testing.T) {
	t.Parallel()
	theta := []float64{1, -0.5, 0.25}
	gD := []float64{0.3, -1.2, 2}
	tests := []struct {
		logits  []float64
		sample  int // e1 of the table is category 0
		gD, gP  []float64
		tau     float64
		soft    []float64
		reinmax []float64
		st      []float64
	}{
		{theta, 1, gD, nil, 1.0, []float64{.589798, .131602, .278601},
			[]float64{.442348, -.888109, .445761}, []float64{-.162913, -.233753, .396666}},
		{theta, 1, gD, nil, 2.0, []float64{.589798, .131602, .278601},
			[]float64{.379438, -.926913, .547475}, []float64{-.049296, -.187328, .236624}},
		{theta, 0, gD, []float64{.5, .1, -.4}, 1.5, []float64{.589798, .131602, .278601},
			[]float64{.077543, -.197939, .120396}, []float64{-.081965, -.216477, .298441}},
		{[]float64{0, 0}, 0, []float64{1, 0}, nil, 1.0, []float64{.5, .5},
			[]float64{.25, -.25}, []float64{.25, -.25}},
	}
	// The table has 6 decimals (rounding error ≤ 5e-7); float32 adds a few 1e-8.
	const tol = 1e-6
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for i, tc := range tests {
			for _, est := range []struct {
				e    reinmax.StraightThrough
				gP   []float64
				want []float64
			}{
				{reinmax.ReinMax{Tau: tc.tau}, tc.gP, tc.reinmax},
				{reinmax.ST{Tau: tc.tau}, nil, tc.st},
			} {
				t.Run(fmt.Sprintf("%s/row%d/%s", dtype, i+1, est.e.Name()), func(t *testing.T) {
					c := len(tc.logits)
					res, err := probe.Run(testutil.Backend(t), probe.Query{
						Estimator: est.e, C: c, Logits: tc.logits, Samples: []int{tc.sample},
						GHard: tc.gD, GSoft: est.gP, DType: dtype,
					})
					if err != nil {
						t.Fatal(err)
					}
					for j := 0; j < c; j++ {
						if !(math.Abs(res.Grad[j]-est.want[j]) <= tol) {
							t.Errorf("gradient[%d] = %.7f, want %.6f", j, res.Grad[j], est.want[j])
						}
						if !(math.Abs(res.Soft[j]-tc.soft[j]) <= tol) {
							t.Errorf("soft[%d] = %.7f, want %.6f", j, res.Soft[j], tc.soft[j])
						}
						wantHard := 0.0
						if j == tc.sample {
							wantHard = 1
						}
						if res.Hard[j] != wantHard {
							t.Errorf("hard[%d] = %v, want %v", j, res.Hard[j], wantHard)
						}
					}
				})
			}
		}
	}
}
