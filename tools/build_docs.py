"""Build the documentation site offline: README as the front page, the guides (docs/*.md), every notebook as an HTML
page, every module.

nbconvert's `lab` template renders each page (code, outputs, Markdown, MathJax equations), with a sidebar in notebook
order: the method notebooks (committed with their outputs, `make nbs-outputs`), the papermill notebooks (no outputs in
nbs/), then their executed copies with results (paper_tables/executed/, `tools/run_experiment.py`). Each notebook page
links to the module it exports (`#| default_exp`), shown as highlighted source, which links back; a papermill notebook's
page links to its executed copy. Relative links to `.ipynb` files point to their pages; other relative links to the
repository's files point to those files. Nothing is fetched, neither while building nor when a page is viewed: MathJax
(for the equations) is copied into the site from the jupyter-server-mathjax package (the dev extra), and no page loads
a script from the network.

    python tools/build_docs.py            # -> _site/index.html
    python tools/build_docs.py --out /tmp/site nbs/06_fb_contrast.ipynb
"""
import argparse, html, os, re, shutil, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block extra_css %}<style type="text/css">
nav.fbr-nav {position: fixed; top: 0; left: 0; bottom: 0; width: 16rem; overflow-y: auto; padding: 0.8rem 1rem;
  box-sizing: border-box; border-right: 1px solid #ddd; background: #f7f7f7; font: 13px/1.45 sans-serif;}
nav.fbr-nav h4 {margin: 0.9rem 0 0.3rem; font-size: 13px;} nav.fbr-nav ol, nav.fbr-nav ul {margin: 0; padding-left: 1.1rem;}
nav.fbr-nav a {text-decoration: none;} nav.fbr-nav a.current {font-weight: bold;}
body.jp-Notebook {margin-left: 16rem !important;} main {max-width: 70rem;}
p.fbr-module {padding: 0.4rem 0.8rem; background: #eef4fb; border-left: 3px solid #4a8ad4;}
@media (max-width: 50rem) {nav.fbr-nav {position: static; width: auto;} body.jp-Notebook {margin-left: 0 !important;}}
</style>{% endblock extra_css %}
{%- block body_header -%}{{ super() }}{{ resources.fbr_nav }}{{ resources.fbr_header }}{%- endblock body_header -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], webFont: "STIX-Web", imageFont: null, preferredFont: null}});
</script>
{{ super() }}
{%- endblock html_head_js_mathjax -%}
"""
# MathJax 2.7 as jupyter-server-mathjax ships it (HTML-CSS output, STIX-Web fonts), copied into the site
MATHJAX_URL = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
EXECUTED = ROOT / "paper_tables" / "executed"



sys.path.insert(0, str(Path(__file__).resolve().parent))
from execute_nbs import method_notebooks   # noqa: E402  (nbs/NN*.ipynb, in order)


def papermill_notebooks(nbs=ROOT / "nbs"): return sorted(p for p in Path(nbs).glob("*.ipynb") if not p.name[0].isdigit())


def copy_mathjax(out):
    "MathJax's files into `out/mathjax/` (once; again when the package's copy changed), so that pages typeset offline."
    try: import jupyter_server_mathjax
    except ImportError: sys.exit('error: the docs need jupyter-server-mathjax (MathJax, offline): pip install "fbr_nb[dev]"')
    src, dest = Path(jupyter_server_mathjax.__file__).parent / "static", Path(out) / "mathjax"
    if not (dest / "MathJax.js").exists() or (dest / "MathJax.js").read_bytes() != (src / "MathJax.js").read_bytes():
        shutil.rmtree(dest, ignore_errors=True); shutil.copytree(src, dest)
    return dest


def nb_title(nb, default):
    "The notebook's first Markdown heading (nbdev's title cell), else `default`."
    for c in nb.cells:
        if c.cell_type == "markdown" and (m := re.search(r"^#\s+(.+)$", c.source, re.M)): return m.group(1).strip()
    return default


def nb_module(nb):
    "The module a notebook exports (`#| default_exp name`), or None."
    for c in nb.cells:
        if c.cell_type == "code" and (m := re.search(r"^#\|\s*default_exp\s+(\S+)", c.source, re.M)): return m.group(1)


def _nav(pages, current):
    "Sidebar: Home, the guides (docs/*.md), the method notebooks, the papermill notebooks, the modules; `current` in bold."
    def _li(p): return f'<li><a href="{p["html"]}"{" class=current" if p["html"] == current else ""}>{html.escape(p["label"])}</a></li>'
    groups = [("Guides", "ul", "guide"), ("Method notebooks", "ol", "method"), ("Experiment notebooks (papermill sources)", "ul", "papermill"),
              ("Executed experiments (with results)", "ul", "executed"), ("Modules (fbr_nb/)", "ul", "module")]
    out = [f'<nav class="fbr-nav"><a href="index.html"{" class=current" if current == "index.html" else ""}><b>fbr_nb</b>: home (README)</a>']
    for title, tag, kind in groups:
        items = "".join(_li(p) for p in pages if p["kind"] == kind)
        if items: out.append(f"<h4>{title}</h4><{tag}>{items}</{tag}>")
    return "".join(out) + "</nav>"


def _fix_links(page_html, base, out, targets):
    """Point relative links at site pages (`x.ipynb` -> `x.html`) or at the repository's files (resolved from `base`,
    the folder the source lives in); turn `code` that names a page (`nbs/06_fb_contrast.ipynb`, `06_fb_contrast`,
    `fbr_nb.loss`) into a link to it."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(page_html, "html.parser")
    for a in soup.find_all("a", href=True):
        href = a["href"]
        if re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", href, re.I) or not href: continue
        path, frag = (href.split("#", 1) + [""])[:2]
        name, full = Path(path).name, str((base / path).resolve())
        if full in targets: a["href"] = targets[full] + (f"#{frag}" if frag else "")    # this very file's page
        elif name in targets: a["href"] = targets[name] + (f"#{frag}" if frag else "")
        elif (base / path).exists(): a["href"] = os.path.relpath(base / path, out) + (f"#{frag}" if frag else "")
    for img in soup.find_all("img", src=True):   # a picture in the repository (docs/fbr_method.svg): relative to the page
        src = img["src"]
        if not re.match(r"^([a-z][a-z0-9+.-]*:|/)", src, re.I) and (base / src).exists():
            img["src"] = os.path.relpath(base / src, out)
    for code in soup.select("main code"):
        if code.find_parent("a") or code.find_parent("pre"): continue
        key = code.get_text().strip()
        if key.endswith(".ipynb"):   # a path from the repository's root names that very file, else its name a page
            key = full if (full := str((ROOT / key).resolve())) in targets else Path(key).name
        if key in targets:
            link = soup.new_tag("a", href=targets[key]); code.wrap(link)
    return str(soup)


def _page(exporter, nb, pages, current, header, title, base, out, targets):
    body, _ = exporter.from_notebook_node(nb, resources=dict(
        metadata=dict(name=title), fbr_nav=_nav(pages, current), fbr_header=header))
    (out / current).write_text(_fix_links(body, base, out, targets), encoding="utf-8")


def build(out=ROOT / "_site", notebooks=None, readme=ROOT / "README.md", executed=None, guides=None):
    """Render `readme` as index.html, the `guides` (Markdown pages, default docs/*.md) as `docs_NAME.html`, `notebooks`
    (default: all, method first), their modules and `executed` copies (default: those in paper_tables/executed/ of the
    notebooks rendered) into `out`, with MathJax beside them."""
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    out = Path(out).resolve()
    notebooks = [Path(p).resolve() for p in notebooks] if notebooks else method_notebooks() + papermill_notebooks()
    notebooks = sorted(notebooks, key=lambda p: (not p.name[0].isdigit(), p.name))   # method notebooks first, in order
    if out.exists():
        for f in out.glob("*.html"): f.unlink()
    out.mkdir(parents=True, exist_ok=True)
    copy_mathjax(out)
    exporter = HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"fbr_page.html.j2": TEMPLATE})],
                            template_file="fbr_page.html.j2", exclude_input_prompt=True, exclude_output_prompt=True,
                            mathjax_url=MATHJAX_URL)
    nbs = [(p, nbformat.read(p, as_version=4)) for p in notebooks]
    pages, targets = [], {}
    order = ["results", "notebooks", "performance", "multi_gpu", "errors", "testing", "developing"]   # a reader's order
    guides = [Path(p).resolve() for p in guides] if guides is not None else \
        sorted((ROOT / "docs").glob("*.md"), key=lambda p: (order.index(p.stem) if p.stem in order else len(order), p.stem))
    for p in guides:
        text = p.read_text(encoding="utf-8")
        title = m.group(1).strip() if (m := re.search(r"^#\s+(.+)$", text, re.M)) else p.stem
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])
        pages.append(dict(kind="guide", html=f"docs_{p.stem}.html", label=title, src=p, nb=nb, module=None))
        targets[str(p)] = f"docs_{p.stem}.html"
    for p, nb in nbs:
        mod = nb_module(nb)
        kind = "method" if p.name[0].isdigit() else "papermill"
        pages.append(dict(kind=kind, html=p.stem + ".html", label=p.stem if kind == "papermill" else f"{p.stem}: {nb_title(nb, '')}",
                          src=p, nb=nb, module=mod))
        targets[p.name] = targets[p.stem] = targets[str(p)] = p.stem + ".html"
    stems = {p.stem for p in notebooks}
    executed = [Path(p).resolve() for p in executed] if executed is not None else sorted(EXECUTED.glob("*.ipynb"))
    for p in executed:
        nb = nbformat.read(p, as_version=4)
        stamp = nb.metadata.get("fbr_nb", {})
        source = Path(stamp.get("source") or p.name).stem   # a copy in a second setting (`--as`) names its source notebook
        if source not in stems: continue
        pages.append(dict(kind="executed", html=f"executed_{p.stem}.html", label=p.stem, src=p, nb=nb, module=None,
                          stamp=stamp, source=source))
        targets[str(p)] = f"executed_{p.stem}.html"
    runs = {}   # source notebook stem -> its executed copies, the default-settings copy first
    for pg in sorted((pg for pg in pages if pg["kind"] == "executed"), key=lambda pg: pg["src"].stem != pg["source"]):
        runs.setdefault(pg["source"], []).append(pg)
    for pg in list(pages):
        if pg["module"] and (ROOT / "fbr_nb" / f"{pg['module']}.py").exists():
            m = pg["module"]
            pages.append(dict(kind="module", html=f"module_{m}.html", label=f"fbr_nb.{m}", module=m, nb_page=pg))
            targets[f"fbr_nb.{m}"] = targets[f"fbr_nb/{m}.py"] = f"module_{m}.html"
    for pg in pages:
        if pg["kind"] == "module":
            m, src = pg["module"], ROOT / "fbr_nb" / f"{pg['module']}.py"
            nb = nbformat.v4.new_notebook(cells=[
                nbformat.v4.new_markdown_cell(f"# fbr_nb.{m}\n\n`fbr_nb/{m}.py`, generated by `nbdev_export` from "
                                              f"[{pg['nb_page']['src'].name}]({pg['nb_page']['html']}): the notebook "
                                              "is the source, with the equations, the tests and the figures."),
                nbformat.v4.new_code_cell(src.read_text())])
            nb.metadata["language_info"] = dict(name="python")
            _page(exporter, nb, pages, pg["html"], "", f"fbr_nb.{m}", ROOT / "fbr_nb", out, targets)
        else:
            hdr = "" if not pg["module"] else (f'<p class="fbr-module">Exports <a href="module_{pg["module"]}.html">'
                                               f'<code>fbr_nb.{pg["module"]}</code></a> (<code>fbr_nb/{pg["module"]}.py</code>).</p>')
            if pg["kind"] == "papermill" and (copies := runs.get(pg["src"].stem)):
                hdr += ('<p class="fbr-module">An experiment notebook, shown here as papermill runs it (no outputs). Its latest '
                        'executed ' + ("copy" if len(copies) == 1 else "copies") + ', with the results: ' + "; ".join(
                        f'<a href="{run["html"]}">{html.escape(run["label"])}, executed</a> (commit '
                        f'<code>{html.escape(str(run["stamp"].get("commit") or "unknown")[:12])}</code>, '
                        f'{html.escape(str(run["stamp"].get("date", "")))})' for run in copies) + '.</p>')
            elif pg["kind"] == "papermill":
                hdr += ('<p class="fbr-module">An experiment notebook, shown here as papermill runs it (no outputs); no executed '
                        f'copy is kept yet (<code>python tools/run_experiment.py {html.escape(pg["src"].stem)}</code> makes one).</p>')
            elif pg["kind"] == "executed":
                src = f'<a href="{pg["source"]}.html">{html.escape(pg["source"])}</a>'
                hdr = (f'<p class="fbr-module">The executed copy of {src} '
                       f'(paper_tables/executed/{html.escape(pg["src"].name)}), with its outputs as they ran.</p>')
            _page(exporter, pg["nb"], pages, pg["html"], hdr, pg["label"], pg["src"].parent, out, targets)
    readme_nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(Path(readme).read_text())])
    _page(exporter, readme_nb, pages, "index.html", "", "fbr_nb", Path(readme).parent, out, targets)
    return [out / "index.html"] + [out / pg["html"] for pg in pages]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", help="notebooks to render (default: every notebook in nbs/)")
    ap.add_argument("--out", default=str(ROOT / "_site"), help="output folder (default: _site)")
    a = ap.parse_args(argv)
    for p in a.notebooks:
        if not Path(p).exists(): sys.exit(f"error: no notebook {p}")
    t = time.time()
    files = build(a.out, a.notebooks or None)
    print(f"{len(files)} pages in {time.time() - t:.0f} s: open {Path(a.out) / 'index.html'}")


if __name__ == "__main__": main()
