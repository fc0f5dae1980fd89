package experiments

import (
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/f60e9205/reinmax/checkpoint"
)

// Start returns what a run trains with: env's backend (NewBackend's when it has none) and a variable store whose
// random number generator is seeded with seed, restored with state (a pointer) from the run's checkpoint when there
// is one (see checkpoint.Resume).
func Start(env Env, seed int64, state any) (compute.Backend, *model.Store, error) {
	backend, err := BackendOr(env.Backend)
	if err != nil {
		return nil, nil, err
	}
	store, err := NewStore(seed)
	if err != nil {
		return nil, nil, err
	}
	if _, err := checkpoint.Resume(env.Checkpoint, store, state); err != nil {
		return nil, nil, err
	}
	return backend, store, nil
}

// Cache holds values loaded once per key and shared by the runs of a sweep, a data set say. It is safe for
// concurrent use; its zero value is empty.
type Cache[K comparable, V any] struct {
	mu     sync.Mutex
	values map[K]V
}

// Get returns the value of key, calling load(key) the first time; an error is returned and not kept, so that a
// later Get tries again.
func (c *Cache[K, V]) Get(key K, load func(K) (V, error)) (V, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.values[key]; ok {
		return v, nil
	}
	v, err := load(key)
	if err != nil {
		return v, err
	}
	if c.values == nil {
		c.values = map[K]V{}
	}
	c.values[key] = v
	return v, nil
}
