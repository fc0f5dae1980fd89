package gradlab

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/f60e9205/reinmax/oracle"
)

// Problem is a loss f on the samples D of categorical variables with fixed logits θ, together with the exact
// gradient g* = ∇θ E_D f(D) that estimates are compared with. The variables are independent, D_v ~
// Cat(softmax θ_v) over the last axis of θ.
//
// Package gradlab's problems are FuncProblems built from a ProblemSpec. Another package implements Problem to put
// its own model in the lab: the categorical VAE, for instance, returns its encoder logits for a batch of images
// at a checkpoint (dims = (B, L, C)), evaluates its decoder loss per draw in the graph, and computes the exact
// encoder gradient by enumerating the C^L codes of each image.
type Problem interface {
	// Name identifies the problem in results, for example "poly:L=8,C=2,p=3".
	Name() string
	// Logits returns θ, flattened row-major, and its dimensions; the last dimension is the number of categories
	// C >= 2.
	Logits() (theta []float64, dims []int)
	// Loss builds, in the graph, the loss of each draw: d has shape (N, dims...), one draw per row (one-hot along
	// the last axis, or relaxed for estimators whose forward value is relaxed), and the result has shape (N).
	// The loss must be differentiable in d: the straight-through family backpropagates through it.
	Loss(d *Node) *Node
	// ExactGradient returns g*, flattened like θ.
	ExactGradient() ([]float64, error)
}

// Separable is implemented by problems whose loss is a sum of independent terms, one per example: axis 1 of the
// samples (after the draw axis) indexes M examples, and the variables of example m enter its term only.
// LossPerExample returns the terms, shape (N, M), whose sum over examples is Loss. Score-function estimators then
// weigh the score of each example's variables by that example's term, as they would in a training batch, instead
// of by the whole sum, whose other terms only add variance.
type Separable interface {
	LossPerExample(d *Node) *Node
}

// Expecter is implemented by problems that can also compute the exact expectation over D of an estimator whose
// backward pass is a deterministic function of the sample (oracle.ST, oracle.ReinMax, oracle.GST).
type Expecter interface {
	ExpectedGradient(est oracle.Estimator) ([]float64, error)
}

// FuncProblem is a Problem on L categorical variables with C categories each, whose loss is given twice: as an
// oracle.Func in float64, which the oracle enumerates for the exact gradient and the exact expectations, and as a
// graph function, which the estimators differentiate. The two must agree; the tests of the built-in problems
// check that they do, values and gradients.
type FuncProblem struct {
	Label string      // the name returned by Name
	Theta []float64   // logits, L·C, row l for variable l
	F     oracle.Func // the loss in float64, with its gradient F.Grad
	// Graph is the loss per row in the graph: d has shape (N, L·C), laid out like the argument of F.F, and the
	// result has shape (N).
	Graph func(d *Node) *Node
}

// Name implements Problem.
func (p *FuncProblem) Name() string { return p.Label }

// Logits implements Problem: the dimensions are (L, C).
func (p *FuncProblem) Logits() ([]float64, []int) {
	return append([]float64(nil), p.Theta...), []int{p.F.L, p.F.C}
}

// Loss implements Problem.
func (p *FuncProblem) Loss(d *Node) *Node {
	dims := d.Shape().Dimensions
	if d.Rank() != 3 || dims[1] != p.F.L || dims[2] != p.F.C {
		panic(fmt.Sprintf("gradlab: %s: samples have shape %s, want (N, %d, %d)", p.Label, d.Shape(), p.F.L, p.F.C))
	}
	return p.Graph(Reshape(d, dims[0], p.F.L*p.F.C))
}

// ExactGradient implements Problem, by enumerating the C^L joint outcomes.
func (p *FuncProblem) ExactGradient() ([]float64, error) {
	g, err := oracle.ExactGradient(p.Theta, p.F)
	if err != nil {
		return nil, fmt.Errorf("gradlab: problem %s: %w", p.Label, err)
	}
	return g, nil
}

// ExpectedGradient implements Expecter, by enumeration.
func (p *FuncProblem) ExpectedGradient(est oracle.Estimator) ([]float64, error) {
	g, err := oracle.ExpectedGradient(p.Theta, p.F, est)
	if err != nil {
		return nil, fmt.Errorf("gradlab: problem %s: %w", p.Label, err)
	}
	return g, nil
}

// ProblemSpec names a built-in problem and its parameters; a zero field selects the default. Every random
// coefficient and the logits come from Seed, so a spec always builds the same problem.
//
//	quadratic  f(D) = Dᵀ A D + bᵀD                       L = 1, C = 8; A, b, θ ~ N(0, 1)
//	cubic      f(D) = (wᵀD)³ + Dᵀ A D + bᵀD              L = 1, C = 8; w, A, b, θ ~ N(0, 1)
//	poly       f(D) = (1/L) Σ_l |D_{l,0} − 0.45|^p       L = 8, C = 2, p = 3; θ ~ U(−0.01, 0.01)
//	net        f(D) = F(h·D),  F(x) = Σ_k v_k tanh(w_kᵀx + c_k)   L = 3, C = 3, h = 1, Hidden = 8;
//	                                                     v, w_k, c, θ ~ N(0, 1)
//
// quadratic and cubic are the single categorical of the paper's analysis: ReinMax at τ = 1 is unbiased on the
// first (Heun's rule is exact for quadratics) and not on the second. poly is the paper's polynomial programming
// (reference section 3.1) with few variables, at the paper's initialisation; p = 2 makes it quadratic. net is a
// smooth loss that is no polynomial: as h → 0 the relative bias of ST falls like O(h) and that of ReinMax at
// τ = 1 like O(h²) (see Order).
type ProblemSpec struct {
	Name   string  // "quadratic", "cubic", "poly" or "net"
	L, C   int     // number of variables and of categories per variable
	P      float64 // poly: the exponent p > 0
	H      float64 // net: the scale h > 0 of the input
	Hidden int     // net: the number of hidden units
	Seed   uint64  // seed of the coefficients and logits; 0 selects 1
}

// ProblemNames returns the names of the built-in problems.
func ProblemNames() []string { return []string{"quadratic", "cubic", "poly", "net"} }

// ParseProblem parses "name" or "name:key=value,key=value,...", with keys L, C, p (poly), h and hidden (net) and
// seed, for example "poly:L=12,p=2" or "net:h=0.25". The error names the offending part and lists the valid names
// or keys.
func ParseProblem(s string) (ProblemSpec, error) {
	name, params, _ := strings.Cut(strings.TrimSpace(s), ":")
	spec := ProblemSpec{Name: name}
	if !knownProblem(name) {
		return spec, fmt.Errorf("gradlab: unknown problem %q (valid: %s)", name, strings.Join(ProblemNames(), ", "))
	}
	if params == "" {
		return spec, nil
	}
	for _, kv := range strings.Split(params, ",") {
		key, val, ok := strings.Cut(kv, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		bad := func(want string) error {
			return fmt.Errorf("gradlab: problem %q: %s=%q, want %s", s, key, val, want)
		}
		if !ok {
			return spec, fmt.Errorf("gradlab: problem %q: parameter %q, want key=value", s, kv)
		}
		var err error
		switch {
		case key == "L" || key == "C" || (key == "hidden" && name == "net"):
			var v int
			if v, err = strconv.Atoi(val); err != nil || v < 1 {
				return spec, bad("a positive integer")
			}
			switch key {
			case "L":
				spec.L = v
			case "C":
				spec.C = v
			default:
				spec.Hidden = v
			}
		case key == "p" && name == "poly", key == "h" && name == "net":
			var v float64
			if v, err = strconv.ParseFloat(val, 64); err != nil || !(v > 0) || math.IsInf(v, 0) {
				return spec, bad("a finite number > 0")
			}
			if key == "p" {
				spec.P = v
			} else {
				spec.H = v
			}
		case key == "seed":
			if spec.Seed, err = strconv.ParseUint(val, 10, 64); err != nil {
				return spec, bad("a non-negative integer")
			}
		default:
			return spec, fmt.Errorf("gradlab: problem %q: unknown parameter %q (valid for %s: %s)", s, key, name, strings.Join(problemKeys(name), ", "))
		}
	}
	return spec, nil
}

func knownProblem(name string) bool {
	for _, n := range ProblemNames() {
		if n == name {
			return true
		}
	}
	return false
}

func problemKeys(name string) []string {
	switch name {
	case "poly":
		return []string{"L", "C", "p", "seed"}
	case "net":
		return []string{"L", "C", "h", "hidden", "seed"}
	}
	return []string{"L", "C", "seed"}
}

// withDefaults returns s with its zero fields set to the problem's defaults.
func (s ProblemSpec) withDefaults() ProblemSpec {
	def := map[string]ProblemSpec{
		"quadratic": {L: 1, C: 8},
		"cubic":     {L: 1, C: 8},
		"poly":      {L: 8, C: 2, P: 3},
		"net":       {L: 3, C: 3, H: 1, Hidden: 8},
	}[s.Name]
	s.L = cmp.Or(s.L, def.L)
	s.C = cmp.Or(s.C, def.C)
	s.P = cmp.Or(s.P, def.P)
	s.H = cmp.Or(s.H, def.H)
	s.Hidden = cmp.Or(s.Hidden, def.Hidden)
	s.Seed = cmp.Or(s.Seed, 1)
	return s
}

// String returns the canonical name, with the defaults filled in and the seed shown when it is not 1, for example
// "poly:L=8,C=2,p=3".
func (s ProblemSpec) String() string {
	s = s.withDefaults()
	var b strings.Builder
	fmt.Fprintf(&b, "%s:L=%d,C=%d", s.Name, s.L, s.C)
	switch s.Name {
	case "poly":
		fmt.Fprintf(&b, ",p=%s", fmtFloat(s.P))
	case "net":
		fmt.Fprintf(&b, ",h=%s,hidden=%d", fmtFloat(s.H), s.Hidden)
	}
	if s.Seed != 1 {
		fmt.Fprintf(&b, ",seed=%d", s.Seed)
	}
	return b.String()
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// New builds the problem. It returns an error naming the field when a parameter is out of range, and one naming
// the number of joint outcomes C^L and the limit oracle.MaxOutcomes when the problem is too large to enumerate.
func (s ProblemSpec) New() (*FuncProblem, error) {
	if !knownProblem(s.Name) {
		return nil, fmt.Errorf("gradlab: unknown problem %q (valid: %s)", s.Name, strings.Join(ProblemNames(), ", "))
	}
	s = s.withDefaults()
	name := s.String()
	switch {
	case s.L < 1:
		return nil, fmt.Errorf("gradlab: problem %s: L = %d variables, want at least 1", name, s.L)
	case s.C < 2:
		return nil, fmt.Errorf("gradlab: problem %s: C = %d categories, want at least 2", name, s.C)
	case s.Name == "poly" && (!(s.P > 0) || math.IsInf(s.P, 0)):
		return nil, fmt.Errorf("gradlab: problem %s: p = %v, want a finite p > 0", name, s.P)
	case s.Name == "net" && (!(s.H > 0) || math.IsInf(s.H, 0)):
		return nil, fmt.Errorf("gradlab: problem %s: h = %v, want a finite h > 0", name, s.H)
	case s.Name == "net" && s.Hidden < 1:
		return nil, fmt.Errorf("gradlab: problem %s: %d hidden units, want at least 1", name, s.Hidden)
	}
	if _, err := oracle.NumOutcomes(s.L, s.C); err != nil {
		return nil, fmt.Errorf("gradlab: problem %s is too large to enumerate: %w", name, err)
	}
	rnd := rand.New(rand.NewPCG(s.Seed, 0x70726f626c656d)) // "problem"
	n := s.L * s.C
	var p *FuncProblem
	switch s.Name {
	case "quadratic":
		A, b := normals(rnd, n*n), normals(rnd, n)
		p = &FuncProblem{F: oracle.Quadratic(s.L, s.C, A, b), Graph: cubicGraph(nil, A, b)}
	case "cubic":
		w, A, b := normals(rnd, n), normals(rnd, n*n), normals(rnd, n)
		p = &FuncProblem{F: oracle.Cubic(s.L, s.C, w, A, b), Graph: cubicGraph(w, A, b)}
	case "poly":
		p = polyProblem(s.L, s.C, s.P, 0.45)
		p.Theta = make([]float64, n)
		for i := range p.Theta {
			p.Theta[i] = 0.02*rnd.Float64() - 0.01
		}
	case "net":
		p = netProblem(s.L, s.C, s.H, normals(rnd, s.Hidden*n), normals(rnd, s.Hidden), normals(rnd, s.Hidden))
	}
	if p.Theta == nil {
		p.Theta = normals(rnd, n)
	}
	p.Label = name
	return p, nil
}

// cubicGraph returns the graph form of oracle.Cubic(w, A, b) (of oracle.Quadratic(A, b) when w is nil):
// f(d) = (wᵀd)³ + dᵀAd + bᵀd per row of d.
func cubicGraph(w, A, b []float64) func(d *Node) *Node {
	return func(d *Node) *Node {
		n := d.Shape().Dimensions[1]
		f := ReduceSum(Mul(MatMul(d, constOf(d, A, n, n)), d), -1)
		f = Add(f, ReduceSum(Mul(d, constOf(d, b, 1, n)), -1))
		if w != nil {
			t := ReduceSum(Mul(d, constOf(d, w, 1, n)), -1)
			f = Add(f, Mul(Mul(t, t), t))
		}
		return f
	}
}

// polyProblem returns the polynomial-programming loss f(d) = (1/L) Σ_l |d_{l,0} − c|^p, whose gradient is
// ∂f/∂d_{l,0} = (p/L)·|d_{l,0} − c|^{p−1}·sign(d_{l,0} − c) and 0 for the other categories.
func polyProblem(L, C int, p, c float64) *FuncProblem {
	f := oracle.Func{L: L, C: C,
		F: func(d []float64) float64 {
			var s float64
			for l := range L {
				s += math.Pow(math.Abs(d[l*C]-c), p)
			}
			return s / float64(L)
		},
		Grad: func(dst, d []float64) {
			clear(dst)
			for l := range L {
				x := d[l*C] - c
				dst[l*C] = p / float64(L) * math.Pow(math.Abs(x), p-1) * sign(x)
			}
		},
	}
	graph := func(d *Node) *Node {
		z := SliceAxis(Reshape(d, d.Shape().Dimensions[0], L, C), -1, AxisElem(0)) // (N, L, 1)
		return ReduceMean(PowScalar(Abs(AddScalar(z, -c)), p), -1, -2)
	}
	return &FuncProblem{F: f, Graph: graph}
}

// netProblem returns f(d) = F(h·d) with the one-hidden-layer tanh network F(x) = Σ_k v_k tanh(w_kᵀx + c_k),
// W = (w_k) stored row-major (K × L·C); ∂f/∂d = h Σ_k v_k (1 − tanh²(w_kᵀhd + c_k)) w_k.
func netProblem(L, C int, h float64, W, v, c []float64) *FuncProblem {
	n, K := L*C, len(v)
	pre := func(d []float64, k int) float64 {
		s := c[k]
		for i, x := range d {
			s += W[k*n+i] * h * x
		}
		return s
	}
	f := oracle.Func{L: L, C: C,
		F: func(d []float64) float64 {
			var s float64
			for k := range K {
				s += v[k] * math.Tanh(pre(d, k))
			}
			return s
		},
		Grad: func(dst, d []float64) {
			clear(dst)
			for k := range K {
				t := math.Tanh(pre(d, k))
				a := v[k] * (1 - t*t) * h
				for i := range dst {
					dst[i] += a * W[k*n+i]
				}
			}
		},
	}
	WT := make([]float64, n*K) // Wᵀ, n × K
	for k := range K {
		for i := range n {
			WT[i*K+k] = W[k*n+i]
		}
	}
	graph := func(d *Node) *Node {
		hidden := Tanh(Add(MatMul(MulScalar(d, h), constOf(d, WT, n, K)), constOf(d, c, 1, K))) // (N, K)
		return ReduceSum(Mul(hidden, constOf(d, v, 1, K)), -1)
	}
	return &FuncProblem{F: f, Graph: graph}
}

// constOf returns x as a constant of d's graph and dtype, with the given dimensions.
func constOf(d *Node, x []float64, dims ...int) *Node {
	c := Const(d.Graph(), tensors.FromFlatDataAndDimensions(append([]float64(nil), x...), dims...))
	return ConvertDType(c, d.DType())
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

func normals(rnd *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rnd.NormFloat64()
	}
	return x
}
