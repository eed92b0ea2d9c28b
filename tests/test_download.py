"""fetch_amazon against a real HTTP server on loopback: download, cache, resume, mirrors, hashes, offline."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import threading
from typing import ClassVar

import pytest

from recsys_tutorial.data import fetch_amazon, read_amazon_metadata
from recsys_tutorial.download import DownloadError, mirror_urls


class RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves one in-memory file, honouring `Range: bytes=N-`, and logs each request's headers."""

    payload = b""
    requests: ClassVar[list[dict]] = []

    def do_GET(self):
        type(self).requests.append({"path": self.path, "range": self.headers.get("Range")})
        if not self.path.endswith("meta_Electronics.json.gz"):
            self.send_error(404)
            return
        start = 0
        if self.headers.get("Range", "").startswith("bytes="):
            start = int(self.headers["Range"][6:].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(self.payload) - 1}/{len(self.payload)}")
        else:
            self.send_response(200)
        body = self.payload[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    lines = "\n".join(repr({"asin": f"B{i:09d}", "title": f"Item {i}",
                             "related": {"also_bought": [f"B{(i + 1) % 50:09d}", f"B{(i + 2) % 50:09d}"]}})
                      for i in range(50)) + "\n"
    RangeHandler.payload = gzip.compress(lines.encode())
    RangeHandler.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/data/"
    httpd.shutdown()
    httpd.server_close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/meta_Electronics.json.gz"


def test_downloads_then_serves_from_cache(server, tmp_path, caplog):
    url = server + "meta_Electronics.json.gz"
    path = fetch_amazon("Electronics", cache_dir=tmp_path, urls=[url], progressbar=False)
    assert path.read_bytes() == RangeHandler.payload
    digest = hashlib.sha256(RangeHandler.payload).hexdigest()
    assert f"sha256:{digest}" in caplog.text  # unpinned hash is reported so users can pin it
    _products, relations, report = read_amazon_metadata(path)
    assert report.parsed == 50 and len(relations) == 100
    n = len(RangeHandler.requests)
    again = fetch_amazon("Electronics", cache_dir=tmp_path, urls=[url], progressbar=False)
    assert again == path and len(RangeHandler.requests) == n  # no network on a cache hit


def test_resumes_a_partial_download_with_a_range_request(server, tmp_path):
    folder = tmp_path / "2014"
    folder.mkdir()
    half = len(RangeHandler.payload) // 2
    (folder / "meta_Electronics.json.gz.part").write_bytes(RangeHandler.payload[:half])
    path = fetch_amazon("Electronics", cache_dir=tmp_path, urls=[server + "meta_Electronics.json.gz"],
                        progressbar=False)
    assert RangeHandler.requests[-1]["range"] == f"bytes={half}-"
    assert path.read_bytes() == RangeHandler.payload
    assert not (folder / "meta_Electronics.json.gz.part").exists()


def test_falls_through_dead_mirrors(server, tmp_path):
    urls = [closed_port_url(), server + "missing/meta_Other.json.gz", server + "meta_Electronics.json.gz"]
    path = fetch_amazon("Electronics", cache_dir=tmp_path, urls=urls, progressbar=False)
    assert path.read_bytes() == RangeHandler.payload


def test_a_pinned_hash_is_verified(server, tmp_path):
    url = server + "meta_Electronics.json.gz"
    with pytest.raises(DownloadError, match="does not match its pinned hash"):
        fetch_amazon("Electronics", cache_dir=tmp_path, urls=[url], known_hash="sha256:" + "0" * 64,
                     progressbar=False)
    good = hashlib.sha256(RangeHandler.payload).hexdigest()
    path = fetch_amazon("Electronics", cache_dir=tmp_path / "ok", urls=[url], known_hash=f"sha256:{good}",
                        progressbar=False)
    assert path.read_bytes() == RangeHandler.payload


def test_offline_is_a_clear_error(tmp_path):
    with pytest.raises(DownloadError) as err:
        fetch_amazon("Electronics", cache_dir=tmp_path, urls=[closed_port_url(), closed_port_url()],
                     progressbar=False)
    message = str(err.value)
    assert "offline" in message and "synthetic" in message and str(tmp_path / "2014") in message


def test_mirror_list_knows_both_releases():
    assert all(u.endswith("/meta_Electronics.json.gz") for u in mirror_urls("Electronics", 2014))
    assert any("metaFiles2" in u for u in mirror_urls("Books", 2018))
    with pytest.raises(ValueError, match="unknown 2014 category"):
        mirror_urls("Gadgets", 2014)
    with pytest.raises(ValueError, match="version"):
        mirror_urls("Books", 2016)
