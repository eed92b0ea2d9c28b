"""The embedded default dataset: synthetic Amazon metadata whose product graph behaves like the real one.

Amazon's *also bought* list of a product is its **top co-purchased** products. The generator models how such
lists arise rather than drawing edges directly, because the structure that decides how methods compare —
clustering, a heavy-tailed degree, a median degree of one or two — follows from that story:

1. **Catalogue.** The metadata file's products (one line each) and *foreign* products: items of other
   categories that shoppers buy alongside, which appear in lists but have no line — as in the real
   Electronics file, where 61 % of graph nodes lack metadata. Only a third of the catalogued products sell
   at all; the rest have no co-purchase data (the real file has 498 K lines for 162 K catalogued graph nodes).
2. **Missions and themes.** Every product belongs to a small *shopping mission* (accessories of one camera,
   about 25 products). Missions group into broad *themes* (photography, about 120 missions) and themes into
   *departments* (the second level of the category tree).
3. **Co-purchases.** A selling product takes part in Poisson(``purchases_per_sale`` × its popularity)
   co-purchases, popularity log-normal. Each partner is a foreign product (often of the same mission), rarely
   an unsold catalogued one, and otherwise a selling product of the same mission (∝ popularity), of the same
   theme (∝ popularity^½: broad, sparse ties), of the same department (∝ popularity: the department's
   best-sellers become hubs) or, rarely, anywhere.
4. **Lists.** ``also_bought`` is the partners ranked by how often they were co-purchased (ties at random),
   at most 100: the tight mission mates come first, which is where triangles come from. ``also_viewed``
   comes from shorter browsing sessions and ``bought_together`` is the head of ``also_bought``.
5. **Side information** follows the mission, noisily: the category leaf is in the mission's department and
   usually the mission's own, brand is missing for half the products and otherwise often a home brand,
   price scatters around the mission's price.

The defaults were calibrated on the 50 K ``default`` graph against real extracts
(``benchmarks/bench_realism.py``): median degree 2, about a third of the neighbour pairs of a node linked
(SNAP's Amazon graph: 0.42), and the top 1 % of products holding an eighth of the edge endpoints — with the
Electronics-wide counts of ``data.describe_dataset`` kept. The file is written in the 2014 format (one
Python-literal dict per line), so the same reader runs on it as on the real download.
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
GENERATOR_VERSION = 2

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
    """Knobs of the generative story (module docstring); the defaults reproduce real co-purchase graphs."""

    catalogue_per_node: float = 1.19    # metadata lines per graph node (498,196 / 418,749 in Electronics)
    foreign_per_node: float = 1.5       # products of other categories per graph node (no metadata line)
    selling_share: float = 0.33         # catalogued products with any co-purchases
    popularity_sigma: float = 2.2       # log-normal spread of a selling product's popularity
    foreign_sigma: float = 0.7          # ... of a foreign product's
    mission_size: float = 25.0          # products (of every kind) per shopping mission
    missions_per_theme: float = 120.0
    purchases_per_sale: float = 17.7    # mean co-purchases per unit of popularity (Poisson)
    purchases_max: int = 800            # enough to rank a best-seller's top 100
    p_mission: float = 0.45             # a selling partner from the same mission, ∝ popularity
    p_theme: float = 0.45               # ... from the same theme, ∝ popularity ** theme_power
    theme_power: float = 0.5
    p_department: float = 0.095         # ... from the same department, ∝ popularity; the rest from anywhere
    p_foreign: float = 0.0527           # the partner is a foreign product instead
    foreign_in_mission: float = 0.65    # a foreign partner from the same mission (else the same department)
    p_unsold: float = 0.0001            # the partner is a catalogued product that never sold otherwise
    list_max: int = 100                 # Amazon's lists stop at 100
    also_viewed_share: float = 0.34     # selling products with an also_viewed list
    also_viewed_mean: float = 4.5       # browsing events per such product
    bought_together_share: float = 0.33
    brand_missing: float = 0.50
    brand_home: float = 0.60
    category_home: float = 0.85
    level4_missing: float = 0.10
    price_missing: float = 0.28
    rank_missing: float = 0.08
    title_missing: float = 0.03


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


class _Pools:
    """Draw products in proportion to a weight, within a group (mission, theme, department) or anywhere."""

    def __init__(self, group_of: np.ndarray, weight: np.ndarray, n_groups: int):
        self.order = np.argsort(group_of, kind="stable")
        self.cum = np.cumsum(weight[self.order])
        size = np.bincount(group_of, minlength=n_groups)
        self.before = np.concatenate([[0.0], self.cum])[np.cumsum(size) - size]  # weight ahead of each group
        self.total = np.bincount(group_of, weights=weight, minlength=n_groups)

    def draw(self, rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
        """One product per entry of ``groups``; a group without weight falls back to the whole catalogue."""
        total = np.where(self.total[groups] > 0, self.total[groups], self.cum[-1])
        before = np.where(self.total[groups] > 0, self.before[groups], 0.0)
        at = before + rng.random(len(groups)) * total
        return self.order[np.minimum(np.searchsorted(self.cum, at, side="right"), len(self.cum) - 1)]


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


_SELLING, _UNSOLD, _FOREIGN = 0, 1, 2


@dataclass
class _World:
    """Who is what and where: product kind and popularity, mission → theme → department."""

    kind: np.ndarray
    popularity: np.ndarray
    mission_of: np.ndarray
    theme_of: np.ndarray
    department_of: np.ndarray
    n_missions: int
    n_themes: int


def _world(rng: np.random.Generator, n_lines: int, n_foreign: int, cfg: SyntheticConfig) -> _World:
    """Steps 1–2: catalogued (selling or not) and foreign products, placed in missions, themes and departments."""
    n_all = n_lines + n_foreign
    kind = np.full(n_all, _FOREIGN, np.int8)
    kind[:n_lines] = np.where(rng.random(n_lines) < cfg.selling_share, _SELLING, _UNSOLD)
    popularity = np.concatenate([rng.lognormal(0.0, cfg.popularity_sigma, n_lines),
                                 rng.lognormal(0.0, cfg.foreign_sigma, n_foreign)])
    n_missions = max(8, round(n_all / cfg.mission_size))
    size = rng.lognormal(0.0, 0.5, n_missions)
    mission_of = rng.choice(n_missions, size=n_all, p=size / size.sum())
    n_themes = max(2, round(n_missions / cfg.missions_per_theme))
    theme_of_mission = rng.integers(0, n_themes, n_missions)
    department_of_theme = rng.integers(0, len(_LEVEL2), n_themes)
    theme_of = theme_of_mission[mission_of]
    return _World(kind, popularity, mission_of, theme_of, department_of_theme[theme_of], n_missions, n_themes)


class _Partners:
    """Step 3: the partner of each co-purchase (or browsing event) of the given products."""

    def __init__(self, world: _World, cfg: SyntheticConfig):
        w, selling = world, world.kind == _SELLING
        sales = np.where(selling, w.popularity, 0.0)
        foreign = np.where(w.kind == _FOREIGN, w.popularity, 0.0)
        self.world, self.cfg = w, cfg
        self.mission = _Pools(w.mission_of, sales, w.n_missions)
        self.theme = _Pools(w.theme_of, sales**cfg.theme_power, w.n_themes)
        self.department = _Pools(w.department_of, sales, len(_LEVEL2))
        self.anywhere = _Pools(np.zeros(len(sales), np.int64), sales, 1)
        self.foreign_mission = _Pools(w.mission_of, foreign, w.n_missions)
        self.foreign_department = _Pools(w.department_of, foreign, len(_LEVEL2))
        self.unsold = _Pools(w.mission_of, (w.kind == _UNSOLD).astype(np.float64), w.n_missions)

    def draw(self, rng: np.random.Generator, owners: np.ndarray, p_mission: float, p_theme: float,
             p_department: float) -> np.ndarray:
        """A partner per entry of ``owners``: foreign, unsold, or selling at the level the dice pick."""
        w, cfg = self.world, self.cfg
        kind, level = rng.random(len(owners)), rng.random(len(owners))
        foreign = kind < cfg.p_foreign
        unsold = (kind >= cfg.p_foreign) & (kind < cfg.p_foreign + cfg.p_unsold)
        selling = ~foreign & ~unsold
        near = level < cfg.foreign_in_mission
        to_theme, to_department = p_mission + p_theme, p_mission + p_theme + p_department
        draws = [
            (foreign & near, self.foreign_mission, w.mission_of),
            (foreign & ~near, self.foreign_department, w.department_of),
            (unsold, self.unsold, w.mission_of),
            (selling & (level < p_mission), self.mission, w.mission_of),
            (selling & (level >= p_mission) & (level < to_theme), self.theme, w.theme_of),
            (selling & (level >= to_theme) & (level < to_department), self.department, w.department_of),
            (selling & (level >= to_department), self.anywhere, np.zeros(len(w.kind), np.int64)),
        ]
        out = np.empty(len(owners), np.int64)
        for mask, pools, group in draws:
            out[mask] = pools.draw(rng, group[owners[mask]])
        return out


def _top_lists(rng: np.random.Generator, owners: np.ndarray, partners: np.ndarray, n_all: int,
               list_max: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 4: per owner, its distinct partners by co-purchase count (ties at random), at most ``list_max``.

    Returns (owner, partner, rank) rows sorted by owner, then rank.
    """
    keep = owners != partners
    key, count = np.unique(owners[keep] * np.int64(n_all) + partners[keep], return_counts=True)
    owner, partner = key // n_all, key % n_all
    order = np.lexsort((rng.random(len(key)), -count, owner))
    owner, partner = owner[order], partner[order]
    rank = np.arange(len(owner)) - np.searchsorted(owner, owner, side="left")
    top = rank < list_max
    return owner[top], partner[top], rank[top]


def _generate(n_products: int, seed: int, cfg: SyntheticConfig) -> _Catalogue:
    """Draw the whole catalogue (module docstring, steps 1–5); the single place where random numbers are consumed."""
    if n_products < 100:
        raise ValueError(f"n_products must be at least 100, got {n_products}")
    rng = np.random.default_rng(seed)
    n_lines = round(cfg.catalogue_per_node * n_products)
    world = _world(rng, n_lines, round(cfg.foreign_per_node * n_products), cfg)
    n_all = len(world.kind)
    partners = _Partners(world, cfg)

    selling = np.flatnonzero(world.kind == _SELLING)
    purchases = np.minimum(rng.poisson(cfg.purchases_per_sale * world.popularity[selling]), cfg.purchases_max)
    owners = np.repeat(selling, purchases)
    bought = partners.draw(rng, owners, cfg.p_mission, cfg.p_theme, cfg.p_department)
    ab_src, ab_dst, ab_rank = _top_lists(rng, owners, bought, n_all, cfg.list_max)
    browsers = selling[rng.random(len(selling)) < cfg.also_viewed_share]
    viewers = np.repeat(browsers, rng.poisson(cfg.also_viewed_mean, len(browsers)))
    viewed = partners.draw(rng, viewers, 0.3, 0.0, 0.6)  # substitutes: same mission or department
    av_src, av_dst, _ = _top_lists(rng, viewers, viewed, n_all, cfg.list_max)
    # bought_together: the one or two strongest also_bought items of some products.
    together = np.zeros(n_all, np.int64)
    chosen = selling[rng.random(len(selling)) < cfg.bought_together_share]
    together[chosen] = 1 + (rng.random(len(chosen)) < 0.3)
    bt = ab_rank < together[ab_src]

    return _dress(rng, world, n_lines, n_products, cfg, relations={
        "also_bought": (ab_src, ab_dst), "also_viewed": (av_src, av_dst), "bought_together": (ab_src[bt], ab_dst[bt])})


def _dress(rng: np.random.Generator, world: _World, n_lines: int, n_products: int, cfg: SyntheticConfig,
           relations: dict) -> _Catalogue:
    """Step 5: categories, brands, prices, ranks, titles and ASINs, following each product's mission noisily."""
    n_all, mission_of = len(world.kind), world.mission_of
    leaves = _category_leaves()
    level2 = list(_LEVEL2)
    leaf_department = np.array([level2.index(leaf[1]) for leaf in leaves])  # leaves are grouped by department
    first_leaf = np.searchsorted(leaf_department, np.arange(len(level2)))
    leaf_count = np.bincount(leaf_department, minlength=len(level2))
    mission_department = np.zeros(world.n_missions, np.int64)
    mission_department[mission_of] = world.department_of
    mission_leaf = first_leaf[mission_department] + (rng.random(world.n_missions)
                                                     * leaf_count[mission_department]).astype(np.int64)
    brands = _brand_names(rng, max(40, n_products // 250))
    brand_pop = 1.0 / np.arange(1, len(brands) + 1) ** 1.1
    brand_pop /= brand_pop.sum()
    mission_brands = rng.choice(len(brands), size=(world.n_missions, 2), p=brand_pop)
    mission_price = rng.lognormal(3.3, 1.0, world.n_missions)
    leaf_of = np.where(rng.random(n_all) < cfg.category_home, mission_leaf[mission_of],
                       rng.integers(0, len(leaves), n_all))
    has_lvl4 = rng.random(n_all) >= cfg.level4_missing
    has_brand = rng.random(n_all) >= cfg.brand_missing
    brand_of = np.where(rng.random(n_all) < cfg.brand_home,
                        mission_brands[mission_of, rng.integers(0, 2, n_all)],
                        rng.choice(len(brands), size=n_all, p=brand_pop))
    price = np.round(mission_price[mission_of] * rng.lognormal(0.0, 0.3, n_all)) + 0.99
    has_price = rng.random(n_all) >= cfg.price_missing
    rank_score = world.popularity * (world.kind == _SELLING) * rng.lognormal(0.0, 0.5, n_all)
    rank = np.empty(n_all, np.int64)
    rank[np.argsort(-rank_score, kind="stable")] = np.arange(1, n_all + 1)
    has_rank = rng.random(n_all) >= cfg.rank_missing
    has_title = rng.random(n_all) >= cfg.title_missing
    adjective = rng.integers(0, len(_ADJECTIVES), n_all)
    model_no = rng.integers(100, 9999, n_all)
    asins = _asins(rng, n_all)
    write_order = rng.permutation(n_lines)
    return _Catalogue(
        asins=asins, write_order=write_order, leaves=leaves, leaf_of=leaf_of, has_lvl4=has_lvl4, brands=brands,
        brand_of=brand_of, has_brand=has_brand, has_title=has_title, adjective=adjective, model_no=model_no,
        price=price, has_price=has_price, rank=rank, has_rank=has_rank, relations=relations,
    )
