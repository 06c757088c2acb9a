"""Every user mistake answered with one line: bad command-line arguments (exit 2, no traceback), dataset problems
naming the file, a NaN loss naming the step and the terms with the last good checkpoint kept, and a run killed
with SIGKILL mid-epoch that resumes to the weights of an uninterrupted run."""
import os, shutil, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image
import fbr_nb.train  # noqa: F401 (first: it silences a known FutureWarning of fastai's import)
from fastai.callback.core import Callback
from fastcore.script import anno_parser
from fbr_nb import cli
from fbr_nb.data import make_synthetic_voc, synthetic_dataset, voc_palette
from fbr_nb.train import train_cam_model, load_checkpoint, NonFiniteLoss

TINY = ["--epochs", "1", "--size", "64", "--bs", "4", "--freeze_blocks", "4", "--bank_size", "500"]

@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_synthetic_voc(tmp_path_factory.mktemp("syn") / "syn", n_train=8, n_val=4, size=64, seed=0)

def run_cli(monkeypatch, capsys, script, args):
    "Run a console script in this process as `call_parse` would (parse, then call); (exit status, stderr)."
    monkeypatch.setattr(sys, "argv", [script] + [str(a) for a in args])
    checked = getattr(cli, script.replace("fbr_", "") + "_cli").__wrapped__     # below call_parse: cli_main's wrapper
    kw = vars(anno_parser(checked).parse_args([str(a) for a in args])); kw.pop("xtra", None); kw.pop("pdb", None)
    with pytest.raises(SystemExit) as e: checked(**kw)
    return e.value.code, capsys.readouterr().err

# (script, arguments, what the one line must say); {root} and {tmp} are filled in
BAD_ARGS = [
    ("fbr_train", ["--epochs", "0"], "--epochs must be an integer >= 1, got 0"),
    ("fbr_train", ["--epochs", "-1"], "--epochs must be an integer >= 1, got -1"),
    ("fbr_train", ["--bs", "0"], "--bs must be an integer >= 1"),
    ("fbr_train", ["--bs", "64", "--root", "{root}"], "--bs must be at most 8 (8 training images), got 64"),
    ("fbr_train", ["--size", "16"], "--size must be an integer >= 32"),
    ("fbr_train", ["--lr", "0"], "--lr must be a finite number > 0, got 0.0"),
    ("fbr_train", ["--lr", "-0.001"], "--lr must be a finite number > 0"),
    ("fbr_train", ["--lr", "nan"], "--lr must be a finite number > 0, got nan"),
    ("fbr_train", ["--lr", "inf"], "--lr must be a finite number > 0, got inf"),
    ("fbr_train", ["--seed", "-1"], "--seed must be an integer >= 0"),
    ("fbr_train", ["--k", "0"], "--k must be an integer >= 1, got 0"),
    ("fbr_train", ["--bank_size", "0"], "--bank_size must be an integer >= 1, got 0"),
    ("fbr_train", ["--bg_thresh", "1.5"], "--bg_thresh must be a number in [0, 1], got 1.5"),
    ("fbr_train", ["--query_thresh", "-0.1"], "--query_thresh must be a number in [0, 1], got -0.1"),
    ("fbr_train", ["--method", "baseline", "--k", "4"], "--k is an FBR setting; --method baseline has none"),
    ("fbr_train", ["--method", "nope"], "--method must be one of baseline"),
    ("fbr_train", ["--data", "nope"], "--data must be one of synthetic, msrc, voc, coco, got 'nope'"),
    ("fbr_train", ["--data", "voc"], "--data voc needs --root"),
    ("fbr_train", ["--root", "{tmp}/nowhere"], "--root {tmp}/nowhere: no such folder"),
    ("fbr_train", ["--backbone", "vgg16"], "--backbone must be one of efficientnet_lite2, resnet50, resnet101"),
    ("fbr_train", ["--freeze_blocks", "-1"], "--freeze_blocks must be an integer in [0, 7] for efficientnet_lite2"),
    ("fbr_train", ["--backbone", "resnet50", "--freeze_blocks", "6"], "--freeze_blocks must be an integer in [0, 5] for resnet50"),
    ("fbr_train", ["--weights", "{tmp}/none.pth"], "--weights {tmp}/none.pth: no such file"),
    ("fbr_train", ["--device", "tpu7"], "--device must be cpu, cuda, cuda:N or mps, got 'tpu7'"),
    ("fbr_train", ["--device", "cuda:99"], "--device cuda:99:"),
    ("fbr_train", ["--sync_bn"], "--sync_bn applies to multi-process runs"),
    ("fbr_train", ["--ckpt", "{tmp}"], "is a folder; give a file path"),
    ("fbr_train", ["--resume", "--ckpt", "{tmp}/truncated.pth"], "--resume: checkpoint {tmp}/truncated.pth cannot be read"),
    ("fbr_train", ["--resume", "--ckpt", "{tmp}/foreign.pth"], "--resume: checkpoint {tmp}/foreign.pth lacks"),
    ("fbr_cams", ["--out", "{tmp}/c"], "--ckpt required"),
    ("fbr_cams", ["--ckpt", "{tmp}/none.pth", "--out", "{tmp}/c"], "--ckpt {tmp}/none.pth: no such file"),
    ("fbr_cams", ["--ckpt", "{tmp}/truncated.pth", "--out", "{tmp}/c", "--scales", "1,a"], "--scales must be comma-separated numbers"),
    ("fbr_cams", ["--ckpt", "{tmp}/truncated.pth", "--out", "{tmp}/c", "--scales", "1,-2"], "--scales must be positive"),
    ("fbr_eval", ["--cams", "{tmp}/nocams"], "--cams {tmp}/nocams: no such folder"),
    ("fbr_crf", ["--cams", "{tmp}", "--out", "{tmp}/p", "--n_jobs", "0"], "--n_jobs must be an integer >= 1, got 0"),
    ("fbr_crf", ["--cams", "{tmp}", "--out", "{tmp}/p", "--bg_thresh", "2"], "--bg_thresh must be a number in [0, 1], got 2.0"),
    ("fbr_demo", ["--epochs", "0"], "--epochs must be an integer >= 1, got 0"),
    ("fbr_demo", ["--seeds", "1,a"], "--seeds must be comma-separated integers, got '1,a'"),
]
if not torch.cuda.is_available():
    BAD_ARGS.append(("fbr_train", ["--device", "cuda"], "--device cuda: no CUDA GPU is available here"))
    BAD_ARGS.append(("fbr_cams", ["--ckpt", "{tmp}/truncated.pth", "--out", "{tmp}/c", "--device", "cuda"], "no CUDA GPU"))

@pytest.fixture
def tmp(tmp_path):
    (tmp_path / "truncated.pth").write_bytes(b"PK\x03\x04 truncated")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "foreign.pth")
    return tmp_path

@pytest.mark.parametrize("script,args,msg", BAD_ARGS, ids=[f"{s} {' '.join(a)}" for s, a, _ in BAD_ARGS])
def test_bad_argument(script, args, msg, root, tmp, monkeypatch, capsys):
    fill = lambda s: s.format(root=root, tmp=tmp)
    code, err = run_cli(monkeypatch, capsys, script, [fill(a) for a in args])
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{script}: error: "), err
    assert fill(msg) in lines[0], (fill(msg), lines[0])

def test_stages_refuse_torchrun(tmp, monkeypatch, capsys):
    "Only fbr_train runs on several processes; the other stages say so instead of writing the same files N times."
    monkeypatch.setenv("WORLD_SIZE", "2"); monkeypatch.setenv("RANK", "1")
    code, err = run_cli(monkeypatch, capsys, "fbr_eval", ["--cams", tmp])
    assert code == 2 and err.strip() == "[rank 1] fbr_eval: error: fbr_eval runs in one process; start it without torchrun (only fbr_train uses several)", err

def test_no_traceback_unless_debug(tmp_path):
    "As a shell sees it: one line and exit 2; FBR_DEBUG=1 shows the traceback."
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    r = subprocess.run(["fbr_train", "--epochs", "0"], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and r.stderr.strip() == "fbr_train: error: --epochs must be an integer >= 1, got 0", r.stderr
    r = subprocess.run(["fbr_train", "--epochs", "0"], capture_output=True, text=True, env={**env, "FBR_DEBUG": "1"})
    assert r.returncode != 0 and "Traceback" in r.stderr and "UsageError" in r.stderr

def _broken_copy(root, tmp_path, how):
    "A copy of the tiny set with one problem; returns (root, the file the message must name)."
    r = Path(shutil.copytree(root, tmp_path / "data"))
    names = (r / "ImageSets" / "Segmentation" / "train.txt").read_text().split()
    img, mask = r / "JPEGImages" / f"{names[3]}.jpg", r / "SegmentationClass" / f"{names[3]}.png"
    if how == "corrupt image": img.write_bytes(img.read_bytes()[:200]); return r, img
    if how == "missing image": img.unlink(); return r, img
    if how == "missing mask": mask.unlink(); return r, mask
    if how == "corrupt mask": mask.write_bytes(b"\x89PNG\r\n\x1a\n broken"); return r, mask
    if how == "mask ids outside the classes":
        m = np.array(Image.open(mask)); m[:4, :4] = 200
        im = Image.fromarray(m, "P"); im.putpalette(voc_palette().ravel().tolist()); im.save(mask); return r, mask
    if how == "list names a missing file":
        with open(r / "ImageSets" / "Segmentation" / "train.txt", "a") as f: f.write("no_such_image\n")
        return r, r / "JPEGImages" / "no_such_image.jpg"
    raise ValueError(how)

DATA_PROBLEMS = ["corrupt image", "missing image", "missing mask", "corrupt mask", "mask ids outside the classes",
                 "list names a missing file"]

@pytest.mark.parametrize("how", DATA_PROBLEMS)
def test_dataset_problem_names_the_file(how, root, tmp_path, monkeypatch, capsys):
    bad_root, path = _broken_copy(root, tmp_path, how)
    code, err = run_cli(monkeypatch, capsys, "fbr_train", ["--root", bad_root, "--ckpt", tmp_path / "m.pth"] + TINY)
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("fbr_train: error: "), err
    assert str(path) in lines[0], (str(path), lines[0])

class PoisonBatch(Callback):
    "Makes the images of one training step NaN (as a diverging run would produce NaN activations)."
    order = 1
    def __init__(self, epoch, it): self.at = (epoch, it)
    def before_batch(self):
        if self.training and (self.epoch, self.iter) == self.at: self.learn.xb = (self.xb[0] * float("nan"),)

def test_nan_loss_stops_and_keeps_checkpoint(root, tmp_path):
    tr, va = synthetic_dataset(root, "train"), synthetic_dataset(root, "val")
    kw = dict(epochs=2, bs=4, size=64, freeze_blocks=4, progress=False, bank_size=500, n_negatives=16, seed=0)
    ck = tmp_path / "m.pth"
    with pytest.raises(NonFiniteLoss) as e:
        train_cam_model(tr, va, "fbr", ckpt_path=ck, cbs=[PoisonBatch(1, 1)], **kw)
    msg = str(e.value)
    assert "epoch 2, step 2/2 (global step 4)" in msg and "total=nan" in msg and "cls=nan" in msg, msg
    assert all(f"{t}=" in msg for t in ("fb", "if", "aux")), msg
    assert f"checkpoint {ck} kept at epoch 1" in msg, msg
    kept = load_checkpoint(ck)
    assert kept["epoch"] == 1 and all(torch.isfinite(v).all() for v in kept["model"].values() if v.is_floating_point())
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))
    # the command line says the same in one line (exit 1)
    from fbr_nb.cli import cli_main
    r = cli_main()(lambda: train_cam_model(tr, va, "fbr", ckpt_path=tmp_path / "m2.pth", cbs=[PoisonBatch(0, 0)], **kw))
    with pytest.raises(SystemExit) as e2: r()
    assert e2.value.code == 1

KILL = '''
import os, signal, sys
import fbr_nb.cli as cli
from fastai.callback.core import Callback
from fastcore.script import anno_parser
class Die(Callback):
    order = 99
    def after_batch(self):   # mid-epoch: after the first step of the second epoch
        if self.training and self.epoch == 1 and self.iter == 0: os.kill(os.getpid(), signal.SIGKILL)
train = cli.train_cam_model
cli.train_cam_model = lambda *a, **k: train(*a, **{**k, "cbs": list(k.get("cbs") or []) + [Die()]})
from fastcore.script import anno_parser
f = cli.train_cli.__wrapped__            # what call_parse calls (it cannot find a module for `python -c`)
kw = vars(anno_parser(f).parse_args(sys.argv[1:])); kw.pop("xtra", None); kw.pop("pdb", None)
f(**kw)
'''

def test_sigkill_mid_epoch_then_resume(root, tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
    args = ["--root", str(root), "--epochs", "2", "--size", "64", "--bs", "4", "--freeze_blocks", "4", "--bank_size", "500",
            "--deterministic"]
    sh = lambda *a: subprocess.run(list(a), capture_output=True, text=True, env=env)
    full = sh("fbr_train", *args, "--ckpt", str(tmp_path / "full.pth"))
    assert full.returncode == 0, full.stderr[-2000:]
    killed = sh(sys.executable, "-c", KILL, *args, "--ckpt", str(tmp_path / "part.pth"))
    assert killed.returncode == -9, (killed.returncode, killed.stderr[-2000:])
    assert load_checkpoint(tmp_path / "part.pth")["epoch"] == 1          # the last completed epoch's checkpoint
    resumed = sh("fbr_train", *args, "--ckpt", str(tmp_path / "part.pth"), "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a, b = load_checkpoint(tmp_path / "full.pth"), load_checkpoint(tmp_path / "part.pth")
    assert b["epoch"] == 2
    assert [k for k in a["model"] if not torch.equal(a["model"][k], b["model"][k])] == []
