#!/usr/bin/python3
"""PyTorch side of the speed comparison: one training step of the same workloads as `reinmax bench`.

Written for this project from the maths (reference section 1.2 for ReinMax's backward, section 2 for ST); it
runs with Debian's python3-torch (1.13) on the CPU, float32:

  vae   categorical VAE 10x30: encoder 784-512-256-300, decoder 300-256-512-784 (ReLU, torch.nn.Linear's
        default init), batch 100 of fixed uniform pixels, loss = sum BCE(logits) / B + KL(q || uniform) with
        q log(q + 1e-10), RAdam with the paper's learning rate and temperature for the estimator.
  poly  polynomial programming: theta of 128x2 (U(-0.01, 0.01)), 512 samples per step, z = 1 where category 0
        is drawn, loss = mean (z - 0.45)^2, Adam lr 1e-3.

Estimators: "st" is what users write (D - P.detach() + P, P = softmax(theta / tau), D ~ Cat(softmax(theta)));
"reinmax" is a torch.autograd.Function whose backward is the closed form
    grad = 2 J(pi1) g_D + J(pi0) (g_p - g_D / 2),  pi1 = (softmax(theta / tau) + D) / 2,  J(p)v = p*v - p<p, v>,
centred over the categories as the original package does.

Binary variables (poly's latents) have two formulations, chosen with --form:
  softmax2  the two-category form above: logits (128, 2), D ~ Cat(softmax(theta)), z = D[..., 0];
  sigmoid   what a PyTorch user writes for binary variables: one logit a per variable (128; a = theta_0 - theta_1 of
            the same initial draw), b = torch.bernoulli(sigmoid(a)), and
              st       b - p.detach() + p,  p = sigmoid(a / tau);
              reinmax  a torch.autograd.Function with the scalar closed form of the two-category ReinMax at logits
                       (a, 0): grad = (2 q (1 - q) - s(a) / 2) g_b + s(a) g_p,  q = (sigmoid(a / tau) + b) / 2,
                       s(a) = sigmoid(a) (1 - sigmoid(a)).

The last line printed is median_ms=<number> (warm-up excluded). Run it with 2 threads and single-threaded
BLAS, as bench/compare.py does: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_bench.py --workload vae
"""

import argparse
import math
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402  (after the environment is set)
import torch.nn.functional as F  # noqa: E402

# The paper's 10x30 settings (reference section 3.2): learning rate and temperature per estimator, RAdam.
VAE_SETTINGS = {"st": (7e-4, 1.4), "reinmax": (5e-4, 1.3)}


def sample_one_hot(probs):
    """Returns one-hot samples D ~ Cat(probs) over the last axis, as the reference code draws them."""
    c = probs.shape[-1]
    flat = probs.reshape(-1, c)
    index = torch.multinomial(flat, 1, replacement=True)
    return torch.zeros_like(flat).scatter_(-1, index, 1.0).view_as(probs)


def jvp(p, v):
    """J(p) v = p * v - p <p, v> over the last axis (the softmax Jacobian at p times v)."""
    pv = p * v
    return pv - p * pv.sum(dim=-1, keepdim=True)


class ReinMax(torch.autograd.Function):
    """forward: (D, pi0) with D ~ Cat(pi0), pi0 = softmax(theta); backward: ReinMax's closed form."""

    @staticmethod
    def forward(ctx, logits, tau):
        pi0 = logits.softmax(dim=-1)
        d = sample_one_hot(pi0)
        ctx.tau = tau
        ctx.save_for_backward(logits, pi0, d)
        return d, pi0

    @staticmethod
    def backward(ctx, g_d, g_p):
        logits, pi0, d = ctx.saved_tensors
        return reinmax_backward(logits, pi0, d, g_d, g_p, ctx.tau), None


def reinmax_backward(logits, pi0, d, g_d, g_p, tau):
    """ReinMax's gradient to the logits: 2 J(pi1) g_D + J(pi0) (g_p - g_D / 2), centred."""
    pi1 = 0.5 * ((logits / tau).softmax(dim=-1) + d)
    grad = 2 * jvp(pi1, g_d) + jvp(pi0, g_p - 0.5 * g_d)
    return grad - grad.mean(dim=-1, keepdim=True)


class BinaryReinMax(torch.autograd.Function):
    """forward: (b, p) with b ~ Bernoulli(p), p = sigmoid(a); backward: ReinMax's closed form for logits (a, 0)."""

    @staticmethod
    def forward(ctx, a, tau):
        p = torch.sigmoid(a)
        b = torch.bernoulli(p)
        ctx.tau = tau
        ctx.save_for_backward(a, p, b)
        return b, p

    @staticmethod
    def backward(ctx, g_b, g_p):
        a, p, b = ctx.saved_tensors
        return binary_reinmax_backward(a, p, b, g_b, g_p, ctx.tau), None


def binary_reinmax_backward(a, p, b, g_b, g_p, tau):
    """The scalar form of reinmax_backward at logits (a, 0): (2 q (1 - q) - s / 2) g_b + s g_p."""
    q = 0.5 * (torch.sigmoid(a / tau) + b)
    s = p * (1 - p)
    return (2 * q * (1 - q) - 0.5 * s) * g_b + s * g_p


def check_binary(n=1000, seed=3):
    """Checks the sigmoid forms against the two-category forms at logits (a, 0), given the same samples, on random
    inputs in float64: ReinMax's closed forms, and autograd through ST's surrogates, must agree to 1e-12. Returns the
    largest difference."""
    g = torch.Generator().manual_seed(seed)
    a = torch.empty(n, dtype=torch.float64).uniform_(-4, 4, generator=g)
    b = torch.bernoulli(torch.sigmoid(a), generator=g)
    g_b, g_s = torch.randn(n, generator=g, dtype=torch.float64), torch.randn(n, generator=g, dtype=torch.float64)
    zero = torch.zeros_like(a)
    theta, d = torch.stack([a, zero], -1), torch.stack([b, 1 - b], -1)
    worst = 0.0
    for tau in (1.0, 1.7):
        # The gradient to a through theta = (a, 0) is the first component (the centring changes nothing: the two
        # components already sum to 0).
        cat = reinmax_backward(theta, theta.softmax(-1), d, torch.stack([g_b, zero], -1),
                               torch.stack([g_s, zero], -1), tau)[:, 0]
        binary = binary_reinmax_backward(a, torch.sigmoid(a), b, g_b, g_s, tau)
        worst = max(worst, (cat - binary).abs().max().item())
        for form in ("softmax2", "sigmoid"):
            x = a.clone().requires_grad_(True)
            if form == "sigmoid":
                hard, soft = binary_estimator("st", x, tau, b)
            else:
                hard, soft = estimator("st", torch.stack([x, zero], -1), tau, d)
                hard, soft = hard[:, 0], soft[:, 0]
            ((hard * g_b).sum() + (soft * g_s).sum()).backward()
            if form == "softmax2":
                st_cat = x.grad
            else:
                worst = max(worst, (x.grad - st_cat).abs().max().item())
    return worst


def binary_estimator(name, a, tau, b=None):
    """Returns (hard, soft) for binary variables with logits a: the sample b ~ Bernoulli(sigmoid(a)) (st: b when
    given) and sigmoid(a)."""
    if name == "reinmax":
        return BinaryReinMax.apply(a, tau)
    p0 = torch.sigmoid(a)
    if b is None:
        with torch.no_grad():
            b = torch.bernoulli(p0)
    p = torch.sigmoid(a / tau)
    return b - p.detach() + p, p0


def estimator(name, logits, tau, d=None):
    """Returns (hard, soft): the straight-through sample (st: d when given) and softmax(logits)."""
    if name == "reinmax":
        return ReinMax.apply(logits, tau)
    pi0 = logits.softmax(dim=-1)
    if d is None:
        with torch.no_grad():
            d = sample_one_hot(pi0)
    p = (logits / tau).softmax(dim=-1)
    return d - p.detach() + p, pi0


class VAE(torch.nn.Module):
    def __init__(self, latents, categories, est, tau):
        super().__init__()
        self.latents, self.categories, self.est, self.tau = latents, categories, est, tau
        self.enc = torch.nn.Sequential(
            torch.nn.Linear(784, 512), torch.nn.ReLU(),
            torch.nn.Linear(512, 256), torch.nn.ReLU(),
            torch.nn.Linear(256, latents * categories))
        self.dec = torch.nn.Sequential(
            torch.nn.Linear(latents * categories, 256), torch.nn.ReLU(),
            torch.nn.Linear(256, 512), torch.nn.ReLU(),
            torch.nn.Linear(512, 784))

    def forward(self, x):
        b = x.shape[0]
        logits = self.enc(x).view(b, self.latents, self.categories)
        hard, q = estimator(self.est, logits, self.tau)
        out = self.dec(hard.reshape(b, -1))
        bce = F.binary_cross_entropy_with_logits(out, x, reduction="sum") / b
        kl = (q * torch.log(q + 1e-10)).sum(dim=(1, 2)).mean() + self.latents * math.log(self.categories)
        return bce + kl


def vae_step(est, batch):
    lr, tau = VAE_SETTINGS[est]
    torch.manual_seed(1)
    model = VAE(30, 10, est, tau)
    opt = torch.optim.RAdam(model.parameters(), lr=lr)
    x = torch.rand(batch, 784)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(x)
        loss.backward()
        opt.step()

    return step, f"workload=vae config=10x30 estimator={est} tau={tau} optimizer=radam batch={batch}"


def poly_step(est, batch, form):
    torch.manual_seed(1)
    init = torch.empty(128, 2).uniform_(-0.01, 0.01)
    if form == "sigmoid":
        theta = torch.nn.Parameter(init[:, 0] - init[:, 1])
    else:
        theta = torch.nn.Parameter(init)
    opt = torch.optim.Adam([theta], lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        if form == "sigmoid":
            hard, _ = binary_estimator(est, theta.unsqueeze(0).expand(batch, 128), 1.0)
            z = hard
        else:
            hard, _ = estimator(est, theta.unsqueeze(0).expand(batch, 128, 2), 1.0)
            z = hard[..., 0]
        loss = ((z - 0.45) ** 2).mean()
        loss.backward()
        opt.step()

    return step, f"workload=poly L=128 form={form} estimator={est} p=2 optimizer=adam batch={batch}"


def blas_library():
    """Names the BLAS library loaded into this process (Debian's torch takes whatever libblas.so.3 points to)."""
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        return "unknown"
    for name in ("libopenblas", "libmkl", "libblis", "libblas.so"):
        for line in maps.splitlines():
            if name in line:
                return line.split()[-1]
    return "none found"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workload", choices=["vae", "poly"], default="vae")
    ap.add_argument("--estimator", choices=["st", "reinmax"], default="reinmax")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--batch", type=int, default=0, help="0: the workload's (vae 100, poly 512)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--form", choices=["softmax2", "sigmoid"], default="softmax2",
                    help="poly: binary variables as two-category logits (softmax2) or one logit each (sigmoid)")
    ap.add_argument("--check", action="store_true",
                    help="check the sigmoid forms against the two-category ones on random inputs, and exit")
    args = ap.parse_args()
    if args.check:
        worst = check_binary()
        print(f"sigmoid forms against two-category forms at logits (a, 0): largest difference {worst:.3g}")
        sys.exit(0 if worst <= 1e-12 else 1)
    if args.steps < 1 or args.warmup < 0 or args.batch < 0:
        ap.error("--steps must be at least 1, --warmup and --batch not negative")
    if args.workload != "poly" and args.form != "softmax2":
        ap.error("--form sigmoid applies to the poly workload (binary variables) only")

    torch.set_num_threads(args.threads)
    if args.workload == "vae":
        step, describe = vae_step(args.estimator, args.batch or 100)
    else:
        step, describe = poly_step(args.estimator, args.batch or 512, args.form)
    for _ in range(args.warmup):
        step()
    ms = []
    cpu0 = time.process_time()
    for _ in range(args.steps):
        t = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t) * 1e3)
    cpu = (time.process_time() - cpu0) * 1e3 / args.steps
    ms.sort()
    q = statistics.quantiles(ms, n=10, method="inclusive") if len(ms) > 1 else [ms[0]] * 9
    blas = blas_library()
    print(f"{describe} torch={torch.__version__} threads={torch.get_num_threads()} "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')} blas={blas}")
    if "libopenblas" not in blas and "libmkl" not in blas:
        print("warning: no optimised BLAS loaded; install libopenblas0-pthread (see bench/README.md)", file=sys.stderr)
    print(f"steps={len(ms)} p10_ms={q[0]:.3f} p90_ms={q[-1]:.3f} min_ms={ms[0]:.3f}")
    print(f"cpu_ms_per_step={cpu:.2f} (user+system time of the process over the timed steps, all threads)")
    print(f"peak_memory_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} (peak resident set)")
    print(f"median_ms={statistics.median(ms):.3f}")


if __name__ == "__main__":
    main()
