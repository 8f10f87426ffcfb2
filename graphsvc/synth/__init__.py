"""Synthetic community-commerce graphs (社群) with planted truth, written as loader input files.

`generate` plans a population of users and groups, plants the roles the analysis must find
(group leaders 群主, official service accounts, super users, lurkers, shills, deep
distributors), grows referral trees (fission, 裂变) and draws interaction events, then writes
users, groups, memberships, referrals and interactions as CSV or JSON Lines plus truth.json.

Everything is vectorized numpy: generation and writing are O(events log events); 1M users and
~10M events take about 30 s and 1.5 GB. The same seed gives byte-identical files.

Modules: ``population`` (users, groups, roles, memberships, the truth), ``events`` (referral
trees, join times, interactions), ``files`` (writing), ``generator`` (``generate``);
``blocks``: planted partitions (stochastic block models) for tests and benchmarks.
"""

from graphsvc.synth.blocks import block_model_pairs
from graphsvc.synth.generator import generate
from graphsvc.synth.population import KINDS, Truth

__all__ = ["KINDS", "Truth", "block_model_pairs", "generate"]
