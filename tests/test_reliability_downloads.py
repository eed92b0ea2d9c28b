"""Downloads and caches under bad input: every case ends in a verified file or a clear error, never a cached bad file.

Sections follow the entry points: ``fetch_amazon`` and its downloader against a loopback HTTP server whose
mirrors misbehave on purpose; the cache of downloads; the cache of the synthetic data behind
``load_dataset("synthetic")``. Each test's docstring names the bad input.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from recsys_tutorial import download
from recsys_tutorial.data import load_dataset
from recsys_tutorial.download import DownloadError, fetch_amazon
from recsys_tutorial.errors import DataWarning

LINES = "".join(repr({"asin": f"B{i:09d}", "title": f"Item {i}",
                      "related": {"also_bought": [f"B{(i + 1) % 50:09d}", f"B{(i + 2) % 50:09d}"]}}) + "\n"
                for i in range(50))
PAYLOAD = gzip.compress(LINES.encode())
OTHER_FILE = gzip.compress(LINES.replace("Item", "Book").encode())  # same shape, different bytes
ETAG = '"v1"'
HTML_PAGE = b"<!DOCTYPE html>\n<html><body><h1>503 Service Unavailable</h1></body></html>\n"


def flip_crc(data: bytes) -> bytes:
    """The same gzip bytes with one bit of the CRC trailer flipped: full length, corrupt content."""
    damaged = bytearray(data)
    damaged[-6] ^= 0x01
    return bytes(damaged)


#: Damaged versions of a gzip metadata file: name -> (make the bytes from the good ones, a phrase the message
#: must hold, a phrase it must not hold — a CRC failure is not "missing" data, junk is not an "empty" file).
DAMAGE: dict[str, tuple[Callable[[bytes], bytes], str, str | None]] = {
    "cut in half": (lambda good: good[: len(good) // 2], "ends early", "CRC"),
    "CRC trailer flipped": (flip_crc, "CRC check failed", "missing"),
    "gzip signature then junk": (lambda good: b"\x1f\x8b" + b"not really gzip data\n" * 20,
                                 "not valid gzip data", "empty"),
    "HTML page": (lambda good: HTML_PAGE, "web page", None),
    "empty file": (lambda good: b"", "empty (0 bytes)", None),
}


def rewrite(path: Path, data: bytes) -> None:
    """Replace a file's bytes and move its mtime on by a second, as a later write does even on a coarse clock."""
    stat = path.stat()
    path.write_bytes(data)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def data_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """The messages of the DataWarnings among recorded warnings."""
    return [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


class MirrorHandler(http.server.BaseHTTPRequestHandler):
    """Serves PAYLOAD at ``/<mirror>/meta_Electronics.json.gz``; ``behaviour[mirror]`` says how it misbehaves."""

    behaviour: ClassVar[dict[str, str]] = {}
    page: ClassVar[bytes] = b""
    requests: ClassVar[list[dict]] = []

    def do_GET(self) -> None:
        mirror = self.path.strip("/").split("/")[0]
        type(self).requests.append({"mirror": mirror, "range": self.headers.get("Range")})
        getattr(self, "serve_" + type(self).behaviour.get(mirror, "ok"))()

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None,
              length: int | None = -1) -> None:
        """Send a response; ``length`` None leaves Content-Length out, -1 announces the body's own length."""
        self.send_response(status)
        for name, value in {"ETag": ETAG, **(headers or {})}.items():
            self.send_header(name, value)
        if length is not None:
            self.send_header("Content-Length", str(len(body) if length == -1 else length))
        self.end_headers()
        self.wfile.write(body)

    def serve_ok(self) -> None:
        """Honours ``Range: bytes=N-`` with 206 and answers 416 from the end of the file on, as file servers do."""
        size = len(PAYLOAD)
        wanted = self.headers.get("Range", "")
        if not wanted.startswith("bytes="):
            self.reply(200, PAYLOAD)
            return
        start = int(wanted[6:].split("-")[0])
        if start >= size:
            self.reply(416, b"", {"Content-Range": f"bytes */{size}"})
        else:
            self.reply(206, PAYLOAD[start:], {"Content-Range": f"bytes {start}-{size - 1}/{size}"})

    def serve_short_no_length(self) -> None:
        """Status 200 without Content-Length; the connection closes after half the file."""
        self.reply(200, PAYLOAD[: len(PAYLOAD) // 2], length=None)

    def serve_short_chunked(self) -> None:
        """Status 200 in chunked encoding; the connection closes after a chunk of half the file, with no end chunk."""
        half = PAYLOAD[: len(PAYLOAD) // 2]
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(f"{len(half):x}\r\n".encode() + half + b"\r\n")

    def serve_page(self) -> None:
        """Status 200 with ``page`` as the body: an error page where the file should be."""
        self.reply(200, type(self).page, {"Content-Type": "text/html"})

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def mirror() -> Iterator[Callable[..., str]]:
    """A loopback server; ``mirror(name, behaviour)`` sets how ``/name/`` answers and returns its file URL."""
    MirrorHandler.behaviour, MirrorHandler.requests, MirrorHandler.page = {}, [], b""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), MirrorHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def url(name: str, behaviour: str | None = None) -> str:
        if behaviour is not None:
            MirrorHandler.behaviour[name] = behaviour
        return f"http://127.0.0.1:{httpd.server_address[1]}/{name}/meta_Electronics.json.gz"

    yield url
    httpd.shutdown()
    httpd.server_close()


def fetch(cache: Path, urls: list[str]) -> Path:
    return fetch_amazon("Electronics", cache_dir=cache, urls=urls, progressbar=False)


def fetch_recording(cache: Path, urls: list[str]) -> tuple[Path, list[str]]:
    """fetch_amazon, and the DataWarnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = fetch(cache, urls)
    return path, data_warnings(caught)


def target(cache: Path) -> Path:
    return cache / "2014" / "meta_Electronics.json.gz"


def part(cache: Path) -> Path:
    return cache / "2014" / "meta_Electronics.json.gz.part"


def moved_aside(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.bad-*"))


# --------------------------------------------------------------------------------------------------
# fetch_amazon and its downloader
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("behaviour", ["short_no_length", "short_chunked"])
def test_a_download_that_ends_early_is_an_error_and_resumes_next_time(mirror, tmp_path, behaviour):
    """Bad input: the connection closes halfway through a body of unannounced length (plain, or chunked with no
    end chunk). A DownloadError with nothing cached; the next call resumes the kept part with a Range request
    and ends in the whole file."""
    url = mirror("m", behaviour)
    with pytest.raises(DownloadError, match="resumes next time"):
        fetch(tmp_path, [url])
    assert not target(tmp_path).exists()
    kept = part(tmp_path).stat().st_size
    assert 0 < kept < len(PAYLOAD)
    mirror("m", "ok")
    path = fetch(tmp_path, [url])
    assert MirrorHandler.requests[-1]["range"] == f"bytes={kept}-"
    assert path.read_bytes() == PAYLOAD and not part(tmp_path).exists()


ERROR_PAGES = {
    "HTML page": HTML_PAGE,
    "gzipped HTML page": gzip.compress(HTML_PAGE),
    "JSON error object": b'{"error": "rate limit exceeded"}\n',
    "plain-text error": b"Not Found\n",
    "empty body": b"",
}


@pytest.mark.parametrize("page", ERROR_PAGES.values(), ids=ERROR_PAGES.keys())
def test_an_error_page_served_with_status_200_is_never_cached(mirror, tmp_path, page):
    """Bad input: status 200 whose body is an error page, not the gzip file. A DownloadError naming the check,
    nothing cached, the page moved aside with one DataWarning."""
    MirrorHandler.page = page
    with warnings.catch_warnings(record=True) as caught, pytest.raises(DownloadError) as err:
        warnings.simplefilter("always")
        fetch(tmp_path, [mirror("m", "page")])
    assert "not a 2014 or 2018 metadata record" in str(err.value) or "empty" in str(err.value)
    assert not target(tmp_path).exists() and not part(tmp_path).exists()
    bad = moved_aside(tmp_path / "2014")
    assert len(bad) == 1 and bad[0].read_bytes() == page
    messages = data_warnings(caught)
    assert len(messages) == 1 and str(bad[0]) in messages[0]


def test_a_mirror_serving_an_error_page_falls_through_to_a_good_one(mirror, tmp_path):
    """Bad input: the first mirror answers 200 with an HTML page. The next mirror's verified file is cached."""
    MirrorHandler.page = HTML_PAGE
    path, messages = fetch_recording(tmp_path, [mirror("bad", "page"), mirror("good")])
    assert path.read_bytes() == PAYLOAD
    assert len(messages) == 1 and "web page" in messages[0]


def other_url_sidecar(cache: Path) -> None:
    """A part holding the start of another file, whose sidecar says it came from another URL."""
    part(cache).write_bytes(OTHER_FILE[: len(OTHER_FILE) // 2])
    sidecar = {"url": "http://elsewhere.invalid/meta_Books.json.gz", "total": len(OTHER_FILE), "etag": None}
    part(cache).with_name(part(cache).name + ".json").write_text(json.dumps(sidecar))


#: A stray part -> (how to leave it, whether a resume is tried: only a part without a sidecar is given the benefit
#: of the doubt, and then the gzip check catches a wrong splice before anything is cached).
STRAY_PARTS: dict[str, tuple[Callable[[Path], None], bool]] = {
    "another file, its sidecar names another URL": (other_url_sidecar, False),
    "another file, no sidecar (older version)": (lambda cache: part(cache).write_bytes(OTHER_FILE[:200]), True),
    "longer than the file, no sidecar": (lambda cache: part(cache).write_bytes(PAYLOAD + b"\0" * 100), True),
}


@pytest.mark.parametrize(("leave_part", "resumes"), STRAY_PARTS.values(), ids=STRAY_PARTS.keys())
def test_a_part_left_from_another_file_never_ends_up_in_the_cache(mirror, tmp_path, leave_part, resumes):
    """Bad input: a ``.part`` that is not the start of this file. One whose sidecar names another URL is never
    resumed; either way the result is the verified file."""
    part(tmp_path).parent.mkdir(parents=True)
    leave_part(tmp_path)
    path = fetch(tmp_path, [mirror("m")])
    assert (MirrorHandler.requests[0]["range"] is not None) == resumes
    assert path.read_bytes() == PAYLOAD and not part(tmp_path).exists()


def complete_part(cache: Path, data: bytes, sidecar_url: str | None) -> None:
    """Leave ``data`` as the part, with a sidecar naming ``sidecar_url`` unless it is None (an older version)."""
    part(cache).parent.mkdir(parents=True)
    part(cache).write_bytes(data)
    if sidecar_url is not None:
        meta = {"url": sidecar_url, "total": len(PAYLOAD), "etag": ETAG}
        part(cache).with_name(part(cache).name + ".json").write_text(json.dumps(meta))


@pytest.mark.parametrize(("data", "sidecar"), [(PAYLOAD, True), (PAYLOAD, False), (flip_crc(PAYLOAD), True)],
                         ids=["whole part with its sidecar", "whole part from an older version",
                              "whole-length part with a bad CRC"])
def test_a_part_that_is_already_complete_survives_the_416_answer(mirror, tmp_path, data, sidecar):
    """Bad input: the ``.part`` already holds every byte (the rename never happened), so every resume request
    gets 416. The part is verified and used; a corrupt one is moved aside and the file downloaded again."""
    url = mirror("m")
    complete_part(tmp_path, data, url if sidecar else None)
    path, messages = fetch_recording(tmp_path, [url])
    assert MirrorHandler.requests[0]["range"] == f"bytes={len(PAYLOAD)}-"
    assert path.read_bytes() == PAYLOAD and not part(tmp_path).exists()
    good = data == PAYLOAD  # used as it is; a corrupt one costs a second, whole download
    assert len(MirrorHandler.requests) == (1 if good else 2) and len(messages) == (0 if good else 1)


@pytest.mark.parametrize("url", ["notaurl", "www.example.com/meta_Electronics.json.gz",
                                 "htp://example.com/meta_Electronics.json.gz", "http:///meta_Electronics.json.gz"])
def test_a_malformed_url_is_named_as_such_and_not_as_a_hash_error(tmp_path, url):
    """Bad input: ``urls`` holding something that is not a download URL. A ValueError naming it, before any
    network use — not 'does not match its pinned hash' and not 'are you offline?'."""
    with pytest.raises(ValueError, match="not a download URL") as err:
        fetch(tmp_path, [url])
    assert repr(url) in str(err.value) and "hash" not in str(err.value)


# --------------------------------------------------------------------------------------------------
# The cache of downloads
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("damage", "says", "never_says"), DAMAGE.values(), ids=DAMAGE.keys())
def test_a_bad_cached_download_is_moved_aside_and_downloaded_again(mirror, tmp_path, damage, says, never_says):
    """Bad input: a cached ``meta_Electronics.json.gz`` that is truncated, corrupt, junk, a web page or empty
    (as an older version or an interrupted copy leaves it). One DataWarning naming the problem and where the
    file went; the verified download replaces it."""
    target(tmp_path).parent.mkdir(parents=True)
    target(tmp_path).write_bytes(damage(PAYLOAD))
    path, messages = fetch_recording(tmp_path, [mirror("m")])
    assert path.read_bytes() == PAYLOAD
    assert len(messages) == 1 and says in messages[0] and ".bad-" in messages[0]
    assert never_says is None or never_says not in messages[0]
    assert [p.read_bytes() for p in moved_aside(tmp_path / "2014")] == [damage(PAYLOAD)]


def test_a_cached_download_cut_short_after_verification_is_caught_by_its_sidecar(mirror, tmp_path):
    """Bad input: a verified cached file later truncated on disk. The sidecar (size, mtime, SHA-256) disagrees,
    the full check fails, the file is downloaded again with one DataWarning; later calls are quiet."""
    url = mirror("m")
    path = fetch(tmp_path, [url])
    rewrite(path, PAYLOAD[:100])
    again, messages = fetch_recording(tmp_path, [url])
    assert again.read_bytes() == PAYLOAD and len(messages) == 1 and "ends early" in messages[0]
    record = json.loads(path.with_name(path.name + ".verified.json").read_text())
    stat = path.stat()
    assert (record["size"], record["mtime_ns"]) == (len(PAYLOAD), stat.st_mtime_ns)
    assert record["sha256"] == hashlib.sha256(PAYLOAD).hexdigest()
    n_requests = len(MirrorHandler.requests)
    _, messages = fetch_recording(tmp_path, [url])
    assert messages == [] and len(MirrorHandler.requests) == n_requests


def test_a_cached_file_is_checked_in_full_once_then_by_its_sidecar(mirror, tmp_path, monkeypatch):
    """Bad input: none — a good file placed in the cache by hand, with no sidecar. It is verified in full once
    (no network) and given a sidecar; the next call trusts size + mtime and reads neither file nor network."""
    target(tmp_path).parent.mkdir(parents=True)
    target(tmp_path).write_bytes(PAYLOAD)
    url = mirror("m")
    assert fetch(tmp_path, [url]) == target(tmp_path) and MirrorHandler.requests == []
    assert target(tmp_path).with_name("meta_Electronics.json.gz.verified.json").is_file()

    def full_check(*args, **kwargs):
        raise AssertionError("a cache hit with a matching sidecar read the whole file")

    monkeypatch.setattr(download, "verify_metadata_file", full_check)
    assert fetch(tmp_path, [url]) == target(tmp_path) and MirrorHandler.requests == []


def folder_in_the_way(path: Path) -> None:
    path.mkdir(parents=True)


def permission_denied(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file exists but opening it fails with EACCES (simulated: the tests may run as root)."""
    path.parent.mkdir(parents=True)
    path.write_bytes(PAYLOAD)
    real_open = open

    def guarded_open(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(download, "open", guarded_open, raising=False)


@pytest.mark.parametrize("how", ["a folder where the file should be", "permission denied"])
def test_an_unreadable_cached_download_names_the_file_to_delete(mirror, tmp_path, monkeypatch, how):
    """Bad input: the cached file cannot be read. A CacheError that names the file and says to delete it."""
    if how == "permission denied":
        permission_denied(target(tmp_path), monkeypatch)
    else:
        folder_in_the_way(target(tmp_path))
    with pytest.raises(DownloadError) as err:  # a CacheError
        fetch(tmp_path, [mirror("m")])
    assert str(target(tmp_path)) in str(err.value) and "delete" in str(err.value)
    assert MirrorHandler.requests == []


@pytest.mark.parametrize(("damage", "says", "never_says"),
                         [*DAMAGE.values(), (lambda good: good, "announced", None)],
                         ids=[*DAMAGE.keys(), "size not the one announced"])
def test_verification_names_the_real_problem(tmp_path, damage, says, never_says):
    """Bad input: each damaged file given to ``verify_metadata_file`` (the last one with a wrong announced size).
    The message says what is wrong: a CRC failure is not missing data, junk after the gzip signature is not empty."""
    path = tmp_path / "meta.json.gz"
    path.write_bytes(damage(PAYLOAD))
    expected_size = len(PAYLOAD) + 1 if says == "announced" else None
    with pytest.raises(download.CorruptFileError) as err:
        download.verify_metadata_file(path, expected_size=expected_size)
    assert says in str(err.value) and str(path) in str(err.value)
    assert never_says is None or never_says not in str(err.value)


# --------------------------------------------------------------------------------------------------
# The cache of the synthetic data, through load_dataset
# --------------------------------------------------------------------------------------------------


def synthetic_file(cache: Path) -> Path:
    (path,) = (cache / "synthetic").glob("meta_synthetic_*.json.gz")
    return path


@pytest.mark.parametrize(("damage", "says", "never_says"), DAMAGE.values(), ids=DAMAGE.keys())
@pytest.mark.parametrize("sidecar", [True, False], ids=["with sidecar", "cache from an older version"])
def test_a_bad_synthetic_cache_is_regenerated_with_one_warning(tmp_path, damage, says, never_says, sidecar):
    """Bad input: the cached synthetic file truncated, corrupt, junk, a web page or empty, with or without its
    sidecar. Exactly one DataWarning, the same tables as a fresh generation, and quiet calls afterwards."""
    products, relations, _ = load_dataset("synthetic", n_products=300, seed=1, cache_dir=tmp_path)
    path = synthetic_file(tmp_path)
    rewrite(path, damage(path.read_bytes()))
    if not sidecar:
        path.with_name(path.name + ".verified.json").unlink(missing_ok=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again, again_relations, report = load_dataset("synthetic", n_products=300, seed=1, cache_dir=tmp_path)
    messages = data_warnings(caught)
    assert len(messages) == 1 and says in messages[0] and str(path) in messages[0]
    assert never_says is None or never_says not in messages[0]
    assert again.equals(products) and again_relations.equals(relations) and not report.truncated
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_dataset("synthetic", n_products=300, seed=1, cache_dir=tmp_path)
    assert data_warnings(caught) == []


def test_an_unreadable_synthetic_cache_names_the_file_to_delete(tmp_path):
    """Bad input: a folder where the cached synthetic file should be. A CacheError naming it, not 'not found'."""
    load_dataset("synthetic", n_products=300, seed=1, cache_dir=tmp_path)
    path = synthetic_file(tmp_path)
    path.unlink()
    path.mkdir()
    with pytest.raises(DownloadError) as err:  # a CacheError
        load_dataset("synthetic", n_products=300, seed=1, cache_dir=tmp_path)
    assert str(path) in str(err.value) and "delete" in str(err.value)
