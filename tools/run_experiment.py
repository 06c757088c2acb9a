"""Run an experiment notebook with papermill and keep its executed copy, with its results, in paper_tables/executed/.

`nbs/` keeps the clean sources papermill runs; `paper_tables/executed/NAME.ipynb` is the latest executed copy of
`nbs/NAME.ipynb` (figures, printed tables, the parameters), stamped at the top with the commit it ran at (and whether
the checkout had uncommitted changes), the date, the machine and the device. Figures are kept small: the kernel draws
them at DPI dots per inch, and any PNG wider than MAX_WIDTH pixels is scaled down. The copy replaces the previous one
only once the run has succeeded (atomic write); a failed run leaves its partial copy in a temporary folder and says
where. All executed copies together must stay within BUDGET_MB (tests/test_executed.py).

    python tools/run_experiment.py table_overhead                       # its defaults
    python tools/run_experiment.py ablation_k -p K 4 -y "seeds: [0]"    # papermill's -p / -y / -f arguments
    python tools/run_experiment.py --as table_segmentation_coco table_segmentation -p data coco ...   # a second setting
    python tools/run_experiment.py --adopt /work/runs/x/seam_msrc.ipynb --commit 1a2b3c4 --machine "1 x H200"

`--as NAME_SUFFIX` files the copy of a notebook run in another setting (Table IV is `table_segmentation` on COCO) under its
own name, `<notebook>_<suffix>`, next to the default-settings copy; its stamp still names the `nbs/` source.

`--adopt` takes an executed copy made elsewhere (papermill's output of an `nbs/` notebook, at the commit `--commit`),
stamps it the same way (date: papermill's end time, else the file's) and files it under its notebook's name.
"""
import argparse, base64, datetime as dt, io, json, os, platform, shlex, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "paper_tables" / "executed"
DPI = 72           # inline figures at screen size
MAX_WIDTH = 1200   # px; wider PNGs are scaled down
BUDGET_MB = 10     # all executed copies together
STAMP_TAG = "executed-stamp"   # the stamp cell's tag: restamping replaces it


def _git(*args, cwd=ROOT):
    r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


OUTPUTS = ("paper_tables/results", "paper_tables/executed", "paper_tables/README.md")   # what runs write, not what they run


def checkout_commit(cwd=ROOT) -> tuple:
    """(commit hash of HEAD, True if tracked files differ from it), or (None, None) outside a git checkout. The tables'
    outputs (`OUTPUTS`) do not count: `make tables` rewrites them while its later notebooks are still to run."""
    head = _git("rev-parse", "HEAD", cwd=cwd)
    if head is None: return None, None
    top = _git("rev-parse", "--show-toplevel", cwd=cwd)
    changed = _git("-C", top, "status", "--porcelain", "--untracked-files=no", "--", ".",
                   *(f":(exclude){o}" for o in OUTPUTS), cwd=cwd)
    return head, bool(changed)


def resolve_commit(ref: str, cwd=ROOT) -> str:
    "The full hash of `ref`; a one-line error if this repository does not know it."
    full = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=cwd)
    if not full: sys.exit(f"error: --commit {ref}: no such commit in {cwd} (fetch the branch it was run at first)")
    return full


def machine() -> str:
    "CPU, core count, OS, Python, torch and the accelerator torch sees (none, or each GPU's name)."
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration): pass
    parts = [f"{cpu}, {os.cpu_count()} cores", f"{platform.system()} {platform.release()}",
             f"Python {platform.python_version()}"]
    try:
        import torch
        gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
        parts.append(f"torch {torch.__version__}")
        parts.append("accelerator: " + (", ".join(gpus) if gpus else "none (CPU)"))
    except ImportError: pass
    threads = os.environ.get("OMP_NUM_THREADS")
    if threads: parts.append(f"OMP_NUM_THREADS={threads}")
    return "; ".join(parts)


def shrink_images(nb, max_width=MAX_WIDTH) -> int:
    "Scale every PNG output wider than `max_width` down to it (aspect kept); returns how many were scaled."
    from PIL import Image
    n = 0
    for c in nb.cells:
        for o in c.get("outputs", []):
            data = o.get("data", {})
            if "image/png" not in data: continue
            im = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
            if im.width <= max_width: continue
            im = im.resize((max_width, round(im.height * max_width / im.width)), Image.LANCZOS)
            buf = io.BytesIO(); im.save(buf, "PNG", optimize=True)
            data["image/png"] = base64.b64encode(buf.getvalue()).decode() + "\n"
            o.get("metadata", {}).pop("image/png", None)    # a stale width/height hint
            n += 1
    return n


def _params(nb) -> dict:
    return dict(nb.metadata.get("papermill", {}).get("parameters") or {})


def stamp(nb, name: str, commit: str | None, dirty: bool | None, date: str, where: str, command: str | None = None):
    "Put the provenance at the top of `nb` (a Markdown cell, replacing an earlier stamp) and in `nb.metadata.fbr_nb`."
    import nbformat
    params = _params(nb)
    nb.metadata["fbr_nb"] = dict(source=f"nbs/{name}.ipynb", commit=commit, dirty=dirty, date=date, machine=where,
                                 parameters=params, command=command)
    short = "unknown" if not commit else commit[:12] + (" + uncommitted changes" if dirty else "")
    ptext = ", ".join(f"`{k} = {json.dumps(v)}`" for k, v in params.items()) or "none: the defaults of the `parameters` cell"
    lines = [f"**Executed copy** of [`nbs/{name}.ipynb`](../../nbs/{name}.ipynb) with its results; `nbs/` keeps the clean source.", "",
             "| | |", "|---|---|", f"| commit | `{short}` |", f"| date | {date} |", f"| machine | {where} |",
             f"| parameters set | {ptext} |"]
    if command: lines.append(f"| command | `{command}` |")
    cell = nbformat.v4.new_markdown_cell("\n".join(lines), metadata={"tags": [STAMP_TAG]})
    nb.cells = [cell] + [c for c in nb.cells if STAMP_TAG not in c.get("metadata", {}).get("tags", [])]
    return nb


def file_copy(nb, name: str, out=OUT) -> Path:
    "Write `nb` to `out/NAME.ipynb` atomically (the previous copy stays until the new one is complete)."
    import nbformat
    from fbr_nb.config import atomic_open
    dest = Path(out) / f"{name}.ipynb"
    with atomic_open(dest, "w", encoding="utf-8") as f: nbformat.write(nb, f)
    return dest


def total_mb(out=OUT) -> float:
    return sum(p.stat().st_size for p in Path(out).glob("*.ipynb")) / 2**20


def _utc(ts: float) -> str: return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def copy_name(name: str, copy_as: str | None) -> str:
    "The executed copy's file stem: `name`, or `copy_as` when it names a second setting of it (`<name>_<suffix>`)."
    if copy_as is None or copy_as == name: return name
    if not (copy_as.startswith(name + "_") and len(copy_as) > len(name) + 1 and copy_as.replace("_", "").isalnum()):
        sys.exit(f"error: --as {copy_as}: must be {name}_<suffix> (letters, digits, _), so the copy names its source")
    return copy_as


def run(name: str, pm_args: list, nbs=ROOT / "nbs", out=OUT, dpi=DPI, max_width=MAX_WIDTH, kernel="fbr_nb",
        copy_as: str | None = None) -> Path:
    """papermill nbs/NAME.ipynb (--cwd nbs, -k kernel, figures at `dpi`), then stamp, shrink and file the executed copy
    (as `copy_as`.ipynb when given: `copy_name`)."""
    import nbformat
    src = Path(nbs) / f"{name}.ipynb"
    if not src.exists(): sys.exit(f"error: no notebook {src}")
    dest_name = copy_name(name, copy_as)
    commit, dirty = checkout_commit(Path(nbs))
    tmpdir = Path(tempfile.mkdtemp(prefix=f"run_experiment_{name}_"))
    ipydir = tmpdir / "ipython"; (ipydir / "profile_default" / "startup").mkdir(parents=True)
    (ipydir / "profile_default" / "startup" / "00-dpi.py").write_text(   # figures at `dpi`, whatever the notebook's rc
        f"import matplotlib\nmatplotlib.rcParams['figure.dpi'] = {dpi}\n"
        f"get_ipython().run_line_magic('config', \"InlineBackend.rc = {{'figure.dpi': {dpi}}}\")\n")
    env = {**os.environ, "IPYTHONDIR": str(ipydir), "MPLBACKEND": "module://matplotlib_inline.backend_inline",
           "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}   # this checkout's fbr_nb
    executed = tmpdir / f"{name}.ipynb"
    cmd = [sys.executable, "-m", "papermill", "-k", kernel, "--cwd", str(Path(nbs).resolve()), str(src), str(executed), *pm_args]
    t0 = time.time()
    r = subprocess.run(cmd, env=env)
    if r.returncode != 0:
        sys.exit(f"error: papermill failed on {src} (exit {r.returncode}); its partial copy: {executed}; "
                 f"{Path(out) / (dest_name + '.ipynb')} is unchanged")
    nb = nbformat.read(executed, as_version=4)
    shrink_images(nb, max_width)
    own = [] if dest_name == name else ["--as", dest_name]
    command = "python tools/run_experiment.py " + " ".join(shlex.quote(a) for a in [*own, name, *pm_args])
    stamp(nb, name, commit, dirty, f"{_utc(t0)} (ran {time.time() - t0:.0f} s)", machine(), command)
    dest = file_copy(nb, dest_name, out)
    shutil.rmtree(tmpdir, ignore_errors=True)
    return dest


def adopt(path, commit: str, name: str | None = None, where: str | None = None, out=OUT, nbs=ROOT / "nbs",
          max_width=MAX_WIDTH) -> Path:
    "Stamp and file an executed copy made elsewhere (papermill's output of `nbs/NAME.ipynb` at `commit`)."
    import nbformat
    path = Path(path)
    if not path.exists(): sys.exit(f"error: --adopt {path}: no such file")
    try: nb = nbformat.read(path, as_version=4)
    except Exception as e: sys.exit(f"error: --adopt {path}: not a notebook ({e})")
    pm = nb.metadata.get("papermill", {})
    if pm.get("exception"): sys.exit(f"error: --adopt {path}: papermill recorded an exception in it (a failed run)")
    name = name or Path(pm.get("input_path") or path).stem
    if not (Path(nbs) / f"{name}.ipynb").exists():
        sys.exit(f"error: --adopt {path}: no nbs/{name}.ipynb it was run from (name it with --name)")
    full = resolve_commit(commit, Path(nbs))
    end = pm.get("end_time")
    date = (end[:16].replace("T", " ") + " UTC") if end else _utc(path.stat().st_mtime)
    shrink_images(nb, max_width)
    stamp(nb, name, full, None, date, where or f"not recorded (adopted from {path.name})",
          f"adopted: python tools/run_experiment.py --adopt {path} --commit {commit}")
    return file_copy(nb, name, out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="Every argument after NAME goes to papermill (-p NAME VALUE, -y YAML, -f FILE).")
    ap.add_argument("name", nargs="?", help="experiment notebook in nbs/, without .ipynb (table_overhead, seam_msrc, ...)")
    ap.add_argument("--adopt", metavar="PATH", help="file an executed copy made elsewhere instead of running")
    ap.add_argument("--commit", help="with --adopt: the commit it ran at (required)")
    ap.add_argument("--machine", help="with --adopt: the machine / device it ran on, as text")
    ap.add_argument("--name", dest="adopt_name", help="with --adopt: the nbs/ notebook it was run from (default: papermill's record)")
    ap.add_argument("--as", dest="copy_as", metavar="COPY", help="file the executed copy as COPY.ipynb, COPY = NAME_<suffix> "
                    "(a second setting of NAME, e.g. table_segmentation_coco); default: NAME.ipynb")
    ap.add_argument("--out", default=str(OUT), help="folder of the executed copies (default: paper_tables/executed)")
    ap.add_argument("--nbs", default=str(ROOT / "nbs"), help=argparse.SUPPRESS)
    ap.add_argument("--dpi", type=int, default=DPI, help=f"figure dpi (default {DPI})")
    argv = list(sys.argv[1:] if argv is None else argv)
    own = {"--adopt", "--commit", "--machine", "--name", "--as", "--out", "--nbs", "--dpi"}   # ours come before NAME; the rest is papermill's
    i = 0
    while i < len(argv) and argv[i] in own | {"-h", "--help"}: i += 1 if argv[i] in ("-h", "--help") else 2
    a = ap.parse_args(argv[:i + 1] if i < len(argv) else argv)
    rest = argv[i + 1:]
    if a.adopt:
        if rest: ap.error(f"--adopt takes no papermill arguments: {rest}")
        if a.copy_as: ap.error("--as is for runs; an adopted copy is filed under its notebook's name")
        if not a.commit: ap.error("--adopt needs --commit HASH (the commit the notebook ran at)")
        dest = adopt(a.adopt, a.commit, a.adopt_name or a.name, a.machine, a.out, a.nbs)
    else:
        if not a.name: ap.error("give the experiment notebook's NAME (or --adopt PATH --commit HASH)")
        if a.name.startswith("-"): ap.error(f"NAME comes first: {a.name}")
        dest = run(a.name, rest, a.nbs, a.out, a.dpi, copy_as=a.copy_as)
    mb = total_mb(a.out)
    print(f"{dest} ({dest.stat().st_size / 2**20:.2f} MB); all executed copies: {mb:.1f} MB of {BUDGET_MB} MB"
          + ("  OVER BUDGET: lower the figures' size or dpi" if mb > BUDGET_MB else ""))


if __name__ == "__main__": main()
