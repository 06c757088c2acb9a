"""The component study (nbs/component_study.ipynb, issue #9) without papermill, for the GPU machine, whose Python has
no papermill or nbdev (../shared/notes/gpu.md). The same jobs as the notebook (`component_jobs`: the variants of
`COMPONENT_VARIANTS` for `variant_job`, seed-major so that the first seed of every variant ends first) go out through
`run_jobs`, each finished run appended to `<out>/runs.jsonl`; at the end (or on a rerun after a cut-off) the paired
table is printed from that file.
    python tools/gpu_study.py --data .gpu_data/msrc --out $OUT --device cuda --jobs 12        # GPU scale (defaults)
    python tools/gpu_study.py --data ../shared/data/msrc --out /tmp/s --device cpu --size 64 --epochs 1 --n_train 8 \
        --scales 0.25 --variants baseline fbr_paper --seeds 0 --jobs 2 --freeze 4                # a CPU try
"""
import argparse, json, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fbr_nb.jobs import run_jobs, variant_job, component_jobs, read_jsonl, paired_summary


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="MSRC in VOC layout"); ap.add_argument("--out", required=True)
    ap.add_argument("--variants", nargs="+", default=["baseline", "fbr_paper", "fbr_code", "fbr_code_1view", "fbr_amn", "fb_only", "if_only", "aux_only",
                                                       "fgbg_cos_only", "null_heads"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--size", type=int, default=320); ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--bs", type=int, default=8); ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--freeze", type=int, default=0, help="frozen EfficientNet-Lite2 blocks")
    ap.add_argument("--n_train", type=int, default=0, help="training photos (0: all 353)")
    ap.add_argument("--scales", nargs="+", type=float, default=[1.0, 0.5, 1.5, 2.0])
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    ap.add_argument("--jobs", type=int, default=12); ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cuda")
    a = ap.parse_args(argv)
    if not Path(a.data).is_dir(): ap.error(f"--data {a.data}: no such folder (copy ../shared/data/msrc there and carry it)")
    train_kw = dict(data="msrc", data_root=str(Path(a.data).resolve()), n_train=a.n_train or None, epochs=a.epochs, size=a.size,
                    bs=a.bs, lr=a.lr, freeze_blocks=a.freeze, scales=list(a.scales), crf=False, device=a.device, cache=False,
                    **({} if a.precision == "fp32" else {"precision": a.precision}))
    try: jobs = component_jobs(a.variants, a.seeds, **train_kw)
    except ValueError as e: ap.error(f"--variants: {e}")
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    (out / "settings.json").write_text(json.dumps(dict(vars(a), date=time.strftime("%Y-%m-%d %H:%M")), indent=1))
    t0 = time.time()
    recs = run_jobs(variant_job, jobs, n_jobs=a.jobs, results_file=out / "runs.jsonl", threads=a.threads)
    print(f"{sum(r['error'] is None for r in recs)} of {len(recs)} runs finished, {time.time() - t0:.0f} s", flush=True)
    rows = [r["result"] for r in read_jsonl(out / "runs.jsonl") if r.get("error") is None]
    for key, lab in (("seed_miou", "val"), ("train.seed_miou", "train")):
        s = paired_summary(rows, key)
        print(f"\nseed mIoU ({lab}), mean ± std; paired difference to the baseline per seed")
        for v in a.variants:
            if v not in s: continue
            d = s[v]; diff = "" if "diffs" not in d else (f"  Δ {d['diff_ci']} (per seed "
                                                          + ", ".join(f"{x:+.1f}" for x in d["diffs"].values()) + ")")
            print(f"  {v:14s} n={d['n']}  {d['mean']:.1f} ± {d['std']:.1f}{diff}")
    return 0 if all(r["error"] is None for r in recs) else 1


if __name__ == "__main__": sys.exit(main())
