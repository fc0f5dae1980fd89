package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/bervae"
	"github.com/f60e9205/reinmax/experiments/catvae"
	"github.com/f60e9205/reinmax/experiments/poly"
	"github.com/f60e9205/reinmax/gradlab"
	"github.com/f60e9205/reinmax/report"
)

// miniature is one experiment of `reinmax report --quick`: a comparison the paper makes, at the paper's settings
// and on a budget of about two minutes on two cores, run into its own folder by the experiment's own runner, so
// that running it again resumes it.
type miniature struct {
	name string // the folder in the output folder
	what string // what runs, for the progress lines and the help
	note string // what the page says about it
	run  func(cmd *cobra.Command, dir, data string) error
}

// miniatures are the parts of the quick run, in order. Their budgets were chosen from timings, before any of their
// results were seen: each at the paper's settings for the comparison it shows.
var miniatures = []miniature{
	{
		name: "gradlab",
		what: "gradient lab: ST against ReinMax at τ = 1, order of accuracy on f_h(D) = F(hD), a quadratic, and the " +
			"8x4 VAE's encoder gradient on MNIST",
		note: "Miniature: 5,000 draws per row, 100,000 per Monte-Carlo point of the order study (the lab's command " +
			"uses 50,000 and 400,000); the exact slopes come from the oracle and do not depend on the draws.",
		run: quickGradlab,
	},
	{
		name: "poly",
		what: "polynomial programming: ST against ReinMax, p = 1.5, 2, 3, seeds 0–2, 2,000 of the paper's 8,000 steps",
		note: "Miniature: the paper's settings (L = 128, batch 64, Adam 1e-3, c = 0.45) for 2,000 of its 8,000 steps, " +
			"ST and ReinMax only, three seeds.",
		run: func(cmd *cobra.Command, dir, _ string) error {
			s := poly.Sweep{Estimators: []string{"st", "reinmax"}, P: []float64{1.5, 2, 3}, Seeds: []int64{0, 1, 2},
				Modify: func(c *poly.Config) { c.Steps = 2000 }}
			runs, err := s.Runs()
			if err != nil {
				return err
			}
			return runSweep(cmd, poly.Experiment{}, runs, sweepFlags{out: dir, workers: 1})
		},
	},
	{
		name: "catvae",
		what: "categorical VAE 10x30 on MNIST: ST against ReinMax, 1 of the paper's 160 epochs, seeds 0–2",
		note: "Miniature: configuration 10x30, ReinMax and ST with the paper's learning rate, temperature and optimiser " +
			"for 10x30, one epoch of the paper's 160, three seeds. After one epoch the models are far from where the " +
			"paper measures; its gaps open over 160 epochs.",
		run: func(cmd *cobra.Command, dir, data string) error {
			s := catvae.Sweep{Configs: []string{"10x30"}, Estimators: []string{"reinmax", "st"}, Seeds: []int64{0, 1, 2},
				Modify: func(c *catvae.Config) { c.Epochs = 1 }}
			runs, err := s.Runs()
			if err != nil {
				return err
			}
			return runSweep(cmd, &catvae.Experiment{}, runs, sweepFlags{out: dir, data: data, workers: 1})
		},
	},
	{
		name: "bervae",
		what: "Bernoulli VAE on MNIST, K = 2: ReinMax against RLOO and DisARM, 1,000 of the paper's 10⁶ steps",
		note: "Miniature: MNIST with K = 2, ReinMax (RAdam 3e-4, τ 1.1) against RLOO and DisARM (Adam 1e-3), the " +
			"paper's settings, for 1,000 of its 10⁶ steps, one seed (no paired verdict), evaluated on 1,000 validation " +
			"and test images, without the importance-weighted bound.",
		run: func(cmd *cobra.Command, dir, data string) error {
			s := bervae.Sweep{Datasets: []string{"mnist"}, Ks: []int{2}, Estimators: []string{"reinmax", "rloo", "disarm"},
				Seeds: []int64{0}, Modify: func(c *bervae.Config) { c.Steps, c.EvalEvery, c.EvalSize, c.IWSamples = 1000, 250, 1000, 0 }}
			runs, err := s.Runs()
			if err != nil {
				return err
			}
			return runSweep(cmd, &bervae.Experiment{}, runs, sweepFlags{out: dir, data: data, workers: 2})
		},
	},
}

// quickIntro opens the page of the quick run.
const quickIntro = "A miniature of the paper, made by reinmax report --quick: each section is one comparison the paper " +
	"makes, at the paper's settings but on a budget of minutes, so the training runs stop long before the paper's " +
	"numbers (shown beside ours) and decide little; the gradient lab measures the paper's central claim directly. " +
	"ListOps is not among the miniatures: its smallest run that learns (docs/listops: hidden size 32, 10,000 " +
	"expressions, 3 epochs) takes 8–9 minutes per estimator on two cores, and at a size that fits here (2,000 " +
	"expressions, one epoch) ReinMax and ST stayed below the bag-of-tokens baseline (18.2 and 17.8 % against 30.6 %). " +
	"docs/report.html in the repository shows the longer runs of every experiment."

// quickSummary lists the miniatures for the command's help.
func quickSummary() string {
	var b strings.Builder
	for _, m := range miniatures {
		fmt.Fprintf(&b, "  %-8s %s\n", m.name, m.what)
	}
	return b.String()
}

// runQuick runs every miniature into its folder of out, then writes out/report.html.
func runQuick(cmd *cobra.Command, out, data string) error {
	start := time.Now()
	var inputs []report.Input
	for i, m := range miniatures {
		dir := filepath.Join(out, m.name)
		fmt.Fprintf(cmd.ErrOrStderr(), "reinmax: quick %d/%d: %s\n", i+1, len(miniatures), m.what)
		if err := m.run(cmd, dir, data); err != nil {
			return fmt.Errorf("quick: %s: %w", m.name, err)
		}
		inputs = append(inputs, report.Input{Dir: dir, Note: m.note})
	}
	took := time.Since(start).Round(time.Second)
	fmt.Fprintf(cmd.ErrOrStderr(), "reinmax: quick: the miniatures took %s\n", took)
	opt := report.Options{Title: "ReinMax for Go: the paper in miniature (reinmax report --quick)", Intro: quickIntro,
		Made: "by reinmax report --quick, with this binary"}
	return writeReport(cmd, inputs, opt, filepath.Join(out, "report.html"))
}

// quickGradlab runs the gradient lab's miniature into dir, unless a previous run finished it (its last file, the
// order-of-accuracy figure, is there). The VAE's checkpoint is kept in dir, so an interrupted training resumes.
func quickGradlab(cmd *cobra.Command, dir, data string) error {
	if _, err := os.Stat(filepath.Join(dir, gradlab.OrderPlot+".svg")); err == nil {
		fmt.Fprintf(cmd.OutOrStdout(), "gradient lab found finished; results in %s\n\n", dir)
		return nil
	}
	spec, err := catvae.ParseEncoderSpec("vae8x4")
	if err != nil {
		return err
	}
	backend, err := experiments.NewBackend()
	if err != nil {
		return err
	}
	vae, err := buildEncoderProblem(cmd, spec, backend, "", dir, data)
	if err != nil {
		return err
	}
	lab := gradlab.Lab{
		Problems:   []gradlab.ProblemSpec{{Name: "quadratic"}, {Name: "net"}},
		Custom:     []gradlab.Problem{vae},
		Estimators: []string{"st", "reinmax"},
		Taus:       []float64{1},
		Config:     gradlab.Config{Draws: 5000, Seed: 1, Batch: max(1, encoderRows/vae.Images())},
		Order:      true,
		OrderDraws: 100_000,
		Dir:        dir,
	}
	reporter, finish := newProgress(cmd)
	_, err = lab.Run(backend, reporter)
	finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "gradient lab measured; results in %s\n\n", dir)
	return nil
}
