"""Reads and checks a catalog CSV against the contract, without touching the database.

Header: sku,name,price,currency,stock,category,description,color,size,image_url
Every problem is reported with its line number, so a seller can fix the whole file in one go.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from urllib.parse import urlparse

from checkout.money import Money, MoneyError
from checkout.spreadsheet_cells import spreadsheet_safe, without_spreadsheet_guard

COLUMNS = ("sku", "name", "price", "currency", "stock", "category", "description", "color", "size", "image_url")
# Prices (in minor units) and stock are 32-bit integers in the database.
MAX_INTEGER = 2**31 - 1
MAX_FIELD = {"sku": 64, "name": 200, "category": 100, "description": 5000, "color": 50, "size": 20, "image_url": 500}


@dataclass(frozen=True)
class CatalogRow:
    line: int
    sku: str
    name: str
    price: Money
    stock: int | None
    category: str | None
    description: str | None
    color: str | None
    size: str | None
    image_url: str | None

    @property
    def product_key(self) -> str:
        return product_key(self.name)


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def product_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def parse_catalog(data: bytes, default_currency: str) -> tuple[list[CatalogRow], list[RowError]]:
    try:
        text = data.decode("utf-8-sig")  # Excel writes a BOM; accept it
    except UnicodeDecodeError:
        return [], _encoding_errors(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return [], [RowError(1, "the file is empty; expected the header " + ",".join(COLUMNS))]
    header = [h.strip().lower() for h in header]
    if tuple(header) != COLUMNS:
        missing = [c for c in COLUMNS if c not in header]
        extra = [h for h in header if h not in COLUMNS]
        detail = "; ".join(
            filter(
                None,
                [
                    f"missing {', '.join(missing)}" if missing else None,
                    f"unknown {', '.join(extra)}" if extra else None,
                ],
            )
        )
        return [], [RowError(1, f"header must be exactly {','.join(COLUMNS)} ({detail or 'columns out of order'})")]

    rows: list[CatalogRow] = []
    errors: list[RowError] = []
    end_of_previous = reader.line_num
    for fields in reader:
        # A quoted field may span lines: report the line where the row starts, not where it ends.
        line, end_of_previous = end_of_previous + 1, reader.line_num
        if not any(f.strip() for f in fields):
            continue  # blank lines are not rows
        if len(fields) != len(COLUMNS):
            errors.append(
                RowError(
                    line, f"expected {len(COLUMNS)} fields, found {len(fields)} (quote fields that contain commas)"
                )
            )
            continue
        cells = (without_spreadsheet_guard(f) for f in fields)  # as write_catalog's export wrote them
        row, row_errors = _parse_row(line, dict(zip(COLUMNS, cells, strict=True)), default_currency)
        errors.extend(row_errors)
        if row:
            rows.append(row)
    errors.extend(_cross_row_errors(rows))
    errors.sort(key=lambda e: e.line)
    return rows, errors


def _encoding_errors(data: bytes) -> list[RowError]:
    """Every line that is not UTF-8, so the seller can find the characters to fix."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    errors = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(
                RowError(
                    number,
                    f"the file is not UTF-8 text ({exc.reason} at byte {exc.start + 1} of the "
                    "line); save it as CSV UTF-8",
                )
            )
    return errors or [RowError(1, "the file is not UTF-8 text; save it as CSV UTF-8")]


def _parse_row(line: int, raw: dict[str, str], default_currency: str) -> tuple[CatalogRow | None, list[RowError]]:
    errors: list[str] = []
    values = {k: _blank_to_none(v) for k, v in raw.items()}
    for column, limit in MAX_FIELD.items():
        value = values[column]
        if value and len(value) > limit:
            errors.append(f"{column} is longer than {limit} characters")
    if not values["sku"]:
        errors.append("sku is required")
    elif any(c.isspace() for c in values["sku"]):
        errors.append(f"sku {values['sku']!r} contains spaces")
    if not values["name"]:
        errors.append("name is required")
    price = None
    try:
        price = Money.parse(values["price"] or "", values["currency"] or default_currency)
    except MoneyError as exc:
        errors.append(str(exc) if values["price"] else "price is required")
    if price is not None and price.amount_minor > MAX_INTEGER:
        errors.append(f"price {values['price']} is too large")
    stock = None
    if values["stock"] is not None:
        if values["stock"].isascii() and values["stock"].isdigit():  # not '²', which int() refuses
            stock = int(values["stock"])
            if stock > MAX_INTEGER:
                errors.append(f"stock {stock} is too large")
        else:
            errors.append(f"stock {values['stock']!r} must be a whole number >= 0, or blank when not tracked")
    if values["image_url"]:
        url = urlparse(values["image_url"])
        if url.scheme not in ("http", "https") or not url.netloc:
            errors.append(f"image_url {values['image_url']!r} is not an http(s) URL")
    if errors:
        return None, [RowError(line, e) for e in errors]
    sku, name = values["sku"], values["name"]
    # Without errors, the checks above found all three.
    assert sku is not None and name is not None and price is not None
    return CatalogRow(
        line=line,
        sku=sku,
        name=" ".join(name.split()),
        price=price,
        stock=stock,
        category=values["category"].lower() if values["category"] else None,
        description=values["description"],
        color=values["color"].lower() if values["color"] else None,
        size=values["size"].upper() if values["size"] else None,
        image_url=values["image_url"],
    ), []


def _cross_row_errors(rows: list[CatalogRow]) -> list[RowError]:
    """Rules between rows: unique SKUs, variants of one product told apart, one category per product."""
    errors: list[RowError] = []
    first_sku: dict[str, int] = {}
    first_variant: dict[tuple, int] = {}
    category: dict[str, tuple[str | None, int]] = {}
    for row in rows:
        if row.sku.casefold() in first_sku:
            errors.append(RowError(row.line, f"sku {row.sku} already used on line {first_sku[row.sku.casefold()]}"))
        else:
            first_sku[row.sku.casefold()] = row.line
        variant = (row.product_key, row.color, row.size)
        if variant in first_variant:
            errors.append(
                RowError(
                    row.line,
                    f"same name, colour and size as line {first_variant[variant]}: "
                    "variants of a product must differ by colour or size",
                )
            )
        else:
            first_variant[variant] = row.line
        seen = category.setdefault(row.product_key, (row.category, row.line))
        if seen[0] != row.category:
            errors.append(
                RowError(
                    row.line,
                    f"category {row.category!r} differs from {seen[0]!r} on line {seen[1]} "
                    f"for the same product {row.name!r}",
                )
            )
    return errors


def write_catalog(rows: list[dict[str, str]]) -> str:
    """CSV text in the contract's shape, for `shop catalog export` and the dashboard. Its cells are spreadsheet-safe
    (checkout.spreadsheet_cells); parse_catalog takes the guard off again, so an exported file imports as it was."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({column: spreadsheet_safe(value) for column, value in row.items()} for row in rows)
    return out.getvalue()
