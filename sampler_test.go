package reinmax

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// chiSquare999 are the upper 0.1% points of the chi-square distribution with k degrees of freedom (standard tables,
// e.g. NIST/SEMATECH e-Handbook 1.3.6.7.4): a correct sampler fails with probability 0.001 at a given seed.
var chiSquare999 = map[int]float64{3: 16.266, 4: 18.467}

// chiSquare returns Σ (observed − expected)²/expected over the categories with positive probability.
func chiSquare(counts []int, probs []float64, n int) float64 {
	var x2 float64
	for j, p := range probs {
		if p > 0 {
			e := p * float64(n)
			x2 += (float64(counts[j]) - e) * (float64(counts[j]) - e) / e
		}
	}
	return x2
}

// countOneHot checks that every row of x (n rows of c) is one-hot and returns the count of each category.
func countOneHot(t *testing.T, name string, x []float64, c int) []int {
	t.Helper()
	counts := make([]int, c)
	for r := 0; r < len(x)/c; r++ {
		ones, cat := 0, -1
		for j := 0; j < c; j++ {
			switch x[r*c+j] {
			case 1:
				ones++
				cat = j
			case 0:
			default:
				t.Fatalf("%s: row %d = %v is not one-hot", name, r, x[r*c:(r+1)*c])
			}
		}
		if ones != 1 {
			t.Fatalf("%s: row %d = %v is not one-hot", name, r, x[r*c:(r+1)*c])
		}
		counts[cat]++
	}
	return counts
}

// TestSamplersLaw checks that Categorical and the hard outputs of STGS.Sample and ReinMax.Sample are draws of
// Cat(softmax θ): 20000 rows of the same 5 logits, chi-square goodness of fit with 4 degrees of freedom, critical value
// 18.467 (level 0.001), for float32 and float64. A masked category (logit -Inf) is never drawn (3 degrees of freedom
// on the rest, critical value 16.266).
func TestSamplersLaw(t *testing.T) {
	t.Parallel()
	const n = 20000
	for _, tc := range []struct {
		name   string
		logits []float64
	}{
		{"finite", []float64{1.0, -0.5, 0.3, 2.0, -1.2}},
		{"masked", []float64{1.0, math.Inf(-1), 0.3, 2.0, -1.2}},
	} {
		probs := testutil.Softmax(tc.logits)
		c := len(tc.logits)
		dof := 0
		for _, p := range probs {
			if p > 0 {
				dof++
			}
		}
		dof--
		for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
			t.Run(fmt.Sprintf("%s/%s", tc.name, dtype), func(t *testing.T) {
				t.Parallel()
				rows := make([]float64, 0, n*c)
				for i := 0; i < n; i++ {
					rows = append(rows, tc.logits...)
				}
				outs := run(t, func(g *Graph, in []*Node) []*Node {
					src := NewStateSource(g, 7)
					stgs, _ := STGS{Tau: 0.5}.Sample(src, in[0])
					rm, _ := ReinMax{Tau: 1.3}.Sample(src, in[0])
					return []*Node{Categorical(src, in[0]), stgs, rm}
				}, tensorOf(dtype, rows, n, c))
				for i, name := range []string{"Categorical", "STGS.Sample", "ReinMax.Sample"} {
					counts := countOneHot(t, name, outs[i], c)
					for j, p := range probs {
						if p == 0 && counts[j] != 0 {
							t.Errorf("%s: masked category %d drawn %d times", name, j, counts[j])
						}
					}
					x2 := chiSquare(counts, probs, n)
					t.Logf("%s: chi-square %.2f (%d dof) %v", name, x2, dof, counts)
					if !(x2 <= chiSquare999[dof]) {
						t.Errorf("%s: chi-square = %.2f with %d dof, want <= %.3f (counts %v, probabilities %.4f)",
							name, x2, dof, chiSquare999[dof], counts, probs)
					}
				}
			})
		}
	}
}

// TestConditionalGumbelArgMax checks that the argmax of every conditional Gumbel draw is the category of the one-hot
// it is conditioned on, whatever that category's probability. In float64 the maximum is strict; in float32,
// z_j = −logaddexp(log E_j − θ_j, log E_s − log Z) may round to z_s, so there the check is z_j <= z_s.
func TestConditionalGumbelArgMax(t *testing.T) {
	t.Parallel()
	const n, c, k = 500, 6, 8
	rng := rand.New(rand.NewPCG(3, 4))
	logits := uniforms(rng, n*c, -5, 5)
	for i := 0; i < 10; i++ { // a few rows with large logits
		logits[rng.IntN(n*c)] = 80
		logits[rng.IntN(n*c)] = -80
	}
	cats := make([]int, n)
	for i := range cats {
		cats[i] = rng.IntN(c)
	}
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		t.Run(dtype.String(), func(t *testing.T) {
			t.Parallel()
			z := run(t, func(g *Graph, in []*Node) []*Node {
				return []*Node{conditionalGumbel(NewStateSource(g, 11), in[0], in[1], k)}
			}, tensorOf(dtype, logits, n, c), tensorOf(dtype, oneHotRows(cats, c), n, c))[0]
			if i := allFinite(z); i >= 0 {
				t.Fatalf("z[%d] = %v, want finite", i, z[i])
			}
			for r := 0; r < k*n; r++ {
				row, s := z[r*c:(r+1)*c], cats[r%n]
				for j, v := range row {
					if j == s {
						continue
					}
					if !(v < row[s] || (dtype == dtypes.Float32 && v <= row[s])) {
						t.Fatalf("draw %d, row %d: z = %v, conditioned on category %d but z[%d] is not below z[%d]",
							r/n, r%n, row, s, j, s)
					}
				}
			}
		})
	}
}

// TestConditionalGumbelMarginal checks that, averaged over D ~ Cat(softmax θ), the conditional Gumbels have the law
// of the unconditional θ + G: the means of z_j, of testutil.Softmax(z)_j and of max z agree with those of θ + G drawn
// independently, and with the exact E[z_j] = θ_j + γ and E[max z] = logsumexp(θ) + γ (γ the Euler-Mascheroni
// constant). Tolerances are 4 standard errors estimated from the samples.
func TestConditionalGumbelMarginal(t *testing.T) {
	t.Parallel()
	const n = 40000
	logits := []float64{1.0, -0.5, 0.3, 2.0, -1.2}
	c := len(logits)
	rows := make([]float64, 0, n*c)
	for i := 0; i < n; i++ {
		rows = append(rows, logits...)
	}
	outs := run(t, func(g *Graph, in []*Node) []*Node {
		theta := in[0]
		src := NewStateSource(g, 5)
		d := Categorical(src, theta)
		cond := Squeeze(conditionalGumbel(src, theta, d, 1), 0)
		u := src.Uniform(g, theta.Shape())
		uncond := Sub(theta, Log(Neg(Log(u))))
		return []*Node{cond, uncond, Softmax(cond, -1), Softmax(uncond, -1),
			ReduceMax(cond, -1), ReduceMax(uncond, -1)}
	}, tensorOf(dtypes.Float64, rows, n, c))
	cond, uncond, softCond, softUncond, maxCond, maxUncond := outs[0], outs[1], outs[2], outs[3], outs[4], outs[5]

	var lse float64
	for _, p := range logits {
		lse += math.Exp(p)
	}
	lse = math.Log(lse)
	check := func(what string, a, b []float64, exact float64) {
		ma, va := testutil.MeanVar(a)
		mb, vb := testutil.MeanVar(b)
		if tol := 4 * math.Sqrt(va/n+vb/n); !(math.Abs(ma-mb) <= tol) {
			t.Errorf("%s: conditional mean %.4f, unconditional %.4f, differ by more than %.4f", what, ma, mb, tol)
		}
		if !math.IsNaN(exact) {
			if tol := 4 * math.Sqrt(va/n); !(math.Abs(ma-exact) <= tol) {
				t.Errorf("%s: conditional mean %.4f, exact %.4f, differ by more than %.4f", what, ma, exact, tol)
			}
		}
	}
	for j := 0; j < c; j++ {
		check(fmt.Sprintf("z[%d]", j), testutil.Column(cond, c, j), testutil.Column(uncond, c, j), logits[j]+eulerGamma)
		check(fmt.Sprintf("testutil.Softmax(z)[%d]", j), testutil.Column(softCond, c, j), testutil.Column(softUncond, c, j), math.NaN())
	}
	check("max z", maxCond, maxUncond, lse+eulerGamma)
}

// eulerGamma is the Euler-Mascheroni constant, the mean of the standard Gumbel distribution.
const eulerGamma = 0.57721566490153286

// TestStateSourceOpenInterval draws 10⁶ uniforms of each dtype from NewStateSource and checks that they lie strictly
// inside (0, 1) and that their mean is 1/2 within 4 standard errors (σ² = 1/12); and that openInterval maps the
// extreme values of GoMLX's RandomUniform, 0 and the largest float below 1, inside (0, 1).
func TestStateSourceOpenInterval(t *testing.T) {
	t.Parallel()
	const n = 1000000
	outs := run(t, func(g *Graph, _ []*Node) []*Node {
		src := NewStateSource(g, 13)
		var res []*Node
		for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
			u := ConvertDType(src.Uniform(g, shapes.Make(dtype, n)), dtypes.Float64)
			res = append(res, ReduceAllMin(u), ReduceAllMax(u), ReduceAllMean(u))
		}
		return append(res,
			openInterval(Const(g, []float32{0, math.Nextafter32(1, 0)})),
			openInterval(Const(g, []float64{0, math.Nextafter(1, 0)})))
	})
	for i, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		lo, hi, mean := outs[3*i][0], outs[3*i+1][0], outs[3*i+2][0]
		// GoMLX's extreme uniforms, 0 and the largest value below 1, mapped by openInterval: a random draw of 10⁶
		// rarely hits them.
		ext := outs[6+i]
		if !(ext[0] > 0) || !(ext[1] < 1) {
			t.Errorf("%s: openInterval maps 0 to %g and 1-ulp to 1-%g, want inside (0, 1)", dtype, ext[0], 1-ext[1])
		}
		if !(lo > 0) || !(hi < 1) {
			t.Errorf("%s: uniforms span [%g, 1-%g], want inside (0, 1)", dtype, lo, 1-hi)
		}
		if tol := 4 * math.Sqrt(1.0/12/n); !(math.Abs(mean-0.5) <= tol) {
			t.Errorf("%s: mean of %d uniforms = %.5f, want 0.5 ± %.5f", dtype, n, mean, tol)
		}
	}
}
