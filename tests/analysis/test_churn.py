"""Churn between two runs: kept community and tier shares, KOLs in and out, owners changed,
communities born, split, merged and died."""

from __future__ import annotations

import numpy as np
import pytest

from graphsvc.analysis.churn import community_events, run_churn
from graphsvc.model import PreviousRun


def ids(*labels: str) -> np.ndarray:
    return np.array(labels, dtype=object)


def test_community_events_by_member_overlap():
    before = ids(*["c-1"] * 10, *["c-2"] * 4, *["c-3"] * 3, *["c-4"] * 5, "", "")
    after = ids(
        *["c-1"] * 6,
        *["c-9"] * 4,  # c-1 split into c-1 and c-9 (40% of its members)
        *["c-2"] * 4,
        *["c-2"] * 3,  # c-3 merged into c-2
        *[""] * 5,  # c-4 died (its members unassigned)
        "c-7",
        "c-7",  # born from unassigned users
    )
    assert community_events(before, after, 0.2) == {"born": 1, "split": 1, "merged": 1, "died": 1}
    assert community_events(before, before, 0.2) == dict.fromkeys(
        ("born", "split", "merged", "died"), 0
    )


def test_run_churn_counts_what_changed():
    n = 10
    leaf = ids(*["c-1"] * 5, *["c-2"] * 4, "")
    tier = ids("kol", "core", "active", "member", "member", "kol", "active", "member", "member", "")
    previous = PreviousRun(
        "run-1",
        leaf,
        np.zeros(n),
        np.zeros(n),
        {},
        tier=tier,
        owners={"c-1": 0, "c-2": 5},
    )
    now_ids = ids(*["c-1"] * 4, "c-2", *["c-2"] * 4, "c-2")  # user 4 moved; user 9 is new
    now_tier = ids(
        "kol", "member", "active", "member", "member", "kol", "kol", "member", "member", "kol"
    )
    churn = run_churn(previous, now_ids, now_tier, {"c-1": 0, "c-2": 6})
    assert churn["users_compared"] == 9
    assert churn["kept_community"] == pytest.approx(8 / 9)
    assert churn["kept_tier"] == pytest.approx(7 / 9)
    assert (churn["kols_in"], churn["kols_out"]) == (2, 1)  # u6, u9 in; u1 out
    assert churn["kol_jaccard"] == pytest.approx(2 / 5)
    assert (churn["owners_changed"], churn["owners_compared"]) == (1, 2)
    # user 4 is a fifth of c-1: a link (share 0.2), so c-1 split and c-2 merged
    assert churn["communities"] == {"born": 0, "split": 1, "merged": 1, "died": 0}
    assert run_churn(previous, now_ids, now_tier, {}, share=0.25)["communities"]["split"] == 0
