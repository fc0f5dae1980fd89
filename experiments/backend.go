package experiments

import (
	"os"

	"github.com/gomlx/compute"
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
