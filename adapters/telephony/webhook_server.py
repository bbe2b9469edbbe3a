"""The Twilio webhook server on uvicorn, with every wait bounded.

``vangnet telephony serve`` runs the webhook WSGI app (``make_webhook_app``) under
uvicorn with:

* a header timeout: a connection that has not sent a whole request head within
  ``header_timeout`` seconds is closed (uvicorn itself has none; a slow client
  sending headers byte by byte would otherwise hold a connection);
* a body timeout: the body must arrive within ``body_timeout`` seconds, else
  ``408 Request Timeout`` and the connection is closed (a request that promises
  more body than it sends never holds a connection or a thread);
* a body size limit (``max_body`` bytes, ``413``): Twilio's forms are small;
* uvicorn's keep-alive timeout (``timeout_keep_alive``) and concurrency limit
  (``limit_concurrency``: past it, ``503``), and a bounded thread pool for the app.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import logging
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
KEEP_ALIVE = 5
MAX_CONNECTIONS = 64
MAX_BODY = 64 * 1024


def _timed_protocol(header_timeout: float) -> type[H11Protocol]:
    class TimedH11Protocol(H11Protocol):
        """uvicorn's h11 protocol, plus: the request head must arrive in time."""

        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._head_timer = self.loop.call_later(header_timeout, self._head_timeout)

        def _head_timeout(self) -> None:
            if self.cycle is None:  # no complete request head yet
                log.info("webhook: closed a connection that sent no request head in %.0f s", header_timeout)
                self.transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

    return TimedH11Protocol


class BoundedWsgi:
    """An ASGI app running a WSGI app in a bounded thread pool, after reading the
    whole body within the body timeout and size limit."""

    def __init__(self, app: Callable[..., Any], *, body_timeout: float = BODY_TIMEOUT, max_body: int = MAX_BODY,
                 threads: int = 8) -> None:
        self.app = app
        self.body_timeout = body_timeout
        self.max_body = max_body
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook")

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout
        body = bytearray()
        more = True
        while more:
            left = deadline - loop.time()
            try:
                if left <= 0:
                    raise TimeoutError
                msg = await asyncio.wait_for(receive(), left)
            except TimeoutError:
                await _plain(send, 408, b"request body not received in time")
                return
            if msg["type"] == "http.disconnect":
                return
            body += msg.get("body", b"")
            if len(body) > self.max_body:
                await _plain(send, 413, b"request body too large")
                return
            more = msg.get("more_body", False)
        environ = _environ(scope, bytes(body))
        result: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            result["status"], result["headers"] = status, headers
            return lambda _data: None

        def run() -> bytes:
            chunks = self.app(environ, start_response)
            try:
                return b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()

        data = await loop.run_in_executor(self.pool, run)
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in result["headers"]]
        if not any(k == b"content-length" for k, _ in headers):
            headers.append((b"content-length", str(len(data)).encode()))
        await send({"type": "http.response.start", "status": int(result["status"].split()[0]), "headers": headers})
        await send({"type": "http.response.body", "body": data})


async def _plain(send: Callable[..., Any], status: int, text: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": text})


def _environ(scope: dict[str, Any], body: bytes) -> dict[str, Any]:
    server = scope.get("server") or ("localhost", 80)
    env: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"], "SCRIPT_NAME": scope.get("root_path", ""),
        "PATH_INFO": scope["path"], "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]), "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}", "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0), "wsgi.url_scheme": scope.get("scheme", "http"), "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    for name, value in scope.get("headers", []):
        key = name.decode("latin-1").upper().replace("-", "_")
        val = value.decode("latin-1")
        if key == "CONTENT_TYPE":
            env["CONTENT_TYPE"] = val
        elif key != "CONTENT_LENGTH":
            k = f"HTTP_{key}"
            env[k] = f"{env[k]},{val}" if k in env else val
    return env


def make_uvicorn(app: Callable[..., Any], host: str = "127.0.0.1", port: int = 8080, *,
                 header_timeout: float = HEADER_TIMEOUT, body_timeout: float = BODY_TIMEOUT,
                 keep_alive: int = KEEP_ALIVE, max_connections: int = MAX_CONNECTIONS,
                 max_body: int = MAX_BODY) -> uvicorn.Server:
    config = uvicorn.Config(BoundedWsgi(app, body_timeout=body_timeout, max_body=max_body), host=host, port=port,
                            http=_timed_protocol(header_timeout), lifespan="off", timeout_keep_alive=keep_alive,
                            limit_concurrency=max_connections, h11_max_incomplete_event_size=16 * 1024,
                            log_level="warning", access_log=False, server_header=False, proxy_headers=False)
    return uvicorn.Server(config)


def serve_uvicorn(app: Callable[..., Any], host: str = "127.0.0.1", port: int = 8080, **limits: Any) -> None:
    """Serve the webhook app until interrupted. Put it behind a TLS-terminating proxy."""
    make_uvicorn(app, host, port, **limits).run()
