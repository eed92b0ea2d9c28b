"""Book: execute the chapters with papermill, then build the static Jupyter Book strictly.

``python -m recsys_tutorial.book --profile default`` is what ``make book`` runs:

1. copy the book sources into a staging folder (``_build/source``), so git stays clean of outputs;
2. convert each ``book/*.py`` chapter to a notebook and execute it with papermill, injecting the
   profile's parameters from ``book/params/<profile>.yaml``, with ``PLOTLY_RENDERER=notebook_connected``
   so plotly figures reach the HTML; a failing cell stops the build and shows that cell;
3. run ``jupyter-book build -W --keep-going`` on the staging folder and fail on any warning, including
   plotly's silent "skipping unknown output mime type".
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

__all__ = ["BookBuildError", "build_book", "build_commit", "chapters", "execute_chapter", "load_profile",
           "notebook_parameters", "parse_overrides", "pin_to_commit"]

logger = logging.getLogger(__name__)

MIME_WARNING = "skipping unknown output mime type"
ROOT = Path(__file__).resolve().parents[1]


class BookBuildError(RuntimeError):
    """A chapter failed to execute or the book failed to build; the message says where and why."""


def chapters(root: Path = ROOT) -> list[str]:
    """Chapter stems (``book/part1_...``) in table-of-contents order whose source is a ``.py`` notebook."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part.get("chapters", [])]
    return [f for f in files if (root / f"{f}.py").exists()]


def notebook_parameters(source: Path) -> dict[str, object]:
    """Literal assignments of the cell tagged ``parameters`` in a py:percent notebook."""
    import jupytext

    nb = jupytext.read(source)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise BookBuildError(f"{source}: expected one cell tagged 'parameters', found {len(cells)}")
    values: dict[str, object] = {}
    for node in ast.parse(cells[0].source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise BookBuildError(f"{source}: the parameters cell may only hold `NAME = literal` lines")
        values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


def load_profile(name: str, root: Path = ROOT) -> dict[str, object]:
    """The parameters of ``book/params/<name>.yaml``."""
    path = root / "book" / "params" / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in (root / "book" / "params").glob("*.yaml"))
        raise BookBuildError(f"unknown profile {name!r}; choose one of {', '.join(known)}")
    profile = yaml.safe_load(path.read_text()) or {}
    if not isinstance(profile, dict):
        raise BookBuildError(f"{path} must be a mapping of parameter names to values")
    return profile


def parse_overrides(pairs: list[str], root: Path = ROOT) -> dict[str, object]:
    """``KEY=VALUE`` strings as parameters; values read as YAML scalars (``5`` → int, ``cpu`` → str)."""
    known = set()
    for chapter in chapters(root):
        known |= set(notebook_parameters(root / f"{chapter}.py"))
    overrides: dict[str, object] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise BookBuildError(f"--set expects KEY=VALUE, got {pair!r}")
        if key not in known:
            raise BookBuildError(f"--set {key}: no chapter has this parameter; known: {', '.join(sorted(known))}")
        value = yaml.safe_load(text) if text else ""
        overrides[key] = value if isinstance(value, (str, int, float, bool)) else text
    return overrides


class _PeakRSS:
    """Peak resident memory of this process's children (the chapter's kernel), sampled every 0.2 s."""

    def __init__(self) -> None:
        import threading

        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.2):
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)

    def __enter__(self) -> _PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _stage(root: Path, stage: Path) -> None:
    """Copy config, toc and non-notebook pages into a fresh staging folder, plus a local plotly.js."""
    import plotly

    if stage.exists():
        shutil.rmtree(stage)
    (stage / "book").mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, stage / name)
    for page in (root / "book").glob("*.md"):
        shutil.copy2(page, stage / "book" / page.name)
    # Figures use plotly.js from its CDN (notebook_connected). A local copy, loaded by every page, keeps
    # them rendering offline and behind firewalls; online, both copies are the same version.
    static = stage / "_static"
    static.mkdir()
    shutil.copy2(root / "book" / "custom.css", static / "custom.css")  # Jupyter Book loads _static/*.css
    shutil.copy2(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", static / "plotly.min.js")


REPOSITORY = "recsys-tutorial/recsys-tutorial"


def build_commit(root: Path = ROOT) -> str | None:
    """The git commit the book is built from (None outside a git checkout)."""
    done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=False)
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and len(sha) == 40 else None


def pin_to_commit(nb, commit: str | None) -> None:
    """Point a chapter's Colab badge and its install cell at ``commit`` instead of ``main``, so a reader of the
    rendered book opens and installs exactly the version that rendered it."""
    if commit is None:
        return
    for cell in nb.cells:
        cell.source = (cell.source.replace(f"{REPOSITORY}/blob/main/", f"{REPOSITORY}/blob/{commit}/")
                       .replace(f"{REPOSITORY}@main", f"{REPOSITORY}@{commit}"))


def execute_chapter(source: Path, target: Path, parameters: dict[str, object], timeout: int | None = None,
                    commit: str | None = None) -> float:
    """Execute one py:percent chapter into ``target`` (an .ipynb) with papermill; return seconds taken.
    With ``commit``, its Colab badge and install cell point at that commit (see :func:`pin_to_commit`)."""
    import jupytext
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    nb = jupytext.read(source)
    pin_to_commit(nb, commit)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    names = notebook_parameters(source)
    unknown = sorted(set(parameters) - set(names))
    used = {k: v for k, v in parameters.items() if k in names}
    if unknown:
        logger.debug("%s does not use profile parameters %s", source.name, unknown)
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            nb, str(target), parameters=used, kernel_name="python3", language="python",
            cwd=str(target.parent), progress_bar=False, log_output=False, execution_timeout=timeout,
            # a local kernel on loopback: ipykernel ≥ 7 warns about unencrypted TCP at every start; errors still show
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except PapermillExecutionError as exc:
        raise BookBuildError(
            f"{source.name}: cell {exc.exec_count} failed with {exc.ename}: {exc.evalue}\n"
            f"--- cell source ---\n{_failed_cell_source(target)}\n--- traceback ---\n"
            + "\n".join(exc.traceback[-8:])
            + f"\n(the partly executed notebook is at {target})"
        ) from exc
    executed = nbformat.read(target, as_version=4)
    for cell in executed.cells:  # papermill's injected cell: keep it, folded, as the record of this render
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.metadata["tags"] = [*cell.metadata["tags"], "hide-cell"]
    nbformat.write(executed, target)
    return time.perf_counter() - start


def _failed_cell_source(target: Path) -> str:
    """Source of the cell whose output is an error, in the partly executed notebook papermill saved."""
    import nbformat

    try:
        cells = nbformat.read(target, as_version=4).cells
    except (OSError, ValueError):
        return "(unavailable)"
    for cell in cells:
        if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
            return cell.source
    return "(unavailable)"


def build_book(
    profile: str = "default",
    path_output: Path | None = None,
    root: Path = ROOT,
    execute: bool = True,
    timeout: int | None = None,
    overrides: dict[str, object] | None = None,
    only: list[str] | None = None,
) -> Path:
    """Execute every chapter on ``profile`` and build the HTML book; return the path of ``index.html``.

    ``overrides`` replace profile parameters for this build; ``only`` (chapter file stems, e.g.
    ``part1_matrix_factorization``) executes just those chapters and stages the rest unexecuted.
    Output goes to ``<path_output>/_build`` (``path_output`` defaults to the repository root): staging
    sources in ``_build/source``, the site in ``_build/html``, the build log in ``_build/book-build.log``,
    each chapter's wall time and its kernel's peak memory in ``_build/book-timings.json``.
    """
    path_output = Path(path_output) if path_output is not None else root
    build = path_output / "_build"
    stage = build / "source"
    params = {**load_profile(profile, root), **(overrides or {})}
    names = {Path(c).name: c for c in chapters(root)}
    unknown = sorted(set(only or []) - set(names))
    if unknown:
        raise BookBuildError(f"unknown chapter {', '.join(unknown)}; choose from {', '.join(names)}")
    _stage(root, stage)
    commit = build_commit(root)
    timings: list[dict[str, object]] = []
    env_backup = {k: os.environ.get(k) for k in ("PLOTLY_RENDERER", "RECSYS_TUTORIAL_RESULTS")}
    results = build / "results"
    if results.exists():
        shutil.rmtree(results)
    os.environ["PLOTLY_RENDERER"] = "notebook_connected"
    os.environ["RECSYS_TUTORIAL_RESULTS"] = str(results)
    try:
        for chapter in chapters(root):
            source, target = root / f"{chapter}.py", stage / f"{chapter}.ipynb"
            if execute and (not only or Path(chapter).name in only):
                logger.info("executing %s (profile %s)", source.name, profile)
                with _PeakRSS() as rss:
                    seconds = execute_chapter(source, target, params, timeout=timeout, commit=commit)
                timings.append({"chapter": Path(chapter).name, "seconds": round(seconds, 1),
                                "peak_rss_mb": round(rss.peak / 2**20)})
                logger.info("executed %s in %.1f s (kernel peak %.0f MB)", source.name, seconds, rss.peak / 2**20)
            else:
                import jupytext

                nb = jupytext.read(source)
                pin_to_commit(nb, commit)
                jupytext.write(nb, target)
    finally:
        for key, value in env_backup.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    (build / "book-timings.json").write_text(json.dumps(
        {"profile": profile, "parameters": params, "chapters": timings}, indent=1, default=str))
    log_path = build / "book-build.log"
    cmd = [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
           "build", str(stage), "--path-output", str(path_output), "-W", "--keep-going"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    log_path.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise BookBuildError(f"jupyter-book build failed (exit {proc.returncode}); log: {log_path}\n"
                             + (proc.stdout + proc.stderr)[-4000:])
    if MIME_WARNING in proc.stdout + proc.stderr:
        raise BookBuildError(f"a figure was dropped ('{MIME_WARNING}'); see {log_path}")
    index = build / "html" / "index.html"
    if not index.exists():
        raise BookBuildError(f"the build reported success but {index} is missing; see {log_path}")
    return index


def _profiles_help(root: Path = ROOT) -> str:
    """The profiles and every parameter's value in each, for ``--help``."""
    profiles = {p.stem: load_profile(p.stem, root) for p in sorted((root / "book" / "params").glob("*.yaml"))}
    keys = list(dict.fromkeys(k for values in profiles.values() for k in values))
    width = max(map(len, keys)) + 2
    lines = ["profiles (book/params/NAME.yaml) and their parameters:",
             " " * (width + 2) + "".join(f"{name:>14}" for name in profiles)]
    for key in keys:
        lines.append(f"  {key:<{width}}" + "".join(f"{v.get(key, '-')!s:>14}" for v in profiles.values()))
    lines.append("DATASET: 'synthetic', a 2014/2018 category name (e.g. Electronics), or a metadata file path.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m recsys_tutorial.book", description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_profiles_help())
    parser.add_argument("--profile", default="default", help="parameter profile in book/params (default: default)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override one profile parameter for this build (repeatable), e.g. --set SEED=7")
    parser.add_argument("--chapter", action="append", default=[], metavar="NAME",
                        help="execute only this chapter, e.g. part1_matrix_factorization (repeatable; "
                             "the others are rendered unexecuted) (default: every chapter)")
    parser.add_argument("--path-output", type=Path, default=None, help="folder that receives _build (default: repo)")
    parser.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds (default: none)")
    parser.add_argument("--no-execute", action="store_true", help="build from unexecuted notebooks (layout checks)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("papermill").setLevel(logging.WARNING)
    start = time.perf_counter()
    try:
        overrides = parse_overrides(args.overrides)
        index = build_book(args.profile, args.path_output, execute=not args.no_execute, timeout=args.timeout,
                           overrides=overrides, only=args.chapter)
    except BookBuildError as exc:
        print(f"\nBOOK BUILD FAILED\n{exc}", file=sys.stderr)
        return 1
    timings = json.loads((index.parents[1] / "book-timings.json").read_text())["chapters"]
    for row in timings:
        print(f"  {row['chapter']:<28} {row['seconds']:>8.1f} s  kernel peak {row['peak_rss_mb']:>7,} MB")
    print(f"\nBook built in {time.perf_counter() - start:.0f} s (profile {args.profile!r}).")
    print(f"Open {index.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
