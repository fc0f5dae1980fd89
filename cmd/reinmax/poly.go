package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/poly"
	"github.com/f60e9205/reinmax/results"
)

func init() {
	extraCommands = append(extraCommands, newPolyCommand)
	mergers["poly"] = func(dst string, srcs ...string) error { return experiments.Merge(poly.Experiment{}, dst, srcs...) }
}

func newPolyCommand() *cobra.Command {
	def := poly.DefaultConfig()
	var (
		ps, estimators, seeds, target, tau, costK string
		alpha, tauForward                         string
		steps, batch, latents, every, k           int
		c, lr                                     float64
		paper, cost, binary                       bool
		costBatch, costSteps                      int
		costMax                                   time.Duration
		sf                                        sweepFlags
	)
	cmd := &cobra.Command{
		Use:   "poly [--p 1.5,2,3] [--estimators st,stgs,reinmax,...] [--steps N] [--seeds 0,1,2] [--batch B] [--target const|ramp] [--out DIR] [--cost]",
		Short: "Polynomial programming: the paper's first experiment and its cost table",
		Long: `poly minimises E_{z ~ P_theta} (1/L) sum_l |z_l - c_l|^p over theta in R^{L x 2}, where z_l = 1 when
category 0 of variable l is drawn, with Adam on the sampled loss of B samples per step and each estimator
supplying the gradient through the sample (Liu et al. 2023, section 3.1 of the reference). Every few steps it
records the exact expected loss, computed in closed form from theta, beside the running sampled loss.

The defaults are the paper's settings (L = 128, theta ~ U(-0.01, 0.01), batch 64, c = 0.45, p in {1.5, 2, 3},
Adam lr 1e-3, 8000 steps) with four estimators and 3 seeds: a few minutes on 2 cores. --paper runs every
straight-through estimator with seeds 0-9. --target ramp uses c_l = (l - 0.5)/L instead of 0.45.

DIR receives results.jsonl (one record per estimator, p, seed and checkpoint: step, exact loss, gap to the
optimum, sampled loss, step time, and every setting of the run), summary.csv (final exact loss, mean and std
over seeds, beside the optimum) and curves.png / curves.svg (one panel per p, the gap to the optimum against
the step on a log scale, one curve per estimator, mean over seeds). A run is known by all its settings: run the
same command again to skip the finished runs and resume interrupted ones; a changed setting is a new run.
--shard i/n runs every n-th run starting at i; combine the shards' folders with 'reinmax merge poly'.

--cost measures instead, per estimator, the time of 200 steps and the peak memory with L = 128 and 512
samples per step, GR-MCK with K = 100, 300 and 1000 (the slides' Table 4), and writes DIR/cost.csv.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			changed := cmd.Flags().Changed
			s := poly.DefaultSweep()
			if paper {
				s = poly.PaperSweep()
			}
			var err error
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
			if s.P, err = positiveFloats("--p", ps); err != nil {
				return err
			}
			if s.Params, err = parseParams(tau, alpha, tauForward, k, s.Estimators); err != nil {
				return err
			}
			for flag, x := range map[string]float64{"--c": c, "--lr": lr} {
				if err := finite(flag, x); err != nil {
					return err
				}
			}
			s.Modify = func(r *poly.Config) {
				r.Steps, r.Batch, r.L, r.Every, r.C, r.LR, r.Target = steps, batch, latents, every, c, lr, poly.Target(target)
				r.Binary = binary
			}
			if !changed("out") && poly.Target(target) == poly.Ramp {
				sf.out += "-ramp"
			}
			if cost {
				return runPolyCost(cmd, s, costK, costBatch, costSteps, costMax, sf.out)
			}
			runs, err := s.Runs()
			if err != nil {
				return usageError{err}
			}
			if err := runSweep(cmd, poly.Experiment{}, runs, sf); err != nil || sf.migrate {
				return err
			}
			recs, err := results.ReadJSONL[poly.Record](filepath.Join(sf.out, experiments.ResultsFile))
			if err != nil {
				return err
			}
			printPolySummary(cmd.OutOrStdout(), runs, recs)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&ps, "p", "1.5,2,3", "exponents p of the loss |z - c|^p, comma-separated")
	f.StringVar(&estimators, "estimators", strings.Join(poly.DefaultSweep().Estimators, ","), "estimators of either family, comma-separated (see reinmax list)")
	f.IntVar(&steps, "steps", def.Steps, "Adam steps per run")
	f.StringVar(&seeds, "seeds", "0-2", "seeds, comma-separated or ranges a-b")
	f.IntVar(&batch, "batch", def.Batch, "samples of the L variables per step")
	f.IntVar(&latents, "latents", def.L, "L, the number of binary variables")
	f.StringVar(&target, "target", string(poly.Const), "target c: const (c_l = --c) or ramp (c_l = (l - 0.5)/L)")
	f.Float64Var(&c, "c", def.C, "value of the const target")
	f.Float64Var(&lr, "lr", def.LR, "Adam's learning rate")
	f.StringVar(&tau, "tau", "", "temperature: a number for every estimator, or name=value pairs such as reinmax=1.5,stgs=0.5 (default: each estimator's own, see reinmax list)")
	f.StringVar(&alpha, "alpha", "", "reinmax-alpha's mixing weight: a number, or name=value pairs (default 1, which is reinmax)")
	f.StringVar(&tauForward, "tau-forward", "", "the decoupled estimators' forward temperature: a number, or name=value pairs (default 1)")
	f.IntVar(&k, "k", 0, "Gumbel samples of gr-mck, reinmax-rao and reinmax-cv in training (default: see reinmax list)")
	f.IntVar(&every, "every", def.Every, "steps between two records of a run")
	f.BoolVar(&paper, "paper", false, "the paper's full protocol: every straight-through estimator, seeds 0-9")
	f.BoolVar(&binary, "binary", false, "run straight-through estimators in their Bernoulli form (one logit per variable; see reinmax list)")
	f.BoolVar(&cost, "cost", false, "measure time per 200 steps and peak memory per estimator instead (writes DIR/cost.csv)")
	f.StringVar(&costK, "cost-k", "100,300,1000", "with --cost: the K values GR-MCK is measured with")
	f.IntVar(&costBatch, "cost-batch", 512, "with --cost: samples per step")
	f.IntVar(&costSteps, "cost-steps", 200, "with --cost: the number of steps the time is given for")
	f.DurationVar(&costMax, "cost-max-time", 2*time.Minute, "with --cost: time bound per estimator; slower ones are timed over fewer steps (at least 5) and scaled")
	sf.register(cmd, "runs/poly", 2)
	return cmd
}

// runPolyCost measures the cost table.
func runPolyCost(cmd *cobra.Command, s poly.Sweep, ks string, batch, steps int, maxTime time.Duration, out string) error {
	cc := poly.DefaultCostConfig()
	if cmd.Flags().Changed("estimators") {
		cc.Estimators = s.Estimators
	}
	kv, err := positiveFloats("--cost-k", ks)
	if err != nil {
		return err
	}
	cc.GRMCKK = nil
	for _, k := range kv {
		if k != math.Trunc(k) || k > math.MaxInt32 {
			return usagef("--cost-k: %v is not a whole number", k)
		}
		cc.GRMCKK = append(cc.GRMCKK, int(k))
	}
	var latents poly.Config
	s.Modify(&latents)
	cc.Params, cc.L, cc.Batch, cc.Steps, cc.MaxTime, cc.P = s.Params, latents.L, batch, steps, maxTime, s.P[0]
	if err := cc.Validate(); err != nil {
		return usageError{err}
	}
	if err := checkOut(out); err != nil {
		return err
	}
	if err := results.PrepareDir(out); err != nil {
		return err
	}
	reporter, finish := newProgress(cmd)
	costs, err := poly.MeasureCost(cc, reporter)
	finish()
	if err != nil {
		return err
	}
	path := filepath.Join(out, poly.CostFile)
	if err := poly.WriteCost(path, cc.Steps, costs); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "L = %d binary variables, %d samples per step; written to %s\n\n", cc.L, cc.Batch, path)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "estimator\tK\tms/step\ts/%d steps\tsteps timed\tpeak RSS MB\tpeak Go heap MB\t\n", cc.Steps)
	for _, c := range costs {
		kText := "-"
		if c.K > 0 {
			kText = strconv.Itoa(c.K)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.1f\t%d\t%.0f\t%.0f\t\n", c.Estimator, kText, float64(c.StepTime)/float64(time.Millisecond),
			c.PerSteps.Seconds(), c.StepsTimed, float64(c.PeakRSS)/1e6, float64(c.PeakHeap)/1e6)
	}
	return tw.Flush()
}

// printPolySummary prints the final exact loss per estimator and p of the runs, over their seeds, and the mean
// time of a step.
func printPolySummary(w io.Writer, runs []poly.Config, recs []poly.Record) {
	ids := make(map[string]bool)
	for _, r := range runs {
		id, _ := experiments.ID(poly.Experiment{}.Name(), r)
		ids[id] = true
	}
	var mine []poly.Record
	var stepSum float64
	var steps int
	for _, r := range results.Complete(recs) {
		if ids[r.RunKey()] {
			mine = append(mine, r)
			if r.StepSeconds > 0 {
				stepSum += r.StepSeconds
				steps++
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "estimator\tp\ttarget\tsteps\tseeds\tfinal exact loss (mean ± std)\toptimum\tgap")
	for _, s := range poly.Summarize(mine) {
		loss := fmt.Sprintf("%.6f ± %.6f", s.Mean, s.Std)
		if s.Seeds < 2 {
			loss = fmt.Sprintf("%.6f", s.Mean)
		}
		fmt.Fprintf(tw, "%s\t%g\t%s\t%d\t%d\t%s\t%.6f\t%.3g\n", s.Label(), s.P, s.Target, s.Steps, s.Seeds, loss, s.Optimum, s.Gap)
	}
	tw.Flush()
	if steps > 0 {
		fmt.Fprintf(w, "\nmean time of a step (sampling, estimator, loss, Adam): %.2f ms\n", 1e3*stepSum/float64(steps))
	}
}

// parseParams turns --tau, --alpha and --tau-forward (each a number for every estimator, or name=value pairs such
// as reinmax=1.5,stgs=0.5) and --k (the samples of the straight-through estimators that read one) into
// per-estimator parameters.
func parseParams(tau, alpha, tauForward string, k int, estimators []string) (map[string]reinmax.Params, error) {
	if k < 0 {
		return nil, usagef("--k %d: want k >= 1", k)
	}
	params := make(map[string]reinmax.Params)
	for _, flag := range []struct {
		name, value string
		set         func(*reinmax.Params, float64)
	}{
		{"--tau", tau, func(p *reinmax.Params, x float64) { p.Tau = x }},
		{"--alpha", alpha, func(p *reinmax.Params, x float64) { p.Alpha = x }},
		{"--tau-forward", tauForward, func(p *reinmax.Params, x float64) { p.TauForward = x }},
	} {
		for _, f := range splitList(flag.value) {
			name, value, pair := strings.Cut(f, "=")
			if !pair {
				value = name
			}
			x, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil || !(x > 0) || math.IsInf(x, 0) {
				return nil, usagef("%s: %q, want a finite number > 0", flag.name, value)
			}
			names := estimators
			if pair {
				name = strings.TrimSpace(name)
				if !slices.Contains(estimators, name) {
					return nil, usagef("%s: %s is not among the estimators (%s)", flag.name, name, strings.Join(estimators, ", "))
				}
				names = []string{name}
			}
			for _, e := range names {
				p := params[e]
				flag.set(&p, x)
				params[e] = p
			}
		}
	}
	for _, e := range estimators {
		if spec, err := reinmax.Lookup(e); k > 0 && err == nil && spec.Family == reinmax.StraightThroughFamily && slices.Contains(spec.Params, "k") {
			p := params[e]
			p.K = k
			params[e] = p
		}
	}
	for name, p := range params {
		if p == (reinmax.Params{}) {
			delete(params, name)
		}
	}
	return params, nil
}
