package experiments

import (
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend that NewBackend names
	"github.com/gomlx/gomlx/ml/model"
)

// NewBackend returns the backend the experiments train on: $GOMLX_BACKEND when it is set, otherwise GoMLX's
// pure-Go backend with its operations executed one at a time ("go:ops_sequential"; matrix products still use every
// core).
//
// Workaround(gomlx/compute v0.1.3): the parallel operation scheduler can deadlock, waiting for a free worker while
// none runs (seen on the categorical VAE under load and on every ListOps training graph).
func NewBackend() (compute.Backend, error) {
	if _, ok := os.LookupEnv(compute.ConfigEnvVar); ok {
		return compute.New()
	}
	return compute.NewWithConfig("go:ops_sequential")
}

// newBackendWithParallelism returns the pure-Go backend of NewBackend whose matrix products use at most
// parallelism cores, or NewBackend's when $GOMLX_BACKEND is set.
func newBackendWithParallelism(parallelism int) (compute.Backend, error) {
	if _, ok := os.LookupEnv(compute.ConfigEnvVar); ok {
		return compute.New()
	}
	return quietly(func() (compute.Backend, error) {
		return compute.NewWithConfig(fmt.Sprintf("go:ops_sequential,parallelism=%d", parallelism))
	})
}

var stdoutMu sync.Mutex

// quietly calls f with the process's standard output discarded.
//
// Workaround(gomlx/compute v0.1.3): the pure-Go backend prints "Go backend: parallelism set to N" on standard
// output when its parallelism is configured, which would mix into a command's output.
func quietly[T any](f func() (T, error)) (T, error) {
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return f()
	}
	defer devnull.Close()
	saved := os.Stdout
	os.Stdout = devnull
	defer func() { os.Stdout = saved }()
	return f()
}

// sweepBackends returns a backend for each of workers workers: b for all of them when it is not nil, otherwise
// NewBackend's for one worker and, for several, one backend each whose matrix products share the cores among
// the workers.
func sweepBackends(b compute.Backend, workers int) ([]compute.Backend, error) {
	out := make([]compute.Backend, workers)
	for w := range out {
		var err error
		switch {
		case b != nil:
			out[w] = b
		case workers == 1:
			out[w], err = NewBackend()
		default:
			out[w], err = newBackendWithParallelism(max(runtime.GOMAXPROCS(0)/workers, 1))
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// BackendOr returns b, or NewBackend's backend when b is nil.
func BackendOr(b compute.Backend) (compute.Backend, error) {
	if b != nil {
		return b, nil
	}
	return NewBackend()
}

// NewStore returns an empty variable store whose random number generator is seeded with seed.
func NewStore(seed int64) (*model.Store, error) {
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		return nil, err
	}
	return store, nil
}
