"""The strict book build on the ci profile, checked in the HTML and in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile

import pytest

from recsys_tutorial.book import MIME_WARNING, BookBuildError, build_book, execute_chapter

CHAPTER_PAGES = ["part1_matrix_factorization", "part2_graph_nlp", "results", "scaling", "data"]


_BUILT: list[tuple] = []  # one build per process: pytest-xdist may tear a module fixture down between batches


@pytest.fixture(scope="module")
def built_book(tmp_path_factory, root):
    if not _BUILT:
        out = tmp_path_factory.mktemp("book")
        before = {p: p.read_bytes() for p in sorted((root / "book").iterdir()) if p.is_file()}
        index = build_book("ci", path_output=out, root=root)
        after = {p: p.read_bytes() for p in sorted((root / "book").iterdir()) if p.is_file()}
        _BUILT.append((out / "_build", index, before, after))
    return _BUILT[0]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise AssertionError("Chromium is needed for the browser checks: apt-get install chromium (make test does it)")


def _headless(*args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--virtual-time-budget=20000", *args],
            capture_output=True, text=True, timeout=120, check=False,
        )


def test_book_has_every_chapter_with_a_plotly_figure(built_book):
    build, index, *_ = built_book
    assert index.exists()
    for page in CHAPTER_PAGES:
        html = (build / "html" / "book" / f"{page}.html").read_text()
        assert "plotly-graph-div" in html, f"{page}: no plotly figure in the HTML"
        assert "Plotly.newPlot" in html
    assert (build / "html" / "book" / "results.html").exists()
    log = (build / "book-build.log").read_text()
    assert MIME_WARNING not in log
    assert "build succeeded" in log


def test_the_build_leaves_the_book_sources_untouched(built_book):
    build, _, before, after = built_book
    assert (build / "source" / "book" / "part1_matrix_factorization.ipynb").exists()  # executed copy, staged
    assert after == before


@pytest.mark.parametrize("page", CHAPTER_PAGES)
def test_every_figure_renders_in_chromium(built_book, page):
    build, *_ = built_book
    url = (build / "html" / "book" / f"{page}.html").as_uri()
    dom = _headless("--dump-dom", url).stdout
    figures = len(re.findall(r'class="[^"]*\bplotly-graph-div\b', dom))
    rendered = len(re.findall(r'class="[^"]*\bsvg-container\b', dom))  # drawn by plotly.js, not in the HTML
    assert figures >= 1, f"{page}: no figure in the rendered DOM"
    assert rendered >= figures, f"{page}: {figures} figures but only {rendered} drawn by plotly.js"
    shot = build / f"{page}.png"
    _headless("--window-size=1280,4000", f"--screenshot={shot}", url)
    assert shot.exists() and shot.stat().st_size > 20_000


def test_a_failing_cell_fails_the_build_and_shows_the_cell(tmp_path):
    source = tmp_path / "broken.py"
    source.write_text(
        '# %% tags=["parameters"]\nX = 1\n\n# %%\nvalue = X + 1\n\n# %%\nraise ValueError(f"boom {value}")\n'
    )
    with pytest.raises(BookBuildError) as err:
        execute_chapter(source, tmp_path / "broken.ipynb", {"X": 41})
    message = str(err.value)
    assert "broken.py" in message and "ValueError" in message and "boom 42" in message
    assert 'raise ValueError(f"boom {value}")' in message


def test_unknown_profile_is_a_clear_error(root):
    from recsys_tutorial.book import load_profile

    with pytest.raises(BookBuildError, match=r"unknown profile 'nope'.*ci"):
        load_profile("nope", root)


def test_a_chapter_runs_on_a_metadata_file_path(tmp_path, root, ci_metadata, monkeypatch):
    """DATASET may be the path of a user's own file, here the ci data rewritten in the 2018 JSON format."""
    import gzip
    import json

    import nbformat

    from recsys_tutorial.book import load_profile
    from recsys_tutorial.data import parse_python_literal

    shop = tmp_path / "my_shop.json.gz"
    with gzip.open(ci_metadata, "rt", encoding="utf-8") as lines, gzip.open(shop, "wt", encoding="utf-8") as out:
        for line in lines:
            old = parse_python_literal(line)
            related = old.get("related", {})
            out.write(json.dumps({
                "asin": old["asin"], "title": old.get("title", ""), "brand": old.get("brand", ""),
                "price": f"${old['price']:.2f}" if "price" in old else "", "category": old["categories"][0],
                "also_buy": related.get("also_bought", []), "also_view": related.get("also_viewed", []),
            }) + "\n")
    monkeypatch.setenv("RECSYS_TUTORIAL_RESULTS", str(tmp_path / "results"))
    target = tmp_path / "part1.ipynb"
    execute_chapter(root / "book" / "part1_matrix_factorization.py", target,
                    {**load_profile("ci", root), "DATASET": str(shop)})
    outputs = "".join(out.get("text", "") + out.get("data", {}).get("text/plain", "")
                      for cell in nbformat.read(target, as_version=4).cells for out in cell.get("outputs", []))
    assert "dataset 'my_shop.json.gz'" in outputs and "my_shop.json.gz (2018 format): " in outputs
    assert str(tmp_path) not in outputs  # no machine paths on the page
    records = list((tmp_path / "results").glob("*.json"))
    assert records and all('"dataset": "my_shop.json.gz"' in r.read_text() for r in records)


def test_rendered_chapters_pin_colab_to_the_commit_they_were_built_from(root):
    """Each chapter's Colab badge and install cell name `main` in the repository; the build points both at the
    commit it renders, and the install keeps Colab's torch (the package asks a range, not a pin)."""
    import jupytext

    from recsys_tutorial.book import REPOSITORY, build_commit, chapters, pin_to_commit

    commit = build_commit(root)
    assert commit is not None and len(commit) == 40
    runnable = [c for c in chapters(root) if "google.colab" in (root / f"{c}.py").read_text()]
    assert len(runnable) == 4  # the results page only collects the others' records: nothing to run in Colab
    for chapter in runnable:
        nb = jupytext.read(root / f"{chapter}.py")
        text = "\n".join(c.source for c in nb.cells)
        assert f"{REPOSITORY}/blob/main/{chapter}.ipynb" in text and f"{REPOSITORY}@main" in text, chapter
        assert "only-if-needed" in text, chapter
        pin_to_commit(nb, commit)
        pinned = "\n".join(c.source for c in nb.cells)
        assert "@main" not in pinned and "blob/main" not in pinned
        assert f"{REPOSITORY}@{commit}" in pinned and f"blob/{commit}/{chapter}.ipynb" in pinned
    requirement = next(r for r in __import__("tomllib").loads((root / "pyproject.toml").read_text())["project"][
        "dependencies"] if r.startswith("torch"))
    assert requirement.startswith("torch>=") and "<" not in requirement and "==" not in requirement


WIDTH_PROBE = """<script>
window.addEventListener("load", () => {
  const wide = [...document.querySelectorAll("div.cell_input pre")]
    .filter((pre) => pre.scrollWidth > pre.clientWidth + 1)
    .map((pre) => pre.textContent.split("\\n").find((l) => l.length > 88) || pre.textContent.slice(0, 88));
  document.body.setAttribute("data-wide-code", JSON.stringify(wide));
});
</script>"""


@pytest.mark.parametrize("page", CHAPTER_PAGES)
def test_code_cells_need_no_horizontal_scrolling_at_1280_px(built_book, page):
    """Chromium lays the page out at 1280 px; every code cell's <pre> fits its column."""
    import html as html_lib
    import json

    build, *_ = built_book
    source = build / "html" / "book" / f"{page}.html"
    probe = source.with_name(f"{page}.probe.html")
    probe.write_text(source.read_text().replace("</body>", WIDTH_PROBE + "</body>"))
    dom = _headless("--window-size=1280,4000", "--dump-dom", probe.as_uri()).stdout
    found = re.search(r'data-wide-code="([^"]*)"', dom)
    assert found, f"{page}: the width probe did not run"
    wide = json.loads(html_lib.unescape(found.group(1)))
    assert wide == [], f"{page}: code cells wider than the column: {wide}"


def test_no_output_shows_a_warning_or_stderr(built_book):
    """The executed chapters print no warnings, progress-bar noise or stderr into the rendered pages."""
    import nbformat

    build, *_ = built_book
    for page in CHAPTER_PAGES:
        nb = nbformat.read(build / "source" / "book" / f"{page}.ipynb", as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                text = out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
                assert out.get("name") != "stderr", f"{page}: stderr output {text[:300]!r}"
                assert not re.search(r"Warning\b|IProgress|Passed unknown parameter", text), (page, text[:300])
