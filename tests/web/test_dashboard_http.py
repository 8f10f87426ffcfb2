"""The dashboard over HTTP, on every store: sign-in and its cookie, CSRF, roles, deep links,
errors as pages, the CSV download."""

from __future__ import annotations

import csv
import io

from graphsvc.service.state import KeyRole, ServiceState
from graphsvc.store.base import UserQuery
from tests.api.conftest import serving
from tests.web.conftest import Client


def test_pages_wait_behind_sign_in_and_come_back_to_the_deep_link(client):
    status, headers, _ = client.get("/kols?tier=kol&community=c-0001")
    assert status == 302
    assert headers["Location"] == "/signin?next=/kols?tier%3Dkol%26community%3Dc-0001"
    status, headers, _ = client.post(
        "/signin",
        {"key": client_key(client), "csrf_token": client.csrf(), "next": "/kols?tier=kol"},
    )
    assert (status, headers["Location"]) == (302, "/kols?tier=kol")
    (cookie,) = [c for c in client.set_cookie if c.startswith("graphsvc_session=")]
    flags = {f.strip().lower() for f in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=lax"} <= flags
    status, _, page = client.get("/kols?tier=kol")
    assert status == 200
    assert "tier t-kol" in page


def client_key(client: Client, role: str = "reader") -> str:
    return client.keys[role]


def test_a_wrong_key_or_a_missing_csrf_token_signs_nobody_in(client):
    status, _, page = client.post("/signin", {"key": "gsk_nope", "csrf_token": client.csrf()})
    assert status == 401
    assert "unknown or revoked" in page
    status, _, page = client.post("/signin", {"key": client_key(client)})
    assert status == 400
    assert "reload the page" in page
    assert client.get("/kols")[0] == 302  # still signed out


def test_forms_are_small_and_refused_before_they_are_read(client):
    status, headers, body = client.post("/signin", {"key": "k" * 70_000, "csrf_token": "t"})
    assert (status, headers.get_content_type()) == (413, "application/problem+json")
    assert "at most 65536 bytes" in body


def test_sign_in_never_redirects_off_site(client):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        form = {"key": client_key(client), "csrf_token": client.csrf(), "next": target}
        assert client.post("/signin", form)[1]["Location"] == "/kols"


def test_only_operators_start_analyses_and_only_with_the_form_token(client):
    """(An operator starting one with the token: the browser test of the runs page.)"""
    client.sign_in(client_key(client, "reader"))
    status, _, page = client.post("/runs", {"csrf_token": client.csrf("/runs")})
    assert status == 403
    assert "operator role" in page
    client.sign_in(client_key(client, "operator"))
    assert client.post("/runs", {})[0] == 400  # no CSRF token
    assert client.post("/runs", {"csrf_token": "forged"})[0] == 400
    client.cookies.clear()
    assert client.post("/runs", {})[1]["Location"] == "/signin?next=/runs"


def test_a_revoked_key_signs_its_holder_out(client, dashboard):
    state = ServiceState(dashboard.settings.state)
    key, secret = state.create_key(KeyRole.READER, "soon revoked")
    client.sign_in(secret)
    assert client.get("/kols")[0] == 200
    state.revoke_key(key.key_id)
    state.close()
    assert client.get("/kols")[0] == 302


def test_sessions_outlive_a_restart(client, dashboard):
    client.sign_in(client_key(client))
    dashboard.restart()  # a new process: the signing key comes from the service state
    client.base = dashboard.base
    assert client.get("/kols")[0] == 200


def test_errors_are_pages_with_a_message(client):
    client.sign_in(client_key(client))
    for path, status, words in (
        ("/users/nobody", 404, "nobody"),
        ("/communities/c-none", 404, "c-none"),
        ("/kols?tier=chief", 400, "tier"),
        ("/kols?cursor=garbage", 400, "cursor"),
    ):
        got, headers, page = client.get(path)
        assert (got, headers.get_content_type()) == (status, "text/html"), path
        assert words in page


def test_search_by_exact_id_opens_the_person(client, dashboard):
    client.sign_in(client_key(client))
    top = dashboard.get("/api/v1/kols?limit=1").json["data"][0]["user_id"]
    status, headers, _ = client.get(f"/kols?q={top}")
    assert (status, headers["Location"]) == (302, f"/users/{top}")


def test_csv_download_holds_the_views_rows(client, dashboard):
    client.sign_in(client_key(client))
    status, headers, body = client.get("/kols.csv?tier=kol&sort=downline")
    assert status == 200
    assert headers.get_content_type() == "text/csv"
    assert body.startswith("\ufeff")  # spreadsheets read UTF-8 (Chinese names) with a BOM
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    expected = dashboard.get("/api/v1/kols?tier=kol&sort=downline&limit=1000").json["data"]
    assert [r["user_id"] for r in rows] == [r["user_id"] for r in expected]
    assert rows[0]["name"] == expected[0]["name"]
    assert {r["tier"] for r in rows} == {"kol"}


def test_before_the_first_run_pages_point_to_the_runs_page(sqlite_store, tmp_path):
    with serving(sqlite_store, tmp_path) as served:
        client = Client(served.base, keys=served.keys)
        client.sign_in(client_key(client, "operator"))
        status, _, page = client.get("/kols?lang=en")
        assert status == 404
        assert "No analysis run yet" in page
        assert 'href="/runs"' in page
        assert client.get("/runs")[0] == 200
        assert client.get("/changes")[0] == 200


def test_the_page_load_benchmark_loads_every_page(dashboard):
    from benchmarks.dashboard_load import PAGES, measure_pages

    dashboard.restart(anonymous_reads=True)
    try:
        port = int(dashboard.base.rsplit(":", 1)[1])
        figures = measure_pages(port, loads=2)
    finally:
        dashboard.restart(anonymous_reads=False)
    assert set(figures) == {"changes_first_load_s", *PAGES}
    assert all(figures[page]["n"] == 2 for page in PAGES)
    assert all(0 < figures[page]["p50"] <= figures[page]["max"] for page in PAGES)


def test_shills_and_audience_quality_show_on_the_pages(client, dashboard):
    client.sign_in(client_key(client))
    suspects = dashboard.store.user_page(
        dashboard.store.current_run().run_id,
        UserQuery(min_shill_score=0.5, sort="shill_score", limit=1),
    )
    status, _, page = client.get(f"/users/{suspects[0]['user_id']}")
    assert status == 200
    assert 'id="notes"' in page
    assert "suspected shill" in page
    status, _, page = client.get("/kols?min_quality=0.9&sort=audience_quality")
    assert status == 200
    assert "Audience quality" in page
    assert 'name="min_quality" value="0.9"' in page


def test_operators_choose_seeds_and_anyone_reads_the_set(client):
    client.sign_in(client_key(client))
    status, _, page = client.get("/campaigns")
    assert status == 200
    assert "Choosing seeds needs an operator key." in page
    client.sign_in(client_key(client, "operator"))
    form = {"k": "5", "model": "ic", "per_community": "", "csrf_token": client.csrf("/campaigns")}
    status, headers, _ = client.post("/campaigns", form)
    assert status == 302
    assert headers["Location"].startswith("/campaigns?seeds=")
    client.sign_in(client_key(client))  # a reader follows the shared link
    status, _, page = client.get(headers["Location"])
    assert status == 200
    table = page.split('id="seeds"', 1)[1]
    assert table.count('href="/users/') == 5


def test_a_bad_seeding_form_is_refused_naming_the_field(client):
    client.sign_in(client_key(client, "operator"))
    form = {"k": "lots", "model": "ic", "csrf_token": client.csrf("/campaigns")}
    status, _, page = client.post("/campaigns", form)
    assert status == 400
    assert "k must be" in page


def test_a_community_page_shows_its_lifecycle(client, dashboard):
    client.sign_in(client_key(client))
    run_id = dashboard.store.current_run().run_id
    top = max(
        (c for c in dashboard.store.community_results(run_id) if c.stage),
        key=lambda c: (c.size, c.community_id),
    )
    status, _, page = client.get(f"/communities/{top.community_id}")
    assert status == 200
    assert 'id="lifecycle"' in page
    assert f"<strong>{top.stage}</strong>" in page
    if top.alarms:
        assert 'id="alarms"' in page
    detail = dashboard.get(f"/api/v1/communities/{top.community_id}").json
    assert detail["lifecycle"]["stage"] == top.stage
    assert detail["lifecycle"]["members"] == top.members
