#!/usr/bin/python3
"""Side-by-side speed comparison of reinmax (GoMLX) and PyTorch on the same CPU, in one run.

For every round, workload and estimator, it runs `reinmax bench` and bench/torch_bench.py one after the other (the
order alternates between rounds, so that both sides see the same machine load), reads the median step time each
prints on its last line (median_ms=...), and at the end prints, per workload and estimator, the median over rounds
of each side's median, the ratio ours/PyTorch, and ReinMax's step time over ST's on each side.

Conditions (the issue's method): Go with GOEXPERIMENT=simd and GOMAXPROCS=2; PyTorch with 2 threads
(torch.set_num_threads) and OPENBLAS_NUM_THREADS=1; float32 on both sides.

  /usr/bin/python3 bench/compare.py                       # builds cmd/reinmax, 5 rounds of 50 steps
  /usr/bin/python3 bench/compare.py --rounds 9 --workloads vae
  /usr/bin/python3 bench/compare.py --also old=/tmp/reinmax-before   # a second Go binary, timed in the same rounds

The poly workload's variables are binary: PyTorch runs it in both formulations, two-category logits and a softmax
("pytorch") and one logit per variable and a sigmoid ("pytorch-sigmoid", what a PyTorch user writes for binary
variables; see torch_bench.py --form). --torch-forms softmax2 keeps the first only.

Only the Python standard library is used; PyTorch is needed by torch_bench.py alone.
"""

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TORCH_PYTHON = "/usr/bin/python3"  # Debian's python3-torch lives there, not in a pyenv python


def build_go(dest):
    """Builds cmd/reinmax with GOEXPERIMENT=simd into dest and returns its path."""
    env = dict(os.environ, GOEXPERIMENT="simd")
    subprocess.run(["go", "build", "-o", dest, "./cmd/reinmax"], cwd=ROOT, env=env, check=True)
    return dest


def run_side(cmd, env, timeout):
    """Runs one benchmark process and returns (median_ms, cpu_ms_per_step or None, its output), or None after a
    warning when it fails or runs longer than timeout seconds (GoMLX's pure-Go backend can deadlock when it runs
    operations in parallel; see catvae.NewBackend)."""
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"warning: {' '.join(cmd)} did not finish in {timeout} s; killed, round skipped for this side",
              flush=True)
        return None
    lines = p.stdout.strip().splitlines()
    m = re.fullmatch(r"median_ms=([0-9.eE+-]+)", lines[-1].strip()) if lines else None
    if p.returncode != 0 or not m:
        print(f"warning: {' '.join(cmd)} failed (status {p.returncode}); round skipped for this side:\n"
              f"{p.stdout[-2000:]}{p.stderr[-2000:]}", flush=True)
        return None
    cpu = re.search(r"^cpu_ms_per_step=([0-9.eE+-]+)", p.stdout, re.M)
    return float(m.group(1)), float(cpu.group(1)) if cpu else None, p.stdout + p.stderr


def load():
    """Returns the 1, 5 and 15 minute load averages, which say how much else the machine was running."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def machine():
    """Returns a one-line description of the CPU, Go and PyTorch versions."""
    model = platform.processor() or "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    go = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    torch = subprocess.run([TORCH_PYTHON, "-c", "import torch; print(torch.__version__)"],
                           capture_output=True, text=True).stdout.strip()
    return f"CPU {model}, {os.cpu_count()} cores; {go}; PyTorch {torch}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=50, help="timed steps per process")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--workloads", default="vae,poly")
    ap.add_argument("--estimators", default="st,reinmax")
    ap.add_argument("--go-binary", default="", help="a built reinmax binary (default: build cmd/reinmax)")
    ap.add_argument("--also", action="append", default=[], metavar="NAME=BINARY",
                    help="another reinmax binary to time in the same rounds (e.g. before a change)")
    ap.add_argument("--torch-threads", default="2",
                    help="comma-separated torch.set_num_threads values, one PyTorch side each (the issue's method: 2)")
    ap.add_argument("--torch-forms", default="softmax2,sigmoid",
                    help="formulations of poly's binary variables on the PyTorch side, one side each (softmax2, sigmoid)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds after which a benchmark process is killed")
    ap.add_argument("--verbose", action="store_true", help="print every process's output")
    args = ap.parse_args()
    workloads = [w for w in args.workloads.split(",") if w]
    estimators = [e for e in args.estimators.split(",") if e]

    tmp = tempfile.mkdtemp(prefix="reinmax-bench-")
    try:
        binary = args.go_binary or build_go(os.path.join(tmp, "reinmax"))
        go_env = dict(os.environ, GOMAXPROCS="2", GOEXPERIMENT="simd")
        torch_env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        sides = [("ours", binary)] + [tuple(a.split("=", 1)) for a in args.also]
        steps = ["--steps", str(args.steps), "--warmup", str(args.warmup)]
        threads = [t for t in args.torch_threads.split(",") if t]
        forms = [f for f in args.torch_forms.split(",") if f]
        if not forms or any(f not in ("softmax2", "sigmoid") for f in forms):
            ap.error(f"--torch-forms {args.torch_forms}: want softmax2 and/or sigmoid")
        torch_sides = []  # (name, threads, form)
        for t in threads:
            base = "pytorch" if t == "2" and len(threads) == 1 else f"pytorch-t{t}"
            for f in forms:
                torch_sides.append((base if f == "softmax2" else base + "-sigmoid", t, f))
        torch_names = [ts[0] for ts in torch_sides]
        names = [s[0] for s in sides] + torch_names
        medians = {(n, w, e): [] for n in names for w in workloads for e in estimators}
        cpus = {(n, w, e): [] for n in names for w in workloads for e in estimators}

        print(machine())
        print(f"load average at start: {load()}")
        print(f"GOMAXPROCS=2 GOEXPERIMENT=simd | torch threads {','.join(threads)}, OPENBLAS_NUM_THREADS=1, "
              f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')} | "
              f"{args.rounds} rounds x {args.steps} steps, warm-up {args.warmup}", flush=True)
        for r in range(args.rounds):
            for w in workloads:
                for e in estimators:
                    runs = [(n, [b, "bench", "--workload", w, "--estimator", e] + steps, go_env) for n, b in sides]
                    for tn, t, f in torch_sides:
                        if f != "softmax2" and w != "poly":
                            continue  # only poly's variables are binary
                        runs.append((tn, [TORCH_PYTHON, os.path.join(HERE, "torch_bench.py"), "--workload", w,
                                          "--estimator", e, "--threads", t, "--form", f] + steps, torch_env))
                    if r % 2 == 1:
                        runs.reverse()
                    line = []
                    for n, cmd, env in runs:
                        res = run_side(cmd, env, args.timeout)
                        if res is None:
                            line.append(f"{n} failed")
                            continue
                        ms, cpu, out = res
                        medians[(n, w, e)].append(ms)
                        if cpu is not None:
                            cpus[(n, w, e)].append(cpu)
                        line.append(f"{n} {ms:.2f}")
                        if args.verbose:
                            print(out)
                    print(f"round {r + 1} {w} {e}: " + ", ".join(line) + " ms", flush=True)

        def med(n, w, e):
            xs = medians[(n, w, e)]
            return statistics.median(xs) if xs else float("nan")

        print(f"load average at end: {load()}")
        print()
        ref = torch_names[0]
        go_names = [s[0] for s in sides]
        head = "| workload | estimator | " + " | ".join(f"{n} ms" for n in names) + " | " + \
               " | ".join(f"{n}/{ref}" for n in go_names) + " |"
        print(head)
        print("|" + "---|" * (head.count("|") - 1))
        for w in workloads:
            for e in estimators:
                ms = [med(n, w, e) for n in names]
                ratios = [med(n, w, e) / med(ref, w, e) for n in go_names]
                print(f"| {w} | {e} | " + " | ".join("–" if m != m else f"{m:.2f}" for m in ms) + " | " +
                      " | ".join(f"{x:.2f}" for x in ratios) + " |")
        print()
        print("CPU time per step (user+system, all threads; median over rounds): " + ", ".join(
            f"{n} {w} {e} {statistics.median(cpus[(n, w, e)]):.2f} ms"
            for w in workloads for e in estimators for n in names if cpus[(n, w, e)]))
        if "st" in estimators and "reinmax" in estimators:
            print()
            for w in workloads:
                print(f"{w}: reinmax/st " + ", ".join(
                    f"{n} {med(n, w, 'reinmax') / med(n, w, 'st'):.3f}" for n in names if medians[(n, w, 'st')]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
