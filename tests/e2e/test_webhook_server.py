"""The webhook server bounds every wait: a request that promises more body than it
sends is answered 408 and its connection closed; a connection that never sends a
whole request head is closed; the server keeps answering others meanwhile; a body
over the size limit is refused (413) and a request past the connection limit is
answered 503 at once."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

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



@contextlib.contextmanager
def _serving(**limits: Any) -> Iterator[int]:
    srv = make_uvicorn(hello, "127.0.0.1", 0, **limits)
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    try:
        for _ in range(3000):
            if srv.started:
                break
            time.sleep(0.01)
        yield srv.servers[0].sockets[0].getsockname()[1]
    finally:
        srv.should_exit = True
        t.join(timeout=10)


def test_a_body_larger_than_the_limit_is_refused_whole() -> None:
    with _serving(header_timeout=30, body_timeout=30, max_body=64) as port:
        got = _talk(port, b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"
                    + b"x" * 100)
        assert got.startswith(b"HTTP/1.1 413"), got


def test_past_the_connection_limit_a_request_is_answered_503_at_once() -> None:
    with _serving(header_timeout=30, body_timeout=30, max_connections=4) as port:
        held = []
        try:
            for _ in range(4):  # the limit: connections that sent half a request head
                s = socket.create_connection(("127.0.0.1", port), timeout=15)
                s.sendall(b"POST /status/x HTTP/1.1\r\nHost: a\r\n")
                held.append(s)
            time.sleep(0.2)
            got = _talk(port, b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
            assert got.startswith(b"HTTP/1.1 503"), got
        finally:
            for s in held:
                s.close()
