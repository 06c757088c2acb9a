"""DDP on the CPU (gloo, 2 spawned processes): one NROI bank, one DDP step = one big single-process step,
one checkpoint, resume; and the `torchrun` command line. Tiny models and data: seconds per case."""
import os, shutil, subprocess, sys
from pathlib import Path
import pytest
import torch
import fbr_nb.train  # noqa: F401 (first: it silences a known FutureWarning of fastai's import)
import torch.nn as nn
from fastai.learner import Learner
from fastai.optimizer import SGD
from fastai.callback.core import Callback
from fastai.callback.progress import ProgressCallback
from fastai.data.core import DataLoaders
from fastai.data.load import DataLoader
from fastai.torch_core import set_seed
from fastcore.basics import noop
from fbr_nb.config import FBRConfig
from fbr_nb.data import make_synthetic_voc, synthetic_dataset, SegTransform
from fbr_nb.train import CAMNet, ClsPairs, FBRCallback, cls_loss, train_cam_model, load_checkpoint
from fbr_nb.distributed import DistributedCallback, spawn, is_dist, get_rank

SIZE = 64

@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_synthetic_voc(tmp_path_factory.mktemp("syn") / "syn", n_train=16, n_val=4, size=SIZE, seed=0)

class FrozenBN(Callback):
    "BatchNorm uses its running statistics (so per-rank batches normalise as the whole batch would)."
    order = 1
    def before_train(self):
        for m in self.learn.model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm): m.eval()

class StepLoss(Callback):
    "The loss of every training step (under DDP: the mean over the ranks)."
    order = 90
    def before_fit(self): self.losses = []
    def after_batch(self):
        if self.training: self.losses.append(float(self.learn.loss.detach()))

def fixed_learner(root, bs, cfg, lr_is_zero=False):
    "A Learner on fixed (unaugmented) images; same seed -> same shuffling and same initial weights everywhere."
    set_seed(0, reproducible=True)
    tfm = SegTransform(SIZE, train=False)
    tr, va = ClsPairs(synthetic_dataset(root, "train"), tfm), ClsPairs(synthetic_dataset(root, "val"), tfm)
    dls = DataLoaders(DataLoader(tr, bs=bs, shuffle=True, drop_last=True), DataLoader(va, bs=4), device="cpu")
    net = CAMNet(len(tr.ds.classes), freeze_blocks=2, fbr_cfg=cfg)
    cbs = [FBRCallback(), FrozenBN(), StepLoss()] + ([DistributedCallback(seed=0)] if is_dist() else [])
    learn = Learner(dls, net, loss_func=cls_loss, opt_func=SGD, splitter=lambda m: m.param_groups(), cbs=cbs)  # SGD: the update is linear in the gradient
    learn.remove_cb(ProgressCallback); learn.logger = noop
    return learn

def run_fixed(root, bs, method, epochs, lr):
    cfg = None if method == "baseline" else FBRConfig(bg_mode=method, bank_size=200, n_negatives=16)
    learn = fixed_learner(root, bs, cfg)
    learn.fit(epochs, lr)
    sd = {k: v.clone() for k, v in learn.model.state_dict().items()}
    return dict(losses=learn.step_loss.losses, sd=sd)

def ddp_cases(root):
    "Rank part of the fixed-data cases: 2 x 4 images per step."
    return dict(baseline=run_fixed(root, 4, "baseline", 1, 1e-2),
                pixel=run_fixed(root, 4, "pixel", 2, 0.0),
                nroi=run_fixed(root, 4, "nroi", 2, 1e-3))

BANK = ("fbr.bank.vectors", "fbr.bank.ptr", "fbr.bank.count")

def test_ddp_step_and_bank(root):
    ranks = spawn(ddp_cases, 2, root)
    # one DDP step over 2 x 4 images = one single-process step over the 8 images (loss and weights after the steps)
    single = run_fixed(root, 8, "baseline", 1, 1e-2)
    assert len(single["losses"]) == len(ranks[0]["baseline"]["losses"]) == 2
    for r in ranks:
        torch.testing.assert_close(torch.tensor(r["baseline"]["losses"]), torch.tensor(single["losses"]), rtol=1e-5, atol=1e-6)
        for k, v in single["sd"].items(): torch.testing.assert_close(r["baseline"]["sd"][k], v, rtol=1e-5, atol=1e-6, msg=k)
    # the bank after 4 steps (8 images each, the bank of 200 wrapped around): the same on both ranks, bit for bit ...
    for case in ("pixel", "nroi"):
        for k in BANK: assert torch.equal(ranks[0][case]["sd"][k], ranks[1][case]["sd"][k]), (case, k)
        assert int(ranks[0][case]["sd"]["fbr.bank.count"]) > 0
    # ... and, with the same images in the same order (lr 0: fixed embeddings), the bank one process builds
    single_bank = run_fixed(root, 8, "pixel", 2, 0.0)["sd"]
    assert int(single_bank["fbr.bank.count"]) == 200 and int(single_bank["fbr.bank.ptr"]) != 0   # it wrapped around
    for k in BANK: torch.testing.assert_close(ranks[0]["pixel"]["sd"][k], single_bank[k], rtol=1e-5, atol=1e-6)
    # the ranks' weights agree after real training steps too (gradients averaged, BatchNorm statistics averaged)
    for k, v in ranks[0]["nroi"]["sd"].items(): assert torch.equal(v, ranks[1]["nroi"]["sd"][k]), k

class KillAfter(Callback):
    order = 99
    def __init__(self, n): self.n = n
    def after_epoch(self):
        if self.epoch + 1 == self.n: raise KeyboardInterrupt("simulated kill")

def ckpt_cases(root, out):
    out = Path(out)
    tr, va = synthetic_dataset(root, "train"), synthetic_dataset(root, "val")
    kw = dict(epochs=2, bs=2, size=SIZE, lr=1e-3, freeze_blocks=4, progress=False, bank_size=300, n_negatives=16,
              deterministic=True, pretrained=False, seed=1)
    full = train_cam_model(tr, va, "fbr", ckpt_path=out / "full" / "m.pth", cbs=[DistributedCallback(seed=1)], **kw)
    try: train_cam_model(tr, va, "fbr", ckpt_path=out / "part" / "m.pth", cbs=[DistributedCallback(seed=1), KillAfter(1)], **kw)
    except KeyboardInterrupt: pass
    torch.distributed.barrier()
    part_epoch = load_checkpoint(out / "part" / "m.pth")["epoch"]
    resumed = train_cam_model(tr, va, "fbr", ckpt_path=out / "part" / "m.pth", resume=True, cbs=[DistributedCallback(seed=1)], **kw)
    return dict(full=full.model.state_dict(), resumed=resumed.model.state_dict(), part_epoch=part_epoch,
                history=resumed.history, rank=get_rank())

def test_ddp_checkpoint_and_resume(root, tmp_path):
    ranks = spawn(ckpt_cases, 2, root, str(tmp_path))
    # one checkpoint file per run (rank 0 writes it; no temporary files left)
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == ["m.pth"]
    assert sorted(p.name for p in (tmp_path / "part").iterdir()) == ["m.pth"]
    assert ranks[0]["part_epoch"] == 1                                    # killed after epoch 1 ...
    ck = load_checkpoint(tmp_path / "part" / "m.pth")
    assert ck["epoch"] == 2 and len(ck["history"]) == 2                   # ... resumed to the end
    for r in ranks:   # every rank: resumed = uninterrupted, and = the checkpoint on disk
        for k, v in r["full"].items():
            assert torch.equal(v, r["resumed"][k]), k
            assert torch.equal(v, ck["model"][k]), k
    assert int(ck["model"]["fbr.bank.count"]) > 0

def test_torchrun_cli(root, tmp_path):
    "The documented command: torchrun, 2 CPU processes, gloo; one checkpoint, one summary line."
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run([str(torchrun), "--nproc_per_node", "2", "--no-python", "fbr_train", "--root", str(root),
                        "--epochs", "1", "--size", str(SIZE), "--bs", "2", "--freeze_blocks", "4", "--bank_size", "500",
                        "--ckpt", str(tmp_path / "ck" / "m.pth")], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count("trained fbr for 1 epochs on 2 processes") == 1, r.stdout[-2000:]
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == ["m.pth"]
    assert load_checkpoint(tmp_path / "ck" / "m.pth")["epoch"] == 1
