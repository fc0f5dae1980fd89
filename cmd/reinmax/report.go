package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax/report"
	"github.com/f60e9205/reinmax/results"
)

func init() {
	extraCommands = append(extraCommands, newReportCommand)
}

func newReportCommand() *cobra.Command {
	var (
		out, data string
		quick     bool
	)
	cmd := &cobra.Command{
		Use:   "report DIR... --out FILE.html | report --quick [--out DIR]",
		Short: "One web page of results: the paper's tables beside ours, verdicts and curves; --quick runs a miniature first",
		Long: `report reads the results folders DIR... of any experiments (poly, catvae, bervae, listops, moe, vq,
and the gradient lab's) and writes one self-contained HTML page (styles and figures inline, it opens offline): a
summary line per folder, then per folder what was run (the settings every run shares, those that differ, the
seeds), the tables with the paper's numbers beside ours, ReinMax's paired verdicts against each estimator on the
same seeds, and the curves; at the bottom the provenance (build, machine, data-set checksums, when). A folder that
cannot be shown (no results file, an unknown experiment, a newer format) is a marked section and a warning; the
page is written atomically.

--quick runs a miniature of the experiments into DIR (default runs/quick), each a comparison the paper makes at
the paper's settings on a small budget, through the same runner as their commands (run it again to resume), then
writes DIR/report.html:
` + quickSummary() + `ListOps is left out: its smallest run that learns takes 8-9 minutes per estimator. The miniatures take
about 5 minutes of CPU time; measured on 2 cores shared with other jobs (load about 10), 13.5 minutes.

The page of the committed results: reinmax report docs/poly/const docs/poly/successors docs/gradlab docs/gradlab/vae8x4/epochs10 docs/catvae docs/catvae/successors docs/bervae docs/listops docs/moe docs/vq --out docs/report.html`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if quick {
				if len(args) > 0 {
					return usagef("--quick runs its own miniature: give no result folders (got %q)", args)
				}
				if out == "" {
					out = "runs/quick"
				}
				if err := checkOut(out); err != nil {
					return err
				}
				return runQuick(cmd, out, data)
			}
			if len(args) == 0 {
				return usagef("report needs at least one results folder, or --quick")
			}
			if cmd.Flags().Changed("data") {
				return usagef("--data is for --quick, which reads data; a report reads results only")
			}
			if out == "" {
				out = "report.html"
			}
			var inputs []report.Input
			for _, a := range args {
				inputs = append(inputs, report.Input{Dir: a})
			}
			return writeReport(cmd, inputs, report.Options{}, out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "the page (default report.html); with --quick the output folder (default runs/quick)")
	f.BoolVar(&quick, "quick", false, "run the miniature of the experiments into --out, then write --out/report.html")
	f.StringVar(&data, "data", "", "with --quick: data root (default: $REINMAX_DATA_DIR, else the user cache folder)")
	return cmd
}

// writeReport builds the page of inputs and writes it to path atomically. A folder that cannot be shown is a
// warning on standard error; when no folder can be shown, nothing is written.
func writeReport(cmd *cobra.Command, inputs []report.Input, opt report.Options, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usagef("--out %s: is a folder; give the page's file name, e.g. %s", path, filepath.Join(path, "report.html"))
	}
	page, err := report.Build(inputs, opt)
	if err != nil {
		return usageError{err}
	}
	problems := page.Problems()
	for _, p := range problems {
		fmt.Fprintf(cmd.ErrOrStderr(), "reinmax: report: warning: %s\n", p)
	}
	if len(problems) == len(page.Sections) {
		return fmt.Errorf("report: none of the %d folders holds results to show; no page written", len(inputs))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := page.Write(path); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "report of %s written to %s\n", results.Count(len(page.Sections), "folder"), path)
	return nil
}
