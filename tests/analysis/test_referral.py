"""Referral forest: levels, direct referrals, downline, depth, deep chains, bad data."""

from __future__ import annotations

import numpy as np

from graphsvc.analysis.referral import referral_tree


def test_hand_tree_with_a_five_level_chain():
    # 0 ─ 1 ─ 3 ─ 4 ─ 5 ─ 6   (6 is five levels below 0)
    #  └─ 2 ─ 7
    # 8 has no referral; 9 ─ 10 is a small tree
    edges = [(0, 1), (0, 2), (1, 3), (3, 4), (4, 5), (5, 6), (2, 7), (9, 10)]
    inviter, invitee = np.array(edges).T
    tree = referral_tree(inviter, invitee, 11, deep_chain_levels=3)
    assert tree.level.tolist() == [0, 1, 1, 2, 3, 4, 5, 2, -1, 0, 1]
    assert tree.direct_referrals.tolist() == [2, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0]
    assert tree.downline.tolist() == [7, 4, 1, 3, 2, 1, 0, 0, 0, 1, 0]
    assert tree.tree_depth.tolist() == [5] * 8 + [-1, 1, 1]
    assert tree.root.tolist() == [0] * 8 + [-1, 9, 9]
    # beyond three levels, and the root accountable for that chain
    assert np.flatnonzero(tree.deep_chain).tolist() == [0, 5, 6]
    assert tree.cycles_broken == 0
    assert referral_tree(inviter, invitee, 11, deep_chain_levels=5).deep_chain.sum() == 0


def test_bad_data_self_referrals_duplicates_and_cycles():
    # 0 → 0 (self), 1 → 2 then 3 → 2 (second inviter ignored), cycle 4 → 5 → 6 → 4 with 6 → 7
    inviter = np.array([0, 1, 3, 4, 5, 6, 6])
    invitee = np.array([0, 2, 2, 5, 6, 4, 7])
    tree = referral_tree(inviter, invitee, 8)
    assert tree.parent.tolist() == [-1, -1, 1, -1, -1, 4, 5, 6]
    assert tree.cycles_broken == 1  # cut at its smallest vertex, 4
    assert tree.level.tolist() == [-1, 0, 1, -1, 0, 1, 2, 3]
    assert tree.downline.tolist() == [0, 1, 0, 0, 3, 2, 1, 0]


def test_long_chain_without_recursion():
    n = 3000
    tree = referral_tree(np.arange(n - 1), np.arange(1, n), n)
    assert tree.level.tolist() == list(range(n))
    assert tree.downline.tolist() == list(range(n - 1, -1, -1))
    assert tree.tree_depth.max() == n - 1
    assert tree.deep_chain.sum() == n - 4 + 1  # levels 4.. and the root
