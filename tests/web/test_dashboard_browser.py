"""The dashboard in a real browser (Debian's headless Chromium), on every store: sign-in,
each page, the phone layout, both languages; screenshots of every page at laptop and phone
widths (see tests/web/conftest.py)."""

from __future__ import annotations

import json
import time

import pytest

from graphsvc.model import Entity
from tests.fixtures.browser import LAPTOP, PHONE
from tests.web.conftest import save_shot

pytestmark = pytest.mark.usefixtures("browser")


def by_css(driver, css):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, css)


def follow(driver, element) -> None:
    """Click a link or a submit button and wait for the next page: until the old page's root
    is gone (chromedriver says so either as a stale element or as a node that "does not
    belong to the document", depending on when it is asked)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element("tag name", "html")
    element.click()

    def gone(_) -> bool:
        try:
            page.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(driver, 20).until(gone)


def texts(driver, css):
    return [e.text for e in by_css(driver, css)]


def sign_in(driver, served, role: str) -> None:
    driver.delete_all_cookies()
    driver.get(served.base + "/signin?lang=en")
    by_css(driver, "#key")[0].send_keys(served.keys[role])
    follow(driver, by_css(driver, "#signin")[0])


def api(served, path):
    return served.get(path).json


def deepest_referrer(store) -> dict:
    """The user with the biggest downline among those whose tree goes 4 levels deep."""
    children: dict[str, list[str]] = {}
    for r in store.records(Entity.REFERRALS):
        children.setdefault(r.inviter_id, []).append(r.invitee_id)

    def levels(user: str) -> tuple[int, int]:  # (depth below, downline)
        below = [levels(c) for c in children.get(user, [])]
        return 1 + max((d for d, _ in below), default=-1), sum(n + 1 for _, n in below)

    _, user = max((n, u) for u in children for d, n in [levels(u)] if d >= 4)
    return {"user_id": user}


def phone(driver, on: bool) -> None:
    if on:
        width, height = PHONE
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.set_window_size(*LAPTOP)


def test_sign_in_keeps_the_key_in_a_secure_http_only_cookie(browser, dashboard, shots):
    browser.delete_all_cookies()
    browser.get(dashboard.base + "/kols?tier=kol&lang=en")
    assert "/signin" in browser.current_url  # a deep link waits behind the sign-in
    save_shot(browser, shots, f"signin-{dashboard.kind}")
    by_css(browser, "#key")[0].send_keys("gsk_wrong")
    follow(browser, by_css(browser, "#signin")[0])
    assert "unknown or revoked" in by_css(browser, ".error")[0].text
    by_css(browser, "#key")[0].send_keys(dashboard.keys["reader"])
    follow(browser, by_css(browser, "#signin")[0])
    assert browser.current_url.endswith("/kols?tier=kol&lang=en")  # back to the deep link
    assert set(texts(browser, "#kols tbody .tier")) == {"KOL"}
    (cookie,) = [c for c in browser.get_cookies() if c["name"] == "graphsvc_session"]
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (True, True, "Lax")
    assert browser.execute_script("return document.cookie") == ""  # scripts cannot read it


def test_kol_ranking_filters_sorts_pages_and_searches(browser, dashboard, shots):
    sign_in(browser, dashboard, "reader")
    browser.get(dashboard.base + "/kols")
    expected = api(dashboard, "/api/v1/kols")["data"]
    shown = [
        e.get_attribute("href").rsplit("/", 1)[1]
        for e in by_css(browser, "#kols tbody td:nth-child(2) > a")
    ]
    assert shown == [r["user_id"] for r in expected]
    save_shot(browser, shots, f"kols-laptop-{dashboard.kind}")

    from selenium.webdriver.support.ui import Select

    Select(by_css(browser, "select[name=tier]")[0]).select_by_value("core")
    follow(browser, by_css(browser, "#filters button")[0])
    assert "tier=core" in browser.current_url
    assert set(texts(browser, "#kols tbody .tier")) == {"core"}

    follow(browser, by_css(browser, "a[href*='sort=downline']")[0])  # sortable column, filters kept
    assert "tier=core" in browser.current_url
    assert "sort=downline" in browser.current_url
    values = [int(v) for v in texts(browser, "#kols tbody td:nth-child(9)")]
    assert values == sorted(values, reverse=True)
    csv_link = by_css(browser, "#csv")[0].get_attribute("href")
    assert "tier=core" in csv_link
    assert "sort=downline" in csv_link

    browser.get(dashboard.base + "/kols")
    first = texts(browser, "#kols tbody td:first-child")
    follow(browser, by_css(browser, "#next")[0])
    second = texts(browser, "#kols tbody td:first-child")
    assert int(second[0]) == int(first[-1]) + 1  # the next page goes on in rank order

    name = expected[0]["name"]
    by_css(browser, "input[name=q]")[0].send_keys(name[:1])
    follow(browser, by_css(browser, ".search button")[0])
    found = texts(browser, "#kols tbody td:nth-child(2) > a")
    assert found
    assert all(n.startswith(name[:1]) for n in found)


def test_person_page_explains_scores_and_draws_referrals(browser, dashboard, shots):
    sign_in(browser, dashboard, "reader")
    top = deepest_referrer(dashboard.store)
    browser.get(f"{dashboard.base}/users/{top['user_id']}")
    profile = api(dashboard, f"/api/v1/users/{top['user_id']}")
    assert texts(browser, "#why li") == [w["text"] for w in profile["why"]]  # English
    assert len(by_css(browser, "#scores tbody tr")) == len(profile["scores"])
    assert len(by_css(browser, "#history tbody tr")) == 2  # one row per kept run
    children = api(dashboard, f"/api/v1/users/{top['user_id']}/referrals")["data"]
    tree_links = {e.text for e in by_css(browser, "#downline > ul > li a")}
    assert {c["user_id"] for c in children} <= tree_links
    # the 3 biggest branches open near the top; the others and deeper levels collapsed
    nesting = browser.execute_script(
        "return [...document.querySelectorAll('#downline details')].map(d => {"
        "  let k = 0, e = d; while ((e = e.parentElement.closest('details'))) k++;"
        "  const index = [...d.parentElement.parentElement.children].indexOf(d.parentElement);"
        "  return [k, index, d.open]; })"
    )
    assert any(is_open for *_, is_open in nesting)
    assert not all(is_open for *_, is_open in nesting)
    assert all(is_open == (k < 2 and i < 3) for k, i, is_open in nesting)
    assert len(by_css(browser, "#downline li")) <= 1000
    save_shot(browser, shots, f"person-laptop-{dashboard.kind}")
    leaf = api(dashboard, f"/api/v1/users/{top['user_id']}/referrals?depth=3")["data"][-1]
    browser.get(f"{dashboard.base}/users/{leaf['user_id']}")
    upline = api(dashboard, f"/api/v1/users/{leaf['user_id']}/referrals?direction=up&depth=10")
    chain = [e.text for e in by_css(browser, "#upline li a")]
    assert chain == [r["user_id"] for r in reversed(upline["data"])]
    assert top["user_id"] in chain


def test_community_page_pictures_members_and_health(browser, dashboard, shots):
    sign_in(browser, dashboard, "reader")
    biggest = api(dashboard, "/api/v1/communities?limit=1")["data"][0]
    browser.get(f"{dashboard.base}/communities/{biggest['community_id']}")
    circles = by_css(browser, "#picture svg circle")
    assert len(circles) == min(biggest["size"], 2000)
    owner = by_css(browser, "#picture svg circle.owner")
    assert len(owner) == 1
    link = owner[0].find_element("xpath", "..").get_dom_attribute("href")
    assert link.endswith(f"/users/{biggest['owner']['user_id']}")
    assert by_css(browser, "#picture svg path.ties")
    assert len(by_css(browser, "#series svg.chart")) >= 3  # size and health figures per run
    assert by_css(browser, "#owners")
    save_shot(browser, shots, f"community-laptop-{dashboard.kind}")
    browser.get(f"{dashboard.base}/communities")
    rows = texts(browser, "#communities tbody td:first-child a")
    assert rows[0] == biggest["community_id"]


def test_changes_page_shows_the_run_diff(browser, dashboard, shots):
    sign_in(browser, dashboard, "reader")
    browser.get(dashboard.base + "/changes")
    diff = api(dashboard, "/api/v1/runs/diff")
    counts = texts(browser, "#new-kols .count")
    assert counts == [str(diff["kols_new"]["count"]), str(diff["kols_lost"]["count"])]
    moves = len(diff["tier_moves"]["by_move"])
    assert len(by_css(browser, "#tier-moves tr")) == max(moves, 1)
    born = {e.text for e in by_css(browser, "#community-changes a[href*='/communities/']")}
    assert {c["community_id"] for c in diff["communities_born"]["top"]} <= born
    save_shot(browser, shots, f"changes-laptop-{dashboard.kind}")


def test_runs_page_starts_an_analysis_for_operators_only(browser, dashboard, shots):
    sign_in(browser, dashboard, "reader")
    browser.get(dashboard.base + "/runs")
    assert not by_css(browser, "#start-analysis")
    runs = api(dashboard, "/api/v1/runs")["data"]
    assert len(by_css(browser, "#runs tbody tr")) == len(runs)
    sign_in(browser, dashboard, "operator")
    browser.get(dashboard.base + "/runs")
    follow(browser, by_css(browser, "#start-analysis")[0])
    assert "job=job-" in browser.current_url
    deadline = time.time() + 60
    while "succeeded" not in texts(browser, "#jobs tbody tr.hl .status")[0]:
        assert time.time() < deadline, texts(browser, "#jobs tbody tr.hl")
        time.sleep(1)
        browser.refresh()
    save_shot(browser, shots, f"runs-laptop-{dashboard.kind}")
    # the new run's first readers wait for nothing: its diff and score columns are ready
    dashboard.app.extensions["graphsvc.jobs"].join(60)
    newest, previous = (r["run_id"] for r in api(dashboard, "/api/v1/runs")["data"][:2])
    assert ("diff", previous, newest) in dashboard.app.extensions["graphsvc.web.memo"]._values
    assert dashboard.app.extensions["graphsvc.score_ranks"]._run_id == newest


def test_chinese_text_and_a_phone_layout(browser, dashboard, shots):
    sign_in(browser, dashboard, "reader")
    browser.get(dashboard.base + "/kols?lang=zh")
    assert texts(browser, "header nav a")[:2] == ["KOL 排行", "社群"]
    browser.get(dashboard.base + "/changes")  # the choice is kept
    assert "变化" in by_css(browser, "h1")[0].text
    community = api(dashboard, "/api/v1/communities?limit=1")["data"][0]["community_id"]
    top = api(dashboard, "/api/v1/kols?limit=1")["data"][0]["user_id"]
    phone(browser, True)
    try:
        for name, path in (
            ("kols", "/kols"),
            ("person", f"/users/{top}"),
            ("community", f"/communities/{community}"),
            ("changes", "/changes"),
            ("runs", "/runs"),
            ("campaigns", "/campaigns"),
        ):
            browser.get(dashboard.base + path)
            width = browser.execute_script("return document.documentElement.scrollWidth")
            assert width <= PHONE[0], (path, width)  # wide tables scroll inside their box
            save_shot(browser, shots, f"{name}-phone-zh-{dashboard.kind}")
    finally:
        phone(browser, False)
        browser.get(dashboard.base + "/kols?lang=en")


def test_anonymous_reads_open_the_read_pages_without_a_key(browser, dashboard):
    dashboard.restart(anonymous_reads=True)
    try:
        browser.delete_all_cookies()
        browser.get(dashboard.base + "/kols?lang=en")
        assert "/signin" not in browser.current_url
        assert by_css(browser, "#kols tbody tr")
        browser.get(dashboard.base + "/runs")
        assert not by_css(browser, "#start-analysis")  # writes still need an operator key
    finally:
        dashboard.restart(anonymous_reads=False)
    browser.get(dashboard.base + "/kols")
    assert "/signin" in browser.current_url
    assert json.loads(dashboard.get("/api/v1/kols?limit=1", key=None).text)["status"] == 401
