"""load_dataset's three routes — the embedded data, a category name, a file path — with no network."""

from __future__ import annotations

import gzip
import json
import shutil
import socket

import pytest

from recsys_tutorial.data import is_metadata_path, load_dataset, read_amazon_metadata
from recsys_tutorial.download import canonical_category, fetch_amazon


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test: every route below must work offline."""
    def refuse(*args, **kwargs):
        raise AssertionError("load_dataset tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def write_2018(path, n: int = 40) -> None:
    """A 2018-format (JSON lines) metadata file: also_buy / also_view lists, flat category, price as text."""
    lines = [json.dumps({"asin": f"A{i:09d}", "title": f"Gift card {i}", "price": f"${10 + i}.00",
                         "category": ["Gift Cards", "Occasions"], "brand": "Shop" if i % 2 else "",
                         "also_buy": [f"A{(i + 1) % n:09d}", f"A{(i + 2) % n:09d}"],
                         "also_view": [f"A{(i + 3) % n:09d}"]}) for i in range(n)]
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def test_a_2014_file_path(ci_metadata):
    products, _, report = load_dataset(str(ci_metadata))
    assert report.format == "2014" and report.parsed == len(products) > 1000
    expected = read_amazon_metadata(ci_metadata)[0]
    assert products.equals(expected)
    assert report.label.startswith(f"{ci_metadata.name} (2014 format): ") and "/" not in report.label


def test_a_2018_file_path_as_a_path_object(tmp_path):
    write_2018(tmp_path / "my_shop.jsonl.gz")
    products, relations, report = load_dataset(tmp_path / "my_shop.jsonl.gz")
    assert report.format == "2018" and len(products) == 40
    assert set(relations["relation"].astype(str)) == {"also_bought", "also_viewed"}
    assert report.label.startswith("my_shop.jsonl.gz (2018 format): 40 products parsed")


def test_a_cached_category_needs_no_network_and_no_exact_spelling(tmp_path):
    (tmp_path / "2018").mkdir()
    write_2018(tmp_path / "2018" / "meta_Gift_Cards.json.gz")
    products, _, report = load_dataset("gift cards", version=2018, cache_dir=tmp_path)
    assert len(products) == 40 and report.format == "2018"


def test_a_file_cached_under_a_name_of_its_own_is_found_before_any_name_check(tmp_path, ci_metadata):
    (tmp_path / "2014").mkdir()
    shutil.copy(ci_metadata, tmp_path / "2014" / "meta_my_shop.json.gz")
    products, _, _ = load_dataset("my_shop", cache_dir=tmp_path)
    assert len(products) > 1000
    assert fetch_amazon("my_shop", cache_dir=tmp_path) == tmp_path / "2014" / "meta_my_shop.json.gz"


def test_bad_names_and_paths_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match=r"unknown 2014 category 'Gadgets'.*path of a metadata file"):
        load_dataset("Gadgets", cache_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"metadata file not found.*read as a path"):
        load_dataset(str(tmp_path / "missing.json.gz"))
    with pytest.raises(ValueError, match="version"):
        load_dataset("Books", version=2016, cache_dir=tmp_path)


def test_which_strings_are_paths(tmp_path):
    assert is_metadata_path("data/meta.json.gz") and is_metadata_path("meta.jsonl") and is_metadata_path(tmp_path)
    assert not is_metadata_path("Electronics") and not is_metadata_path("synthetic")
    assert canonical_category("digital music", 2014) == "Digital_Music"
    assert canonical_category("ELECTRONICS", 2018) == "Electronics"
