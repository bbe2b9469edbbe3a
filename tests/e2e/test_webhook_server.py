"""The webhook server bounds every wait: a request that promises more body than it
sends is answered 408 and its connection closed; a connection that never sends a
whole request head is closed; the server keeps answering others meanwhile."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from adapters.telephony.webhook_server import make_uvicorn


def hello(environ, start_response):  # type: ignore[no-untyped-def]
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok " + str(len(body)).encode()]


@pytest.fixture()
def server() -> Iterator[int]:
    srv = make_uvicorn(hello, "127.0.0.1", 0, header_timeout=1, body_timeout=1, keep_alive=1, max_connections=8)
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    for _ in range(500):
        if srv.started:
            break
        time.sleep(0.01)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield port
    srv.should_exit = True
    t.join(timeout=10)


def _talk(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:  # a guard, not a measurement
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(4096)
            except TimeoutError:
                return out + b"<still open>"
            if not chunk:
                return out
            out += chunk


def test_a_request_promising_more_body_than_it_sends_is_cut_off(server: int) -> None:
    got = _talk(server, b"POST /status/x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly ten b")
    assert got.startswith(b"HTTP/1.1 408"), got
    assert not got.endswith(b"<still open>")
    got = _talk(server, b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
    assert got.startswith(b"HTTP/1.1 200") and got.endswith(b"ok 3")  # others are still served


def test_a_connection_that_never_finishes_its_request_head_is_closed(server: int) -> None:
    got = _talk(server, b"POST /status/x HTTP/1.1\r\nHost: a\r\n")
    assert got == b""  # closed without an answer, not held open
