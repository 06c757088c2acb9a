"""FBR's training overhead (the paper's supplement Table A: +33% train time, +1 M parameters, same inference).

Baseline (TAP-CAM) and +FBR CAMNets with identical backbone weights take training steps on the same batch,
interleaved, and the median step times are compared; so are parameter counts and the inference pass (which is
the same network: FBR's heads are not used there). Usage:
    python bench/fbr_overhead.py [--size 128] [--batch 8] [--repeats 7] [--freeze 3] [--device cpu]
"""
import argparse, statistics, time
import torch
from fbr_nb.config import FBRConfig
from fbr_nb.train import CAMNet, cls_loss


def step(net, x, y, opt):
    opt.zero_grad()
    pred = net(x)
    loss = cls_loss(pred, y)
    if net.fbr is not None: loss = loss + net.fbr(pred["feats"], pred["cams"], y)["total"]
    loss.backward(); opt.step()


def sync(dev):
    if dev.type == "cuda": torch.cuda.synchronize()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=128); ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=7); ap.add_argument("--freeze", type=int, default=3)
    ap.add_argument("--classes", type=int, default=20); ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    dev = torch.device(a.device)
    torch.manual_seed(0)
    base = CAMNet(a.classes, freeze_blocks=a.freeze).to(dev).train()
    fbr = CAMNet(a.classes, freeze_blocks=a.freeze, fbr_cfg=FBRConfig()).to(dev).train()
    fbr.load_state_dict({**fbr.state_dict(), **base.state_dict()})
    x = torch.rand(a.batch, 3, a.size, a.size, device=dev)
    y = (torch.rand(a.batch, a.classes, device=dev) < 0.15).float(); y[:, 0] = 1
    opts = {n: torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=1e-3) for n, m in (("base", base), ("fbr", fbr))}
    nets = {"base": base, "fbr": fbr}
    for n in nets: step(nets[n], x, y, opts[n])            # warm-up (and fills FBR's bank)
    times = {n: [] for n in nets}
    for _ in range(a.repeats):
        for n in nets:                                      # interleaved, so drift hits both alike
            sync(dev); t = time.perf_counter(); step(nets[n], x, y, opts[n]); sync(dev); times[n].append(time.perf_counter() - t)
    inf = {n: [] for n in nets}
    with torch.no_grad():
        for _ in range(a.repeats):
            for n, m in nets.items():
                m.eval(); sync(dev); t = time.perf_counter(); m.cam_fn(x); sync(dev); inf[n].append(time.perf_counter() - t); m.train()
    mb, mf = statistics.median(times["base"]), statistics.median(times["fbr"])
    ib, i_f = statistics.median(inf["base"]), statistics.median(inf["fbr"])
    pb = sum(p.numel() for p in base.parameters()); pf = sum(p.numel() for p in fbr.parameters())
    print(f"device {dev}, batch {a.batch} x {a.size}px, {a.classes} classes, {a.freeze} frozen blocks, {a.repeats} repeats, "
          f"{torch.get_num_threads()} torch threads")
    print(f"  train step  : baseline {mb * 1e3:7.1f} ms, +FBR {mf * 1e3:7.1f} ms  -> ratio {mf / mb:.2f}   (paper: 6.4 h / 4.8 h = 1.33)")
    print(f"  inference   : baseline {ib * 1e3:7.1f} ms, +FBR {i_f * 1e3:7.1f} ms  -> ratio {i_f / ib:.2f}   (paper: 1.00)")
    print(f"  parameters  : baseline {pb / 1e6:.2f} M, +FBR {pf / 1e6:.2f} M (+{(pf - pb) / 1e6:.2f} M, training only; paper: +1.0 M)")


if __name__ == "__main__":
    main()
