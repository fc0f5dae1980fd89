package moe_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/moe"
	"github.com/f60e9205/reinmax/oracle"
)

// TestValidate checks the one-line errors of bad settings, and that good ones pass.
func TestValidate(t *testing.T) {
	ok := moe.Router{Method: moe.Switch, TopK: 1, Capacity: 1.25}
	with := func(f func(*moe.Router)) moe.Router { r := ok; f(&r); return r }
	for _, tc := range []struct {
		name    string
		r       moe.Router
		experts int
		want    string // "" for valid
	}{
		{"switch top-1", ok, 4, ""},
		{"switch top-2", with(func(r *moe.Router) { r.TopK = 2 }), 2, ""},
		{"sparsemixer-v2 top-2", with(func(r *moe.Router) { r.Method, r.TopK = moe.SparseMixerV2, 2 }), 4, ""},
		{"reinmax tau 1.5", with(func(r *moe.Router) { r.Method, r.Estimator.Tau = "reinmax", 1.5 }), 4, ""},
		{"one expert", ok, 1, "1 experts, want at least 2"},
		{"k > E", with(func(r *moe.Router) { r.TopK = 2 }), 1, "at least 2"},
		{"top-3", with(func(r *moe.Router) { r.TopK = 3 }), 4, "top-3 routing, want top-1 or top-2"},
		{"top-0", with(func(r *moe.Router) { r.TopK = 0 }), 4, "top-0 routing"},
		{"zero capacity", with(func(r *moe.Router) { r.Capacity = 0 }), 4, "capacity factor 0, want a finite number > 0"},
		{"negative capacity", with(func(r *moe.Router) { r.Capacity = -1 }), 4, "capacity factor -1"},
		{"NaN capacity", with(func(r *moe.Router) { r.Capacity = math.NaN() }), 4, "capacity factor NaN"},
		{"infinite capacity", with(func(r *moe.Router) { r.Capacity = math.Inf(1) }), 4, "capacity factor +Inf"},
		{"st top-2", with(func(r *moe.Router) { r.Method, r.TopK = "st", 2 }), 4, "st does not support top-2"},
		{"sparsemixer top-2", with(func(r *moe.Router) { r.Method, r.TopK = moe.SparseMixer, 2 }), 4, "sparsemixer does not support top-2"},
		{"dense top-2", with(func(r *moe.Router) { r.Method, r.TopK = moe.Dense, 2 }), 4, "dense does not support top-2"},
		{"relaxed estimator", with(func(r *moe.Router) { r.Method = "gumbel-softmax" }), 4, `unknown routing method "gumbel-softmax"`},
		{"score function", with(func(r *moe.Router) { r.Method = "reinforce" }), 4, `unknown routing method "reinforce"`},
		{"reinmax tau < 1", with(func(r *moe.Router) { r.Method, r.Estimator.Tau = "reinmax", 0.5 }), 4, "tau = 0.5, want tau >= 1"},
		{"negative jitter", with(func(r *moe.Router) { r.Method, r.Jitter = moe.SparseMixer, -0.1 }), 4, "jitter -0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.r.Validate(tc.experts)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v, want nil", err)
			case tc.want == "":
				return
			case err == nil:
				t.Fatalf("Validate: nil, want an error containing %q", tc.want)
			case !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "moe: "):
				t.Fatalf("Validate: %q, want one line starting with \"moe: \" and containing %q", err, tc.want)
			}
		})
	}
}

// TestMethods checks the list of methods: the five of the package, then every one-hot straight-through
// estimator of the registry; and which of them take top-2.
func TestMethods(t *testing.T) {
	ms := moe.Methods()
	if !slices.Equal(ms[:5], []string{"switch", "densemixer", "dense", "sparsemixer", "sparsemixer-v2"}) {
		t.Errorf("Methods starts %v", ms[:5])
	}
	for _, n := range []string{"st", "stgs", "gst-1.0", "gst-p", "gr-mck", "reinmax"} {
		if !slices.Contains(ms, n) {
			t.Errorf("Methods lacks %s", n)
		}
	}
	for _, m := range ms {
		want := []int{1}
		if m == "switch" || m == "densemixer" || m == "sparsemixer-v2" {
			want = []int{1, 2}
		}
		if got := moe.SupportedTopK(m); !slices.Equal(got, want) {
			t.Errorf("SupportedTopK(%s) = %v, want %v", m, got, want)
		}
	}
	if moe.SupportedTopK("nope") != nil {
		t.Error("SupportedTopK of an unknown method is not nil")
	}
}

// routeCase is a router on a matrix of logits.
type routeCase struct {
	name  string
	r     moe.Router
	theta matrix
}

// routed is what Route gave, with the gradient of the loss L = Σ c⊙W with respect to the logits (so G = c).
type routed struct {
	w, scale, grad []float64
	choice         []int
}

func route(t *testing.T, tc routeCase, c matrix, seed int64) routed {
	t.Helper()
	outs, err := ExecOnceN(testBackend(t), func(theta, c *Node) []*Node {
		d := tc.r.Route(reinmax.NewStateSource(theta.Graph(), seed), theta)
		loss := ReduceAllSum(Mul(c, d.Weights))
		return []*Node{d.Weights, d.Choice, d.Scale, Gradient(loss, theta)[0]}
	}, tc.theta.tensor(), c.tensor())
	if err != nil {
		t.Fatal(err)
	}
	return routed{w: flat(t, outs[0]), choice: ints(t, outs[1]), scale: flat(t, outs[2]), grad: flat(t, outs[3])}
}

// expected returns the weights and gradient of row i by the formulas of the package documentation, in float64,
// given the choices and multipliers the router made; it fails the test when a choice or multiplier is one the
// method cannot make. ok is false for the estimators whose gradient depends on noise the router does not return.
func expected(t *testing.T, r moe.Router, theta, c []float64, choice []int, scale []float64) (w, grad []float64, ok bool) {
	t.Helper()
	e := len(theta)
	pi := softmax(theta, nil)
	w, grad = make([]float64, e), make([]float64, e)
	s := make([]float64, e) // the choices, one-hot summed
	for _, j := range choice {
		s[j]++
	}
	mul := func(a, b []float64) []float64 {
		out := make([]float64, len(a))
		for i := range a {
			out[i] = a[i] * b[i]
		}
		return out
	}
	addTo := func(dst, x []float64, a float64) {
		for i := range dst {
			dst[i] += a * x[i]
		}
	}
	switch r.Method {
	case moe.Switch:
		return mul(s, pi), jvp(pi, mul(c, s)), true
	case moe.DenseMixer:
		return mul(s, pi), jvp(pi, c), true
	case moe.Dense:
		return pi, jvp(pi, c), true
	case moe.SparseMixer, moe.SparseMixerV2:
		eps := r.Jitter
		if eps == 0 {
			eps = moe.DefaultJitter
		}
		half, factor := 0.5, 2.0
		if r.Method == moe.SparseMixerV2 {
			half, factor = 1.0/3, 1.0
		}
		excluded := make([]bool, e)
		for j, d := range choice {
			keep := keepMask(theta, eps, excluded)
			pt := softmax(theta, keep)
			if !keep[d] {
				t.Fatalf("choice %d: expert %d drawn, but it is masked (keep %v)", j, d, keep)
			}
			switch m := scale[j]; {
			case d == argmax(theta, excluded) && m != 1:
				t.Fatalf("choice %d: the argmax %d runs at scale %v, want 1", j, d, m)
			case m != 1 && m != half:
				t.Fatalf("choice %d: scale %v, want 1 or %v", j, m, half)
			}
			oh := make([]float64, e)
			oh[d] = 1
			w[d] += pt[d] * scale[j]
			addTo(grad, jvp(pt, mul(c, oh)), factor)
			excluded[d] = true
		}
		return w, grad, true
	}
	// Straight-through: w = D⊙π, ∂L/∂θ = est(g_D = c⊙π) + J(π)(c⊙D).
	d := choice[0]
	tau := r.Estimator.Tau
	if tau == 0 {
		tau = 1
	}
	var est oracle.Estimator
	switch r.Method {
	case "st":
		est = oracle.ST{Tau: tau}
	case "reinmax":
		est = oracle.ReinMax{Tau: tau}
	case "gst-1.0":
		est = oracle.GST{Tau: tau, Gap: 1}
	case "gst-p":
		est = oracle.GST{Tau: tau}
	default:
		return mul(s, pi), nil, false
	}
	est.Grad(grad, theta, d, mul(c, pi), mul(c, s))
	return mul(s, pi), grad, true
}

// TestRouteGradients checks, for every method and both numbers of experts per token it supports, the weights and
// the gradient that Route gives the logits against the formulas of the package documentation, computed in float64
// from the choices and multipliers it made (for ST, ReinMax and GST by package oracle's independent backward
// passes). For STGS and GR-MCK, whose gradient depends on noise the router does not return, it checks the weights
// and that each row of the gradient sums to 0. Everything is float64, so the two sides agree to rounding.
func TestRouteGradients(t *testing.T) {
	rnd := rand.New(rand.NewPCG(19, 1))
	const tokens, experts = 48, 4
	spread := normalMatrix(rnd, tokens, experts, 0, 1.5)
	// Logits near 1 with relative gaps around 0.1: SparseMixer's mask (ε = 0.1) keeps some experts and drops others.
	close := normalMatrix(rnd, tokens, experts, 1, 0.12)
	c := normalMatrix(rnd, tokens, experts, 0, 1)
	var cases []routeCase
	for _, m := range moe.Methods() {
		for _, k := range moe.SupportedTopK(m) {
			r := moe.Router{Method: m, TopK: k, Capacity: 1}
			cases = append(cases, routeCase{m + " top-" + string(rune('0'+k)), r, spread})
			if m == moe.SparseMixer || m == moe.SparseMixerV2 {
				cases = append(cases, routeCase{m + " top-" + string(rune('0'+k)) + " close logits", r, close})
				r.Jitter = 0.05
				cases = append(cases, routeCase{m + " top-" + string(rune('0'+k)) + " close logits, jitter 0.05", r, close})
			}
		}
	}
	for _, m := range []string{"st", "reinmax", "gst-1.0"} {
		cases = append(cases, routeCase{m + " tau 1.5", moe.Router{Method: m, TopK: 1, Capacity: 1, Estimator: reinmax.Params{Tau: 1.5}}, spread})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := route(t, tc, c, 7)
			k := tc.r.TopK
			midpoints, several := 0, 0
			for i := range tokens {
				choice, scale := got.choice[i*k:(i+1)*k], got.scale[i*k:(i+1)*k]
				if k == 2 && choice[0] == choice[1] {
					t.Fatalf("token %d: both choices are expert %d", i, choice[0])
				}
				w, grad, ok := expected(t, tc.r, tc.theta.row(i), c.row(i), choice, scale)
				checkNear(t, "weights", got.w[i*experts:(i+1)*experts], w, 1e-12)
				if ok {
					checkNear(t, "gradient", got.grad[i*experts:(i+1)*experts], grad, 1e-12)
				} else {
					var s float64
					for _, g := range got.grad[i*experts : (i+1)*experts] {
						s += g
					}
					if !(math.Abs(s) <= 1e-12) {
						t.Errorf("token %d: the gradient sums to %g, want 0", i, s)
					}
				}
				for _, m := range scale {
					if m < 1 {
						midpoints++
					}
				}
				if n := countTrue(keepMask(tc.theta.row(i), 0.1, nil)); n > 1 {
					several++
				}
			}
			// The cases of SparseMixer on close logits must exercise the midpoint draws.
			if strings.Contains(tc.name, "close") && (midpoints == 0 || several == 0) {
				t.Errorf("%d midpoint draws and %d tokens with several experts kept: the case tests nothing", midpoints, several)
			}
		})
	}
}

func countTrue(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}

// TestInference checks the deterministic form: the top-K experts by logit at their full gate (π, or SparseMixer's
// masked π̃), whatever the method.
func TestInference(t *testing.T) {
	rnd := rand.New(rand.NewPCG(19, 2))
	const tokens, experts = 16, 5
	theta := normalMatrix(rnd, tokens, experts, 1, 0.15)
	c := normalMatrix(rnd, tokens, experts, 0, 1)
	for _, m := range moe.Methods() {
		for _, k := range moe.SupportedTopK(m) {
			r := moe.Router{Method: m, TopK: k, Capacity: 1, Inference: true}
			got := route(t, routeCase{m, r, theta}, c, 1)
			for i := range tokens {
				row := theta.row(i)
				pi := softmax(row, nil)
				want := make([]float64, experts)
				excluded := make([]bool, experts)
				for j := range k {
					top := argmax(row, excluded)
					if got.choice[i*k+j] != top {
						t.Fatalf("%s top-%d: token %d choice %d is %d, want %d", m, k, i, j, got.choice[i*k+j], top)
					}
					switch m {
					case moe.Dense:
						want = pi
					case moe.SparseMixer, moe.SparseMixerV2:
						want[top] = softmax(row, keepMask(row, moe.DefaultJitter, excluded))[top]
					default:
						want[top] = pi[top]
					}
					excluded[top] = true
				}
				checkNear(t, m+" weights", got.w[i*experts:(i+1)*experts], want, 1e-12)
			}
		}
	}
}

// TestSparseMixerLaw checks the laws of SparseMixer's draws on 40,000 tokens with the same logits, where the mask
// keeps three of four experts: the first expert ~ Cat(π̃) (v1 and v2), the second, given the first, ~ the masked
// softmax of the others (v2), and the multiplier of a draw that is not the argmax is the midpoint ½ with
// probability ½ (v1) or Radau's ⅓ with probability ¾ (v2). Each frequency must lie within 5 standard errors of its
// probability (a false alarm about once in 10⁶ checks).
func TestSparseMixerLaw(t *testing.T) {
	row := []float64{1.0, 0.95, 0.9, 0.5} // kept: 0, 1, 2 (gaps 0.05 and 0.1 <= 0.2·max(|θ|, 1)); masked: 3
	const n = 40000
	theta := matrix{n, 4, make([]float64, 4*n)}
	for i := range n {
		copy(theta.row(i), row)
	}
	c := matrix{n, 4, make([]float64, 4*n)}
	pt := softmax(row, keepMask(row, 0.1, nil))
	if pt[3] != 0 || pt[2] == 0 {
		t.Fatalf("the mask of %v is not the one this test needs: π̃ = %v", row, pt)
	}
	within := func(what string, count, trials int, p float64) {
		t.Helper()
		f := float64(count) / float64(trials)
		se := math.Sqrt(p * (1 - p) / float64(trials))
		if !(math.Abs(f-p) <= 5*se) {
			t.Errorf("%s: frequency %.4f of %d, want %.4f ± %.4f (5 s.e.)", what, f, trials, p, 5*se)
		}
	}
	for _, tc := range []struct {
		method      string
		k           int
		half, pHalf float64
	}{
		{moe.SparseMixer, 1, 0.5, 0.5},
		{moe.SparseMixerV2, 2, 1.0 / 3, 0.75},
	} {
		got := route(t, routeCase{tc.method, moe.Router{Method: tc.method, TopK: tc.k, Capacity: 1}, theta}, c, 3)
		first := make([]int, 4)
		second := make(map[[2]int]int)
		halves, others := 0, 0
		for i := range n {
			d := got.choice[i*tc.k]
			first[d]++
			if d != 0 {
				others++
				if got.scale[i*tc.k] == tc.half {
					halves++
				}
			}
			if tc.k == 2 {
				second[[2]int{d, got.choice[i*tc.k+1]}]++
			}
		}
		for e := range 4 {
			within(tc.method+": first choice "+string(rune('0'+e)), first[e], n, pt[e])
		}
		within(tc.method+": midpoint draws", halves, others, tc.pHalf)
		if tc.k == 2 {
			for d1 := range 3 {
				excluded := []bool{d1 == 0, d1 == 1, d1 == 2, false}
				p2 := softmax(row, keepMask(row, 0.1, excluded))
				for d2 := range 4 {
					within("second choice given first", second[[2]int{d1, d2}], first[d1], p2[d2])
				}
			}
		}
	}
}

// TestRouteBadInput checks that building a graph with an invalid router or logits fails with the error.
func TestRouteBadInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		r     moe.Router
		shape []int
		want  string
	}{
		{"one expert", moe.Router{Method: moe.Switch, TopK: 1, Capacity: 1}, []int{3, 1}, "1 experts, want at least 2"},
		{"top-2 of 3 with st", moe.Router{Method: "st", TopK: 2, Capacity: 1}, []int{3, 3}, "st does not support top-2"},
		{"rank 3", moe.Router{Method: moe.Switch, TopK: 1, Capacity: 1}, []int{2, 3, 4}, "float matrix (tokens, experts)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ExecOnceN(testBackend(t), func(g *Graph) []*Node {
				logits := Zeros(g, shapes.Make(dtypes.Float64, tc.shape...))
				return []*Node{tc.r.Route(reinmax.NewStateSource(g, 1), logits).Weights}
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
