package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax/experiments"
	moeexp "github.com/f60e9205/reinmax/experiments/moe"
	"github.com/f60e9205/reinmax/gradlab"
	"github.com/f60e9205/reinmax/moe"
	"github.com/f60e9205/reinmax/progress"
)

func init() {
	extraCommands = append(extraCommands, newMoECommand)
	mergers["moe"] = func(dst string, srcs ...string) error {
		return experiments.Merge(&moeexp.Experiment{}, dst, srcs...)
	}
}

func newMoECommand() *cobra.Command {
	var (
		data, methods, topK, seeds                                      string
		steps, evalEvery, experts, hidden, expertHidden, batch, samples int
		trainSize, testSize                                             int
		capacity, balance, lr, tau, jitter                              float64
		full                                                            bool
		sf                                                              sweepFlags
	)
	cmd := &cobra.Command{
		Use:   "moe [--datasets fashion,mnist] [--methods ...] [--top-k 1,2] [--seeds ...] [--steps N] [--full] [--out DIR] [--shard i/n]",
		Short: "Mixture-of-experts routing: a small MoE classifier trained with every routing method",
		Long: `moe trains a small mixture-of-experts classifier on Fashion-MNIST or MNIST: a shared layer of 64 ReLU
units, one MoE layer of 4 experts (64-128-64 ReLU networks, residual connection), a linear classifier; each image
is one token of the MoE layer. The router's gradient comes from the routing method:

  switch          top-k by logit, output scaled by the softmax gate; the router learns through the gate only
  densemixer      Switch's forward, the dense mixture's router gradient (every expert runs)
  dense           every expert, softmax weights: the upper reference (top-1 only)
  sparsemixer     SparseMixer v1: expert drawn from a masked softmax, midpoint-method gradient (top-1 only)
  sparsemixer-v2  SparseMixer v2 (GRIN): as v1 with Radau's rule and a second expert (top-1, top-2)
  st, stgs, gst-1.0, gst-p, gr-mck, reinmax, reinmax-rao, reinmax-cv, ... (every straight-through estimator
                  of the registry whose sample is one-hot: see reinmax list)
                  the expert drawn by the estimator, gated by its softmax probability; the estimator supplies
                  the gradient of the choice (every expert runs; top-1 only)

Training: Adam 1e-3, batch 128, capacity factor 1.25 (assignments over an expert's capacity are dropped and
counted), the Switch load-balancing loss times 0.1, 1000 steps with a record every 100. Test accuracy and NLL use
the deterministic router (top-k by logit, no capacity limit).

The default is small: Fashion-MNIST, switch, densemixer, dense, sparsemixer, sparsemixer-v2, st and reinmax, top-1
and top-2 where the method has it, seed 0 (about 15 s per run on 2 cores). --full runs the sweep of docs/moe: both
data sets, every method but reinmax-alpha, decoupled-st and decoupled-stgs (at their defaults they are reinmax, st
and stgs), seeds 0-2; flags given beside it change it.

DIR receives results.jsonl (one record per evaluation: training loss, expert load entropy and busiest share,
dropped fraction, test accuracy and NLL, wall time, and every setting of the run), summary.csv, table.md and
curves.png/.svg. A run is known by all its settings: run the same command again to resume an interrupted sweep
and skip finished runs. --shard i/n runs every n-th run starting at i; combine the folders with 'reinmax merge moe'.

The gradient of the routing methods against the exact gradient of the expected loss is measured by
'reinmax gradlab --problem moe'.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := moeexp.DefaultSweep()
			if full {
				s = moeexp.FullSweep()
			}
			changed := cmd.Flags().Changed
			var err error
			if changed("datasets") || !full {
				if s.Data, err = names("--datasets", data, []string{moeexp.Fashion, moeexp.MNIST}); err != nil {
					return err
				}
			}
			if changed("methods") || !full {
				if s.Methods, err = names("--methods", methods, moe.Methods()); err != nil {
					return err
				}
			}
			if changed("top-k") || !full {
				if s.TopK, err = positiveInts("--top-k", topK); err != nil {
					return err
				}
			}
			for _, k := range s.TopK {
				if k > 2 {
					return usagef("--top-k %d: want 1 or 2", k)
				}
			}
			for _, m := range s.Methods {
				if !slices.ContainsFunc(moe.SupportedTopK(m), func(k int) bool { return slices.Contains(s.TopK, k) }) {
					return usagef("--methods: %s does not support top-%s (it supports top-%s)", m, joinInts(s.TopK), joinInts(moe.SupportedTopK(m)))
				}
			}
			if changed("seeds") || !full {
				if s.Seeds, err = parseSeeds(seeds); err != nil {
					return err
				}
			}
			for flag, v := range map[string]float64{"--capacity": capacity, "--balance": balance, "--lr": lr, "--tau": tau, "--jitter": jitter} {
				if err := finite(flag, v); err != nil {
					return err
				}
			}
			s.Modify = func(c *moeexp.Config) {
				set(changed("steps"), &c.Steps, steps)
				set(changed("eval-every"), &c.EvalEvery, evalEvery)
				set(changed("experts"), &c.Experts, experts)
				set(changed("hidden"), &c.Hidden, hidden)
				set(changed("expert-hidden"), &c.ExpertHidden, expertHidden)
				set(changed("batch"), &c.Batch, batch)
				set(changed("capacity"), &c.Capacity, capacity)
				set(changed("balance"), &c.Balance, balance)
				set(changed("lr"), &c.LR, lr)
				set(changed("tau"), &c.Tau, tau)
				set(changed("k"), &c.Samples, samples)
				set(changed("jitter"), &c.Jitter, jitter)
				set(changed("train-size"), &c.TrainSize, trainSize)
				set(changed("test-size"), &c.TestSize, testSize)
			}
			runs, err := s.Runs()
			if err != nil {
				return usageError{err}
			}
			if err := runSweep(cmd, &moeexp.Experiment{}, runs, sf); err != nil || sf.migrate {
				return err
			}
			return printFile(cmd, filepath.Join(sf.out, moeexp.TableFile))
		},
	}
	f := cmd.Flags()
	def := moeexp.DefaultConfig(moeexp.Fashion, moe.Switch, 1)
	f.StringVar(&data, "datasets", moeexp.Fashion, "data sets, comma-separated: fashion, mnist")
	f.StringVar(&methods, "methods", strings.Join(moeexp.DefaultMethods, ","), "routing methods, comma-separated: "+strings.Join(moe.Methods(), ", "))
	f.StringVar(&topK, "top-k", "1,2", "experts per image, comma-separated: 1, 2 (each method runs those it supports)")
	f.StringVar(&seeds, "seeds", "0", "seeds, comma-separated or ranges a-b")
	f.BoolVar(&full, "full", false, "the sweep of docs/moe: both data sets, every method (but three equal to others at their defaults), top-1 and top-2, seeds 0-2")
	f.IntVar(&steps, "steps", def.Steps, "training steps per run")
	f.IntVar(&evalEvery, "eval-every", def.EvalEvery, "steps between records (test evaluations)")
	f.IntVar(&experts, "experts", def.Experts, "experts E")
	f.IntVar(&hidden, "hidden", def.Hidden, "width of the shared layer and of the experts' input and output")
	f.IntVar(&expertHidden, "expert-hidden", def.ExpertHidden, "width of each expert's hidden layer")
	f.IntVar(&batch, "batch", def.Batch, "images (tokens) per step")
	f.Float64Var(&capacity, "capacity", def.Capacity, "capacity factor while training (> 0; E/k or more drops nothing)")
	f.Float64Var(&balance, "balance", def.Balance, "coefficient of the load-balancing loss (the Switch Transformer uses 0.01)")
	f.Float64Var(&lr, "lr", def.LR, "Adam's learning rate")
	f.Float64Var(&tau, "tau", 0, "temperature of the straight-through methods (default: the registry's, 1)")
	f.IntVar(&samples, "k", 0, "Gumbel samples of gr-mck (default 100)")
	f.Float64Var(&jitter, "jitter", 0, "SparseMixer's jitter epsilon (default 0.1)")
	f.IntVar(&trainSize, "train-size", 0, "use only the first N training images (default: all 60,000)")
	f.IntVar(&testSize, "test-size", 0, "use only the first N test images (default: all 10,000)")
	sf.register(cmd, "runs/moe", 1)
	return cmd
}

// joinInts writes a list of integers as "1, 2".
func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// routerRows is the number of routed images (draws × images) of one graph execution on the moe problem.
const routerRows = 100000

// runRouterLab is `reinmax gradlab --problem moe[:...]`: it trains (or loads) the classifier of the problem, then
// measures every routing method (--estimators, default all of them; the straight-through ones at every --tau, and
// gr-mck with --k samples)
// against the exact gradient of the expected loss with respect to the router logits. lab holds the lab's other
// settings from the gradlab command's flags.
func runRouterLab(cmd *cobra.Command, problem string, lab gradlab.Lab, estimators, taus, ckpt, data string) error {
	spec, err := moeexp.ParseLabSpec(problem)
	if err != nil {
		return usageError{err}
	}
	methods := moe.Methods()
	if cmd.Flags().Changed("estimators") {
		if methods, err = names("--estimators", estimators, moe.Methods()); err != nil {
			return err
		}
	}
	ts, err := parseFloats("--tau", taus)
	if err != nil {
		return err
	}
	ests, skipped, err := moeexp.LabEstimators(methods, ts, lab.K, spec.Jitter)
	if err != nil {
		return usageError{err}
	}
	backend, err := experiments.NewBackend()
	if err != nil {
		return err
	}
	if ckpt == "" {
		ckpt = filepath.Join(lab.Dir, "checkpoints", spec.CheckpointFile())
	}
	if err := os.MkdirAll(filepath.Dir(ckpt), 0o755); err != nil {
		return err
	}
	cfg, err := spec.TrainConfig()
	if err != nil {
		return usageError{err}
	}
	reporter, finish := newProgress(cmd)
	env := experiments.Env{LoadEnv: experiments.LoadEnv{DataDir: data}, Backend: backend, Checkpoint: ckpt}
	p, err := spec.Build(env.WithReport(func(done int, metrics map[string]float64) {
		reporter(progress.Update{Run: "training " + spec.String(), Done: done, Total: cfg.Steps, Metrics: metrics})
	}))
	finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "reinmax: gradlab: %s: model in %s\n", p.Name(), ckpt)
	lab.Problems, lab.Estimators, lab.Taus, lab.Order = nil, nil, nil, false
	lab.Custom, lab.CustomEstimators = []gradlab.Problem{p}, ests
	if lab.Config.Batch == 0 {
		lab.Config.Batch = max(1, routerRows/p.Images()) // bounds the memory of one execution (GR-MCK's K copies)
	}
	reporter, finish = newProgress(cmd)
	_, err = lab.Run(backend, reporter)
	finish()
	for _, s := range skipped {
		fmt.Fprintf(cmd.ErrOrStderr(), "reinmax: gradlab: skipped %s\n", s)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "results in %s\n\n", lab.Dir)
	return printFile(cmd, filepath.Join(lab.Dir, gradlab.TableFile))
}
