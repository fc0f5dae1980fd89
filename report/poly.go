package report

import (
	"fmt"
	"strconv"

	"github.com/f60e9205/reinmax/experiments/poly"
)

var polyKind = kind{
	name:  "poly",
	title: "Polynomial programming (the paper's first experiment)",
	about: "Minimise E (1/L) Σ_l |z_l − c|^p over the logits of L = 128 binary variables z_l, with Adam on the sampled " +
		"loss and the estimator supplying the gradient through the sample; the exact expected loss is computed in " +
		"closed form. The paper shows ST stalling far from the optimum c^p while ReinMax approaches it, for p = 1.5, 2 " +
		"and 3: ST's expected gradient is the first-order (forward Euler) approximation, which vanishes at a wrong " +
		"point; ReinMax's is the second-order (trapezoid) one, exact for p = 2.",
	read: readPoly,
}

func readPoly(dir string, s *Section) error {
	recs, err := readRuns[poly.Config, poly.Record]("poly", dir, s, func(r poly.Record) any { return r.Settings }, nil)
	if err != nil {
		return err
	}
	sums := poly.Summarize(recs)
	s.Tables = append(s.Tables, gridTable(poly.Table(sums)))
	s.Verdict = append(s.Verdict, pairedTable(poly.Paired(recs), &s.Headline.Tally))
	if fig, err := poly.Curves(recs); err == nil {
		s.addFigure("Exact loss minus the optimum against the step, mean over seeds (log scale).", fig)
	}
	var scores []score
	for _, sum := range sums {
		scores = append(scores, score{fmt.Sprintf("p = %s, %d steps", strconv.FormatFloat(sum.P, 'g', -1, 64), sum.Steps), sum.Label(), sum.Gap})
	}
	s.Headline.Ours = "gap to the optimum, " + headline(scores, true, func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) })
	s.Headline.Paper = "ReinMax approaches the optimum, ST stalls (a figure, no table)"
	return nil
}
