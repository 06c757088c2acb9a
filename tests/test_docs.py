"""`make docs` (tools/build_docs.py): one page per notebook, per executed experiment copy and per exported module, a front
page, a sidebar in notebook order, and every relative link (and #anchor) of every page resolves. Built into a temporary
folder from a subset of the notebooks (two method notebooks, one papermill notebook and an executed copy of it: nbconvert
takes ~1 s a page on 2 cores); the subset is enough for the links, since the builder treats every notebook alike. `make
docs` builds all of them. Offline: no page loads anything from the network, and in headless Chromium (where installed)
the equations are typeset by the site's own MathJax and every image loads."""
import re, shutil, subprocess, sys
from pathlib import Path
from urllib.parse import unquote
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_docs   # noqa: E402
import run_experiment   # noqa: E402

SUBSET = [ROOT / "nbs" / n for n in ("06_fb_contrast.ipynb", "00_config.ipynb", "real_msrc.ipynb")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The subset, and stamped copies of real_msrc standing in for its executed copy (executed/real_msrc.ipynb) and for a run
    of it in a second setting (`run_experiment.py --as real_msrc_big`)."""
    import nbformat
    tmp = tmp_path_factory.mktemp("docs")
    (tmp / "executed").mkdir()
    nb = run_experiment.stamp(nbformat.read(ROOT / "nbs" / "real_msrc.ipynb", as_version=4), "real_msrc", "ab" * 20, False,
                              "2026-01-01 00:00 UTC", "test machine")
    run_experiment.file_copy(nb, "real_msrc", tmp / "executed")
    nb = run_experiment.stamp(nb, "real_msrc", "cd" * 20, False, "2026-01-02 00:00 UTC", "big machine")
    run_experiment.file_copy(nb, "real_msrc_big", tmp / "executed")
    guide = tmp / "guide.md"
    guide.write_text("# A guide page\n\nThe FB loss is in `06_fb_contrast`; $e^{x}$ is an equation.\n\n![a picture](pic.svg)\n")
    (tmp / "pic.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>')
    out = tmp / "site"
    return out, build_docs.build(out, SUBSET, executed=[tmp / "executed" / f for f in ("real_msrc_big.ipynb", "real_msrc.ipynb")],
                               guides=[guide])


def _soup(p):
    from bs4 import BeautifulSoup
    return BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser")


def test_one_page_per_notebook_and_module(site):
    out, files = site
    names = sorted(p.name for p in out.glob("*.html"))
    assert names == sorted(["index.html", "docs_guide.html", "00_config.html", "06_fb_contrast.html", "real_msrc.html", "executed_real_msrc_big.html",
                            "executed_real_msrc.html", "module_config.html", "module_fb_contrast.html"]), names
    assert sorted(p.name for p in files) == names


def test_sidebar_in_notebook_order_and_module_cross_links(site):
    out, _ = site
    nav = [a["href"] for a in _soup(out / "index.html").select("nav.fbr-nav a")]
    assert nav == ["index.html", "docs_guide.html", "00_config.html", "06_fb_contrast.html", "real_msrc.html", "executed_real_msrc_big.html",
                   "executed_real_msrc.html", "module_config.html", "module_fb_contrast.html"], nav
    page = _soup(out / "06_fb_contrast.html")
    assert page.select_one("p.fbr-module a")["href"] == "module_fb_contrast.html"
    assert page.find("img", src=re.compile("^data:image/png;base64,")), "the committed figure is not on the page"
    assert "$$" in page.get_text() or "\\(" in page.get_text(), "equations are not left for MathJax"
    back = _soup(out / "module_fb_contrast.html")
    assert any(a["href"] == "06_fb_contrast.html" for a in back.select("main a[href]"))
    assert "def fb_loss" in back.get_text() or "def " in back.get_text()


def test_guide_pages(site):
    "A docs/*.md guide is a page of its own in the sidebar, titled by its heading, its code names linked to their pages."
    out, _ = site
    page = _soup(out / "docs_guide.html")
    assert page.select_one("nav.fbr-nav a.current").get_text() == "A guide page"
    assert any(a["href"] == "06_fb_contrast.html" for a in page.select("main a[href]"))


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
        for img in _soup(page).find_all("img", src=True):
            if img["src"].startswith("data:"): continue
            n += 1
            if not (page.parent / unquote(img["src"])).resolve().exists(): bad.append(f"{page.name}: img {img['src']}")
    assert n > 20 and not bad, bad[:20]


def test_bad_notebook_path_is_one_line_error(tmp_path):
    with pytest.raises(SystemExit, match="no notebook"):
        build_docs.main(["--out", str(tmp_path), str(tmp_path / "missing.ipynb")])


def test_experiment_page_links_its_executed_copy(site):
    out, _ = site
    hdr = _soup(out / "real_msrc.html").select("p.fbr-module")
    assert any(a["href"] == "executed_real_msrc.html" and "abababababab" in p.get_text() for p in hdr for a in p.find_all("a")), hdr
    page = _soup(out / "executed_real_msrc.html")
    assert any(a["href"] == "real_msrc.html" for a in page.select("main a[href]"))    # the stamp's link to its source
    assert "test machine" in page.get_text() and "abababababab" in page.get_text()
    assert [a["href"] for a in page.select("p.fbr-module a")] == ["real_msrc.html"]
    # a second setting's copy is its own page, linked from the source after the default-settings copy
    assert [a["href"] for p in hdr for a in p.find_all("a") if a["href"].startswith("executed_")] == \
        ["executed_real_msrc.html", "executed_real_msrc_big.html"]
    big = _soup(out / "executed_real_msrc_big.html")
    assert "big machine" in big.get_text() and [a["href"] for a in big.select("p.fbr-module a")] == ["real_msrc.html"]
    fixed = build_docs._fix_links('<main><code>paper_tables/executed/table_overhead.ipynb</code> <code>nbs/table_overhead.ipynb</code>'
                                  '</main>', ROOT, out, {str(ROOT / "paper_tables/executed/table_overhead.ipynb"): "e.html",
                                                         "table_overhead.ipynb": "s.html"})
    assert 'href="e.html"><code>paper_tables' in fixed and 'href="s.html"><code>nbs/' in fixed, fixed   # each its own page


def test_nothing_is_loaded_from_the_network(site):
    "Every script, stylesheet and image of every page is in the site (MathJax included) or inline: it works offline."
    out, _ = site
    assert (out / "mathjax" / "MathJax.js").exists()
    for page in out.glob("*.html"):
        soup = _soup(page)
        refs = [t.get("src") for t in soup.find_all(["script", "img", "iframe"])] + \
               [t.get("href") for t in soup.find_all("link") if "stylesheet" in (t.get("rel") or [])]
        remote = [r for r in refs if r and re.match(r"^(https?:)?//", r)]
        assert not remote, f"{page.name} loads {remote}"
        local = [r.split("?")[0] for r in refs if r and not r.startswith("data:")]
        assert all((out / r).exists() for r in local), (page.name, local)
    assert any("mathjax/MathJax.js" in (t.get("src") or "") for t in _soup(out / "06_fb_contrast.html").find_all("script"))


CHROMIUM = next((shutil.which(c) for c in ("chromium", "chromium-browser", "google-chrome") if shutil.which(c)), None)
PROBE = """<script>window.addEventListener("load", function () {
  setTimeout(function () {
    var imgs = Array.prototype.slice.call(document.images);
    var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
    document.body.setAttribute("data-images", imgs.length);
    document.body.setAttribute("data-broken", bad.map(function (i) { return i.src.slice(0, 80); }).join(" | ") || "none");
  }, 0);
});</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (Debian: apt-get install chromium): "
                                             "equations and images not checked in a browser")
def test_equations_typeset_and_images_load_in_chromium(site, tmp_path):
    """06_fb_contrast's page in headless Chromium with every host unreachable: MathJax (the site's copy) turns each
    $...$ of the page into typeset math, none is left raw, none fails; every image has loaded."""
    out, _ = site
    page = out / "06_fb_contrast.html"
    probe = out / "_probe.html"     # beside the page, so that its relative paths (mathjax/) hold
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    try:
        r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=60000",
                            "--run-all-compositor-stages-before-draw", "--dump-dom", probe.as_uri()],
                           capture_output=True, text=True, timeout=300)
    finally: probe.unlink()
    assert r.returncode == 0 and "</html>" in r.stdout, r.stderr[-2000:]
    from bs4 import BeautifulSoup
    dom = BeautifulSoup(r.stdout, "html.parser")
    src = _soup(page)
    n_math = len(re.findall(r"\$\$.+?\$\$|\$[^$]+\$", " ".join(t.get_text() for t in src.select("main .jp-MarkdownOutput")), re.S))
    assert n_math >= 10, n_math                                                    # the page has equations to typeset
    typeset = dom.select("script[type^='math/tex']")                                # MathJax 2 keeps each source here...
    shown = dom.select(".MathJax, .MathJax_Display, .MathJax_SVG, mjx-container")    # ...and renders it here
    assert len(typeset) >= n_math and len(shown) >= n_math, (n_math, len(typeset), len(shown))
    text = " ".join(t.get_text() for t in dom.select("main .jp-MarkdownOutput"))
    for s in dom.select("main .jp-MarkdownOutput script, main .jp-MarkdownOutput .MathJax_Preview"): text = text.replace(s.get_text(), "")
    assert "Math Processing Error" not in text and not re.search(r"\$[^$]*\\[a-z]+", text), "raw or failed LaTeX left on the page"
    body = dom.find("body")
    assert int(body["data-images"]) >= 1 and body["data-broken"] == "none", (body.get("data-images"), body.get("data-broken"))
