"""What ``graphsvc cypher`` lets an analyst run: read-only statements (data writes only with
``--write``), never administration, LOAD CSV, or a procedure or plugin function off the list.

Two fences, each enough on its own for what it checks:

1. The server's own account (``EXPLAIN``: planned, not run): the query type (``r`` reads;
   ``rw`` and ``w`` write data; ``s`` is schema or administration) and the plan, whose
   operators name the database of every step, every procedure call (``ProcedureCall``),
   ``LoadCSV``, the ``Show…`` / ``Terminate…`` commands, and in their details every function
   call, with string literals already replaced by parameters.
2. A lexer over the text, as the server reads it: ``\\uXXXX`` escapes decoded first (Java's
   rule, as the server does), comments and string literals skipped, backticked names read as
   names. It refuses a second statement, LOAD CSV, administration commands, USE of another
   database, and calls of procedures off the list or of functions that are not built in.

Built-in functions are the server's (``SHOW FUNCTIONS``); procedures and plugin functions are
allowed by name only (ANALYST_PROCEDURES, ANALYST_FUNCTIONS).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ANALYST_FUNCTIONS",
    "ANALYST_PROCEDURES",
    "LOAD_CSV",
    "READ_COMMANDS",
    "WRITES",
    "plan_refusal",
    "text_refusal",
]

# The schema readers. No GDS: a projection holds a graph in the server's memory, and the
# .stream / .estimate procedures read only projections. No dbms.*: settings, users, caches.
ANALYST_PROCEDURES = frozenset(
    {
        "db.labels",
        "db.relationshipTypes",
        "db.propertyKeys",
        "db.schema.visualization",
        "db.schema.nodeTypeProperties",
        "db.schema.relTypeProperties",
    }
)
ANALYST_FUNCTIONS: frozenset[str] = frozenset()  # plugin (not built-in) functions: none
# The commands that only describe the schema and the callables.
READ_COMMANDS = frozenset({"ShowIndexes", "ShowConstraints", "ShowProcedures", "ShowFunctions"})

ADMINISTRATION = "schema and administration commands (users, settings, indexes, CALL dbms.…)"
LOAD_CSV = "LOAD CSV (data comes in with `graphsvc load`)"
WRITES = "writes without --write"
_WRITES = {"r": False, "rw": True, "w": True}


def plan_refusal(
    query_type: str | None,
    plan: dict[str, Any] | None,
    *,
    database: str,
    write: bool,
    builtins: frozenset[str],
) -> str | None:
    """What the server's EXPLAIN shows that is not allowed, or None. ``builtins``: the
    server's built-in function names, lower case."""
    operators = list(_operators(plan or {}))
    if query_type not in _WRITES or plan is None:  # name the procedure of CALL dbms.…
        calls = [op for op in operators if op.get("operatorType", "").startswith("ProcedureCall")]
        return _call_refusal(_details(calls[0]), frozenset()) if calls else ADMINISTRATION
    if _WRITES[query_type] and not write:
        return WRITES
    for operator in operators:
        name, _, where = operator["operatorType"].partition("@")
        if where and where.lower() != database.lower():
            return f"statements on database {where!r} (the store's is {database!r})"
        if name == "LoadCSV":
            return LOAD_CSV
        if name.startswith(("Show", "Terminate")) and name not in READ_COMMANDS:
            return " ".join(re.findall(r"[A-Z][a-z]*", name)).upper()
        refused = _call_refusal(_details(operator), builtins)
        if refused:
            return refused
    return None


def _operators(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("children", ()):
        yield from _operators(child)


def _details(operator: dict[str, Any]) -> list[_Token]:
    """The tokens of an operator's details; a ProcedureCall's ("db.labels() :: (label ::
    STRING)") read as a CALL."""
    details = str(operator.get("args", {}).get("Details", ""))
    if operator["operatorType"].startswith("ProcedureCall"):
        details = "CALL " + details
    return list(_tokens(details))


_ADMIN_FIRST = {
    "ALTER", "DEALLOCATE", "DENY", "DROP", "DRYRUN", "ENABLE", "GRANT", "REALLOCATE", "RENAME",
    "REVOKE", "START", "STOP", "TERMINATE",
}  # fmt: skip
_ADMIN_CREATE = {
    "ALIAS", "BTREE", "COMPOSITE", "CONSTRAINT", "DATABASE", "FULLTEXT", "INDEX", "LOOKUP", "OR",
    "POINT", "RANGE", "ROLE", "TEXT", "USER", "VECTOR",
}  # fmt: skip
_SHOW_SAFE = {
    "INDEX", "INDEXES", "CONSTRAINT", "CONSTRAINTS", "PROCEDURE", "PROCEDURES", "FUNCTION",
    "FUNCTIONS",
}  # fmt: skip


def text_refusal(text: str, *, database: str, builtins: frozenset[str]) -> str | None:
    """What the statement's text shows that is not allowed, or None (see the module
    docstring); ``builtins`` as for ``plan_refusal``."""
    tokens = list(_tokens(text))
    if tokens and (tokens[0].word in _ADMIN_FIRST or _pair(tokens, 0, "CREATE", _ADMIN_CREATE)):
        return ADMINISTRATION
    for i, token in enumerate(tokens):
        if token.text == ";" and i + 1 < len(tokens):
            return "more than one statement (run them one at a time)"
        if _pair(tokens, i, "LOAD", {"CSV"}):
            return LOAD_CSV
        if _pair(tokens, i, "TERMINATE", {"TRANSACTION", "TRANSACTIONS"}):
            return "TERMINATE TRANSACTIONS"
        if token.word == "SHOW" and i + 1 < len(tokens) and tokens[i + 1].word not in ("", "AS"):
            nouns = []
            for following in tokens[i + 1 : i + 6]:
                if not following.word:
                    break
                nouns.append(following.word)
            if not _SHOW_SAFE.intersection(nouns):
                return "SHOW " + " ".join(nouns)
        if token.word == "USE" and _starts_query(tokens, i) and i + 1 < len(tokens):
            target, _ = _dotted(tokens, i + 1)
            if target and target.lower() != database.lower():
                return f"USE {target} (the store's database is {database!r})"
    return _call_refusal(tokens, builtins)


def _pair(tokens: list[_Token], i: int, first: str, second: set[str]) -> bool:
    """Bare words ``first`` then one of ``second`` at ``i``."""
    return tokens[i].word == first and i + 1 < len(tokens) and tokens[i + 1].word in second


def _starts_query(tokens: list[_Token], i: int) -> bool:
    """Whether token ``i`` may start a query: first, first in ``{``, or after UNION [ALL]."""
    before = [t.word or t.text for t in tokens[max(0, i - 2) : i]]
    return not before or before[-1] in ("{", "UNION") or before == ["UNION", "ALL"]


def _call_refusal(tokens: list[_Token], builtins: frozenset[str]) -> str | None:
    """The first procedure off the list or function neither built in nor listed, or None."""
    i = 0
    while i < len(tokens):
        if not tokens[i].is_name or (i and tokens[i - 1].text == "."):
            i += 1
            continue
        name, end = _dotted(tokens, i)
        procedure = i > 0 and tokens[i - 1].word == "CALL"
        function = not procedure and "." in name and end < len(tokens) and tokens[end].text == "("
        if procedure and name not in ANALYST_PROCEDURES:
            return f"the procedure {name}"
        if function and name.lower() not in builtins and name not in ANALYST_FUNCTIONS:
            return f"the function {name}"
        i = end
    return None


def _dotted(tokens: list[_Token], i: int) -> tuple[str, int]:
    """The dotted name (``a.b.c``, parts bare or backticked) at ``i``, and the index after."""
    parts = []
    while i < len(tokens) and tokens[i].is_name:
        parts.append(tokens[i].text)
        if i + 2 < len(tokens) and tokens[i + 1].text == "." and tokens[i + 2].is_name:
            i += 2
        else:
            i += 1
            break
    return ".".join(parts), i


@dataclass(frozen=True)
class _Token:
    kind: str  # word, name (backticked), string, param, number or punct
    text: str  # a name's text without backticks

    @property
    def word(self) -> str:
        """A bare word in upper case (keywords), else ""."""
        return self.text.upper() if self.kind == "word" else ""

    @property
    def is_name(self) -> bool:
        return self.kind in ("word", "name")


_UNICODE_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})")
_TOKEN = re.compile(
    r"""(?P<space>\s+)
    | (?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>'(?:[^'\\]|\\.)*(?:'|\Z)|"(?:[^"\\]|\\.)*(?:"|\Z))
    | (?P<name>`(?:[^`]|``)*(?:`|\Z))
    | (?P<param>\$(?:\w+|`(?:[^`]|``)*`))
    | (?P<word>[^\W\d]\w*)
    | (?P<number>\d\w*(?:\.\d\w*)?)
    | (?P<punct>.)""",
    re.X | re.S,
)


def _tokens(text: str) -> Iterator[_Token]:
    """The statement's tokens, comments and white space left out."""
    decoded = _UNICODE_ESCAPE.sub(lambda m: m.group(1) + chr(int(m.group(2), 16)), text)
    for match in _TOKEN.finditer(decoded):
        kind = match.lastgroup or "punct"
        if kind in ("space", "comment"):
            continue
        value = match.group()
        if kind == "name":
            value = value[1:].removesuffix("`").replace("``", "`")
        yield _Token(kind, value)
