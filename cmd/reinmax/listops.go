package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/listops"
)

func init() {
	extraCommands = append(extraCommands, newListOpsCommand)
	mergers["listops"] = func(dst string, srcs ...string) error {
		return experiments.Merge(&listops.Experiment{}, dst, srcs...)
	}
}

func newListOpsCommand() *cobra.Command {
	var (
		estimators, seeds, hidden, trainSize, optimizer string
		epochs, batch, k, testSize                      int
		tau, lr                                         float64
		paper                                           bool
		sf                                              sweepFlags
	)
	cmd := &cobra.Command{
		Use:   "listops [--estimators ...] [--hidden H] [--train-size N] [--epochs E] [--seeds ...] [--paper] [--out DIR] [--shard i/n]",
		Short: "ListOps with a latent parse tree (Gumbel Tree-LSTM): the paper's Table 1",
		Long: `listops trains the Gumbel Tree-LSTM of Choi et al. (2018) on ListOps: word embeddings, a leaf LSTM, and a
tree-LSTM that merges one adjacent pair per step, the pair chosen by a categorical sample whose gradient comes
from the estimator (greedy choice at evaluation). Training and validation expressions are generated with the
reference grammar, excluding every expression of the official test split; the test accuracy is measured on
the official split (sequences under 100 tokens) after the last epoch.

The default is sized for a 2-core machine (about 50 minutes for the five estimators; docs/listops has the
times): hidden size 32, 10,000 training expressions, 3 epochs, batch 64, Adam with learning rate 1e-2
(RAdam's warm-up takes most of a run this short), gradient-norm clipping at 5, no dropout, the five estimators
of the paper's table, seed 0.
--hidden and --train-size take lists (e.g. --hidden 32,64) to measure how the accuracy moves with them.
--paper runs the full protocol: hidden 300, 90,000 training expressions, batch 16, RAdam lr 7e-4 halved on a
validation plateau, gradient-norm clipping at 5, dropout 0.5, 20 epochs, ReinMax's tau 1.1 and the other
estimators' published temperatures, seeds 0-4. On a CPU that is days per run: it is meant for a GPU backend
or a cluster (--shard).

DIR receives results.jsonl (one record per epoch: training loss and accuracy, validation accuracy, the test
accuracy and tree agreement after the last epoch, and every setting of the run), summary.csv, table.md (the
paper's numbers and a majority-class and bag-of-tokens baseline beside ours), baselines.json, curves.png/.svg
(learning curves), and trees/ (the induced tree of a few test expressions beside the true tree, per run). A run
is known by all its settings: run the same command again to resume from the last epoch and skip finished
runs; a changed setting is a new run beside the old ones. --shard i/n runs every n-th run starting at i;
combine the shards' folders with 'reinmax merge listops'.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := listops.DefaultSweep()
			if paper {
				s = listops.PaperSweep()
			}
			changed := cmd.Flags().Changed
			var err error
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
			if changed("hidden") {
				if s.Hiddens, err = positiveInts("--hidden", hidden); err != nil {
					return err
				}
			}
			if changed("train-size") {
				if s.TrainSizes, err = positiveInts("--train-size", trainSize); err != nil {
					return err
				}
			}
			for flag, x := range map[string]float64{"--tau": tau, "--lr": lr} {
				if err := finite(flag, x); err != nil {
					return err
				}
			}
			s.Modify = func(c *listops.Config) {
				set(changed("epochs"), &c.Epochs, epochs)
				set(changed("batch"), &c.Batch, batch)
				set(changed("optimizer"), &c.Optimizer, optimizer)
				set(changed("lr"), &c.LR, lr)
				set(changed("tau"), &c.Tau, tau)
				set(changed("k"), &c.K, k)
				set(changed("test-size"), &c.TestSize, testSize)
			}
			runs, err := s.Runs()
			if err != nil {
				return usageError{err}
			}
			if err := runSweep(cmd, &listops.Experiment{}, runs, sf); err != nil || sf.migrate {
				return err
			}
			if err := printFile(cmd, filepath.Join(sf.out, listops.TableFile)); err != nil {
				return err
			}
			return printTrees(cmd, sf.out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&estimators, "estimators", strings.Join(listops.PaperEstimators, ","), "straight-through estimators, comma-separated (see reinmax list)")
	f.StringVar(&hidden, "hidden", "32", "hidden sizes, comma-separated (paper: 300)")
	f.StringVar(&trainSize, "train-size", "10000", "generated training expressions, comma-separated sizes (paper: 90000)")
	f.IntVar(&epochs, "epochs", 3, "epochs per run (paper: 20)")
	f.StringVar(&seeds, "seeds", "0", "seeds, comma-separated or ranges a-b (paper: 0-4)")
	f.BoolVar(&paper, "paper", false, "the paper's protocol: hidden 300, batch 16, RAdam lr 7e-4, dropout 0.5, 20 epochs, seeds 0-4")
	f.IntVar(&batch, "batch", 64, "expressions per training step (paper: 16)")
	f.StringVar(&optimizer, "optimizer", "adam", "adam or radam (paper: radam)")
	f.Float64Var(&lr, "lr", 1e-2, "initial learning rate (paper: 7e-4)")
	f.Float64Var(&tau, "tau", 0, "temperature for every estimator (default: reinmax 1.1, gr-mck and gst-1.0 0.1, others 1)")
	f.IntVar(&k, "k", 0, "Gumbel samples of gr-mck (default 100)")
	f.IntVar(&testSize, "test-size", 0, "use only the first N official test expressions (default: all under 100 tokens)")
	sf.register(cmd, "runs/listops", 1)
	return cmd
}

// printTrees prints the induced trees of one run of the output folder, a ReinMax run when there is one.
func printTrees(cmd *cobra.Command, out string) error {
	trees, _ := filepath.Glob(filepath.Join(out, listops.TreesDir, "*.txt"))
	if len(trees) == 0 {
		return nil
	}
	first := trees[0]
	for _, t := range trees {
		if strings.Contains(filepath.Base(t), "_reinmax_") {
			first = t
			break
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "\nInduced trees (%s; all runs in %s):\n\n", filepath.Base(first), filepath.Join(out, listops.TreesDir))
	return printFile(cmd, first)
}
