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
	for _, g := range results.GroupFinished(recs, func(e Epoch) string { return e.Config + " " + e.Estimator }) {
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
		s := Summary{Config: first.Config, Estimator: first.Estimator, Epochs: first.Epoch, Seeds: len(rs), PaperTrain: math.NaN()}
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
	if err := atomicfile.Write(filepath.Join(dir, TableFile), func(w io.Writer) error { return writeTables(w, recs) }); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, PairedFile), func(w io.Writer) error { return writePaired(w, recs) }); err != nil {
		return err
	}
	return writeCurves(dir, recs)
}

// tableEpochs are the epochs, besides the last, at which the tables are also given when the runs have them.
var tableEpochs = []int{5, 10}

// writeTables writes the table of the final epoch, then those of tableEpochs that every run passed before its last.
func writeTables(w io.Writer, recs []Epoch) error {
	if err := writeTable(w, Summarize(recs), "final epoch"); err != nil {
		return err
	}
	for _, e := range tableEpochs {
		sums := summarizeAt(recs, e)
		if len(sums) == 0 || slices.ContainsFunc(Summarize(recs), func(s Summary) bool { return s.Epochs <= e }) {
			continue
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
		if err := writeTable(w, sums, fmt.Sprintf("epoch %d", e)); err != nil {
			return err
		}
	}
	return nil
}

// writePaired writes ReinMax against every other estimator of each configuration, on the seeds they share: the
// paired difference of the training −ELBO at the final epoch and at tableEpochs.
func writePaired(w io.Writer, recs []Epoch) error {
	epochs := append([]int{0}, tableEpochs...)
	for i, e := range epochs {
		keep := func(r Epoch) bool { return (e == 0 && r.Final()) || (e > 0 && r.Epoch == e && !r.Final()) }
		rows := results.PairedOf(recs, "reinmax", keep, func(r Epoch) string { return r.Config },
			func(r Epoch) string { return r.Estimator }, func(r Epoch) int64 { return r.Seed },
			func(r Epoch) float64 { return r.TrainNegELBO })
		if len(rows) == 0 {
			continue
		}
		at := "final epoch"
		if e > 0 {
			at = fmt.Sprintf("epoch %d", e)
		}
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		heading := fmt.Sprintf("ReinMax (A) against each estimator (B), training −ELBO at the %s (lower is better), on the same seeds; verdict at level 0.05.", at)
		if err := results.WritePaired(w, heading, rows, true); err != nil {
			return err
		}
	}
	return nil
}

// writeTable writes the summary in the layout of the paper's Table 2: one row per estimator, one column per
// configuration plus the average, mean ± std of the final training −ELBO over seeds; the paper's numbers (160
// epochs) in a row of their own for ReinMax and in a column of their own for the averages.
func writeTable(w io.Writer, sums []Summary, at string) error {
	var g results.Grid
	avg := map[string][]float64{}
	for _, s := range sums {
		g.Set(s.Estimator, s.Config, fmt.Sprintf("%.2f ± %.2f (%d ep, %d seeds)", s.TrainMean, s.TrainStd, s.Epochs, s.Seeds))
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
	if _, err := fmt.Fprintf(w, "Training −ELBO (lower is better), %s, mean ± std over seeds; epochs and seeds per cell in brackets.\n\n", at); err != nil {
		return err
	}
	return g.WriteMarkdown(w, "estimator")
}
