"""The book as a reader runs it: wall time and the kernel's peak memory of every chapter on one profile.

Builds the whole book (papermill + Jupyter Book, exactly ``make book``'s path) into a temporary folder and prints
one row per chapter plus the Jupyter Book render, with the machine it ran on. These are the figures behind the
per-profile tables of the README and the profile files. ``--set KEY=VALUE`` overrides a parameter (e.g. a
metadata file as ``DATASET``). Usage::

    python benchmarks/bench_book.py --profile electronics --set DATASET=/data/meta_Electronics.json.gz
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default", help="book/params profile (default: default)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a profile parameter (repeatable)")
    parser.add_argument("--keep", type=Path, default=None, help="build here and keep it (default: a temp folder)")
    parser.add_argument("--json", type=Path, default=None, help="also write the measurements here as JSON")
    args = parser.parse_args()
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
    print(result_line(profile=args.profile, total_min=round(total / 60, 1),
                      peak_gb=round(max(r["peak_rss_mb"] for r in chapters) / 1024, 2),
                      **{f"{r['chapter']}_min": round(r["seconds"] / 60, 1) for r in chapters}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
