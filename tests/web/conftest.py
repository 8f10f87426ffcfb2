"""The dashboard over a real HTTP server on a generated graph (2,000 users, two runs), once per
store (shared by the session); a small cookie-keeping HTTP client; helpers for the browser."""

from __future__ import annotations

import os
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from graphsvc.ingest.load import discover, load_files
from graphsvc.jobs.analyze import analyze
from graphsvc.model import AnalysisParams
from graphsvc.store.sqlite import SqliteStore
from graphsvc.synth import generate
from tests.api.conftest import Served, serving

USERS, SEED = 2000, 3
SHOTS_ENV = "GRAPHSVC_SCREENSHOTS"  # also copy screenshots here (for a person to look at)


@pytest.fixture(scope="session", params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def dashboard(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Served]:
    """A generated graph analysed twice (the second run at another resolution, so the
    changes page has something to show), served with keys per role."""
    root = tmp_path_factory.mktemp(f"dashboard-{request.param}")
    if request.param == "sqlite":
        store = SqliteStore(root / "graph.db")
    else:
        store = request.getfixturevalue("neo4j_server").store()
        store.wipe()
    store.init_schema()
    generate(root / "data", users=USERS, seed=SEED, shill_groups=0.2, fake_invite_bursts=2)
    load_files(discover(root / "data"), store)
    params = AnalysisParams()
    analyze(store, params)
    analyze(store, replace(params, resolution=1.5), force=True)
    with serving(store, root) as served:
        served.kind = request.param
        yield served
    store.close()


@dataclass
class Client:
    """HTTP with a cookie jar of its own: Python's jar never returns Secure cookies over
    plain http, which is exactly what the dashboard sets (browsers allow it on 127.0.0.1)."""

    base: str
    keys: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookie: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, body, method=method)
        if self.cookies:
            req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(req, timeout=30)
        except urllib.error.HTTPError as e:
            response = e
        with response:
            self.set_cookie = response.headers.get_all("Set-Cookie") or []
            for header in self.set_cookie:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name] = value
            return response.status, response.headers, response.read().decode()

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]):
        return self.request("POST", path, form)

    def csrf(self, path: str = "/signin") -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.get(path)[2]).group(1)

    def sign_in(self, key: str) -> int:
        return self.post("/signin", {"key": key, "csrf_token": self.csrf()})[0]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def client(dashboard: Served) -> Client:
    """A browser-like client with no cookie yet; ``keys`` are the server's, by role."""
    return Client(dashboard.base, keys=dashboard.keys)


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go: the session's tmp dir, copied to $GRAPHSVC_SCREENSHOTS if set."""
    return tmp_path_factory.mktemp("screenshots")


def save_shot(driver, shots: Path, name: str) -> Path:
    """A full-page PNG of what the browser shows."""
    import base64

    data = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )["data"]
    path = shots / f"{name}.png"
    path.write_bytes(base64.b64decode(data))
    if os.environ.get(SHOTS_ENV):
        target = Path(os.environ[SHOTS_ENV])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)
    return path
