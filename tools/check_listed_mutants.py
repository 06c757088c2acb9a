"""The one-line breakages of issue #14, each applied to a copy of the package: the notebook that should catch it
must now fail when its tests run against that copy (tests/test_library_notebooks.py's harness).

Usage: python tools/check_listed_mutants.py   (prints one line per change; exit 1 if any change goes unnoticed).
Each change must match its file exactly once, so an edit of the library that moves the line is reported, not skipped.
"""
import os, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# (what breaks, file, old text, new text, notebook whose tests must fail)
CHANGES = [
    ("prototypes from the BG head's embeddings", "loss.py", "class_prototypes(emb_f,", "class_prototypes(emb_b,", "09_loss"),
    ("NROIs clustered from the FG head's embeddings", "loss.py", "extract_nrois(emb_b, nroi_px,", "extract_nrois(emb_f, nroi_px,", "09_loss"),
    ("K-means over all pixels, not the background", "loss.py", "extract_nrois(emb_b, nroi_px,",
     "extract_nrois(emb_b, torch.ones_like(nroi_px),", "09_loss"),
    ("w_if and w_aux swapped", "loss.py", 'cfg.w_if * out["if"] + cfg.w_aux * out["aux"]',
     'cfg.w_aux * out["if"] + cfg.w_if * out["aux"]', "09_loss"),
    ("FBR added as 0 * total.detach() in the callback", "train.py", 'self.learn.loss_grad + out["total"]',
     'self.learn.loss_grad + 0 * out["total"].detach()', "12_train"),
    ("GAP instead of TAP inside the classifier", "cam.py",
     'pooled = tap(feats, self.tap_thresh) if self.pool == "tap" else gap(feats)', "pooled = gap(feats)", "01_cam"),
    ("no L2 normalisation before K-means", "nroi.py", "z = F.normalize(bg_emb.detach().float(), dim=1)",
     "z = bg_emb.detach().float()", "04_nroi"),
    ('query_mode="hard" returns the adaptive mask', "queries.py", "    out = torch.zeros_like(region)\n",
     "    return region & (norm_cams < thresh)\n", "03_queries"),
    ("first k queries instead of a random k", "queries.py",
     'r = torch.rand(cls.numel(), generator=generator, device="cpu").to(cls.device)',
     "r = torch.arange(cls.numel(), device=cls.device).double() / (cls.numel() + 1)", "03_queries"),
    ("PseudoMaskDataset returns the ground truth", "segment.py", 's["mask"] = m\n', 's["mask"] = s["mask"]\n', "17_segment"),
    ("FBRConfig.tap_thresh not passed to the classifier", "train.py",
     "tap_thresh = (fcfg or cfg or FBRConfig()).tap_thresh", "tap_thresh = 0.1", "12_train"),
]

RUNNER = """
import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("harness", sys.argv[1]); h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)
import fbr_nb; assert fbr_nb.__file__.startswith(sys.argv[3]), fbr_nb.__file__   # the patched copy is the one tested
h.run_against_library(Path(sys.argv[2]))
"""


def check(what, fname, old, new, nb) -> bool:
    "True when the notebook's tests fail against the package with this one change."
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "fbr_nb", Path(tmp) / "fbr_nb")
        f = Path(tmp) / "fbr_nb" / fname
        src = f.read_text()
        if src.count(old) != 1: raise SystemExit(f"{fname}: the text to change occurs {src.count(old)} times: {old!r}")
        f.write_text(src.replace(old, new))
        env = {**os.environ, "PYTHONPATH": tmp, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
        r = subprocess.run([sys.executable, "-c", RUNNER, str(ROOT / "tests" / "test_library_notebooks.py"),
                            str(ROOT / "nbs" / f"{nb}.ipynb"), tmp], env=env, cwd=tmp, capture_output=True, text=True)
        last = (r.stderr.strip().splitlines() or ["(no error)"])[-1]
        print(f"{'caught' if r.returncode else 'MISSED'}: {what} ({fname}) -> {nb}: {last[:150]}", flush=True)
        return r.returncode != 0


if __name__ == "__main__":
    results = [check(*c) for c in CHANGES]
    print(f"{sum(results)} of {len(results)} changes caught")
    sys.exit(0 if all(results) else 1)
