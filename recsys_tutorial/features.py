"""Features: side information per product (brand, category levels, price band) as integer field ids.

Id 0 means missing in every field, so models can mask it. Values seen fewer than ``min_count`` times
in the catalogue share one "rare" id per field (the original lumped values under 100 occurrences).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FIELDS", "SideInformation", "centroid_cold_start", "price_band", "side_information"]

FIELDS = ("brand", "category_lvl_2", "category_lvl_3", "category_lvl_4", "price_band")
_RARE = "\x00rare"


def price_band(price: pd.Series) -> pd.Series:
    """The original's bins: whole dollars below $25, $5 bins to $50, $10 bins to $500, then "500+"."""
    p = pd.to_numeric(price, errors="coerce")
    band = np.where(p < 25, np.floor(p), np.where(p < 50, 25 + 5 * np.floor((p - 25) / 5),
                                                  np.where(p < 500, 50 + 10 * np.floor((p - 50) / 10), 500)))
    out = pd.Series(band, index=price.index).map(lambda b: f"${b:.0f}" if b < 500 else "$500+")
    return out.where(p.notna())


@dataclass
class SideInformation:
    """Field vocabularies: id i ≥ 1 of a field is ``vocabularies[field][i - 1]``."""

    vocabularies: dict[str, pd.Index]

    @property
    def field_sizes(self) -> list[int]:
        return [len(self.vocabularies[f]) + 1 for f in FIELDS]

    def encode(self, products: pd.DataFrame, asins: pd.Index) -> np.ndarray:
        """Field ids (len(asins) × fields) for any products, e.g. cold-start ones; unknown ASINs get 0s."""
        table = _field_values(products).reindex(pd.Index(asins, dtype="string"))
        out = np.zeros((len(asins), len(FIELDS)), dtype=np.int64)
        for f, name in enumerate(FIELDS):
            values = table[name].astype("object")
            vocab = self.vocabularies[name]
            known = vocab.get_indexer(values.where(values.isin(vocab), _RARE).fillna("\x00missing"))
            out[:, f] = np.where(values.isna(), 0, known + 1)
        return out


def _field_values(products: pd.DataFrame) -> pd.DataFrame:
    frame = products[["asin", "brand", "category_lvl_2", "category_lvl_3", "category_lvl_4"]].copy()
    frame["price_band"] = price_band(products["price"])
    frame = frame.drop_duplicates("asin")
    frame.index = pd.Index(frame["asin"].astype(str), dtype="string")
    return frame


def side_information(products: pd.DataFrame, vocab: pd.Index, min_count: int = 2) -> tuple[SideInformation, np.ndarray]:
    """Encode the side information of every graph product (rows aligned with ``vocab``)."""
    values = _field_values(products)
    vocabularies = {}
    for name in FIELDS:
        counts = values[name].value_counts()
        vocabularies[name] = pd.Index([*sorted(counts.index[counts >= min_count].astype(str)), _RARE])
    info = SideInformation(vocabularies)
    return info, info.encode(products, vocab)


def centroid_cold_start(vectors: np.ndarray, known: np.ndarray, side: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Vectors for ``rows`` (products without training edges) from the trained products that share their fields.

    Per field, a value's centroid is the mean unit vector of the trained products carrying it; a row's vector
    is the mean of its present fields' (unit) centroids — equal weight per field, as GES's cold start. Needs
    no training, so it works for any embedding, with or without side information. A row none of whose field
    values occurs among the trained products keeps a zero vector (no evidence).
    """
    from scipy import sparse

    def unit(x: np.ndarray) -> np.ndarray:
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)

    trained = np.flatnonzero(known)
    trained_unit = unit(np.asarray(vectors, dtype=np.float32)[trained])
    rows = np.asarray(rows, dtype=np.int64)
    out = np.zeros((len(rows), trained_unit.shape[1]), np.float32)
    fields_used = np.zeros(len(rows), np.int64)
    for f in range(side.shape[1]):
        values, wanted = side[trained, f].astype(np.int64), side[rows, f].astype(np.int64)
        size = int(max(values.max(initial=0), wanted.max(initial=0))) + 1
        members = sparse.csr_matrix((np.ones(len(values), np.float32), (values, np.arange(len(values)))),
                                    shape=(size, len(values)))
        centroids = unit(np.asarray(members @ trained_unit))
        usable = (wanted > 0) & (np.bincount(values, minlength=size)[wanted] > 0)
        out[usable] += centroids[wanted[usable]]
        fields_used += usable
    out /= np.maximum(fields_used, 1)[:, None]
    return out
