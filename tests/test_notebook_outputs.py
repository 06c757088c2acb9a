"""The method notebooks are committed executed (`make nbs-outputs`): every one shows a figure or table, none shows an
error, outputs sit only in cells that nbdev_test runs. Clean (nbdev_clean) and code vs package: tests/test_packaging.py
(test_notebooks_are_clean, test_exported_modules_match_notebooks)."""
import json, re, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from execute_nbs import method_notebooks   # noqa: E402

METHOD = method_notebooks(ROOT / "nbs")
READER_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "text/html", "text/markdown")   # a figure or a table


def _code_cells(nb): return [c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
def _outputs(nb): return [o for c in _code_cells(nb) for o in c.get("outputs", [])]


def test_method_notebooks_found():
    assert len(METHOD) >= 23 and all(p.name[:2].isdigit() for p in METHOD), METHOD


@pytest.mark.parametrize("nb", METHOD, ids=lambda p: p.stem)
def test_method_notebook_shows_a_figure_or_table(nb):
    outs = _outputs(nb)
    assert outs, f"{nb.name} has no outputs: run make nbs-outputs"
    assert any(m in o.get("data", {}) for o in outs for m in READER_MIMES), \
        f"{nb.name} shows no figure or table (image or HTML/Markdown output): add one, then make nbs-outputs"


@pytest.mark.parametrize("nb", METHOD, ids=lambda p: p.stem)
def test_method_notebook_outputs_have_no_errors(nb):
    for o in _outputs(nb):
        assert o["output_type"] != "error", f"{nb.name}: an error output ({o.get('ename')}): fix it, make nbs-outputs"
        if o["output_type"] == "stream":
            text = "".join(o["text"])
            assert "Traceback (most recent call last)" not in text, f"{nb.name}: a traceback in its {o['name']} output"
        assert str(ROOT) not in json.dumps(o), f"{nb.name}: an output names this checkout's absolute path"


@pytest.mark.parametrize("nb", METHOD, ids=lambda p: p.stem)
def test_outputs_only_where_nbdev_test_runs(nb):
    "Outputs come from the default nbdev_test run: cells flagged slow/experiment (or eval: false) have none."
    from nbdev.config import get_config
    flags = get_config(path=ROOT).tst_flags.split()
    for c in _code_cells(nb):
        src = "".join(c["source"])
        flagged = re.search(r"^#\|\s*(" + "|".join(flags) + r")\b", src, re.M) or re.search(r"^#\|\s*eval:\s*false", src, re.M | re.I)
        if flagged: assert not c.get("outputs"), f"{nb.name}: a skipped cell has outputs: {src[:80]!r}"
