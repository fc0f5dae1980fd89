package report

import (
	"fmt"
	"math"

	"github.com/f60e9205/reinmax/experiments/bervae"
)

var bervaeKind = kind{
	name:  "bervae",
	title: "Bernoulli VAE against the REINFORCE family (the paper's Table 6)",
	about: "A VAE with 200 binary latent variables on binarised MNIST, Fashion-MNIST and Omniglot, where every " +
		"estimator spends K decoder evaluations per image: ReinMax averages the loss over K samples, the " +
		"score-function estimators (REINFORCE, RLOO, DisARM, RODEO, ...) use them as their K evaluations. The metric is " +
		"the training −ELBO (lower is better). After 10⁶ updates the paper reports ReinMax ahead of the best of the " +
		"REINFORCE family (RODEO) on every data set, e.g. MNIST with K = 2: 98.05 against 101.89.",
	read: readBerVAE,
}

func readBerVAE(dir string, s *Section) error {
	recs, err := readRuns[bervae.Config, bervae.Record]("bervae", dir, s, func(r bervae.Record) any { return r.Settings },
		func(r bervae.Record) float64 { return r.Seconds })
	if err != nil {
		return err
	}
	sums := bervae.Summarize(recs)
	s.Tables = append(s.Tables, gridTable(bervae.Table(sums)))
	s.Verdict = append(s.Verdict, pairedTable(bervae.Paired(recs), &s.Headline.Tally))
	s.addFigure("Training −ELBO and the variance of the encoder's gradient against the step, mean over seeds.", bervae.Curves(recs))
	var scores []score
	paper := ""
	for _, sum := range sums {
		scores = append(scores, score{fmt.Sprintf("%s, %d steps", sum.Config, sum.Steps), sum.Estimator, sum.Train[0]})
		if sum.Estimator == "reinmax" && !math.IsNaN(sum.Paper) {
			if paper != "" {
				paper += "; "
			}
			paper += fmt.Sprintf("%s: reinmax %.2f", sum.Config, sum.Paper)
		}
	}
	s.Headline.Ours = "train −ELBO, " + headline(scores, true, f2)
	if paper != "" {
		s.Headline.Paper = paper + " (10⁶ steps)"
	}
	var sets []string
	for _, r := range recs {
		sets = append(sets, r.Dataset)
	}
	s.datasets = datasetsNamed(sets)
	return nil
}
