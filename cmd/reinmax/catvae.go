package main

import (
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/catvae"
)

func init() {
	extraCommands = append(extraCommands, newCatVAECommand)
	mergers["catvae"] = func(dst string, srcs ...string) error {
		return experiments.Merge(&catvae.Experiment{}, dst, srcs...)
	}
}

func newCatVAECommand() *cobra.Command {
	var (
		configs, estimators, seeds string
		epochs, trainSize, k       int
		testSize                   int
		tau, alpha, tauForward     float64
		paper                      bool
		sf                         sweepFlags
	)
	cmd := &cobra.Command{
		Use:   "catvae [--config 10x30,...] [--estimators ...] [--epochs N] [--seeds ...] [--paper] [--out DIR] [--shard i/n]",
		Short: "Categorical VAE on MNIST: the paper's Table 2",
		Long: `catvae trains the categorical VAE of the paper (encoder 784-512-256-(L*C), decoder (L*C)-256-512-784,
grey-level MNIST pixels as Bernoulli targets, KL to the uniform prior, batch 100) with each estimator, using
the paper's per-method learning rate, temperature and optimiser (Adam or RAdam) for each configuration CxL.

The default is small: 10x30, four estimators, 2 epochs, seed 0 (about a minute per estimator on 2 cores).
--paper runs the full protocol: the six configurations of Table 2, five estimators, 160 epochs, seeds 0-9;
flags given beside it change it.

DIR receives results.jsonl (one record per epoch: train -ELBO averaged over the epoch as the paper reports it,
test -ELBO, and every setting of the run), summary.csv, table.md (Table 2's layout with the paper's numbers
beside ours) and images/ (test digits, reconstructions and prior samples per run). A run is known by all its
settings: run the same command again to resume an interrupted sweep and skip finished runs; a changed setting
is a new run beside the old ones. --shard i/n runs every n-th run starting at i, for a job array; combine the
shards' folders with 'reinmax merge catvae'.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := catvae.DefaultSweep()
			if paper {
				s = catvae.PaperSweep()
			}
			changed := cmd.Flags().Changed
			var err error
			if changed("config") || !paper {
				if s.Configs, err = configNames(configs); err != nil {
					return err
				}
			}
			if changed("estimators") || !paper {
				if s.Estimators, err = estimatorList(estimators, reinmax.StraightThroughFamily); err != nil {
					return err
				}
			}
			if changed("seeds") || !paper {
				if s.Seeds, err = parseSeeds(seeds); err != nil {
					return err
				}
			}
			for flag, x := range map[string]float64{"--tau": tau, "--alpha": alpha, "--tau-forward": tauForward} {
				if err := finite(flag, x); err != nil {
					return err
				}
			}
			base := s.Modify
			s.Modify = func(c *catvae.Config) {
				if base != nil {
					base(c)
				}
				set(changed("epochs"), &c.Epochs, epochs)
				set(changed("tau"), &c.Tau, tau)
				set(changed("k"), &c.K, k)
				set(changed("alpha"), &c.Alpha, alpha)
				set(changed("tau-forward"), &c.TauForward, tauForward)
				set(changed("train-size"), &c.TrainSize, trainSize)
				set(changed("test-size"), &c.TestSize, testSize)
			}
			runs, err := s.Runs()
			if err != nil {
				return usageError{err}
			}
			if err := runSweep(cmd, &catvae.Experiment{}, runs, sf); err != nil || sf.migrate {
				return err
			}
			return printFile(cmd, filepath.Join(sf.out, catvae.TableFile))
		},
	}
	f := cmd.Flags()
	f.StringVar(&configs, "config", "10x30", "configurations CxL, comma-separated (paper: "+strings.Join(catvae.PaperConfigs, ",")+")")
	f.StringVar(&estimators, "estimators", "reinmax,st,stgs,gst-1.0", "straight-through estimators, comma-separated (see reinmax list)")
	f.IntVar(&epochs, "epochs", 2, "epochs per run (paper: 160)")
	f.StringVar(&seeds, "seeds", "0", "seeds, comma-separated or ranges a-b")
	f.BoolVar(&paper, "paper", false, "the paper's full protocol: six configurations, five estimators, 160 epochs, seeds 0-9")
	f.Float64Var(&tau, "tau", 0, "temperature for every estimator (default: the paper's per-method value)")
	f.IntVar(&k, "k", 0, "Gumbel samples of gr-mck, reinmax-rao and reinmax-cv (default: see reinmax list)")
	f.Float64Var(&alpha, "alpha", 0, "reinmax-alpha's mixing weight (default 1, which is reinmax)")
	f.Float64Var(&tauForward, "tau-forward", 0, "the decoupled estimators' forward temperature (default 1)")
	f.IntVar(&trainSize, "train-size", 0, "use only the first N training images (default: all 60,000)")
	f.IntVar(&testSize, "test-size", 0, "use only the first N test images (default: all 10,000)")
	sf.register(cmd, "runs/catvae", 1)
	return cmd
}

// configNames parses distinct catvae configurations CxL.
func configNames(s string) ([]string, error) {
	list := splitList(s)
	if len(list) == 0 {
		return nil, usagef("--config: no configuration given")
	}
	for i, c := range list {
		if _, _, err := catvae.ParseName(c); err != nil {
			return nil, usageError{err}
		}
		for _, d := range list[:i] {
			if d == c {
				return nil, usagef("--config: %s is listed twice", c)
			}
		}
	}
	return list, nil
}
