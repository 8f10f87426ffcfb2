"""The production HTTP server: waitress, refusing a request body before reading it when the
request's key may not send one or it declares more than GRAPHSVC_MAX_BODY_BYTES (a chunked
body: as soon as the running count passes the limit). waitress reads a whole body before the
app runs, so these checks live in its request parser; the app checks the size again
(MAX_CONTENT_LENGTH) behind any other WSGI server."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask
from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer
from waitress.utilities import Error, RequestEntityTooLarge

from graphsvc.api.auth import api_key
from graphsvc.api.deps import BodyTooLarge
from graphsvc.api.errors import CHALLENGE, problem_document
from graphsvc.config import Settings
from graphsvc.errors import GraphsvcError
from graphsvc.service.state import KeyRole, ServiceState

__all__ = ["http_server"]

READS = ("GET", "HEAD")
API = "/api/"
FORM_BYTES = 64 * 2**10  # a dashboard form (sign-in, start an analysis) is a key and a token


def http_server(app: Flask, host: str, port: int, threads: int) -> Any:
    """A waitress server (not started) for ``app`` from ``create_app``, on ``host:port``."""
    settings: Settings = app.extensions["graphsvc.settings"]
    state: ServiceState = app.extensions["graphsvc.state"]

    def admit(parser: HTTPRequestParser) -> _Refusal | None:
        """None if the request's key may send its body: every write (a body on any other
        method than GET or HEAD) needs an operator key; reads, a reader key or none if
        anonymous reads are on. The dashboard's forms sign in by session cookie and CSRF
        token, checked by the app: their bodies are only limited to FORM_BYTES."""
        if not parser.path.startswith(API):  # the dashboard's forms: a session, a small body
            if parser.content_length <= FORM_BYTES:
                return None
            return _Refusal(413, BodyTooLarge.title, f"a form is at most {FORM_BYTES} bytes")
        read = parser.command in READS
        role = KeyRole.READER if read else KeyRole.OPERATOR
        header = parser.headers.get("AUTHORIZATION")
        try:
            api_key(state, header, role, anonymous=read and settings.anonymous_reads)
        except GraphsvcError as e:
            return _Refusal.of(e)
        return None

    socket_map: dict[int, Any] = {}
    server = create_server(
        app,
        map=socket_map,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=settings.max_body_bytes + 1,  # waitress refuses >= this
    )
    channel = type("Channel", (HTTPChannel,), {"parser_class": _parser_class(admit)})
    for listener in socket_map.values():
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = channel
    return server


class _Refusal(Error):
    """An answer given from the request head, as application/problem+json; waitress sends
    it and closes the connection, so the unread body is never read."""

    def __init__(self, code: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.reason = code, reason

    @classmethod
    def of(cls, error: GraphsvcError) -> _Refusal:
        return cls(error.status, error.title, str(error))

    def to_response(self, ident: str | None = None) -> tuple[str, list, bytes]:
        body = json.dumps(problem_document(self.code, self.reason, self.body)).encode()
        headers = [("Content-Type", "application/problem+json")]
        if self.code == 401:
            headers.append(("WWW-Authenticate", CHALLENGE))
        return f"{self.code} {self.reason}", headers, body


def _parser_class(
    admit: Callable[[HTTPRequestParser], _Refusal | None],
) -> type[HTTPRequestParser]:
    class Parser(HTTPRequestParser):
        """waitress's parser, with a say once the head of a request with a body is read."""

        def received(self, data: bytes) -> int:
            had_head = self.headers_finished
            consumed = super().received(data)
            if isinstance(self.error, RequestEntityTooLarge):
                self.error = _Refusal.of(BodyTooLarge(self.adj.max_request_body_size - 1))
            elif self.headers_finished and not had_head and not self.completed:
                refusal = admit(self)  # a body follows: judge the request before reading it
                if refusal is not None:
                    self.error, self.completed = refusal, True
            if self.error is not None:
                self.expect_continue = False  # no "100 Continue" for a refused body
            return consumed

    return Parser
