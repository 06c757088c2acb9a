"""table_seeds, table_segmentation and table_per_class ask the run cache for the same runs: their shared parameters have the same
defaults, they call `run_variants` with the same settings, and the rows table_segmentation trains on have the same
run keys as table_seeds' rows (so `make tables` trains each CAM network and affinity network once)."""
import ast, json
import pytest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cells(nb):
    return json.loads((ROOT / "nbs" / f"{nb}.ipynb").read_text())["cells"]


def _params(nb) -> dict:
    cell = next(c for c in _cells(nb) if "parameters" in c.get("metadata", {}).get("tags", []))
    ns = {}; exec("".join(cell["source"]), ns)
    return {k: v for k, v in ns.items() if not k.startswith("__")}


def _run_variants_call(nb) -> dict:
    "The keywords of the notebook's `run_variants(...)` call, as source text."
    for c in _cells(nb):
        if c["cell_type"] != "code": continue
        for node in ast.walk(ast.parse("".join(l for l in c["source"] if not l.startswith("#|")))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "run_variants":
                return {k.arg: ast.unparse(k.value) for k in node.keywords}
    raise AssertionError(f"{nb}: no run_variants call")


SHARED = ("data", "data_root", "n_train", "n_val", "img_size", "seeds", "epochs", "size", "bs", "lr", "freeze_blocks",
          "backbone", "weights", "scales", "device", "refine", "aff_epochs", "cache")


OTHERS = ("table_segmentation", "table_per_class")     # notebooks that read table_seeds' runs


@pytest.mark.parametrize("nb", OTHERS)
def test_shared_parameters_have_the_same_defaults(nb):
    a, b = _params("table_seeds"), _params(nb)
    diff = {k: (a.get(k, "<missing>"), b.get(k, "<missing>")) for k in SHARED if a.get(k, "<missing>") != b.get(k, "<missing>")}
    assert not diff, f"table_seeds vs {nb} defaults differ: {diff}"
    assert b["refine"] is True


def test_segmentation_methods_are_table_rows():
    assert set(_params("table_segmentation")["methods"]) <= {"PPC-style", "FBR (PPC-based)", "TAP-CAM (no contrast)"}


@pytest.mark.parametrize("nb", OTHERS)
def test_run_variants_called_alike(nb):
    a, b = _run_variants_call("table_seeds"), _run_variants_call(nb)
    assert a == b, f"run_variants keywords differ: {set(a.items()) ^ set(b.items())}"


def test_segmentation_rows_have_table_seeds_run_keys():
    from fbr_nb.tables import table_variants, run_key
    p = _params("table_segmentation")

    class DS(list):
        names = property(lambda self: list(self)); classes = ["cat", "dog"]
    tr, va = DS(f"tr{i}" for i in range(5)), DS(f"va{i}" for i in range(3))
    kw = dict(epochs=p["epochs"], size=p["size"], bs=p["bs"], lr=p["lr"], freeze_blocks=p["freeze_blocks"], backbone=p["backbone"],
              weights=p["weights"], scales=tuple(p["scales"]), crf=True, device=p["device"], progress=False)
    args = (p["refine"], p["aff_epochs"], p["size"], p["bs"], p["freeze_blocks"])
    seeds_rows, seg_rows = table_variants(*args), table_variants(*args, rows=p["methods"])
    for name, (m, over) in seg_rows.items():
        m2, over2 = seeds_rows[name]
        assert over["refine"] in ("psa", "irn") and over["refine_kw"]["epochs"] == p["aff_epochs"]
        assert run_key(tr, va, m, 0, **{**kw, **over}) == run_key(tr, va, m2, 0, **{**kw, **over2}), name
    # and the key does see the refinement: CRF masks are another run
    name = p["methods"][0]
    crf = table_variants(False, rows=[name])[name]
    assert run_key(tr, va, crf[0], 0, **{**kw, **crf[1]}) != run_key(tr, va, seg_rows[name][0], 0, **{**kw, **seg_rows[name][1]})
