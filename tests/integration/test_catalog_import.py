"""Catalog import on a real database: upsert by SKU in one transaction, deactivate rather than delete."""

from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from checkout.catalog.importer import catalog_is_empty, export_catalog, import_catalog
from checkout.catalog.queries import active_variants, list_categories, list_products
from checkout.db.models import Product, Variant

DEMO_BYTES = (Path(__file__).resolve().parents[2] / "data" / "catalog" / "demo.csv").read_bytes()
DEMO_LINES = DEMO_BYTES.decode().splitlines()


def run_import(db, data: bytes, currency: str = "EUR"):
    with db.transaction() as session:
        return import_catalog(session, data, currency)


def without(lines: list[str], sku_prefix: str) -> list[str]:
    return [line for line in lines if not line.startswith(sku_prefix)]


def as_bytes(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def variant(db, sku: str) -> Variant:
    with db.transaction() as session:
        found = session.scalar(select(Variant).where(Variant.sku == sku))
        found.product  # load while the session is open  # noqa: B018
        return found


def catalog_csv(db, include_inactive: bool = True) -> str:
    with db.transaction() as session:
        return export_catalog(session, include_inactive)


def count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def demo(clean_db):
    result = run_import(clean_db, DEMO_BYTES)
    assert result.ok, result.errors
    return clean_db


def test_import_demo_into_an_empty_database(clean_db):
    with clean_db.transaction() as session:
        assert catalog_is_empty(session)
    result = run_import(clean_db, DEMO_BYTES)
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (30, 0, 0, 0)
    assert count(clean_db, Variant) == 30
    assert count(clean_db, Product) == 14
    assert count(clean_db, Product, Product.active.is_(False)) == 0
    with clean_db.transaction() as session:
        assert not catalog_is_empty(session)


def test_imported_values(demo):
    tee = variant(demo, "TEE-LOGO-BLK-S")
    assert (tee.price_minor, tee.currency, tee.stock, tee.color, tee.size, tee.active) == (
        2490,
        "EUR",
        12,
        "black",
        "S",
        True,
    )
    assert (tee.product.name, tee.product.category) == ("Logo Tee", "t-shirts")
    assert tee.product.description == "Heavy 220 gsm cotton tee with a small chest logo, regular fit"
    assert variant(demo, "KEY-LTH-BRN").stock is None
    assert variant(demo, "TEE-LOGO-BLK-M").product_id == tee.product_id


def test_catalog_queries_see_the_import(demo):
    with demo.transaction() as session:
        categories = {c.name: c.product_count for c in list_categories(session)}
        hoodies = list_products(session, "Hoodies")
        assert {p.name: len(active_variants(p)) for p in hoodies} == {"Heavyweight Hoodie": 6, "Zip Hoodie": 2}
    assert categories == {
        "accessories": 1,
        "bags": 1,
        "beanies": 1,
        "caps": 2,
        "hoodies": 2,
        "mugs": 2,
        "socks": 1,
        "stickers": 1,
        "t-shirts": 3,
    }


def test_reimport_changes_nothing(demo):
    before = catalog_csv(demo)
    result = run_import(demo, DEMO_BYTES)
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (0, 0, 30, 0)
    assert catalog_csv(demo) == before


def test_price_change_and_removed_row(demo):
    lines = [line.replace("TEE-LOGO-BLK-S,Logo Tee,24.90", "TEE-LOGO-BLK-S,Logo Tee,19.90") for line in DEMO_LINES]
    lines = without(lines, "MUG-TRV-BLK,")
    result = run_import(demo, as_bytes(lines))
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (0, 1, 28, 1)
    assert variant(demo, "TEE-LOGO-BLK-S").price_minor == 1990
    mug = variant(demo, "MUG-TRV-BLK")  # deactivated, not deleted: orders keep pointing at it
    assert mug.active is False
    assert mug.product.active is False  # its only variant is gone
    assert variant(demo, "MUG-ENM-WHT").product.active is True
    assert count(demo, Variant) == 30
    assert "MUG-TRV-BLK" not in catalog_csv(demo, include_inactive=False)
    assert "MUG-TRV-BLK" in catalog_csv(demo, include_inactive=True)


def test_product_stays_active_while_one_variant_is_left(demo):
    result = run_import(demo, as_bytes(without(DEMO_LINES, "HOOD-ZIP-NVY-M,")))
    assert result.deactivated == 1
    assert variant(demo, "HOOD-ZIP-NVY-L").product.active is True


def test_product_whose_variants_all_disappear_is_inactive(demo):
    result = run_import(demo, as_bytes(without(DEMO_LINES, "HOOD-HVY-")))
    assert result.deactivated == 6
    hoodie = variant(demo, "HOOD-HVY-BLK-M")
    assert (hoodie.active, hoodie.product.active) == (False, False)
    with demo.transaction() as session:
        assert "Heavyweight Hoodie" not in {p.name for p in list_products(session)}


def test_readding_reactivates(demo):
    run_import(demo, as_bytes(without(DEMO_LINES, "HOOD-HVY-")))
    result = run_import(demo, DEMO_BYTES)
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (0, 6, 24, 0)
    hoodie = variant(demo, "HOOD-HVY-BLK-M")
    assert (hoodie.active, hoodie.product.active) == (True, True)
    assert count(demo, Variant, Variant.active.is_(True)) == 30
    assert count(demo, Product, Product.active.is_(True)) == 14


def test_product_changes_count_its_variants_as_updated(demo):
    lines = [line.replace("Washed cotton six-panel cap", "Washed cotton 6-panel cap") for line in DEMO_LINES]
    result = run_import(demo, as_bytes(lines))
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (0, 2, 28, 0)
    assert variant(demo, "CAP-DAD-BEI").product.description.startswith("Washed cotton 6-panel cap")
    lines = [
        line.replace(",Rib Beanie,18.50,EUR,25,beanies,", ",Rib Beanie,18.50,EUR,25,hats,").replace(
            ",Rib Beanie,18.50,EUR,2,beanies,", ",Rib Beanie,18.50,EUR,2,hats,"
        )
        for line in lines
    ]
    result = run_import(demo, as_bytes(lines))
    assert (result.updated, result.unchanged) == (2, 28)
    assert variant(demo, "BEAN-RIB-ORG").product.category == "hats"


def test_new_sku_is_created_in_an_existing_product(demo):
    lines = [*DEMO_LINES, "TEE-LOGO-WHT-S,Logo Tee,24.90,EUR,4,t-shirts,,white,S,"]
    result = run_import(demo, as_bytes(lines))
    assert (result.created, result.updated, result.unchanged) == (1, 0, 30)
    assert variant(demo, "TEE-LOGO-WHT-S").product_id == variant(demo, "TEE-LOGO-BLK-S").product_id


@pytest.mark.parametrize(("old", "new"), [("TEE-LOGO-BLK-S", "TEE-LOGO-BLACK-S"), ("CAP-DAD-BLK", "CAP-DAD-BLACK")])
def test_a_renamed_sku_takes_over_the_variant(demo, old, new):
    # The seller renames a SKU and keeps its name, colour and size.
    lines = [line.replace(f"{old},", f"{new},") for line in DEMO_LINES]
    result = run_import(demo, as_bytes(lines))
    assert result.ok, result.errors
    assert variant(demo, new).active is True
    exported = catalog_csv(demo, include_inactive=False)
    assert f"{new}," in exported and f"{old}," not in exported
    assert len(exported.strip().splitlines()) == 31
    assert (result.created, result.updated, result.deactivated) == (0, 1, 0)


def test_a_new_sku_in_the_place_of_a_removed_one(demo):
    run_import(demo, as_bytes(without(DEMO_LINES, "TEE-LOGO-BLK-S,")))
    assert variant(demo, "TEE-LOGO-BLK-S").active is False
    lines = [line.replace("TEE-LOGO-BLK-S,", "TEE-LOGO-BLACK-S,") for line in DEMO_LINES]
    result = run_import(demo, as_bytes(lines))
    assert result.ok, result.errors
    assert variant(demo, "TEE-LOGO-BLACK-S").active is True
    assert count(demo, Variant, Variant.active.is_(True)) == 30


def test_moving_a_variant_between_products(demo):
    lines = [
        line.replace("TEE-LS-BLK-L,Long Sleeve Tee", "TEE-LS-BLK-L,Oversized Tee").replace(
            '100% organic cotton",black,L', '100% organic cotton",black,XL'
        )
        for line in DEMO_LINES
    ]
    result = run_import(demo, as_bytes(lines))
    assert result.ok, result.errors
    moved = variant(demo, "TEE-LS-BLK-L")
    assert moved.product.name == "Oversized Tee"
    assert moved.size == "XL"
    assert variant(demo, "TEE-LOGO-BLK-S").product.name == "Logo Tee"
    with demo.transaction() as session:
        assert "Long Sleeve Tee" not in {p.name for p in list_products(session)}


def test_two_skus_swap_sizes(demo):
    lines = [line.replace("black,S,", "black,TMP,") for line in DEMO_LINES]
    lines = [line.replace("black,M,", "black,S,") for line in lines]
    lines = [line.replace("black,TMP,", "black,M,") for line in lines]
    result = run_import(demo, as_bytes(lines))
    assert result.ok, result.errors
    assert variant(demo, "TEE-LOGO-BLK-S").size == "M"
    assert variant(demo, "TEE-LOGO-BLK-M").size == "S"


def test_a_file_with_one_bad_row_changes_nothing(demo):
    before = catalog_csv(demo)
    lines = [line.replace("24.90", "19.90") for line in DEMO_LINES]  # many good changes...
    lines.insert(5, "BAD-1,Broken,12,50,EUR,1,misc,,,,")  # ...and one bad row (line 6)
    lines.append("NEW-1,New Thing,5.00,EUR,1,misc,,,,")
    result = run_import(demo, as_bytes(lines))
    assert [(e.line, "expected 10 fields" in e.reason) for e in result.errors] == [(6, True)]
    assert (result.created, result.updated, result.deactivated) == (0, 0, 0)
    assert catalog_csv(demo) == before


def test_bad_file_into_an_empty_database_leaves_it_empty(clean_db):
    result = run_import(clean_db, DEMO_BYTES + b"BAD,,1.00,EUR,,,,,,\n")
    assert [e.line for e in result.errors] == [32]
    assert count(clean_db, Variant) == 0
    assert count(clean_db, Product) == 0


def test_header_only_file_is_refused(demo):
    before = catalog_csv(demo)
    result = run_import(demo, DEMO_LINES[0].encode() + b"\n")
    assert not result.ok
    assert "no products" in result.errors[0].reason
    assert catalog_csv(demo) == before  # an empty file never deactivates the whole catalog


def test_stock_cannot_go_negative(demo):
    with pytest.raises(IntegrityError), demo.transaction() as session:
        session.execute(update(Variant).where(Variant.sku == "TEE-LOGO-BLK-S").values(stock=-1))
    assert variant(demo, "TEE-LOGO-BLK-S").stock == 12


def test_untracked_stock_is_allowed(demo):
    with demo.transaction() as session:
        session.execute(update(Variant).where(Variant.sku == "TEE-LOGO-BLK-S").values(stock=None))
    assert variant(demo, "TEE-LOGO-BLK-S").stock is None


def test_price_cannot_go_negative(demo):
    with pytest.raises(IntegrityError), demo.transaction() as session:
        session.execute(update(Variant).where(Variant.sku == "TEE-LOGO-BLK-S").values(price_minor=-1))


def test_sku_is_unique_in_the_database(demo):
    with pytest.raises(IntegrityError), demo.transaction() as session:
        session.execute(update(Variant).where(Variant.sku == "TEE-LOGO-BLK-M").values(sku="TEE-LOGO-BLK-S"))


def test_export_round_trips(demo):
    exported = catalog_csv(demo, include_inactive=False)
    assert exported.splitlines()[0] == DEMO_LINES[0]
    assert len(exported.strip().splitlines()) == 31
    result = run_import(demo, exported.encode())
    assert (result.created, result.updated, result.unchanged, result.deactivated) == (0, 0, 30, 0)
    assert catalog_csv(demo, include_inactive=False) == exported


def test_export_into_an_empty_database_recreates_the_catalog(demo, tmp_path):
    from checkout.db.database import Database
    from checkout.db.migrate import upgrade

    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    upgrade(other_url)
    other = Database(other_url)
    try:
        result = run_import(other, catalog_csv(demo, include_inactive=False).encode())
        assert result.created == 30
        assert catalog_csv(other) == catalog_csv(demo)
    finally:
        other.dispose()


def test_default_currency_applies_to_blank_currencies(clean_db):
    data = b"sku,name,price,currency,stock,category,description,color,size,image_url\nYEN-1,Mug,1200,,,mugs,,,,\n"
    assert run_import(clean_db, data, currency="JPY").ok
    mug = variant(clean_db, "YEN-1")
    assert (mug.price_minor, mug.currency) == (1200, "JPY")
