"""MSRC seeds -> IRN masks for TAP-CAM and TAP-CAM + FBR at a tiny CPU scale; one JSON line per (method, seed).

The run behind the README's "From seeds to masks" numbers (docs/results.md), kept so that it can be repeated:

    python tools/msrc_refine.py runs/msrc_refine 0,1,2 baseline,fbr      # OUT SEEDS METHODS; MSRC from ../shared/data/msrc
"""
import json, sys, time, os
from pathlib import Path
import numpy as np, torch
from fbr_nb.config import shared_data_dir
from fbr_nb.data import msrc_dataset
from fbr_nb.jobs import subset
from fbr_nb.train import train_cam_model
from fbr_nb.pipeline import compute_cams, evaluate_cams
from fbr_nb.refine import refine_dataset, refine_masks, masks_miou
out = Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
seeds = [int(s) for s in sys.argv[2].split(",")]
methods = sys.argv[3].split(",")
N_TRAIN, N_VAL, SIZE, EPOCHS, AFF_EPOCHS, AFF_SIZE = 120, 45, 112, 3, 3, 160
tr, va = subset(msrc_dataset(shared_data_dir("msrc"), "train"), N_TRAIN), subset(msrc_dataset(shared_data_dir("msrc"), "val"), N_VAL)
for seed in seeds:
    for method in methods:
        t0 = time.time()
        learn = train_cam_model(tr, va, method, epochs=EPOCHS, bs=8, lr=1e-3, size=SIZE, seed=seed, freeze_blocks=3,
                                progress=False, device="cpu")
        ct, cv = compute_cams(learn.model, tr, (1.0,)), compute_cams(learn.model, va, (1.0,))
        et, ev = evaluate_cams(ct, tr, crf=False), evaluate_cams(cv, va, crf=False)
        t1 = time.time()
        r = refine_dataset(tr, ct, "irn", out=out / f"masks_{method}_s{seed}", aff_ckpt=out / f"aff_{method}_s{seed}.pth",
                           epochs=AFF_EPOCHS, bs=8, size=AFF_SIZE, seed=seed, freeze_blocks=3, n_jobs=2, progress=False, device="cpu")
        from fbr_nb.affinity import load_affinity_model
        net = load_affinity_model(out / f"aff_{method}_s{seed}.pth")
        mv = masks_miou(refine_masks(net, va, cv, n_jobs=2, progress=False, device="cpu"), va)
        rec = dict(method=method, seed=seed, refine="irn", seed_miou_train=et["seed_miou"], seed_miou_val=ev["seed_miou"],
                   bg_thresh_train=et["bg_thresh"], mask_miou_train=r["mask_miou"], mask_miou_val=mv["miou"],
                   confident_coverage=r["confident_coverage"], confident_precision=r["confident_precision"],
                   cam_s=t1 - t0, refine_s=time.time() - t1,
                   settings=dict(n_train=len(tr), n_val=len(va), size=SIZE, epochs=EPOCHS, aff_epochs=AFF_EPOCHS, aff_size=AFF_SIZE,
                                 freeze_blocks=3, backbone="efficientnet_lite2", scales=[1.0], flip=True, walk="IRN_WALK",
                                 confident="IRN_CONFIDENT", threads=torch.get_num_threads(), date=time.strftime("%Y-%m-%d %H:%M")))
        with open(out / "runs.jsonl", "a") as f: f.write(json.dumps(rec) + "\n")
        print(json.dumps(rec), flush=True)
