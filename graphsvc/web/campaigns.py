"""Campaign seeding: an operator chooses whom to seed (the API's campaign seeding: inline on
a small graph, else a background job watched on /runs), and anyone signed in reads a seed set
by its id, a deep link that can be shared."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from graphsvc.api.campaigns import MODELS
from graphsvc.web.blueprint import bp
from graphsvc.web.calls import api
from graphsvc.web.session import check_csrf

__all__ = ["MAX_K"]

MAX_K = 500  # seeds a form may ask for


@bp.get("/campaigns")
def campaigns() -> str:
    """The seeding form, and the seed set named by ``seeds`` when given."""
    seeds_id = request.args.get("seeds")
    seeds = api(f"/campaigns/seeds/{seeds_id}") if seeds_id else None
    return render_template("campaigns.html", seeds=seeds, models=MODELS, max_k=MAX_K)


@bp.post("/campaigns")
def choose_seeds() -> Response:
    """Choose seeds (operator role, checked by the API): the set, or the job choosing it."""
    check_csrf()
    body: dict[str, object] = {"k": _whole(request.form.get("k"), 20)}
    if request.form.get("model") in MODELS:
        body["model"] = request.form["model"]
    if per_community := request.form.get("per_community"):
        body["per_community"] = _whole(per_community, 1)
    answer = api("/campaigns/seeds", method="POST", body=body)
    if "job_id" in answer:  # a large graph: seeded in the background
        return redirect(url_for("web.runs", job=answer["job_id"]))
    return redirect(url_for("web.campaigns", seeds=answer["seeds_id"]))


def _whole(text: str | None, default: int) -> int:
    """A form's whole number, clamped to 1..MAX_K (the API checks it again)."""
    try:
        return min(max(int(text or default), 1), MAX_K)
    except ValueError:
        return default
