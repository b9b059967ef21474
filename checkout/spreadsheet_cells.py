"""Cells of the CSV files we export, made safe to open in a spreadsheet.

A spreadsheet runs a cell that starts with = + - or @ as a formula (`=HYPERLINK(...)` typed as a name), and it cuts a
line at its own locale's separator, which may not be ours: `12 rue X;=2+3` is one cell to us and two in a French
Excel, the second one a formula. So wherever a cell could start, in any locale (the start of the text, and after each
comma, semicolon, tab or line break), a formula character that follows (after spaces or quotes) gets an apostrophe in
front, which spreadsheets show as text. Quoting the fields instead would not do: a quoted `"=2+3"` is still a
formula, and a reader splitting at another separator does not honour our quotes.
"""

from __future__ import annotations

import re

# Where a cell may start, followed by a formula character; and the tab or carriage return some spreadsheets skip
# at the very start of a cell before reading a formula.
_FORMULA_AHEAD = re.compile(r"(^|[,;\t\r\n])(?=[ \"]*[=+\-@])|^(?=[\t\r])")
# The apostrophe spreadsheet_safe put there, for a file that comes back (the catalog: export, edit, import).
_GUARD = re.compile(r"(^|[,;\t\r\n])'(?=[ \"]*[=+\-@])|^'(?=[\t\r])")


def spreadsheet_safe(value: object) -> object:
    """The cell with an apostrophe before each place a formula could start; other values as they are."""
    if isinstance(value, str):
        return _FORMULA_AHEAD.sub(r"\1'", value)
    return value


def without_spreadsheet_guard(text: str) -> str:
    """The text spreadsheet_safe was given back, from a cell it wrote (an apostrophe typed in exactly such a place
    goes too)."""
    return _GUARD.sub(r"\1", text)
