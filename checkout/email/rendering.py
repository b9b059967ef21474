"""Email bodies from Jinja templates (checkout/email/templates/): a plain-text part and an HTML part of each email.

The HTML carries its CSS in style attributes (STYLES below), because mail clients drop <style> blocks and never
load stylesheets; the layout is tables for the same clients' sake. HTML templates escape everything they print."""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

# Font names unquoted (valid CSS): a quote would be escaped inside the style attribute.
FONT = "font-family:-apple-system,Segoe UI,Roboto,Helvetica Neue,Arial,sans-serif"
# Each element's inline style, named for its role in the templates (`s.cell_right`).
STYLES = {
    "body": f"margin:0;padding:0;background:#f3f4f6;color:#111827;{FONT};font-size:16px;line-height:1.5",
    "outer": "width:100%;background:#f3f4f6;padding:24px 0",
    "card": "max-width:560px;width:100%;background:#ffffff;border-radius:12px;border-collapse:separate",
    "header": f"padding:20px 24px 0;color:#6b7280;font-size:14px;{FONT}",
    "content": f"padding:8px 24px 20px;{FONT};font-size:16px;line-height:1.5;color:#111827",
    "h1": f"margin:8px 0 16px;font-size:22px;line-height:1.3;color:#111827;{FONT}",
    "p": "margin:0 0 14px",
    "table": "width:100%;border-collapse:collapse;margin:8px 0 16px",
    "cell": "padding:6px 0;border-bottom:1px solid #e5e7eb;vertical-align:top",
    "cell_right": "padding:6px 0 6px 12px;border-bottom:1px solid #e5e7eb;text-align:right;white-space:nowrap",
    "small": "color:#6b7280;font-size:13px",
    "sum": "padding:4px 0;color:#374151",
    "sum_right": "padding:4px 0 4px 12px;text-align:right;white-space:nowrap;color:#374151",
    "total": "padding:8px 0 0;font-weight:bold;font-size:17px",
    "total_right": "padding:8px 0 0 12px;text-align:right;white-space:nowrap;font-weight:bold;font-size:17px",
    "box": "margin:0 0 14px;padding:12px 14px;background:#f9fafb;border-left:4px solid #2563eb;border-radius:6px",
    "note": "margin:0 0 14px;padding:12px 14px;background:#f9fafb;border-left:4px solid #059669;border-radius:6px",
    "image": "display:block;max-width:100%;height:auto;border:0;border-radius:8px;margin:0 0 16px",
    "footer": f"padding:16px 24px 20px;border-top:1px solid #e5e7eb;color:#6b7280;font-size:12px;{FONT}",
    "link": "color:#2563eb;text-decoration:underline",
}


@functools.cache
def _environment() -> Environment:
    # Built on first use, not at import: nothing opens a file at import time.
    return Environment(
        loader=PackageLoader("checkout.email", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a misspelt name fails the render (and the test), not the shopper's email
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,  # an included part ends its last line, so what follows starts a new one
    )


def render_parts(template: str, **context: Any) -> tuple[str, str]:
    """(text, html) of `template`.txt and `template`.html with the same context."""
    environment = _environment()
    text = environment.get_template(f"{template}.txt").render(**context)
    html = environment.get_template(f"{template}.html").render(s=STYLES, **context)
    return text.strip() + "\n", html
