"""Catalog: products and SKUs with inline edits of price, stock and active; CSV import and export."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from checkout.catalog.csv_format import COLUMNS
from checkout.catalog.editing import CatalogEditError, edit_variant
from checkout.catalog.importer import export_catalog, import_catalog_file
from checkout.catalog.queries import all_products
from checkout.learning import learning_status
from web.seller import actor, bp, database, settings

MAX_UPLOAD = 5 * 1024 * 1024


@bp.get("/catalog")
def catalog():
    with database().reading() as session:
        products = all_products(session)
    return render_template(
        "seller/catalog.html", products=products, columns=",".join(COLUMNS), learning=learning_status(settings())
    )


@bp.post("/catalog/variants/<int:variant_id>")
def variant_update(variant_id: int):
    form = request.form
    try:
        sku = edit_variant(
            database(),
            settings(),
            variant_id,
            form.get("price", ""),
            form.get("stock", ""),
            form.get("stock_seen", ""),
            form.get("active") == "on",
            actor(),
        )
    except CatalogEditError as exc:
        flash(f"Nothing changed: {exc}.", "error")
    else:
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
    result = import_catalog_file(database(), settings(), data, upload.filename, actor())
    if not result.ok:
        return render_template("seller/catalog_errors.html", filename=upload.filename, errors=result.errors), 422
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
