"""Data stages (parse → edges → split) against the original's approach, with wall time and peak RSS.

Each stage runs in its own process so its peak RSS is its own. The original approach is re-implemented
from its description (original-work.md §2.6): parse every line into a dict (the original used ``eval``;
we use ``ast.literal_eval``, which costs the same and runs nothing), build a DataFrame with the nested
fields as strings, parse ``related`` a second time, explode the lists into rows, then group "A|B"
string keys to sum weights. Usage: ``python benchmarks/bench_data.py --scale electronics``.
"""

from __future__ import annotations

import ast
import gzip
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import parse_args, result_line, run_stage, synthetic_file


def ours_parse(path: str, out: str) -> dict:
    from recsys_tutorial.data import read_amazon_metadata, save_tables

    products, relations, report = read_amazon_metadata(path)
    save_tables(products, relations, out)
    return {"lines": report.records_read, "relation_rows": len(relations)}


def ours_edges(tables: str, out: str) -> dict:
    from recsys_tutorial.data import load_tables
    from recsys_tutorial.edges import build_edges

    products, relations = load_tables(tables)
    edges, vocab = build_edges(products, relations)
    edges.to_parquet(Path(out) / "edges.parquet")
    return {"nodes": len(vocab), "edges": len(edges)}


def ours_split(out: str, nodes: int) -> dict:
    import pandas as pd

    from recsys_tutorial.split import train_val_split

    edges = pd.read_parquet(Path(out) / "edges.parquet")
    split = train_val_split(edges, num_nodes=nodes)
    return {"val_pairs": len(split.val)}


def original_pipeline(path: str) -> dict:
    """Parse, relationships and edges the way the original did, in one process."""
    import pandas as pd

    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rows.append(ast.literal_eval(line))
    df = pd.DataFrame(rows)
    df = df.dropna(subset=["related", "title"])
    for col in ("related", "categories", "salesRank"):
        df[col] = df[col].astype(str)  # the original stored nested fields as strings in a CSV
    related = df["related"].map(ast.literal_eval)  # ... and parsed them again
    n_also_bought = related.map(lambda r: len(r.get("also_bought", [])))
    df, related = df[n_also_bought >= 2], related[n_also_bought >= 2]
    parts = []
    weights = {"bought_together": 1.2, "also_bought": 1.0, "also_viewed": 0.5}
    for name, weight in weights.items():
        lists = related.map(lambda r, name=name: r.get(name, []))
        exploded = pd.DataFrame({"asin": df["asin"], "related": lists}).explode("related").dropna()
        exploded["weight"] = weight
        parts.append(exploded)
    rel = pd.concat(parts, ignore_index=True)
    key = [("|".join(sorted((a, b)))) for a, b in zip(rel["asin"], rel["related"], strict=True)]
    edges = rel.assign(key=key).groupby("key", sort=False)["weight"].sum()
    return {"edges": len(edges)}


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], lambda p: p.add_argument(
        "--skip-original", action="store_true", help="do not run the original approach"))
    path = str(synthetic_file(args.scale, args.seed))
    with tempfile.TemporaryDirectory() as tmp:
        parse_info, parse_s, parse_gb = run_stage(ours_parse, path, tmp)
        edge_info, edges_s, edges_gb = run_stage(ours_edges, tmp, tmp)
        split_info, split_s, split_gb = run_stage(ours_split, tmp, edge_info["nodes"])
    ours = parse_s + edges_s
    print(f"scale {args.scale}: {parse_info['lines']:,} metadata lines, {parse_info['relation_rows']:,} relation "
          f"rows → {edge_info['nodes']:,} nodes, {edge_info['edges']:,} edges, {split_info['val_pairs']:,} val pairs")
    print(f"{'stage':<28}{'wall s':>10}{'peak RSS GB':>14}")
    for name, s, gb in (("parse (ours)", parse_s, parse_gb), ("edges (ours)", edges_s, edges_gb),
                        ("split (ours)", split_s, split_gb)):
        print(f"{name:<28}{s:>10.2f}{gb:>14.2f}")
    total = parse_s + edges_s + split_s
    peak = max(parse_gb, edges_gb, split_gb)
    print(f"{'total (ours)':<28}{total:>10.2f}{peak:>14.2f}")
    values = {"parse_s": parse_s, "edges_s": edges_s, "split_s": split_s, "total_s": total, "peak_rss_gb": peak}
    if not args.skip_original:
        orig_info, orig_s, orig_gb = run_stage(original_pipeline, path)
        print(f"{'parse+edges (original way)':<28}{orig_s:>10.2f}{orig_gb:>14.2f}   ({orig_info['edges']:,} edges, "
              "self-pairs kept)")
        print(f"parse+edges: ours is {orig_s / ours:.1f}x faster with {orig_gb / max(parse_gb, edges_gb):.1f}x "
              "less peak memory than the original approach")
        values.update(original_s=orig_s, original_peak_rss_gb=orig_gb, speedup_vs_original=orig_s / ours)
    print(result_line(**values))


if __name__ == "__main__":
    main()
