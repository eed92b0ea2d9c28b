"""The embedded default dataset: synthetic Amazon metadata that looks like the real Electronics file.

Generative story (every number is a parameter below, calibrated against original-work.md §2.4–2.5):

1. **Shopping missions.** Products belong to latent missions ("set up a home studio", "travel with a
   laptop"). Each mission has a category leaf (Electronics > level 2 > level 3 > level 4), a couple of
   home brands and a typical price.
2. **Products.** Some products are *sources*: catalogued, titled, with an ``also_bought`` list. Others are
   catalogued but never list enough co-purchases, and most graph nodes are *phantoms*: ASINs that
   appear in somebody's list but have no metadata line (other categories, delisted items) — as in the
   real file, where 61 % of graph nodes lack metadata.
3. **Co-purchases.** Every product has a heavy-tailed popularity. A source's ``also_bought`` list draws
   targets from its own mission with probability ``p_in_mission`` and from the whole catalogue
   otherwise, proportional to popularity; ``also_viewed`` is more diffuse and ``bought_together`` is a
   short subset of ``also_bought``. Missions are what embeddings can learn.
4. **Side information** follows the mission, noisily: the category leaf is the mission's most of the
   time, brand is missing for half the products and otherwise often a home brand, price scatters
   around the mission's price.

The file is written in the 2014 format (one Python-literal dict per line), so the same reader runs on
it as on the real download.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["GENERATOR_VERSION", "SyntheticConfig", "make_synthetic_amazon", "synthetic_tables"]

#: Bumped whenever the generator changes its output, so cached files are regenerated.
GENERATOR_VERSION = 1

_LEVEL2 = {
    "Computers & Accessories": ["Cables", "Laptop Accessories", "Keyboards & Mice", "Networking", "Data Storage"],
    "Camera & Photo": ["Lenses", "Tripods", "Camera Bags", "Flashes", "Memory Cards"],
    "Home Audio": ["Speakers", "Receivers", "Turntables", "Subwoofers", "Sound Bars"],
    "Portable Audio & Video": ["Headphones", "MP3 Players", "Portable Speakers", "Radios"],
    "Television & Video": ["Televisions", "Projectors", "Streaming Media Players", "TV Mounts", "Blu-ray Players"],
    "Car Electronics": ["Car Audio", "Dash Cams", "Car Chargers", "Radar Detectors"],
    "GPS & Navigation": ["Handheld GPS", "Vehicle GPS", "GPS Mounts", "Marine GPS"],
    "Accessories & Supplies": ["Batteries", "Power Strips", "Cleaning Kits", "Cable Ties", "Adapters"],
    "Cell Phones & Accessories": ["Cases", "Screen Protectors", "Chargers", "Phone Mounts", "Headsets"],
    "Security & Surveillance": ["Security Cameras", "Video Doorbells", "Alarm Systems", "Monitors"],
    "Office Electronics": ["Printers", "Scanners", "Label Makers", "Calculators", "Shredders"],
    "Video Games": ["Controllers", "Gaming Headsets", "Consoles", "Charging Stations"],
    "Wearable Technology": ["Smartwatches", "Fitness Trackers", "Watch Bands", "VR Headsets"],
}
_LEVEL4_WORDS = ["Wireless", "Compact", "Professional", "Rechargeable", "Universal", "Heavy Duty", "Mini",
                 "Ultra Slim", "Waterproof", "High Speed", "Premium", "Travel"]
_ADJECTIVES = ["Black", "Silver", "2-Pack", "Portable", "Deluxe", "Slim", "Pro", "Classic", "Ergonomic",
               "Lightweight", "Dual", "Smart", "HD", "USB-C", "Bluetooth", "Kid's", "Men's", "Women's"]
_SYLLABLES = ["zen", "vol", "tri", "ka", "lum", "ori", "nex", "sol", "vex", "ar", "pix", "tek", "mo",
              "qua", "ro", "syn", "tor", "ela", "iso", "cor"]


@dataclass(frozen=True)
class SyntheticConfig:
    """Knobs of the generative story; the defaults reproduce the Electronics statistics."""

    source_share: float = 0.36          # graph nodes that are catalogued sources
    catalogued_target_share: float = 0.04  # graph nodes catalogued but not sources
    phantom_share: float = 0.60         # graph nodes without a metadata line
    catalogue_per_node: float = 1.19    # metadata lines per graph node (498,196 / 418,749)
    products_per_mission: int = 200
    also_bought_mean: float = 41.0      # mean also_bought list length of a source (before dedup)
    also_bought_max: int = 100
    also_viewed_prob: float = 0.34
    also_viewed_mean: float = 4.0
    bought_together_prob: float = 0.33
    p_in_mission: float = 0.80
    p_in_mission_viewed: float = 0.60
    popularity_sigma: float = 1.8
    brand_missing: float = 0.50
    brand_home: float = 0.60
    category_home: float = 0.85
    level4_missing: float = 0.10
    price_missing: float = 0.28
    rank_missing: float = 0.08
    title_missing_noncore: float = 0.05


def _brand_names(rng: np.random.Generator, n: int) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        k = int(rng.integers(2, 4))
        names.add("".join(rng.choice(_SYLLABLES, size=k)).capitalize())
    return sorted(names)


def _category_leaves() -> list[tuple[str, str, str, str]]:
    leaves = []
    for lvl2, lvl3s in _LEVEL2.items():
        for j, lvl3 in enumerate(lvl3s):
            for k in range(2 + (j % 2)):
                leaves.append(("Electronics", lvl2, lvl3, f"{_LEVEL4_WORDS[(j * 3 + k) % len(_LEVEL4_WORDS)]} {lvl3}"))
    return leaves


def _asins(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique, random-looking 10-character ASINs ("B00" + 7 base-36 characters)."""
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    values = np.unique(rng.integers(0, 36**7, size=int(n * 1.05) + 16, dtype=np.int64))
    while len(values) < n:
        values = np.unique(np.concatenate([values, rng.integers(0, 36**7, size=n, dtype=np.int64)]))
    values = rng.permutation(values)[:n]
    digits = np.stack([(values // 36**p) % 36 for p in range(6, -1, -1)], axis=1)
    chars = alphabet[digits]
    return np.array(["B00" + "".join(row) for row in chars], dtype=object)


def _draw_targets(rng, sources, mission, missions_of_sources, p_in, cum, start, total) -> np.ndarray:
    """Popularity-weighted targets: within the source's mission with probability p_in, else anywhere."""
    n = len(sources)
    local = rng.random(n) < p_in
    u = rng.random(n)
    m = missions_of_sources
    r = np.where(local, cum[start[m]] - total[m] + u * total[m], u * cum[-1])
    return mission[np.minimum(np.searchsorted(cum, r, side="right"), len(cum) - 1)]


@dataclass
class _Catalogue:
    """Everything the generative story drew, as arrays indexed by product (see the module docstring)."""

    asins: np.ndarray
    write_order: np.ndarray  # catalogued products, in file order
    leaves: list
    leaf_of: np.ndarray
    has_lvl4: np.ndarray
    brands: list
    brand_of: np.ndarray
    has_brand: np.ndarray
    has_title: np.ndarray
    adjective: np.ndarray
    model_no: np.ndarray
    price: np.ndarray
    has_price: np.ndarray
    rank: np.ndarray
    has_rank: np.ndarray
    relations: dict  # relation name -> (src, dst) index arrays in drawn order

    def title(self, i: int) -> str | None:
        if not self.has_title[i]:
            return None
        leaf = self.leaves[self.leaf_of[i]]
        words = [self.brands[self.brand_of[i]]] if self.has_brand[i] else []
        words += [_ADJECTIVES[self.adjective[i]], leaf[3] if self.has_lvl4[i] else leaf[2],
                  f"{self.asins[i][3:5]}-{self.model_no[i]}"]
        return " ".join(words)

    def category_path(self, i: int) -> list[str]:
        leaf = self.leaves[self.leaf_of[i]]
        return list(leaf if self.has_lvl4[i] else leaf[:3])


def make_synthetic_amazon(
    path: str | os.PathLike, n_products: int = 50_000, seed: int = 0, config: SyntheticConfig | None = None
) -> Path:
    """Write synthetic 2014-format metadata whose product graph has about ``n_products`` nodes.

    Profiles use ≈ 2 K (``ci``), ≈ 50 K (``default``) and ≈ 420 K (Electronics scale, ≈ 500 K lines,
    ≈ 4 M edges). The same seed gives a byte-identical file. Written atomically; ``.gz`` compresses.
    """
    cat = _generate(n_products, seed, config or SyntheticConfig())
    asins = cat.asins

    # Group relation rows by source product, keeping the drawn order.
    def grouped(src: np.ndarray, dst: np.ndarray) -> dict[int, list[str]]:
        idx = np.argsort(src, kind="stable")
        s, d = src[idx], asins[dst[idx]]
        cuts = np.flatnonzero(np.diff(s)) + 1
        blocks = zip(np.split(s, cuts), np.split(d, cuts), strict=True)
        return {int(block_s[0]): list(block_d) for block_s, block_d in blocks if len(block_s)}

    lists = {name: grouped(*pair) for name, pair in cat.relations.items()}
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        opener = gzip.open(tmp, "wt", encoding="utf-8", compresslevel=3) if target.suffix == ".gz" else open(
            tmp, "w", encoding="utf-8")
        with opener as out:
            for i in cat.write_order.tolist():
                record: dict[str, object] = {"asin": asins[i]}
                title = cat.title(i)
                if title:
                    record["title"] = title
                if cat.has_price[i]:
                    record["price"] = float(cat.price[i])
                record["imUrl"] = f"http://ecx.images-amazon.com/images/I/{asins[i]}.jpg"
                related = {name: lists[name][i] for name in lists if i in lists[name]}
                if related:
                    record["related"] = related
                if cat.has_rank[i]:
                    record["salesRank"] = {"Electronics": int(cat.rank[i])}
                if cat.has_brand[i]:
                    record["brand"] = cat.brands[cat.brand_of[i]]
                record["categories"] = [cat.category_path(i)]
                out.write(repr(record))
                out.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def synthetic_tables(
    n_products: int = 50_000, seed: int = 0, config: SyntheticConfig | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables :func:`read_amazon_metadata` would return for the same file, without the text round trip.

    Row order differs from the file's; everything built from them (edges, vocabulary) is identical.
    Benchmarks use it to make Books-scale graphs in seconds.
    """
    from recsys_tutorial.data import RELATIONS

    cat = _generate(n_products, seed, config or SyntheticConfig())
    rows = cat.write_order
    paths = [cat.category_path(i) + [None] * 4 for i in rows.tolist()]
    products = pd.DataFrame({
        "asin": pd.array(cat.asins[rows], dtype="string"),
        "title": pd.array([cat.title(i) for i in rows.tolist()], dtype="string"),
        "price": np.where(cat.has_price[rows], cat.price[rows], np.nan),
        "brand": pd.array([cat.brands[b] if h else None for b, h in zip(cat.brand_of[rows], cat.has_brand[rows],
                                                                           strict=True)], dtype="string"),
        **{f"category_lvl_{k}": pd.array([path[k - 1] for path in paths], dtype="string") for k in range(1, 5)},
        "sales_rank": pd.arrays.IntegerArray(cat.rank[rows].astype(np.int64), ~cat.has_rank[rows]),
        "sales_rank_category": pd.array(np.where(cat.has_rank[rows], "Electronics", None), dtype="string"),
    })
    names = list(cat.relations)
    src = np.concatenate([cat.relations[n][0] for n in names])
    dst = np.concatenate([cat.relations[n][1] for n in names])
    rel = np.repeat(np.array([RELATIONS.index(n) for n in names], np.int8), [len(cat.relations[n][0]) for n in names])
    used = np.unique(np.concatenate([rows, src, dst]))
    code = np.full(len(cat.asins), -1, np.int32)
    code[used] = np.arange(len(used), dtype=np.int32)
    asin_type = pd.CategoricalDtype(pd.Index(cat.asins[used].astype(str), dtype="string"))
    relations = pd.DataFrame({
        "asin": pd.Categorical.from_codes(code[src], dtype=asin_type),
        "related": pd.Categorical.from_codes(code[dst], dtype=asin_type),
        "relation": pd.Categorical.from_codes(rel, categories=list(RELATIONS)),
    })
    return products, relations


def _generate(n_products: int, seed: int, cfg: SyntheticConfig) -> _Catalogue:
    """Draw the whole catalogue; the single place where random numbers are consumed."""
    if n_products < 100:
        raise ValueError(f"n_products must be at least 100, got {n_products}")
    rng = np.random.default_rng(seed)
    g = int(n_products)
    n_src = round(cfg.source_share * g)
    n_tcat = round(cfg.catalogued_target_share * g)
    n_extra = max(0, round(cfg.catalogue_per_node * g) - n_src - n_tcat)  # catalogued, outside the graph
    n_all = g + n_extra
    # index layout: [sources | catalogued targets | phantoms | catalogued extras]
    is_src = np.zeros(n_all, bool)
    is_src[:n_src] = True
    in_graph = np.zeros(n_all, bool)
    in_graph[:g] = True
    catalogued = np.ones(n_all, bool)
    catalogued[n_src + n_tcat : g] = False

    n_missions = max(8, g // cfg.products_per_mission)
    mission_size = rng.lognormal(0.0, 0.6, n_missions)
    mission_of = rng.choice(n_missions, size=n_all, p=mission_size / mission_size.sum())
    popularity = rng.lognormal(0.0, cfg.popularity_sigma, n_all)

    # Popularity-weighted sampling tables over graph products, grouped by mission.
    graph_ids = np.arange(g)
    order = graph_ids[np.argsort(mission_of[:g], kind="stable")]
    cum = np.cumsum(popularity[order])
    counts = np.bincount(mission_of[:g], minlength=n_missions)
    end = np.cumsum(counts) - 1  # index of each mission's last member in `order`
    empty = counts == 0
    end[empty] = 0
    total = np.bincount(mission_of[:g], weights=popularity[:g], minlength=n_missions)
    total[empty] = cum[-1]  # an empty mission falls back to the whole catalogue

    def targets_for(list_sources: np.ndarray, p_in: float) -> np.ndarray:
        ms = mission_of[list_sources]
        t = _draw_targets(rng, list_sources, order, ms, p_in, cum, end, total)
        t_empty = empty[ms]
        t[t_empty] = order[np.searchsorted(cum, rng.random(t_empty.sum()) * cum[-1], side="right").clip(0, g - 1)]
        return t

    src_ids = np.arange(n_src)
    mu = np.log(cfg.also_bought_mean) - 0.5 * 0.8**2
    ab_len = np.clip(np.round(rng.lognormal(mu, 0.8, n_src)), 2, cfg.also_bought_max).astype(np.int64)
    ab_src = np.repeat(src_ids, ab_len)
    ab_dst = targets_for(ab_src, cfg.p_in_mission)

    # Every graph node must be listed at least once: give unlisted ones to a source of their mission.
    listed = np.zeros(g, bool)
    listed[ab_dst] = True
    listed[:n_src] |= np.bincount(ab_src, minlength=n_src) > 0
    orphans = np.flatnonzero(~listed)
    if len(orphans):
        src_by_mission = np.argsort(mission_of[:n_src], kind="stable")
        src_counts = np.bincount(mission_of[:n_src], minlength=n_missions)
        src_start = np.cumsum(src_counts) - src_counts
        om = mission_of[orphans]
        has = src_counts[om] > 0
        pick = np.where(
            has,
            src_by_mission[(src_start[om] + (rng.random(len(orphans)) * np.maximum(src_counts[om], 1)).astype(
                np.int64)).clip(0, n_src - 1)],
            rng.integers(0, n_src, len(orphans)),
        )
        ab_src = np.concatenate([ab_src, pick])
        ab_dst = np.concatenate([ab_dst, orphans])

    av_has = rng.random(n_src) < cfg.also_viewed_prob
    av_len = np.where(av_has, 1 + rng.poisson(cfg.also_viewed_mean - 1, n_src), 0)
    av_src = np.repeat(src_ids, av_len)
    av_dst = targets_for(av_src, cfg.p_in_mission_viewed)

    def dedup(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        keep = src != dst
        key = src[keep].astype(np.int64) * n_all + dst[keep]
        _, first = np.unique(key, return_index=True)
        first.sort()  # keep list order as drawn
        return src[keep][first], dst[keep][first]

    ab_src, ab_dst = dedup(ab_src, ab_dst)
    av_src, av_dst = dedup(av_src, av_dst)
    # bought_together: the first one or two also_bought items of some sources.
    bt_has = rng.random(n_src) < cfg.bought_together_prob
    bt_n = np.where(bt_has, 1 + (rng.random(n_src) < 0.3), 0)
    by_src = np.argsort(ab_src, kind="stable")  # orphans were appended out of order
    sorted_src = ab_src[by_src]
    ab_rank = np.empty(len(ab_src), np.int64)
    ab_rank[by_src] = np.arange(len(ab_src)) - np.searchsorted(sorted_src, sorted_src, side="left")
    bt_mask = ab_rank < bt_n[ab_src]
    bt_src, bt_dst = ab_src[bt_mask], ab_dst[bt_mask]

    # Catalogued products outside the graph: most have no relations, some list one item or have no title.
    extra = np.arange(g, n_all)
    extra_kind = rng.random(n_extra)  # < 0.3: one also_bought; 0.3–0.33: titleless with a full list
    one_src = extra[extra_kind < 0.30]
    one_dst = targets_for(one_src, cfg.p_in_mission)
    untitled_src = extra[(extra_kind >= 0.30) & (extra_kind < 0.33)]
    untitled_len = 2 + rng.poisson(4, len(untitled_src))
    untitled_rep = np.repeat(untitled_src, untitled_len)
    untitled_dst = targets_for(untitled_rep, cfg.p_in_mission)
    ex_src, ex_dst = dedup(np.concatenate([one_src, untitled_rep]), np.concatenate([one_dst, untitled_dst]))

    # Side information.
    leaves = _category_leaves()
    mission_leaf = rng.integers(0, len(leaves), n_missions)
    brands = _brand_names(rng, max(40, g // 250))
    brand_pop = 1.0 / np.arange(1, len(brands) + 1) ** 1.1
    brand_pop /= brand_pop.sum()
    mission_brands = rng.choice(len(brands), size=(n_missions, 2), p=brand_pop)
    mission_price = rng.lognormal(3.3, 1.0, n_missions)
    leaf_of = np.where(rng.random(n_all) < cfg.category_home, mission_leaf[mission_of],
                       rng.integers(0, len(leaves), n_all))
    has_lvl4 = rng.random(n_all) >= cfg.level4_missing
    has_brand = rng.random(n_all) >= cfg.brand_missing
    brand_of = np.where(rng.random(n_all) < cfg.brand_home,
                        mission_brands[mission_of, rng.integers(0, 2, n_all)],
                        rng.choice(len(brands), size=n_all, p=brand_pop))
    price = np.round(mission_price[mission_of] * rng.lognormal(0.0, 0.3, n_all)) + 0.99
    has_price = rng.random(n_all) >= cfg.price_missing
    rank_score = popularity * rng.lognormal(0.0, 0.5, n_all)
    rank = np.empty(n_all, np.int64)
    rank[np.argsort(-rank_score)] = np.arange(1, n_all + 1)
    has_rank = rng.random(n_all) >= cfg.rank_missing
    has_title = np.ones(n_all, bool)
    has_title[g:] = rng.random(n_extra) >= cfg.title_missing_noncore
    has_title[untitled_src] = False
    adjective = rng.integers(0, len(_ADJECTIVES), n_all)
    model_no = rng.integers(100, 9999, n_all)
    asins = _asins(rng, n_all)
    write_order = rng.permutation(np.flatnonzero(catalogued))
    return _Catalogue(
        asins=asins, write_order=write_order, leaves=leaves, leaf_of=leaf_of, has_lvl4=has_lvl4, brands=brands,
        brand_of=brand_of, has_brand=has_brand, has_title=has_title, adjective=adjective, model_no=model_no,
        price=price, has_price=has_price, rank=rank, has_rank=has_rank,
        relations={
            "also_bought": (np.concatenate([ab_src, ex_src]), np.concatenate([ab_dst, ex_dst])),
            "also_viewed": (av_src, av_dst),
            "bought_together": (bt_src, bt_dst),
        },
    )
