package report

import (
	"fmt"
	"math"

	"github.com/f60e9205/reinmax/data/listops"
	"github.com/f60e9205/reinmax/data/store"
	listopsexp "github.com/f60e9205/reinmax/experiments/listops"
)

var listopsKind = kind{
	name:  "listops",
	title: "ListOps with a latent parse tree (the paper's Table 1)",
	about: "A Gumbel Tree-LSTM that parses each ListOps expression into a binary tree, choosing every merge by a " +
		"categorical sample through the estimator, and predicts the expression's value. The metric is the test " +
		"accuracy on the official split (higher is better). The paper (hidden size 300, 20 epochs) reports ReinMax " +
		"68.07 ± 1.18, STGS 67.30, GR-MCK 66.53, GST-1.0 66.30 and ST 66.26 %.",
	read: readListOps,
}

func readListOps(dir string, s *Section) error {
	recs, err := readRuns[listopsexp.Config, listopsexp.Epoch]("listops", dir, s, func(r listopsexp.Epoch) any { return r.Settings },
		func(r listopsexp.Epoch) float64 { return r.Seconds })
	if err != nil {
		return err
	}
	base, err := listopsexp.ReadBaselines(dir)
	if err != nil {
		return err
	}
	sums := listopsexp.Summarize(recs)
	for _, t := range listopsexp.Tables(sums, base) {
		s.Tables = append(s.Tables, gridTable(t))
	}
	s.Verdict = append(s.Verdict, pairedTable(listopsexp.Paired(recs), &s.Headline.Tally))
	s.addFigure("Validation accuracy and training cross-entropy against the epoch, mean over seeds.", listopsexp.Curves(recs))
	var scores []score
	paper := ""
	for _, sum := range sums {
		scores = append(scores, score{sum.Config(), sum.Estimator, sum.TestAcc})
		if sum.Estimator == "reinmax" && !math.IsNaN(sum.Paper) && paper == "" {
			paper = fmt.Sprintf("reinmax %.2f ± %.2f %% (h300, 20 epochs)", sum.Paper, sum.PaperStd)
		}
	}
	s.Headline.Ours = "test accuracy %, " + headline(scores, false, f2)
	s.Headline.Paper = paper
	s.datasets = []store.Dataset{listops.Dataset()}
	return nil
}
