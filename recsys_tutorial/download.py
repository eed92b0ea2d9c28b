"""Download the public Amazon metadata files with pooch: mirrors, resume, cache and a hash registry.

The McAuley files have moved host more than once, so each file has a list of mirror URLs tried in
order. Downloads resume from a ``.part`` file (HTTP Range), show a progress bar, and land in a cache.
Hashes we have not pinned yet are allowed; the SHA-256 is logged after download so you can pin it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pooch
from tqdm.auto import tqdm

__all__ = ["CATEGORIES_2014", "CATEGORIES_2018", "REGISTRY", "DownloadError", "canonical_category",
           "default_cache_dir", "fetch_amazon", "mirror_urls"]

logger = logging.getLogger(__name__)

#: Hosts of the 2014 release ("Amazon product data", per-category metadata files).
MIRRORS_2014 = (
    "https://snap.stanford.edu/data/amazon/productGraph/categoryFiles/",
    "http://jmcauley.ucsd.edu/data/amazon/productGraph/categoryFiles/",
)
#: Hosts of the 2018 release ("Amazon Review Data (2018)", folder metaFiles2).
MIRRORS_2018 = (
    "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_v2/metaFiles2/",
    "https://mcauleylab.ucsd.edu/public_datasets/data/amazon_v2/metaFiles2/",
    "https://jmcauley.ucsd.edu/data/amazon_v2/metaFiles2/",
    "http://deepyeti.ucsd.edu/jianmo/amazon/metaFiles2/",
)
CATEGORIES_2014 = (
    "Books", "Electronics", "Movies_and_TV", "CDs_and_Vinyl", "Clothing_Shoes_and_Jewelry",
    "Home_and_Kitchen", "Kindle_Store", "Sports_and_Outdoors", "Cell_Phones_and_Accessories",
    "Health_and_Personal_Care", "Toys_and_Games", "Video_Games", "Tools_and_Home_Improvement",
    "Beauty", "Apps_for_Android", "Office_Products", "Pet_Supplies", "Automotive",
    "Grocery_and_Gourmet_Food", "Patio_Lawn_and_Garden", "Baby", "Digital_Music",
    "Musical_Instruments", "Amazon_Instant_Video",
)
CATEGORIES_2018 = (
    "AMAZON_FASHION", "All_Beauty", "Appliances", "Arts_Crafts_and_Sewing", "Automotive", "Books",
    "CDs_and_Vinyl", "Cell_Phones_and_Accessories", "Clothing_Shoes_and_Jewelry", "Digital_Music",
    "Electronics", "Gift_Cards", "Grocery_and_Gourmet_Food", "Home_and_Kitchen",
    "Industrial_and_Scientific", "Kindle_Store", "Luxury_Beauty", "Magazine_Subscriptions",
    "Movies_and_TV", "Musical_Instruments", "Office_Products", "Patio_Lawn_and_Garden",
    "Pet_Supplies", "Prime_Pantry", "Software", "Sports_and_Outdoors", "Tools_and_Home_Improvement",
    "Toys_and_Games", "Video_Games",
)
#: Known SHA-256 hashes, keyed by (version, file name). None = not pinned yet: accepted, and the hash
#: is logged after download. Pin a hash here once you have checked a download.
REGISTRY: dict[tuple[int, str], str | None] = {
    (2014, "meta_Electronics.json.gz"): None,
    (2014, "meta_Books.json.gz"): None,
    (2018, "meta_Electronics.json.gz"): None,
    (2018, "meta_Books.json.gz"): None,
}


class DownloadError(RuntimeError):
    """No mirror could deliver the file; the message says what was tried and what to do instead."""


def default_cache_dir() -> Path:
    """``$RECSYS_TUTORIAL_DATA`` if set, else the OS cache folder (pooch's choice)."""
    env = os.environ.get("RECSYS_TUTORIAL_DATA")
    return Path(env) if env else Path(pooch.os_cache("recsys-tutorial"))


def canonical_category(category: str, version: int) -> str:
    """The release's spelling of a category name, matched ignoring case and ``_`` vs space ("digital music")."""
    known = {2014: CATEGORIES_2014, 2018: CATEGORIES_2018}
    if version not in known:
        raise ValueError(f"version must be 2014 or 2018, got {version!r}")
    key = category.strip().replace(" ", "_").lower()
    for name in known[version]:
        if name.lower() == key:
            return name
    raise ValueError(f"unknown {version} category {category!r}; choose from {', '.join(known[version])}, "
                     "or pass the path of a metadata file")


def mirror_urls(category: str, version: int) -> list[str]:
    """Every URL that may hold ``meta_<category>.json.gz`` for a release, in the order tried."""
    category = canonical_category(category, version)
    hosts = MIRRORS_2014 if version == 2014 else MIRRORS_2018
    return [f"{host}meta_{category}.json.gz" for host in hosts]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ResumingDownloader:
    """A pooch downloader that continues a partial ``.part`` file with an HTTP Range request."""

    def __init__(self, part_dir: Path, progressbar: bool = True, timeout: float = 30.0):
        self.part_dir, self.progressbar, self.timeout = part_dir, progressbar, timeout

    def __call__(self, url: str, output_file: str, pooch_obj: object, check_only: bool = False) -> bool | None:
        if check_only:
            try:
                with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=self.timeout):
                    return True
            except (urllib.error.URLError, OSError):
                return False
        part = self.part_dir / (Path(url).name + ".part")
        part.parent.mkdir(parents=True, exist_ok=True)
        offset = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            resumed = offset > 0 and response.status == 206
            if offset and not resumed:
                logger.info("server ignored the Range request for %s; starting over", url)
                offset = 0
            length = response.headers.get("Content-Length")
            total = offset + int(length) if length is not None else None
            with (
                open(part, "ab" if resumed else "wb") as out,
                tqdm(total=total, initial=offset, unit="B", unit_scale=True, desc=Path(url).name,
                     disable=not self.progressbar) as bar,
            ):
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
        if total is not None and part.stat().st_size != total:
            raise DownloadError(f"{url}: got {part.stat().st_size} of {total} bytes; run again to resume")
        shutil.move(part, output_file)
        return None


def fetch_amazon(
    category: str,
    version: int = 2014,
    cache_dir: str | os.PathLike | None = None,
    *,
    urls: list[str] | None = None,
    known_hash: str | None = None,
    progressbar: bool = True,
) -> Path:
    """Download (or find in the cache) ``meta_<category>.json.gz`` of the 2014 or 2018 release.

    ``category`` is matched ignoring case ("electronics"); the cache is looked at before the name is checked,
    so a file saved as ``<cache>/<version>/meta_<name>.json.gz`` is found under any name. ``urls`` overrides
    the mirror list (tests point it at a loopback server). ``known_hash`` overrides the registry. Returns the
    local path; a cached file is returned without touching the network.
    """
    if version not in (2014, 2018):
        raise ValueError(f"version must be 2014 or 2018, got {version!r}")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = cache / str(version)
    try:
        category = canonical_category(category, version)
    except ValueError:  # not a known name: a file placed in the cache under its own name still counts
        if urls is None and not (folder / f"meta_{category}.json.gz").exists():
            raise
    fname = f"meta_{category}.json.gz"
    pinned = known_hash if known_hash is not None else REGISTRY.get((version, fname))
    target = folder / fname
    if target.exists() and (pinned is None or pinned.split(":")[-1] == _sha256(target)):
        logger.info("using cached %s", target)
        return target
    urls = list(urls) if urls is not None else mirror_urls(category, version)
    downloader = ResumingDownloader(folder, progressbar=progressbar)
    errors: list[str] = []
    for url in urls:
        try:
            path = pooch.retrieve(url, known_hash=pinned, fname=fname, path=folder, downloader=downloader,
                                  progressbar=False)
        except (urllib.error.URLError, OSError, DownloadError) as exc:
            errors.append(f"  {url}: {exc}")
            logger.info("mirror failed: %s (%s)", url, exc)
            continue
        except ValueError as exc:  # pooch's hash mismatch
            raise DownloadError(f"{fname} from {url} does not match its pinned hash: {exc}") from exc
        path = Path(path)
        if pinned is None:
            logger.warning(
                "downloaded %s (%s bytes); its hash is not pinned yet: sha256:%s — add it to "
                "recsys_tutorial.download.REGISTRY[(%d, %r)] to verify future downloads",
                path, f"{path.stat().st_size:,}", _sha256(path), version, fname,
            )
        return path
    raise DownloadError(
        f"could not download {fname} ({version} release) from any mirror — are you offline?\n"
        + "\n".join(errors)
        + f"\nIf you have the file, put it at {target}; otherwise use the embedded synthetic dataset "
        "(profile 'default') which needs no download. Partial downloads are kept and resume next time."
    )
