"""Settings, in one place: defaults, overridden by ``GRAPHSVC_<NAME>`` environment variables,
overridden by command-line options. Built once and passed down; analysis receives only
``AnalysisParams`` (numbers)."""

from __future__ import annotations

import os
import typing
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from graphsvc.errors import ConfigError, shown
from graphsvc.model import (
    DEFAULT_KIND_WEIGHTS,
    RENAMED_PARAMS,
    REPLACED_PARAMS,
    AnalysisParams,
    param_bound,
)

__all__ = ["Neo4jSettings", "Settings", "check_analysis", "env_name", "parse_value"]

DEFAULT_NEO4J_PASSWORD = "graphsvc-dev"  # the dev default of scripts/neo4j


@dataclass(frozen=True)
class Neo4jSettings:
    """How graphsvc reaches a Neo4j server and bounds what it asks of it. Login settings keep
    the names the Neo4j driver and tools use (``NEO4J_USER``, …); the URI's userinfo
    (``bolt://user:secret@host``) overrides them."""

    user: str = field(default="neo4j", metadata={"env": "NEO4J_USER"})
    password: str = field(default=DEFAULT_NEO4J_PASSWORD, metadata={"env": "NEO4J_PASSWORD"})
    database: str = field(default="neo4j", metadata={"env": "NEO4J_DATABASE"})
    connect_timeout: float = 10.0  # seconds to connect (TCP and Bolt handshake)
    cypher_timeout: float = 60.0  # seconds a `graphsvc cypher` statement may run (0: no limit)
    cypher_max_rows: int = 10_000  # rows a `graphsvc cypher` statement may return
    # scripts/neo4j, which runs a local server (db import, benchmarks): "" is the checkout's
    neo4j_script: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Neo4jSettings:
        return cls(**_values_from_env(cls, os.environ if environ is None else environ))


@dataclass(frozen=True)
class Settings:
    """Service settings. Every field can be set as ``GRAPHSVC_<FIELD>`` (upper case); the
    analysis fields too, e.g. ``GRAPHSVC_DAMPING=0.9`` or
    ``GRAPHSVC_KIND_WEIGHTS=reply=2,like=0.25``; the Neo4j group as Neo4jSettings says."""

    store: str = "sqlite:///graphsvc.db"
    host: str = "127.0.0.1"
    port: int = 8000
    state: str = "graphsvc-state.db"  # API keys and job records (SQLite), whatever the store
    anonymous_reads: bool = False  # GET endpoints without an API key
    max_body_bytes: int = 64 * 2**20  # largest ingest request body
    response_cache_bytes: int = 64 * 2**20  # encoded read responses kept (0: no cache)
    neo4j: Neo4jSettings = field(default_factory=Neo4jSettings)
    analysis: AnalysisParams = field(default_factory=AnalysisParams)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        for old, new in RENAMED_PARAMS.items():
            if f"GRAPHSVC_{old.upper()}" in env:
                raise ConfigError(f"GRAPHSVC_{old.upper()} is now GRAPHSVC_{new.upper()}")
        for old, new in REPLACED_PARAMS.items():
            if f"GRAPHSVC_{old.upper()}" in env:
                raise ConfigError(
                    f"GRAPHSVC_{old.upper()} is gone; see GRAPHSVC_{new.upper()} in the README"
                )
        own = _values_from_env(cls, env, skip={"neo4j", "analysis"})
        neo4j = Neo4jSettings.from_env(env)
        analysis = check_analysis(AnalysisParams(**_values_from_env(AnalysisParams, env)))
        return cls(**own, neo4j=neo4j, analysis=analysis)

    def with_analysis(self, **changes: Any) -> Settings:
        """A copy with some analysis parameters replaced (None values are ignored), checked:
        ConfigError names the parameter as given."""
        given = {k: v for k, v in changes.items() if v is not None}
        if not given:
            return self
        analysis = check_analysis(replace(self.analysis, **given), name=lambda n: n)
        return replace(self, analysis=analysis)


def env_name(f: Field) -> str:
    """The environment variable of a settings field: its ``env`` metadata, else
    ``GRAPHSVC_<NAME>``."""
    return f.metadata.get("env", f"GRAPHSVC_{f.name.upper()}")


def check_analysis(
    params: AnalysisParams, name: Callable[[str], str] = lambda n: f"GRAPHSVC_{n.upper()}"
) -> AnalysisParams:
    """``params``, or ConfigError naming the first parameter outside its bound
    (``model.param_bound``) as ``name(parameter)`` says: the one check of every analysis
    parameter, whether it came from the environment, an option or an API job."""
    hints = typing.get_type_hints(AnalysisParams)
    for f in fields(params):
        value, kind = getattr(params, f.name), hints[f.name]
        if kind in (int, float) and not param_bound(f.name).holds(value):
            expected = param_bound(f.name).words(kind)
            raise ConfigError(f"{name(f.name)}={shown(value)} is not {expected}")
    negative = {k: w for k, w in params.kind_weights.items() if not w >= 0}
    if negative:
        raise ConfigError(f"{name('kind_weights')}: weights must be >= 0, not {negative}")
    if params.shill_burst_full <= params.shill_burst_base:
        raise ConfigError(
            f"{name('shill_burst_full')}={shown(params.shill_burst_full)} must be above "
            f"{name('shill_burst_base')}={shown(params.shill_burst_base)}"
        )
    return params


def _values_from_env(cls: type, env: Mapping[str, str], skip: set[str] = frozenset()) -> dict:
    hints = typing.get_type_hints(cls)
    values = {}
    for f in fields(cls):
        name = env_name(f)
        if f.name not in skip and name in env:
            values[f.name] = parse_value(name, env[name], hints[f.name])
    return values


_BOOLS = {"1": True, "true": True, "yes": True, "on": True}
_BOOLS |= {"0": False, "false": False, "no": False, "off": False}


def parse_value(name: str, text: str, kind: Any) -> Any:
    """Parse a setting from text, or raise ConfigError naming the setting and the problem.

    Mappings (kind weights) are written ``reply=2,like=0.5`` and update the defaults.
    """
    origin = typing.get_origin(kind) or kind
    try:
        if origin is bool:
            return _BOOLS[text.strip().lower()]
        if origin in (int, float):
            return origin(text.strip())
        if origin is str:
            return text
        if origin is MappingProxyType:
            pairs = (p.split("=", 1) for p in text.split(",") if p.strip())
            return MappingProxyType(
                dict(DEFAULT_KIND_WEIGHTS) | {k.strip(): float(v) for k, v in pairs}
            )
    except (KeyError, ValueError):
        expected = {
            bool: "true or false",
            int: "an integer",
            float: "a number",
            MappingProxyType: "a list like reply=2,like=0.5",
        }[origin]
        raise ConfigError(f"{name}={shown(text)} is not {expected}") from None
    raise ConfigError(f"{name}: unsupported setting type {kind}")
