"""Execute the method notebooks (nbs/NN*.ipynb) in place, running the cells `nbdev_test` runs, then `nbdev_clean` them.

The committed notebooks then show their outputs (figures as PNG, printed values, tables) in a repository browser and
in `make docs`. Same cell selection as nbdev_test (execnb's CaptureShell; cells flagged with settings.ini `tst_flags`,
`#| eval: false` cells and `nbdev_export()` calls are skipped and keep no output), each notebook in a fresh process, on
CPU with one thread. The papermill notebooks (no leading number) are never touched: their outputs go to paper_tables/.

    python tools/execute_nbs.py                  # every method notebook, 2 at a time
    python tools/execute_nbs.py nbs/06_fb_contrast.ipynb --jobs 1
"""
import argparse, os, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DPI = 72   # inline figures at screen size, PNG (not retina): readable, and nbs/ stays small
ENV = dict(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0", CUDA_VISIBLE_DEVICES="", MPLBACKEND="Agg")


def method_notebooks(nbs=ROOT / "nbs"):
    "The method notebooks, in order: every `nbs/NN*.ipynb` (the papermill notebooks have no leading number)."
    return sorted(p for p in Path(nbs).glob("[0-9]*.ipynb"))


def _short_warning(message, category, filename, lineno, line=None):
    "A warning as one line, its file relative to sys.path (no machine-specific venv path in the outputs)."
    for p in sorted((p.rstrip("/") for p in sys.path if p), key=len, reverse=True):
        if filename.startswith(p + "/"): filename = filename[len(p) + 1:]; break
    return f"{filename}:{lineno}: {category.__name__}: {message}\n"


def execute_one(path, flags=""):
    "Run `path`'s cells as nbdev_test does (skipping `tst_flags` cells not in `flags`), store the outputs, clean it."
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    from fastcore.basics import AttrDict
    from fastcore.xtras import working_directory
    from nbdev.config import get_config
    from nbdev.process import extract_directives
    from nbdev.clean import nbdev_clean
    path = Path(path).resolve()
    sys.path.insert(0, str(ROOT))   # as nbdev_test's basepath: the package of this checkout
    skip = set(get_config().tst_flags.split()) - set(flags.split())
    nb = read_nb(path)

    def _no_eval(cell):   # the predicate of nbdev.test.test_nb, on the unprocessed cell
        if cell.cell_type != "code": return True
        if "nbdev_export" + "(" in cell.source: return True
        d = extract_directives(AttrDict(source=cell.source), remove=False)
        if d.get("eval:", [""])[0].lower() == "false": return True
        return bool(skip & d.keys())

    for c in nb.cells:   # a skipped cell must not keep an output from an earlier run
        if c.cell_type == "code": c.outputs, c.execution_count = [], None
    os.environ["IN_TEST"] = "1"   # as nbdev_test sets it
    shell = CaptureShell(path, mpl_format="png")
    import matplotlib, warnings
    matplotlib.rcParams["figure.dpi"] = DPI
    warnings.formatwarning = _short_warning
    with working_directory(path.parent):
        shell.run_all(nb, exc_stop=True, preproc=_no_eval)   # raises on the first error: nothing is written
    write_nb(nb, path)
    nbdev_clean(fname=str(path))


def _run(path, flags):
    t = time.time()
    r = subprocess.run([sys.executable, __file__, "--one", str(path), "--flags", flags], cwd=ROOT,
                       env={**os.environ, **ENV}, capture_output=True, text=True)
    return path, r, time.time() - t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", help="notebooks (default: every nbs/NN*.ipynb)")
    ap.add_argument("--jobs", type=int, default=2, help="notebooks executed at once")
    ap.add_argument("--flags", default="", help="tst_flags to run anyway (default: none, as nbdev_test)")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one: return execute_one(a.one, a.flags)
    paths = [Path(p) for p in a.paths] or method_notebooks()
    for p in paths:
        if not p.exists(): sys.exit(f"error: no notebook {p}")
        if not p.name[0].isdigit(): sys.exit(f"error: {p} is a papermill notebook; its outputs stay out of nbs/")
    t0, failed = time.time(), []
    with ThreadPoolExecutor(a.jobs) as ex:
        for p, r, t in ex.map(lambda p: _run(p, a.flags), paths):
            print(f"{'ok' if r.returncode == 0 else 'FAILED'}: {p.name} ({t:.0f} s)", flush=True)
            if r.returncode: failed.append(p.name); sys.stderr.write(r.stderr[-4000:] + "\n")
    print(f"{len(paths) - len(failed)}/{len(paths)} notebooks executed in {time.time() - t0:.0f} s")
    if failed: sys.exit(f"error: failed (left unchanged): {' '.join(failed)}")


if __name__ == "__main__": main()
