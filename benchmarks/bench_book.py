"""The book as a reader runs it: wall time and the kernel's peak memory of every chapter on one profile.

Builds the whole book (papermill + Jupyter Book, exactly ``make book``'s path) into a temporary folder and prints
one row per chapter plus the Jupyter Book render, with the machine it ran on. ``--set KEY=VALUE`` overrides a
parameter (e.g. a metadata file as ``DATASET``). ``--record`` stores the run in ``benchmarks/book_profiles.json``;
``--table`` prints the per-profile table from that file; recording also writes it into README.md and
book/intro.md between their ``book-profiles`` markers (a test keeps them equal, so the table is measured,
never typed). Usage::

    python benchmarks/bench_book.py --profile electronics --set DATASET=/data/meta_Electronics.json.gz --record
    python benchmarks/bench_book.py --table
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import result_line

from recsys_tutorial.book import build_book, parse_overrides

RECORD = Path(__file__).resolve().parent / "book_profiles.json"
#: What each profile downloads (the synthetic data is generated locally).
DOWNLOAD = {"ci": "none", "default": "none", "electronics": "meta_Electronics.json.gz (2014), once, cached",
            "books": "meta_Books.json.gz (2014), once, cached"}


#: Short chapter names for the table's per-chapter column, in reading order.
CHAPTER_NAMES = {"data": "data", "part1_matrix_factorization": "Part 1", "part2_graph_nlp": "Part 2",
                 "results": "results", "scaling": "scaling"}


def per_chapter(chapters: dict[str, float]) -> str:
    """Minutes per chapter in reading order, e.g. ``Part 1 20.1 · Part 2 28.4``."""
    order = [c for c in CHAPTER_NAMES if c in chapters] + [c for c in chapters if c not in CHAPTER_NAMES]
    return " · ".join(f"{CHAPTER_NAMES.get(c, c)} {chapters[c] / 60:.1f}" for c in order)


def table(record: dict) -> str:
    """The README's table: one row per recorded profile, in a fixed order."""
    rows = ["| profile | data | wall time | per chapter (min) | peak memory | download | measured on |",
            "|---|---|---|---|---|---|---|"]
    order = ["ci", "default", "electronics", "books"]
    for name in sorted(record, key=lambda n: order.index(n) if n in order else len(order)):
        run = record[name]
        rows.append(f"| `{name}` | {run['data']} | {run['total_s'] / 60:.0f} min | {per_chapter(run['chapters'])} | "
                    f"{run['peak_gb']:.1f} GB | {DOWNLOAD.get(name, '—')} | {run['machine']} |")
    return "\n".join(rows)


DOCS = [Path(__file__).resolve().parents[1] / name for name in ("README.md", "book/intro.md")]
MARKERS = ("<!-- book-profiles: python benchmarks/bench_book.py --table -->", "<!-- /book-profiles -->")


def docs_block(text: str) -> str:
    """The table between the markers of a document."""
    return text.split(MARKERS[0], 1)[1].split(MARKERS[1], 1)[0].strip()


def update_docs(record: dict) -> None:
    """Put the current table between the markers of the README and the book's introduction."""
    for path in DOCS:
        text = path.read_text()
        old = docs_block(text)
        new = f"{MARKERS[0]}\n{table(record)}\n{MARKERS[1]}"
        path.write_text(text.replace(f"{MARKERS[0]}\n{old}\n{MARKERS[1]}", new))


def remember(profile: str, timings: dict, total: float, cpus: int | None, note: str) -> None:
    """Store one run (per-chapter seconds, total, kernel peak, machine) under its profile in the record."""
    record = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    chapters = timings["chapters"]
    dataset = str(timings["parameters"].get("DATASET"))
    record[profile] = {
        "data": (f"synthetic, {int(timings['parameters'].get('N_PRODUCTS')):,} products" if dataset == "synthetic"
                 else Path(dataset).name),
        "total_s": round(total, 1), "peak_gb": round(max(r["peak_rss_mb"] for r in chapters) / 1024, 2),
        "chapters": {r["chapter"]: r["seconds"] for r in chapters},
        "machine": f"{cpus} CPU cores, {platform.machine()}" + (f"; {note}" if note else ""),
        "parameters": timings["parameters"],
    }
    RECORD.write_text(json.dumps(record, indent=1, default=str) + "\n")
    update_docs(record)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default", help="book/params profile (default: default)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a profile parameter (repeatable)")
    parser.add_argument("--keep", type=Path, default=None, help="build here and keep it (default: a temp folder)")
    parser.add_argument("--json", type=Path, default=None, help="also write the measurements here as JSON")
    parser.add_argument("--record", action="store_true", help=f"store the run in {RECORD.name}")
    parser.add_argument("--note", default="", help="recorded with the run, e.g. 'other jobs shared the CPUs'")
    parser.add_argument("--table", action="store_true", help="print the README table from the record and exit")
    parser.add_argument("--from-json", type=Path, default=None,
                        help="record a finished run from the file its --json wrote, instead of building")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(RECORD.read_text())))
        return 0
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        remember(args.profile, saved, saved["total_s"], saved["cpus"], args.note)
        print(table(json.loads(RECORD.read_text())))
        return 0
    overrides = parse_overrides(args.overrides)
    with tempfile.TemporaryDirectory(prefix="bench-book-") as tmp:
        out = args.keep or Path(tmp)
        start = time.perf_counter()
        index = build_book(args.profile, path_output=out, overrides=overrides)
        total = time.perf_counter() - start
        timings = json.loads((index.parents[1] / "book-timings.json").read_text())
    chapters = timings["chapters"]
    render = total - sum(row["seconds"] for row in chapters)
    cpus = os.cpu_count()
    print(f"profile {args.profile!r} {overrides or ''} on {platform.machine()}, {cpus} CPUs, "
          f"torch device {timings['parameters'].get('DEVICE')}")
    print(f"{'chapter':<28} {'wall':>10} {'kernel peak':>14}")
    for row in chapters:
        print(f"{row['chapter']:<28} {row['seconds'] / 60:>8.1f} m {row['peak_rss_mb'] / 1024:>11.2f} GB")
    print(f"{'Jupyter Book render + staging':<28} {render / 60:>8.1f} m")
    print(f"{'total':<28} {total / 60:>8.1f} m {max(r['peak_rss_mb'] for r in chapters) / 1024:>11.2f} GB (max)")
    if args.json:
        args.json.write_text(json.dumps({**timings, "total_s": round(total, 1), "render_s": round(render, 1),
                                         "cpus": cpus}, indent=1, default=str))
    if args.record:
        remember(args.profile, timings, total, cpus, args.note)
    print(result_line(profile=args.profile, total_min=round(total / 60, 1),
                      peak_gb=round(max(r["peak_rss_mb"] for r in chapters) / 1024, 2),
                      **{f"{r['chapter']}_min": round(r["seconds"] / 60, 1) for r in chapters}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
