"""Shared fixtures: small synthetic datasets generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def ci_metadata(tmp_path_factory) -> Path:
    """The ci-profile synthetic metadata file (≈ 2 K graph nodes)."""
    from recsys_tutorial.data import make_synthetic_amazon

    return make_synthetic_amazon(tmp_path_factory.mktemp("ci") / "meta.json.gz", n_products=2000, seed=7)


@pytest.fixture(scope="session")
def ci_tables(ci_metadata):
    from recsys_tutorial.data import read_amazon_metadata

    return read_amazon_metadata(ci_metadata)


@pytest.fixture(scope="session")
def ci_edges(ci_tables):
    from recsys_tutorial.edges import build_edges

    products, relations, _ = ci_tables
    return build_edges(products, relations)
