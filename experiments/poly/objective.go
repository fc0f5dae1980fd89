package poly

import (
	"fmt"
	"math"
)

// Target selects the vector c that the binary variables are pulled towards.
type Target string

const (
	// Const is the paper's target: c_l = C (0.45 by default) for every variable.
	Const Target = "const"
	// Ramp is the second target of the authors' slides: c_l = (l − 0.5)/L for l = 1..L, evenly spread in (0, 1).
	Ramp Target = "ramp"
)

// Targets returns c_1..c_L for the target t, with c the value of the Const target. It returns an error for an
// unknown target or L < 1.
func Targets(t Target, l int, c float64) ([]float64, error) {
	if l < 1 {
		return nil, fmt.Errorf("poly: L = %d binary variables, want L >= 1", l)
	}
	cs := make([]float64, l)
	switch t {
	case Const:
		for i := range cs {
			cs[i] = c
		}
	case Ramp:
		for i := range cs {
			cs[i] = (float64(i+1) - 0.5) / float64(l)
		}
	default:
		return nil, fmt.Errorf("poly: unknown target %q (valid: %s, %s)", t, Const, Ramp)
	}
	return cs, nil
}

// Objective is the exact expected loss of the experiment as a function of θ,
//
//	E(θ) = (1/L)·Σ_l [ |1 − c_l|^p·π_{l,0} + |c_l|^p·π_{l,1} ],   π_l = softmax(θ_l),
//
// where z_l = 1 exactly when category 0 of variable l is drawn, so that P(z_l = 1) = π_{l,0}.
type Objective struct {
	P float64   // exponent p > 0
	C []float64 // targets c_1..c_L
}

// NewObjective returns the objective for exponent p and targets c; p must be positive and finite, c not empty.
func NewObjective(p float64, c []float64) (Objective, error) {
	if !(p > 0) || math.IsInf(p, 0) {
		return Objective{}, fmt.Errorf("poly: p = %v, want a finite p > 0", p)
	}
	if len(c) == 0 {
		return Objective{}, fmt.Errorf("poly: no targets, want L >= 1")
	}
	return Objective{P: p, C: c}, nil
}

// costs returns |1 − c_l|^p and |c_l|^p, the loss of z_l = 1 and of z_l = 0.
func (o Objective) costs(l int) (one, zero float64) {
	return math.Pow(math.Abs(1-o.C[l]), o.P), math.Pow(math.Abs(o.C[l]), o.P)
}

// Exact returns E(θ) for theta holding L rows of 2 logits, row-major.
func (o Objective) Exact(theta []float64) float64 {
	o.checkTheta(theta)
	var s float64
	for l := range o.C {
		one, zero := o.costs(l)
		p1 := sigmoid(theta[2*l] - theta[2*l+1]) // π_{l,0} = P(z_l = 1)
		s += one*p1 + zero*(1-p1)
	}
	return s / float64(len(o.C))
}

// Optimum returns min_θ E(θ) = (1/L)·Σ_l min(|1 − c_l|^p, |c_l|^p), the infimum approached as every variable
// becomes deterministic at its better value; 0.45^p for the Const target with c = 0.45.
func (o Objective) Optimum() float64 {
	var s float64
	for l := range o.C {
		one, zero := o.costs(l)
		s += math.Min(one, zero)
	}
	return s / float64(len(o.C))
}

// Gap returns E(θ) − Optimum(), computed as (1/L)·Σ_l |(|1−c_l|^p − |c_l|^p)|·P(z_l is at its worse value), which
// keeps its relative accuracy when the gap is many orders of magnitude below E.
func (o Objective) Gap(theta []float64) float64 {
	o.checkTheta(theta)
	var s float64
	for l := range o.C {
		one, zero := o.costs(l)
		d := theta[2*l] - theta[2*l+1]
		if one > zero { // z_l = 1 is the worse value
			s += (one - zero) * sigmoid(d)
		} else {
			s += (zero - one) * sigmoid(-d)
		}
	}
	return s / float64(len(o.C))
}

func (o Objective) checkTheta(theta []float64) {
	if len(theta) != 2*len(o.C) {
		panic(fmt.Sprintf("poly: theta has %d values, want %d (L = %d rows of 2)", len(theta), 2*len(o.C), len(o.C)))
	}
}

// sigmoid returns 1/(1 + e^{−x}) without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
