"""The `shop` command on a real database, through click's test runner."""

import csv
import io
import json

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from checkout.access.sellers import verify_password
from checkout.db.models import AuditLog, Product, SellerUser, Variant
from checkout.settings import Settings
from cli.context import AppContext
from cli.main import shop
from tests.integration.orm_builders import DEMO_CSV, add_customer, add_order, at
from tests.model_archives import write_model_archive


def app_context(settings: Settings):
    context = AppContext(settings)
    yield context
    if "db" in context.__dict__:  # opened by a command
        context.db.dispose()


@pytest.fixture
def app(clean_db, tmp_path):
    """The CLI's context on an empty, migrated database."""
    yield from app_context(
        Settings(
            database_url=clean_db.url,
            rasa_tracker_url=f"sqlite:///{tmp_path / 'rasa.db'}",
            shop_catalog_terms_file=str(tmp_path / "catalog_terms.json"),
        )
    )


@pytest.fixture
def fresh_app(settings):
    """The CLI's context on a database with no tables yet."""
    yield from app_context(settings)


def invoker(app: AppContext):
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(shop, list(args), obj=app, input=input, catch_exceptions=False)

    return run


@pytest.fixture
def invoke(app):
    return invoker(app)


@pytest.fixture
def migrated(invoke):
    result = invoke("db", "upgrade")
    assert result.exit_code == 0, result.output
    return invoke


@pytest.fixture
def with_catalog(migrated):
    result = migrated("catalog", "import", str(DEMO_CSV))
    assert result.exit_code == 0, result.output
    return migrated


def count(app, model) -> int:
    with app.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_db_upgrade_from_nothing(fresh_app):
    invoke = invoker(fresh_app)
    result = invoke("db", "upgrade")
    assert result.exit_code == 0
    assert "up to date" in result.stdout
    assert count(fresh_app, Variant) == 0
    assert invoke("db", "upgrade").exit_code == 0  # again: nothing to do


def test_catalog_import_good_file(migrated, app):
    result = migrated("catalog", "import", str(DEMO_CSV))
    assert result.exit_code == 0, result.output
    assert "30 new, 0 updated, 0 unchanged, 0 deactivated" in result.stdout
    assert "reads the new names now" in result.stdout
    assert (count(app, Variant), count(app, Product)) == (30, 14)
    again = migrated("catalog", "import", str(DEMO_CSV))
    assert "0 new, 0 updated, 30 unchanged, 0 deactivated" in again.stdout


def test_catalog_import_bad_file_prints_every_error_and_imports_nothing(migrated, app, tmp_path):
    lines = DEMO_CSV.read_text().splitlines()
    lines[2] = lines[2].replace("24.90", "24,90")  # line 3: unquoted comma -> 11 fields
    lines[5] = lines[5].replace(",EUR,9,", ",EUR,-9,")  # line 6: negative stock
    lines.append("TEE-LOGO-BLK-S,Dup,1.00,EUR,1,misc,,,,")  # line 32: duplicate sku
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")

    result = migrated("catalog", "import", str(bad))

    assert result.exit_code == 1
    error_lines = [line for line in result.stderr.splitlines() if line.startswith(f"{bad}: line ")]
    assert [line.split(": ")[1] for line in error_lines] == ["line 3", "line 6", "line 32"]
    assert "expected 10 fields" in error_lines[0]
    assert "stock '-9'" in error_lines[1]
    assert "already used on line 2" in error_lines[2]
    assert "Nothing imported: 3 problem(s)." in result.stderr
    assert "Imported" not in result.stdout
    assert count(app, Variant) == 0


def test_catalog_import_bad_file_keeps_the_existing_catalog(with_catalog, tmp_path):
    before = with_catalog("catalog", "export", "--all").stdout
    bad = tmp_path / "bad.csv"
    bad.write_bytes(DEMO_CSV.read_bytes().replace(b"Logo Tee,24.90", b"Logo Tee,19.90") + b"X,,1,EUR,,,,,,\n")
    assert with_catalog("catalog", "import", str(bad)).exit_code == 1
    assert with_catalog("catalog", "export", "--all").stdout == before


def test_catalog_import_missing_file_is_a_usage_error(migrated, tmp_path):
    result = migrated("catalog", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "nope.csv" in result.output


def test_catalog_export(with_catalog, tmp_path):
    result = with_catalog("catalog", "export")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 30
    assert result.stdout.splitlines()[0] == DEMO_CSV.read_text().splitlines()[0]
    by_sku = {r["sku"]: r for r in rows}
    assert (by_sku["TEE-LOGO-BLK-S"]["price"], by_sku["KEY-LTH-BRN"]["stock"]) == ("24.90", "")
    # What export writes, import takes back unchanged.
    exported = tmp_path / "exported.csv"
    exported.write_text(result.stdout)
    assert "0 new, 0 updated, 30 unchanged" in with_catalog("catalog", "import", str(exported)).stdout


def test_catalog_export_all_includes_deactivated(with_catalog, tmp_path):
    smaller = tmp_path / "smaller.csv"
    smaller.write_text(
        "\n".join(line for line in DEMO_CSV.read_text().splitlines() if not line.startswith("STK-PACK,")) + "\n"
    )
    assert "1 deactivated" in with_catalog("catalog", "import", str(smaller)).stdout
    assert "STK-PACK" not in with_catalog("catalog", "export").stdout
    assert "STK-PACK" in with_catalog("catalog", "export", "--all").stdout


@pytest.fixture
def with_orders(with_catalog, app):
    with app.db.transaction() as session:
        ana = add_customer(session, "web-ana", "Ana")
        add_order(
            session,
            ana,
            "A7K2Q9",
            [("TEE-LOGO-BLK-M", 2)],
            at("2026-11-22 10:15"),
            payments=[{"method": "manual", "status": "pending"}],
        )
        add_order(session, ana, "B8M3R4", [("STK-PACK", 1), ("CAP-DAD-BLK", 1)], at("2026-11-20 08:00"), status="paid")
        add_order(session, ana, "C9N4S5", [("MUG-ENM-WHT", 1)], at("2026-11-21 09:00"), status="cancelled")
    return with_catalog


def test_orders_export_json(with_orders):
    result = with_orders("orders", "export", "--format", "json")
    assert result.exit_code == 0
    orders = json.loads(result.stdout)
    assert [o["number"] for o in orders] == ["A7K2Q9", "C9N4S5", "B8M3R4"]
    assert orders[0]["total"] == "49.80"
    assert orders[0]["created_at"] == "2026-11-22T10:15:00Z"
    assert orders[0]["payment"]["method"] == "manual"
    # JSON is the default format.
    assert json.loads(with_orders("orders", "export").stdout) == orders


def test_orders_export_csv(with_orders):
    result = with_orders("orders", "export", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["number"], r["sku"]) for r in rows] == [
        ("A7K2Q9", "TEE-LOGO-BLK-M"),
        ("C9N4S5", "MUG-ENM-WHT"),
        ("B8M3R4", "STK-PACK"),
        ("B8M3R4", "CAP-DAD-BLK"),
    ]


def test_orders_export_status_and_since(with_orders):
    def numbers(*args):
        result = with_orders("orders", "export", *args)
        assert result.exit_code == 0, result.output
        return [o["number"] for o in json.loads(result.stdout)]

    assert numbers("--status", "paid") == ["B8M3R4"]
    assert numbers("--status", "refunded") == []
    assert numbers("--since", "2026-11-21") == ["A7K2Q9", "C9N4S5"]
    assert numbers("--since", "2026-11-21T09:00") == ["A7K2Q9", "C9N4S5"]
    assert numbers("--since", "2026-11-21T09:00:01") == ["A7K2Q9"]
    assert numbers("--since", "2026-11-21T10:00+02:00") == ["A7K2Q9", "C9N4S5"]
    assert numbers("--since", "2026-11-21", "--status", "cancelled") == ["C9N4S5"]
    csv_rows = list(
        csv.DictReader(io.StringIO(with_orders("orders", "export", "--format", "csv", "--status", "paid").stdout))
    )
    assert {r["number"] for r in csv_rows} == {"B8M3R4"}


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--since", "last week"], "2026-11-01"),
        (["--since", "2026-13-01"], "2026-11-01"),
        (["--status", "shipped"], "shipped"),
        (["--format", "xml"], "xml"),
    ],
)
def test_orders_export_bad_options_are_usage_errors(migrated, args, complaint):
    result = migrated("orders", "export", *args)
    assert result.exit_code == 2
    assert complaint in result.stderr
    assert result.stdout == ""


def test_orders_export_of_an_empty_shop(migrated):
    result = migrated("orders", "export")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_customers_export(with_orders, app):
    with app.db.transaction() as session:
        add_customer(session, "tg-1", "=cmd()", channel="telegram")
    result = with_orders("customers", "export")
    assert result.exit_code == 0
    customers = {c["channel_user_id"]: c for c in json.loads(result.stdout)}
    assert (customers["web-ana"]["order_count"], customers["web-ana"]["total_spent"]) == (3, "26.50")
    assert customers["tg-1"]["order_count"] == 0
    as_csv = with_orders("customers", "export", "--format", "csv")
    assert as_csv.exit_code == 0
    rows = {r["channel_user_id"]: r for r in csv.DictReader(io.StringIO(as_csv.stdout))}
    assert rows["web-ana"]["total_spent"] == "26.50"
    assert rows["tg-1"]["name"] == "'=cmd()"


def test_seller_add_with_password_stdin(migrated, app):
    result = migrated("seller", "add", " Owner@Example.com ", "--password-stdin", input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    assert "owner@example.com" in result.stdout
    with app.db.transaction() as session:
        seller = session.scalar(select(SellerUser))
        audit = session.scalars(select(AuditLog)).all()
    assert seller.email == "owner@example.com"
    assert seller.active is True
    assert "correct horse battery" not in seller.password_hash
    assert verify_password("correct horse battery", seller.password_hash)
    assert not verify_password("correct horse battery!", seller.password_hash)
    assert [(a.actor, a.action, a.entity_type, a.entity_id, a.details) for a in audit] == [
        ("cli", "seller.created", "seller_user", str(seller.id), {"email": "owner@example.com"})
    ]


def test_seller_add_again_resets_the_password(migrated, app):
    migrated("seller", "add", "owner@example.com", "--password-stdin", input="first password 1\n")
    result = migrated("seller", "add", "owner@example.com", "--password-stdin", input="second password 2\n")
    assert result.exit_code == 0
    with app.db.transaction() as session:
        sellers = session.scalars(select(SellerUser)).all()
        actions = [a.action for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert len(sellers) == 1
    assert verify_password("second password 2", sellers[0].password_hash)
    assert not verify_password("first password 1", sellers[0].password_hash)
    assert actions == ["seller.created", "seller.password_reset"]


def test_seller_add_refuses_a_short_password(migrated, app):
    result = migrated("seller", "add", "owner@example.com", "--password-stdin", input="short\n")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.stderr
    assert count(app, SellerUser) == 0
    assert count(app, AuditLog) == 0


def test_seller_add_refuses_a_bad_email(migrated, app):
    result = migrated("seller", "add", "not-an-email", "--password-stdin", input="long enough password\n")
    assert result.exit_code == 1
    assert "not an email address" in result.stderr
    assert count(app, SellerUser) == 0


def test_seller_add_prompts_for_the_password_twice(migrated, app):
    result = migrated("seller", "add", "owner@example.com", input="prompted password\nprompted password\n")
    assert result.exit_code == 0, result.output
    with app.db.transaction() as session:
        assert verify_password("prompted password", session.scalar(select(SellerUser)).password_hash)


def all_command_paths(group: click.Group, prefix=()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            paths.extend(all_command_paths(command, (*prefix, name)))
        else:
            paths.append((*prefix, name))
    return paths


def test_every_issue_command_exists():
    paths = set(all_command_paths(shop))
    for expected in [
        ("catalog", "import"),
        ("catalog", "export"),
        ("orders", "export"),
        ("customers", "export"),
        ("db", "upgrade"),
        ("train",),
        ("run",),
        ("seller", "add"),
    ]:
        assert expected in paths


@pytest.mark.parametrize("path", all_command_paths(shop), ids=lambda p: " ".join(p) or "shop")
def test_help_works_everywhere(path, tmp_path):
    # --help never touches the database; the settings point nowhere usable on purpose.
    app = AppContext(Settings(database_url=f"sqlite:///{tmp_path / 'never' / 'created.db'}"))
    result = CliRunner().invoke(shop, [*path, "--help"], obj=app, catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ")
    assert "db" not in app.__dict__
    assert not (tmp_path / "never").exists()


def test_train_on_a_fresh_install_migrates_first_and_keeps_the_catalog_words(tmp_path, monkeypatch):
    """`shop train` before anything else: no tables yet, so it migrates, finds no catalog, and trains on the
    committed catalog words (no model is trained here: ensure_model is replaced)."""
    import cli.learning_commands
    from cli.catalog_nlu import GENERATED_FILE

    roots = []
    monkeypatch.setattr(
        cli.learning_commands,
        "ensure_model",
        lambda *a, root, **k: roots.append(root) or write_model_archive(tmp_path / "m.tar.gz", "m1"),
    )
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'fresh.db'}",
        shop_catalog_terms_file=str(tmp_path / "var" / "catalog_terms.json"),
    )
    result = CliRunner().invoke(shop, ["train"], obj=AppContext(settings))
    assert result.exit_code == 0, result.output
    assert "candidate m1" in result.output  # registered, not live: it goes live past the gate
    [root] = roots
    assert root == tmp_path / "var" / "training" / "shop"
    assert (root / "data" / GENERATED_FILE.name).read_text() == GENERATED_FILE.read_text()


def test_train_learns_the_shops_catalog_words_in_a_folder_of_its_own(tmp_path, monkeypatch):
    """The committed data/ keeps the demo catalog's words; the shop's catalog is trained from var/."""
    import cli.learning_commands
    from cli.catalog_nlu import GENERATED_FILE

    roots = []
    monkeypatch.setattr(
        cli.learning_commands,
        "ensure_model",
        lambda *a, root, **k: roots.append(root) or write_model_archive(tmp_path / "m.tar.gz", "m1"),
    )
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'shop.db'}",
        shop_catalog_terms_file=str(tmp_path / "var" / "catalog_terms.json"),
    )
    catalog = tmp_path / "tea.csv"
    catalog.write_text(
        "sku,name,price,currency,stock,category,description,color,size,image_url\n"
        "T1,Smoky Lapsang,9.00,EUR,5,black teas,Pine-smoked,,,\n"
    )
    before = GENERATED_FILE.read_text()
    assert CliRunner().invoke(shop, ["db", "upgrade"], obj=AppContext(settings)).exit_code == 0
    result = CliRunner().invoke(shop, ["catalog", "import", str(catalog)], obj=AppContext(settings))
    assert result.exit_code == 0, result.output
    assert "Smoky Lapsang" in (tmp_path / "var" / "catalog_terms.json").read_text()  # read in chats at once
    assert (tmp_path / "var" / "learning" / "request.json").exists()  # and learned in the background
    assert CliRunner().invoke(shop, ["train"], obj=AppContext(settings)).exit_code == 0
    assert "smoky lapsang" in (roots[0] / "data" / GENERATED_FILE.name).read_text()
    assert GENERATED_FILE.read_text() == before
