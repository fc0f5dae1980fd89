package gradlab

import (
	"cmp"

	"github.com/f60e9205/reinmax/progress"

	"github.com/f60e9205/reinmax/internal/atomicfile"

	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/compute"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/results"
)

// Files a Lab writes into its Dir; tau plots are TauPlotPrefix + problem name + ".png" and ".svg".
const (
	ResultsCSV    = "results.csv"
	ResultsJSONL  = "results.jsonl"
	TableFile     = "table.md"
	OrderCSV      = "order.csv"
	OrderJSONL    = "order.jsonl"
	OrderPlot     = "order-of-accuracy" // + ".png", ".svg"
	TauPlotPrefix = "tau-"
)

// The order-of-accuracy study of a Lab. The exact curves span OrderExactH; the slopes are fitted on the window
// [OrderFitLo, OrderFitHi], inside the asymptotic regime of the default net problem (measured: the local slopes of
// ST and ReinMax there are within 0.15 of 1 and 0.02 of 2, while at h >= 1/8 they wander between 0.1 and 1.8).
// The Monte-Carlo points are at OrderMCH, where the biases are large enough to be resolved with a few 10⁵ draws.
var (
	OrderExactH            = GeomSpace(math.Ldexp(1, -12), 1, 25)
	OrderFitLo, OrderFitHi = math.Ldexp(1, -10), math.Ldexp(1, -6)
	OrderMCH               = []float64{0.5, 0.25, 0.125, 0.0625}
	// OrderMCEstimators are the estimators the order study measures by Monte Carlo, those of them that the Lab
	// runs: the first-order and the second-order rule, and STGS, which has no exact expectation.
	OrderMCEstimators = []string{"st", "reinmax", "stgs"}
)

// Lab is a sweep of the gradient lab: Measure for every estimator on every problem, at every temperature for the
// straight-through family and once for score-function estimators, which have none; and, when Order is set and a
// "net" problem is among the problems, the order-of-accuracy study on its family f_h (at τ = 1: exact curves for
// the estimators that have an oracle form, Monte Carlo for OrderMCEstimators). Run writes the files named by the
// constants above into Dir, each one atomically.
type Lab struct {
	Problems []ProblemSpec
	// Custom are problems built elsewhere, measured like the built-in ones and after them (for example the
	// categorical VAE's encoder gradient at a checkpoint, package catvae's EncoderProblem).
	Custom     []Problem
	Estimators []string  // registered estimators that the lab runs (see Names)
	Taus       []float64 // temperatures; a pair that the estimator rejects (ReinMax below 1) is skipped
	K          int       // K of the straight-through estimators that have one (gr-mck); 0: the registry's default
	// Alphas are the mixing weights α at which the estimators that have one (reinmax-alpha) run, at every
	// temperature, and enter the order-of-accuracy study; none: the registry's default (α = 1).
	Alphas []float64
	// TauForward is the temperature τ_f of the decoupled estimators' sample; 0: the registry's default (1). At
	// τ_f ≠ 1 they sample another law than the problem's, and their bias includes that change of objective.
	TauForward float64
	// Evaluations is K of the score-function estimators, the loss evaluations per draw; 0: the registry's default
	// (REINFORCE 1, RLOO 2).
	Evaluations int
	Config      Config // draws, seed and intervals of every measurement
	Order       bool   // run the order-of-accuracy study
	OrderDraws  int    // draws per Monte-Carlo point of the order study; 0 selects 8·Config.Draws
	Dir         string

	// CustomEstimators are estimators built elsewhere, run once each on every problem after the registered ones
	// (the routing methods of a mixture-of-experts layer, say: package experiments/moe's LabEstimators).
	CustomEstimators []Estimator
}

// Summary is what a Lab found.
type Summary struct {
	Results []*Result
	Exact   []Order    // exact orders of accuracy (nil when the study did not run)
	MC      []*MCOrder // Monte-Carlo orders of accuracy
	Skipped []string   // estimator and temperature pairs that were not run, with the reason
}

// job is one measurement of a Lab.
type job struct {
	problem Problem
	est     Estimator
}

// plan builds the problems and estimators, or returns an error naming the bad input.
func (l Lab) plan() (jobs []job, skipped []string, orderFamily *ProblemSpec, err error) {
	if len(l.Problems)+len(l.Custom) == 0 {
		return nil, nil, nil, errors.New("gradlab: no problem given")
	}
	if len(l.Estimators)+len(l.CustomEstimators) == 0 {
		return nil, nil, nil, errors.New("gradlab: no estimator given")
	}
	if len(l.Taus) == 0 && len(l.Estimators) > 0 {
		return nil, nil, nil, errors.New("gradlab: no temperature given")
	}
	if l.Config.Draws < 2 {
		return nil, nil, nil, fmt.Errorf("%w: N = %d, want at least 2 (the variance needs two draws)", ErrTooFewDraws, l.Config.Draws)
	}
	if l.OrderDraws != 0 && l.OrderDraws < 2 {
		return nil, nil, nil, fmt.Errorf("%w: %d draws per point of the order study, want at least 2", ErrTooFewDraws, l.OrderDraws)
	}
	if l.Dir == "" {
		return nil, nil, nil, errors.New("gradlab: no output folder given")
	}
	for _, t := range l.Taus {
		if !(t > 0) || math.IsInf(t, 0) {
			return nil, nil, nil, fmt.Errorf("gradlab: temperature %v, want a finite tau > 0", t)
		}
	}
	for _, a := range l.Alphas {
		if !(a >= 0.5) || math.IsInf(a, 0) {
			return nil, nil, nil, fmt.Errorf("gradlab: alpha %v, want a finite alpha >= 0.5", a)
		}
	}
	if tf := l.TauForward; tf < 0 || math.IsNaN(tf) || math.IsInf(tf, 0) {
		return nil, nil, nil, fmt.Errorf("gradlab: tau-forward %v, want a finite tau-forward > 0", tf)
	}
	var problems []Problem
	for _, s := range l.Problems {
		p, err := s.New()
		if err != nil {
			return nil, nil, nil, err
		}
		problems = append(problems, p)
		if s.Name == "net" && orderFamily == nil && l.Order {
			orderFamily = &s
		}
	}
	problems = append(problems, l.Custom...)
	var ests []Estimator
	for _, name := range l.Estimators {
		spec, err := reinmax.Lookup(name)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("gradlab: unknown estimator %q (valid: %s)", name, strings.Join(Names(), ", "))
		}
		if spec.Family == reinmax.ScoreFunctionFamily {
			e, err := NewScoreFunctionEstimator(name, l.Evaluations)
			if err != nil {
				return nil, nil, nil, err
			}
			ests = append(ests, e) // no temperature: run once
			continue
		}
		for _, alpha := range l.alphas(spec) {
			for _, tau := range l.Taus {
				e, err := NewEstimator(name, l.params(tau, alpha))
				if err != nil {
					at := "tau=" + fmtFloat(tau)
					if alpha != 0 {
						at += ",alpha=" + fmtFloat(alpha)
					}
					skipped = append(skipped, fmt.Sprintf("%s at %s: %v", name, at, err))
					continue
				}
				ests = append(ests, e)
				if !slices.Contains(spec.Params, "tau") {
					break // the temperature does not matter: run it once
				}
			}
		}
	}
	if len(ests) == 0 && len(l.Estimators) > 0 {
		return nil, skipped, nil, fmt.Errorf("gradlab: no estimator accepts the temperatures given: %s", strings.Join(skipped, "; "))
	}
	ests = append(ests, l.CustomEstimators...)
	for _, p := range problems {
		for _, e := range ests {
			jobs = append(jobs, job{p, e})
		}
	}
	return jobs, skipped, orderFamily, nil
}

// alphas returns the mixing weights at which the estimator of spec runs: Alphas when it reads α, else one 0 (the
// default).
func (l Lab) alphas(spec reinmax.Spec) []float64 {
	if !slices.Contains(spec.Params, "alpha") || len(l.Alphas) == 0 {
		return []float64{0}
	}
	return l.Alphas
}

// params returns the estimator parameters of one measurement.
func (l Lab) params(tau, alpha float64) reinmax.Params {
	return reinmax.Params{Tau: tau, K: l.K, Alpha: alpha, TauForward: l.TauForward}
}

// Validate returns an error naming the bad input (an unknown problem or estimator, a problem too large to
// enumerate, fewer than 2 draws, ...) without running anything.
func (l Lab) Validate() error {
	_, _, _, err := l.plan()
	return err
}

// Run runs the sweep on backend, reporting progress (counted in draws over the whole sweep) to report, and writes
// the result files into Dir. It returns the summary even when writing a file failed, with the error.
func (l Lab) Run(backend compute.Backend, report progress.Reporter) (*Summary, error) {
	jobs, skipped, family, err := l.plan()
	if err != nil {
		return nil, err
	}
	if err := results.PrepareDir(l.Dir); err != nil {
		return nil, err
	}
	orderDraws := cmp.Or(l.OrderDraws, 8*l.Config.Draws)
	var mcEsts []Estimator
	var exactEsts []Estimator
	if family != nil {
		for _, name := range l.Estimators {
			spec, _ := reinmax.Lookup(name) // plan checked the name
			for _, alpha := range l.alphas(spec) {
				e, err := NewEstimator(name, l.params(1, alpha))
				if err != nil {
					continue
				}
				if e.Oracle != nil {
					exactEsts = append(exactEsts, e)
				}
				if slices.Contains(OrderMCEstimators, name) {
					mcEsts = append(mcEsts, e)
				}
			}
		}
	}
	total := len(jobs)*l.Config.Draws + len(mcEsts)*len(OrderMCH)*orderDraws
	done := 0
	sum := &Summary{Skipped: skipped}
	for i, j := range jobs {
		run := fmt.Sprintf("%s on %s [%d/%d]", j.est, j.problem.Name(), i+1, len(jobs))
		r, err := Measure(backend, j.problem, j.est, l.Config, func(p progress.Update) {
			report.Report(progress.Update{Run: run, Done: done + p.Done, Total: total, Metrics: p.Metrics})
		})
		if err != nil {
			return sum, err
		}
		done += l.Config.Draws
		sum.Results = append(sum.Results, r)
	}
	if family != nil {
		fam := NetFamily(*family)
		for _, e := range exactEsts {
			o, err := ExactOrder(fam, OrderExactH, orderName(e), e.Oracle)
			if err != nil {
				return sum, err
			}
			if err := o.Fit(OrderFitLo, OrderFitHi); err != nil {
				return sum, err
			}
			sum.Exact = append(sum.Exact, o)
		}
		cfg := l.Config
		cfg.Draws = orderDraws
		for _, e := range mcEsts {
			o, err := MeasureOrder(backend, fam, OrderMCH, e, cfg, func(p progress.Update) {
				report.Report(progress.Update{Run: "order of accuracy: " + p.Run, Done: done + p.Done, Total: total, Metrics: p.Metrics})
			})
			if err != nil {
				return sum, err
			}
			done += len(OrderMCH) * orderDraws
			sum.MC = append(sum.MC, o)
		}
	}
	return sum, l.write(sum, family)
}

// orderName names an estimator in the order study: its name, with α for the α family.
func orderName(e Estimator) string {
	if e.Alpha != 0 {
		return fmt.Sprintf("%s(alpha=%s)", e.Name, fmtFloat(e.Alpha))
	}
	return e.Name
}

// write writes the result files of sum.
func (l Lab) write(sum *Summary, family *ProblemSpec) error {
	path := func(name string) string { return filepath.Join(l.Dir, name) }
	if err := results.WriteCSV(path(ResultsCSV), resultHeader, resultRows(sum.Results)); err != nil {
		return err
	}
	if err := writeJSONL(path(ResultsJSONL), sum.Results); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path(TableFile), []byte(Table(sum))); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path(AtlasFile), []byte(Atlas(sum))); err != nil {
		return err
	}
	for _, pr := range problemOrder(sum.Results) {
		var rs []*Result
		for _, r := range sum.Results {
			if r.Problem == pr {
				rs = append(rs, r)
			}
		}
		base, _, _ := strings.Cut(pr, ":")
		if err := WriteTauPlot(path(TauPlotPrefix+base), pr, rs); err != nil {
			return err
		}
		if err := WriteAtlasPlot(path(AtlasPlotPrefix+base), pr, rs); err != nil {
			return err
		}
	}
	if family == nil {
		return nil
	}
	if err := results.WriteCSV(path(OrderCSV), orderHeader, orderRows(sum)); err != nil {
		return err
	}
	var recs []any
	for _, o := range sum.Exact {
		recs = append(recs, struct {
			Kind string `json:"kind"`
			Order
		}{"exact", o})
	}
	for _, o := range sum.MC {
		recs = append(recs, struct {
			Kind string `json:"kind"`
			*MCOrder
		}{"monte-carlo", o})
	}
	if err := writeJSONL(path(OrderJSONL), recs); err != nil {
		return err
	}
	f := *family
	f.H = 0
	title := fmt.Sprintf("relative bias ‖E[g] − g*‖/‖g*‖ on f_h(D) = F(hD), %s, τ = 1", strings.Replace(f.String(), ",h=1", "", 1))
	return WriteOrderPlot(path(OrderPlot), title, sum.Exact, sum.MC)
}

func writeJSONL[T any](path string, recs []T) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
}

var resultHeader = []string{"problem", "estimator", "tau", "k", "alpha", "tau_forward", "evals", "seed", "draws", "dim", "full_cov", "level", "exact_norm",
	"rel_bias", "rel_bias_lo", "rel_bias_hi", "rel_bias_plugin", "exact_rel_bias", "noise_floor", "rel_std",
	"mean_cos", "mean_cos_lo", "mean_cos_hi", "cos_of_mean", "cos_of_mean_lo", "cos_of_mean_hi",
	"mse", "mse_lo", "mse_hi", "bias2", "var", "seconds"}

func resultRows(rs []*Result) [][]string {
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }
	var rows [][]string
	for _, r := range rs {
		exact := ""
		if r.ExactRelBias != nil {
			exact = g(*r.ExactRelBias)
		}
		rows = append(rows, []string{r.Problem, r.Estimator, g(r.Tau), strconv.Itoa(r.K), g(r.Alpha), g(r.TauForward),
			strconv.Itoa(r.Evals), strconv.FormatInt(r.Seed, 10),
			strconv.Itoa(r.N), strconv.Itoa(r.Dim), strconv.FormatBool(r.FullCov), g(r.Level), g(r.ExactNorm),
			g(r.RelBias), g(r.RelBiasLo), g(r.RelBiasHi), g(r.RelBiasPlugIn), exact, g(r.NoiseFloor), g(r.RelStd),
			g(r.MeanCos), g(r.MeanCosLo), g(r.MeanCosHi), g(r.CosOfMean), g(r.CosOfMeanLo), g(r.CosOfMeanHi),
			g(r.MSE), g(r.MSELo), g(r.MSEHi), g(r.Bias2), g(r.Var), strconv.FormatFloat(r.Seconds, 'f', 3, 64)})
	}
	return rows
}

var orderHeader = []string{"kind", "estimator", "h", "rel_bias", "rel_bias_lo", "rel_bias_hi", "slope", "fit_h_lo", "fit_h_hi"}

func orderRows(sum *Summary) [][]string {
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }
	var rows [][]string
	for _, o := range sum.Exact {
		for i, h := range o.H {
			rows = append(rows, []string{"exact", o.Estimator, g(h), g(o.RelBias[i]), "", "", g(o.Slope), g(o.FitLo), g(o.FitHi)})
		}
	}
	for _, o := range sum.MC {
		slope := ""
		if o.Fitted {
			slope = g(o.Slope)
		}
		for i, r := range o.Results {
			rows = append(rows, []string{"monte-carlo", o.Estimator, g(o.H[i]), g(r.RelBias), g(r.RelBiasLo), g(r.RelBiasHi), slope, "", ""})
		}
	}
	return rows
}

// Table returns a Markdown summary of sum: per problem, one row per estimator and temperature with the relative
// bias and its interval (and the oracle's exact value when there is one), the relative standard deviation, the
// cosines and the split of the mean squared error; then the slopes of the order-of-accuracy study.
func Table(sum *Summary) string {
	var b strings.Builder
	f3 := func(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }
	for _, pr := range problemOrder(sum.Results) {
		var first *Result
		for _, r := range sum.Results {
			if r.Problem == pr {
				first = r
				break
			}
		}
		fmt.Fprintf(&b, "### %s\n\n%d draws per row, %.0f%% intervals, ‖g*‖ = %.4g; evals: loss evaluations per draw.\n\n",
			pr, first.N, 100*first.Level, first.ExactNorm)
		b.WriteString("| estimator | τ | evals | rel. bias [CI] | exact rel. bias | rel. std | mean cos | cos of mean | MSE = bias² + var |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range sum.Results {
			if r.Problem != pr {
				continue
			}
			name := withParams(r.Estimator, 0, r.K, r.Alpha, r.TauForward)
			exact, tau := "–", "–"
			if r.ExactRelBias != nil {
				exact = f3(*r.ExactRelBias)
			}
			if r.Tau != 0 {
				tau = fmtFloat(r.Tau)
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %s [%s, %s] | %s | %s | %s | %s | %.3g = %.3g + %.3g |\n", name, tau, r.Evals,
				f3(r.RelBias), f3(r.RelBiasLo), f3(r.RelBiasHi), exact, f3(r.RelStd), f3(r.MeanCos), f3(r.CosOfMean),
				r.MSE, r.Bias2, r.Var)
		}
		b.WriteString("\n")
	}
	if len(sum.Exact)+len(sum.MC) > 0 {
		b.WriteString("### Order of accuracy (τ = 1)\n\n| estimator | slope of log rel. bias vs log h | from |\n|---|---|---|\n")
		for _, o := range sum.Exact {
			fmt.Fprintf(&b, "| %s | %.3f | exact expectation, %d values of h in [%s, %s] |\n", o.Estimator, o.Slope, o.fitPoints(), fmtH(o.FitLo), fmtH(o.FitHi))
		}
		for _, o := range sum.MC {
			slope := "– (fewer than 2 points resolved)"
			if o.Fitted {
				slope = fmt.Sprintf("%.3f", o.Slope)
			}
			hs := make([]string, len(o.H))
			for i, h := range o.H {
				hs[i] = fmtH(h)
			}
			fmt.Fprintf(&b, "| %s | %s | Monte Carlo, %d draws per point, h = %s |\n", o.Estimator, slope, o.Results[0].N, strings.Join(hs, ", "))
		}
		b.WriteString("\n")
	}
	if len(sum.Skipped) > 0 {
		b.WriteString("Skipped: " + strings.Join(sum.Skipped, "; ") + ".\n")
	}
	return b.String()
}
