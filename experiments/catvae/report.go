package catvae

import (
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/internal/atomicfile"

	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/stat"

	"github.com/f60e9205/reinmax/results"
)

// The training −ELBO after 160 epochs that the authors report (their slides; DESIGN.md): ReinMax for each
// configuration, and every method's average over the six configurations of Table 2.
var (
	paperReinMax = map[string]float64{"8x4": 124.66, "4x24": 99.77, "8x16": 97.70, "16x12": 98.06, "64x8": 100.71, "10x30": 98.37}
	paperAverage = map[string]float64{"reinmax": 103.21, "gst-1.0": 104.25, "stgs": 105.20, "gr-mck": 107.06, "st": 116.72}
)

// Summary is the final epoch of the finished runs of one configuration and estimator, over seeds.
type Summary struct {
	Config, Estimator   string
	Epochs, Seeds       int
	TrainMean, TrainStd float64 // training −ELBO of the last epoch (the paper's metric)
	TestMean, TestStd   float64
	SecondsPerEpoch     float64
	PaperTrain          float64 // the paper's value at 160 epochs, NaN when it reports none
}

// Summarize groups the final records of finished runs by configuration and estimator, in the order first seen.
func Summarize(recs []Epoch) []Summary { return summarizeAt(recs, 0) }

// summarizeAt summarises the records of epoch of the finished runs (0: their final epoch) by configuration and
// estimator; a group whose runs did not all reach epoch is left out.
func summarizeAt(recs []Epoch, epoch int) []Summary {
	var out []Summary
	label := estimatorLabels(recs)
	for _, g := range results.GroupFinished(recs, func(e Epoch) string { return e.Config + " " + label(e) }) {
		rs := g.Finals
		if epoch > 0 {
			rs = nil
			for _, r := range g.Runs {
				if r.Epoch == epoch {
					rs = append(rs, r)
				}
			}
			if len(rs) != len(g.Finals) {
				continue
			}
		}
		first := rs[0]
		s := Summary{Config: first.Config, Estimator: label(first), Epochs: first.Epoch, Seeds: len(rs), PaperTrain: math.NaN()}
		s.TrainMean, s.TrainStd = results.MeanStd(results.Column(rs, func(e Epoch) float64 { return e.TrainNegELBO }))
		s.TestMean, s.TestStd = results.MeanStd(results.Column(rs, func(e Epoch) float64 { return e.TestNegELBO }))
		s.SecondsPerEpoch = stat.Mean(results.Column(g.Runs, func(e Epoch) float64 { return e.Seconds }), nil)
		if v, ok := paperReinMax[first.Config]; ok && first.Estimator == "reinmax" {
			s.PaperTrain = v
		}
		out = append(out, s)
	}
	return out
}

// estimatorLabels names the runs of recs by their estimator, followed by the settings that set a group of runs
// apart from others of its configuration and estimator (experiments.GroupLabels).
func estimatorLabels(recs []Epoch) func(Epoch) string {
	labels := experiments.GroupLabels(recs, func(e Epoch) any { return e.Settings },
		func(e Epoch) string { return e.Config }, func(e Epoch) string { return e.Estimator })
	return func(e Epoch) string { return labels[experiments.SettingsKey(e.Settings)] }
}

// Report reads the results of dir and writes its summary.csv, table.md and learning curves.
func Report(dir string) error {
	recs, err := experiments.ReadResults[Config, Epoch]("catvae", dir)
	if err != nil {
		return err
	}
	sums := Summarize(recs)
	header := []string{"config", "estimator", "epochs", "seeds", "train_neg_elbo_mean", "train_neg_elbo_std",
		"test_neg_elbo_mean", "test_neg_elbo_std", "seconds_per_epoch", "paper_train_neg_elbo_160_epochs"}
	var rows [][]string
	for _, s := range sums {
		rows = append(rows, []string{s.Config, s.Estimator, strconv.Itoa(s.Epochs), strconv.Itoa(s.Seeds),
			results.Num(s.TrainMean), results.Num(s.TrainStd), results.Num(s.TestMean), results.Num(s.TestStd),
			results.Num(s.SecondsPerEpoch), results.Num(s.PaperTrain)})
	}
	if err := results.WriteCSV(filepath.Join(dir, SummaryFile), header, rows); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, TableFile), func(w io.Writer) error { return results.WriteTables(w, Tables(recs)) }); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, PairedFile), func(w io.Writer) error { return results.WriteTables(w, Paired(recs)) }); err != nil {
		return err
	}
	if fig := Curves(recs); len(fig.Panels) > 0 {
		return fig.Save(filepath.Join(dir, CurvesFile))
	}
	return nil
}

// tableEpochs are the epochs, besides the last, at which the tables are also given when the runs have them.
var tableEpochs = []int{5, 10}

// Tables returns the tables of table.md: the table of the final epoch, then those of tableEpochs that every run
// passed before its last.
func Tables(recs []Epoch) []results.Table {
	finals := Summarize(recs)
	tables := []results.Table{table(finals, "final epoch")}
	for _, e := range tableEpochs {
		sums := summarizeAt(recs, e)
		if len(sums) == 0 || slices.ContainsFunc(finals, func(s Summary) bool { return s.Epochs <= e }) {
			continue
		}
		tables = append(tables, table(sums, fmt.Sprintf("epoch %d", e)))
	}
	return tables
}

// Paired returns the tables of paired.md: ReinMax against every other estimator of each configuration, on the
// seeds they share, by the training −ELBO at the final epoch and at tableEpochs.
func Paired(recs []Epoch) []results.PairedTable {
	var tables []results.PairedTable
	label := estimatorLabels(recs)
	for _, e := range append([]int{0}, tableEpochs...) {
		keep := func(r Epoch) bool { return (e == 0 && r.Final()) || (e > 0 && r.Epoch == e && !r.Final()) }
		rows := results.PairedOf(recs, "reinmax", keep, func(r Epoch) string { return r.Config },
			label, func(r Epoch) int64 { return r.Seed },
			func(r Epoch) float64 { return r.TrainNegELBO })
		if len(rows) == 0 {
			continue
		}
		at := "the final epoch"
		if e > 0 {
			at = fmt.Sprintf("epoch %d", e)
		}
		heading := fmt.Sprintf("ReinMax (A) against each estimator (B), training −ELBO at %s (lower is better), on the same seeds; verdict at level 0.05.", at)
		tables = append(tables, results.PairedTable{Heading: heading, Rows: rows, LowerIsBetter: true})
	}
	return tables
}

// table lays the summary out as the paper's Table 2: one row per estimator, one column per configuration plus the
// average, mean ± std of the final training −ELBO over seeds; the paper's numbers (160 epochs) in a row of their
// own for ReinMax and in a column of their own for the averages.
func table(sums []Summary, at string) results.Table {
	var g results.Grid
	avg := map[string][]float64{}
	for _, s := range sums {
		g.Set(s.Estimator, s.Config, fmt.Sprintf("%.2f ± %.2f (%d ep, %s)", s.TrainMean, s.TrainStd, s.Epochs, results.Count(s.Seeds, "seed")))
		avg[s.Estimator] = append(avg[s.Estimator], s.TrainMean)
	}
	configs := slices.Clone(g.Cols)
	for _, e := range slices.Clone(g.Rows) {
		if len(avg[e]) == len(configs) {
			g.Set(e, "average", fmt.Sprintf("%.2f", stat.Mean(avg[e], nil)))
		}
		if v, ok := paperAverage[e]; ok {
			g.Set(e, "paper average (160 epochs)", fmt.Sprintf("%.2f", v))
		}
	}
	for _, c := range configs {
		if v, ok := paperReinMax[c]; ok {
			g.Set("reinmax, paper (160 epochs)", c, fmt.Sprintf("%.2f", v))
		}
	}
	caption := fmt.Sprintf("Training −ELBO (lower is better), %s, mean ± std over seeds; epochs and seeds per cell in brackets.", at)
	return results.Table{Caption: caption, Corner: "estimator", Grid: g}
}
