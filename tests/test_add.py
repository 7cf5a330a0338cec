"""`storybot add FILE|URL`: the story lands in the stories folder and the index is rebuilt. URLs are
fetched from an HTTP server on 127.0.0.1 that the test starts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.cli import main
from index.store import load
from tests.conftest import FIXTURES, RAIL, SEED
from tests.storybot_run import one_line_error, run

ARTICLE = (FIXTURES / "scraped" / "port-strike.html").read_bytes()
PAGES: dict[str, tuple[int, str, bytes]] = {
    "/news/2025/port-strike.html": (200, "text/html; charset=utf-8", ARTICLE),
    "/files/report.pdf": (200, "application/pdf", b"%PDF-1.7 not a story"),
    "/empty-page": (200, "text/html", b"<html><body><nav><a href='/'>Home</a></nav></body></html>"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, kind, body = PAGES.get(self.path, (404, "text/html", b"<h1>Not found</h1>"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        return


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)  # the test server is on loopback, never behind a proxy
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _add(capsys: pytest.CaptureFixture[str], source: str, stories: Path, index: Path) -> tuple[int, str, str]:
    code = main(["add", source, "--stories", str(stories), "--index", str(index)])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_url_fetches_extracts_and_rebuilds(
    capsys: pytest.CaptureFixture[str], site: str, stories_dir: Path, index_path: Path
) -> None:
    code, out, err = _add(capsys, f"{site}/news/2025/port-strike.html", stories_dir, index_path)
    assert code == 0, err
    assert (stories_dir / "port-strike.html").read_bytes() == ARTICLE
    assert "added port-strike.html (Dockworkers end strike at Port of Halden after pay deal)" in out
    code, out, err = _add(capsys, f"{site}/news/2025/port-strike.html", stories_dir, index_path)
    assert code == 0, err
    assert out.startswith("replaced port-strike.html")  # adding it again updates it
    assert {s.id for s in load(index_path).stories} == {SEED, RAIL, "port-strike"}
    code = main(["ask", "--index", str(index_path), "--story", "port-strike", "how many ships were waiting?"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "more than 60 container ships waiting offshore" in out
    assert "Coastal Times" in out


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/no/such/story.html", "answered HTTP 404"),
        ("/files/report.pdf", "is application/pdf, not a web page"),
        ("/empty-page", "text found"),  # trafilatura or the cleaner finds no story
    ],
)
def test_add_url_errors_are_one_line_and_leave_nothing(
    site: str, stories_dir: Path, index_path: Path, path: str, expected: str
) -> None:
    before = sorted(p.name for p in stories_dir.iterdir())
    index_before = index_path.read_bytes()
    line = one_line_error(run("add", site + path, "--stories", str(stories_dir), "--index", str(index_path)))
    assert expected in line
    assert sorted(p.name for p in stories_dir.iterdir()) == before
    assert index_path.read_bytes() == index_before


def test_add_url_that_refuses_connections_is_one_line(tmp_path: Path, stories_dir: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        line = one_line_error(run("add", f"http://127.0.0.1:{port}/x.html", "--stories", str(stories_dir)))
    assert "cannot fetch" in line


def test_add_file_copies_and_rebuilds(capsys: pytest.CaptureFixture[str], stories_dir: Path, tmp_path: Path) -> None:
    source = FIXTURES / "scraped" / "heatwave-records.md"
    index = tmp_path / "new-index.json"
    code, out, _ = _add(capsys, str(source), stories_dir, index)
    assert code == 0
    assert (stories_dir / "heatwave-records.md").read_bytes() == source.read_bytes()
    assert "index rebuilt: 3 stories" in out
    assert "heatwave-records" in {s.id for s in load(index).stories}


def test_add_file_errors(capsys: pytest.CaptureFixture[str], stories_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "i.json"
    code, _, err = _add(capsys, str(tmp_path / "missing.txt"), stories_dir, index)
    assert code == 2
    assert err.strip() == f"storybot: no such file: {tmp_path / 'missing.txt'}"

    clash = tmp_path / f"{SEED}.md"  # same story id as the bundled .txt
    clash.write_text("# Another summit story\nLeaders met again in Hanoi on Thursday, officials said.\n")
    code, _, err = _add(capsys, str(clash), stories_dir, index)
    assert code == 2
    assert f"a story with id '{SEED}' is already there ({SEED}.txt)" in err

    notes = tmp_path / "notes.rtf"
    notes.write_text("The ferry sailed again on Monday after three days of storms, the operator said.\n")
    code, _, err = _add(capsys, str(notes), stories_dir, index)
    assert code == 2
    assert err.strip() == "storybot: notes.rtf is not a story file: storybot reads .txt, .md, .html, .htm files"

    promo = tmp_path / "promo.txt"
    promo.write_text("Subscribe\nSign up for our newsletter\nMenu\n")
    code, _, err = _add(capsys, str(promo), stories_dir, index)
    assert code == 2
    assert "no story text found" in err
    assert sorted(p.name for p in stories_dir.iterdir()) == sorted([f"{SEED}.txt", f"{RAIL}.txt"])
    assert not index.exists()
