"""Catalog: products and SKUs with inline edits of price, stock and active; CSV import and export."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from checkout.audit import record_audit
from checkout.catalog.csv_format import COLUMNS
from checkout.catalog.editing import CatalogEditError, update_variant
from checkout.catalog.importer import export_catalog, import_catalog
from checkout.db.models import Product
from checkout.learning import catalog_changed, learning_status
from web.seller import actor, bp, database, settings

MAX_UPLOAD = 5 * 1024 * 1024


@bp.get("/catalog")
def catalog():
    with database().reading() as session:
        products = list(
            session.scalars(
                select(Product).options(selectinload(Product.variants)).order_by(Product.active.desc(), Product.name)
            )
        )
    return render_template(
        "seller/catalog.html", products=products, columns=",".join(COLUMNS), learning=learning_status(settings())
    )


@bp.post("/catalog/variants/<int:variant_id>")
def variant_update(variant_id: int):
    form = request.form
    try:
        with database().transaction() as session:
            variant = update_variant(
                session,
                variant_id,
                form.get("price", ""),
                form.get("stock", ""),
                form.get("stock_seen", ""),
                form.get("active") == "on",
                actor(),
            )
            sku = variant.sku
    except CatalogEditError as exc:
        flash(f"Nothing changed: {exc}.", "error")
    else:
        with database().reading() as session:
            catalog_changed(session, settings())
        flash(f"{sku} saved.")
    return redirect(url_for("seller.catalog") + f"#variant-{variant_id}")


@bp.post("/catalog/import")
def catalog_import():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a CSV file to import.", "error")
        return redirect(url_for("seller.catalog"))
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        flash("That file is larger than 5 MB; nothing was imported.", "error")
        return redirect(url_for("seller.catalog"))
    with database().transaction() as session:
        result = import_catalog(session, data, settings().shop_currency)
        if not result.ok:
            session.rollback()
        else:
            record_audit(
                session,
                actor(),
                "catalog.imported",
                "catalog",
                upload.filename[:64],
                {"created": result.created, "updated": result.updated, "deactivated": result.deactivated},
            )
    if not result.ok:
        return render_template("seller/catalog_errors.html", filename=upload.filename, errors=result.errors), 422
    with database().reading() as session:
        catalog_changed(session, settings())
    flash(
        f"Imported {upload.filename}: {result.created} new, {result.updated} updated, {result.unchanged} unchanged, "
        f"{result.deactivated} deactivated. The assistant reads the new names now and learns them in the background."
    )
    return redirect(url_for("seller.catalog"))


@bp.get("/catalog/export.csv")
def catalog_export():
    include_inactive = request.args.get("all") == "1"
    with database().reading() as session:
        body = export_catalog(session, include_inactive)
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="catalog.csv"'})
