package report

import (
	"fmt"
	"math"

	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/data/store"
	"github.com/f60e9205/reinmax/experiments/catvae"
)

var catvaeKind = kind{
	name:  "catvae",
	title: "Categorical VAE on MNIST (the paper's Table 2)",
	about: "A VAE whose code is L categorical variables of C categories each (configuration CxL), trained on " +
		"grey-level MNIST with each estimator at the paper's learning rate, temperature and optimiser for that " +
		"configuration. The metric is the training −ELBO averaged over an epoch (lower is better). The paper reports, " +
		"after 160 epochs and averaged over six configurations, ReinMax 103.21, GST-1.0 104.25, STGS 105.20, " +
		"GR-MCK 107.06 and ST 116.72.",
	read: readCatVAE,
}

func readCatVAE(dir string, s *Section) error {
	recs, err := readRuns[catvae.Config, catvae.Epoch]("catvae", dir, s, func(r catvae.Epoch) any { return r.Settings },
		func(r catvae.Epoch) float64 { return r.Seconds })
	if err != nil {
		return err
	}
	for _, t := range catvae.Tables(recs) {
		s.Tables = append(s.Tables, gridTable(t))
	}
	for _, t := range catvae.Paired(recs) {
		s.Verdict = append(s.Verdict, pairedTable(t, &s.Headline.Tally))
	}
	s.addFigure("Training and test −ELBO against the epoch, mean over seeds (band: ± one standard deviation).", catvae.Curves(recs))
	var scores []score
	paper := ""
	for _, sum := range catvae.Summarize(recs) {
		cell := fmt.Sprintf("%s, %d ep", sum.Config, sum.Epochs)
		scores = append(scores, score{cell, sum.Estimator, sum.TrainMean})
		if sum.Estimator == "reinmax" && !math.IsNaN(sum.PaperTrain) {
			if paper != "" {
				paper += "; "
			}
			paper += fmt.Sprintf("%s: reinmax %.2f", sum.Config, sum.PaperTrain)
		}
	}
	s.Headline.Ours = "train −ELBO, " + headline(scores, true, f2)
	if paper != "" {
		s.Headline.Paper = paper + " (160 epochs)"
	}
	s.datasets = []store.Dataset{mnist.Dataset(mnist.MNIST)}
	return nil
}
