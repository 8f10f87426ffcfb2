"""Explanations in words a marketer reads: plain figures, no scientific notation, no jargon."""

from __future__ import annotations

import pytest

from graphsvc.runs.explain import explain, figure, influence_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4884.53, "4,885"),
        (1234567.8, "1,234,568"),
        (19.25, "19.2"),
        (12.0, "12"),
        (4.2, "4.2"),
        (0.0083, "0.0083"),
        (0.00042, "0.00042"),
        (0.0000042, "0.0000042"),
        (0.005, "0.005"),
        (0.0, "0"),
        (378, "378"),
        (12345, "12,345"),
    ],
)
def test_figures_are_plain(value, text):
    assert figure(value) == text


def test_influence_reads_as_pagerank_with_its_rarity():
    assert influence_text(0.00042, 60, 20_000) == "PageRank 0.00042 (top 0.3%)"
    assert influence_text(4.2e-7, 1, 1_000_000) == "PageRank 0.00000042 (top 0.0001%)"


def test_signals_in_plain_words():
    row = {
        "in_strength": 4884.534753,
        "attention_top_pct": 0.005,
        "main_attention_kind": "red_packet",
        "main_attention_share": 0.61,
        "communities_reached": 4.2,
        "reach_top_pct": 0.3,
        "groups_reached": 2.31,
        "groups_top_pct": 1.25,
        "distinct_engagers": 0,
        "engagers_top_pct": None,
    }
    texts = [s["text"] for s in explain(row)]
    assert texts == [
        "4,885 weighted attention received (top 0.005%), 61% of it red packets",
        "attention from 4.2 communities (top 0.3%)",
        "attention from co-members in 2.3 of their groups (top 1.2%)",
    ]
