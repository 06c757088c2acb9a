"""The method notebooks' tests, run against the *installed library* instead of the notebook's own copy of the code.

`nbdev_test` executes a notebook top to bottom, so its tests exercise the functions defined in the notebook's
`#| export` cells. What users import is `fbr_nb.*`. Here every export cell is replaced by the namespace of the
exported module, and the remaining cells (the tests) run against it. This catches an export that drifted from
its notebook, and it is the test suite the mutation tester (`make mutate`, setup.cfg [mutmut]) runs: a mutant of
`fbr_nb/cam.py` is only visible to tests that call `fbr_nb.cam`'s functions.

Cells flagged `#| slow` or `#| experiment` (settings.ini `tst_flags`) and `#| eval: false` are skipped, as in
plain `nbdev_test`. While mutmut runs a mutant (`MUTANT_UNDER_TEST` is set), two things are left out to keep a
mutant to seconds: the real-photo examples that load the pretrained backbone (from the first such cell to the end
of the notebook: they come last and assert little), and
12_train, except for mutants of `fbr_nb.train` itself. The score is measured with exactly this selection.
"""
import importlib, json, os, re
from pathlib import Path
import pytest

NBS = Path(__file__).resolve().parents[1] / "nbs"
# The method core (mutated by `make mutate`) and the training notebook (FBRCallback, CAMNet wiring).
CORE_NBS = ["00_config", "01_cam", "02_prototypes", "03_queries", "04_nroi", "05_bank", "06_fb_contrast",
            "07_active_sampling", "08_if_contrast", "09_loss"]
# 12_train's cells before its first whole training run (presets, model, the FBR callback's gradient path): the
# part the mutation tester runs for every mutant that training touches (the whole notebook takes minutes there).
TRAIN_FAST_STOP = "**Training runs and the loss falls.**"
SKIP_FLAGS = {"slow", "experiment"}
_DIRECTIVE = re.compile(r"^\s*#\|\s*(.*)$")
_PRETRAINED_EXAMPLE = re.compile(r"efficientnet_lite2\(|Backbone\(\"efficientnet")


def mutant_under_test() -> str:
    "The mutant mutmut is running now ('' outside a mutant run; mutmut's stats pass uses no fbr_nb name)."
    m = os.environ.get("MUTANT_UNDER_TEST", "")
    return m if m.startswith("fbr_nb.") else ""


def _directives(src: str) -> list[str]:
    return [m.group(1).strip() for line in src.splitlines() if (m := _DIRECTIVE.match(line))]


def notebook_cells(path: Path, stop: str | None = None):
    "(kind, source) per code cell, up to a cell containing `stop`: kind is 'module' (an export cell), 'skip', or 'run'."
    nb = json.loads(Path(path).read_text())
    module, example = None, False
    for c in nb["cells"]:
        if stop is not None and stop in "".join(c["source"]): return
        if c["cell_type"] != "code": continue
        src = "".join(c["source"])
        ds = _directives(src)
        words = [d.split()[0].rstrip(":") if d.split() else "" for d in ds]
        for d in ds:
            if d.startswith("default_exp"): module = d.split()[1]
        if "default_exp" in words: continue
        if words and words[0] in ("export", "exports"):
            if module is None: raise ValueError(f"{path.name}: an export cell before `#| default_exp`")
            yield "module", f"fbr_nb.{module}"
        elif SKIP_FLAGS & set(words) or any(d.replace(" ", "") == "eval:false" for d in ds):
            yield "skip", src
        elif mutant_under_test() and (example or _PRETRAINED_EXAMPLE.search(src)):
            example = True
            yield "skip", src
        else:
            yield "run", src


def run_against_library(path: Path, stop: str | None = None) -> dict:
    "Execute the notebook's non-export cells in a namespace that holds the exported module's names."
    ns: dict = {"__name__": "__main__"}
    cwd = os.getcwd()
    os.chdir(path.parent)         # notebooks run from nbs/, as under nbdev_test
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        for i, (kind, src) in enumerate(notebook_cells(path, stop)):
            if kind == "module": ns.update(vars(importlib.import_module(src)))
            elif kind == "run": exec(compile(src, f"{path.name}[code cell {i}]", "exec"), ns)
            plt.close("all")
    finally:
        os.chdir(cwd)
    return ns


def _check_library_namespace(ns, name):
    # the test really ran against the package: a function of the module is the module's own object
    mod = importlib.import_module(f"fbr_nb.{_default_exp(NBS / f'{name}.ipynb')}")
    public = [n for n in getattr(mod, "__all__", []) if callable(getattr(mod, n))]
    assert public and all(ns[n] is getattr(mod, n) for n in public), name


@pytest.mark.parametrize("name", CORE_NBS)
def test_core_notebook(name):
    _check_library_namespace(run_against_library(NBS / f"{name}.ipynb"), name)


def test_train_notebook_fast():
    m = mutant_under_test()
    if m and not m.startswith("fbr_nb.train."): pytest.skip("mutation run: 12_train runs for fbr_nb.train's mutants only")
    _check_library_namespace(run_against_library(NBS / "12_train.ipynb", stop=TRAIN_FAST_STOP), "12_train")


def test_train_notebook_full():
    _check_library_namespace(run_against_library(NBS / "12_train.ipynb"), "12_train")


def _default_exp(path: Path) -> str:
    for kind, src in notebook_cells(path):
        if kind == "module": return src.split(".", 1)[1]
    raise ValueError(f"{path.name} exports nothing")


def test_harness_replaces_export_cells(tmp_path):
    "The harness must not run export cells (their code would shadow the library) and must skip flagged cells."
    nb = {"cells": [
        {"cell_type": "code", "source": ["#| default_exp cam"], "metadata": {}},
        {"cell_type": "code", "source": ["#| export\n", "def tap(*a): raise RuntimeError('notebook copy ran')"], "metadata": {}},
        {"cell_type": "code", "source": ["#| slow\n", "raise RuntimeError('slow cell ran')"], "metadata": {}},
        {"cell_type": "code", "source": ["import torch\n", "x = tap(torch.ones(1, 1, 2, 2))"], "metadata": {}},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    p = tmp_path / "t.ipynb"; p.write_text(json.dumps(nb))
    ns = run_against_library(p)
    import fbr_nb.cam
    assert ns["tap"] is fbr_nb.cam.tap and float(ns["x"]) == 1.0
