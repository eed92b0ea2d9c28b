"""Shared benchmark helpers: scales, stage runner with per-stage peak RSS, and the RESULT line."""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue as queue_module
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: Graph sizes (nodes) of the synthetic data at each scale; electronics ≈ the real 2014 Electronics graph.
SCALES = {"ci": 2_000, "default": 50_000, "electronics": 420_000, "books": 1_950_000}
OUT = Path(__file__).resolve().parent / "out"


def parse_args(description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scale", choices=list(SCALES), default="default")
    parser.add_argument("--seed", type=int, default=0)
    if extra:
        extra(parser)
    return parser.parse_args()


def peak_rss_gb() -> float:
    """This process's peak resident memory (VmHWM). Unlike ru_maxrss it starts afresh at exec, so a child
    never reports its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _child(fn, args, queue):
    start = time.perf_counter()
    result = fn(*args)
    seconds = time.perf_counter() - start
    queue.put((result, seconds, peak_rss_gb()))


def run_stage(fn: Callable, *args) -> tuple[object, float, float]:
    """Run ``fn(*args)`` in a fresh process; return (result, wall seconds, peak RSS in GB of that process)."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, args, queue))
    proc.start()
    while True:
        try:
            result = queue.get(timeout=1.0)
            break
        except queue_module.Empty:
            if not proc.is_alive():
                sys.exit(f"stage {fn.__name__} failed with exit code {proc.exitcode}")
    proc.join()
    return result


def synthetic_file(scale: str, seed: int) -> Path:
    """The synthetic metadata file for a scale, generated once and kept in the data cache."""
    from recsys_tutorial.download import default_cache_dir
    from recsys_tutorial.synthetic import GENERATOR_VERSION, make_synthetic_amazon

    n = SCALES[scale]
    path = default_cache_dir() / "synthetic" / f"meta_synthetic_n{n}_s{seed}_g{GENERATOR_VERSION}.json.gz"
    if not path.exists():
        make_synthetic_amazon(path, n_products=n, seed=seed)
    return path


def result_line(**values: float | int | str) -> str:
    parts = [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()]
    return "RESULT " + " ".join(parts)
