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


def pytest_collection_modifyitems(config, items):
    """Under ``pytest -n N --dist loadgroup`` (make test): every test module stays on one worker, so its
    module fixtures (a built book, a Dask cluster) are made once; the notebooks form one group that runs in
    collection order, because the results page reads the records Part 1 and Part 2 wrote before it."""
    for item in items:
        path = Path(str(item.fspath))
        group = "notebooks" if path.suffix == ".ipynb" else path.stem
        item.add_marker(pytest.mark.xdist_group(group))
