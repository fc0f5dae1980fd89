package gradlab

import (
	"github.com/f60e9205/reinmax/progress"

	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"gonum.org/v1/gonum/stat"

	"github.com/f60e9205/reinmax/oracle"
)

// Order is the order of accuracy of an estimator on a family of problems f_h, h → 0: the relative bias at each h
// and the least-squares fit
//
//	log RelBias ≈ Intercept + Slope·log h.
//
// On f_h(D) = F(h·D) with F smooth, g* = O(h) while the bias of a k-th order rule is O(h^{k+1}), so the relative
// bias has slope k: 1 for straight-through (forward Euler), 2 for ReinMax at τ = 1 (Heun), once h is small
// enough for the leading terms to dominate.
type Order struct {
	Estimator string    `json:"estimator"`
	H         []float64 `json:"h"`
	RelBias   []float64 `json:"rel_bias"`
	Slope     float64   `json:"slope"`
	Intercept float64   `json:"intercept"`
	// FitLo and FitHi are the smallest and the largest h of the points the fit used.
	FitLo float64 `json:"fit_h_lo"`
	FitHi float64 `json:"fit_h_hi"`
}

// Fit sets Slope, Intercept, FitLo and FitHi from the points with lo <= h <= hi (all points when lo and hi are 0):
// the asymptotic regime of a family usually starts below some h, and only points inside it belong in the fit.
func (o *Order) Fit(lo, hi float64) error {
	var xs, ys []float64
	for i, h := range o.H {
		if (lo == 0 && hi == 0) || (lo <= h && h <= hi) {
			xs, ys = append(xs, h), append(ys, o.RelBias[i])
		}
	}
	slope, icpt, err := FitSlope(xs, ys)
	if err != nil {
		return fmt.Errorf("gradlab: order of accuracy of %s: %w", o.Estimator, err)
	}
	o.Slope, o.Intercept = slope, icpt
	o.FitLo, o.FitHi = xs[0], xs[0]
	for _, h := range xs {
		o.FitLo, o.FitHi = min(o.FitLo, h), max(o.FitHi, h)
	}
	return nil
}

// FitSlope fits log y = intercept + slope·log x by ordinary least squares. It returns an error when there are fewer
// than two points, the lengths differ, or a value is not positive and finite.
func FitSlope(x, y []float64) (slope, intercept float64, err error) {
	if len(x) != len(y) {
		return 0, 0, fmt.Errorf("gradlab: FitSlope: %d x values and %d y values", len(x), len(y))
	}
	if len(x) < 2 {
		return 0, 0, errors.New("gradlab: FitSlope: need at least 2 points")
	}
	lx, ly := make([]float64, len(x)), make([]float64, len(y))
	for i := range x {
		if !(x[i] > 0 && y[i] > 0) || math.IsInf(x[i], 0) || math.IsInf(y[i], 0) {
			return 0, 0, fmt.Errorf("gradlab: FitSlope: point %d is (%v, %v), want positive finite values", i, x[i], y[i])
		}
		lx[i], ly[i] = math.Log(x[i]), math.Log(y[i])
	}
	intercept, slope = stat.LinearRegression(lx, ly, nil, false)
	return slope, intercept, nil
}

// ExactOrder returns the order of accuracy of the estimator est (named name) on the problems family(h), h in hs,
// from its exact expectation: every problem must implement Expecter. No Monte Carlo is involved, so the relative
// biases are exact to rounding.
func ExactOrder(family func(h float64) (Problem, error), hs []float64, name string, est oracle.Estimator) (Order, error) {
	o := Order{Estimator: name, H: append([]float64(nil), hs...), RelBias: make([]float64, len(hs))}
	for i, h := range hs {
		p, err := family(h)
		if err != nil {
			return Order{}, err
		}
		e, ok := p.(Expecter)
		if !ok {
			return Order{}, fmt.Errorf("gradlab: problem %s cannot compute exact expectations (it is no Expecter)", p.Name())
		}
		exact, err := p.ExactGradient()
		if err != nil {
			return Order{}, err
		}
		mean, err := e.ExpectedGradient(est)
		if err != nil {
			return Order{}, err
		}
		o.RelBias[i] = relDist(mean, exact)
	}
	if err := o.Fit(0, 0); err != nil {
		return Order{}, err
	}
	return o, nil
}

// MCOrder is the order of accuracy of an estimator measured by Monte Carlo on the lab's real path, one Result per
// h. The slope is fitted to the points RelBias whose interval excludes 0 (a bias below the noise floor says
// nothing about the slope); Fitted is false when fewer than two such points remain.
type MCOrder struct {
	Estimator string    `json:"estimator"`
	H         []float64 `json:"h"`
	Results   []*Result `json:"results"`
	Fitted    bool      `json:"fitted"`
	Slope     float64   `json:"slope"`
	Intercept float64   `json:"intercept"`
}

// MeasureOrder runs Measure with est and cfg on the problems family(h), h in hs, and fits the slope. Progress goes
// to report, with Done and Total counted in draws over all of hs.
func MeasureOrder(backend compute.Backend, family func(h float64) (Problem, error), hs []float64, est Estimator, cfg Config,
	report progress.Reporter) (*MCOrder, error) {
	o := &MCOrder{Estimator: est.Name, H: append([]float64(nil), hs...)}
	for i, h := range hs {
		p, err := family(h)
		if err != nil {
			return nil, err
		}
		sub := func(pr progress.Update) {
			pr.Done += i * cfg.Draws
			pr.Total = len(hs) * cfg.Draws
			report.Report(pr)
		}
		r, err := Measure(backend, p, est, cfg, sub)
		if err != nil {
			return nil, err
		}
		o.Results = append(o.Results, r)
	}
	var xs, ys []float64
	for i, r := range o.Results {
		if r.RelBiasLo > 0 {
			xs, ys = append(xs, hs[i]), append(ys, r.RelBias)
		}
	}
	if len(xs) >= 2 {
		var err error
		if o.Slope, o.Intercept, err = FitSlope(xs, ys); err != nil {
			return nil, err
		}
		o.Fitted = true
	}
	return o, nil
}

// NetFamily returns the family h ↦ f_h of spec (whose Name must be "net"), with every other parameter of spec kept:
// the same network F and logits θ at every h.
func NetFamily(spec ProblemSpec) func(h float64) (Problem, error) {
	return func(h float64) (Problem, error) {
		if spec.Name != "net" {
			return nil, fmt.Errorf("gradlab: NetFamily: problem %q, want net", spec.Name)
		}
		s := spec
		s.H = h
		p, err := s.New()
		if err != nil {
			return nil, err
		}
		return p, nil
	}
}

// GeomSpace returns n >= 2 values from a to b (both > 0) in geometric progression.
func GeomSpace(a, b float64, n int) []float64 {
	if n < 2 || !(a > 0 && b > 0) {
		panic("gradlab: GeomSpace needs n >= 2 and positive end points")
	}
	xs := make([]float64, n)
	r := math.Log(b / a)
	for i := range xs {
		xs[i] = a * math.Exp(r*float64(i)/float64(n-1))
	}
	xs[n-1] = b
	return xs
}

// fitPoints returns the number of points inside the fit window.
func (o Order) fitPoints() int {
	n := 0
	for _, h := range o.H {
		if o.FitLo <= h && h <= o.FitHi {
			n++
		}
	}
	return n
}

// expFit evaluates the fitted power law exp(intercept)·x^slope.
func expFit(intercept, slope, x float64) float64 {
	return math.Exp(intercept + slope*math.Log(x))
}
