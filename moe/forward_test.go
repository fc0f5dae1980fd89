package moe_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/internal/testutil"
	"github.com/f60e9205/reinmax/moe"
)

// tanhExperts are E experts f_e(x) = tanh(x·A_e + b_e), with A (E, d, o) and b (E, o).
type tanhExperts struct {
	e, d, o int
	a, b    []float64
}

func newTanhExperts(rnd *rand.Rand, e, d, o int) tanhExperts {
	return tanhExperts{e, d, o, normalMatrix(rnd, e*d, o, 0, 0.7).v, normalMatrix(rnd, e, o, 0, 0.3).v}
}

// graph returns the experts as moe.Experts on the parameter nodes a and b.
func (te tanhExperts) graph(a, b *Node) moe.Experts {
	return func(x *Node) *Node {
		h := DotGeneral(x, []int{2}, []int{0}, a, []int{1}, []int{0}) // (E, n, o)
		return Tanh(Add(h, InsertAxes(b, 1)))
	}
}

// at returns f_e(x) in float64.
func (te tanhExperts) at(e int, x []float64) []float64 {
	out := make([]float64, te.o)
	for j := range te.o {
		s := te.b[e*te.o+j]
		for i := range te.d {
			s += x[i] * te.a[(e*te.d+i)*te.o+j]
		}
		out[j] = math.Tanh(s)
	}
	return out
}

func (te tanhExperts) tensors() (*tensors.Tensor, *tensors.Tensor) {
	return tensors.FromFlatDataAndDimensions(te.a, te.e, te.d, te.o), tensors.FromFlatDataAndDimensions(te.b, te.e, te.o)
}

// layer is a random test case: E tanh experts from dim to o, T tokens x ~ N(0, 1), router logits θ ~ N(mean, sd²),
// and the coefficients c ~ N(0, 1), shape (T, o), of losses such as Σ c⊙y.
type layer struct {
	te          tanhExperts
	x, theta, c matrix
}

func newLayer(seed uint64, tokens, experts, dim, o int, mean, sd float64) layer {
	rnd := rand.New(rand.NewPCG(19, seed))
	te := newTanhExperts(rnd, experts, dim, o)
	x := normalMatrix(rnd, tokens, dim, 0, 1)
	theta := normalMatrix(rnd, tokens, experts, mean, sd)
	return layer{te, x, theta, normalMatrix(rnd, tokens, o, 0, 1)}
}

// exec builds fn on the layer's logits, tokens, experts (with their parameters a and b) and c, and runs it.
func (l layer) exec(t *testing.T, fn func(theta, x, a, b, c *Node, experts moe.Experts) []*Node) []*tensors.Tensor {
	t.Helper()
	a, b := l.te.tensors()
	outs, err := ExecOnceN(testBackend(t), func(theta, x, a, b, c *Node) []*Node {
		return fn(theta, x, a, b, c, l.te.graph(a, b))
	}, l.theta.tensor(), l.x.tensor(), a, b, l.c.tensor())
	if err != nil {
		t.Fatal(err)
	}
	return outs
}

// forwarded is what Forward gave.
type forwarded struct {
	y, w, kept, load []float64
	dropped          float64
	choice           []int
}

func forward(t *testing.T, r moe.Router, theta, x matrix, te tanhExperts, seed int64) forwarded {
	t.Helper()
	a, b := te.tensors()
	outs, err := ExecOnceN(testBackend(t), func(theta, x, a, b *Node) []*Node {
		y, d := r.Forward(reinmax.NewStateSource(theta.Graph(), seed), theta, x, te.graph(a, b))
		return []*Node{y, d.Weights, d.Kept, d.Load, d.Dropped, d.Choice}
	}, theta.tensor(), x.tensor(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	return forwarded{y: flat(t, outs[0]), w: flat(t, outs[1]), kept: flat(t, outs[2]), load: flat(t, outs[3]),
		dropped: flat(t, outs[4])[0], choice: ints(t, outs[5])}
}

// TestForwardOneExpert checks that when every token is routed to one expert (its logit 30 above the others, no
// capacity limit), every method's output is that expert's output times its gate: π_j for the methods that gate by
// the softmax (1 − O(e⁻²⁵)), exactly 1 for SparseMixer, whose mask leaves that expert alone; the dense mixture
// differs from it by O(e⁻²⁵).
func TestForwardOneExpert(t *testing.T) {
	rnd := rand.New(rand.NewPCG(19, 3))
	const tokens, experts, dim = 12, 4, 5
	te := newTanhExperts(rnd, experts, dim, 3)
	x := normalMatrix(rnd, tokens, dim, 0, 1)
	for _, target := range []int{0, 2} {
		theta := normalMatrix(rnd, tokens, experts, 0, 1)
		for i := range tokens {
			theta.row(i)[target] += 30
		}
		for _, m := range moe.Methods() {
			t.Run(fmt.Sprintf("%s to expert %d", m, target), func(t *testing.T) {
				got := forward(t, moe.Router{Method: m, TopK: 1, Capacity: experts}, theta, x, te, 5)
				if got.dropped != 0 {
					t.Fatalf("%v assignments dropped, want 0", got.dropped)
				}
				for i := range tokens {
					gate := softmax(theta.row(i), nil)[target]
					if m == moe.SparseMixer || m == moe.SparseMixerV2 {
						gate = 1
					}
					f := te.at(target, x.row(i))
					want := make([]float64, len(f))
					for j := range f {
						want[j] = gate * f[j]
					}
					tol := 1e-12
					if m == moe.Dense {
						tol = 1e-10
					}
					checkNear(t, "y", got.y[i*3:(i+1)*3], want, tol)
					checkNear(t, "y vs the expert alone", got.y[i*3:(i+1)*3], f, 1e-10)
				}
			})
		}
	}
}

// simulateKept returns, for the choices (T, K), which assignments an expert of capacity c takes: all first choices
// in token order, then the second choices.
func simulateKept(choice []int, tokens, k, experts, c int) (kept []float64, load []float64, dropped int) {
	kept = make([]float64, tokens*k)
	load = make([]float64, experts)
	used := make([]int, experts)
	for j := range k {
		for i := range tokens {
			e := choice[i*k+j]
			load[e]++
			if used[e] < c {
				used[e]++
				kept[i*k+j] = 1
			} else {
				dropped++
			}
		}
	}
	return kept, load, dropped
}

// TestForwardCapacity checks, for every method and top-k it supports at capacity factors 0.5 and 1, that the
// assignments kept, the load and the number dropped are those of a first-come-first-served queue per expert of
// capacity min(T, ⌈c·K·T/E⌉) (first choices before second ones), and that the output is the sum over the kept
// assignments of gate times expert output.
func TestForwardCapacity(t *testing.T) {
	rnd := rand.New(rand.NewPCG(19, 4))
	const tokens, experts, dim, o = 20, 4, 3, 2
	te := newTanhExperts(rnd, experts, dim, o)
	x := normalMatrix(rnd, tokens, dim, 0, 1)
	theta := normalMatrix(rnd, tokens, experts, 1, 0.3)
	for i := range tokens / 2 { // crowd expert 1
		theta.row(i)[1] += 1
	}
	totalDropped := 0
	for _, m := range moe.Methods() {
		for _, k := range moe.SupportedTopK(m) {
			for _, cf := range []float64{0.5, 1} {
				r := moe.Router{Method: m, TopK: k, Capacity: cf, Jitter: 1}
				t.Run(fmt.Sprintf("%s top-%d capacity %v", m, k, cf), func(t *testing.T) {
					got := forward(t, r, theta, x, te, 11)
					c := r.ExpertCapacity(tokens, experts)
					if want := min(tokens, int(math.Ceil(cf*float64(k*tokens)/experts))); c != want {
						t.Fatalf("capacity %d, want %d", c, want)
					}
					kept, load, dropped := simulateKept(got.choice, tokens, k, experts, c)
					if m == moe.Dense {
						for i := range kept {
							kept[i] = 1
						}
						dropped = 0
					}
					checkNear(t, "kept", got.kept, kept, 0)
					checkNear(t, "load", got.load, load, 0)
					if got.dropped != float64(dropped) {
						t.Errorf("dropped %v, want %d", got.dropped, dropped)
					}
					totalDropped += dropped
					for i := range tokens {
						want := make([]float64, o)
						for e := range experts {
							w := got.w[i*experts+e]
							for j := range k {
								if got.choice[i*k+j] == e && kept[i*k+j] == 0 {
									w = 0 // dropped
								}
							}
							f := te.at(e, x.row(i))
							for j := range o {
								want[j] += w * f[j]
							}
						}
						checkNear(t, "y", got.y[i*o:(i+1)*o], want, 1e-12)
					}
				})
			}
		}
	}
	if totalDropped == 0 {
		t.Error("no assignment was dropped: the test checks no capacity")
	}
}

// TestForwardDropsExactly is a case counted by hand: 10 tokens, 2 experts, capacity factor 1 (5 tokens each); the
// first 8 tokens prefer expert 0, so tokens 5, 6 and 7 are dropped from it, and nothing else.
func TestForwardDropsExactly(t *testing.T) {
	rnd := rand.New(rand.NewPCG(19, 5))
	te := newTanhExperts(rnd, 2, 2, 2)
	x := normalMatrix(rnd, 10, 2, 0, 1)
	theta := matrix{10, 2, make([]float64, 20)}
	for i := range 10 {
		if i < 8 {
			theta.row(i)[0] = 1
		} else {
			theta.row(i)[1] = 1
		}
	}
	got := forward(t, moe.Router{Method: moe.Switch, TopK: 1, Capacity: 1}, theta, x, te, 1)
	if got.dropped != 3 {
		t.Errorf("dropped %v, want 3", got.dropped)
	}
	checkNear(t, "kept", got.kept, []float64{1, 1, 1, 1, 1, 0, 0, 0, 1, 1}, 0)
	checkNear(t, "load", got.load, []float64{8, 2}, 0)
	for _, i := range []int{5, 6, 7} {
		checkNear(t, fmt.Sprintf("output of dropped token %d", i), got.y[2*i:2*i+2], []float64{0, 0}, 0)
	}
}

// TestDispatchGradients checks the gathered dispatch of the methods that run only the chosen experts against a
// reference that runs every expert on every token and combines them with the same weights, zero where the
// assignment was dropped: the outputs and the gradients of L = Σ c⊙y + ½Σ y² with respect to the logits, the
// tokens and the experts' parameters must agree to rounding (float64), with and without dropped tokens.
func TestDispatchGradients(t *testing.T) {
	const tokens = 16
	l := newLayer(6, tokens, 4, 3, 2, 1, 0.1)
	for _, tc := range []struct {
		method string
		k      int
	}{{moe.Switch, 1}, {moe.Switch, 2}, {moe.SparseMixer, 1}, {moe.SparseMixerV2, 2}} {
		for _, cf := range []float64{0.5, 4} {
			t.Run(fmt.Sprintf("%s top-%d capacity %v", tc.method, tc.k, cf), func(t *testing.T) {
				r := moe.Router{Method: tc.method, TopK: tc.k, Capacity: cf}
				outs := l.exec(t, func(theta, x, a, b, c *Node, experts moe.Experts) []*Node {
					y, d := r.Forward(reinmax.NewStateSource(theta.Graph(), 2), theta, x, experts)
					// The reference: W with the dropped assignments zeroed, every expert on every token.
					var kept *Node
					for j := range tc.k {
						oh := OneHot(Squeeze(SliceAxis(d.Choice, -1, AxisElem(j)), -1), 4, theta.DType())
						kj := Mul(oh, SliceAxis(d.Kept, -1, AxisElem(j)))
						if kept == nil {
							kept = kj
						} else {
							kept = Add(kept, kj)
						}
					}
					dense := experts(BroadcastToDims(InsertAxes(x, 0), 4, tokens, 3))
					ref := ReduceSum(Mul(InsertAxes(Mul(d.Weights, kept), -1), Transpose(dense, 0, 1)), 1)
					loss := func(y *Node) *Node {
						return Add(ReduceAllSum(Mul(c, y)), MulScalar(ReduceAllSum(Mul(y, y)), 0.5))
					}
					got := Gradient(loss(y), theta, x, a, b)
					want := Gradient(loss(ref), theta, x, a, b)
					return append(append([]*Node{y, ref, d.Dropped}, got...), want...)
				})
				if cf < 1 && flat(t, outs[2])[0] == 0 {
					t.Fatal("nothing dropped at capacity 0.5")
				}
				checkNear(t, "y", flat(t, outs[0]), flat(t, outs[1]), 1e-12)
				for i, name := range []string{"dL/dθ", "dL/dx", "dL/dA", "dL/db"} {
					checkNear(t, name, flat(t, outs[3+i]), flat(t, outs[7+i]), 1e-12)
				}
			})
		}
	}
}

// TestDenseMixerIsDenseGradient checks that DenseMixer's router gradient is the dense mixture's: with a loss
// linear in the output (so that ∂L/∂y does not depend on the forward pass) and no capacity limit, the gradients
// with respect to the logits agree to rounding, top-1 and top-2; Switch's does not.
func TestDenseMixerIsDenseGradient(t *testing.T) {
	const experts = 3
	l := newLayer(7, 8, experts, 2, 2, 0, 1)
	grad := func(r moe.Router) []float64 {
		outs := l.exec(t, func(theta, x, _, _, c *Node, experts moe.Experts) []*Node {
			y, _ := r.Forward(reinmax.NewStateSource(theta.Graph(), 1), theta, x, experts)
			return []*Node{Gradient(ReduceAllSum(Mul(c, y)), theta)[0]}
		})
		return flat(t, outs[0])
	}
	dense := grad(moe.Router{Method: moe.Dense, TopK: 1, Capacity: 1})
	for _, k := range []int{1, 2} {
		checkNear(t, fmt.Sprintf("densemixer top-%d", k), grad(moe.Router{Method: moe.DenseMixer, TopK: k, Capacity: experts}), dense, 1e-12)
	}
	sw := grad(moe.Router{Method: moe.Switch, TopK: 1, Capacity: 1})
	differ := false
	for i := range sw {
		differ = differ || !near(sw[i], dense[i], 1e-6)
	}
	if !differ {
		t.Error("switch's router gradient equals the dense one: the comparison cannot tell them apart")
	}
}

// TestExpectedGradients checks each method's expected router gradient, by Monte Carlo over 20,000 tokens with the
// same logits routed by Route (every expert kept by SparseMixer's mask), against its closed form, for constant experts f_e = v_e
// and the quadratic loss L = Σ_t ½‖y_t − c‖². Along the gate of expert i the loss is ℓ_i(s) = ½‖s v_i − c‖², and
// the exact gradient of E_D[ℓ_D(π_D)] is J(π)a with a_i = ℓ_i(π_i) + π_i ℓ_i'(π_i). Then:
//
//	reinmax (τ = 1)   unbiased: Heun's rule is exact for a loss quadratic in the one-hot sample
//	sparsemixer       a_i = ℓ_i(π_i) − ℓ_i(0) + π_i ℓ_i'(π_i) for i ≠ argmax (the midpoint and the first-order rule,
//	                  each with probability ½, average to the exact a_i less the constant ℓ(0), which J(π) ignores),
//	                  a_top = 2 π ℓ'(π) at the argmax (first order only)
//	sparsemixer-v2    a_i = ℓ_i(π_i) − ℓ_i(0) for i ≠ argmax (Radau's rule is exact), a_top = π ℓ'(π): no gate term
//	st (τ = 1)        biased: a check that the test can tell an estimator's bias from noise
//
// Each component of the mean must lie within 5 standard errors of the closed form (NaN fails); for ST at least one
// must lie outside.
func TestExpectedGradients(t *testing.T) {
	const n, experts, dim = 20000, 4, 3
	row := []float64{0.3, -0.2, 0.1, 0.25}
	v := []float64{1, 0.5, -1, 0.2, 1.5, 0.3, -0.4, -0.8, 1, 0.7, 0.1, -0.6} // v_e = v[3e : 3e+3]
	cv := []float64{0.2, -0.5, 0.4}
	theta := matrix{n, experts, make([]float64, n*experts)}
	for i := range n {
		copy(theta.row(i), row)
	}
	pi := softmax(row, nil)
	ell := func(e int, s float64) (val, slope float64) { // ℓ_e(s) and ℓ_e'(s)
		for j := range dim {
			r := s*v[3*e+j] - cv[j]
			val += 0.5 * r * r
			slope += r * v[3*e+j]
		}
		return val, slope
	}
	top := argmax(row, nil)
	closed := map[string][]float64{}
	for _, method := range []string{"reinmax", moe.SparseMixer, moe.SparseMixerV2, "st"} {
		a := make([]float64, experts)
		for i := range experts {
			l, dl := ell(i, pi[i])
			l0, _ := ell(i, 0)
			switch {
			case method == moe.SparseMixer && i == top:
				a[i] = 2 * pi[i] * dl
			case method == moe.SparseMixerV2 && i == top:
				a[i] = pi[i] * dl
			case method == moe.SparseMixerV2:
				a[i] = l - l0
			case method == moe.SparseMixer: // ℓ(0) is the same for every expert (y = 0); the argmax's a lacks it
				a[i] = l - l0 + pi[i]*dl
			default:
				a[i] = l + pi[i]*dl
			}
		}
		closed[method] = jvp(pi, a)
	}
	for _, method := range []string{"reinmax", moe.SparseMixer, moe.SparseMixerV2, "st"} {
		t.Run(method, func(t *testing.T) {
			r := moe.Router{Method: method, TopK: 1, Capacity: experts, Jitter: 1e6}
			outs, err := ExecOnceN(testBackend(t), func(theta *Node) *Node {
				g := theta.Graph()
				// y_t = Σ_e w_{t,e} v_e, as Forward computes it without a capacity (Forward's dispatch of n tokens
				// would hold n² numbers per expert).
				d := r.Route(reinmax.NewStateSource(g, 9), theta)
				y := DotGeneral(d.Weights, []int{1}, nil, Reshape(Const(g, v), experts, dim), []int{0}, nil)
				res := Sub(y, Reshape(Const(g, cv), 1, dim))
				return Gradient(MulScalar(ReduceAllSum(Mul(res, res)), 0.5), theta)[0]
			}, theta.tensor())
			if err != nil {
				t.Fatal(err)
			}
			grads := flat(t, outs[0])
			outside := 0
			for e := range experts {
				mean, variance := testutil.MeanVar(testutil.Column(grads, experts, e))
				se := math.Sqrt(variance / n)
				ok := math.Abs(mean-closed[method][e]) <= 5*se
				if !ok {
					outside++
				}
				if method != "st" && !ok {
					t.Errorf("component %d: mean %.6f, closed form %.6f ± %.6f (5 s.e.)", e, mean, closed[method][e], 5*se)
				}
			}
			if method == "st" && outside == 0 {
				t.Error("straight-through's mean agrees with the exact gradient: the test cannot see a bias")
			}
		})
	}
}

// TestForwardBadExperts checks that experts returning the wrong shape are an error naming the shapes.
func TestForwardBadExperts(t *testing.T) {
	_, err := ExecOnceN(testBackend(t), func(g *Graph) *Node {
		logits := Zeros(g, matrix{4, 3, make([]float64, 12)}.tensor().Shape())
		y, _ := moe.Router{Method: moe.Switch, TopK: 1, Capacity: 1}.Forward(nil, logits, logits, func(x *Node) *Node {
			return ReduceSum(x, 0)
		})
		return y
	})
	if err == nil || !strings.Contains(err.Error(), "moe: experts returned shape") {
		t.Fatalf("error %v, want one about the experts' shape", err)
	}
}

// TestNonFinite counts NaN and infinite entries.
func TestNonFinite(t *testing.T) {
	out, err := ExecOnceN(testBackend(t), func(g *Graph) *Node {
		return moe.NonFinite(Const(g, []float64{1, math.NaN(), math.Inf(-1), 0, math.Inf(1)}))
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := flat(t, out[0])[0]; got != 3 {
		t.Fatalf("NonFinite = %v, want 3", got)
	}
}

// TestBalance checks the load-balancing loss E·Σ_e f_e P_e, f_e the fraction of the T·K assignments that go to
// expert e and P_e the mean router probability, and its gradient, which flows through P alone:
// ∂/∂θ_t = (E/T)·J(π_t) f.
func TestBalance(t *testing.T) {
	rnd := rand.New(rand.NewPCG(19, 8))
	const tokens, experts = 10, 4
	theta := normalMatrix(rnd, tokens, experts, 0, 1)
	for _, k := range []int{1, 2} {
		r := moe.Router{Method: moe.Switch, TopK: k, Capacity: 0.5}
		outs, err := ExecOnceN(testBackend(t), func(theta *Node) []*Node {
			x := Zeros(theta.Graph(), theta.Shape())
			_, d := r.Forward(nil, theta, x, func(x *Node) *Node { return x })
			return []*Node{d.Balance, Gradient(d.Balance, theta)[0], d.Choice}
		}, theta.tensor())
		if err != nil {
			t.Fatal(err)
		}
		choice := ints(t, outs[2])
		f, p := make([]float64, experts), make([]float64, experts)
		for i := range tokens {
			for j := range k {
				f[choice[i*k+j]] += 1 / float64(tokens*k)
			}
			for e, v := range softmax(theta.row(i), nil) {
				p[e] += v / tokens
			}
		}
		var want float64
		for e := range experts {
			want += experts * f[e] * p[e]
		}
		checkNear(t, fmt.Sprintf("top-%d balance", k), flat(t, outs[0]), []float64{want}, 1e-12)
		grad := flat(t, outs[1])
		for i := range tokens {
			g := jvp(softmax(theta.row(i), nil), f)
			for e := range g {
				g[e] *= experts / float64(tokens)
			}
			checkNear(t, fmt.Sprintf("top-%d balance gradient", k), grad[i*experts:(i+1)*experts], g, 1e-12)
		}
	}
}

// TestDroppedGradient checks the gradient of a dropped assignment with DenseMixer, whose router gradient J(π)G
// reads every expert: with the loss L = Σ c⊙y, g_{t,e} = ⟨c_t, f_e(x_t)⟩ for every expert except the dropped
// choice, where it is 0 (its weight is multiplied by 0), so ∂L/∂θ_t = J(π_t)g_t.
func TestDroppedGradient(t *testing.T) {
	const tokens, experts, o = 12, 3, 2
	l := newLayer(9, tokens, experts, 2, o, 0, 1)
	for i := range tokens { // most tokens prefer expert 0: some are dropped
		l.theta.row(i)[0] += 1.5
	}
	for _, k := range []int{1, 2} {
		r := moe.Router{Method: moe.DenseMixer, TopK: k, Capacity: 0.75}
		outs := l.exec(t, func(theta, x, _, _, c *Node, experts moe.Experts) []*Node {
			y, d := r.Forward(nil, theta, x, experts)
			return []*Node{Gradient(ReduceAllSum(Mul(c, y)), theta)[0], d.Choice, d.Kept, d.Dropped}
		})
		grad, choice, kept := flat(t, outs[0]), ints(t, outs[1]), flat(t, outs[2])
		if flat(t, outs[3])[0] == 0 {
			t.Fatalf("top-%d: nothing dropped", k)
		}
		for i := range tokens {
			g := make([]float64, experts)
			for e := range experts {
				f := l.te.at(e, l.x.row(i))
				for j := range o {
					g[e] += l.c.row(i)[j] * f[j]
				}
			}
			for j := range k {
				if kept[i*k+j] == 0 {
					g[choice[i*k+j]] = 0
				}
			}
			checkNear(t, fmt.Sprintf("top-%d token %d", k, i), grad[i*experts:(i+1)*experts], jvp(softmax(l.theta.row(i), nil), g), 1e-12)
		}
	}
}
