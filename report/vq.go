package report

import (
	"fmt"

	"github.com/f60e9205/reinmax/experiments/vq"
)

var vqKind = kind{
	name:  "vq",
	title: "Vector quantisation (not in the ReinMax paper)",
	about: "An MLP autoencoder with one vector-quantisation bottleneck, trained on Fashion-MNIST or MNIST: the encoder's " +
		"output is cut into L vectors, each replaced by one of K codes of a learned codebook, and VQ-VAE's codebook " +
		"and commitment losses are added to the reconstruction's squared error (the setting of VQ-VAE, van den Oord " +
		"et al. 2017, at a small scale; the ReinMax paper has no such experiment). The gradient passes the " +
		"quantisation by VQ-VAE's straight-through estimator (ste), the rotation trick (rotation; Fifty et al., ICLR " +
		"2025), or a code drawn from a softmax over −‖z − e_k‖²/T with an estimator of the registry (ST, STGS, " +
		"GST-1.0, ReinMax, ...). The metric is the test reconstruction error, MSE per pixel ×1000 with the nearest " +
		"code of every vector whatever the method (lower is better); the table adds the error with sampled codes and " +
		"how much of the codebook the test set uses (codes used, perplexity), where a collapse would show.",
	read: readVQ,
}

func readVQ(dir string, s *Section) error {
	recs, err := readRuns[vq.Config, vq.Eval]("vq", dir, s, func(r vq.Eval) any { return r.Settings },
		func(r vq.Eval) float64 { return r.Seconds })
	if err != nil {
		return err
	}
	sums := vq.Summarize(recs)
	for _, t := range vq.Tables(sums) {
		s.Tables = append(s.Tables, gridTable(t))
	}
	s.addFigure("Test MSE with the nearest codes, codes the test set uses and the perplexity of their histogram against "+
		"the step, per data set, mean over seeds (band: ± one standard deviation).", vq.Curves(recs))
	var scores []score
	var sets []string
	for _, sum := range sums {
		scores = append(scores, score{fmt.Sprintf("%s, %d steps", sum.Data, sum.Steps), sum.Name, 1000 * sum.TestMean})
		sets = append(sets, sum.Data)
	}
	s.Headline.Ours = "test MSE ×1000, " + headline(scores, true, f2)
	s.Headline.Paper = "not in the ReinMax paper; the rotation trick's paper reports codebook collapse with ste on large image models"
	s.datasets = datasetsNamed(sets)
	return nil
}
