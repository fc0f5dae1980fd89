package moe

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot/vg"

	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/internal/atomicfile"
	"github.com/f60e9205/reinmax/plots"
	"github.com/f60e9205/reinmax/results"
)

// Summary is the finished runs of one data set, method and top-k, over seeds: the last record of each run (test
// metrics, and training statistics of the last window), and the mean over the run of the test NLL at every record,
// which is lower for a method that converges faster.
type Summary struct {
	Data, Method              string
	TopK, Steps, Seeds        int
	TestAccMean, TestAccStd   float64
	TestNLLMean, TestNLLStd   float64
	NLLCurveMean, NLLCurveStd float64 // mean over records of the test NLL, then mean and std over seeds
	TrainLossMean             float64
	LoadEntropy, LoadMaxMean  float64 // training, last window, mean over seeds
	TestLoadEntropy           float64
	TestLoadMaxMean           float64
	Dropped                   float64 // fraction of assignments dropped over the whole run, mean over seeds
	StepMS                    float64 // mean wall time of a training step, milliseconds
}

// column names the run's column of the tables: its data set and top-k.
func (p Point) column() string { return p.Data + " top-" + strconv.Itoa(p.TopK) }

// methodLabels names the runs of recs by their method, followed by the settings that set a group of runs apart
// from others of its data set, top-k and method (experiments.GroupLabels).
func methodLabels(recs []Point) func(Point) string {
	labels := experiments.GroupLabels(recs, func(p Point) any { return p.Settings }, Point.column,
		func(p Point) string { return p.Method })
	return func(p Point) string { return labels[experiments.SettingsKey(p.Settings)] }
}

// Summarize groups the records of finished runs by data set, method and top-k, in the order first seen.
func Summarize(recs []Point) []Summary {
	var out []Summary
	label := methodLabels(recs)
	groups := results.GroupFinished(recs, func(p Point) string { return p.column() + " " + label(p) })
	for _, g := range groups {
		rs, first := g.Finals, g.Finals[0]
		s := Summary{Data: first.Data, Method: label(first), TopK: first.TopK, Steps: first.Steps, Seeds: len(rs)}
		col := func(f func(Point) float64) []float64 { return results.Column(rs, f) }
		s.TestAccMean, s.TestAccStd = results.MeanStd(col(func(p Point) float64 { return p.TestAcc }))
		s.TestNLLMean, s.TestNLLStd = results.MeanStd(col(func(p Point) float64 { return p.TestNLL }))
		s.TrainLossMean = stat.Mean(col(func(p Point) float64 { return p.TrainLoss }), nil)
		s.LoadEntropy = stat.Mean(col(func(p Point) float64 { return p.LoadEntropy }), nil)
		s.LoadMaxMean = stat.Mean(col(func(p Point) float64 { return p.LoadMaxMean }), nil)
		s.TestLoadEntropy = stat.Mean(col(func(p Point) float64 { return p.TestLoadEntropy }), nil)
		s.TestLoadMaxMean = stat.Mean(col(func(p Point) float64 { return p.TestLoadMaxMean }), nil)
		// Per run: the mean test NLL over its records, and the dropped fraction weighted by window length.
		curves, dropped := map[string][]float64{}, map[string][2]float64{}
		var seconds, steps float64
		for _, p := range g.Runs {
			curves[p.Run] = append(curves[p.Run], p.TestNLL)
			d := dropped[p.Run]
			dropped[p.Run] = [2]float64{d[0] + p.Dropped*float64(p.Window), d[1] + float64(p.Window)}
			seconds += p.Seconds
			steps += float64(p.Window)
		}
		var curve, drop []float64
		for _, f := range rs {
			curve = append(curve, stat.Mean(curves[f.Run], nil))
			drop = append(drop, dropped[f.Run][0]/dropped[f.Run][1])
		}
		s.NLLCurveMean, s.NLLCurveStd = results.MeanStd(curve)
		s.Dropped = stat.Mean(drop, nil)
		s.StepMS = 1000 * seconds / steps
		out = append(out, s)
	}
	return out
}

// Report reads the results of dir and writes its summary.csv, table.md and learning curves.
func Report(dir string) error {
	recs, err := results.ReadJSONL[Point](filepath.Join(dir, experiments.ResultsFile))
	if err != nil {
		return err
	}
	sums := Summarize(recs)
	header := []string{"data", "method", "top_k", "steps", "seeds", "test_acc_mean", "test_acc_std", "test_nll_mean",
		"test_nll_std", "nll_curve_mean", "nll_curve_std", "train_loss", "load_entropy", "load_max_mean",
		"test_load_entropy", "test_load_max_mean", "dropped", "step_ms"}
	var rows [][]string
	for _, s := range sums {
		rows = append(rows, []string{s.Data, s.Method, strconv.Itoa(s.TopK), strconv.Itoa(s.Steps), strconv.Itoa(s.Seeds),
			results.Num(s.TestAccMean), results.Num(s.TestAccStd), results.Num(s.TestNLLMean), results.Num(s.TestNLLStd),
			results.Num(s.NLLCurveMean), results.Num(s.NLLCurveStd), results.Num(s.TrainLossMean),
			results.Num(s.LoadEntropy), results.Num(s.LoadMaxMean), results.Num(s.TestLoadEntropy),
			results.Num(s.TestLoadMaxMean), results.Num(s.Dropped), results.Num(s.StepMS)})
	}
	if err := results.WriteCSV(filepath.Join(dir, SummaryFile), header, rows); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, TableFile), func(w io.Writer) error { return writeTable(w, sums) }); err != nil {
		return err
	}
	if fig := Curves(recs); len(fig.Panels) > 0 {
		return fig.Save(filepath.Join(dir, CurvesFile))
	}
	return nil
}

// dataTables is what table.md shows of one data set: the test accuracy by method and top-k, and a row of every
// summary number per method and top-k, under detailColumns.
type dataTables struct {
	data    string
	steps   int
	acc     results.Grid
	details [][]string
}

// detailColumns head the rows of dataTables.details.
var detailColumns = []string{"method", "top-k", "seeds", "test acc. %", "test NLL", "mean test NLL over training",
	"train loss", "load entropy", "load max/mean", "test load max/mean", "dropped %", "step ms"}

// loadNote explains the load columns and the router of the test metrics.
const loadNote = "Load entropy is in nats (log 4 = 1.386 for 4 balanced experts) over the last training window; " +
	"load max/mean is the busiest expert's share over the mean share; dropped is the share of assignments over capacity " +
	"during training. Test metrics use the deterministic router (top-k by logit, no capacity limit)."

// tablesByData lays the summaries out per data set, in the order first seen.
func tablesByData(sums []Summary) []dataTables {
	var out []dataTables
	pct := func(m, sd float64) string { return fmt.Sprintf("%.2f ± %.2f", 100*m, 100*sd) }
	for _, s := range sums {
		i := slices.IndexFunc(out, func(d dataTables) bool { return d.data == s.Data })
		if i < 0 {
			i = len(out)
			out = append(out, dataTables{data: s.Data})
		}
		d := &out[i]
		d.steps = s.Steps
		d.acc.Set(s.Method, fmt.Sprintf("top-%d", s.TopK), pct(s.TestAccMean, s.TestAccStd))
		d.details = append(d.details, []string{s.Method, strconv.Itoa(s.TopK), strconv.Itoa(s.Seeds),
			pct(s.TestAccMean, s.TestAccStd), fmt.Sprintf("%.4f ± %.4f", s.TestNLLMean, s.TestNLLStd),
			fmt.Sprintf("%.4f ± %.4f", s.NLLCurveMean, s.NLLCurveStd), fmt.Sprintf("%.4f", s.TrainLossMean),
			fmt.Sprintf("%.3f", s.LoadEntropy), fmt.Sprintf("%.2f", s.LoadMaxMean), fmt.Sprintf("%.2f", s.TestLoadMaxMean),
			fmt.Sprintf("%.2f", 100*s.Dropped), fmt.Sprintf("%.1f", s.StepMS)})
	}
	return out
}

// Tables returns the tables of table.md: for every data set, the final test accuracy by method and top-k, then
// every summary number by method and top-k.
func Tables(sums []Summary) []results.Table {
	var out []results.Table
	for _, d := range tablesByData(sums) {
		name := dataName(d.data)
		var g results.Grid
		for _, r := range d.details {
			for i, c := range detailColumns[2:] {
				g.Set(r[0]+", top-"+r[1], c, r[i+2])
			}
		}
		out = append(out,
			results.Table{Caption: fmt.Sprintf("%s: test accuracy (%%) after %d steps, mean ± std over seeds.", name, d.steps), Corner: "method", Grid: d.acc},
			results.Table{Caption: name + ": every summary number, mean ± std over seeds where given. " + loadNote, Corner: "method, top-k", Grid: g})
	}
	return out
}

// writeTable writes, for every data set, the final test accuracy by method and top-k, then every summary number.
func writeTable(w io.Writer, sums []Summary) error {
	for _, d := range tablesByData(sums) {
		if _, err := fmt.Fprintf(w, "### %s\n\nTest accuracy (%%) after %d steps, mean ± std over seeds:\n\n", dataName(d.data), d.steps); err != nil {
			return err
		}
		if err := d.acc.WriteMarkdown(w, "method"); err != nil {
			return err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "\n| %s |\n|%s\n", strings.Join(detailColumns, " | "), strings.Repeat("---|", len(detailColumns)))
		for _, r := range d.details {
			fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
		}
		if _, err := fmt.Fprintf(w, "%s\n", b.String()); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, loadNote+"\n")
	return err
}

func dataName(data string) string {
	if data == Fashion {
		return "Fashion-MNIST"
	}
	return "MNIST"
}

// Curves returns, for every data set and top-k, the test error (falling, like the losses, so that the legend in the
// lower left corner covers no curve), the test NLL, the training loss and the busiest expert's training load over
// the mean against the step, one line per method, averaged over the seeds of the finished runs; a figure without
// panels when no run has finished.
func Curves(recs []Point) plots.Figure {
	type key struct {
		data string
		k    int
	}
	var keys []key
	var methods []string
	curves := map[key]*[4]plots.Mean{}
	label := methodLabels(recs)
	for _, p := range results.Complete(recs) {
		if !slices.Contains(methods, label(p)) {
			methods = append(methods, label(p))
		}
		k := key{p.Data, p.TopK}
		if _, ok := curves[k]; !ok {
			keys = append(keys, k)
			curves[k] = new([4]plots.Mean)
		}
		c := curves[k]
		x := float64(p.Step)
		c[0].Add(label(p), x, 100*(1-p.TestAcc))
		c[1].Add(label(p), x, p.TestNLL)
		c[2].Add(label(p), x, p.TrainLoss)
		c[3].Add(label(p), x, p.LoadMaxMean)
	}
	slices.SortStableFunc(keys, func(a, b key) int {
		if a.data != b.data {
			return strings.Compare(a.data, b.data) // fashion before mnist
		}
		return a.k - b.k
	})
	// Every panel lists every method in one order, absent ones empty, so that a method keeps its colour and dashes.
	aligned := func(m *plots.Mean) []plots.Series {
		byLabel := map[string]plots.Series{}
		for _, s := range m.Series() {
			byLabel[s.Label] = s
		}
		out := make([]plots.Series, len(methods))
		for i, name := range methods {
			out[i] = byLabel[name]
		}
		return out
	}
	var panels []plots.Panel
	for _, k := range keys {
		c := curves[k]
		name := fmt.Sprintf("%s top-%d", dataName(k.data), k.k)
		panels = append(panels,
			plots.Panel{Title: name + ", test error", XLabel: "step", YLabel: "%", Series: aligned(&c[0]), LogY: true},
			plots.Panel{Title: name + ", test NLL", XLabel: "step", YLabel: "nats", Series: aligned(&c[1]), LogY: true},
			plots.Panel{Title: name + ", training loss", XLabel: "step", YLabel: "nats", Series: aligned(&c[2]), LogY: true},
			plots.Panel{Title: name + ", busiest expert's load", XLabel: "step", YLabel: "× mean load", Series: aligned(&c[3])})
	}
	return plots.Figure{Panels: panels, Cols: 4, PanelHeight: 4 * vg.Inch}
}
