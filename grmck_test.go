package reinmax_test

import (
	"math"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/f60e9205/reinmax"
)

// TestGRMCKVarianceFallsWithK fixes the logits, the sample and g_D, and evaluates the GR-MCK gradient on n rows, each
// row with its own conditional Gumbel noise (so rows are independent draws over seeds).
//
//   - GR-MCK with K = 1 is STGS given the sample: with the same source the gradients are identical.
//   - Given the sample, the K conditional draws are i.i.d., so the GR-MCK gradient is the mean of K i.i.d. STGS
//     gradients: same mean, total variance divided by K. The sample ratio of the total variances at K = 1 and K = 16
//     must lie in (8, 32). With n = 4000 and bounded gradients (|∂L/∂θ_j| ≤ 2·max|g_D|/τ), each sample variance has a
//     relative standard error of sqrt((κ − 1)/n) ≤ 5% for a kurtosis κ ≤ 10 (measured at this point: 3 to 9.8), so the ratio 16 lies within 16·(1 ± 0.3)
//     at more than 4 standard errors; a factor 2 either way means the average over K is wrong.
//   - The GR-MCK mean matches the STGS mean within 4 standard errors estimated from the samples.
func TestGRMCKVarianceFallsWithK(t *testing.T) {
	t.Parallel()
	const n, tau = 4000, 0.7
	logits := []float64{0.5, -1, 1.5, 0, -0.3}
	gD := []float64{1, -2, 0.5, 3, -1}
	const sample = 0
	c := len(logits)
	var x, d, g []float64
	for i := 0; i < n; i++ {
		x = append(x, logits...)
		g = append(g, gD...)
		row := make([]float64, c)
		row[sample] = 1
		d = append(d, row...)
	}
	grad := func(e reinmax.StraightThrough, seed int64, logits, onehot, gD *Node) *Node {
		hard, _ := e.Given(reinmax.NewStateSource(logits.Graph(), seed), logits, onehot)
		return Gradient(ReduceAllSum(Mul(hard, gD)), logits)[0]
	}
	outs, err := ExecOnceN(testutil.Backend(t), func(logits, onehot, gD *Node) []*Node {
		return []*Node{
			grad(reinmax.STGS{Tau: tau}, 1, logits, onehot, gD),
			grad(reinmax.GRMCK{Tau: tau, K: 1}, 1, logits, onehot, gD),
			grad(reinmax.GRMCK{Tau: tau, K: 16}, 2, logits, onehot, gD),
		}
	}, tensors.FromFlatDataAndDimensions(x, n, c), tensors.FromFlatDataAndDimensions(d, n, c),
		tensors.FromFlatDataAndDimensions(g, n, c))
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].DType() != dtypes.Float64 {
		t.Fatalf("gradient dtype %s, want Float64", outs[0].DType())
	}
	stgs := tensors.MustCopyFlatData[float64](outs[0])
	k1 := tensors.MustCopyFlatData[float64](outs[1])
	k16 := tensors.MustCopyFlatData[float64](outs[2])
	for i := range stgs {
		if stgs[i] != k1[i] {
			t.Fatalf("STGS.Given and GRMCK{K: 1}.Given with the same source differ: row %d, category %d: %v vs %v",
				i/c, i%c, stgs[i], k1[i])
		}
	}
	var var1, var16 float64
	for j := 0; j < c; j++ {
		m1, v1 := testutil.MeanVar(testutil.Column(k1, c, j))
		m16, v16 := testutil.MeanVar(testutil.Column(k16, c, j))
		var1 += v1
		var16 += v16
		if tol := 4 * math.Sqrt(v1/n+v16/n); !(math.Abs(m16-m1) <= tol) {
			t.Errorf("category %d: mean GR-MCK(16) gradient %.5f, mean STGS gradient %.5f, differ by more than %.5f",
				j, m16, m1, tol)
		}
	}
	ratio := var1 / var16
	t.Logf("total variance: K=1 %.5f, K=16 %.5f, ratio %.2f (theory 16)", var1, var16, ratio)
	if !(ratio > 8 && ratio < 32) {
		t.Errorf("variance ratio K=1 / K=16 = %.2f (%.5f / %.5f), want about 16, in (8, 32)", ratio, var1, var16)
	}
}
