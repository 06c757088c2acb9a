"""One small ablation end to end through papermill, so that the paper_tables path keeps working."""
import csv, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ablation_k_runs_through_papermill(tmp_path):
    pm = Path(sys.executable).parent / "papermill"
    out = tmp_path / "out.ipynb"
    res = tmp_path / "results"
    cmd = [str(pm), "-k", "fbr_nb", str(ROOT / "nbs" / "ablation_k.ipynb"), str(out),
           "-p", "K", "4", "-y", "seeds: [0]", "-y", "scales: [1.0]", "-p", "epochs", "1", "-p", "size", "64",
           "-p", "img_size", "64", "-p", "n_train", "8", "-p", "n_val", "4", "-p", "bs", "4", "-p", "freeze_blocks", "4",
           "-p", "results_dir", str(res)]
    r = subprocess.run(cmd, capture_output=True, text=True, env={**__import__("os").environ, "FBR_CACHE": str(tmp_path / "cache")})
    assert r.returncode == 0, r.stderr[-4000:]
    rows = list(csv.DictReader(open(res / "table8_k_K4.csv")))
    assert [row["variant"] for row in rows] == ["K=4"]          # -p K 4 ran exactly one value
    assert rows[0]["paper mIoU"] == "74.6"                       # the paper's number for K=4 next to ours
    assert 0 <= float(rows[0]["seed_miou_mean"]) <= 100
    assert rows[0]["seeds"] == "0" and float(rows[0]["seed_miou_seeds"]) == float(rows[0]["seed_miou_mean"])   # its one run
    md = (res / "table8_k_K4.md").read_text()
    assert md.startswith("Settings: ") and '"seeds": [0]' in md


def test_real_msrc_runs_through_papermill(tmp_path, msrc_root):
    "real_msrc end to end at toy size, in bf16: runs go out through run_jobs (2 processes), results, figures and report land in out_dir."
    pm = Path(sys.executable).parent / "papermill"
    out = tmp_path / "run"
    cmd = [str(pm), "-k", "fbr_nb", "--cwd", str(ROOT / "nbs"), str(ROOT / "nbs" / "real_msrc.ipynb"), str(tmp_path / "out.ipynb"),
           "-p", "out_dir", str(out), "-y", "seeds: [0]", "-p", "n_train", "8", "-p", "n_val", "6", "-p", "epochs", "1",
           "-p", "size", "64", "-p", "bs", "4", "-p", "freeze_blocks", "4", "-y", "scales: [0.25]", "-p", "crf", "False",
           "-p", "jobs", "2", "-p", "threads", "1", "-p", "n_fig", "2", "-p", "precision", "bf16"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-4000:]
    import json
    lines = [json.loads(l) for l in (out / "runs.jsonl").read_text().splitlines()]
    assert sorted(l["job"]["method"] for l in lines) == ["baseline", "fbr"] and all(l["error"] is None for l in lines)
    assert len({l["pid"] for l in lines}) == 2                      # two worker processes
    s = json.loads((out / "summary.json").read_text())
    assert s["settings"]["n_train"] == 8 and s["settings"]["n_val"] == 6 and s["settings"]["precision"] == "bf16"
    assert all(l["job"]["precision"] == "bf16" for l in lines)     # the parameter reached every run and set(s["summary"]) == {"baseline", "fbr"}
    assert (out / "cams.png").stat().st_size > 0 and (out / "nroi_clusters.png").stat().st_size > 0


def test_msrc_refine_runs_through_papermill(tmp_path, msrc_root):
    "msrc_refine end to end at toy size: one TAP-CAM (IRN) and one SEAM (PSA) run, masks of both splits on disk, the report's tables."
    pm = Path(sys.executable).parent / "papermill"
    out = tmp_path / "run"
    cmd = [str(pm), "-k", "fbr_nb", "--cwd", str(ROOT / "nbs"), str(ROOT / "nbs" / "msrc_refine.ipynb"), str(tmp_path / "out.ipynb"),
           "-p", "out_dir", str(out), "-y", "methods: [baseline, seam]", "-y", "seeds: [0]", "-p", "n_train", "8", "-p", "n_val", "3",
           "-p", "epochs", "1", "-p", "size", "64", "-p", "bs", "4", "-p", "freeze_blocks", "4", "-y", "scales: [0.5]",
           "-p", "aff_epochs", "1", "-p", "aff_size", "64", "-p", "n_fig", "2"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-4000:]
    import json
    lines = [json.loads(l) for l in (out / "runs.jsonl").read_text().splitlines()]
    assert sorted((l["job"]["method"], l["job"]["refine"]) for l in lines) == [("baseline", "irn"), ("seam", "psa")]
    assert all(l["error"] is None for l in lines)
    for l in lines:
        for split, n in (("train", 8), ("val", 3)): assert len(list(Path(l["result"]["masks"][split]).glob("*.png"))) == n
    s = json.loads((out / "summary.json").read_text())
    assert s["settings"]["n_train"] == 8 and s["settings"]["refine_of"]["seam"] == "psa"
    assert set(s["foreground_share"]) == {f"{m} {sp}" for m in ("baseline", "seam", "ground truth") for sp in ("train", "val")}
    rep = (out / "report.md").read_text()
    assert "### Foreground share of the masks" in rep and "### Affinity networks" in rep and "seam − baseline" in rep
    assert (out / "seeds_to_masks.png").stat().st_size > 0 and (out / "masks.png").stat().st_size > 0
