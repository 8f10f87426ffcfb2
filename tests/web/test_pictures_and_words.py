"""The dashboard's pure parts: pictures drawn on the server, and its words in two languages."""

from __future__ import annotations

import re

from graphsvc.web.picture import community_picture, line_chart, referral_tree
from graphsvc.web.text import _LABELS, _TEXT, why_text


def test_both_languages_say_everything():
    assert set(_TEXT["en"]) == set(_TEXT["zh"])
    assert set(_LABELS["zh"]["tier"]) >= {"core", "kol", "active", "member", "peripheral", "lurker"}


def test_chinese_explanations_keep_the_figures():
    signal = {"signal": "engagers", "value": 412, "top_pct": 0.1, "text": "412 distinct …"}
    assert why_text("zh", signal) == "412 位不同的用户与其互动(前 0.1%)"
    assert why_text("en", signal) == "412 distinct …"
    assert why_text("zh", {**signal, "signal": "later"}) == "412 distinct …"  # unknown: as sent


def test_referral_tree_shows_the_biggest_branches_first_and_counts_the_rest():
    rows = [{"user_id": f"c{i}", "inviter_id": "root", "depth": 1} for i in range(5)]
    rows += [{"user_id": f"g{i}", "inviter_id": "c3", "depth": 2} for i in range(3)]
    rows += [{"user_id": "g9", "inviter_id": "c1", "depth": 2}]
    rows += [{"user_id": "lost", "inviter_id": "nobody", "depth": 2}]  # parent not fetched
    tree = referral_tree("root", rows, max_children=3)
    assert [c.user_id for c in tree.children] == ["c3", "c1", "c0"]
    assert (tree.size, tree.hidden) == (10, 2)
    assert [c.size for c in tree.children] == [4, 2, 1]


def test_community_picture_marks_the_owner_and_escapes_names():
    members = [
        {"user_id": "a", "name": "<b>boss</b>", "tier": "kol", "influence": 0.5},
        {"user_id": "b", "name": "张伟", "tier": "member", "influence": 0.2},
        {"user_id": "c", "name": None, "tier": "peripheral", "influence": 0.0},
    ]
    edges = [("b", "a", "reply", 3), ("a", "b", "referral", 1), ("c", "x", "like", 1)]
    svg = str(community_picture(members, edges, "a", lambda u: f"/users/{u}"))
    assert svg.count("<circle") == 3
    assert len(re.findall(r'class="t-kol owner"', svg)) == 1
    assert "&lt;b&gt;boss&lt;/b&gt;" in svg
    assert "<b>" not in svg
    assert svg.count("M") == 1  # one tie a–b (both directions and kinds summed); c–x is outside
    assert 'href="/users/c"' in svg


def test_line_chart_skips_missing_values():
    svg = str(line_chart([("r1", 0.5), ("r2", None), ("r3", 0.25)]))
    assert svg.count("<circle") == 2
    assert str(line_chart([("r1", None)])).count("<circle") == 0
