"""Writing the generated graph as loader input files (CSV or JSON Lines), vectorized."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from graphsvc.synth.events import CAMPAIGNS
from graphsvc.synth.population import CITIES, DAY, KINDS, ROLES, Edges, Population

_TOPICS = (
    "宝妈团", "数码交流", "美妆种草", "健身打卡", "读书会", "吃货联盟",
    "亲子游", "宠物之家", "团购", "护肤心得", "Fans", "Club",
)  # fmt: skip


_BRANDS = ("悦享", "优品", "鲜生", "青禾", "星选", "Acme")


_SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")


_GIVEN = tuple("伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玲")


_NICKS = (
    "Lily", "Tony", "Amy", "Kevin", "Coco", "Leo", "Momo", "Jack",
    "小美", "小鱼", "阿强", "大熊", "甜甜", "阿杰", "糖糖", "小七",
)  # fmt: skip


_CHUNK = 1_000_000


def id_width(n: int, minimum: int) -> int:
    return max(minimum, len(str(max(n - 1, 0))))


def user_id_strings(pop: Population) -> list[str]:
    w = id_width(pop.n_normal, 7)
    ids = [f"u{i:0{w}d}" for i in range(pop.n_normal)]
    return ids + [f"official_{k:03d}" for k in range(pop.n_users - pop.n_normal)]


def string_table(strings: list[str] | tuple[str, ...]) -> np.ndarray:
    """UTF-8 strings as a (len, width) uint8 matrix, zero padded (zero bytes are dropped)."""
    raw = [s.encode() for s in strings]
    width = max((len(b) for b in raw), default=1)
    return np.array(raw, dtype=f"S{width}").view(np.uint8).reshape(len(raw), width)


def _digits(values: np.ndarray, width: int, *, zero_pad: bool = False) -> np.ndarray:
    """Non-negative integers as (n, width) uint8 decimal digits; unpadded leading zeros dropped."""
    v = np.asarray(values, np.int64).copy()
    out = np.empty((len(v), width), np.uint8)
    for col in range(width - 1, -1, -1):
        out[:, col] = 48 + v % 10
        v //= 10
    if not zero_pad:
        lead = np.cumsum(out != 48, axis=1) == 0
        lead[:, -1] = False
        out[lead] = 0
    return out


def _iso(ts: np.ndarray) -> np.ndarray:
    """Unix seconds as (n, 20) uint8 'YYYY-MM-DDTHH:MM:SSZ' (civil date: H. Hinnant's method)."""
    days, sec = np.divmod(np.asarray(ts, np.int64), DAY)
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    out = np.empty((len(days), 20), np.uint8)
    out[:, [4, 7]] = ord("-")
    out[:, [13, 16]] = ord(":")
    out[:, 10], out[:, 19] = ord("T"), ord("Z")
    for pos, val, width in (
        (0, year, 4), (5, month, 2), (8, day, 2), (11, sec // 3600, 2),
        (14, sec // 60 % 60, 2), (17, sec % 60, 2),
    ):  # fmt: skip
        out[:, pos : pos + width] = _digits(val, width, zero_pad=True)
    return out


def _tenths(values: np.ndarray) -> np.ndarray:
    """Positive tenths as 'I.F' (e.g. 25 -> '2.5'); 0 -> empty."""
    whole = _digits(values // 10, 5)
    frac = _digits(values % 10, 1)
    out = np.concatenate((whole, np.full((len(values), 1), ord("."), np.uint8), frac), axis=1)
    out[values <= 0] = 0
    return out


_Column = tuple[str, Callable[[slice], np.ndarray], bool]  # name, cells of rows, is a number


def _write_table(
    path: Path,
    columns: list[_Column],
    n_rows: int,
    fmt: str,
    stage: str,
    on_progress: Callable[[str, int], None] | None,
) -> None:
    """Write rows chunk by chunk: cells are byte matrices whose zero bytes are dropped.

    CSV has a header row; JSON Lines writes strings quoted and empty numbers as null.
    """
    with path.open("wb") as fh:
        if fmt == "csv":
            fh.write((",".join(name for name, _, _ in columns) + "\n").encode())
        for lo in range(0, n_rows, _CHUNK):
            rows = slice(lo, min(lo + _CHUNK, n_rows))
            n = rows.stop - rows.start
            parts = []
            for i, (name, cells, numeric) in enumerate(columns):
                mat = cells(rows)
                if fmt == "csv":
                    sep = b"," if i else b""
                    parts += [sep, mat]
                    continue
                lead = (b"{" if i == 0 else b",") + f'"{name}":'.encode()
                if numeric:
                    null = ~mat.any(axis=1)
                    mat = np.pad(mat, ((0, 0), (0, max(0, 4 - mat.shape[1]))))
                    mat[null, :4] = np.frombuffer(b"null", np.uint8)
                    parts += [lead, mat]
                else:
                    parts += [lead + b'"', mat, b'"']
            parts.append(b"\n" if fmt == "csv" else b"}\n")
            mats = [
                np.broadcast_to(np.frombuffer(p, np.uint8), (n, len(p)))
                if isinstance(p, bytes)
                else p
                for p in parts
                if len(p)
            ]
            block = np.concatenate(mats, axis=1)
            fh.write(block[block != 0].tobytes())
            if on_progress is not None:
                on_progress(stage, rows.stop)


def user_names(pop: Population, rng: np.random.Generator) -> np.ndarray:
    """Readable names: 王芳 / 李伟强, Lily88 / 小鱼, 用户123; official accounts 悦享官方服务号."""
    n = pop.n_users
    style = rng.choice(3, n, p=[0.55, 0.25, 0.20])
    sur = string_table(_SURNAMES)[rng.integers(0, len(_SURNAMES), n)]
    given = string_table(_GIVEN)
    g1 = given[rng.integers(0, len(_GIVEN), n)]
    g2 = given[rng.integers(0, len(_GIVEN), n)]
    g2[rng.random(n) < 0.5] = 0
    nick = string_table(_NICKS)[rng.integers(0, len(_NICKS), n)]
    nick_num = _digits(rng.integers(0, 1000, n), 3)
    nick_num[rng.random(n) < 0.5] = 0
    yonghu = np.broadcast_to(np.frombuffer("用户".encode(), np.uint8), (n, 6)).copy()
    serial = _digits(np.arange(n), len(str(n)))
    a = np.concatenate((sur, g1, g2), axis=1)
    b = np.concatenate((nick, nick_num), axis=1)
    c = np.concatenate((yonghu, serial), axis=1)
    width = max(a.shape[1], b.shape[1], c.shape[1])
    out = np.zeros((n, width), np.uint8)
    for k, mat in enumerate((a, b, c)):
        out[style == k, : mat.shape[1]] = mat[style == k]
    n_off = n - pop.n_normal
    official = string_table(
        [f"{_BRANDS[k % len(_BRANDS)]}官方服务号{k // len(_BRANDS) or ''}" for k in range(n_off)]
    )
    out = np.concatenate((out, np.zeros((n, max(0, official.shape[1] - width)), np.uint8)), axis=1)
    out[pop.n_normal :] = 0
    out[pop.n_normal :, : official.shape[1]] = official
    return out


@dataclass
class Tables:
    """Per-user and per-group cells shared by several files."""

    uid: np.ndarray
    gid: np.ndarray
    names: np.ndarray
    joined: np.ndarray


def write_files(
    out: Path,
    fmt: str,
    pop: Population,
    tables: Tables,
    mem: Edges,
    ref: Edges,
    act: Edges,
    on_progress: Callable[[str, int], None] | None,
) -> None:
    """Write the five input files."""
    uid, gid, names, joined = tables.uid, tables.gid, tables.names, tables.joined
    cities = string_table(CITIES)
    n_groups = len(pop.sizes)
    group_names = string_table(
        [
            f"{_BRANDS[g % len(_BRANDS)]}官方{_TOPICS[g % len(_TOPICS)]}群"
            if pop.official[g]
            else f"{CITIES[pop.group_city[g]]}{_TOPICS[g % len(_TOPICS)]}{g % 9 + 1}群"
            for g in range(n_groups)
        ]
    )

    def write(name: str, columns: list[_Column], n_rows: int) -> None:
        _write_table(out / f"{name}.{fmt}", columns, n_rows, fmt, name, on_progress)

    write(
        "users",
        [
            ("user_id", lambda s: uid[s], False),
            ("name", lambda s: names[s], False),
            ("joined_at", lambda s: _iso(joined[s]), False),
            ("city", lambda s: cities[pop.city[s]], False),
        ],
        pop.n_users,
    )
    write(
        "groups",
        [
            ("group_id", lambda s: gid[s], False),
            ("name", lambda s: group_names[s], False),
            ("owner_id", lambda s: uid[pop.owner[s]], False),
            ("created_at", lambda s: _iso(pop.created[s]), False),
        ],
        n_groups,
    )
    roles = string_table(ROLES)
    write(
        "memberships",
        [
            ("user_id", lambda s: uid[mem.src[s]], False),
            ("group_id", lambda s: gid[mem.dst[s]], False),
            ("joined_at", lambda s: _iso(mem.time[s]), False),
            ("role", lambda s: roles[mem.code[s]], False),
        ],
        len(mem.src),
    )
    campaigns = string_table(CAMPAIGNS)
    write(
        "referrals",
        [
            ("inviter_id", lambda s: uid[ref.src[s]], False),
            ("invitee_id", lambda s: uid[ref.dst[s]], False),
            ("referred_at", lambda s: _iso(ref.time[s]), False),
            ("campaign", lambda s: campaigns[ref.code[s]], False),
        ],
        len(ref.src),
    )
    kinds = string_table(KINDS)
    write(
        "interactions",
        [
            ("src_id", lambda s: uid[act.src[s]], False),
            ("dst_id", lambda s: uid[act.dst[s]], False),
            ("kind", lambda s: kinds[act.code[s]], False),
            ("occurred_at", lambda s: _iso(act.time[s]), False),
            ("weight", lambda s: _tenths(act.value[s]), True),
        ],
        len(act.src),
    )
