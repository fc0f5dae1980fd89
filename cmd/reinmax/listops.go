package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/listops"
)

func init() {
	extraCommands = append(extraCommands, newListOpsCommand)
	mergers["listops"] = listops.Merge
}

func newListOpsCommand() *cobra.Command {
	var (
		estimators, seeds, hidden, trainSize, shard, out, optimizer string
		epochs, batch, k, testSize                                  int
		tau, lr                                                     float64
		paper                                                       bool
	)
	cmd := &cobra.Command{
		Use:   "listops [--estimators ...] [--hidden H] [--train-size N] [--epochs E] [--seeds ...] [--paper] [--out DIR] [--shard i/n]",
		Short: "ListOps with a latent parse tree (Gumbel Tree-LSTM): the paper's Table 1",
		Long: `listops trains the Gumbel Tree-LSTM of Choi et al. (2018) on ListOps: word embeddings, a leaf LSTM, and a
tree-LSTM that merges one adjacent pair per step, the pair chosen by a categorical sample whose gradient comes
from the estimator (greedy choice at evaluation). Training and validation expressions are generated with the
reference grammar, excluding every expression of the official test split; the test accuracy is measured on
the official split (sequences under 100 tokens) after the last epoch.

The default is sized for a 2-core machine (8-9 minutes per run, GR-MCK 14, about 50 minutes for the five
estimators): hidden size 32, 10,000 training expressions, 3 epochs, batch 64, Adam with learning rate 1e-2
(RAdam's warm-up takes most of a run this short), gradient-norm clipping at 5, no dropout, the five estimators
of the paper's table, seed 0.
--hidden and --train-size take lists (e.g. --hidden 32,64) to measure how the accuracy moves with them.
--paper runs the full protocol: hidden 300, 90,000 training expressions, batch 16, RAdam lr 7e-4 halved on a
validation plateau, gradient-norm clipping at 5, dropout 0.5, 20 epochs, ReinMax's tau 1.1 and the other
estimators' published temperatures, seeds 0-4. On a CPU that is days per run: it is meant for a GPU backend
or a cluster (--shard).

DIR receives results.jsonl (one record per epoch: training loss and accuracy, validation accuracy, and the
test accuracy and tree agreement after the last epoch), summary.csv, table.md (the paper's numbers and a
majority-class and bag-of-tokens baseline beside ours), baselines.json, curves.png/.svg (learning curves),
and trees/ (the induced tree of a few test expressions beside the true tree, per run). Every epoch is
checkpointed: run the same command again to resume; finished runs are skipped. A finished run is known by its
hidden size, training-set size, estimator and seed only: give every other change of setting (optimiser,
learning rate, epochs, batch, tau) its own --out. --shard i/n runs every n-th run starting at i; combine the
shards' folders with 'reinmax merge listops'.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := listops.Sweep{Paper: paper, Epochs: epochs, Batch: batch, Optimizer: optimizer, LR: lr, Tau: tau, K: k, TestSize: testSize, Dir: out}
			var err error
			if s.Estimators, err = estimatorList(estimators, reinmax.StraightThroughFamily); err != nil {
				return err
			}
			if paper && !cmd.Flags().Changed("seeds") {
				seeds = "0-4"
			}
			if s.Seeds, err = parseSeeds(seeds); err != nil {
				return err
			}
			if cmd.Flags().Changed("hidden") {
				if s.Hiddens, err = positiveInts("--hidden", hidden); err != nil {
					return err
				}
			}
			if cmd.Flags().Changed("train-size") {
				if s.TrainSizes, err = positiveInts("--train-size", trainSize); err != nil {
					return err
				}
			}
			switch {
			case epochs < 0:
				return usagef("--epochs %d: want at least 1 (0: the default)", epochs)
			case batch < 0:
				return usagef("--batch %d: want at least 1 (0: the default)", batch)
			case lr < 0 || tau < 0 || k < 0 || testSize < 0:
				return usagef("--lr, --tau, --k and --test-size must not be negative")
			}
			if s.Shard, err = experiments.ParseShard(shard); err != nil {
				return usageError{err}
			}
			if err := s.Validate(); err != nil {
				return usageError{err}
			}
			spec, err := s.DataSpec("")
			if err != nil {
				return usageError{err}
			}
			data, err := listops.LoadData(spec)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "listops: %d generated training and %d validation expressions; official test split: %d of %d rows under 100 tokens\n",
				len(data.Train), len(data.Valid), len(data.Test), data.TestRows)
			backend, err := experiments.NewBackend()
			if err != nil {
				return err
			}
			reporter, finish := newProgress(cmd)
			err = s.Run(data, backend, reporter)
			finish()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "results in %s\n\n", out)
			if err := printFile(cmd, filepath.Join(out, listops.TableFile)); err != nil {
				return err
			}
			trees, _ := filepath.Glob(filepath.Join(out, listops.TreesDir, "*.txt"))
			if len(trees) == 0 {
				return nil
			}
			first := trees[0]
			for _, t := range trees { // prefer a ReinMax run
				if strings.Contains(filepath.Base(t), "_reinmax_") {
					first = t
					break
				}
			}
			fmt.Fprintf(w, "\nInduced trees (%s; all runs in %s):\n\n", filepath.Base(first), filepath.Join(out, listops.TreesDir))
			if _, err := os.Stat(first); err != nil {
				return err
			}
			return printFile(cmd, first)
		},
	}
	f := cmd.Flags()
	f.StringVar(&estimators, "estimators", strings.Join(listops.PaperEstimators, ","), "straight-through estimators, comma-separated (see reinmax list)")
	f.StringVar(&hidden, "hidden", "32", "hidden sizes, comma-separated (paper: 300)")
	f.StringVar(&trainSize, "train-size", "10000", "generated training expressions, comma-separated sizes (paper: 90000)")
	f.IntVar(&epochs, "epochs", 0, "epochs per run (default 3; paper: 20)")
	f.StringVar(&seeds, "seeds", "0", "seeds, comma-separated or a range a-b (paper: 0-4)")
	f.BoolVar(&paper, "paper", false, "the paper's protocol: hidden 300, batch 16, RAdam lr 7e-4, dropout 0.5, 20 epochs, seeds 0-4")
	f.IntVar(&batch, "batch", 0, "expressions per training step (default 64; paper: 16)")
	f.StringVar(&optimizer, "optimizer", "", "adam or radam (default adam; paper: radam)")
	f.Float64Var(&lr, "lr", 0, "initial learning rate (default 1e-2; paper: 7e-4)")
	f.Float64Var(&tau, "tau", 0, "temperature for every estimator (default: reinmax 1.1, gr-mck and gst-1.0 0.1, others 1)")
	f.IntVar(&k, "k", 0, "Gumbel samples of gr-mck (default 100)")
	f.IntVar(&testSize, "test-size", 0, "use only the first N official test expressions (default: all under 100 tokens)")
	f.StringVar(&out, "out", "runs/listops", "output folder")
	f.StringVar(&shard, "shard", "", "run only shard i of n of the sweep, as i/n")
	return cmd
}

// positiveInts parses a comma-separated list of integers >= 1 given to flag.
func positiveInts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		v, err := strconv.Atoi(f)
		if err != nil || v < 1 {
			return nil, usagef("%s: %q is not an integer >= 1", flag, f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, usagef("%s: no value given", flag)
	}
	return out, nil
}
