"""Random walks: ours against PecanPy 2.0.9 SparseOTF and the original method, steps/s and peak RSS.

On the synthetic training graph of a scale (Electronics ≈ 420 K nodes, ≈ 2.8 M training edges), with
10 walks × 10 nodes per node and 2 threads for everyone:

- ours: first-order (p = q = 1) and node2vec (p = 0.5, q = 2) from ``recsys_tutorial.walks``; node2vec's
  one-off per-graph index (``ProductGraph.node2vec_index``) is timed on its own, and a second ratio counts it;
- PecanPy ``SparseOTF`` on the same edge list and settings, in its own venv (it pins numpy < 2), made by
  this script under ``benchmarks/.venv-pecanpy`` on first use; timed on its numba walk kernel only
  (the string conversion ``simulate_walks`` adds afterwards is left out, in PecanPy's favour);
- the original method (networkx graph, a Python dict of transition lists, one ``random.choices`` per
  step; ``recsys_tutorial.baselines.OriginalWalker``) on a sample of start nodes, **extrapolated** to the
  whole graph.

Walk times are the best of ``--repeat`` runs (3) for ours and PecanPy alike: noise on a shared machine only
ever slows a run down. ``--scale books`` (≈ 1.95 M nodes, ≈ 17.8 M training edges) times graph build + both
walk kinds only, once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, parse_args, result_line, run_stage

NUM_WALKS, WALK_LENGTH, P, Q = 10, 10, 0.5, 2.0
PECANPY_VENV = Path(__file__).resolve().parent / ".venv-pecanpy"


def train_edges(scale: str, seed: int) -> Path:
    """Training edges of the synthetic graph at a scale, cached as parquet."""
    from common import SCALES

    path = OUT / f"train_edges_{scale}_s{seed}.parquet"
    if not path.exists():
        from recsys_tutorial.edges import build_edges
        from recsys_tutorial.split import train_val_split
        from recsys_tutorial.synthetic import synthetic_tables

        products, relations = synthetic_tables(SCALES[scale], seed=seed)
        edges, vocab = build_edges(products, relations)
        split = train_val_split(edges, num_nodes=len(vocab))
        OUT.mkdir(parents=True, exist_ok=True)
        split.train.assign(num_nodes=len(vocab)).to_parquet(path)
    return path


def ours(path: str, p: float, q: float, repeat: int = 1) -> dict:
    import numba
    import pandas as pd

    from recsys_tutorial.walks import ProductGraph, random_walks

    numba.set_num_threads(2)
    edges = pd.read_parquet(path)
    start = time.perf_counter()
    graph = ProductGraph.from_edges(edges, int(edges["num_nodes"].iloc[0]))
    build_s = time.perf_counter() - start
    del edges  # the graph holds everything the walks need
    random_walks(graph, 1, 3, progress=False, chunk_size=64)  # JIT warm-up (cached)
    start = time.perf_counter()
    if (p, q) != (1.0, 1.0):  # node2vec's one-off per-graph index, timed on its own
        graph.node2vec_index()
    index_s = time.perf_counter() - start
    random_walks(graph, 1, 3, p=p, q=q, seed=0, progress=False, chunk_size=64)
    walk_s = float("inf")
    for _ in range(repeat):  # best of `repeat`: this shared machine's noise only ever slows a run down
        walks = None  # free the last run's walks first: the peak is one run's
        start = time.perf_counter()
        walks = random_walks(graph, NUM_WALKS, WALK_LENGTH, p=p, q=q, seed=0, progress=False)
        walk_s = min(walk_s, time.perf_counter() - start)
    steps = walks.shape[0] * (walks.shape[1] - 1)
    return {"build_s": build_s, "index_s": index_s, "walk_s": walk_s, "steps": steps, "steps_per_s": steps / walk_s,
            "steps_per_s_with_index": steps / (walk_s + index_s)}


def original(path: str, sample_nodes: int) -> dict:
    """The original's method (``recsys_tutorial.baselines``): networkx + per-node transition lists +
    random.choices per step, on a sample of start nodes, extrapolated to all of them."""
    import pandas as pd

    from recsys_tutorial.baselines import time_original_walks

    return time_original_walks(pd.read_parquet(path), NUM_WALKS, WALK_LENGTH, sample_nodes=sample_nodes, seed=0)


PECANPY_SCRIPT = textwrap.dedent('''
    import json, sys, time
    import numpy as np

    def peak_rss_gb():  # VmHWM: this process's own peak, not inherited across exec
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024 ** 2
    from pecanpy.pecanpy import SparseOTF
    path, p, q, num_walks, steps_per_walk = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), \\
        int(sys.argv[5])
    repeat = int(sys.argv[6])
    t = time.perf_counter()
    g = SparseOTF(p=p, q=q, workers=2, verbose=False, random_state=0, extend=False)
    g.read_edg(path, weighted=True, directed=False)
    load_s = time.perf_counter() - t
    move_forward, has_nbrs = g.get_move_forward(), g.get_has_nbrs()
    from numba_progress import ProgressBar
    starts = np.concatenate([np.arange(g.num_nodes, dtype=np.uint32)] * num_walks)
    np.random.seed(0); np.random.shuffle(starts)
    with ProgressBar(total=16, disable=True) as bar:  # JIT warm-up on 16 walks
        g._random_walks(16, steps_per_walk, 0, starts[:16], has_nbrs, move_forward, bar)
    walk_s = float("inf")
    for _ in range(repeat):  # best of `repeat`, as for ours
        mat = None
        with ProgressBar(total=len(starts), disable=True) as bar:
            t = time.perf_counter()
            mat = g._random_walks(len(starts), steps_per_walk, 0, starts, has_nbrs, move_forward, bar)
            walk_s = min(walk_s, time.perf_counter() - t)
    steps = int((mat[:, -1].astype(np.int64) - 1).sum())
    print(json.dumps({"load_s": load_s, "walk_s": walk_s, "steps": steps, "steps_per_s": steps / walk_s,
                      "peak_rss_gb": peak_rss_gb()}))
''')


def pecanpy(path: Path, p: float, q: float, repeat: int = 1) -> dict:
    import json

    python = PECANPY_VENV / "bin" / "python"
    if not python.exists():
        print("creating the PecanPy venv (pecanpy==2.0.9 pins numpy < 2) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PECANPY_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "pecanpy==2.0.9"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        edg = Path(tmp) / "train.edg"
        import pandas as pd

        edges = pd.read_parquet(path)
        edges[["src", "dst", "weight"]].to_csv(edg, sep="\t", header=False, index=False)
        script = Path(tmp) / "walk.py"
        script.write_text(PECANPY_SCRIPT)
        env = {**os.environ, "NUMBA_NUM_THREADS": "2"}
        done = subprocess.run([str(python), str(script), str(edg), str(p), str(q), str(NUM_WALKS),
                               str(WALK_LENGTH - 1), str(repeat)], capture_output=True, text=True, env=env,
                              check=False)
    if done.returncode != 0:
        sys.exit(f"PecanPy failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    def extra(parser):
        parser.add_argument("--original-sample", type=int, default=5000,
                            help="start nodes for the original method (extrapolated)")
        parser.add_argument("--repeat", type=int, default=3,
                            help="walk runs per method, best time kept (ours and PecanPy alike)")

    args = parse_args(__doc__.splitlines()[0], extra)
    path = train_edges(args.scale, args.seed)
    repeat = 1 if args.scale == "books" else args.repeat  # books: one time-to-result run
    print(f"scale {args.scale}: training graph {path.name}; {NUM_WALKS} walks x {WALK_LENGTH} nodes per node, "
          f"2 threads, best of {repeat} run(s)", flush=True)
    first, first_s, first_gb = run_stage(ours, str(path), 1.0, 1.0, repeat)
    n2v, n2v_s, n2v_gb = run_stage(ours, str(path), P, Q, repeat)
    print(f"{'method':<44}{'steps/s':>14}{'walk s':>10}{'peak RSS GB':>13}")
    print(f"{'ours, first-order':<44}{first['steps_per_s']:>14,.0f}{first['walk_s']:>10.2f}{first_gb:>13.2f}")
    print(f"{f'ours, node2vec p={P} q={Q}':<44}{n2v['steps_per_s']:>14,.0f}{n2v['walk_s']:>10.2f}{n2v_gb:>13.2f}")
    print(f"{'  + its one-off per-graph index':<44}{n2v['steps_per_s_with_index']:>14,.0f}"
          f"{n2v['walk_s'] + n2v['index_s']:>10.2f}   (index {n2v['index_s']:.2f} s)")
    values = {"first_order_steps_per_s": first["steps_per_s"], "node2vec_steps_per_s": n2v["steps_per_s"]}
    if args.scale == "books":
        total = first_s + n2v["build_s"] + n2v["index_s"] + n2v["walk_s"]
        print(f"books scale: graph build {first['build_s']:.1f} s; node2vec index {n2v['index_s']:.1f} s; "
              f"build + first-order walks {first_s:.1f} s; "
              f"build + node2vec walks {n2v_s:.1f} s (wall, incl. loading); peak RSS {max(first_gb, n2v_gb):.2f} GB")
        values.update(build_s=first["build_s"], build_and_walks_s=total, peak_rss_gb=max(first_gb, n2v_gb))
        print(result_line(**values))
        return
    pp_first = pecanpy(path, 1.0, 1.0, repeat)
    pp_n2v = pecanpy(path, P, Q, repeat)
    print(f"{'PecanPy 2.0.9 SparseOTF, p=q=1':<44}{pp_first['steps_per_s']:>14,.0f}{pp_first['walk_s']:>10.2f}"
          f"{pp_first['peak_rss_gb']:>13.2f}")
    print(f"{f'PecanPy 2.0.9 SparseOTF, p={P} q={Q}':<44}{pp_n2v['steps_per_s']:>14,.0f}{pp_n2v['walk_s']:>10.2f}"
          f"{pp_n2v['peak_rss_gb']:>13.2f}")
    orig, _, orig_gb = run_stage(original, str(path), args.original_sample)
    print(f"{'original (networkx + random.choices), first':<44}{orig['steps_per_s']:>14,.0f}"
          f"{orig['extrapolated_walk_s']:>10.1f}{orig_gb:>13.2f}   extrapolated from {orig['sampled_nodes']:,} "
          f"of {orig['nodes']:,} start nodes; + {orig['prep_s']:.1f} s to build the transition dict")
    ratios = {
        "first_order_vs_pecanpy": first["steps_per_s"] / pp_first["steps_per_s"],
        "node2vec_vs_pecanpy": n2v["steps_per_s"] / pp_n2v["steps_per_s"],
        "node2vec_with_index_vs_pecanpy": n2v["steps_per_s_with_index"] / pp_n2v["steps_per_s"],
        "first_order_vs_original": first["steps_per_s"] / orig["steps_per_s"],
    }
    print("ratios: " + ", ".join(f"{k} {v:.1f}x" for k, v in ratios.items()))
    peak = max(first_gb, n2v_gb)
    print(f"peak RSS: ours {peak:.2f} GB, PecanPy {max(pp_first['peak_rss_gb'], pp_n2v['peak_rss_gb']):.2f} GB")
    values.update(ratios)
    values.update(peak_rss_gb=peak, pecanpy_peak_rss_gb=max(pp_first["peak_rss_gb"], pp_n2v["peak_rss_gb"]))
    print(result_line(**values))


if __name__ == "__main__":
    main()
