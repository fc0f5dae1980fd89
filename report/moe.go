package report

import (
	"fmt"

	"github.com/f60e9205/reinmax/experiments/moe"
)

var moeKind = kind{
	name:  "moe",
	title: "Mixture-of-experts routing (not in the ReinMax paper)",
	about: "A small mixture-of-experts classifier on Fashion-MNIST and MNIST: each image is one token, routed top-1 or " +
		"top-2 to a few small ReLU experts (4 by default) behind a shared layer, with the Switch Transformer's " +
		"capacity factor and load-balancing loss. Each run trains the router with one method: Switch's gate gradient, " +
		"DenseMixer, the dense mixture of every expert, SparseMixer v1 and v2, or a straight-through estimator of " +
		"the sampled expert (ST, STGS, GST, GR-MCK, ReinMax and its variants). It compares the routing methods of " +
		"SparseMixer (Liu, Gao & Chen 2023), which reports up to 2× faster convergence than Switch on machine " +
		"translation and Electra pre-training, and GRIN, which routes a 16×3.8B top-2 language model with SparseMixer " +
		"v2, at a far smaller scale than theirs; the ReinMax paper makes no claim about routing. The metric is the " +
		"test accuracy with the deterministic router, top-k by logit (higher is better); a second table per data set " +
		"adds the test NLL, its mean over the run's records (lower is faster convergence), the experts' load and the " +
		"dropped assignments.",
	read: readMoE,
}

func readMoE(dir string, s *Section) error {
	recs, err := readRuns[moe.Config, moe.Point]("moe", dir, s, func(r moe.Point) any { return r.Settings },
		func(r moe.Point) float64 { return r.Seconds })
	if err != nil {
		return err
	}
	sums := moe.Summarize(recs)
	for _, t := range moe.Tables(sums) {
		s.Tables = append(s.Tables, gridTable(t))
	}
	s.addFigure("Test error, test NLL, training loss and the busiest expert's load over the mean against the step, per "+
		"data set and top-k, mean over seeds (band: ± one standard deviation).", moe.Curves(recs))
	var scores []score
	var sets []string
	for _, sum := range sums {
		scores = append(scores, score{fmt.Sprintf("%s top-%d, %d steps", sum.Data, sum.TopK, sum.Steps), sum.Method, 100 * sum.TestAccMean})
		sets = append(sets, sum.Data)
	}
	s.Headline.Ours = "test accuracy %, " + headline(scores, false, f2)
	s.Headline.Paper = "not in the ReinMax paper; SparseMixer: up to 2× faster convergence than Switch, on translation and pre-training"
	s.datasets = datasetsNamed(sets)
	return nil
}
