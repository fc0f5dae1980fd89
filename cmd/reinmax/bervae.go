package main

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/bervae"
)

func init() {
	extraCommands = append(extraCommands, newBerVAECommand)
	mergers["bervae"] = bervae.Merge
}

func newBerVAECommand() *cobra.Command {
	var (
		datasets, ks, estimators, seeds, shard, out string
		steps, evalEvery, iwSamples, iwImages       int
		trainSize                                   int
		tau, lr                                     float64
		optimizer                                   string
		paper, fixed                                bool
	)
	cmd := &cobra.Command{
		Use:   "bervae [--dataset mnist,fashion,omniglot] [--k 2,3] [--estimators ...] [--steps N] [--seeds ...] [--paper] [--out DIR] [--shard i/n]",
		Short: "Bernoulli VAE with 200 binary latents: ReinMax against the REINFORCE family (the paper's Table 6)",
		Long: `bervae trains the Bernoulli VAE of the RODEO protocol (encoder 784-200-200-200, decoder 200-200-200-784,
LeakyReLU(0.3), 200 binary latents, learned prior, binarised images) with each estimator spending K decoder
evaluations per image: straight-through estimators average the loss over K samples; score-function estimators
(REINFORCE, RLOO, ARMS, DisARM, RELAX, Double CV, RODEO) use K as their number of evaluations.

Data: MNIST and Fashion-MNIST (50,000 train / 10,000 valid / 10,000 test), and our reconstruction of the 28x28
Omniglot from shared/data (not Burda et al.'s exact pixels). Training images are binarised afresh every epoch
(--fixed-binarization binarises once per run, as the ReinMax code did).

DIR receives results.jsonl (train -ELBO averaged since the last record, the paper's metric; validation and test
-ELBO; the variance of the encoder gradient; the importance-weighted test bound at the end), summary.csv and
table.md (Table 6's layout with the paper's numbers). Runs resume from checkpoints; finished runs are skipped.

The default is small (MNIST, K=2, five estimators, 2,000 steps); --paper is the full protocol (three data sets,
K = 2 and 3, 10^6 steps, seeds 0-9, the IW bound with 100 samples on all test images).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := bervae.Sweep{Steps: steps, EvalEvery: evalEvery, Tau: tau, LR: lr, Optimizer: optimizer, IWSamples: iwSamples, IWImages: iwImages,
				TrainSize: trainSize, Fixed: fixed, Dir: out}
			changed := cmd.Flags().Changed
			if paper {
				s.Datasets, s.Ks, s.Seeds, s.Steps, s.IWSamples, s.IWImages = bervae.Datasets, []int{2, 3}, seedRange(10), 0, 100, 0
				s.Estimators = []string{"reinmax", "reinforce", "rloo", "arms", "disarm", "relax", "double-cv", "rodeo"}
			}
			var err error
			if changed("dataset") || !paper {
				s.Datasets = splitList(datasets)
			}
			if changed("k") || !paper {
				if s.Ks, err = parseInts("--k", ks); err != nil {
					return err
				}
			}
			if changed("estimators") || !paper {
				if s.Estimators, err = estimatorList(estimators); err != nil {
					return err
				}
			}
			if changed("seeds") || !paper {
				if s.Seeds, err = parseSeeds(seeds); err != nil {
					return err
				}
			}
			if paper && changed("steps") {
				s.Steps = steps
			}
			if !paper && steps < 1 {
				return usagef("--steps %d: want at least 1", steps)
			}
			if evalEvery < 0 || iwSamples < 0 || iwImages < 0 || trainSize < 0 || tau < 0 || lr < 0 {
				return usagef("--eval-every, --iw-samples, --iw-images, --train-size, --tau and --lr must not be negative")
			}
			if s.Shard, err = experiments.ParseShard(shard); err != nil {
				return usageError{err}
			}
			if err := s.Validate(); err != nil {
				return usageError{err}
			}
			backend, err := experiments.NewBackend()
			if err != nil {
				return err
			}
			reporter, finish := newProgress(cmd)
			err = s.Run(bervae.Load, backend, reporter)
			finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "results in %s\n\n", out)
			return printFile(cmd, filepath.Join(out, bervae.TableFile))
		},
	}
	f := cmd.Flags()
	f.StringVar(&datasets, "dataset", "mnist", "data sets, comma-separated: mnist, fashion, omniglot")
	f.StringVar(&ks, "k", "2", "decoder evaluations per image, comma-separated (paper: 2,3)")
	f.StringVar(&estimators, "estimators", "reinmax,st,reinforce,rloo,disarm", "estimators of either family, comma-separated (see reinmax list)")
	f.IntVar(&steps, "steps", 2000, "parameter updates per run (paper: 1000000)")
	f.IntVar(&evalEvery, "eval-every", 500, "steps between evaluations (0: every epoch)")
	f.StringVar(&seeds, "seeds", "0", "seeds, comma-separated or a range a-b")
	f.BoolVar(&paper, "paper", false, "the paper's full protocol")
	f.BoolVar(&fixed, "fixed-binarization", false, "binarise the training images once per run instead of every epoch")
	f.Float64Var(&tau, "tau", 0, "temperature of straight-through estimators (default: the paper's)")
	f.Float64Var(&lr, "lr", 0, "learning rate for every estimator (default: RAdam 3e-4 for straight-through, the RODEO protocol's Adam rate for score-function)")
	f.StringVar(&optimizer, "optimizer", "", "adam or radam for every estimator (default: per family, as --lr)")
	f.IntVar(&iwSamples, "iw-samples", 100, "samples of the importance-weighted test bound at the end (0: skip)")
	f.IntVar(&iwImages, "iw-images", 1000, "test images of the importance-weighted bound (0: all)")
	f.IntVar(&trainSize, "train-size", 0, "use only the first N training images (default: all)")
	f.StringVar(&out, "out", "runs/bervae", "output folder")
	f.StringVar(&shard, "shard", "", "run only shard i of n of the sweep, as i/n")
	return cmd
}

// parseInts parses a comma-separated list of positive integers.
func parseInts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		v, err := strconv.Atoi(f)
		if err != nil || v < 1 {
			return nil, usagef("%s: %q is not a positive integer", flag, f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, usagef("%s: no value given", flag)
	}
	return out, nil
}
