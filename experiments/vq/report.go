package vq

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/stat"

	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/internal/atomicfile"
	"github.com/f60e9205/reinmax/plots"
	"github.com/f60e9205/reinmax/results"
)

// CurvesFile is the base name of the learning-curve figure (".png" and ".svg").
const CurvesFile = "curves"

// Summary is the final record of the finished runs of one data set and method (Config.Name, with the settings that
// tell its runs from others of that name), over seeds.
type Summary struct {
	Data, Name          string
	Steps, Seeds        int
	TestMean, TestStd   float64 // test MSE per pixel, nearest codes
	SampledMean         float64 // test MSE per pixel, sampled codes; NaN for deterministic methods
	TrainMean           float64 // training MSE over the last record's steps
	CodesMean, CodesStd float64 // codes the test set uses
	PerplexityMean      float64
	Codes               int // K
	Refresh             int // the refresh period, 0 for none
	Collapsed           int // runs whose test set uses one code
	MillisecondsPerStep float64
	RefreshedPerRunMean float64 // codes replaced by the refresh over the whole run
}

// methodLabels names the runs of recs by Config.Name, followed by the settings that set a group of runs apart from
// others of its data set and name (experiments.GroupLabels): runs that differ in any setting but the seed are never
// averaged together.
func methodLabels(recs []Eval) func(Eval) string {
	labels := experiments.GroupLabels(recs, func(e Eval) any { return e.Settings },
		func(e Eval) string { return e.Data }, func(e Eval) string { return e.Name })
	return func(e Eval) string { return labels[experiments.SettingsKey(e.Settings)] }
}

// Summarize groups the final records of finished runs by data set and method (methodLabels), in the order first
// seen.
func Summarize(recs []Eval) []Summary {
	var out []Summary
	label := methodLabels(recs)
	for _, g := range results.GroupFinished(recs, func(e Eval) string { return e.Data + " " + label(e) }) {
		rs, first := g.Finals, g.Finals[0]
		s := Summary{Data: first.Data, Name: label(first), Steps: first.Steps, Seeds: len(rs), SampledMean: math.NaN()}
		if first.Settings != nil {
			s.Codes, s.Refresh = first.Settings.Codes, first.Settings.Refresh
		}
		s.TestMean, s.TestStd = results.MeanStd(results.Column(rs, func(e Eval) float64 { return e.TestMSE }))
		if first.TestMSESampled != 0 {
			s.SampledMean = stat.Mean(results.Column(rs, func(e Eval) float64 { return e.TestMSESampled }), nil)
		}
		s.TrainMean = stat.Mean(results.Column(rs, func(e Eval) float64 { return e.TrainMSE }), nil)
		s.CodesMean, s.CodesStd = results.MeanStd(results.Column(rs, func(e Eval) float64 { return float64(e.TestCodesUsed) }))
		s.PerplexityMean = stat.Mean(results.Column(rs, func(e Eval) float64 { return e.TestPerplexity }), nil)
		for _, r := range rs {
			if r.Collapsed {
				s.Collapsed++
			}
		}
		var seconds float64
		steps := 0
		for _, r := range g.Runs {
			seconds += r.Seconds
		}
		for _, r := range rs {
			steps += r.Steps
		}
		s.MillisecondsPerStep = 1000 * seconds / float64(steps)
		s.RefreshedPerRunMean = stat.Mean(results.Column(g.Runs, func(e Eval) float64 { return float64(e.Refreshed) }), nil) *
			float64(len(g.Runs)) / float64(len(rs))
		out = append(out, s)
	}
	return out
}

// Report reads the results of dir and writes its summary.csv, table.md and learning curves.
func Report(dir string) error {
	recs, err := results.ReadJSONL[Eval](filepath.Join(dir, experiments.ResultsFile))
	if err != nil {
		return err
	}
	sums := Summarize(recs)
	header := []string{"data", "method", "steps", "seeds", "test_mse_mean", "test_mse_std", "test_mse_sampled_mean",
		"train_mse_mean", "test_codes_used_mean", "test_codes_used_std", "codes", "test_perplexity_mean",
		"collapsed_runs", "ms_per_step", "refreshed_codes_per_run"}
	var rows [][]string
	for _, s := range sums {
		rows = append(rows, []string{s.Data, s.Name, strconv.Itoa(s.Steps), strconv.Itoa(s.Seeds),
			results.Num(s.TestMean), results.Num(s.TestStd), results.Num(s.SampledMean), results.Num(s.TrainMean),
			results.Num(s.CodesMean), results.Num(s.CodesStd), strconv.Itoa(s.Codes), results.Num(s.PerplexityMean),
			strconv.Itoa(s.Collapsed), results.Num(s.MillisecondsPerStep), results.Num(s.RefreshedPerRunMean)})
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

// tableCaption says what the numbers of a data set's table are.
const tableCaption = "Final record, mean ± std over seeds (the mean alone for one seed): reconstruction MSE per pixel ×1000 on the test set " +
	"with the nearest codes (and with sampled codes for stochastic methods) and over the last training steps; codes " +
	"the test set uses and the perplexity of their histogram; codes replaced by the refresh over a run."

// dataSets returns the data sets of sums, in the order first seen.
func dataSets(sums []Summary) []string {
	var out []string
	for _, s := range sums {
		if !slices.Contains(out, s.Data) {
			out = append(out, s.Data)
		}
	}
	return out
}

// grid lays out the summaries of data set d: a row per method, the final record's numbers as mean ± std over seeds.
func grid(sums []Summary, d string) results.Grid {
	var g results.Grid
	for _, s := range sums {
		if s.Data != d {
			continue
		}
		g.Set(s.Name, "test MSE ×1000", meanStd(1000*s.TestMean, 1000*s.TestStd, s.Seeds, 2))
		sampled := ""
		if !math.IsNaN(s.SampledMean) {
			sampled = fmt.Sprintf("%.2f", 1000*s.SampledMean)
		}
		g.Set(s.Name, "sampled codes", sampled)
		g.Set(s.Name, "train MSE ×1000", fmt.Sprintf("%.2f", 1000*s.TrainMean))
		g.Set(s.Name, "codes used", meanStd(s.CodesMean, s.CodesStd, s.Seeds, 0)+fmt.Sprintf(" of %d", s.Codes))
		g.Set(s.Name, "perplexity", fmt.Sprintf("%.1f", s.PerplexityMean))
		g.Set(s.Name, "collapsed", fmt.Sprintf("%d of %d", s.Collapsed, s.Seeds))
		refreshed := ""
		if s.Refresh > 0 {
			refreshed = fmt.Sprintf("%.0f", s.RefreshedPerRunMean)
		}
		g.Set(s.Name, "refreshed", refreshed)
		g.Set(s.Name, "ms/step", fmt.Sprintf("%.0f", s.MillisecondsPerStep))
		g.Set(s.Name, "steps, seeds", fmt.Sprintf("%d, %d", s.Steps, s.Seeds))
	}
	return g
}

// Tables returns the tables of table.md, one per data set, its caption starting with the data set's name.
func Tables(sums []Summary) []results.Table {
	var out []results.Table
	for _, d := range dataSets(sums) {
		out = append(out, results.Table{Caption: d + ": " + tableCaption, Corner: "method", Grid: grid(sums, d)})
	}
	return out
}

// writeTable writes one table per data set under a heading naming it.
func writeTable(w io.Writer, sums []Summary) error {
	for _, d := range dataSets(sums) {
		g := grid(sums, d)
		if _, err := fmt.Fprintf(w, "## %s\n\n%s\n\n", d, tableCaption); err != nil {
			return err
		}
		if err := g.WriteMarkdown(w, "method"); err != nil {
			return err
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	return nil
}

// meanStd formats a mean over seeds with the given decimals, and its standard deviation when there are several seeds.
func meanStd(mean, std float64, seeds, decimals int) string {
	if seeds < 2 {
		return strconv.FormatFloat(mean, 'f', decimals, 64)
	}
	return fmt.Sprintf("%.*f ± %.*f", decimals, mean, decimals, std)
}

// Curves returns, for every data set, the test MSE, the codes the test set uses and the perplexity of their
// histogram against the step, one line per method, averaged over the seeds of the finished runs; a figure without
// panels when no run has finished.
func Curves(recs []Eval) plots.Figure {
	var datasets []string
	mse, codes, perplexity := map[string]*plots.Mean{}, map[string]*plots.Mean{}, map[string]*plots.Mean{}
	label := methodLabels(recs)
	for _, r := range results.Complete(recs) {
		if !slices.Contains(datasets, r.Data) {
			datasets = append(datasets, r.Data)
			mse[r.Data], codes[r.Data], perplexity[r.Data] = new(plots.Mean), new(plots.Mean), new(plots.Mean)
		}
		mse[r.Data].Add(label(r), float64(r.Step), 1000*r.TestMSE)
		codes[r.Data].Add(label(r), float64(r.Step), float64(r.TestCodesUsed))
		perplexity[r.Data].Add(label(r), float64(r.Step), r.TestPerplexity)
	}
	var panels []plots.Panel
	for _, d := range datasets {
		panels = append(panels,
			plots.Panel{Title: d + ", test MSE (nearest codes)", XLabel: "step", YLabel: "MSE per pixel ×1000", Series: mse[d].Series()},
			plots.Panel{Title: d + ", codes the test set uses", XLabel: "step", YLabel: "codes", Series: codes[d].Series()},
			plots.Panel{Title: d + ", perplexity of their histogram", XLabel: "step", YLabel: "perplexity", Series: perplexity[d].Series()})
	}
	return plots.Figure{Panels: panels, Cols: 3}
}
