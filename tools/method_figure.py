"""Draw the front page's picture of FBR (docs/fbr_method.svg): what trains, which pixels go where, which loss reads what.

    python tools/method_figure.py            # -> docs/fbr_method.svg (text: reviewable in a diff, no binary in git)
"""
import sys
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

OUT = Path(__file__).resolve().parents[1] / "docs" / "fbr_method.svg"

# (x, y, w, h, text, colour); x/y of the lower-left corner on a 14 x 8 canvas
BOXES = {
    "img": (0.2, 3.0, 1.6, 1.0, "image\n(+ class labels)", "#eeeeee"),
    "bb": (2.4, 3.0, 1.8, 1.0, "backbone\nfeatures", "#dddddd"),
    "cls": (5.0, 5.3, 2.2, 1.0, "classifier, TAP\n→ CAMs", "#cfe2f3"),
    "fg": (5.0, 3.0, 2.2, 1.0, "FG head\n(pixel embeddings)", "#d9ead3"),
    "bg": (5.0, 0.7, 2.2, 1.0, "BG head\n(pixel embeddings)", "#fce5cd"),
    "proto": (8.0, 4.3, 2.4, 1.0, "class prototypes:\nCAM-weighted top-k", "#d9ead3"),
    "query": (8.0, 3.0, 2.4, 1.0, "queries: uncertain\nFG pixels (CAM < 0.4)", "#d9ead3"),
    "nroi": (8.0, 0.9, 2.8, 1.2, "background pixels\n→ K-means per image (K=8)\n→ NROIs → memory bank", "#fce5cd"),
    "fb": (11.4, 1.8, 2.2, 1.1, "FB contrast (τ 0.5)\nquery ↔ own prototype\nvs NROIs", "#f4cccc"),
    "if": (11.4, 3.9, 2.2, 1.1, "IF contrast (τ 0.1)\nquery ↔ own prototype\nvs other classes' pixels", "#f4cccc"),
    "aux": (8.0, -0.8, 2.8, 1.0, "auxiliary BCE:\nBG head segments\nbackground", "#f4cccc"),
    "cam_loss": (11.4, 5.5, 2.2, 0.8, "classification loss", "#cfe2f3"),
}
ARROWS = [("img", "bb"), ("bb", "cls"), ("bb", "fg"), ("bb", "bg"), ("cls", "cam_loss"), ("fg", "proto"), ("fg", "query"),
          ("bg", "nroi"), ("query", "fb"), ("proto", "fb"), ("nroi", "fb"), ("query", "if"), ("proto", "if"), ("bg", "aux")]
DASHED = [("cls", "proto"), ("cls", "query"), ("cls", "nroi")]     # the CAMs choose the pixels (no gradient)


def _centre(b): x, y, w, h = BOXES[b][:4]; return x + w / 2, y + h / 2


def _edge(a, b):
    "The points where the segment between two boxes' centres leaves box a and enters box b."
    (x0, y0), (x1, y1) = _centre(a), _centre(b)
    def clip(box, sx, sy, tx, ty):
        x, y, w, h = BOXES[box][:4]; dx, dy = tx - sx, ty - sy
        ts = [t for t in ((w / 2) / abs(dx) if dx else 9, (h / 2) / abs(dy) if dy else 9)]
        t = min(ts); return sx + dx * t, sy + dy * t
    return clip(a, x0, y0, x1, y1), clip(b, x1, y1, x0, y0)


def draw(out=OUT):
    plt.rcParams["svg.hashsalt"] = "fbr_nb"            # stable ids: the same SVG every run
    plt.rcParams["svg.fonttype"] = "none"              # text stays text
    fig, ax = plt.subplots(figsize=(13.6, 7.0))
    ax.set_xlim(0, 14); ax.set_ylim(-1.0, 7.2); ax.axis("off")
    for x, y, w, h, text, colour in BOXES.values():
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05", fc=colour, ec="#555555", lw=1))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=9.5)
    for pairs, style in ((ARROWS, "-"), (DASHED, "--")):
        for a, b in pairs:
            p, q = _edge(a, b)
            ax.add_patch(FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=11, lw=1, ls=style, color="#444444"))
    ax.text(0.2, 6.9, "FBR at training time (heads dropped at inference). Solid: features flow; dashed: the CAMs choose "
            "which pixels are prototypes, queries and background.", fontsize=10)
    fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return out


if __name__ == "__main__":
    print(draw(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
