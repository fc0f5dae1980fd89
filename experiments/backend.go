package experiments

import (
	"os"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// NewBackend returns the backend the experiments train on: $GOMLX_BACKEND when it is set, otherwise GoMLX's
// pure-Go backend with its operations executed one at a time ("go:ops_sequential"; matrix products still use every
// core). With gomlx/compute v0.1.2 the parallel operation scheduler can deadlock, waiting for a free worker while
// none runs; it was seen on the categorical VAE under load and on every ListOps training graph. Sequential
// execution was also measured faster on this project's 2-core machine.
func NewBackend() (compute.Backend, error) {
	if _, ok := os.LookupEnv(compute.ConfigEnvVar); ok {
		return compute.New()
	}
	return compute.NewWithConfig("go:ops_sequential")
}

// BackendOr returns b, or NewBackend's backend when b is nil: the rule of every Options.Backend field.
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
