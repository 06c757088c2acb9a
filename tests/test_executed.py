"""Executed experiment notebooks (tools/run_experiment.py, paper_tables/executed/): the committed copies stay within the
size budget and each is stamped with the commit, date, machine and parameters it ran with; the tool runs a toy
experiment notebook through papermill (figures at modest dpi, wide ones scaled down), stamps it, replaces the previous
copy only when the run succeeds, and adopts a copy made elsewhere."""
import base64, io, json, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import run_experiment as rx   # noqa: E402

EXECUTED = sorted((ROOT / "paper_tables" / "executed").glob("*.ipynb"))


def test_executed_copies_within_budget():
    total = sum(p.stat().st_size for p in EXECUTED) / 2**20
    assert total <= rx.BUDGET_MB, f"paper_tables/executed/ holds {total:.1f} MB > {rx.BUDGET_MB} MB: smaller or fewer figures"


def _pngs(nb):
    from PIL import Image
    return [Image.open(io.BytesIO(base64.b64decode(o["data"]["image/png"])))
            for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]


@pytest.mark.parametrize("p", EXECUTED, ids=lambda p: p.stem)
def test_executed_copy_is_stamped_and_has_its_source(p):
    nb = json.loads(p.read_text())
    meta = nb["metadata"]["fbr_nb"]
    src = Path(meta["source"])     # nbs/<p.name>, or nbs/<x>.ipynb for a copy <x>_<setting> run in a second setting (--as)
    assert (ROOT / src).exists() and src.parent == Path("nbs") and (p.stem == src.stem or p.stem.startswith(src.stem + "_")), meta
    assert len(meta["commit"]) == 40 and meta["date"] and meta["machine"], meta
    first = "".join(nb["cells"][0]["source"])
    assert rx.STAMP_TAG in nb["cells"][0]["metadata"]["tags"] and meta["commit"][:12] in first, first
    assert nb["metadata"]["papermill"]["exception"] in (None, False), f"{p.name} is a failed run"
    assert all(im.width <= rx.MAX_WIDTH for im in _pngs(nb)), p.name
    assert not any(o["output_type"] == "error" for c in nb["cells"] for o in c.get("outputs", [])), p.name


TOY = {"cells": [
    {"cell_type": "markdown", "metadata": {}, "source": "# Toy experiment"},
    {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "n = 3\nwide = False\nfail = False",
     "outputs": [], "execution_count": None},
    {"cell_type": "code", "metadata": {}, "source": (
        "import matplotlib.pyplot as plt\nassert not fail, 'asked to fail'\n"
        "fig, ax = plt.subplots(figsize=(40, 3) if wide else (6, 4)); ax.plot(range(n)); plt.show()\n"
        "print('result:', n * n)"), "outputs": [], "execution_count": None}],
    "metadata": {"kernelspec": {"display_name": "fbr_nb", "language": "python", "name": "fbr_nb"}}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture(scope="module")
def toy_repo(tmp_path_factory):
    "A git checkout holding nbs/toy.ipynb, committed."
    repo = tmp_path_factory.mktemp("repo")
    (repo / "nbs").mkdir()
    (repo / "nbs" / "toy.ipynb").write_text(json.dumps(TOY))
    (repo / "paper_tables" / "results").mkdir(parents=True)
    (repo / "paper_tables" / "results" / "table.md").write_text("a results file\n")
    git = lambda *a: subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *a], cwd=repo, check=True,
                                    capture_output=True)
    git("init", "-q"); git("add", "."); git("commit", "-qm", "toy")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    return repo, head


def _run(*args):
    return subprocess.run([sys.executable, str(ROOT / "tools" / "run_experiment.py"), *map(str, args)],
                          capture_output=True, text=True)


def test_run_stamps_shrinks_and_replaces_only_on_success(toy_repo, tmp_path):
    repo, head = toy_repo
    out = tmp_path / "executed"
    r = _run("--nbs", repo / "nbs", "--out", out, "toy", "-p", "n", "5", "-p", "wide", "True")
    assert r.returncode == 0, r.stderr[-3000:]
    nb = json.loads((out / "toy.ipynb").read_text())
    meta = nb["metadata"]["fbr_nb"]
    assert meta["commit"] == head and meta["dirty"] is False and meta["parameters"] == {"n": 5, "wide": True}, meta
    assert "accelerator" in meta["machine"] and "UTC" in meta["date"], meta
    stamp = "".join(nb["cells"][0]["source"])
    assert head[:12] in stamp and "`n = 5`" in stamp and "toy -p n 5 -p wide True" in stamp, stamp
    assert "result: 25" in json.dumps(nb["cells"])                       # the run's own output is kept
    (im,) = _pngs(nb)
    assert im.width == rx.MAX_WIDTH, im.size                             # 40 in x 72 dpi = 2880 px, scaled down
    # a small figure is drawn at DPI (6 in -> ~430 px, not matplotlib's default 100 dpi -> 600 px)
    assert _run("--nbs", repo / "nbs", "--out", out, "toy").returncode == 0
    nb = json.loads((out / "toy.ipynb").read_text())
    (im,) = _pngs(nb)
    assert 300 <= im.width <= 6 * rx.DPI, im.size
    assert sum(rx.STAMP_TAG in c["metadata"].get("tags", []) for c in nb["cells"]) == 1
    before = (out / "toy.ipynb").read_bytes()
    r = _run("--nbs", repo / "nbs", "--out", out, "toy", "-p", "fail", "True")
    assert r.returncode != 0 and "papermill failed" in r.stderr and "is unchanged" in r.stderr, r.stderr[-2000:]
    assert (out / "toy.ipynb").read_bytes() == before                    # the previous copy survives a failed run
    assert sorted(p.name for p in out.iterdir()) == ["toy.ipynb"]        # and no temporary file is left beside it


def test_second_setting_is_filed_under_its_own_name(toy_repo, tmp_path):
    "`--as toy_big` keeps the default-settings copy and files the other setting's run beside it, naming its source."
    repo, head = toy_repo
    out = tmp_path / "executed"; out.mkdir()
    default = json.dumps({"stands in for": "the default-settings copy"})
    (out / "toy.ipynb").write_text(default)
    r = _run("--nbs", repo / "nbs", "--out", out, "--as", "toy_big", "toy", "-p", "n", "7")
    assert r.returncode == 0, r.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["toy.ipynb", "toy_big.ipynb"]
    assert (out / "toy.ipynb").read_text() == default                     # untouched
    big = json.loads((out / "toy_big.ipynb").read_text())
    assert big["metadata"]["fbr_nb"]["source"] == "nbs/toy.ipynb" and big["metadata"]["fbr_nb"]["parameters"] == {"n": 7}
    assert "--as toy_big toy -p n 7" in big["metadata"]["fbr_nb"]["command"] and "result: 49" in json.dumps(big["cells"])
    for bad in ("other", "toy_", "toy_a/b"):                             # must name its source: <notebook>_<suffix>
        r = _run("--nbs", repo / "nbs", "--out", out, "--as", bad, "toy")
        assert r.returncode != 0 and f"--as {bad}" in r.stderr.strip().splitlines()[-1], (bad, r.stderr)
    assert sorted(p.name for p in out.iterdir()) == ["toy.ipynb", "toy_big.ipynb"]


def test_dirty_checkout_is_said(toy_repo, tmp_path):
    repo, head = toy_repo
    p = repo / "nbs" / "toy.ipynb"
    p.write_text(p.read_text().replace("n = 3", "n = 4"))
    try: assert rx.checkout_commit(repo) == (head, True)
    finally: subprocess.run(["git", "checkout", "-q", "--", "nbs/toy.ipynb"], cwd=repo, check=True)
    assert rx.checkout_commit(repo) == (head, False)
    # a results file rewritten by an earlier notebook of the same `make tables` is an output, not a change to what runs
    r = repo / "paper_tables" / "results" / "table.md"
    r.write_text("rewritten\n")
    try: assert rx.checkout_commit(repo) == (head, False) and rx.checkout_commit(repo / "nbs") == (head, False)
    finally: subprocess.run(["git", "checkout", "-q", "--", "paper_tables"], cwd=repo, check=True)


def test_adopt_a_copy_made_elsewhere(toy_repo, tmp_path):
    repo, head = toy_repo
    made = tmp_path / "elsewhere.ipynb"
    r = subprocess.run([sys.executable, "-m", "papermill", "-k", "fbr_nb", str(repo / "nbs" / "toy.ipynb"), str(made),
                        "-p", "n", "2"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    out = tmp_path / "executed"
    r = _run("--nbs", repo / "nbs", "--out", out, "--adopt", made, "--commit", head[:8], "--machine", "1 x H200")
    assert r.returncode == 0, r.stderr[-2000:]
    nb = json.loads((out / "toy.ipynb").read_text())                   # filed under its source's name
    meta = nb["metadata"]["fbr_nb"]
    assert meta["commit"] == head and meta["machine"] == "1 x H200" and meta["parameters"] == {"n": 2}, meta
    assert "1 x H200" in "".join(nb["cells"][0]["source"])
    for args, msg in [(["--adopt", made, "--commit", "0" * 40], "no such commit"),
                      (["--adopt", made], "needs --commit"),
                      (["--adopt", tmp_path / "missing.ipynb", "--commit", head], "no such file"),
                      (["--adopt", made, "--commit", head, "--name", "nope"], "no nbs/nope.ipynb")]:
        r = _run("--nbs", repo / "nbs", "--out", out, *args)
        assert r.returncode != 0 and msg in r.stderr.strip().splitlines()[-1], (args, r.stderr)   # one line says why
    bad = json.loads(made.read_text()); bad["metadata"]["papermill"]["exception"] = True
    (tmp_path / "failed.ipynb").write_text(json.dumps(bad))
    r = _run("--nbs", repo / "nbs", "--out", out, "--adopt", tmp_path / "failed.ipynb", "--commit", head)
    assert r.returncode != 0 and "failed run" in r.stderr


def test_missing_notebook_is_one_line_error(tmp_path):
    r = _run("--nbs", tmp_path, "--out", tmp_path / "o", "no_such_experiment")
    assert r.returncode != 0 and "no notebook" in r.stderr and not (tmp_path / "o").exists()
