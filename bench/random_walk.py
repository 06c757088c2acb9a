"""Random walk of issue #21: the banded walks of `fbr_nb.random_walk.random_walk` (scheme "csr": torch sparse CSR T @ X
2**t times, the default; scheme "stencil": shift-and-add on the (P,H,W) affinity) and scipy's CSR product on the same
matrix, vs the papers' dense reference
(`random_walk_dense`: the HW x HW matrix squared t times), on one image at the network's stride (default 112x112 =
12,544 pixels: 448 px at stride 4), 21 classes, radius 5, beta 8, t = 8. The sparse schemes are timed side by side
(interleaved, medians over --repeats); the dense reference runs ONCE (minutes on a CPU), in a subprocess that also
measures its peak memory; each sparse scheme's extra memory is measured the same way (a subprocess: peak RSS during
the walk minus the resident memory once the inputs are built; on CUDA: peak allocated). Results are compared with the dense one (relative
Frobenius error). Usage:
    python bench/random_walk.py [--size 112] [--classes 21] [--t 8] [--repeats 5] [--threads 1] [--skip-dense] [--device cpu|cuda]
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time, warnings
import numpy as np
import torch
import torch.nn.functional as F
from fbr_nb.pairs import pair_offsets, affinity_from_boundary
from fbr_nb.random_walk import random_walk, random_walk_dense, transition_csr
from _common import device_arg, check_device, interleaved_times, median, paired_ratio, goal_line, log_results

SCHEMES = ("csr", "stencil", "scipy_csr")
warnings.filterwarnings("ignore", message=".*[Ss]parse.*")       # torch: CSR "beta state", invariant checks off


def _status_kb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"): return int(line.split()[1])
    raise OSError(key)


def peak_start() -> int:
    "Reset the process's peak RSS (Linux: /proc/self/clear_refs 5) and return the resident bytes now."
    try:
        with open("/proc/self/clear_refs", "w") as f: f.write("5")
        return _status_kb("VmRSS") * 1024
    except OSError: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # peak so far: under-counts


def peak_now() -> int:
    "Peak resident bytes since peak_start."
    try: return _status_kb("VmHWM") * 1024
    except OSError: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def inputs(size, classes, radius, seed=0):
    "Normalised CAM-like maps (C,H,W) and an affinity (P,H,W) from a boundary map of random blobs (realistic structure)."
    g = torch.Generator().manual_seed(seed)
    blobs = F.interpolate(torch.rand(1, 1, size // 8, size // 8, generator=g), size=(size, size), mode="bilinear", align_corners=False)[0, 0]
    regions = (blobs * 6).floor()
    edge = torch.zeros(size, size)
    edge[:-1] += (regions[:-1] != regions[1:]).float(); edge[:, :-1] += (regions[:, :-1] != regions[:, 1:]).float()
    boundary = (edge.clamp(0, 1) * 0.9 + 0.1 * torch.rand(size, size, generator=g))[None]
    offsets = pair_offsets(radius)
    aff = affinity_from_boundary(boundary, offsets)[0]
    cams = F.interpolate(torch.rand(1, classes, size // 16 + 1, size // 16 + 1, generator=g), size=(size, size), mode="bilinear", align_corners=False)[0]
    return cams / cams.amax((1, 2), keepdim=True), aff, offsets


def walk(scheme, cams, aff, offsets, beta, t):
    "(C,H,W) walked maps by one scheme: the library's csr (default) and stencil, scipy CSR on the same matrix, dense."
    C, H, W = cams.shape
    if scheme in ("csr", "stencil"): return random_walk(cams, aff, offsets, beta, t, scheme=scheme)
    if scheme == "dense": return random_walk_dense(cams, aff, offsets, beta, t)
    if scheme == "scipy_csr":
        import scipy.sparse as sp
        T = transition_csr(aff.cpu(), offsets, beta)
        T = sp.csr_matrix((T.values().numpy(), T.col_indices().numpy(), T.crow_indices().numpy()), shape=T.shape)
        x = cams.reshape(C, H * W).T.cpu().numpy().copy()
        for _ in range(2 ** t): x = T @ x
        return torch.from_numpy(np.ascontiguousarray(x.T)).reshape(C, H, W).to(cams.device)
    raise ValueError(scheme)


def child(a):
    "One scheme once, in this fresh process: seconds and extra peak memory (MB); the result saved to --save."
    torch.set_num_threads(a.threads)
    dev = check_device(a.device)
    cams, aff, offsets = inputs(a.size, a.classes, a.radius)
    cams, aff = cams.to(dev), aff.to(dev)
    if dev.type == "cuda": torch.cuda.synchronize(dev); torch.cuda.reset_peak_memory_stats(dev); base = torch.cuda.max_memory_allocated(dev)
    else: base = peak_start()                  # with the inputs built; the peak below counts everything after
    t0 = time.perf_counter()
    out = walk(a.child, cams, aff, offsets, a.beta, a.t)
    if dev.type == "cuda": torch.cuda.synchronize(dev); peak = torch.cuda.max_memory_allocated(dev)
    else: peak = peak_now()
    sec = time.perf_counter() - t0
    if a.save: torch.save(out.cpu(), a.save)
    print(json.dumps(dict(seconds=sec, extra_mb=(peak - base) / 2 ** 20)))


def run_child(a, scheme, save=None):
    cmd = [sys.executable, __file__, "--child", scheme, "--size", str(a.size), "--classes", str(a.classes), "--radius",
           str(a.radius), "--beta", str(a.beta), "--t", str(a.t), "--threads", str(a.threads), "--device", a.device]
    if save: cmd += ["--save", save]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=os.path.dirname(os.path.abspath(__file__)))
    if r.returncode: raise SystemExit(f"child {scheme} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def rel_err(a, b): return float((a.double() - b.double()).norm() / b.double().norm())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=112); ap.add_argument("--classes", type=int, default=21)
    ap.add_argument("--radius", type=float, default=5); ap.add_argument("--beta", type=float, default=8)
    ap.add_argument("--t", type=int, default=8); ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1); ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--skip-dense", action="store_true", help="no dense reference (ratios against it are then left out)")
    ap.add_argument("--child", choices=SCHEMES + ("dense",), help=argparse.SUPPRESS)
    ap.add_argument("--save", help=argparse.SUPPRESS)
    device_arg(ap)
    a = ap.parse_args()
    if a.child: return child(a)
    torch.set_num_threads(a.threads)
    dev = check_device(a.device)
    cams, aff, offsets = inputs(a.size, a.classes, a.radius)
    cams, aff = cams.to(dev), aff.to(dev)
    schemes = [s for s in SCHEMES if not (s == "scipy_csr" and dev.type == "cuda")]
    res = {}
    def call(s):
        def f(): res[s] = walk(s, cams, aff, offsets, a.beta, a.t)
        return f
    ts = interleaved_times({s: call(s) for s in schemes}, a.repeats, a.warmup, dev)
    med = {s: median(v) for s, v in ts.items()}
    mem = {s: run_child(a, s)["extra_mb"] for s in schemes}
    N, P = a.size * a.size, len(offsets)
    tag = f"{a.size}x{a.size} = {N} pixels, {a.classes} classes, radius {a.radius:g} ({P} pairs/pixel), beta {a.beta:g}, t {a.t} ({2 ** a.t} steps)"
    fastest = min(med, key=med.get)
    lines = [f"sparse schemes, {tag}: " + ", ".join(f"{s} {med[s]:.2f} s / {mem[s]:.0f} MB extra" for s in schemes)
             + f" (medians of {a.repeats}; memory: one run in a fresh process); fastest: {fastest}; library default: csr"]
    for s in schemes[1:]:
        lines.append(goal_line(f"{s} / csr time, {tag}", paired_ratio(ts[s], ts["csr"]), "informational"))
        lines.append(f"{s} vs csr relative error: {rel_err(res[s], res['csr']):.1e}")
    lines.append(goal_line(f"csr extra memory, {tag}", mem["csr"], "goal < 100 MB", mem["csr"] < 100, unit=" MB"))
    if not a.skip_dense:
        with tempfile.TemporaryDirectory() as td:
            d = run_child(a, "dense", os.path.join(td, "dense.pt"))
            ref = torch.load(os.path.join(td, "dense.pt"))
        err = rel_err(res["csr"].cpu(), ref)
        lines += [f"dense reference, {tag}: {d['seconds']:.1f} s (one run), {d['extra_mb']:.0f} MB extra",
                  goal_line(f"dense / csr time, {tag}", d["seconds"] / med["csr"], "goal >= 50x on this CPU",
                            d["seconds"] / med["csr"] >= 50 if dev.type == "cpu" else None),
                  goal_line(f"csr vs dense relative error, {tag}", err, "goal <= 1e-4", err <= 1e-4, unit="")
                  .replace(f": {err:.2f}", f": {err:.1e}")]
        lines += [f"{s} vs dense relative error: {rel_err(res[s].cpu(), ref):.1e}" for s in schemes[1:]]
    log_results("bench/random_walk.py", dev, f"one image, {tag}; CAMs: smooth random maps, normalised; affinity: "
                f"affinity_from_boundary of a random-region boundary map + noise; {a.threads} torch thread(s); "
                f"warm-up {a.warmup}, {a.repeats} interleaved repeats; dense: once", lines, a.no_log)


if __name__ == "__main__":
    main()
