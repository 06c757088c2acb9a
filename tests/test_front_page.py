"""The README is a front page: short, its findings table carries intervals and links, and every relative link in it
and in the guides (docs/*.md) points at a file that exists."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _findings_rows():
    text = README.read_text(encoding="utf-8")
    sec = text[text.index("## What we found"):]
    sec = sec[:sec.index("\n## ", 1)]
    return [l for l in sec.splitlines() if l.startswith("| ") and not l.startswith("| the paper's claim") and not l.startswith("|---")]


def test_readme_is_a_front_page():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; the front page keeps to 200 (details go to docs/)"
    assert not re.search(r"(issue )?#\d{1,3}\b", README.read_text(encoding="utf-8")), "internal issue numbers on the front page"


def test_findings_table_has_intervals_and_links():
    rows = _findings_rows()
    assert len(rows) >= 8, rows
    fmt = re.compile(r"[+−-]\d+\.\d \[[+−-]\d+\.\d, [+−-]\d+\.\d\], n = \d+, detectable >= \d+\.\d")
    with_ci = [r for r in rows if fmt.search(r)]
    assert len(with_ci) >= 6, "the paired comparisons lost their one format (mean [95 % interval], n, detectable)"
    for r in rows:
        cells = [c.strip() for c in r.strip("|").split("|")]
        assert len(cells) == 5, r
        # a paired number is either in the one format, or the row says why it has none
        assert fmt.search(cells[2]) or re.search(r"no gradient|unpaired|no per-seed|x\d", cells[2]), r


def test_relative_links_resolve():
    bad = []
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for href in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I) or href.startswith("#"): continue
            if not (page.parent / href.split("#")[0]).exists(): bad.append(f"{page.name}: {href}")
    assert not bad, bad
