"""Request bodies on the production server (waitress as ``graphsvc serve`` sets it up), over a
raw socket: a body is refused from the request head, before a byte of it is read, when it is
larger than GRAPHSVC_MAX_BODY_BYTES or its key may not send it; a chunked body as soon as
the running count passes the limit. Every refusal is problem+json."""

from __future__ import annotations

import http.client
import json
import os
import socket
import tempfile
from pathlib import Path

import pytest


def head(*lines: str, start: str = "POST /api/v1/ingest/users") -> str:
    """A request head: the request line, Host, ``lines``, the blank line."""
    return "".join(f"{line}\r\n" for line in (f"{start} HTTP/1.1", "Host: test", *lines, ""))


def bearer(served, role: str) -> str:
    return f"Authorization: Bearer {served.keys[role]}"


CSV = "Content-Type: text/csv"


def send(served, head: str, body: bytes = b"") -> tuple[int, dict, str]:
    """Send a request head and ``body`` on a new connection; the answer, which must come
    within 5 s, read while the connection is open and the server holds no new temp file."""
    host, port = served.base.removeprefix("http://").split(":")
    before = spooled()
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head.encode() + body)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        text = answer.read().decode()
        assert spooled() == before
    return answer.status, dict(answer.getheaders()), text


def spooled() -> list[str]:
    """The deleted temp files this process (with the test server's threads) holds open:
    where waitress spools a body over 512 KiB."""
    fds = Path("/proc/self/fd")
    links = (os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink())
    temp = tempfile.gettempdir() + "/"
    return [link for link in links if link.startswith(temp) and "(deleted)" in link]


def assert_problem(answer: tuple[int, dict, str], status: int) -> dict:
    code, headers, text = answer
    assert (code, headers["Content-Type"]) == (status, "application/problem+json"), text
    return json.loads(text)


@pytest.mark.parametrize(
    ("length", "status"),
    [(10**9, 413), (10**6, 401)],
    ids=["over-the-limit", "under-the-limit"],
)
def test_a_body_without_a_key_is_refused_from_the_head(served_sqlite, length, status):
    """Only the head is sent: the answer comes without the server waiting for the body
    (curl sends ``Expect: 100-continue`` for large uploads, and gets no "100 Continue")."""
    request = head(CSV, f"Content-Length: {length}", "Expect: 100-continue")
    assert assert_problem(send(served_sqlite, request), status)["status"] == status


def test_a_key_that_may_not_write_is_refused_before_the_body(served_sqlite):
    request = head(CSV, bearer(served_sqlite, "reader"), "Content-Length: 1000000")
    assert "operator role" in assert_problem(send(served_sqlite, request), 403)["detail"]


def test_an_oversized_body_with_a_key_is_a_413_problem(served_sqlite):
    served_sqlite.restart(max_body_bytes=1000)
    operator = bearer(served_sqlite, "operator")
    request = head(CSV, operator, "Content-Length: 1001")
    assert "1000 bytes" in assert_problem(send(served_sqlite, request), 413)["detail"]
    body = b"user_id\n" + b"".join(b"u%014d\n" % i for i in range(62))  # 1000 bytes
    request = head(CSV, operator, f"Content-Length: {len(body)}", "Connection: close")
    code, _, text = send(served_sqlite, request, body)
    assert (len(body), code) == (1000, 200), text
    assert served_sqlite.store.counts()["users"] == 62


def test_a_chunked_body_is_counted_as_it_arrives(served_sqlite):
    served_sqlite.restart(max_body_bytes=1000)
    request = head(CSV, bearer(served_sqlite, "operator"), "Transfer-Encoding: chunked")

    def chunked(*parts: bytes) -> bytes:
        return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (*parts, b""))

    lines = b"".join(b"u%08d\n" % i for i in range(40))  # 400 bytes
    assert_problem(send(served_sqlite, request, chunked(b"user_id\n", lines, lines, lines)), 413)
    assert served_sqlite.store.counts()["users"] == 0
    code, _, text = send(served_sqlite, request, chunked(b"user_id\n", lines))
    assert code == 200, text
    assert served_sqlite.store.counts()["users"] == 40


def test_anonymous_reads_may_carry_a_body(served_sqlite):
    served_sqlite.restart(anonymous_reads=True)
    request = head("Content-Length: 2", "Connection: close", start="GET /api/v1/runs")
    assert send(served_sqlite, request, b"{}")[0] == 200
