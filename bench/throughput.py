#!/usr/bin/python3
"""Sweep throughput: one run at a time against two at a time, on short sweeps of catvae, bervae and listops.

For each experiment it runs the same short sweep with `reinmax <experiment> --workers 1` and `--workers 2` into
fresh folders (the order alternates between rounds), reports the wall time and runs per hour of each, their ratio,
and checks that both give the same numbers (every field of every record but wall times and identities).

  /usr/bin/python3 bench/throughput.py [--rounds 1] [--experiments catvae,bervae,listops]

Only the Python standard library is used.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SWEEPS = {
    "catvae": ["--config", "10x30", "--estimators", "st,reinmax", "--seeds", "0-1", "--epochs", "1", "--train-size", "10000"],
    "bervae": ["--estimators", "reinmax,rloo", "--seeds", "0-1", "--steps", "500", "--eval-every", "250",
               "--iw-images", "200", "--iw-samples", "20"],
    "listops": ["--estimators", "st,reinmax", "--seeds", "0-1", "--epochs", "1", "--train-size", "2000", "--test-size", "1000"],
}
RUNS = 4  # runs in each sweep above
WALL = ("seconds", "step_seconds")


def records(folder):
    """The records of folder's results.jsonl without wall times and identities, keyed by their settings and step."""
    out = {}
    with open(os.path.join(folder, "results.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            key = json.dumps(r.pop("settings"), sort_keys=True) + str(r.get("epoch", r.get("step")))
            r.pop("run")
            for k in WALL:
                r.pop(k, None)
            out[key] = r
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--experiments", default="catvae,bervae,listops")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="reinmax-throughput-")
    binary = os.path.join(tmp, "reinmax")
    subprocess.run(["go", "build", "-o", binary, "./cmd/reinmax"], cwd=ROOT, check=True,
                   env=dict(os.environ, GOEXPERIMENT="simd"))
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    for exp in args.experiments.split(","):
        times = {1: [], 2: []}
        for rnd in range(args.rounds):
            for workers in ((1, 2) if rnd % 2 == 0 else (2, 1)):
                out = os.path.join(tmp, f"{exp}-w{workers}-r{rnd}")
                t0 = time.monotonic()
                subprocess.run([binary, exp, *SWEEPS[exp], "--workers", str(workers), "--out", out], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[workers].append(time.monotonic() - t0)
                print(f"{exp} workers={workers} round {rnd}: {times[workers][-1]:.1f} s", flush=True)
        same = records(os.path.join(tmp, f"{exp}-w1-r0")) == records(os.path.join(tmp, f"{exp}-w2-r0"))
        t1, t2 = min(times[1]), min(times[2])
        print(f"{exp}: one at a time {t1:.1f} s ({3600 * RUNS / t1:.0f} runs/h), two at a time {t2:.1f} s "
              f"({3600 * RUNS / t2:.0f} runs/h): {t1 / t2:.2f}x; same numbers: {same}", flush=True)
        if not same:
            sys.exit(1)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
