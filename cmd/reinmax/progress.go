package main

import (
	"github.com/f60e9205/reinmax/progress"

	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// plainInterval is the least time between two plain progress lines.
const plainInterval = 10 * time.Second

// newProgress returns a reporter that shows an experiment's progress on the command's standard error, and a
// function that ends the display. On a terminal it draws a progress bar (github.com/schollz/progressbar) with the
// latest run and metrics at the end of the line; otherwise (a log file, CI) it prints plain lines, at most one
// every plainInterval and the last one.
func newProgress(cmd *cobra.Command) (progress.Reporter, func()) {
	d := newProgressDisplay(cmd.ErrOrStderr())
	return d.report, d.finish
}

// progressDisplay is the state behind newProgress.
type progressDisplay struct {
	w     io.Writer
	tty   bool
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	last  time.Time
	start time.Time
}

func newProgressDisplay(w io.Writer) *progressDisplay {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progressDisplay{w: w, tty: tty, start: time.Now()}
}

func (d *progressDisplay) report(p progress.Update) {
	d.mu.Lock()
	defer d.mu.Unlock()
	desc := p.Run
	if m := metricsText(p.Metrics); m != "" {
		desc += " " + m
	}
	if d.tty {
		if d.bar == nil {
			d.bar = progressbar.NewOptions64(int64(p.Total),
				progressbar.OptionSetWriter(d.w),
				progressbar.OptionSetWidth(30),
				progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionShowDescriptionAtLineEnd(),
				progressbar.OptionSetRenderBlankState(true))
		}
		d.bar.Describe(desc)
		_ = d.bar.Set64(int64(p.Done))
		return
	}
	now := time.Now()
	if p.Done < p.Total && now.Sub(d.last) < plainInterval {
		return
	}
	d.last = now
	pct := 0.0
	if p.Total > 0 {
		pct = 100 * float64(p.Done) / float64(p.Total)
	}
	fmt.Fprintf(d.w, "%s %d/%d (%.1f%%) %s\n", formatElapsed(now.Sub(d.start)), p.Done, p.Total, pct, desc)
}

// finish ends the bar's line on a terminal.
func (d *progressDisplay) finish() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.bar != nil {
		_ = d.bar.Finish()
		fmt.Fprintln(d.w)
		d.bar = nil
	}
}

// metricsText formats metrics as "name=value" pairs in name order.
func metricsText(m map[string]float64) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + "=" + strconv.FormatFloat(m[k], 'g', 4, 64)
	}
	return strings.Join(parts, " ")
}

// formatElapsed prints a duration as [h:]mm:ss.
func formatElapsed(d time.Duration) string {
	s := int(d.Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}
