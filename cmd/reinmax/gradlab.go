package main

import (
	"slices"

	"github.com/f60e9205/reinmax/progress"

	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/catvae"
	moeexp "github.com/f60e9205/reinmax/experiments/moe"
	"github.com/f60e9205/reinmax/gradlab"
	"github.com/f60e9205/reinmax/oracle"
)

func init() {
	extraCommands = append(extraCommands, newGradlabCommand)
}

func newGradlabCommand() *cobra.Command {
	var (
		problem, estimators, taus, alphas, out, ckpt, dataDir string
		draws, orderDraws, k, evaluations                     int
		seed                                                  int64
		tauForward                                            float64
		order                                                 bool
	)
	cmd := &cobra.Command{
		Use:   "gradlab [--problem NAME] [--estimators a,b,...] [--tau 1,1.5,2] [--draws N] [--seed S] [--out DIR] [--checkpoint FILE]",
		Short: "Measure how good each estimator's gradient is against the exact gradient",
		Long: `gradlab draws N gradient estimates per estimator and temperature on the real GoMLX path, for a problem
whose exact gradient the oracle computes by enumeration, and reports the relative bias ||E[g] - g*||/||g*|| with a
confidence interval (and the oracle's exact value for st, reinmax and gst), the relative standard deviation, the
mean cosine to g*, the cosine of the mean, and the mean squared error split into bias^2 + variance.

Estimators: the straight-through family at every --tau (reinmax-alpha also at every --alpha; decoupled-st and
decoupled-stgs sample at --tau-forward), and the unbiased score-function estimators for categorical variables
(reinforce, reinforce-baseline, rloo, indecater) once each, with --evaluations samples per estimate: they show the
other side of the trade, no bias and a larger variance. Compare the MSE per loss evaluation: a straight-through
estimate costs one, IndeCateR's L·C per sample; atlas.md says which estimator has the lowest MSE at budgets of 1,
10, 100 and 1000 loss evaluations, and atlas-PROBLEM.png plots bias against the standard deviation per evaluation.

Problems (--problem NAME or NAME:key=value,...; "all" runs the four with their defaults):
  quadratic  f(D) = D'AD + b'D, one categorical, C = 8      (keys L, C, seed)
  cubic      f(D) = (w'D)^3 + D'AD + b'D, one categorical  (keys L, C, seed)
  poly       polynomial programming (1/L) sum_l |D_l0 - 0.45|^p, L = 8, p = 3  (keys L, C, p, seed)
  net        f_h(D) = F(hD), F a fixed tanh network, L = 3, C = 3, h = 1  (keys L, C, h, hidden, seed)
  moe        the router of the MoE classifier of 'reinmax moe' at a checkpoint: the gradient of the expected loss
             of M test images with respect to their router logits, exact by enumerating the E experts of each
             image; every routing method is measured (--estimators: any of 'reinmax moe's methods, default all;
             straight-through ones at every --tau)  (keys data = fashion, method = switch (of training),
             steps = 1000, images = M = 100, seed = 0, and jitter = SparseMixer's epsilon in the lab, 0.1;
             e.g. moe:data=mnist,method=reinmax)
  vae8x4     the paper's gradient analysis: the encoder gradient of the categorical VAE 8x4 (C = 8, L = 4) at a
             checkpoint, on the first M test images; loss = sum over the images of the BCE of the decoded code (no
             KL), exact gradient by decoding all 8^4 = 4096 codes  (keys epochs = 1, train = 10000 training
             images, images = M = 10, seed = 0; e.g. vae8x4:epochs=10,train=60000)
A problem is refused when its C^L joint outcomes exceed the enumeration limit.

The vae8x4 model is trained first, with ReinMax at the paper's 8x4 settings (Adam, lr 5e-4, tau 1.3, batch 100),
into --checkpoint FILE (default DIR/checkpoints/NAME): a checkpoint with fewer epochs is trained further, one with
as many or more is used as it is. With the defaults, training and the tables of the 4096 codes take about 20 s;
then each row takes about 30-60 s per 10,000 draws on 2 cores (try --draws 10000 --tau 0.5,1,1.3).

With a net problem, gradlab also runs the order-of-accuracy study at tau = 1: the exact relative bias of st,
reinmax and gst on f_h for h from 2^-12 to 1, with the slope of log bias against log h fitted on [2^-10, 2^-6]
(about 1 for st, 2 for reinmax), and Monte-Carlo points at h = 1/2, 1/4, 1/8, 1/16 for st, reinmax and stgs.

DIR receives results.csv and results.jsonl (one row per problem, estimator and tau), table.md, atlas.md,
tau-PROBLEM.png and .svg (bias and std against tau), atlas-PROBLEM.png and .svg, order.csv, order.jsonl and
order-of-accuracy.png and .svg.
The default run takes about a minute on 2 cores.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lab := gradlab.Lab{
				Config:      gradlab.Config{Draws: draws, Seed: seed},
				K:           k,
				Evaluations: evaluations,
				Order:       order,
				OrderDraws:  orderDraws,
				Dir:         out,
			}
			if draws < 2 {
				return usagef("--draws %d: want at least 2 draws (the variance needs two)", draws)
			}
			if cmd.Flags().Changed("order-draws") && orderDraws < 2 {
				return usagef("--order-draws %d: want at least 2 draws", orderDraws)
			}
			if k < 0 {
				return usagef("--k %d: want k >= 1", k)
			}
			if strings.HasPrefix(strings.TrimSpace(problem), moeexp.LabPrefix) {
				return runRouterLab(cmd, problem, lab, estimators, taus, ckpt, dataDir) // in moe.go
			}
			var vae *catvae.EncoderSpec
			if strings.HasPrefix(strings.TrimSpace(problem), catvae.EncoderPrefix) {
				spec, err := catvae.ParseEncoderSpec(problem)
				if err == nil {
					err = spec.Validate()
				}
				if err != nil {
					return usageError{err}
				}
				vae = &spec
			} else if ckpt != "" {
				return usagef("--checkpoint %s: only a vae problem has a checkpoint", ckpt)
			} else if strings.TrimSpace(problem) == "all" {
				for _, n := range gradlab.ProblemNames() {
					lab.Problems = append(lab.Problems, gradlab.ProblemSpec{Name: n})
				}
			} else {
				spec, err := gradlab.ParseProblem(problem)
				if err != nil {
					return usageError{err}
				}
				lab.Problems = []gradlab.ProblemSpec{spec}
			}
			var err error
			if lab.Estimators, err = gradlabEstimators(estimators); err != nil {
				return err
			}
			if lab.Taus, err = parseFloats("--tau", taus); err != nil {
				return err
			}
			if lab.Alphas, err = parseFloats("--alpha", alphas); err != nil {
				return err
			}
			lab.TauForward = tauForward
			for _, t := range lab.Taus {
				if !(t > 0) {
					return usagef("--tau %v: want tau > 0", t)
				}
			}
			check := lab
			if vae != nil {
				// The VAE's problem exists only after training: check the other settings now, on a stand-in.
				check.Problems = []gradlab.ProblemSpec{{Name: "quadratic"}}
			}
			if err := check.Validate(); err != nil {
				if errors.Is(err, oracle.ErrTooManyOutcomes) {
					return usagef("%v", err)
				}
				return usageError{err}
			}
			backend, err := experiments.NewBackend()
			if err != nil {
				return err
			}
			if vae != nil {
				p, err := buildEncoderProblem(cmd, *vae, backend, ckpt, out, dataDir)
				if err != nil {
					return err
				}
				lab.Custom = []gradlab.Problem{p}
				if lab.Config.Batch == 0 {
					lab.Config.Batch = max(1, encoderRows/p.Images()) // bounds the memory of one execution
				}
			}
			reporter, finish := newProgress(cmd)
			sum, err := lab.Run(backend, reporter)
			finish()
			if sum != nil {
				for _, s := range sum.Skipped {
					fmt.Fprintf(cmd.ErrOrStderr(), "reinmax: gradlab: skipped %s\n", s)
				}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "results in %s\n\n", out)
			return printFile(cmd, filepath.Join(out, gradlab.TableFile))
		},
	}
	f := cmd.Flags()
	f.StringVar(&problem, "problem", "all", "problem NAME or NAME:key=value,... (quadratic, cubic, poly, net, vae8x4, moe) or all (the first four)")
	f.StringVar(&estimators, "estimators", "st,reinmax,gst-1.0,stgs,gr-mck", "estimators, comma-separated: straight-through, or reinforce, reinforce-baseline, rloo")
	f.StringVar(&taus, "tau", "1,1.5,2", "temperatures, comma-separated; reinmax skips tau < 1")
	f.IntVar(&draws, "draws", 50000, "gradient estimates per problem, estimator and tau (at least 2)")
	f.Int64Var(&seed, "seed", 1, "seed of the draws")
	f.IntVar(&k, "k", 10, "Gumbel samples of gr-mck (the registry's default, 100, is ten times slower)")
	f.IntVar(&evaluations, "evaluations", 0, "loss evaluations per estimate of the score-function estimators (0: reinforce 1, rloo 2; indecater: K samples of L·C evaluations)")
	f.StringVar(&alphas, "alpha", "1", "mixing weights of reinmax-alpha, comma-separated (each >= 0.5); each runs at every --tau and enters the order study")
	f.Float64Var(&tauForward, "tau-forward", 1, "temperature of the forward sample of decoupled-st and decoupled-stgs")
	f.BoolVar(&order, "order", true, "run the order-of-accuracy study when a net problem is selected")
	f.IntVar(&orderDraws, "order-draws", 400000, "draws per Monte-Carlo point of the order-of-accuracy study")
	f.StringVar(&out, "out", "runs/gradlab", "output folder")
	f.StringVar(&dataDir, "data", "", "data root for the vae problems' MNIST (default: $REINMAX_DATA_DIR, else the user cache folder)")
	f.StringVar(&ckpt, "checkpoint", "", "vae8x4: the model's checkpoint, trained into (default DIR/checkpoints/NAME), or used as it is when it holds the epochs asked for")
	return cmd
}

// encoderRows is the number of decoder rows (draws × images) of one graph execution on a vae problem.
const encoderRows = 2048

// buildEncoderProblem trains (or resumes, or loads) the categorical VAE of spec, with progress on the command's
// standard error, and returns its encoder problem. The checkpoint is ckpt, by default a file named after the
// training run in DIR/checkpoints.
func buildEncoderProblem(cmd *cobra.Command, spec catvae.EncoderSpec, backend compute.Backend, ckpt, out, data string) (*catvae.EncoderProblem, error) {
	if ckpt == "" {
		ckpt = filepath.Join(out, "checkpoints", spec.CheckpointFile())
	}
	if err := os.MkdirAll(filepath.Dir(ckpt), 0o755); err != nil {
		return nil, err
	}
	cfg, err := spec.TrainConfig()
	if err != nil {
		return nil, usageError{err}
	}
	steps := (&catvae.Experiment{}).Cost(cfg)
	reporter, finish := newProgress(cmd)
	env := experiments.Env{LoadEnv: experiments.LoadEnv{DataDir: data}, Backend: backend, Checkpoint: ckpt}
	p, err := spec.Build(env.WithReport(func(done int, metrics map[string]float64) {
		reporter(progress.Update{Run: "training " + spec.String(), Done: done, Total: steps, Metrics: metrics})
	}))
	finish()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "reinmax: gradlab: %s: model in %s\n", p.Name(), ckpt)
	return p, nil
}

// gradlabEstimators parses the --estimators list: estimators that the lab runs (gradlab.Names). A score-function
// estimator that the lab cannot run is named with the reason.
func gradlabEstimators(s string) ([]string, error) {
	names := splitList(s)
	valid := gradlab.Names()
	if len(names) == 0 {
		return nil, usagef("--estimators: no estimator given (valid: %s)", strings.Join(valid, ", "))
	}
	var out []string
	for _, n := range names {
		if spec, err := reinmax.Lookup(n); err == nil && spec.Family == reinmax.ScoreFunctionFamily {
			if _, err := gradlab.NewScoreFunctionEstimator(n, 0); err != nil {
				return nil, usagef("--estimators: %v", err)
			}
		}
		if !slices.Contains(valid, n) {
			return nil, usagef("--estimators: unknown estimator %q (valid: %s)", n, strings.Join(valid, ", "))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}
