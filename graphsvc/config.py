"""Settings, in one place: defaults, overridden by ``GRAPHSVC_<NAME>`` environment variables,
overridden by command-line options. Built once and passed down; analysis receives only
``AnalysisParams`` (numbers)."""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from graphsvc.errors import ConfigError
from graphsvc.model import DEFAULT_KIND_WEIGHTS, AnalysisParams

__all__ = ["Settings", "parse_value"]


@dataclass(frozen=True)
class Settings:
    """Service settings. Every field can be set as ``GRAPHSVC_<FIELD>`` (upper case); the
    analysis fields too, e.g. ``GRAPHSVC_DAMPING=0.9`` or
    ``GRAPHSVC_KIND_WEIGHTS=reply=2,like=0.25``."""

    store: str = "sqlite:///graphsvc.db"
    host: str = "127.0.0.1"
    port: int = 8000
    state: str = "graphsvc-state.db"  # API keys and job records (SQLite), whatever the store
    anonymous_reads: bool = False  # GET endpoints without an API key
    max_body_bytes: int = 64 * 2**20  # largest ingest request body
    response_cache_bytes: int = 64 * 2**20  # encoded read responses kept (0: no cache)
    connect_timeout: float = 10.0  # seconds to connect to Neo4j (TCP and Bolt handshake)
    cypher_timeout: float = 60.0  # seconds a `graphsvc cypher` statement may run (0: no limit)
    cypher_max_rows: int = 10_000  # rows a `graphsvc cypher` statement may return
    analysis: AnalysisParams = field(default_factory=AnalysisParams)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        own = _values_from_env(cls, env, skip={"analysis"})
        analysis = AnalysisParams(**_values_from_env(AnalysisParams, env))
        return cls(**own, analysis=analysis)

    def with_analysis(self, **changes: Any) -> Settings:
        """A copy with some analysis parameters replaced (None values are ignored)."""
        given = {k: v for k, v in changes.items() if v is not None}
        return replace(self, analysis=replace(self.analysis, **given)) if given else self


def _values_from_env(cls: type, env: Mapping[str, str], skip: set[str] = frozenset()) -> dict:
    hints = typing.get_type_hints(cls)
    values = {}
    for f in fields(cls):
        name = f"GRAPHSVC_{f.name.upper()}"
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
        raise ConfigError(f"{name}={text!r} is not {expected}") from None
    raise ConfigError(f"{name}: unsupported setting type {kind}")
