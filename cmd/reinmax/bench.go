package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/spf13/cobra"

	"github.com/f60e9205/reinmax"
	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/catvae"
	"github.com/f60e9205/reinmax/experiments/poly"
)

func init() {
	extraCommands = append(extraCommands, newBenchCommand)
}

// benchWorkloads are the workloads of `reinmax bench`, in the order of its help.
var benchWorkloads = []string{"vae", "poly", "bervae"}

func newBenchCommand() *cobra.Command {
	var (
		workload, estimator, cpuprofile string
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
  bervae  Bernoulli VAE 200 latents (not yet available)

The last line is median_ms=<number>, warm-up excluded. Set GOMAXPROCS to fix the number of cores used, and
build with GOEXPERIMENT=simd. bench/compare.py runs this command and PyTorch alternately and prints the ratio.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(benchWorkloads, workload) {
				return usagef("--workload %q: want one of %s", workload, strings.Join(benchWorkloads, ", "))
			}
			if _, err := estimatorList(estimator, reinmax.StraightThroughFamily); err != nil {
				return err
			}
			if steps < 1 || warmup < 0 || batch < 0 {
				return usagef("--steps must be at least 1, --warmup and --batch not negative")
			}
			step, describe, err := newBenchStep(workload, estimator, batch)
			if err != nil {
				return err
			}
			return runBench(cmd.OutOrStdout(), step, describe, steps, warmup, cpuprofile)
		},
	}
	cmd.Flags().StringVar(&workload, "workload", "vae", "workload: "+strings.Join(benchWorkloads, ", "))
	cmd.Flags().StringVar(&estimator, "estimator", "reinmax", "straight-through estimator")
	cmd.Flags().IntVar(&steps, "steps", 50, "timed steps")
	cmd.Flags().IntVar(&warmup, "warmup", 5, "untimed steps first (the first one compiles the graph)")
	cmd.Flags().IntVar(&batch, "batch", 0, "batch size; 0 for the workload's (vae 100, poly 512)")
	cmd.Flags().StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the timed steps to this file")
	return cmd
}

// newBenchStep returns a function that runs one training step of the workload, and a one-line description.
func newBenchStep(workload, estimator string, batch int) (step func() error, describe string, err error) {
	backend, err := experiments.NewBackend()
	if err != nil {
		return nil, "", err
	}
	switch workload {
	case "vae":
		cfg, err := catvae.PaperConfig("10x30", estimator)
		if err != nil {
			return nil, "", err
		}
		if batch > 0 {
			cfg.Batch = batch
		}
		tr, err := catvae.NewTrainer(cfg, backend)
		if err != nil {
			return nil, "", err
		}
		rng := rand.New(rand.NewPCG(1, 2))
		x := make([]float32, cfg.Batch*catvae.Pixels)
		for i := range x {
			x[i] = rng.Float32()
		}
		describe = fmt.Sprintf("workload=vae config=%s estimator=%s tau=%g optimizer=%s batch=%d", cfg.Name(), estimator, cfg.Tau, cfg.Optimizer, cfg.Batch)
		return func() error { _, _, _, err := tr.Step(x); return err }, describe, nil
	case "poly":
		if batch == 0 {
			batch = 512
		}
		return newPolyStep(backend, estimator, batch)
	}
	return nil, "", fmt.Errorf("bench: the %s workload is not yet available (experiments/%s has no training step to time)", workload, workload)
}

// newPolyStep compiles the training step of the polynomial programming experiment as experiments/poly builds it
// (θ of L×2 broadcast to the batch; ST, ReinMax, GST and GR-MCK given a sample drawn by inversion with one uniform
// per variable, STGS and Gumbel-Softmax through Sample; loss mean |z − c|^p; GoMLX's Adam; the running sum of the
// loss kept in float64), with p = 2.
func newPolyStep(backend compute.Backend, estimator string, batch int) (func() error, string, error) {
	cfg := poly.DefaultConfig()
	cfg.Batch = batch
	est, err := reinmax.NewStraightThrough(estimator, reinmax.Params{})
	if err != nil {
		return nil, "", err
	}
	cs, err := poly.Targets(cfg.Target, cfg.L, cfg.C)
	if err != nil {
		return nil, "", err
	}
	targets := make([]float32, batch*cfg.L)
	for i := range targets {
		targets[i] = float32(cs[i%cfg.L])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	init := make([]float32, 2*cfg.L)
	for i := range init {
		init[i] = float32(cfg.Init * (2*rng.Float64() - 1))
	}
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(1); err != nil {
		return nil, "", err
	}
	thetaV, err := store.CreateVariable("/poly/theta", tensors.FromFlatDataAndDimensions(init, cfg.L, 2))
	if err != nil {
		return nil, "", err
	}
	lossSumV, err := store.CreateVariable("/poly/loss_sum", tensors.FromScalar(float64(0)))
	if err != nil {
		return nil, "", err
	}
	lossSumV.SetTrainable(false)
	opt := optimizer.Adam().LearningRate(cfg.LR).Epsilon(1e-8).Done()
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, g *graph.Graph) {
		src := reinmax.ScopeSource(scope)
		logits := graph.BroadcastToDims(graph.InsertAxes(thetaV.NodeValue(g), 0), batch, cfg.L, 2)
		var hard *graph.Node
		if estimator == "stgs" || estimator == "gumbel-softmax" {
			hard, _ = est.Sample(src, logits)
		} else {
			hard, _ = est.Given(src, logits, bernoulliOneHot(src, logits))
		}
		z := graph.Squeeze(graph.SliceAxis(hard, -1, graph.AxisElem(0)), -1)
		c := graph.Const(g, tensors.FromFlatDataAndDimensions(targets, batch, cfg.L))
		loss := graph.ReduceAllMean(graph.Square(graph.Abs(graph.Sub(z, c))))
		opt.UpdateGraph(scope, g, loss)
		lossSumV.SetNodeValue(graph.Add(lossSumV.NodeValue(g), graph.ConvertDType(loss, dtypes.Float64)))
	})
	if err != nil {
		return nil, "", err
	}
	describe := fmt.Sprintf("workload=poly L=%d estimator=%s p=2 optimizer=adam batch=%d", cfg.L, estimator, batch)
	return func() error { _, err := exec.Exec(); return err }, describe, nil
}

// bernoulliOneHot draws one-hot samples of binary variables (logits shaped (..., 2)) by inversion, category 0 when
// u < σ(θ₀ − θ₁), as experiments/poly does.
func bernoulliOneHot(src reinmax.Source, logits *graph.Node) *graph.Node {
	g := logits.Graph()
	diff := graph.StopGradient(graph.Sub(graph.SliceAxis(logits, -1, graph.AxisElem(0)), graph.SliceAxis(logits, -1, graph.AxisElem(1))))
	z := graph.ConvertDType(graph.LessThan(src.Uniform(g, diff.Shape()), graph.Sigmoid(diff)), diff.DType())
	return graph.Concatenate([]*graph.Node{z, graph.OneMinus(z)}, -1)
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
	cpu0, cpuOK := processCPU()
	ms := make([]float64, steps)
	for i := range ms {
		t := time.Now()
		if err := step(); err != nil {
			return err
		}
		ms[i] = float64(time.Since(t).Nanoseconds()) / 1e6
	}
	cpu1, _ := processCPU()
	runtime.ReadMemStats(&after)
	slices.Sort(ms)
	fmt.Fprintf(w, "%s backend=%s GOMAXPROCS=%d %s\n", describe, backendConfig(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Fprintf(w, "warm-up %d steps (compilation included): %.0f ms\n", warmup, float64(warm.Nanoseconds())/1e6)
	fmt.Fprintf(w, "steps=%d p10_ms=%.3f p90_ms=%.3f min_ms=%.3f\n", steps, quantile(ms, 0.1), quantile(ms, 0.9), ms[0])
	if cpuOK {
		fmt.Fprintf(w, "cpu_ms_per_step=%.2f (user+system time of the process over the timed steps, all threads)\n",
			float64((cpu1-cpu0).Nanoseconds())/1e6/float64(steps))
	}
	fmt.Fprintf(w, "alloc_per_step_kb=%.0f allocs_per_step=%.0f\n",
		float64(after.TotalAlloc-before.TotalAlloc)/1024/float64(steps), float64(after.Mallocs-before.Mallocs)/float64(steps))
	mb, what := peakMemoryMB(&after)
	fmt.Fprintf(w, "peak_memory_mb=%.1f (%s)\n", mb, what)
	fmt.Fprintf(w, "median_ms=%.3f\n", quantile(ms, 0.5))
	return nil
}

// quantile returns the q-quantile of sorted xs, interpolating linearly.
func quantile(xs []float64, q float64) float64 {
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (pos-float64(i))*(xs[i+1]-xs[i])
}

// peakMemoryMB returns the process's peak resident memory where the system reports it (Linux: VmHWM), and
// otherwise the memory the Go runtime obtained from the system, with what the number is.
func peakMemoryMB(m *runtime.MemStats) (float64, string) {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				f := strings.Fields(rest)
				if kb, err := strconv.ParseFloat(f[0], 64); err == nil && len(f) == 2 && f[1] == "kB" {
					return kb / 1024, "peak resident set, VmHWM"
				}
			}
		}
	}
	return float64(m.Sys) / (1 << 20), "memory obtained by the Go runtime"
}

// processCPU returns the user+system CPU time of the process where the system reports it (Linux: /proc/self/stat,
// in clock ticks of 10 ms), and false elsewhere.
func processCPU() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces; utime and stime are fields 14 and 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const tick = 10 * time.Millisecond // USER_HZ = 100 on Linux
	return time.Duration(utime+stime) * tick, true
}

// backendConfig describes the backend bench runs on.
func backendConfig() string {
	if cfg, ok := os.LookupEnv(compute.ConfigEnvVar); ok {
		return cfg
	}
	return "go:ops_sequential"
}
