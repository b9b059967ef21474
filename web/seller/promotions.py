"""Promotions: every promo code with its uses and figures; create a code or a batch (downloaded as CSV), change a
code's end or use limit, disable a code. The services check every rule and audit-log every change."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from checkout.promotions.admin import MAX_BATCH, PromoSpec, change_code, create_batch, create_code, disable_code
from checkout.promotions.entry import KIND_LABELS, PromoError, read_customer_ids, read_kind, read_moment, read_whole
from checkout.promotions.kinds import SEGMENT_NAMES, PromoKind
from checkout.promotions.overview import batch_codes, promotions_overview
from checkout.promotions.report import codes_to_csv, new_codes_csv
from web.seller import actor, bp, database, settings


def _spec(form: MultiDict) -> PromoSpec:
    """The terms the create and batch forms share, read as the CLI reads its options."""
    kind = read_kind(form.get("kind"))
    return PromoSpec(
        kind=kind,
        value=None if kind == PromoKind.FREE_DELIVERY else form.get("value", "").strip(),
        currency=settings().shop_currency,
        min_order=form.get("min_order", "").strip() or None,
        starts_at=read_moment(form.get("starts"), "start"),
        ends_at=read_moment(form.get("ends"), "end", end=True),
        max_uses=read_whole(form.get("max_uses"), "use limit"),
        once_per_customer=form.get("once_per_customer") == "on",
        segments=tuple(form.getlist("segments")),
        customer_ids=read_customer_ids(form.get("customer_ids")),
    )


def _attachment(body: str, name: str) -> Response:
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/promotions")
def promotions():
    with database().reading() as session:
        overview = promotions_overview(session)
    return render_template(
        "seller/promotions.html",
        overview=overview,
        kinds=KIND_LABELS,
        segment_names=SEGMENT_NAMES,
        currency=settings().shop_currency,
        max_batch=MAX_BATCH,
    )


@bp.post("/promotions")
def promotion_create():
    try:
        code = create_code(database(), request.form.get("code", ""), _spec(request.form), actor())
    except PromoError as exc:
        flash(f"Nothing created: {exc}.", "error")
    else:
        flash(f"{code} created.")
    return redirect(url_for("seller.promotions"))


@bp.post("/promotions/batch")
def promotion_batch():
    """A new batch answers with its codes as a CSV file; the page lists the batch for a later download."""
    form = request.form
    try:
        count = read_whole(form.get("count"), "count") or 0
        codes = create_batch(database(), form.get("prefix", ""), count, _spec(form), actor())
    except PromoError as exc:
        flash(f"Nothing created: {exc}.", "error")
        return redirect(url_for("seller.promotions"))
    flash(f"{len(codes)} codes {codes[0][:-6]}… created.")
    return _attachment(new_codes_csv(codes), f"{codes[0][:-7]}-codes.csv")


@bp.get("/promotions/batches/<int:promotion_id>/codes.csv")
def promotion_batch_codes(promotion_id: int):
    with database().reading() as session:
        found = batch_codes(session, promotion_id)
    if found is None:
        abort(404)
    prefix, codes = found
    return _attachment(codes_to_csv(codes), f"{prefix}-codes.csv")


@bp.post("/promotions/change")
def promotion_change():
    form = request.form
    try:
        code = change_code(
            database(),
            form.get("code", ""),
            actor(),
            ends_at=read_moment(form.get("ends"), "end", end=True),
            max_uses=read_whole(form.get("max_uses"), "use limit"),
        )
    except PromoError as exc:
        flash(f"Nothing changed: {exc}.", "error")
    else:
        flash(f"{code} changed.")
    return redirect(url_for("seller.promotions"))


@bp.post("/promotions/disable")
def promotion_disable():
    try:
        code = disable_code(database(), request.form.get("code", ""), actor())
    except PromoError as exc:
        flash(f"Nothing changed: {exc}.", "error")
    else:
        flash(f"{code} is disabled: it no longer applies; orders that used it keep their discount.")
    return redirect(url_for("seller.promotions"))
