"""Download the public Amazon metadata files: mirrors, resume, verification, a checked cache and a hash registry.

The McAuley files have moved host more than once, so each file has a list of mirror URLs tried in
order. A download goes to ``<file>.part`` (resumed with HTTP Range only when a small sidecar shows the
part came from the same URL), is verified, and only then renamed into the cache. Verification without a
pinned hash: the gzip stream is read to the end (CRC and length trailer), the first line must be a 2014
or 2018 record, and the size must be what the server announced. Hashes we have not pinned yet are
allowed; the SHA-256 is logged after download so you can pin it.

Every verified file gets a sidecar ``<file>.verified.json`` (size, mtime, SHA-256); later calls compare
size and mtime only, so a cache hit costs two ``stat`` calls, and the full check runs again only when the
sidecar is missing or disagrees. A file that fails verification is moved aside to ``<file>.bad-<time>``
with a :class:`~recsys_tutorial.errors.DataWarning`, never served.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import json
import logging
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zlib
from pathlib import Path

from tqdm import TqdmWarning, tqdm  # plain bars: tqdm.auto warns "IProgress not found" without ipywidgets

from recsys_tutorial.errors import warn_data

with warnings.catch_warnings():  # pooch imports tqdm.auto, which would print that warning in every kernel
    warnings.simplefilter("ignore", TqdmWarning)
    import pooch

__all__ = ["CATEGORIES_2014", "CATEGORIES_2018", "REGISTRY", "CacheError", "CorruptFileError", "DownloadError",
           "canonical_category", "check_cached", "default_cache_dir", "fetch_amazon", "mirror_urls",
           "record_verified", "verify_metadata_file"]

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


#: URL schemes urllib downloads from; anything else in ``urls`` is named as a mistake before any network use.
_URL_SCHEMES = ("http", "https", "ftp", "file")
_GZIP_MAGIC = b"\x1f\x8b"
_BLOCK = 1 << 20
#: The longest first line read for the format check (real records are a few kB).
_SNIFF_LIMIT = 8 << 20
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)")


class DownloadError(RuntimeError):
    """A metadata file could not be downloaded or used; the message says what was tried and what to do instead."""


class CorruptFileError(DownloadError):
    """A downloaded or cached file failed verification; the message names the check that failed.

    ``resumable`` is True when the bytes are a good start of the file that simply ends early.
    """

    def __init__(self, message: str, resumable: bool = False):
        super().__init__(message)
        self.resumable = resumable


class CacheError(DownloadError):
    """A cached file exists but cannot be read or moved aside; the message names the file to delete."""


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


# --------------------------------------------------------------------------------------------------
# Verification of one file
# --------------------------------------------------------------------------------------------------


class _HashingReader(io.RawIOBase):
    """A read-only stream over an open binary file that feeds every byte read into a SHA-256, so checking
    and hashing a big file take one pass."""

    def __init__(self, raw: io.BufferedReader):
        super().__init__()
        self._raw, self.digest = raw, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        self.digest.update(memoryview(buffer)[:n])
        return n


def _first_record_line(stream: io.BufferedIOBase) -> bytes:
    """The first non-blank line of a binary stream, b"" when there is none."""
    while line := stream.readline(_SNIFF_LIMIT):
        if line.strip():
            return line
    return b""


def _is_record(line: bytes) -> bool:
    """Whether one line is a 2014 (Python literal) or 2018 (JSON) product record: a dict with an ``asin``."""
    from recsys_tutorial.data import parse_python_literal  # late: data imports this module

    text = line.decode("utf-8", errors="replace").strip()
    for parse in (json.loads, parse_python_literal):
        try:
            record = parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(record, dict) and "asin" in record:
            return True
    return False


def _not_a_record(path: Path, line: bytes) -> str:
    """The message for a file whose first line is not a product record, with a hint when it is markup."""
    preview = line[:80].decode("utf-8", errors="replace").strip()
    hint = (" — it looks like a web page (an error or login page served in place of the file)"
            if preview.startswith("<") else "")
    return f"{path}: the first line is not a 2014 or 2018 metadata record (it starts {preview!r}){hint}"


def _read_gzip(path: Path, source: io.BufferedIOBase) -> bytes:
    """Read a whole gzip stream, which checks every member's CRC and length trailer; return its first line."""
    try:
        with gzip.GzipFile(fileobj=source, mode="rb") as stream:
            first = _first_record_line(stream)
            while stream.read(_BLOCK):
                pass
    except EOFError as exc:
        raise CorruptFileError(f"{path}: the compressed stream ends early (no gzip end marker): the file is "
                               "incomplete — a download cut short or a write interrupted", resumable=True) from exc
    except gzip.BadGzipFile as exc:
        if "CRC" in str(exc) or "length" in str(exc):
            raise CorruptFileError(f"{path}: the gzip trailer check failed ({exc}): the stream is complete but its "
                                   "bytes are corrupt (damaged in transfer or on disk), not cut short") from exc
        raise CorruptFileError(f"{path}: starts with the gzip signature but what follows is not valid gzip data "
                               f"({exc}): the file is corrupt") from exc
    except zlib.error as exc:
        raise CorruptFileError(f"{path}: starts with the gzip signature but what follows is not valid gzip data "
                               f"({exc}): the file is corrupt") from exc
    return first


def verify_metadata_file(path: str | os.PathLike, expected_size: int | None = None) -> str:
    """Check that ``path`` is a whole Amazon metadata file and return its SHA-256 (hex), in one read.

    Checks the size the server announced (``expected_size``), reads a gzip stream to the end (CRC and length
    trailer) when the file starts with the gzip signature, and parses the first line as a 2014 or 2018 record.
    Raises :class:`CorruptFileError` naming the failed check, or ``OSError`` when the file cannot be read.
    """
    path = Path(path)
    size = path.stat().st_size
    if expected_size is not None and size != expected_size:
        short = size < expected_size
        raise CorruptFileError(f"{path}: {size:,} bytes, but the server announced {expected_size:,}: "
                               + ("the download is incomplete" if short else "the file is not the one announced"),
                               resumable=short)
    if size == 0:
        raise CorruptFileError(f"{path}: the file is empty (0 bytes)")
    with open(path, "rb") as fh:
        compressed = fh.read(2) == _GZIP_MAGIC
        fh.seek(0)
        hashing = _HashingReader(fh)
        with io.BufferedReader(hashing, _BLOCK) as source:
            first = _read_gzip(path, source) if compressed else _first_record_line(source)
            while source.read(_BLOCK):  # hash what the gzip reader left, e.g. zero padding
                pass
    if not first:
        raise CorruptFileError(f"{path}: no records: the {'decompressed ' if compressed else ''}content is empty "
                               "or only blank lines")
    if not _is_record(first):
        raise CorruptFileError(_not_a_record(path, first))
    return hashing.digest.hexdigest()


# --------------------------------------------------------------------------------------------------
# The cache: a sidecar per verified file, and bad files moved aside
# --------------------------------------------------------------------------------------------------


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _write_json_atomic(target: Path, data: dict) -> None:
    """Write a small JSON file so that readers see the old or the new one, never half of it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> dict | None:
    """A small JSON object from disk, None when it is missing or unreadable (a sidecar is only a hint)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _pinned_sha256(known_hash: str | None) -> str | None:
    """The hex digest of a pinned ``sha256:<hex>`` (or bare hex) hash; other algorithms are refused."""
    if known_hash is None:
        return None
    algorithm, _, digest = known_hash.rpartition(":")
    if algorithm.lower() not in ("", "sha256"):
        raise ValueError(f"only sha256 hashes can be pinned, got {known_hash!r}")
    return digest.lower()


def record_verified(path: str | os.PathLike, sha256: str | None = None, source: str | None = None) -> dict:
    """Write ``path``'s sidecar (size, mtime, SHA-256) once the file is completely written.

    The file is verified first unless ``sha256`` comes from a verification just done. Returns the record.
    """
    path = Path(path)
    if sha256 is None:
        sha256 = verify_metadata_file(path)
    stat = path.stat()
    record = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256, "source": source}
    try:
        _write_json_atomic(_sidecar(path), record)
    except OSError as exc:  # a read-only cache still works, only without the cheap check
        logger.info("could not write %s (%s); the next call checks %s in full again", _sidecar(path), exc, path)
    return record


def _trusted_record(path: Path) -> dict | None:
    """The sidecar record while it still describes ``path`` (same size and mtime), else None."""
    record = _read_json(_sidecar(path))
    if record is None or not isinstance(record.get("sha256"), str):
        return None
    stat = path.stat()
    return record if (record.get("size"), record.get("mtime_ns")) == (stat.st_size, stat.st_mtime_ns) else None


def _move_aside(path: Path, reason: str, then: str) -> Path:
    """Rename a file that failed verification to ``<name>.bad-<time>`` and say so with a DataWarning."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    bad = path.with_name(f"{path.name}.bad-{stamp}")
    n = 1
    while bad.exists():
        bad, n = path.with_name(f"{path.name}.bad-{stamp}-{n}"), n + 1
    try:
        os.replace(path, bad)
    except OSError as exc:
        raise CacheError(f"{reason}. It could not be moved aside ({exc}): delete {path} and run again") from exc
    _sidecar(path).unlink(missing_ok=True)
    warn_data(f"{reason}. Moved it aside to {bad} (delete that once you have looked at it); {then}.", logger,
              stacklevel=4)
    return bad


def check_cached(path: str | os.PathLike, *, known_hash: str | None = None, then: str = "replacing it") -> bool:
    """Whether ``path`` is a usable cached metadata file: a cheap sidecar check, or a full one when the sidecar
    is missing or disagrees. A file failing it is moved aside with a DataWarning (``then`` says what happens
    next) and False returned; :class:`CacheError`, naming the file to delete, when it cannot be read.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return False
    if path.exists() and not path.is_file():
        raise CacheError(f"cannot use the cache: {path} is not a file; delete it and run again")
    try:
        record = _trusted_record(path)
        if record is None:
            logger.info("verifying %s (in full once; its sidecar makes later checks cheap)", path)
            record = record_verified(path)
    except CorruptFileError as exc:
        _move_aside(path, f"cached {exc}", then)
        return False
    except OSError as exc:
        raise CacheError(f"cannot read the cached file {path} ({exc}); delete it and run again") from exc
    pinned = _pinned_sha256(known_hash)
    if pinned is not None and record["sha256"] != pinned:
        _move_aside(path, f"cached {path}: its SHA-256 {record['sha256']} is not the pinned {pinned}", then)
        return False
    return True


# --------------------------------------------------------------------------------------------------
# Downloading
# --------------------------------------------------------------------------------------------------


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, total size) from a ``Content-Range`` header; None for what it does not say."""
    m = _CONTENT_RANGE.match(value or "")
    if m is None:
        return None, None
    return (int(m.group(1)) if m.group(1) else None), (int(m.group(2)) if m.group(2) != "*" else None)


class ResumingDownloader:
    """Downloads one file into ``part`` (named after the file, not the URL). A part is resumed with an HTTP
    Range request only when its sidecar ``<part>.json`` names the same URL (and the server agrees on size
    and ETag); a part without a sidecar, from an older version, is resumed and its result verified."""

    def __init__(self, part: Path, progressbar: bool = True, timeout: float = 30.0):
        self.part, self.progressbar, self.timeout = Path(part), progressbar, timeout
        self.meta_path = self.part.with_name(self.part.name + ".json")
        self.resumed = False

    def forget(self) -> None:
        """Delete the part and its sidecar."""
        self.part.unlink(missing_ok=True)
        self.meta_path.unlink(missing_ok=True)

    def _resume_point(self, url: str) -> tuple[int, dict]:
        """How many bytes of the part may be resumed for ``url``, and what its sidecar recorded."""
        if not self.part.is_file():
            self.meta_path.unlink(missing_ok=True)
            return 0, {}
        meta = _read_json(self.meta_path)
        if meta is not None and meta.get("url") != url:
            logger.info("discarding %s: it came from %s, not %s", self.part, meta.get("url"), url)
            self.forget()
            return 0, {}
        return self.part.stat().st_size, meta or {}

    def fetch(self, url: str, fresh: bool = False) -> int | None:
        """Bring all of ``url`` into the part; return the size the server announced (None when it did not).

        Raises :class:`DownloadError`, keeping the part, when the connection ends before that size.
        """
        if fresh:
            self.forget()
        self.resumed = False
        offset, meta = self._resume_point(url)
        headers = {}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if meta.get("etag"):
                headers["If-Range"] = meta["etag"]
        try:
            response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            if exc.code != 416 or not offset:
                raise
            exc.close()
            return self._unsatisfiable(url, offset, meta, exc.headers.get("Content-Range"))
        with response:
            plan = self._plan(url, response, offset, meta)
            if plan is not None:
                return self._stream(url, response, *plan)
        return self.fetch(url, fresh=True)

    def _plan(self, url: str, response, offset: int, meta: dict) -> tuple[int, int | None] | None:
        """Where the body starts in the file and the file's total size; None when the answer does not
        continue the part (then the download starts over)."""
        length = response.headers.get("Content-Length")
        length = int(length) if length is not None and length.isdigit() else None
        if response.status != 206:
            if offset:
                logger.info("%s sent the whole file instead of a range; starting over", url)
            return 0, length
        start, total = _content_range(response.headers.get("Content-Range"))
        etag = response.headers.get("ETag")
        if (start != offset or meta.get("total") not in (None, total)
                or (meta.get("etag") and etag and etag != meta["etag"])):
            logger.info("%s answered a range that does not continue %s; starting over", url, self.part)
            return None
        return offset, total if total is not None else (offset + length if length is not None else None)

    def _stream(self, url: str, response, offset: int, total: int | None) -> int | None:
        """Write the response body into the part from byte ``offset`` on; return the announced total."""
        self.resumed = offset > 0
        _write_json_atomic(self.meta_path, {"url": url, "total": total, "etag": response.headers.get("ETag")})
        with (
            open(self.part, "ab" if offset else "wb") as out,
            tqdm(total=total, initial=offset, unit="B", unit_scale=True, desc=Path(url).name,
                 disable=not self.progressbar) as bar,
        ):
            try:
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
            except http.client.IncompleteRead as exc:  # keep what arrived; the checks below say what is missing
                out.write(exc.partial)
        size = self.part.stat().st_size
        if total is not None and size < total:
            raise DownloadError(f"{url}: the connection closed after {size:,} of {total:,} bytes; the part is kept "
                                f"in {self.part} and resumes next time")
        return total

    def _unsatisfiable(self, url: str, offset: int, meta: dict, content_range: str | None) -> int | None:
        """A 416 answer to a resume: a part that already holds the whole file goes on to verification,
        any other part is discarded and the download starts over."""
        _start, total = _content_range(content_range)
        total = total if total is not None else meta.get("total")
        if total is None or total == offset:
            logger.info("%s: %s already holds %s bytes; verifying it", url, self.part, f"{offset:,}")
            self.resumed = True
            return total
        logger.info("%s cannot resume %s at byte %s of %s; starting over", url, self.part, offset, total)
        return self.fetch(url, fresh=True)


def _download_verified(downloader: ResumingDownloader, url: str, pinned: str | None, fresh: bool = False) -> str:
    """Download ``url`` into the part and verify it; return its SHA-256. A resumed part that proves wrong is
    moved aside and the file downloaded once more from the start; a short one is kept to resume."""
    total = downloader.fetch(url, fresh=fresh)
    try:
        digest = verify_metadata_file(downloader.part, expected_size=total)
    except CorruptFileError as exc:
        if exc.resumable:
            raise DownloadError(f"{exc}; the part is kept in {downloader.part} and resumes next time") from exc
        retry = downloader.resumed and not fresh
        _move_aside(downloader.part, f"downloaded {exc}",
                    "downloading it again from the start" if retry else "the next mirror, if any, is tried")
        downloader.forget()
        if retry:
            return _download_verified(downloader, url, pinned, fresh=True)
        raise
    if pinned is not None and digest != pinned:
        bad = _move_aside(downloader.part, f"downloaded {downloader.part} from {url}: its SHA-256 {digest} is not "
                          f"the pinned {pinned}", "the next mirror, if any, is tried")
        downloader.forget()
        raise DownloadError(f"the file does not match its pinned hash sha256:{pinned} (got sha256:{digest}); it "
                            f"was moved aside to {bad}")
    return digest


def _check_urls(urls: list[str]) -> None:
    """Refuse anything in ``urls`` that is not a download URL, before any network use."""
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.lower() not in _URL_SCHEMES or (parts.scheme.lower() != "file" and not parts.netloc):
            raise ValueError(f"urls holds {url!r}, which is not a download URL: each must start with http://, "
                             "https://, ftp:// or file://")


def fetch_amazon(
    category: str,
    version: int = 2014,
    cache_dir: str | os.PathLike | None = None,
    *,
    urls: list[str] | None = None,
    known_hash: str | None = None,
    progressbar: bool = True,
) -> Path:
    """Download (or find in the cache) ``meta_<category>.json.gz`` of the 2014 or 2018 release, verified.

    ``category`` is matched ignoring case ("electronics"); the cache is looked at before the name is checked,
    so a file saved as ``<cache>/<version>/meta_<name>.json.gz`` is found under any name. ``urls`` overrides
    the mirror list (tests point it at a loopback server). ``known_hash`` overrides the registry. Returns the
    local path; a cached file whose sidecar still matches is returned without reading it or the network, a
    cached file that fails verification is moved aside (with a DataWarning) and downloaded again.
    """
    if version not in (2014, 2018):
        raise ValueError(f"version must be 2014 or 2018, got {version!r}")
    if urls is not None:
        urls = [str(url) for url in urls]
        _check_urls(urls)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = cache / str(version)
    try:
        category = canonical_category(category, version)
    except ValueError:  # not a known name: a file placed in the cache under its own name still counts
        if urls is None and not (folder / f"meta_{category}.json.gz").exists():
            raise
    fname = f"meta_{category}.json.gz"
    pinned = _pinned_sha256(known_hash if known_hash is not None else REGISTRY.get((version, fname)))
    target = folder / fname
    if check_cached(target, known_hash=pinned, then="downloading it again"):
        logger.info("using cached %s", target)
        return target
    urls = urls if urls is not None else mirror_urls(category, version)
    folder.mkdir(parents=True, exist_ok=True)
    downloader = ResumingDownloader(folder / f"{fname}.part", progressbar=progressbar)
    errors: list[str] = []
    for url in urls:
        try:
            digest = _download_verified(downloader, url, pinned)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError, DownloadError) as exc:
            errors.append(f"  {url}: {exc}")
            logger.info("mirror failed: %s (%s)", url, exc)
            continue
        os.replace(downloader.part, target)
        downloader.meta_path.unlink(missing_ok=True)
        record_verified(target, sha256=digest, source=url)
        if pinned is None:
            logger.warning(
                "downloaded %s (%s bytes); its hash is not pinned yet: sha256:%s — add it to "
                "recsys_tutorial.download.REGISTRY[(%d, %r)] to verify future downloads",
                target, f"{target.stat().st_size:,}", digest, version, fname,
            )
        return target
    raise DownloadError(
        f"could not download {fname} ({version} release) from any mirror — are you offline?\n"
        + "\n".join(errors)
        + f"\nIf you have the file, put it at {target}; otherwise use the embedded synthetic dataset "
        "(profile 'default') which needs no download. Partial downloads are kept and resume next time."
    )
