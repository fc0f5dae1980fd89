// Package checkpoint saves and restores the complete state of a training run (every variable of a GoMLX model.Store,
// optimiser moments and random number generator state included, plus the caller's own state) in one file written
// atomically, so that an interrupted run resumes exactly where it stopped.
package checkpoint // import "github.com/f60e9205/reinmax/checkpoint"
