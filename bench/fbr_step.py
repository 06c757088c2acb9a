"""Issue #11's step-time goals: a training step (forward, classification loss, FBR with FBRConfig(), backward, Adam) of
CAMNet with FBR against the same network without it, FBR's fixed-shape path (`fixed_shapes=True`, the default on a GPU)
against its path before issue #11 (`fixed_shapes=False`, the default on the CPU), and bf16 autocast against fp32; interleaved, medians over --repeats after warm-up; then one FBR step's forward and
backward under `no_host_sync()` (on CUDA with torch.cuda.set_sync_debug_mode("error") as well). The goals are GPU goals
(<= 1.15x for ResNet-50 at 448 px, <= 1.30x for EfficientNet-Lite2 at 320 px); on the CPU the default sizes are smaller
(to fit `make bench` on 2 cores) and the ratios informational. Usage:
    python bench/fbr_step.py [--device cpu|cuda] [--nets efficientnet_lite2:160:8,resnet50:224:4] [--repeats 20] [--freeze 3]
"""
import argparse
import torch
from fbr_nb.config import FBRConfig
from fbr_nb.train import CAMNet, cls_loss
from fbr_nb.loss import no_host_sync
from _common import device_arg, check_device, interleaved_times, median, paired_ratio, goal_line, log_results

GOALS = {"efficientnet_lite2": (1.30, 320), "resnet50": (1.15, 448)}
NAMES = {"efficientnet_lite2": "EfficientNet-Lite2", "resnet50": "ResNet-50"}


def make_nets(backbone, n_classes, freeze, dev, seed=0):
    torch.manual_seed(seed)
    base = CAMNet(n_classes, backbone, pretrained=False, freeze_blocks=freeze)
    fbr = CAMNet(n_classes, backbone, pretrained=False, fbr_cfg=FBRConfig(), freeze_blocks=freeze)
    fbr.load_state_dict({**fbr.state_dict(), **base.state_dict()})        # the same backbone and classifier weights
    fbr.fbr.fixed_shapes = True                                            # without host round trips
    ref = CAMNet(n_classes, backbone, pretrained=False, fbr_cfg=FBRConfig(), freeze_blocks=freeze)
    ref.load_state_dict(fbr.state_dict()); ref.fbr.fixed_shapes = False    # FBR as before issue #11
    return {k: n.to(dev).train() for k, n in dict(baseline=base, fbr_fixed=fbr, fbr_reference=ref).items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nets", default=None, help="backbone:size:batch,... (default: CPU efficientnet_lite2:160:8,resnet50:224:4; "
                    "CUDA efficientnet_lite2:320:8,resnet50:448:8)")
    ap.add_argument("--repeats", type=int, default=20); ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--freeze", type=int, default=None, help="frozen backbone blocks (default: 3 on the CPU, 0 on CUDA)")
    ap.add_argument("--classes", type=int, default=20)
    device_arg(ap)
    a = ap.parse_args()
    dev = check_device(a.device)
    gpu = dev.type == "cuda"
    nets_arg = a.nets or ("efficientnet_lite2:320:8,resnet50:448:8" if gpu else "efficientnet_lite2:160:8,resnet50:224:4")
    freeze = a.freeze if a.freeze is not None else (0 if gpu else 3)
    lines = []
    for spec in nets_arg.split(","):
        backbone, size, bs = spec.split(":"); size, bs = int(size), int(bs)
        nets = make_nets(backbone, a.classes, freeze, dev)
        g = torch.Generator().manual_seed(0)
        x = torch.rand(bs, 3, size, size, generator=g).to(dev)
        y = (torch.rand(bs, a.classes, generator=g) < 0.15).float(); y[:, 0] = 1; y = y.to(dev)
        opts = {k: torch.optim.Adam([p for p in n.parameters() if p.requires_grad], lr=1e-4) for k, n in nets.items()}
        gens = {k: torch.Generator(dev).manual_seed(0) for k in nets}

        def fwd_bwd(k, bf16=False):
            net = nets[k]
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
                pred = net(x)
                loss = cls_loss({**pred, "logits": pred["logits"].float()}, y)
                if net.fbr is not None: loss = loss + net.fbr(pred["feats"], pred["cams"], y, generator=gens[k], log=False)["total"]
            loss.backward()

        def step(k, bf16=False):
            def f():
                opts[k].zero_grad(); fwd_bwd(k, bf16); opts[k].step()
            return f
        default = "fbr_fixed" if gpu else "fbr_reference"                     # FBRLoss(fixed_shapes=None) on this device
        fns = {"baseline": step("baseline"), "fbr_fixed": step("fbr_fixed"), "fbr_reference": step("fbr_reference")}
        if backbone == "efficientnet_lite2": fns["fbr_bf16"] = step(default, bf16=True)
        ts = interleaved_times(fns, a.repeats, a.warmup, dev)
        ts["fbr"] = ts[default]
        t = {k: median(v) for k, v in ts.items()}
        r = lambda num, den: paired_ratio(ts[num], ts[den])
        goal, goal_size = GOALS.get(backbone, (None, None))
        tag = f"{NAMES.get(backbone, backbone)} @ {size} px, batch {bs}, {freeze} frozen blocks"
        lines.append(f"train step {tag}: baseline {t['baseline'] * 1e3:.1f} ms, +FBR fixed shapes {t['fbr_fixed'] * 1e3:.1f} ms, "
                     f"+FBR before #11 {t['fbr_reference'] * 1e3:.1f} ms" + (f", +FBR bf16 {t['fbr_bf16'] * 1e3:.1f} ms" if "fbr_bf16" in t else "")
                     + f" (medians of {a.repeats}, ratios: medians of per-round ratios; FBRLoss's default here: {'fixed shapes' if gpu else 'before #11'})")
        if goal is not None:
            applies = gpu and size == goal_size
            lines.append(goal_line(f"FBR step / baseline step (default path), {tag}", r("fbr", "baseline"),
                                   f"goal <= {goal:.2f} at {goal_size} px on GPU" + ("" if gpu else "; CPU: informational"),
                                   (r("fbr", "baseline") <= goal) if applies else None))
        lines.append(goal_line(f"FBR step, fixed shapes / before #11, {tag}", r("fbr_fixed", "fbr_reference"), "informational"))
        if "fbr_bf16" in t:
            lines.append(goal_line(f"bf16 / fp32 FBR step (default path), {tag}", r("fbr_bf16", "fbr"),
                                   "measured on the GPU when lent" + ("" if gpu else "; CPU: informational")))
        try:   # the backbone's own input check reads one value per step (baseline too): its forward runs outside
            net = nets["fbr_fixed"]; opts["fbr_fixed"].zero_grad()
            pred = net(x)
            with no_host_sync():
                out = net.fbr(pred["feats"], pred["cams"], y, generator=gens["fbr_fixed"], log=False)
                (cls_loss(pred, y) + out["total"]).backward()
            lines.append(f"no host sync in FBRLoss's forward + the step's backward ({tag}, FBRConfig()"
                         + (", CUDA sync-debug mode 'error'" if gpu else ", CPU dispatch check") + "): OK")
        except Exception as e:   # report, do not hide: the line says what synchronised
            lines.append(f"no host sync in FBRLoss's forward + the step's backward ({tag}): FAILED: {type(e).__name__}: {e}")
        del nets, opts
    log_results("bench/fbr_step.py", dev, f"CAMNet train step (forward, multi-label loss, FBRLoss(FBRConfig()) with log=False, backward, "
                f"Adam); random backbone weights; {a.classes} classes; warm-up {a.warmup}, {a.repeats} interleaved repeats"
                + ("" if gpu else "; CPU sizes are smaller than the goals' (make bench must fit ~10 min on 2 cores)"), lines, a.no_log)


if __name__ == "__main__":
    main()
