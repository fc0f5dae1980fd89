package poly

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/plots"
	"github.com/f60e9205/reinmax/results"
)

// File names of the report in the output folder.
const (
	SummaryFile = "summary.csv"
	CurvesBase  = "curves" // curves.png and curves.svg
	CostFile    = "cost.csv"
)

// Summary is the final exact loss of one configuration (an estimator with its parameters, a p, a target, L,
// batch, learning rate and number of steps) over its seeds.
type Summary struct {
	Estimator  string
	Tau        float64
	K          int
	Alpha      float64 // reinmax-alpha's α; 0 for the others
	TauForward float64 // the decoupled estimators' τ_f; 0 for the others
	P          float64
	Target     Target
	L, Batch   int
	LR         float64
	Steps      int
	Seeds      int     // number of finished runs (seeds)
	Mean, Std  float64 // of the final exact loss over seeds; Std is the sample standard deviation, NaN for 1 seed
	Optimum    float64
	// Gap is the mean over seeds of the final E(θ) − min E (each computed without cancellation).
	Gap float64
	// Sampled is the mean over seeds of the sampled loss averaged over the last Config.Every steps.
	Sampled float64
	name    string // the label of the group, see Label
}

// Label names the configuration's estimator in tables and legends: its name, with τ when it differs from the
// estimator's default, and K, α and τ_f when it has them; followed, where groups of runs with one such name and p
// differ in other settings, by those settings.
func (s Summary) Label() string {
	if s.name != "" {
		return s.name
	}
	return label(s.Estimator, reinmax.Params{Tau: s.Tau, K: s.K, Alpha: s.Alpha, TauForward: s.TauForward})
}

// groupLabels names the runs of recs as Summary.Label does.
func groupLabels(recs []Record) func(Record) string {
	name := func(r Record) string {
		return label(r.Estimator, reinmax.Params{Tau: r.Tau, K: r.K, Alpha: r.Alpha, TauForward: r.TauForward})
	}
	labels := experiments.GroupLabels(recs, func(r Record) any { return r.Settings },
		func(r Record) string { return fmtG(r.P) }, name)
	return func(r Record) string { return labels[experiments.SettingsKey(r.Settings)] }
}

// label names an estimator with its parameters: τ when it differs from the estimator's default, K, α and τ_f when
// the estimator has them.
func label(name string, p reinmax.Params) string {
	l := name
	if spec, err := reinmax.Lookup(name); err != nil || spec.Tau != p.Tau {
		l += " τ=" + strconv.FormatFloat(p.Tau, 'g', -1, 64)
	}
	if p.K > 0 {
		l += " K=" + strconv.Itoa(p.K)
	}
	if p.Alpha > 0 {
		l += " α=" + strconv.FormatFloat(p.Alpha, 'g', -1, 64)
	}
	if p.TauForward > 0 {
		l += " τf=" + strconv.FormatFloat(p.TauForward, 'g', -1, 64)
	}
	return l
}

// group is the key of a configuration: a record's settings without the seed, and the ones shown.
type group struct {
	settings  string
	estimator string
	tau       float64
	k         int
	alpha, tf float64
	p         float64
	target    Target
	l, batch  int
	lr        float64
	steps     int
}

func groupOf(r Record) group {
	return group{experiments.SettingsKey(r.Settings), r.Estimator, r.Tau, r.K, r.Alpha, r.TauForward, r.P, r.Target, r.L, r.Batch, r.LR, r.Steps}
}

// Summarize returns one Summary per configuration found among the final records of recs, in the order the
// configurations first appear.
func Summarize(recs []Record) []Summary {
	var order []group
	finals := make(map[group][]Record)
	name := groupLabels(results.Complete(recs))
	for _, r := range recs {
		if !r.Final() {
			continue
		}
		g := groupOf(r)
		if _, ok := finals[g]; !ok {
			order = append(order, g)
		}
		finals[g] = append(finals[g], r)
	}
	out := make([]Summary, 0, len(order))
	for _, g := range order {
		rs := finals[g]
		exact := make([]float64, len(rs))
		var gap, sampled float64
		for i, r := range rs {
			exact[i] = r.Exact
			gap += r.Gap
			sampled += r.Sampled
		}
		mean, std := stat.Mean(exact, nil), math.NaN()
		if len(rs) > 1 {
			std = stat.StdDev(exact, nil)
		}
		n := float64(len(rs))
		out = append(out, Summary{Estimator: g.estimator, Tau: g.tau, K: g.k, Alpha: g.alpha, TauForward: g.tf, P: g.p, Target: g.target, L: g.l,
			Batch: g.batch, LR: g.lr, Steps: g.steps, Seeds: len(rs), Mean: mean, Std: std, Optimum: rs[0].Optimum,
			Gap: gap / n, Sampled: sampled / n, name: name(rs[0])})
	}
	return out
}

// WriteSummary writes the summaries to path as CSV, atomically.
func WriteSummary(path string, sums []Summary) error {
	header := []string{"estimator", "tau", "k", "alpha", "tau_forward", "p", "target", "L", "batch", "lr", "steps", "seeds",
		"final_exact_mean", "final_exact_std", "optimum", "gap_to_optimum", "final_sampled_mean"}
	rows := make([][]string, len(sums))
	for i, s := range sums {
		rows[i] = []string{s.Estimator, fmtG(s.Tau), strconv.Itoa(s.K), fmtG(s.Alpha), fmtG(s.TauForward), fmtG(s.P), string(s.Target), strconv.Itoa(s.L),
			strconv.Itoa(s.Batch), fmtG(s.LR), strconv.Itoa(s.Steps), strconv.Itoa(s.Seeds), fmtF(s.Mean), fmtF(s.Std),
			fmtF(s.Optimum), fmtF(s.Gap), fmtF(s.Sampled)}
	}
	return results.WriteCSV(path, header, rows)
}

func fmtG(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
func fmtF(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }

// Curves returns the figure of the paper: one panel per p, one curve per configuration, the gap of the exact loss
// to the optimum (mean over seeds) against the step, on a log scale. Only runs with a final record are drawn.
func Curves(recs []Record) (plots.Figure, error) {
	type curve struct {
		steps []float64
		sums  []float64
		count []int
	}
	var ps []float64
	var groups []group
	curves := make(map[group]*curve)
	names := make(map[group]string)
	recs = results.Complete(recs)
	name := groupLabels(recs)
	for _, r := range recs {
		g := groupOf(r)
		c, ok := curves[g]
		if !ok {
			c = &curve{}
			names[g] = name(r)
			curves[g] = c
			groups = append(groups, g)
			if !slices.Contains(ps, r.P) {
				ps = append(ps, r.P)
			}
		}
		i, found := slices.BinarySearch(c.steps, float64(r.Step))
		if !found {
			c.steps = slices.Insert(c.steps, i, float64(r.Step))
			c.sums = slices.Insert(c.sums, i, 0)
			c.count = slices.Insert(c.count, i, 0)
		}
		c.sums[i] += r.Gap
		c.count[i]++
	}
	if len(groups) == 0 {
		return plots.Figure{}, fmt.Errorf("poly: no finished run to plot")
	}
	slices.Sort(ps)
	fig := plots.Figure{Cols: min(len(ps), 3)}
	for _, p := range ps {
		panel := plots.Panel{XLabel: "step", YLabel: "exact loss − optimum", LogY: true}
		var targets []Target
		for _, g := range groups {
			if g.p != p {
				continue
			}
			c := curves[g]
			ys := make([]float64, len(c.sums))
			for i := range ys {
				ys[i] = c.sums[i] / float64(c.count[i])
			}
			panel.Series = append(panel.Series, plots.Series{Label: names[g], X: c.steps, Y: ys})
			if !slices.Contains(targets, g.target) {
				targets = append(targets, g.target)
			}
		}
		panel.Title = fmt.Sprintf("p = %s", fmtG(p))
		if len(targets) == 1 {
			panel.Title += fmt.Sprintf(", target %s", targets[0])
		}
		fig.Panels = append(fig.Panels, panel)
	}
	return fig, nil
}

// WriteReport writes summary.csv and the curves (curves.png, curves.svg) of recs into dir, each atomically.
func WriteReport(dir string, recs []Record) error {
	if err := WriteSummary(filepath.Join(dir, SummaryFile), Summarize(recs)); err != nil {
		return err
	}
	fig, err := Curves(recs)
	if err != nil {
		return err
	}
	return fig.Save(filepath.Join(dir, CurvesBase))
}

// WriteCost writes the cost table to path as CSV, atomically: times in seconds, memory in megabytes (10⁶ bytes).
func WriteCost(path string, steps int, costs []Cost) error {
	header := []string{"estimator", "tau", "k", "steps_timed", "ms_per_step", fmt.Sprintf("seconds_per_%d_steps", steps),
		"peak_rss_mb", "base_rss_mb", "peak_go_heap_mb"}
	rows := make([][]string, len(costs))
	for i, c := range costs {
		rows[i] = []string{c.Estimator, fmtG(c.Tau), strconv.Itoa(c.K), strconv.Itoa(c.StepsTimed),
			strconv.FormatFloat(float64(c.StepTime)/float64(time.Millisecond), 'f', 3, 64),
			strconv.FormatFloat(c.PerSteps.Seconds(), 'f', 2, 64),
			strconv.FormatFloat(float64(c.PeakRSS)/1e6, 'f', 1, 64),
			strconv.FormatFloat(float64(c.BaseRSS)/1e6, 'f', 1, 64),
			strconv.FormatFloat(float64(c.PeakHeap)/1e6, 'f', 1, 64)}
	}
	return results.WriteCSV(path, header, rows)
}

// Report reads the results file of dir and writes its summary and curves (see WriteReport).
func Report(dir string) error {
	recs, err := experiments.ReadResults[Config, Record]("poly", dir)
	if err != nil {
		return err
	}
	return WriteReport(dir, recs)
}

// Table lays the summaries out as a table: one row per estimator, one column per p and target, the final exact
// loss as mean ± std over seeds, and a last row with the optimum.
func Table(sums []Summary) results.Table {
	var g results.Grid
	col := func(s Summary) string { return fmt.Sprintf("p = %s, %s", fmtG(s.P), s.Target) }
	for _, s := range sums {
		g.Set(s.Label(), col(s), fmt.Sprintf("%.6f ± %.6f (%d steps, %s)", s.Mean, s.Std, s.Steps, results.Count(s.Seeds, "seed")))
	}
	for _, s := range sums {
		g.Set("optimum", col(s), fmt.Sprintf("%.6f", s.Optimum))
	}
	return results.Table{Caption: "Final exact loss E(θ) (lower is better; the optimum in the last row), mean ± std over seeds.",
		Corner: "estimator", Grid: g}
}

// Paired compares ReinMax with every other estimator of each p and target on the seeds they share, by the final
// exact loss.
func Paired(recs []Record) results.PairedTable {
	rows := results.PairedOf(recs, "reinmax", Record.Final, func(r Record) string { return fmt.Sprintf("p = %s, %s", fmtG(r.P), r.Target) },
		func(r Record) string { return r.Estimator }, func(r Record) int64 { return r.Seed }, func(r Record) float64 { return r.Exact })
	return results.PairedTable{Heading: "ReinMax (A) against each estimator (B), final exact loss (lower is better), on the same seeds; verdict at level 0.05.",
		Rows: rows, LowerIsBetter: true}
}
