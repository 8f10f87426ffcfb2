"""Campaign seeding: an operator chooses whom to seed (the API's campaign seeding: inline on
a small graph, else a background job watched on /runs), and anyone signed in reads a seed set
by its id, a deep link that can be shared."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from graphsvc.api.campaigns import MODELS
from graphsvc.web.blueprint import bp
from graphsvc.web.calls import api
from graphsvc.web.session import check_csrf

__all__: list[str] = []


@bp.get("/campaigns")
def campaigns() -> str:
    """The seeding form, and the seed set named by ``seeds`` when given."""
    seeds_id = request.args.get("seeds")
    seeds = api(f"/campaigns/seeds/{seeds_id}") if seeds_id else None
    return render_template("campaigns.html", seeds=seeds, models=MODELS)


@bp.post("/campaigns")
def choose_seeds() -> Response:
    """Choose seeds (operator role, checked by the API): the set, or the job choosing it."""
    check_csrf()
    body = {
        name: _number(value)
        for name in ("k", "model", "per_community")
        if (value := request.form.get(name, "").strip())
    }
    answer = api("/campaigns/seeds", method="POST", body=body)
    if "job_id" in answer:  # a large graph: seeded in the background
        return redirect(url_for("web.runs", job=answer["job_id"]))
    return redirect(url_for("web.campaigns", seeds=answer["seeds_id"]))


def _number(text: str) -> int | str:
    """A form field as the API takes it: a whole number when it is one, else the text, which
    the API refuses naming the field ("k must be an integer …"), shown as an error page."""
    return int(text) if text.isdigit() else text
