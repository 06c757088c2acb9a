"""`make docs` (tools/build_docs.py): one page per notebook and per exported module, a front page, a sidebar in notebook
order, and every relative link (and #anchor) of every page resolves. Built into a temporary folder from a subset of the
notebooks (two method notebooks, one papermill notebook: nbconvert takes ~1 s a page on 2 cores); the subset is enough
for the links, since the builder treats every notebook alike. `make docs` builds all of them."""
import re, sys
from pathlib import Path
from urllib.parse import unquote
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_docs   # noqa: E402

SUBSET = [ROOT / "nbs" / n for n in ("06_fb_contrast.ipynb", "00_config.ipynb", "real_msrc.ipynb")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    return out, build_docs.build(out, SUBSET)


def _soup(p):
    from bs4 import BeautifulSoup
    return BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser")


def test_one_page_per_notebook_and_module(site):
    out, files = site
    names = sorted(p.name for p in out.glob("*.html"))
    assert names == sorted(["index.html", "00_config.html", "06_fb_contrast.html", "real_msrc.html",
                            "module_config.html", "module_fb_contrast.html"]), names
    assert sorted(p.name for p in files) == names


def test_sidebar_in_notebook_order_and_module_cross_links(site):
    out, _ = site
    nav = [a["href"] for a in _soup(out / "index.html").select("nav.fbr-nav a")]
    assert nav == ["index.html", "00_config.html", "06_fb_contrast.html", "real_msrc.html",
                   "module_config.html", "module_fb_contrast.html"], nav
    page = _soup(out / "06_fb_contrast.html")
    assert page.select_one("p.fbr-module a")["href"] == "module_fb_contrast.html"
    assert page.find("img", src=re.compile("^data:image/png;base64,")), "the committed figure is not on the page"
    assert "$$" in page.get_text() or "\\(" in page.get_text(), "equations are not left for MathJax"
    back = _soup(out / "module_fb_contrast.html")
    assert any(a["href"] == "06_fb_contrast.html" for a in back.select("main a[href]"))
    assert "def fb_loss" in back.get_text() or "def " in back.get_text()


def test_every_relative_link_resolves(site):
    out, _ = site
    bad, n = [], 0
    for page in out.glob("*.html"):
        for a in _soup(page).find_all("a", href=True):
            href = a["href"]
            if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I): continue      # http:, mailto:
            n += 1
            path, _, frag = href.partition("#")
            target = (page.parent / unquote(path)).resolve() if path else page
            if not target.exists(): bad.append(f"{page.name}: {href}"); continue
            ts = _soup(target) if frag and target.suffix == ".html" else None   # the raw or the decoded id, as browsers do
            if ts is not None and not (ts.find(id=frag) or ts.find(id=unquote(frag))):
                bad.append(f"{page.name}: {href} (no such anchor)")
    assert n > 20 and not bad, bad[:20]


def test_bad_notebook_path_is_one_line_error(tmp_path):
    with pytest.raises(SystemExit, match="no notebook"):
        build_docs.main(["--out", str(tmp_path), str(tmp_path / "missing.ipynb")])
