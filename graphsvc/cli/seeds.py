"""``graphsvc seeds``: whom to start a campaign with (thin: parse, call the job, print)."""

from __future__ import annotations

__all__ = ["read_ids", "seeds_command"]

from pathlib import Path
from typing import Any

import click

from graphsvc.cli.context import AppContext
from graphsvc.cli.output import echo_rows, format_option
from graphsvc.errors import InputError
from graphsvc.jobs.seeds import (
    MAX_EPSILON,
    METHODS,
    MIN_EPSILON,
    MODELS,
    PROBABILITIES,
    ROW_COLUMNS,
    SeedRequest,
)
from graphsvc.model import Tier


def read_ids(path: Path | None) -> tuple[tuple[str, ...], dict[str, str]]:
    """User ids from a file, one per line (the first CSV column; a ``user_id`` header, blank
    lines and ``#`` comments skipped), and where each was read ("file:line")."""
    if path is None:
        return (), {}
    ids: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; expected one user id per line") from None
    for number, line in enumerate(lines, 1):
        value = line.split(",", 1)[0].strip().strip('"')
        if value and not value.startswith("#") and not (number == 1 and value == "user_id"):
            ids.setdefault(value, f"{path}:{number}")
    return tuple(ids), ids


def _prices(ctx: click.Context, param: click.Parameter, value: str | None) -> dict[str, float]:
    prices: dict[str, float] = {}
    for part in filter(None, (value or "").split(",")):
        tier, _, price = part.partition("=")
        try:
            prices[Tier(tier.strip()).value] = float(price)
        except ValueError:
            raise click.BadParameter(
                f"{part!r}: expected TIER=PRICE with a tier among {', '.join(Tier)}"
            ) from None
    return prices


def _overlaps(rows: list[dict[str, Any]], overlap: list[list[int]], top: int = 5) -> str:
    """The pairs of chosen KOLs sharing the most people (team reach)."""
    pairs = sorted(
        ((overlap[i][j], i, j) for i in range(len(rows)) for j in range(i + 1, len(rows))),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    shared = [f"{rows[i]['user_id']} & {rows[j]['user_id']}: {n:,}" for n, i, j in pairs[:top]]
    return "most shared reach: " + ("; ".join(shared) if pairs and pairs[0][0] else "none")


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("seeds")
@click.option(
    "--k",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="How many people to seed.",
)
@click.option(
    "--model",
    type=click.Choice(MODELS),
    default="ic",
    show_default=True,
    help="ic: independent cascade; lt: linear threshold.",
)
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default="imm",
    show_default=True,
    help="imm: influence maximization; team: most unique reach (audience and "
    "downline); personalized: who matters to --for; or the top k of a ranker.",
)
@click.option(
    "--probabilities",
    type=click.Choice(PROBABILITIES),
    default="wc",
    show_default=True,
    help="wc: 1 / the number of people influencing the target; "
    "weighted: the target's share of attention; uniform: --p.",
)
@click.option(
    "--p",
    "p",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.1,
    show_default=True,
    help="Edge probability for --probabilities uniform.",
)
@click.option(
    "--epsilon",
    type=click.FloatRange(MIN_EPSILON, MAX_EPSILON),
    default=0.2,
    show_default=True,
    help="IMM's approximation slack ε.",
)
@click.option(
    "--per-community",
    type=click.IntRange(min=1),
    metavar="M",
    help="At most M people per community of the current run.",
)
@click.option("--exclude", type=_FILE, metavar="F", help="Never choose these user ids.")
@click.option("--include", type=_FILE, metavar="F", help="Always choose these, first.")
@click.option(
    "--for",
    "people",
    type=_FILE,
    metavar="F",
    help="personalized: the customers, group or buyers to serve.",
)
@click.option(
    "--budget",
    type=click.FloatRange(0, min_open=True),
    metavar="B",
    help="Total price of the chosen people at most B.",
)
@click.option(
    "--prices",
    callback=_prices,
    metavar="TIER=PRICE,…",
    help="Price per person by tier (default 1 each, so --budget counts people).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@format_option
@click.pass_obj
def seeds_command(app: AppContext, fmt: str, exclude, include, people, **options: Any) -> None:
    """Whom to start a campaign with: K people whose combined influence reaches the most.

    Influence flows against attention: when a pays attention to b (a replies to b, a was
    invited by b), b influences a. Default model: independent cascade with weighted-cascade
    probabilities (b activates a with probability 1 / the number of people influencing a),
    seeds by IMM (Tang et al. 2015). One row per chosen person in choice order: the spread
    it adds and the expected spread of the seeds so far with its 95% interval. The seeds are
    stored with the current analysis run.
    """
    from graphsvc.jobs.seeds import choose_seeds

    (exclude, excluded), (include, included), (people, served) = map(
        read_ids, (exclude, include, people)
    )
    origins = {**served, **included, **excluded}
    request = SeedRequest(
        exclude=exclude, include=include, people=people, origins=origins, **options
    )
    result = choose_seeds(app.store, request, app.settings.analysis)
    columns = (
        ROW_COLUMNS if request.method != "imm" else tuple(c for c in ROW_COLUMNS if c != "score")
    )
    echo_rows(result.rows, columns, fmt)
    if "overlap" in result.stats:
        click.echo(_overlaps(result.rows, result.stats["overlap"]), err=True)
    last = result.rows[-1] if result.rows else {}
    click.echo(
        f"{result.seeds_id} (run {result.run_id}): {len(result.rows)} seeds, expected spread "
        f"{last.get('expected_spread', 0):,.1f} (95% {last.get('spread_low', 0):,.1f}–"
        f"{last.get('spread_high', 0):,.1f}) of {result.stats['n_users']:,} users, "
        f"{result.stats['seconds']:.1f}s",
        err=True,
    )
