"""Campaigns: the list with figures and the create form; a campaign's page (the message as read, the preview while
a draft, the report once sent) with test send, send and stop. The services check every rule and audit-log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from checkout.customers.segments import SEGMENTS
from checkout.marketing.audience import EXCLUSION_LABELS
from checkout.marketing.campaigns import (
    CHANNEL_CHOICES,
    MAX_MESSAGE,
    CampaignError,
    CampaignSpec,
    create_campaign,
    send_campaign,
    send_test_message,
    stop_campaign,
)
from checkout.marketing.overview import SAMPLE_NAME, campaign_list, campaign_page, email_notice
from checkout.promotions.admin import PromoSpec
from checkout.promotions.entry import KIND_LABELS, PromoError, read_kind, read_moment
from checkout.promotions.kinds import PromoKind
from web.seller import actor, bp, database, settings

DISCOUNTS = {"none": "No discount", "code": "An existing code for everyone", "batch": "One single-use code each"}


def _spec(form: MultiDict) -> CampaignSpec:
    """The create form, read as the CLI reads its options; the discount fields count only for the choice made."""
    discount = form.get("discount", "none")
    batch = None
    if discount == "batch":
        kind = read_kind(form.get("kind"))
        batch = PromoSpec(
            kind=kind,
            value=None if kind == PromoKind.FREE_DELIVERY else form.get("value", "").strip(),
            currency=settings().shop_currency,
            min_order=form.get("min_order", "").strip() or None,
            ends_at=read_moment(form.get("ends"), "end", end=True),
        )
    return CampaignSpec(
        name=form.get("name", ""),
        message=form.get("message", "").replace("\r\n", "\n"),
        segments=tuple(form.getlist("segments")),
        channels=tuple(form.getlist("channels")),
        image_url=form.get("image_url", "").strip() or None,
        code=(form.get("code", "").strip() or None) if discount == "code" else None,
        batch_prefix=(form.get("prefix", "").strip() or None) if discount == "batch" else None,
        batch=batch,
        currency=settings().shop_currency,
    )


def _back(campaign_id: int):
    return redirect(url_for("seller.campaigns_detail", campaign_id=campaign_id))


@bp.get("/campaigns")
def campaigns():
    return render_template(
        "seller/campaigns.html",
        campaigns=campaign_list(database()),
        email_notice=email_notice(settings()),
        segments=SEGMENTS,
        channels=CHANNEL_CHOICES,
        discounts=DISCOUNTS,
        kinds=KIND_LABELS,
        currency=settings().shop_currency,
        max_message=MAX_MESSAGE,
    )


@bp.post("/campaigns")
def campaigns_create():
    form = request.form
    if form.get("discount") == "code" and not form.get("code", "").strip():
        flash("Nothing created: give the code every recipient gets, or choose another discount.", "error")
        return redirect(url_for("seller.campaigns"))
    try:
        campaign_id = create_campaign(database(), _spec(form), actor())
    except (CampaignError, PromoError) as exc:
        flash(f"Nothing created: {exc}.", "error")
        return redirect(url_for("seller.campaigns"))
    flash("Campaign created as a draft: check who it reaches, send yourself a test, then send it.")
    return _back(campaign_id)


@bp.get("/campaigns/<int:campaign_id>")
def campaigns_detail(campaign_id: int):
    try:
        page = campaign_page(database(), settings(), campaign_id)
    except CampaignError:
        abort(404)
    return render_template(
        "seller/campaign.html",
        page=page,
        c=page.campaign,
        report=page.figures.report,
        email_notice=email_notice(settings()),
        seller_chat=bool(settings().telegram_seller_chat_id.strip()),
        labels=EXCLUSION_LABELS,
        sample_name=SAMPLE_NAME,
        segments=SEGMENTS,
        kinds=KIND_LABELS,
    )


@bp.post("/campaigns/<int:campaign_id>/test")
def campaigns_test(campaign_id: int):
    try:
        send_test_message(database(), settings(), campaign_id, actor())
    except CampaignError as exc:
        flash(f"No test sent: {exc}.", "error")
    else:
        if settings().telegram_seller_chat_id.strip():
            flash("Test queued for your Telegram chat (TELEGRAM_SELLER_CHAT_ID): it arrives in a few seconds.")
        else:
            flash("Test queued, but TELEGRAM_SELLER_CHAT_ID is not set: it cannot arrive anywhere.", "error")
    return _back(campaign_id)


@bp.post("/campaigns/<int:campaign_id>/send")
def campaigns_send(campaign_id: int):
    if request.form.get("confirm") != "yes":
        flash("Nothing sent: tick the box that confirms who it goes to.", "error")
        return _back(campaign_id)
    try:
        queued = send_campaign(database(), settings(), campaign_id, actor())
    except CampaignError as exc:
        flash(f"Nothing sent: {exc}.", "error")
    else:
        flash(f"{queued} messages queued; they go out at each channel's pace. This page shows how it goes.")
    return _back(campaign_id)


@bp.post("/campaigns/<int:campaign_id>/stop")
def campaigns_stop(campaign_id: int):
    try:
        held = stop_campaign(database(), campaign_id, actor())
    except CampaignError as exc:
        flash(f"Nothing stopped: {exc}.", "error")
    else:
        flash(f"Campaign stopped: {held} queued messages will not be sent.")
    return _back(campaign_id)
