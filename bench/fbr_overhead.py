"""FBR's training overhead (the paper's supplement Table A: +33% train time, +1 M parameters, same inference).

TAP-CAM, PPC-style and +FBR CAMNets with identical backbone weights take training steps on the same batch,
interleaved (`fbr_nb.tables.measure_overhead`); the medians are compared as ratios, with parameter counts,
the activation memory saved for backward and the inference pass (the same network: FBR's heads are not used).
`nbs/table_overhead.ipynb` writes the same measurement as a paper table. Usage:
    python bench/fbr_overhead.py [--size 128] [--batch 8] [--repeats 7] [--freeze 3] [--device cpu]
"""
import argparse
import torch
from fbr_nb.tables import measure_overhead


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=128); ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=7); ap.add_argument("--freeze", type=int, default=3)
    ap.add_argument("--classes", type=int, default=20); ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    ov = measure_overhead(("baseline", "ppc", "fbr"), n_classes=a.classes, size=a.size, batch=a.batch, repeats=a.repeats,
                          freeze_blocks=a.freeze, device=a.device)
    s, b, p, f = ov["_setup"], ov["baseline"], ov["ppc"], ov["fbr"]
    print(f"device {s['device']}, batch {a.batch} x {a.size}px, {a.classes} classes, {a.freeze} frozen blocks, "
          f"{a.repeats} repeats, {torch.get_num_threads()} torch threads")
    print(f"  train step  : TAP-CAM {b['step_ms']:7.1f} ms, PPC-style {p['step_ms']:7.1f} ms, +FBR {f['step_ms']:7.1f} ms"
          f"  -> FBR/PPC {f['step_ms'] / p['step_ms']:.2f}, FBR/TAP-CAM {f['step_ms'] / b['step_ms']:.2f}   (paper: 6.4 h / 4.8 h = 1.33)")
    print(f"  inference   : TAP-CAM {b['infer_ms']:7.1f} ms, +FBR {f['infer_ms']:7.1f} ms  -> ratio {f['infer_ms'] / b['infer_ms']:.2f}"
          "   (paper: 1.00)")
    print(f"  saved for backward: PPC-style {p['saved_mb']:.1f} MB, +FBR {f['saved_mb']:.1f} MB -> ratio "
          f"{f['saved_mb'] / p['saved_mb']:.2f}   (paper, GPU memory: 16.5 / 14.9 GB = 1.11)")
    print(f"  parameters  : TAP-CAM {b['params_m']:.2f} M, PPC-style {p['params_m']:.2f} M, +FBR {f['params_m']:.2f} M "
          f"(+{f['params_m'] - p['params_m']:.2f} M over PPC, training only; paper: +1.0 M)")


if __name__ == "__main__":
    main()
