package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/catvae"
)

func init() {
	extraCommands = append(extraCommands, newCatVAECommand)
	mergers["catvae"] = catvae.Merge
}

func newCatVAECommand() *cobra.Command {
	var (
		configs, estimators, seeds, shard, out string
		epochs, trainSize, k                   int
		tau                                    float64
		paper                                  bool
	)
	cmd := &cobra.Command{
		Use:   "catvae [--config 10x30,...] [--estimators ...] [--epochs N] [--seeds ...] [--paper] [--out DIR] [--shard i/n]",
		Short: "Categorical VAE on MNIST: the paper's Table 2",
		Long: `catvae trains the categorical VAE of the paper (encoder 784-512-256-(L*C), decoder (L*C)-256-512-784,
grey-level MNIST pixels as Bernoulli targets, KL to the uniform prior, batch 100) with each estimator, using
the paper's per-method learning rate, temperature and optimiser (Adam or RAdam) for each configuration CxL.

The default is small: 10x30, four estimators, 2 epochs, seed 0 (about a minute per estimator on 2 cores).
--paper runs the full protocol: the six configurations of Table 2, five estimators, 160 epochs, seeds 0-9.

DIR receives results.jsonl (one record per epoch: train -ELBO averaged over the epoch as the paper reports it,
test -ELBO), summary.csv, table.md (Table 2's layout with the paper's numbers beside ours) and images/ (test
digits, reconstructions and prior samples per run). Every epoch is checkpointed: run the same command again to
resume an interrupted sweep; finished runs are skipped. --shard i/n runs every n-th run starting at i, for a job
array; combine the shards' folders with 'reinmax merge catvae'.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := catvae.Sweep{Epochs: epochs, Tau: tau, K: k, TrainSize: trainSize, Dir: out}
			var err error
			if paper {
				s.Configs = catvae.PaperConfigs
				s.Estimators = []string{"reinmax", "gst-1.0", "stgs", "gr-mck", "st"}
				s.Seeds = seedRange(10)
				s.Epochs = 0
			}
			if cmd.Flags().Changed("config") || !paper {
				s.Configs = splitList(configs)
			}
			if cmd.Flags().Changed("estimators") || !paper {
				if s.Estimators, err = estimatorList(estimators, reinmax.StraightThroughFamily); err != nil {
					return err
				}
			}
			if cmd.Flags().Changed("seeds") || !paper {
				if s.Seeds, err = parseSeeds(seeds); err != nil {
					return err
				}
			}
			if paper && cmd.Flags().Changed("epochs") {
				s.Epochs = epochs
			}
			if s.Epochs < 0 || (!paper && s.Epochs < 1) {
				return usagef("--epochs %d: want at least 1", epochs)
			}
			if tau < 0 || k < 0 || trainSize < 0 {
				return usagef("--tau, --k and --train-size must not be negative")
			}
			for _, c := range s.Configs {
				if _, _, err := catvae.ParseName(c); err != nil {
					return usageError{err}
				}
			}
			if s.Shard, err = experiments.ParseShard(shard); err != nil {
				return usageError{err}
			}
			if err := s.Validate(); err != nil {
				return usageError{err}
			}
			train, err := mnist.Load(mnist.MNIST, mnist.Train)
			if err != nil {
				return err
			}
			test, err := mnist.Load(mnist.MNIST, mnist.Test)
			if err != nil {
				return err
			}
			backend, err := experiments.NewBackend()
			if err != nil {
				return err
			}
			reporter, finish := newProgress(cmd)
			err = s.Run(catvae.Data{Train: train, Test: test}, backend, reporter)
			finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "results in %s\n\n", out)
			return printFile(cmd, filepath.Join(out, catvae.TableFile))
		},
	}
	f := cmd.Flags()
	f.StringVar(&configs, "config", "10x30", "configurations CxL, comma-separated (paper: "+strings.Join(catvae.PaperConfigs, ",")+")")
	f.StringVar(&estimators, "estimators", "reinmax,st,stgs,gst-1.0", "straight-through estimators, comma-separated (see reinmax list)")
	f.IntVar(&epochs, "epochs", 2, "epochs per run (paper: 160)")
	f.StringVar(&seeds, "seeds", "0", "seeds, comma-separated or a range a-b")
	f.BoolVar(&paper, "paper", false, "the paper's full protocol: six configurations, five estimators, 160 epochs, seeds 0-9")
	f.Float64Var(&tau, "tau", 0, "temperature for every estimator (default: the paper's per-method value)")
	f.IntVar(&k, "k", 0, "Gumbel samples of gr-mck (default 100)")
	f.IntVar(&trainSize, "train-size", 0, "use only the first N training images (default: all 60,000)")
	f.StringVar(&out, "out", "runs/catvae", "output folder")
	f.StringVar(&shard, "shard", "", "run only shard i of n of the sweep, as i/n")
	return cmd
}
