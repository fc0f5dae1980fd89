package gradlab

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/oracle"
)

// Estimator is a gradient estimator as the lab runs it.
//
// Surrogate builds, from logits x of shape (N, dims...) (N copies of θ, one per draw) and the problem's loss per
// draw (N), or per draw and example (N, M) for a Separable problem, a scalar whose gradient with respect to x holds
// in row n the n-th draw's estimate of ∇θ E_D f(D); the draws must be independent. It draws its randomness from
// src (which advances with every execution of the graph) and may keep state in scope. FromStraightThrough and FromScoreFunction adapt the two families of package reinmax.
type Estimator struct {
	Name       string
	Tau        float64 // temperature, for the record (0 when the estimator has none)
	K          int     // number of samples or loss evaluations, for the record (0 when the estimator has none)
	Alpha      float64 // mixing weight α of reinmax-alpha, for the record (0 when the estimator has none)
	TauForward float64 // temperature τ_f of the decoupled estimators' sample, for the record (0 when none)
	Surrogate  func(scope *model.Scope, src reinmax.Source, x *Node, loss func(d *Node) *Node) *Node
	// Evaluations returns the number of evaluations of the loss that one draw makes on a problem with logits of the
	// given dimensions; nil means 1 (the straight-through family: one sample, one evaluation).
	Evaluations func(dims []int) int

	// Oracle is the estimator's per-sample backward pass in package oracle when its gradient is a deterministic
	// function of the sample (ST, ReinMax, GST); the lab then also reports the estimator's exact expected
	// gradient on problems that implement Expecter. Nil otherwise.
	Oracle oracle.Estimator
}

// FromStraightThrough adapts an estimator of the straight-through family: the surrogate is the sum over draws of
// the loss of the sample, hard, _ := est.Sample(src, x). Tau, K and Oracle are left for the caller to set.
func FromStraightThrough(est reinmax.StraightThrough) Estimator {
	return Estimator{
		Name: est.Name(),
		Surrogate: func(_ *model.Scope, src reinmax.Source, x *Node, loss func(*Node) *Node) *Node {
			hard, _ := est.Sample(src, x)
			return ReduceAllSum(loss(hard))
		},
	}
}

// FromScoreFunction adapts an estimator of the score-function family on one-hot categorical variables: its K
// samples per draw, shape (K, N, dims...), are folded into K·N rows for the problem's loss, and the surrogate is the
// sum over the N draws of the estimator's per-draw surrogates. K is set to sf.Evaluations(); estimators that
// support only Bernoulli variables (ARMS, DisARM, RELAX, Double CV, RODEO) make Measure fail with the estimator's
// message. Learned control variates start untrained in a fresh store and take one step per batch.
func FromScoreFunction(sf reinmax.ScoreFunction) Estimator {
	return Estimator{
		Name: sf.Name(),
		K:    sf.Evaluations(),
		Evaluations: func(dims []int) int {
			return reinmax.LossEvaluations(sf, reinmax.OneHotCategorical, shapes.Make(dtypes.Float64, dims...))
		},
		Surrogate: func(scope *model.Scope, src reinmax.Source, x *Node, loss func(*Node) *Node) *Node {
			f := func(samples *Node) *Node { // (K, N, dims...) -> (K, N) or, per example, (K, N, M)
				dims := samples.Shape().Dimensions
				y := loss(Reshape(samples, append([]int{dims[0] * dims[1]}, dims[2:]...)...))
				return Reshape(y, append([]int{dims[0], dims[1]}, y.Shape().Dimensions[1:]...)...)
			}
			return ReduceAllSum(sf.Estimate(scope, src, reinmax.OneHotCategorical, x, f))
		},
	}
}

// NewEstimator returns the registered straight-through estimator name with parameters p (a zero field selects
// the estimator's default, as in reinmax.NewStraightThrough), with Tau, K, Alpha and TauForward set to the values
// in effect and, for st, reinmax, reinmax-alpha, gst-1.0, gst-p, and decoupled-st at τ_f = 1 (where it is st), its
// Oracle. The error names the estimator or the parameter that is out of range.
func NewEstimator(name string, p reinmax.Params) (Estimator, error) {
	st, err := reinmax.NewStraightThrough(name, p)
	if err != nil {
		return Estimator{}, err
	}
	resolved, err := reinmax.Resolve(name, p)
	if err != nil {
		return Estimator{}, err
	}
	e := FromStraightThrough(st)
	e.Tau, e.K, e.Alpha, e.TauForward = resolved.Tau, resolved.K, resolved.Alpha, resolved.TauForward
	switch name {
	case "st":
		e.Oracle = oracle.ST{Tau: e.Tau}
	case "decoupled-st":
		if e.TauForward == 1 { // the oracle's expectations sample at temperature 1
			e.Oracle = oracle.ST{Tau: e.Tau}
		}
	case "reinmax":
		e.Oracle = oracle.ReinMax{Tau: e.Tau}
	case "reinmax-alpha":
		e.Oracle = oracle.ReinMaxAlpha{Tau: e.Tau, Alpha: e.Alpha}
	case "gst-1.0":
		e.Oracle = oracle.GST{Tau: e.Tau, Gap: 1}
	case "gst-p":
		e.Oracle = oracle.GST{Tau: e.Tau}
	}
	return e, nil
}

// NewScoreFunctionEstimator returns the registered score-function estimator name with K evaluations per draw (0:
// the registry's default), adapted by FromScoreFunction. It refuses the estimators that the lab cannot run on its
// categorical problems: those for binary variables only, and exact, which has no error to measure.
func NewScoreFunctionEstimator(name string, k int) (Estimator, error) {
	spec, err := reinmax.Lookup(name)
	if err != nil {
		return Estimator{}, err
	}
	switch {
	case spec.Family != reinmax.ScoreFunctionFamily:
		return Estimator{}, fmt.Errorf("gradlab: %s is a %s estimator, not a score-function one", name, spec.Family)
	case name == "exact":
		return Estimator{}, errors.New("gradlab: exact enumeration is the lab's reference gradient: it has no error to measure")
	case !spec.Categorical:
		return Estimator{}, fmt.Errorf("gradlab: %s handles binary variables only, and the lab's problems are categorical (valid: %s)",
			name, strings.Join(Names(), ", "))
	}
	sf, err := reinmax.NewScoreFunction(name, reinmax.Params{K: k})
	if err != nil {
		return Estimator{}, err
	}
	return FromScoreFunction(sf), nil
}

// Names returns the registered estimators that the lab runs: the straight-through family and the score-function
// estimators for categorical variables, except exact (the reference).
func Names() []string {
	var out []string
	for _, spec := range reinmax.Estimators() {
		if spec.Family == reinmax.StraightThroughFamily || (spec.Categorical && spec.Name != "exact") {
			out = append(out, spec.Name)
		}
	}
	return out
}

// String returns the name with the parameters in effect, for example "reinmax(tau=1.5)", "gr-mck(tau=1,K=10)" or
// "reinmax-alpha(tau=1,alpha=0.75)".
func (e Estimator) String() string {
	return withParams(e.Name, e.Tau, e.K, e.Alpha, e.TauForward)
}

// withParams returns name(tau=…,K=…,alpha=…,tau_f=…) with the parameters that are not 0, or name alone.
func withParams(name string, tau float64, k int, alpha, tauForward float64) string {
	var ps []string
	if tau != 0 {
		ps = append(ps, "tau="+fmtFloat(tau))
	}
	if k != 0 {
		ps = append(ps, fmt.Sprintf("K=%d", k))
	}
	if alpha != 0 {
		ps = append(ps, "alpha="+fmtFloat(alpha))
	}
	if tauForward != 0 {
		ps = append(ps, "tau_f="+fmtFloat(tauForward))
	}
	if len(ps) == 0 {
		return name
	}
	return name + "(" + strings.Join(ps, ",") + ")"
}

// evaluations returns the number of loss evaluations of one draw on logits of dimensions dims.
func (e Estimator) evaluations(dims []int) int {
	if e.Evaluations == nil {
		return 1
	}
	return e.Evaluations(dims)
}
