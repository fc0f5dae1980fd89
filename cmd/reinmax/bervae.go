package main

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/bervae"
)

func init() {
	extraCommands = append(extraCommands, newBerVAECommand)
	mergers["bervae"] = func(dst string, srcs ...string) error {
		return experiments.Merge(&bervae.Experiment{}, dst, srcs...)
	}
}

func newBerVAECommand() *cobra.Command {
	var (
		datasets, ks, estimators, seeds, optimizer string
		steps, evalEvery, iwSamples, iwImages      int
		trainSize, evalSize                        int
		tau, lr                                    float64
		paper, fixed, binary                       bool
		sf                                         sweepFlags
	)
	cmd := &cobra.Command{
		Use:   "bervae [--dataset mnist,fashion,omniglot] [--k 2,3] [--estimators ...] [--steps N] [--seeds ...] [--paper] [--out DIR] [--shard i/n]",
		Short: "Bernoulli VAE with 200 binary latents: ReinMax against the REINFORCE family (the paper's Table 6)",
		Long: `bervae trains the Bernoulli VAE of the RODEO protocol (encoder 784-200-200-200, decoder 200-200-200-784,
LeakyReLU(0.3), 200 binary latents, learned prior, binarised images) with each estimator spending K decoder
evaluations per image: straight-through estimators average the loss over K samples; score-function estimators
(REINFORCE, RLOO, ARMS, DisARM, RELAX, Double CV, RODEO) use K as their number of evaluations.

Data: MNIST and Fashion-MNIST (50,000 train / 10,000 valid / 10,000 test; see 'reinmax data list'), and our
reconstruction of the 28x28 Omniglot, which ships with reinmax (not Burda et al.'s exact pixels). Training images are binarised afresh every epoch
(--fixed-binarization binarises once per run, as the ReinMax code did).

DIR receives results.jsonl (train -ELBO averaged since the last record, the paper's metric; validation and test
-ELBO; the variance of the encoder gradient; the importance-weighted test bound at the end; every setting of
the run), summary.csv and table.md (Table 6's layout with the paper's numbers). A run is known by all its
settings: runs resume from checkpoints, finished runs are skipped, and a changed setting is a new run.

The default is small (MNIST, K=2, five estimators, 2,000 steps); --paper is the full protocol (three data sets,
K = 2 and 3, 10^6 steps, seeds 0-9, the IW bound with 100 samples on all test images); flags given beside it
change it.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := bervae.DefaultSweep()
			if paper {
				s = bervae.PaperSweep()
			}
			changed := cmd.Flags().Changed
			var err error
			if changed("dataset") || !paper {
				if s.Datasets, err = names("--dataset", datasets, bervae.Datasets); err != nil {
					return err
				}
			}
			if changed("k") || !paper {
				if s.Ks, err = positiveInts("--k", ks); err != nil {
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
			for flag, x := range map[string]float64{"--tau": tau, "--lr": lr} {
				if err := finite(flag, x); err != nil {
					return err
				}
			}
			base := s.Modify
			s.Modify = func(c *bervae.Config) {
				if base != nil {
					base(c)
				}
				set(changed("steps"), &c.Steps, steps)
				set(changed("eval-every"), &c.EvalEvery, evalEvery)
				set(changed("iw-samples"), &c.IWSamples, iwSamples)
				set(changed("iw-images"), &c.IWImages, iwImages)
				set(changed("train-size"), &c.TrainSize, trainSize)
				set(changed("eval-size"), &c.EvalSize, evalSize)
				set(changed("tau"), &c.Tau, tau)
				set(changed("lr"), &c.LR, lr)
				set(changed("optimizer"), &c.Optimizer, optimizer)
				set(changed("fixed-binarization"), &c.FixedBinarization, fixed)
				set(changed("binary"), &c.Binary, binary)
			}
			runs, err := s.Runs()
			if err != nil {
				return usageError{err}
			}
			if err := runSweep(cmd, &bervae.Experiment{}, runs, sf); err != nil || sf.migrate {
				return err
			}
			return printFile(cmd, filepath.Join(sf.out, bervae.TableFile))
		},
	}
	f := cmd.Flags()
	f.StringVar(&datasets, "dataset", "mnist", "data sets, comma-separated: mnist, fashion, omniglot")
	f.StringVar(&ks, "k", "2", "decoder evaluations per image, comma-separated (paper: 2,3)")
	f.StringVar(&estimators, "estimators", "reinmax,st,reinforce,rloo,disarm", "estimators of either family, comma-separated (see reinmax list)")
	f.IntVar(&steps, "steps", 2000, "parameter updates per run (paper: 1000000)")
	f.IntVar(&evalEvery, "eval-every", 500, "steps between evaluations (paper: every epoch)")
	f.StringVar(&seeds, "seeds", "0", "seeds, comma-separated or ranges a-b")
	f.BoolVar(&paper, "paper", false, "the paper's full protocol")
	f.BoolVar(&fixed, "fixed-binarization", false, "binarise the training images once per run instead of every epoch")
	f.BoolVar(&binary, "binary", false, "run straight-through estimators in their Bernoulli form (one logit per latent; see reinmax list)")
	f.Float64Var(&tau, "tau", 0, "temperature of straight-through estimators (default: the paper's)")
	f.Float64Var(&lr, "lr", 0, "learning rate for every estimator (default: RAdam 3e-4 for straight-through, the RODEO protocol's Adam rate for score-function)")
	f.StringVar(&optimizer, "optimizer", "", "adam or radam for every estimator (default: per family, as --lr)")
	f.IntVar(&iwSamples, "iw-samples", 100, "samples of the importance-weighted test bound at the end (0: skip)")
	f.IntVar(&iwImages, "iw-images", 1000, "test images of the importance-weighted bound (0: all; paper: all)")
	f.IntVar(&trainSize, "train-size", 0, "use only the first N training images (default: all)")
	f.IntVar(&evalSize, "eval-size", 0, "use only the first N validation and test images (default: all)")
	sf.register(cmd, "runs/bervae", 2)
	return cmd
}

// set assigns v to *dst when the flag was given.
func set[T any](given bool, dst *T, v T) {
	if given {
		*dst = v
	}
}
