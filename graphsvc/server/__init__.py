"""The HTTP server: the app factory that joins the API and the dashboard, and the waitress
server that refuses oversized or unauthorized bodies before reading them."""

from graphsvc.server.app import create_app
from graphsvc.server.wsgi import http_server

__all__ = ["create_app", "http_server"]
