"""The marketers' dashboard: server-rendered pages at ``/`` (KOL ranking, person, community,
changes, runs, campaigns) over the readers the API uses, in English and Chinese, signed in with
an API key kept in an HTTP-only session cookie. Register ``bp`` on the API's app."""

from __future__ import annotations

from graphsvc.web import campaigns, communities, people, rankings, runs, session
from graphsvc.web.blueprint import bp

__all__ = ["bp"]

_PAGES = (campaigns, communities, people, rankings, runs, session)  # each adds its routes to bp
