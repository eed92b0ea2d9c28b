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
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

__all__ = ["BookBuildError", "build_book", "chapters", "execute_chapter", "load_profile", "notebook_parameters"]

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
    shutil.copy2(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", static / "plotly.min.js")


def execute_chapter(source: Path, target: Path, parameters: dict[str, object], timeout: int | None = None) -> float:
    """Execute one py:percent chapter into ``target`` (an .ipynb) with papermill; return seconds taken."""
    import jupytext
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    nb = jupytext.read(source)
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
) -> Path:
    """Execute every chapter on ``profile`` and build the HTML book; return the path of ``index.html``.

    Output goes to ``<path_output>/_build`` (``path_output`` defaults to the repository root): staging
    sources in ``_build/source``, the site in ``_build/html``, the build log in ``_build/book-build.log``.
    """
    path_output = Path(path_output) if path_output is not None else root
    build = path_output / "_build"
    stage = build / "source"
    params = load_profile(profile, root)
    _stage(root, stage)
    env_backup = {k: os.environ.get(k) for k in ("PLOTLY_RENDERER", "RECSYS_TUTORIAL_RESULTS")}
    results = build / "results"
    if results.exists():
        shutil.rmtree(results)
    os.environ["PLOTLY_RENDERER"] = "notebook_connected"
    os.environ["RECSYS_TUTORIAL_RESULTS"] = str(results)
    try:
        for chapter in chapters(root):
            source, target = root / f"{chapter}.py", stage / f"{chapter}.ipynb"
            if execute:
                logger.info("executing %s (profile %s)", source.name, profile)
                seconds = execute_chapter(source, target, params, timeout=timeout)
                logger.info("executed %s in %.1f s", source.name, seconds)
            else:
                import jupytext

                jupytext.write(jupytext.read(source), target)
    finally:
        for key, value in env_backup.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recsys_tutorial.book", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default", help="parameter profile in book/params (default: default)")
    parser.add_argument("--path-output", type=Path, default=None, help="folder that receives _build (default: repo)")
    parser.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds (default: none)")
    parser.add_argument("--no-execute", action="store_true", help="build from unexecuted notebooks (layout checks)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("papermill").setLevel(logging.WARNING)
    start = time.perf_counter()
    try:
        index = build_book(args.profile, args.path_output, execute=not args.no_execute, timeout=args.timeout)
    except BookBuildError as exc:
        print(f"\nBOOK BUILD FAILED\n{exc}", file=sys.stderr)
        return 1
    print(f"\nBook built in {time.perf_counter() - start:.0f} s (profile {args.profile!r}).")
    print(f"Open {index.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
