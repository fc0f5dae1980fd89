package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/probe"
)

func newGradCommand() *cobra.Command {
	var (
		name               string
		tau                float64
		k                  int
		logits, gHard, gSo string
		sample             int
		float64s           bool
		seed               int64
	)
	cmd := &cobra.Command{
		Use:   "grad --estimator NAME --logits a,b,c --sample I --ghard x,y,z [--gsoft u,v,w]",
		Short: "Print the gradient an estimator passes to the logits at a fixed sample",
		Long: `grad runs the estimator's real GoMLX path for one categorical variable with the sample fixed to
category I (counted from 0) and the loss L = <hard, ghard> + <soft, gsoft>, and prints dL/dlogits: one number
per category, space separated, on one line. Logits may be -Inf to mask a category.

Example (the reference test vector of ReinMax at tau = 1):
  reinmax grad --estimator reinmax --logits 1,-0.5,0.25 --sample 1 --ghard 0.3,-1.2,2
  0.442348 -0.888109 0.445761`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return usagef("--estimator is required (valid: %s)", strings.Join(reinmax.Names(reinmax.StraightThroughFamily), ", "))
			}
			p := reinmax.Params{Tau: tau, K: k}
			if cmd.Flags().Changed("tau") && (!(tau > 0) || math.IsInf(tau, 0)) {
				return usagef("--tau %v: want a finite tau > 0", tau)
			}
			if cmd.Flags().Changed("k") && k < 1 {
				return usagef("--k %d: want k >= 1", k)
			}
			est, err := reinmax.NewStraightThrough(name, p)
			if err != nil {
				return usageError{err}
			}
			th, err := parseFloats("--logits", logits)
			if err != nil {
				return err
			}
			gh, err := parseFloats("--ghard", gHard)
			if err != nil {
				return err
			}
			var gs []float64
			if gSo != "" {
				if gs, err = parseFloats("--gsoft", gSo); err != nil {
					return err
				}
			}
			q := probe.Query{Estimator: est, C: len(th), Logits: th, Samples: []int{sample}, GHard: gh, GSoft: gs, Seed: seed}
			if float64s {
				q.DType = dtypes.Float64
			}
			if err := checkGradLengths(q); err != nil {
				return err
			}
			backend, err := experiments.NewBackend()
			if err != nil {
				return err
			}
			res, err := probe.Run(backend, q)
			if err != nil {
				return usageError{err}
			}
			// float32 results to 6 significant digits; float64 results in full, so that they read back exactly.
			digits := 6
			if float64s {
				digits = -1
			}
			out := make([]string, len(res.Grad))
			for i, g := range res.Grad {
				out[i] = strconv.FormatFloat(g, 'g', digits, 64)
			}
			fmt.Fprintln(cmd.OutOrStdout(), strings.Join(out, " "))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "estimator", "", "estimator name (see reinmax list)")
	f.Float64Var(&tau, "tau", 0, "temperature (default: the estimator's, see reinmax list)")
	f.IntVar(&k, "k", 0, "number of Gumbel samples for gr-mck (default 100)")
	f.StringVar(&logits, "logits", "", "comma-separated logits of one categorical variable (-Inf masks a category)")
	f.IntVar(&sample, "sample", 0, "the sampled category, counted from 0")
	f.StringVar(&gHard, "ghard", "", "comma-separated dL/dhard, one per category")
	f.StringVar(&gSo, "gsoft", "", "comma-separated dL/dsoft, one per category (default 0)")
	f.BoolVar(&float64s, "float64", false, "compute in float64 instead of float32")
	f.Int64Var(&seed, "seed", 0, "seed of the noise of stgs, gr-mck and gumbel-softmax")
	return cmd
}

// checkGradLengths names the flag whose length does not match --logits.
func checkGradLengths(q probe.Query) error {
	if q.C < 2 {
		return usagef("--logits has %d value(s), want at least 2 categories", q.C)
	}
	if len(q.GHard) != q.C {
		return usagef("--ghard has %d values, want %d (one per logit)", len(q.GHard), q.C)
	}
	if q.GSoft != nil && len(q.GSoft) != q.C {
		return usagef("--gsoft has %d values, want %d (one per logit)", len(q.GSoft), q.C)
	}
	if s := q.Samples[0]; s < 0 || s >= q.C {
		return usagef("--sample %d: want a category in [0, %d)", s, q.C)
	}
	return nil
}

// parseFloats parses a comma-separated list of numbers; NaN is rejected.
func parseFloats(flag, s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, usagef("%s is required: a comma-separated list of numbers", flag)
	}
	fields := strings.Split(s, ",")
	xs := make([]float64, len(fields))
	for i, f := range fields {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || math.IsNaN(x) {
			return nil, usagef("%s: value %d is %q, want a number", flag, i+1, f)
		}
		xs[i] = x
	}
	return xs, nil
}
