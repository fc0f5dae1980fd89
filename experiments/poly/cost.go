package poly

import (
	"cmp"

	"github.com/f60e9205/reinmax/internal/procstat"
	"github.com/f60e9205/reinmax/progress"

	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/gomlx/compute"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
)

// CostConfig fixes the cost measurement of the authors' slides ("Table 4"): for each estimator, the time of 200
// training steps and the peak memory with L = 128 binary variables and 512 samples per step, GR-MCK at several K.
type CostConfig struct {
	// Estimators are straight-through-family registry names; "gr-mck" is measured once for every K of GRMCKK.
	Estimators []string
	// GRMCKK holds the numbers of Gumbel samples GR-MCK is measured with; the slides use 100, 300 and 1000.
	GRMCKK []int
	// Params holds per-estimator parameters, as in Config (K is ignored for gr-mck: GRMCKK sets it).
	Params map[string]reinmax.Params
	// L and Batch give the size of the problem: 128 and 512.
	L, Batch int
	// P is the exponent of the loss (the cost does not depend on it): 2.
	P float64
	// Steps is the number of steps the time is reported for: 200.
	Steps int
	// MaxTime bounds the time spent measuring one estimator: when Steps steps would take longer, fewer are timed
	// (at least MinSteps) and the time is scaled to Steps. Zero means no bound.
	MaxTime time.Duration
	// MinSteps is the least number of steps timed, at least 1.
	MinSteps int
	// Backend runs the graphs; nil selects experiments.NewBackend().
	Backend compute.Backend
}

// DefaultCostConfig returns the slides' setting: every straight-through estimator at its default τ, GR-MCK with
// K = 100, 300 and 1000, L = 128, batch 512, time per 200 steps, at most 2 minutes (and at least 5 steps) per
// estimator.
func DefaultCostConfig() CostConfig {
	return CostConfig{
		Estimators: reinmax.Names(reinmax.StraightThroughFamily),
		GRMCKK:     []int{100, 300, 1000},
		L:          128,
		Batch:      512,
		P:          2,
		Steps:      200,
		MaxTime:    2 * time.Minute,
		MinSteps:   5,
	}
}

// Validate returns an error naming the first field that is out of range.
func (c CostConfig) Validate() error {
	if len(c.Estimators) == 0 {
		return fmt.Errorf("poly: cost: no estimators")
	}
	_, err := Sweep{Estimators: c.Estimators, Params: c.Params, P: []float64{c.P}, Seeds: []int64{0},
		Modify: func(r *Config) { r.L, r.Batch, r.Steps = c.L, c.Batch, c.Steps }}.Runs()
	if err != nil {
		return err
	}
	for _, k := range c.GRMCKK {
		if k < 1 {
			return fmt.Errorf("poly: gr-mck K = %d, want K >= 1", k)
		}
	}
	if c.MinSteps < 1 {
		return fmt.Errorf("poly: min steps = %d, want at least 1", c.MinSteps)
	}
	if c.MaxTime < 0 {
		return fmt.Errorf("poly: max time %v, want >= 0", c.MaxTime)
	}
	return nil
}

// Cost is the measured cost of one estimator.
type Cost struct {
	Estimator string
	Tau       float64
	K         int // GR-MCK's K; 0 for the other estimators
	// StepsTimed is the number of steps that were timed (the first step, which compiles the graph, is not).
	StepsTimed int
	// StepTime is the mean time of one step; PerSteps is StepTime times CostConfig.Steps.
	StepTime, PerSteps time.Duration
	// PeakRSS is the peak resident memory of the process while the estimator ran (Linux's VmHWM, reset before
	// the run), in bytes; 0 when the system does not report it. BaseRSS is the resident memory just before.
	PeakRSS, BaseRSS uint64
	// PeakHeap is the peak of the Go heap (live and not yet collected objects, the tensors of the pure-Go backend
	// among them) sampled every millisecond during the run, in bytes.
	PeakHeap uint64
}

// MeasureCost measures every estimator of cfg one after the other, in this process; progress goes to rep after
// each estimator. Nothing else should run in the process meanwhile, or the memory peaks include it.
func MeasureCost(cfg CostConfig, rep progress.Reporter) ([]Cost, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	backend, err := experiments.BackendOr(cfg.Backend)
	if err != nil {
		return nil, fmt.Errorf("poly: %w", err)
	}
	type item struct {
		name   string
		params reinmax.Params
	}
	var items []item
	for _, name := range cfg.Estimators {
		p := cfg.Params[name]
		if name == "gr-mck" {
			for _, k := range cfg.GRMCKK {
				p.K = k
				items = append(items, item{name, p})
			}
			continue
		}
		items = append(items, item{name, p})
	}
	cs, err := Targets(Const, cfg.L, 0.45)
	if err != nil {
		return nil, err
	}
	obj, err := NewObjective(cfg.P, cs)
	if err != nil {
		return nil, err
	}
	var out []Cost
	for i, it := range items {
		est, err := reinmax.New(it.name, it.params)
		if err != nil {
			return nil, fmt.Errorf("poly: %w", err)
		}
		c, err := measureOne(backend, cfg, est, obj)
		if err != nil {
			return nil, fmt.Errorf("poly: cost of %s: %w", it.name, err)
		}
		c.Estimator = it.name
		spec, _ := reinmax.Lookup(it.name)
		c.Tau = cmp.Or(it.params.Tau, spec.Tau)
		if it.name == "gr-mck" {
			c.K = cmp.Or(it.params.K, spec.K)
		}
		out = append(out, c)
		label := it.name
		if c.K > 0 {
			label = fmt.Sprintf("%s K=%d", it.name, c.K)
		}
		rep.Report(progress.Update{Run: label, Done: i + 1, Total: len(items), Metrics: map[string]float64{
			"ms/step": float64(c.StepTime) / 1e6, "peak RSS MB": float64(c.PeakRSS) / 1e6}})
	}
	return out, nil
}

// measureOne trains one run of cfg.Batch samples and measures its time and memory.
func measureOne(backend compute.Backend, cfg CostConfig, est reinmax.Estimator, obj Objective) (Cost, error) {
	settle()
	procstat.ResetPeak()
	base, _ := procstat.Memory("VmRSS")
	sampler := startHeapSampler(time.Millisecond)

	tc := DefaultConfig()
	tc.L, tc.Batch = cfg.L, cfg.Batch
	tr, err := newTrainer(backend, tc, est, obj, 0)
	if err != nil {
		sampler.stop()
		return Cost{}, err
	}
	defer tr.close()
	if err := tr.step(); err != nil { // compiles the graph
		sampler.stop()
		return Cost{}, err
	}
	start := time.Now()
	n := 0
	for n < cfg.Steps {
		if err := tr.step(); err != nil {
			sampler.stop()
			return Cost{}, err
		}
		n++
		if cfg.MaxTime > 0 && n >= cfg.MinSteps && time.Since(start)*time.Duration(cfg.Steps)/time.Duration(n) > cfg.MaxTime {
			break
		}
	}
	elapsed := time.Since(start)
	if _, err := tr.theta(); err != nil { // wait for the last step's results
		sampler.stop()
		return Cost{}, err
	}
	peakHeap := sampler.stop()
	peak, _ := procstat.Memory("VmHWM")
	step := elapsed / time.Duration(n)
	return Cost{StepsTimed: n, StepTime: step, PerSteps: step * time.Duration(cfg.Steps), PeakRSS: peak, BaseRSS: base,
		PeakHeap: peakHeap}, nil
}

// settle returns the memory of earlier runs to the system, so that the next run's peak is its own. The pure-Go
// backend keeps freed buffers in sync.Pools, which survive one collection; hence two.
func settle() {
	runtime.GC()
	debug.FreeOSMemory()
	debug.FreeOSMemory()
}

// heapSampler records the peak of the Go heap's object bytes.
type heapSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func startHeapSampler(every time.Duration) *heapSampler {
	s := &heapSampler{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sample := []metrics.Sample{{Name: heapMetric}}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				s.peak = max(s.peak, sample[0].Value.Uint64())
			}
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the peak.
func (s *heapSampler) stop() uint64 {
	close(s.done)
	s.wg.Wait()
	return s.peak
}
