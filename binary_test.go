package reinmax

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/f60e9205/reinmax/internal/testutil"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// binaryEstimators returns one of each estimator with a Bernoulli form, with parameters drawn from rng in their
// ranges; the Gumbel-based ones (whose gradient depends on their noise) come last, from index 4.
func binaryEstimators(rng *rand.Rand) []StraightThrough {
	tau := func() float64 { return math.Exp(math.Log(0.25) + rng.Float64()*math.Log(3/0.25)) }
	return []StraightThrough{
		ST{Tau: tau()},
		ReinMax{Tau: 1 + 2*rng.Float64()},
		ReinMaxAlpha{Tau: 1 + 2*rng.Float64(), Alpha: 0.5 + 2.5*rng.Float64()},
		DecoupledST{Tau: tau(), TauForward: tau()},
		STGS{Tau: tau()},
		DecoupledSTGS{Tau: tau(), TauForward: tau()},
	}
}

// twoCategory returns the logits (α, 0) and the one-hot (b, 1 − b) of the categorical form.
func twoCategory(alpha, bits *Node) (theta, onehot *Node) {
	return Concatenate([]*Node{InsertAxes(alpha, -1), InsertAxes(ZerosLike(alpha), -1)}, -1),
		Concatenate([]*Node{InsertAxes(bits, -1), InsertAxes(OneMinus(bits), -1)}, -1)
}

// first returns x[..., 0] of a two-category tensor.
func first(x *Node) *Node { return Squeeze(SliceAxis(x, -1, AxisElem(0)), -1) }

// TestBinaryEqualsTwoCategory compares, on random logits, bits, parameters and upstream gradients, every Bernoulli
// form given b with its categorical form given D = (b, 1 − b) at logits (α, 0): hard (exactly), soft and the gradient
// of L = ⟨hard, g_b⟩ + ⟨soft, g_s⟩ to α. For the Gumbel-based estimators the categorical side is
// relaxedJacobian at the perturbation (Δ, 0), with Δ computed here in float64 from the uniforms a fixed source feeds
// the Bernoulli form, by the formula of conditionalPerturbed's doc comment. Logits include ±30 and −Inf (b = 0).
// Tolerances: the categorical J(p)·v subtracts p₀v₀ − p₀²v₀, so both sides agree to rounding relative to
// |g_b| + |g_s|: 2e-6 in float32, 1e-13 in float64.
func TestBinaryEqualsTwoCategory(t *testing.T) {
	t.Parallel()
	const n = 64
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		t.Run(dtype.String(), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(51, uint64(dtype)))
			alpha := uniforms(rng, n, -4, 4)
			alpha[0], alpha[1], alpha[2] = 30, -30, math.Inf(-1)
			bits := make([]float64, n)
			for i := range bits {
				if rng.Float64() < 0.5 && !math.IsInf(alpha[i], -1) {
					bits[i] = 1
				}
			}
			v := uniforms(rng, n, 0.01, 0.99) // the conditional uniforms of the Gumbel-based forms
			src := fixedSource{"v", v, v}
			gb, gs := normals(rng, n), normals(rng, n)
			ests := binaryEstimators(rng)
			outs := run(t, func(g *Graph, in []*Node) []*Node {
				a, b, gB, gS := in[0], in[1], in[2], in[3]
				var res []*Node
				for i, e := range ests {
					hard, soft := e.(Binary).GivenBinary(src, Bernoulli, a, b)
					lossB := Add(ReduceAllSum(Mul(hard, gB)), ReduceAllSum(Mul(soft, gS)))
					theta, d := twoCategory(a, b)
					var hardC, softC *Node
					if i < 4 {
						hardC, softC = e.Given(src, theta, d)
					} else {
						// The perturbation Δ of the Bernoulli form, rebuilt in float64 by the test (in[4+i-4]).
						z := Concatenate([]*Node{InsertAxes(in[4+i-4], -1), InsertAxes(ZerosLike(a), -1)}, -1)
						hardC, softC = relaxedJacobian(finite(theta), d, z, decoupledTau(e)), Softmax(theta, -1)
					}
					lossC := Add(ReduceAllSum(Mul(first(hardC), gB)), ReduceAllSum(Mul(first(softC), gS)))
					res = append(res, hard, first(hardC), soft, first(softC), Gradient(lossB, a)[0], Gradient(lossC, a)[0])
				}
				return res
			}, tensorOf(dtype, alpha, n), tensorOf(dtype, bits, n), tensorOf(dtype, gb, n), tensorOf(dtype, gs, n),
				tensorOf(dtype, deltas(alpha, bits, v, tauForward(ests[4])), n),
				tensorOf(dtype, deltas(alpha, bits, v, tauForward(ests[5])), n))
			tol := 2e-6
			if dtype == dtypes.Float64 {
				tol = 1e-13
			}
			for i, e := range ests {
				o := outs[6*i:]
				for j := range n {
					scale := math.Abs(gb[j]) + math.Abs(gs[j])
					where := fmt.Sprintf("%#v, α = %v, b = %v", e, alpha[j], bits[j])
					switch {
					case o[0][j] != o[1][j]:
						t.Errorf("%s: hard %v, categorical %v", where, o[0][j], o[1][j])
					case !(math.Abs(o[2][j]-o[3][j]) <= tol):
						t.Errorf("%s: soft %v, categorical %v", where, o[2][j], o[3][j])
					case !(math.Abs(o[4][j]-o[5][j]) <= tol*scale):
						t.Errorf("%s: gradient %.12g, categorical %.12g", where, o[4][j], o[5][j])
					default:
						continue
					}
					break
				}
			}
		})
	}
}

// decoupledTau returns τ_b of STGS or DecoupledSTGS.
func decoupledTau(e StraightThrough) float64 {
	switch e := e.(type) {
	case STGS:
		return e.tau()
	case DecoupledSTGS:
		return cmp.Or(e.Tau, 1)
	}
	panic("decoupledTau: not a Gumbel-based estimator")
}

// tauForward returns τ_f of DecoupledSTGS, 1 for STGS.
func tauForward(e StraightThrough) float64 {
	if d, ok := e.(DecoupledSTGS); ok {
		return cmp.Or(d.TauForward, 1)
	}
	return 1
}

// deltas returns Δ = α − τ_f·logit(u) with u = v·σ(α/τ_f) for b = 1 and u = 1 − v·σ(−α/τ_f) for b = 0, in float64.
func deltas(alpha, bits, v []float64, tf float64) []float64 {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	d := make([]float64, len(alpha))
	for i, a := range alpha {
		var u, w float64 // u and 1 − u
		if bits[i] == 1 {
			u = v[i] * sig(a/tf)
			w = 1 - u
		} else {
			w = v[i] * sig(-a/tf)
			u = 1 - w
		}
		d[i] = a - tf*math.Log(u/w)
	}
	return d
}

// TestBinarySampleLaw checks that SampleBinary draws b ~ Bernoulli(σ(α/τ_f)) (τ_f = 1 but for the decoupled forms):
// over 20000 draws the frequency of b = 1 is within 5 binomial standard errors of it, for α = 0.7 and −1.5.
func TestBinarySampleLaw(t *testing.T) {
	t.Parallel()
	const n = 20000
	ests := []StraightThrough{ST{}, STGS{Tau: 0.5}, ReinMax{Tau: 1.3}, ReinMaxAlpha{Alpha: 2},
		DecoupledST{TauForward: 0.5}, DecoupledSTGS{Tau: 0.5, TauForward: 2.5}}
	for _, alpha := range []float64{0.7, -1.5} {
		x := repeated(alpha, n)
		outs := run(t, func(g *Graph, in []*Node) []*Node {
			var res []*Node
			for i, e := range ests {
				hard, _ := e.(Binary).SampleBinary(NewStateSource(g, int64(60+i)), Bernoulli, in[0])
				res = append(res, ReduceAllSum(hard))
			}
			return res
		}, tensorOf(dtypes.Float32, x, n))
		for i, e := range ests {
			p := 1 / (1 + math.Exp(-alpha/tauForward2(e)))
			freq, se := outs[i][0]/n, math.Sqrt(p*(1-p)/n)
			if !(math.Abs(freq-p) <= 5*se) {
				t.Errorf("%#v at α = %v: b = 1 with frequency %.4f, want σ(α/τ_f) = %.4f ± %.4f", e, alpha, freq, p, se)
			}
		}
	}
}

// repeated returns n copies of v.
func repeated(v float64, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = v
	}
	return x
}

// tauForward2 returns τ_f of either decoupled estimator, 1 for the others.
func tauForward2(e StraightThrough) float64 {
	switch e := e.(type) {
	case DecoupledST:
		return cmp.Or(e.TauForward, 1)
	case DecoupledSTGS:
		return cmp.Or(e.TauForward, 1)
	}
	return 1
}

// TestBinaryGumbelLaw checks the logistic noise of the Gumbel-based Bernoulli forms against the categorical forms'
// pair of Gumbels: the mean gradient to α of Σ (hard − 0.3)² over 40000 draws of SampleBinary, of GivenBinary at
// b ~ Bernoulli(σ(α/τ_f)), and of the categorical Sample at logits (α, 0) agree within 5 standard errors of their
// difference. The loss's gradient 2(b − 0.3) depends on b, so that the mean sees the coupling of the noise with the
// sample and not only its law (σ' is even: a perturbation of the wrong sign would give the same gradient for a
// loss linear in b).
func TestBinaryGumbelLaw(t *testing.T) {
	t.Parallel()
	const n = 40000
	const alpha = 0.7
	ests := []StraightThrough{STGS{Tau: 0.5}, DecoupledSTGS{Tau: 0.8, TauForward: 1.8}}
	x := repeated(alpha, n)
	outs := run(t, func(g *Graph, in []*Node) []*Node {
		var res []*Node
		for i, e := range ests {
			src := NewStateSource(g, int64(70+i))
			loss := func(hard *Node) *Node { return ReduceAllSum(Square(AddScalar(hard, -0.3))) }
			hard, _ := e.(Binary).SampleBinary(src, Bernoulli, in[0])
			res = append(res, Gradient(loss(hard), in[0])[0])
			bits, _ := bernoulliBits(src, in[0], tauForward2(e))
			hard, _ = e.(Binary).GivenBinary(src, Bernoulli, in[0], bits)
			res = append(res, Gradient(loss(hard), in[0])[0])
			theta, _ := twoCategory(in[0], in[0])
			hardC, _ := e.Sample(src, theta)
			res = append(res, Gradient(loss(first(hardC)), in[0])[0])
		}
		return res
	}, tensorOf(dtypes.Float64, x, n))
	for i, e := range ests {
		mS, vS := testutil.MeanVar(outs[3*i])
		mG, vG := testutil.MeanVar(outs[3*i+1])
		mC, vC := testutil.MeanVar(outs[3*i+2])
		t.Logf("%#v: mean gradient Sample %.5f, Given %.5f, categorical %.5f", e, mS, mG, mC)
		for _, pair := range [][4]float64{{mS, vS, mC, vC}, {mG, vG, mC, vC}} {
			if tol := 5 * math.Sqrt((pair[1]+pair[3])/n); !(math.Abs(pair[0]-pair[2]) <= tol) {
				t.Errorf("%#v: mean gradient %.5f, categorical %.5f, differ by more than %.5f", e, pair[0], pair[2], tol)
			}
		}
	}
}

// TestBinaryErrors checks the errors of the Bernoulli forms: categorical latents, integer logits and bits of the
// wrong shape panic naming the estimator; NewBinary names the estimators that have no Bernoulli form and the
// parameter out of range.
func TestBinaryErrors(t *testing.T) {
	t.Parallel()
	g := NewGraph(testutil.Backend(t), "binary errors")
	defer g.Finalize()
	logits := Parameter(g, "logits", shapes.Make(dtypes.Float32, 3, 4))
	ints := Parameter(g, "ints", shapes.Make(dtypes.Int32, 3, 4))
	wrong := Parameter(g, "wrong", shapes.Make(dtypes.Float32, 3, 5))
	src := NewStateSource(g, 1)
	for _, e := range binaryEstimators(rand.New(rand.NewPCG(1, 2))) {
		b := e.(Binary)
		for _, tc := range []struct {
			what string
			f    func()
			want string
		}{
			{"categorical latent", func() { b.SampleBinary(src, OneHotCategorical, logits) }, "Bernoulli logits (..., L)"},
			{"categorical latent, Given", func() { b.GivenBinary(src, OneHotCategorical, logits, logits) }, "categorical logits"},
			{"integer logits", func() { b.SampleBinary(src, Bernoulli, ints) }, "float"},
			{"bits of the wrong shape", func() { b.GivenBinary(src, Bernoulli, logits, wrong) }, "shape"},
		} {
			msg := recoveredMsg(tc.f)
			if !strings.Contains(msg, "reinmax: "+e.Name()+":") || !strings.Contains(msg, tc.want) {
				t.Errorf("%s, %s: panic %q, want it to name %s and say %q", e.Name(), tc.what, msg, e.Name(), tc.want)
			}
		}
	}
	for _, name := range Names(StraightThroughFamily) {
		spec, _ := Lookup(name)
		_, err := NewBinary(name, Params{})
		if spec.Bernoulli != (err == nil) {
			t.Errorf("NewBinary(%q): error %v, but Spec.Bernoulli = %v", name, err, spec.Bernoulli)
		}
		if err != nil && (!strings.Contains(err.Error(), "no Bernoulli form") || !strings.Contains(err.Error(), "reinmax-alpha")) {
			t.Errorf("NewBinary(%q): error %q, want it to say there is no Bernoulli form and list those that have one", name, err)
		}
	}
	if _, err := NewBinary("reinmax-alpha", Params{Alpha: 0.2}); err == nil || !strings.Contains(err.Error(), "alpha") {
		t.Errorf("NewBinary(reinmax-alpha, alpha 0.2): error %v, want one naming alpha", err)
	}
	if _, err := NewBinary("rloo", Params{}); err == nil {
		t.Error("NewBinary(rloo): no error")
	}
}

// TestBinaryExtremes checks the Bernoulli forms at logits of ±Inf and ±80 and with uniforms at the ends of (0, 1):
// hard, soft and the gradient are finite, b is 1 at +Inf and 0 at −Inf, and the gradient is 0 at ±Inf.
func TestBinaryExtremes(t *testing.T) {
	t.Parallel()
	alpha := []float64{math.Inf(1), math.Inf(-1), 80, -80, 0.3, -0.3}
	bits := []float64{1, 0, 1, 1, 0, 1}
	gb := []float64{1.5, -2, 0.5, 1, -1, 2}
	for _, src := range []fixedSource{
		{"tiny", []float64{tinyUniform32}, []float64{tinyUniform64}},
		{"nearOne", []float64{nearOne32}, []float64{nearOne64}},
	} {
		for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
			ests := binaryEstimators(rand.New(rand.NewPCG(3, 4)))
			outs := run(t, func(g *Graph, in []*Node) []*Node {
				var res []*Node
				for _, e := range ests {
					for _, given := range []bool{false, true} {
						var hard, soft *Node
						if given {
							hard, soft = e.(Binary).GivenBinary(src, Bernoulli, in[0], in[1])
						} else {
							hard, soft = e.(Binary).SampleBinary(src, Bernoulli, in[0])
						}
						loss := Add(ReduceAllSum(Mul(hard, in[2])), ReduceAllSum(Mul(soft, in[2])))
						res = append(res, hard, soft, Gradient(loss, in[0])[0])
					}
				}
				return res
			}, tensorOf(dtype, alpha, len(alpha)), tensorOf(dtype, bits, len(bits)), tensorOf(dtype, gb, len(gb)))
			for i, e := range ests {
				for m, method := range []string{"SampleBinary", "GivenBinary"} {
					o := outs[6*i+3*m:]
					where := fmt.Sprintf("%s/%s: %#v.%s", src.name, dtype, e, method)
					for k, what := range []string{"hard", "soft", "gradient"} {
						if j := allFinite(o[k]); j >= 0 {
							t.Errorf("%s: %s[%d] = %v at α = %v, want finite", where, what, j, o[k][j], alpha[j])
						}
					}
					if o[0][0] != 1 || o[0][1] != 0 || o[2][0] != 0 || o[2][1] != 0 {
						t.Errorf("%s: at α = ±Inf hard = %v, %v and gradient %v, %v; want 1, 0 and 0, 0", where, o[0][0], o[0][1], o[2][0], o[2][1])
					}
				}
			}
		}
	}
}
