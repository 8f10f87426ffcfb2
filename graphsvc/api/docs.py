"""The OpenAPI document and a self-contained HTML page rendering it (no CDN assets)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from flask import Blueprint, Response

from graphsvc.api.openapi import SPEC

__all__ = ["bp", "render_html"]

bp = Blueprint("docs", __name__)


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    return SPEC


@bp.get("/docs")
def docs_page() -> Response:
    return Response(render_html(SPEC), mimetype="text/html")


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    params = "".join(
        f"<li><code>{escape(p['name'])}</code> ({p['in']}): "
        f"<code>{escape(json.dumps(p['schema']))}</code> {escape(p.get('description', ''))}</li>"
        for p in op.get("parameters", [])
    )
    body = op.get("requestBody", {}).get("content", {})
    responses = "".join(
        f"<li><b>{code}</b> {escape(r['description'])} "
        f"<small>{escape(', '.join(r.get('content', {})))}</small></li>"
        for code, r in op["responses"].items()
    )
    return (
        f'<section id="{escape(method + path)}"><h2><code>{method.upper()} {escape(path)}</code>'
        f"</h2><p>{escape(op['summary'])}</p>"
        + (f"<h3>Parameters</h3><ul>{params}</ul>" if params else "")
        + (f"<h3>Body</h3><p>{escape(', '.join(body))}</p>" if body else "")
        + f"<h3>Responses</h3><ul>{responses}</ul></section>"
    )


def render_html(spec: dict[str, Any]) -> str:
    """Every operation with its parameters and responses, then the schemas as JSON."""
    info = spec["info"]
    operations = "".join(
        _operation(path, method, op)
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
    )
    schemas = escape(json.dumps(spec["components"]["schemas"], indent=2))
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(info['title'])} API</title><style>"
        "body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "section{border-top:1px solid #ddd}code{background:#f4f4f4}pre{overflow:auto}"
        f"</style></head><body><h1>{escape(info['title'])} API {escape(info['version'])}</h1>"
        f"<p>{escape(info['description'])}</p><p><a href=openapi.json>openapi.json</a></p>"
        f"{operations}<h2>Schemas</h2><pre>{schemas}</pre></body></html>"
    )
