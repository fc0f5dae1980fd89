package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax/internal/stats"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/bervae"
	"github.com/f60e9205/reinmax/experiments/catvae"
	"github.com/f60e9205/reinmax/experiments/poly"
	"github.com/f60e9205/reinmax/internal/procstat"
)

func init() {
	extraCommands = append(extraCommands, newBenchCommand)
}

// benchWorkloads are the workloads of `reinmax bench`, each beside the experiment it times.
var benchWorkloads = map[string]func(backend compute.Backend, w experiments.WorkloadSpec) (experiments.Workload, error){
	"vae":    catvae.BenchWorkload,
	"poly":   poly.BenchWorkload,
	"bervae": bervae.BenchWorkload,
}

func newBenchCommand() *cobra.Command {
	var (
		workload, estimator, cpuprofile string
		binary                          bool
		steps, warmup, batch            int
	)
	cmd := &cobra.Command{
		Use:   "bench [--workload vae|poly|bervae] [--estimator NAME] [--steps N]",
		Short: "Time one training step of a workload: median ms per step and peak memory",
		Long: `bench compiles one training step (sampling, estimator, loss, gradient and optimiser update, all in one
graph execution), runs --warmup steps untimed, then times --steps steps one by one.

Workloads (float32, the same as bench/torch_bench.py runs in PyTorch):
  vae     categorical VAE 10x30 (784-512-256-300 encoder, 300-256-512-784 decoder), batch 100, with the
          paper's optimiser (RAdam) and temperature for the estimator; pixels are fixed uniform draws
  poly    polynomial programming: theta of 128x2, 512 samples per step, loss mean (z - 0.45)^2, Adam lr 1e-3
  bervae  Bernoulli VAE with 200 binary latents, K = 2 evaluations, batch 100 of fixed random binary images,
          the paper's optimiser for the estimator (any estimator of the registry)

The last line is median_ms=<number>, warm-up excluded. Set GOMAXPROCS to fix the number of cores used, and
build with GOEXPERIMENT=simd. bench/compare.py runs this command and PyTorch alternately and prints the ratio.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			newWorkload, ok := benchWorkloads[workload]
			if !ok {
				return usagef("--workload %q: want one of %s", workload, strings.Join(slices.Sorted(maps.Keys(benchWorkloads)), ", "))
			}
			families := []reinmax.Family{reinmax.StraightThroughFamily}
			if workload == "bervae" {
				families = nil
			}
			if _, err := estimatorList(estimator, families...); err != nil {
				return err
			}
			if steps < 1 || warmup < 0 || batch < 0 {
				return usagef("--steps must be at least 1, --warmup and --batch not negative")
			}
			backend, err := experiments.NewBackend()
			if err != nil {
				return err
			}
			w, err := newWorkload(backend, experiments.WorkloadSpec{Estimator: estimator, Batch: batch, Binary: binary})
			if err != nil {
				return usageError{err}
			}
			defer w.Close()
			return runBench(cmd.OutOrStdout(), w.Step, w.Describe, steps, warmup, cpuprofile)
		},
	}
	cmd.Flags().StringVar(&workload, "workload", "vae", "workload: bervae, poly or vae")
	cmd.Flags().StringVar(&estimator, "estimator", "reinmax", "straight-through estimator")
	cmd.Flags().IntVar(&steps, "steps", 50, "timed steps")
	cmd.Flags().IntVar(&warmup, "warmup", 5, "untimed steps first (the first one compiles the graph)")
	cmd.Flags().IntVar(&batch, "batch", 0, "batch size; 0 for the workload's (vae 100, poly 512)")
	cmd.Flags().BoolVar(&binary, "binary", false, "poly and bervae: the estimator's Bernoulli form (one logit per binary variable) instead of its two-category form")
	cmd.Flags().StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the timed steps to this file")
	return cmd
}

// runBench runs warmup untimed steps and steps timed ones, and prints the summary.
func runBench(w io.Writer, step func() error, describe string, steps, warmup int, cpuprofile string) error {
	start := time.Now()
	for i := 0; i < warmup; i++ {
		if err := step(); err != nil {
			return err
		}
	}
	warm := time.Since(start)
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0, cpuErr := procstat.CPU()
	ms := make([]float64, steps)
	for i := range ms {
		t := time.Now()
		if err := step(); err != nil {
			return err
		}
		ms[i] = float64(time.Since(t).Nanoseconds()) / 1e6
	}
	cpu1, _ := procstat.CPU()
	runtime.ReadMemStats(&after)
	slices.Sort(ms)
	fmt.Fprintf(w, "%s backend=%s GOMAXPROCS=%d %s\n", describe, backendConfig(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Fprintf(w, "warm-up %d steps (compilation included): %.0f ms\n", warmup, float64(warm.Nanoseconds())/1e6)
	fmt.Fprintf(w, "steps=%d p10_ms=%.3f p90_ms=%.3f min_ms=%.3f\n", steps, stats.Quantile(ms, 0.1),
		stats.Quantile(ms, 0.9), ms[0])
	if cpuErr == nil {
		fmt.Fprintf(w, "cpu_ms_per_step=%.2f (user+system time of the process over the timed steps, all threads)\n",
			float64((cpu1-cpu0).Nanoseconds())/1e6/float64(steps))
	}
	fmt.Fprintf(w, "alloc_per_step_kb=%.0f allocs_per_step=%.0f\n",
		float64(after.TotalAlloc-before.TotalAlloc)/1024/float64(steps), float64(after.Mallocs-before.Mallocs)/float64(steps))
	if peak, err := procstat.Memory("VmHWM"); err == nil {
		fmt.Fprintf(w, "peak_memory_mb=%.1f (peak resident set, VmHWM)\n", float64(peak)/(1<<20))
	} else {
		fmt.Fprintf(w, "peak_memory_mb=%.1f (memory obtained by the Go runtime)\n", float64(after.Sys)/(1<<20))
	}
	fmt.Fprintf(w, "median_ms=%.3f\n", stats.Quantile(ms, 0.5))
	return nil
}

// backendConfig describes the backend bench runs on.
func backendConfig() string {
	if cfg, ok := os.LookupEnv(compute.ConfigEnvVar); ok {
		return cfg
	}
	return "go:ops_sequential"
}
