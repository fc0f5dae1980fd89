package reinmax

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

// TestDecoupledAtTauForwardOne checks that the decoupled estimators with τ_f = 1 are ST and STGS at τ = τ_b, draw
// for draw: the same seed gives the same samples and bit-identical gradients.
func TestDecoupledAtTauForwardOne(t *testing.T) {
	t.Parallel()
	const n, c = 64, 5
	rng := rand.New(rand.NewPCG(31, 32))
	logits, g := uniforms(rng, n*c, -3, 3), normals(rng, n*c)
	pairs := []struct{ a, b StraightThrough }{
		{DecoupledST{Tau: 0.6, TauForward: 1}, ST{Tau: 0.6}},
		{DecoupledST{Tau: 2}, ST{Tau: 2}},
		{DecoupledSTGS{Tau: 0.4, TauForward: 1}, STGS{Tau: 0.4}},
	}
	out := run(t, func(gr *Graph, in []*Node) []*Node {
		var res []*Node
		for _, p := range pairs {
			for _, e := range []StraightThrough{p.a, p.b} {
				hard, _ := e.Sample(NewStateSource(gr, 5), in[0])
				res = append(res, hard, Gradient(ReduceAllSum(Mul(hard, in[1])), in[0])[0])
			}
		}
		return res
	}, tensorOf(dtypes.Float32, logits, n, c), tensorOf(dtypes.Float32, g, n, c))
	for i, p := range pairs {
		a, b := out[4*i:4*i+2], out[4*i+2:4*i+4]
		for k, what := range []string{"hard", "gradient"} {
			for j := range a[k] {
				if a[k][j] != b[k][j] {
					t.Errorf("%#v and %#v: %s[%d] = %v and %v, want identical", p.a, p.b, what, j, a[k][j], b[k][j])
					break
				}
			}
		}
	}
}

// TestDecoupledSampleLaw checks that the decoupled estimators sample D ~ Cat(testutil.Softmax(θ/τ_f)): over 20000 draws of one
// row the frequency of every category is within 5 binomial standard errors of testutil.Softmax(θ/τ_f), at τ_f = 0.5 and 2.5
// (where that law differs from Cat(softmax θ) by many standard errors, which the test also requires, so that it
// can tell a sample drawn at the wrong temperature).
func TestDecoupledSampleLaw(t *testing.T) {
	t.Parallel()
	const n = 20000
	row := []float64{0.8, -0.5, 0.2, math.Inf(-1), 1.1}
	c := len(row)
	var x []float64
	for range n {
		x = append(x, row...)
	}
	var ests []StraightThrough
	for _, tf := range []float64{0.5, 2.5} {
		ests = append(ests, DecoupledST{Tau: 0.7, TauForward: tf}, DecoupledSTGS{Tau: 0.7, TauForward: tf})
	}
	out := run(t, func(gr *Graph, in []*Node) []*Node {
		var res []*Node
		for i, e := range ests {
			hard, _ := e.Sample(NewStateSource(gr, int64(40+i)), in[0])
			res = append(res, ReduceSum(hard, 0))
		}
		return res
	}, tensorOf(dtypes.Float32, x, n, c))
	pi := testutil.Softmax(row)
	for i, e := range ests {
		tf := []float64{0.5, 2.5}[i/2]
		scaled := make([]float64, c)
		for j, v := range row {
			scaled[j] = v / tf
		}
		want := testutil.Softmax(scaled)
		var far float64 // the largest distance, in standard errors, between testutil.Softmax(θ/τ_f) and testutil.Softmax(θ)
		for j := range c {
			freq := out[i][j] / n
			se := math.Sqrt(want[j] * (1 - want[j]) / n)
			if !(math.Abs(freq-want[j]) <= 5*se) {
				t.Errorf("%#v: category %d drawn with frequency %.4f, testutil.Softmax(θ/τ_f) = %.4f ± %.4f", e, j, freq, want[j], se)
			}
			if se > 0 {
				far = max(far, math.Abs(pi[j]-want[j])/se)
			}
		}
		if !(far > 20) {
			t.Errorf("τ_f = %v: testutil.Softmax(θ/τ_f) is within %.1f standard errors of testutil.Softmax(θ): the test cannot tell them apart", tf, far)
		}
	}
	if t.Failed() {
		t.Logf("testutil.Softmax(θ) = %.4f", pi)
	}
}
