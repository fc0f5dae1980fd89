package bervae

import (
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/internal/atomicfile"

	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/floats"

	"github.com/f60e9205/reinmax/results"
)

// paperTrain holds the training −ELBO the authors report after 10⁶ updates (their slides; DESIGN.md), keyed by
// estimator and then "dataset K=k": ReinMax, and RODEO, the best of the REINFORCE family there.
var paperTrain = map[string]map[string]float64{
	"reinmax": {"mnist K=3": 97.83, "fashion K=3": 234.53, "omniglot K=3": 107.51,
		"mnist K=2": 98.05, "fashion K=2": 234.86, "omniglot K=2": 107.79},
	"rodeo": {"mnist K=3": 100.46, "fashion K=3": 236.88, "omniglot K=3": 115.01,
		"mnist K=2": 101.89, "fashion K=2": 237.44, "omniglot K=2": 115.93},
}

// Summary is the final record of the finished runs of one configuration and estimator, over seeds.
type Summary struct {
	Config, Estimator   string
	Steps, Seeds        int
	Train, Valid, Test  [2]float64 // mean and standard deviation of the −ELBO
	IWBound             [2]float64
	GradVariance        float64 // mean over seeds
	SecondsPer1000Steps float64
	Paper               float64 // the paper's training −ELBO, NaN when it reports none
}

// config names the run's column of the tables, e.g. "mnist K=2".
func (r Record) config() string { return fmt.Sprintf("%s K=%d", r.Dataset, r.K) }

// estimatorLabels names the runs of recs by their estimator, followed by the settings that set a group of runs
// apart from others of its data set, K and estimator (experiments.GroupLabels).
func estimatorLabels(recs []Record) func(Record) string {
	labels := experiments.GroupLabels(recs, func(r Record) any { return r.Settings }, Record.config,
		func(r Record) string { return r.Estimator })
	return func(r Record) string { return labels[experiments.SettingsKey(r.Settings)] }
}

// Summarize groups the final records of finished runs by configuration and estimator, in the order first seen.
func Summarize(recs []Record) []Summary {
	var out []Summary
	label := estimatorLabels(recs)
	for _, g := range results.GroupFinished(recs, func(r Record) string { return r.config() + " " + label(r) }) {
		rs, first := g.Finals, g.Finals[0]
		col := func(f func(Record) float64) [2]float64 {
			m, s := results.MeanStd(results.Column(rs, f))
			return [2]float64{m, s}
		}
		secs := floats.Sum(results.Column(g.Runs, func(r Record) float64 { return r.Seconds }))
		steps := floats.Sum(results.Column(rs, func(r Record) float64 { return float64(r.Steps) }))
		config := first.config()
		s := Summary{Config: config, Estimator: label(first), Steps: first.Steps, Seeds: len(rs), Paper: math.NaN(),
			Train:               col(func(r Record) float64 { return r.TrainNegELBO }),
			Valid:               col(func(r Record) float64 { return r.ValidNegELBO }),
			Test:                col(func(r Record) float64 { return r.TestNegELBO }),
			IWBound:             col(func(r Record) float64 { return r.IWBound }),
			GradVariance:        col(func(r Record) float64 { return r.GradVariance })[0],
			SecondsPer1000Steps: 1000 * secs / steps,
		}
		if v, ok := paperTrain[s.Estimator][config]; ok {
			s.Paper = v
		}
		out = append(out, s)
	}
	return out
}

// Report reads the results of dir and writes its summary.csv, table.md and curves.
func Report(dir string) error {
	recs, err := experiments.ReadResults[Config, Record]("bervae", dir)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, PairedFile), Paired(recs).WriteMarkdown); err != nil {
		return err
	}
	sums := Summarize(recs)
	header := []string{"config", "estimator", "steps", "seeds", "train_neg_elbo_mean", "train_neg_elbo_std",
		"valid_neg_elbo_mean", "valid_neg_elbo_std", "test_neg_elbo_mean", "test_neg_elbo_std",
		"test_iw_bound_mean", "test_iw_bound_std", "grad_variance", "seconds_per_1000_steps", "paper_train_neg_elbo_1e6_steps"}
	var rows [][]string
	for _, s := range sums {
		rows = append(rows, []string{s.Config, s.Estimator, strconv.Itoa(s.Steps), strconv.Itoa(s.Seeds),
			results.Num(s.Train[0]), results.Num(s.Train[1]), results.Num(s.Valid[0]), results.Num(s.Valid[1]), results.Num(s.Test[0]), results.Num(s.Test[1]),
			results.Num(s.IWBound[0]), results.Num(s.IWBound[1]), strconv.FormatFloat(s.GradVariance, 'g', 4, 64),
			results.Num(s.SecondsPer1000Steps), results.Num(s.Paper)})
	}
	if err := results.WriteCSV(filepath.Join(dir, SummaryFile), header, rows); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, TableFile), Table(sums).WriteMarkdown); err != nil {
		return err
	}
	if fig := Curves(recs); len(fig.Panels) > 0 {
		return fig.Save(filepath.Join(dir, CurvesFile))
	}
	return nil
}

// Paired returns the table of paired.md: ReinMax against each estimator of every data set and K, on the seeds they
// share, by the training −ELBO at the last step.
func Paired(recs []Record) results.PairedTable {
	rows := results.PairedOf(recs, "reinmax", Record.Final, func(r Record) string { return fmt.Sprintf("%s K=%d", r.Dataset, r.K) },
		estimatorLabels(recs), func(r Record) int64 { return r.Seed },
		func(r Record) float64 { return r.TrainNegELBO })
	return results.PairedTable{Heading: "ReinMax (A) against each estimator (B), training −ELBO at the last step (lower is better), on the same seeds; verdict at level 0.05.",
		Rows: rows, LowerIsBetter: true}
}

// Table lays the summary out as the paper's Table 6: one row per estimator, one column per data set and K, mean ±
// std of the final training −ELBO over seeds, and the paper's rows for ReinMax and RODEO.
func Table(sums []Summary) results.Table {
	var g results.Grid
	for _, s := range sums {
		g.Set(s.Estimator, s.Config, fmt.Sprintf("%.2f ± %.2f (%d, %d)", s.Train[0], s.Train[1], s.Steps, s.Seeds))
	}
	configs := slices.Clone(g.Cols)
	for _, e := range []string{"reinmax", "rodeo"} {
		for _, c := range configs {
			if v, ok := paperTrain[e][c]; ok {
				g.Set(e+", paper", c, fmt.Sprintf("%.2f", v))
			}
		}
	}
	return results.Table{Caption: "Training −ELBO (lower is better) at the last step, mean ± std over seeds (steps, seeds). " +
		"The paper's rows are after 10⁶ steps.", Corner: "estimator", Grid: g}
}
