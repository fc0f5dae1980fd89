package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax/experiments"
)

// newProgress returns a reporter printing a progress line to stderr at most every few seconds, and a function
// that ends the display.
func newProgress(cmd *cobra.Command) (experiments.Reporter, func()) {
	var last time.Time
	start := time.Now()
	return func(p experiments.Progress) {
		if time.Since(last) < 5*time.Second && p.Done != p.Total {
			return
		}
		last = time.Now()
		fmt.Fprintf(cmd.ErrOrStderr(), "%s  %d/%d  %s  %v\n", time.Since(start).Round(time.Second), p.Done, p.Total, p.Run, p.Metrics)
	}, func() {}
}
