package main

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax/experiments"
	vqexp "github.com/f60e9205/reinmax/experiments/vq"
	"github.com/f60e9205/reinmax/vq"
)

func init() {
	extraCommands = append(extraCommands, newVQCommand)
	mergers["vq"] = func(dst string, srcs ...string) error { return experiments.Merge(&vqexp.Experiment{}, dst, srcs...) }
}

func newVQCommand() *cobra.Command {
	var (
		data, methods, seeds, temperatures, refresh, optimizer  string
		steps, evalEvery, codes, dim, latents, hidden, batch, k int
		trainSize, testSize                                     int
		beta, tau, lr                                           float64
		full                                                    bool
		sf                                                      sweepFlags
	)
	cmd := &cobra.Command{
		Use:   "vq [--datasets fashion,mnist] [--methods ...] [--temperatures ...] [--refresh 0,100] [--steps N] [--seeds ...] [--full] [--out DIR] [--shard i/n]",
		Short: "Vector quantisation: an autoencoder with a VQ bottleneck, ReinMax against the straight-through estimator and the rotation trick",
		Long: `vq trains an MLP autoencoder with one vector-quantisation bottleneck on Fashion-MNIST or MNIST: the encoder
784-H-H/2-(L*d) gives L vectors of dimension d per image, each replaced by one of K codes of a shared codebook,
and the decoder (L*d)-H/2-H-784 returns grey levels (sigmoid). The loss is the reconstruction's mean squared error
per pixel plus VQ-VAE's codebook loss and beta times its commitment loss. The methods (package vq):
  ste        the nearest code, VQ-VAE's straight-through gradient (van den Oord et al. 2017)
  rotation   the nearest code, the rotation trick (Fifty et al., ICLR 2025)
  st, stgs, reinmax, gst-1.0, gr-mck, ... (any straight-through estimator of 'reinmax list'): a code sampled from
             p(k|z) ~ exp(-||z - e_k||^2/T), its gradient from the estimator, to the encoder and the codebook
--refresh N replaces the codes that no input chose during N steps by encoder outputs of the batch (0: never).

The default: Fashion-MNIST, K = 256 codes of dimension d = 32, L = 8 vectors per image, H = 256, beta 0.25,
T = 0.01, batch 256, Adam 1e-3, 2000 steps, a record every 500, ste, rotation, st, stgs, gst-1.0, gr-mck (K = 10
Gumbel samples) and reinmax, seed 0: about 25 CPU-minutes on this project's 2-core machine (a training step takes
about 30 ms of CPU with ste or rotation, 70 with stochastic codes, 330 with gr-mck). --full runs every
combination docs/vq samples from: both data sets, temperatures 0.01 and 0.1, without and with a refresh every 100
steps, seeds 0-2 (144 runs, about 9 CPU-hours).

DIR receives results.jsonl (a record every --eval-every steps: training MSE and loss, test MSE with the nearest
codes and, for stochastic methods, with sampled codes, the codes the test set uses and the perplexity of their
histogram, a flag when they collapse to one code, codes refreshed, seconds, and every setting of the run),
summary.csv, table.md, curves.png/.svg and images/ (test images and their reconstructions, per run). A run is
known by all its settings: run the same command again to resume from the last record and skip finished runs;
a changed setting is a new run beside the old ones. --shard i/n runs every n-th run starting at i; combine the
shards' folders with 'reinmax merge vq'.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := vqexp.DefaultSweep()
			if full {
				s = vqexp.FullSweep()
			}
			changed := cmd.Flags().Changed
			var err error
			if changed("datasets") || !full {
				if s.Data, err = names("--datasets", data, vqexp.DataSets); err != nil {
					return err
				}
			}
			if changed("methods") || !full {
				if s.Methods, err = names("--methods", methods, vq.Methods()); err != nil {
					return err
				}
			}
			if changed("seeds") || !full {
				if s.Seeds, err = parseSeeds(seeds); err != nil {
					return err
				}
			}
			if changed("temperatures") {
				if s.Temperatures, err = positiveFloats("--temperatures", temperatures); err != nil {
					return err
				}
			}
			if changed("refresh") {
				if s.Refresh, err = refreshPeriods(refresh); err != nil {
					return err
				}
			}
			for flag, x := range map[string]float64{"--beta": beta, "--tau": tau, "--lr": lr} {
				if err := finite(flag, x); err != nil {
					return err
				}
			}
			s.Modify = func(c *vqexp.Config) {
				set(changed("steps"), &c.Steps, steps)
				set(changed("eval-every"), &c.EvalEvery, evalEvery)
				set(changed("codes"), &c.Codes, codes)
				set(changed("dim"), &c.Dim, dim)
				set(changed("latents"), &c.Latents, latents)
				set(changed("hidden"), &c.Hidden, hidden)
				set(changed("beta"), &c.Beta, beta)
				set(changed("batch"), &c.Batch, batch)
				set(changed("optimizer"), &c.Optimizer, optimizer)
				set(changed("lr"), &c.LR, lr)
				set(changed("train-size"), &c.TrainSize, trainSize)
				set(changed("test-size"), &c.TestSize, testSize)
				if c.Temperature != 0 { // stochastic methods only: the others do not read them
					set(changed("tau"), &c.Tau, tau)
					set(changed("k"), &c.K, k)
				}
			}
			runs, err := s.Runs()
			if err != nil {
				return usageError{err}
			}
			if err := runSweep(cmd, &vqexp.Experiment{}, runs, sf); err != nil || sf.migrate {
				return err
			}
			return printFile(cmd, filepath.Join(sf.out, vqexp.TableFile))
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "datasets", "fashion", "data sets, comma-separated: "+strings.Join(vqexp.DataSets, ", "))
	f.StringVar(&methods, "methods", strings.Join(vqexp.DefaultMethods, ","), "methods, comma-separated: ste, rotation or straight-through estimators (see reinmax list)")
	f.StringVar(&seeds, "seeds", "0", "seeds, comma-separated or ranges a-b")
	f.StringVar(&temperatures, "temperatures", strconv.FormatFloat(vqexp.DefaultTemperature, 'g', -1, 64), "temperatures T of the stochastic methods, comma-separated")
	f.StringVar(&refresh, "refresh", "0", "refresh periods in steps, comma-separated; 0 for no refresh")
	f.IntVar(&steps, "steps", vqexp.DefaultSteps, "training steps per run")
	f.IntVar(&evalEvery, "eval-every", vqexp.DefaultEvalEvery, "steps between records")
	f.IntVar(&codes, "codes", vqexp.DefaultCodes, "codes K in the codebook")
	f.IntVar(&dim, "dim", vqexp.DefaultDim, "dimension d of a code")
	f.IntVar(&latents, "latents", vqexp.DefaultLatents, "vectors L quantised per image")
	f.IntVar(&hidden, "hidden", vqexp.DefaultHidden, "width H of the first hidden layer (the second has H/2)")
	f.Float64Var(&beta, "beta", vqexp.DefaultBeta, "weight beta of the commitment loss")
	f.Float64Var(&tau, "tau", 0, "temperature tau of the stochastic methods' estimator (default: the estimator's, 1)")
	f.IntVar(&k, "k", vqexp.DefaultGRMCKK, "Gumbel samples of gr-mck")
	f.IntVar(&batch, "batch", vqexp.DefaultBatch, "images per training step")
	f.StringVar(&optimizer, "optimizer", "adam", "adam or radam")
	f.Float64Var(&lr, "lr", vqexp.DefaultLR, "learning rate")
	f.IntVar(&trainSize, "train-size", 0, "use only the first N training images (default: all 60,000)")
	f.IntVar(&testSize, "test-size", 0, "use only the first N test images (default: all 10,000)")
	f.BoolVar(&full, "full", false, "the full sweep of docs/vq: both data sets, T 0.1 and 1, refresh 0 and 100, seeds 0-2")
	sf.register(cmd, "runs/vq", 1)
	return cmd
}

// refreshPeriods parses distinct refresh periods, integers >= 0 (0 for no refresh).
func refreshPeriods(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 {
			return nil, usagef("--refresh: %q is not an integer >= 0", f)
		}
		if slices.Contains(out, v) {
			return nil, usagef("--refresh: %d is listed twice", v)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, usagef("--refresh: no value given")
	}
	return out, nil
}
