package reinmax

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

// allEstimators returns one of each straight-through estimator, with temperatures below 1 where allowed (the harder
// case for overflow: θ/τ grows) and ReinMax at τ = 1.5.
func allEstimators() []StraightThrough {
	return []StraightThrough{
		ST{Tau: 0.5},
		STGS{Tau: 0.5},
		GumbelSoftmax{Tau: 0.5},
		GST{Tau: 0.5, Gap: 1},
		GST{Tau: 0.5, Adaptive: true},
		GRMCK{Tau: 0.5, K: 4},
		ReinMax{Tau: 1.5},
		ReinMaxAlpha{Tau: 1.5, Alpha: 0.5},
		ReinMaxAlpha{Alpha: 3},
		ReinMaxRao{Tau: 0.5, K: 4},
		ReinMaxCV{Tau: 1.5, K: 4, Eta: 0.7},
		DecoupledST{Tau: 0.5, TauForward: 0.3},
		DecoupledSTGS{Tau: 0.5, TauForward: 0.3},
		DecoupledSTGS{Tau: 0.7, TauForward: 4},
	}
}

// isOneHotEstimator reports whether e's hard output is one-hot (all but the relaxed Gumbel-Softmax).
func isOneHotEstimator(e StraightThrough) bool {
	_, relaxed := e.(GumbelSoftmax)
	return !relaxed
}

// estimatorOutputs builds, for every estimator, Sample and Given (with the one-hot d) and returns hard, soft and the
// gradient of ⟨hard, gD⟩ + ⟨soft, gP⟩ to logits, in that order, 6 nodes per estimator (Sample first).
func estimatorOutputs(src Source, ests []StraightThrough, logits, d, gD, gP *Node) []*Node {
	var res []*Node
	for _, e := range ests {
		for _, given := range []bool{false, true} {
			var hard, soft *Node
			if given {
				hard, soft = e.Given(src, logits, d)
			} else {
				hard, soft = e.Sample(src, logits)
			}
			loss := Add(ReduceAllSum(Mul(hard, gD)), ReduceAllSum(Mul(soft, gP)))
			res = append(res, hard, soft, Gradient(loss, logits)[0])
		}
	}
	return res
}

var (
	tinyUniform32 = float64(math.SmallestNonzeroFloat32) // 2⁻¹⁴⁹, a float32 denormal
	tinyUniform64 = math.SmallestNonzeroFloat64          // 2⁻¹⁰⁷⁴, a float64 denormal
	nearOne32     = 1 - math.Ldexp(1, -24)               // largest float32 below 1
	nearOne64     = 1 - math.Ldexp(1, -53)               // largest float64 below 1
)

// TestExtremeUniforms feeds every estimator's Sample and Given sources that return the smallest positive uniform, the
// largest uniform below 1, and a mix of both with ordinary values, and checks that hard, soft and the gradient are
// finite, in float32 and float64, and that one-hot estimators still return one-hot samples.
func TestExtremeUniforms(t *testing.T) {
	t.Parallel()
	sources := []fixedSource{
		{"tiny", []float64{tinyUniform32}, []float64{tinyUniform64}},
		{"nearOne", []float64{nearOne32}, []float64{nearOne64}},
		{"mix", []float64{tinyUniform32, nearOne32, 0.5, nearOne32, tinyUniform32, tinyUniform32, 0.3},
			[]float64{tinyUniform64, nearOne64, 0.5, nearOne64, tinyUniform64, tinyUniform64, 0.3}},
	}
	const n, c = 16, 5
	rng := rand.New(rand.NewPCG(17, 19))
	logits := uniforms(rng, n*c, -4, 4)
	copy(logits[:2*c], []float64{80, -80, 0, 1, -1, -80, 0, 80, 2, -3}) // large logits
	cats := make([]int, n)
	for i := range cats {
		cats[i] = rng.IntN(c)
	}
	// The rows with large logits are sampled at a probable category: improbable samples of large logits are the
	// subject of TestLargeAndMaskedLogits.
	cats[0], cats[1] = 0, 2
	gD, gP := normals(rng, n*c), normals(rng, n*c)
	ests := allEstimators()
	for _, src := range sources {
		for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
			t.Run(fmt.Sprintf("%s/%s", src.name, dtype), func(t *testing.T) {
				t.Parallel()
				outs := run(t, func(g *Graph, in []*Node) []*Node {
					return estimatorOutputs(src, ests, in[0], in[1], in[2], in[3])
				}, tensorOf(dtype, logits, n, c), tensorOf(dtype, oneHotRows(cats, c), n, c),
					tensorOf(dtype, gD, n, c), tensorOf(dtype, gP, n, c))
				for i, e := range ests {
					for m, method := range []string{"Sample", "Given"} {
						o := outs[6*i+3*m:]
						for k, what := range []string{"hard", "soft", "gradient"} {
							if j := allFinite(o[k]); j >= 0 {
								t.Errorf("%s.%s: %s[row %d, cat %d] = %v, want finite", e.Name(), method, what, j/c, j%c, o[k][j])
							}
						}
						if isOneHotEstimator(e) {
							countOneHotChecked(t, e.Name()+"."+method, o[0], c)
						}
					}
				}
			})
		}
	}
}

// countOneHotChecked reports (without stopping the test) rows of x that are not one-hot.
func countOneHotChecked(t *testing.T, name string, x []float64, c int) {
	t.Helper()
	for r := 0; r < len(x)/c; r++ {
		var ones, zeros int
		for _, v := range x[r*c : (r+1)*c] {
			switch v {
			case 0:
				zeros++
			case 1:
				ones++
			}
		}
		if ones != 1 || zeros != c-1 {
			t.Errorf("%s: hard row %d = %v, want one-hot", name, r, x[r*c:(r+1)*c])
			return
		}
	}
}

// TestLargeAndMaskedLogits checks every estimator on rows with large logits (±80, which overflow exp in float32, and
// ±800, which overflow it in float64) and masked categories (-Inf): the gradient and hard are finite everywhere,
// gradient, soft and hard are exactly 0 at masked categories, and masked categories are never sampled. Given is
// evaluated at every unmasked category of every row, including those whose probability underflows to 0 (e^-160 in
// float32, e^-1600 in both); Sample and Categorical on 500 copies of each row.
func TestLargeAndMaskedLogits(t *testing.T) {
	t.Parallel()
	inf := math.Inf(-1)
	base := [][]float64{
		{80, -80, 0, 1},
		{-80, 80, 0, inf},
		{inf, 0.5, inf, 2},
		{0, inf, 80, -80},
		{inf, inf, 3, -1},
		{-80, 0, inf, -80},
		{800, -800, inf, 0}, // underflows exp in float64 too
	}
	const c = 4
	rng := rand.New(rand.NewPCG(23, 29))
	ests := allEstimators()
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		t.Run(dtype.String(), func(t *testing.T) {
			t.Parallel()
			// Given rows: every (row, unmasked category) pair; Sample rows: 500 copies of each base row.
			var givenLogits, sampleLogits []float64
			var cats []int
			for _, row := range base {
				for s, v := range row {
					if !math.IsInf(v, -1) {
						givenLogits = append(givenLogits, row...)
						cats = append(cats, s)
					}
				}
				for i := 0; i < 500; i++ {
					sampleLogits = append(sampleLogits, row...)
				}
			}
			nG, nS := len(cats), len(sampleLogits)/c
			gD, gP := normals(rng, nG*c), normals(rng, nG*c)
			gDS, gPS := normals(rng, nS*c), normals(rng, nS*c)
			outs := run(t, func(g *Graph, in []*Node) []*Node {
				src := NewStateSource(g, 31)
				var res []*Node
				for _, e := range ests {
					hard, soft := e.Given(src, in[0], in[1])
					loss := Add(ReduceAllSum(Mul(hard, in[2])), ReduceAllSum(Mul(soft, in[3])))
					res = append(res, hard, soft, Gradient(loss, in[0])[0])
					hard, soft = e.Sample(src, in[4])
					loss = Add(ReduceAllSum(Mul(hard, in[5])), ReduceAllSum(Mul(soft, in[6])))
					res = append(res, hard, soft, Gradient(loss, in[4])[0])
				}
				return append(res, Categorical(src, in[4]))
			}, tensorOf(dtype, givenLogits, nG, c), tensorOf(dtype, oneHotRows(cats, c), nG, c),
				tensorOf(dtype, gD, nG, c), tensorOf(dtype, gP, nG, c),
				tensorOf(dtype, sampleLogits, nS, c), tensorOf(dtype, gDS, nS, c), tensorOf(dtype, gPS, nS, c))

			check := func(name string, logits, hard, soft, grad []float64, sampled bool) {
				for j := range logits {
					where := fmt.Sprintf("row %v, drawn sample, cat %d", logits[j/c*c:(j/c+1)*c], j%c)
					if !sampled {
						where = fmt.Sprintf("row %v, sample %d, cat %d", logits[j/c*c:(j/c+1)*c], cats[j/c], j%c)
					}
					if g := grad[j]; math.IsNaN(g) || math.IsInf(g, 0) {
						t.Errorf("%s: gradient = %v at %s, want finite", name, g, where)
						return
					}
					if h := hard[j]; math.IsNaN(h) || math.IsInf(h, 0) {
						t.Errorf("%s: hard = %v at %s, want finite", name, h, where)
						return
					}
					if math.IsInf(logits[j], -1) {
						if grad[j] != 0 || soft[j] != 0 || hard[j] != 0 {
							t.Errorf("%s: masked %s: gradient %v, soft %v, hard %v, want 0", name, where, grad[j], soft[j], hard[j])
							return
						}
					}
				}
			}
			for i, e := range ests {
				o := outs[6*i:]
				check(e.Name()+".Given", givenLogits, o[0], o[1], o[2], false)
				check(e.Name()+".Sample", sampleLogits, o[3], o[4], o[5], true)
			}
			cat := outs[len(outs)-1]
			for j, v := range sampleLogits {
				if math.IsInf(v, -1) && cat[j] != 0 {
					t.Fatalf("Categorical drew masked category %d of row %v", j%c, sampleLogits[j/c*c:(j/c+1)*c])
				}
			}
		})
	}
}
