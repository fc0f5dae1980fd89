// Package results stores the results of experiments on disk: atomic file writes, append-only JSON-lines logs of
// records keyed by run, CSV tables, skipping finished runs on resume, and merging the result folders of a sharded
// sweep.
package results // import "github.com/f60e9205/reinmax/results"
