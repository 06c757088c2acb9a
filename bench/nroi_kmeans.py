"""NROI clustering cost: fbr_nb's batched torch K-means vs the authors' per-image scikit-learn loop.

Both cluster the same background embeddings of a batch (B images, h*w positions, d=128, ~60% background, K=8)
and report the median wall time of several repeats, side by side in one run, and their ratio; also the mean
inertia of each (lower is better) so that speed is not bought with worse clusters. Usage:
    python bench/nroi_kmeans.py [--size 16] [--batch 8] [--repeats 7]
"""
import argparse, statistics, time
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from fbr_nb.nroi import extract_nrois


def sklearn_loop(z, mask, k):
    "The authors' way: per image, sklearn KMeans (default settings) on the CPU; <= k points are used as is."
    out, inertia = [], []
    for b in range(z.shape[0]):
        pts = z[b][mask[b]].numpy()
        if len(pts) <= k: out.append(pts); inertia.append(0.0); continue
        km = KMeans(k, n_init="auto", random_state=0).fit(pts)
        out.append(km.cluster_centers_); inertia.append(km.inertia_)
    return out, inertia


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=16); ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--dim", type=int, default=128); ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()
    torch.manual_seed(0)
    B, h, d, K = a.batch, a.size, a.dim, a.k
    # background embeddings with structure: a few semantic groups per image plus noise (like a trained BG head)
    centers = torch.randn(B, 6, d)
    grp = torch.randint(0, 6, (B, h * h))
    emb = (centers.gather(1, grp[..., None].expand(-1, -1, d)) + 0.5 * torch.randn(B, h * h, d)).relu()
    mask = torch.rand(B, h * h) < 0.6
    z = F.normalize(emb, dim=-1)
    bg_emb = emb.transpose(1, 2).reshape(B, d, h, h)
    t_ours, t_sk, in_ours, in_sk = [], [], [], []
    for r in range(a.repeats):
        t = time.perf_counter()
        _, _, res = extract_nrois(bg_emb, mask.reshape(B, h, h), K, generator=torch.Generator().manual_seed(r))
        t_ours.append(time.perf_counter() - t); in_ours.append(float(res.inertia.mean()))
        t = time.perf_counter()
        _, ine = sklearn_loop(z, mask, K)
        t_sk.append(time.perf_counter() - t); in_sk.append(float(np.mean(ine)))
    mo, ms = statistics.median(t_ours), statistics.median(t_sk)
    print(f"batch {B}, {h}x{h} map, d={d}, K={K}, {int(mask.sum())} background positions, {a.repeats} repeats, "
          f"{torch.get_num_threads()} torch threads")
    print(f"  fbr_nb batched torch K-means : median {mo * 1e3:8.1f} ms, mean inertia {np.mean(in_ours):.3f}")
    print(f"  per-image sklearn loop       : median {ms * 1e3:8.1f} ms, mean inertia {np.mean(in_sk):.3f}")
    print(f"  speed-up (sklearn / ours)    : {ms / mo:.1f}x;  inertia ratio (ours / sklearn): {np.mean(in_ours) / np.mean(in_sk):.3f}")


if __name__ == "__main__":
    main()
