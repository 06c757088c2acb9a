"""NROI clustering cost: `extract_nrois` (no host round trips) vs `extract_nrois_reference` (the implementation before
issue #11) vs the authors' per-image scikit-learn loop, on the same background embeddings of a batch (B images, h*w
positions, d=128, ~60% background, K=8), timed side by side (interleaved), medians over --repeats after warm-up; also
the mean inertia of each (lower is better), so that speed is not bought with worse clusters. Ratios are medians of
the per-round ratios (each pair ran back to back). Usage:
    python bench/nroi_kmeans.py [--sizes 16,28] [--batch 8] [--repeats 60] [--device cpu|cuda]
"""
import argparse
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from fbr_nb.nroi import extract_nrois, extract_nrois_reference
from _common import device_arg, check_device, interleaved_times, median, paired_ratio, goal_line, log_results


def sklearn_loop(z, mask, k):
    "The authors' way: per image, sklearn KMeans (default settings) on the CPU; <= k points are used as is."
    inertia = []
    for b in range(z.shape[0]):
        pts = z[b][mask[b]].numpy()
        if len(pts) <= k: inertia.append(0.0); continue
        inertia.append(KMeans(k, n_init="auto", random_state=0).fit(pts).inertia_)
    return inertia


def batch(B, h, d, seed=0):
    "Background embeddings with structure: a few semantic groups per image plus noise (like a trained BG head)."
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(B, 6, d, generator=g)
    grp = torch.randint(0, 6, (B, h * h), generator=g)
    emb = (centers.gather(1, grp[..., None].expand(-1, -1, d)) + 0.5 * torch.randn(B, h * h, d, generator=g)).relu()
    mask = torch.rand(B, h * h, generator=g) < 0.6
    return emb, mask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="16,28"); ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--dim", type=int, default=128); ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=60); ap.add_argument("--warmup", type=int, default=3)
    device_arg(ap)
    a = ap.parse_args()
    dev = check_device(a.device)
    B, d, K = a.batch, a.dim, a.k
    gpu = dev.type == "cuda"
    lines = []
    for h in (int(s) for s in a.sizes.split(",")):
        emb, mask = batch(B, h, d)
        z = F.normalize(emb, dim=-1)
        bg_emb, bg_mask = emb.transpose(1, 2).reshape(B, d, h, h).to(dev), mask.reshape(B, h, h).to(dev)
        gen = (lambda: torch.Generator(dev).manual_seed(0))
        res = {}
        def run(name, f):
            def call(): res[name] = f(bg_emb, bg_mask, K, generator=gen())
            return call
        sk = {}
        def call_sk(): sk["inertia"] = sklearn_loop(z, mask, K)
        ts = interleaved_times({"new": run("new", extract_nrois), "reference": run("reference", extract_nrois_reference),
                                "sklearn": call_sk}, a.repeats, a.warmup, dev)
        t = {k: median(v) for k, v in ts.items()}
        r_new = paired_ratio(ts["new"], ts["reference"]); r_sk = paired_ratio(ts["sklearn"], ts["new"])
        inertia = {n: float(res[n][2].inertia.mean()) for n in ("new", "reference")}
        inertia["sklearn"] = float(np.mean(sk["inertia"]))
        same = torch.equal(res["new"][0], res["reference"][0])
        tag = f"{B} images x {h}x{h} x {d}-d, K={K}"
        lines += [f"extract_nrois {tag}: {t['new'] * 1e3:.2f} ms, reference {t['reference'] * 1e3:.2f} ms, sklearn per image "
                  f"{t['sklearn'] * 1e3:.1f} ms (medians of {a.repeats}); mean inertia {inertia['new']:.3f} / "
                  f"{inertia['reference']:.3f} / {inertia['sklearn']:.3f}; same NROIs as the reference: {same}",
                  goal_line(f"extract_nrois new / reference, {tag}", r_new,
                            "goal <= 1.0 on CPU" if not gpu else "CPU goal <= 1.0; on GPU: informational",
                            (r_new <= 1.0) if not gpu else None),
                  goal_line(f"sklearn per image / extract_nrois, {tag}", r_sk,
                            "goal >= 50x on H200" + ("" if gpu else "; CPU: informational"),
                            (r_sk >= 50) if gpu and h == 28 else None)]
        if h == 28:
            lines.append(goal_line(f"extract_nrois time, {tag}", t["new"] * 1e3, "goal <= 1 ms on H200" + ("" if gpu else "; CPU: informational"),
                                   (t["new"] * 1e3 <= 1.0) if gpu else None, unit=" ms"))
    log_results("bench/nroi_kmeans.py", dev, f"batch {B}, d={d}, K={K}, ~60% background, seeds fixed; "
                f"warm-up {a.warmup}, {a.repeats} interleaved repeats", lines, a.no_log)


if __name__ == "__main__":
    main()
