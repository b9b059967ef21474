"""Chart geometry for server-rendered SVG (templates/seller/charts.html draws it): no script, no CDN.

Only numbers are computed here; labels reach the SVG through Jinja, which escapes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 12, 36  # room for the value axis and the date labels
MAX_X_LABELS = 5


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    ticks: list[Tick]
    x_labels: list[tuple[float, str]]
    points: str = ""  # a polyline over the bars (line charts)
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM
    left: int = LEFT


def nice_max(value: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten, at or above the largest value."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 0.1
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def bar_chart(
    title: str, labels: list[str], values: Sequence[float | None], fmt: Callable[[float], str], line: bool = False
) -> Chart:
    """Bars (or a line when `line`) of `values`; `fmt` turns a value into the text a seller reads."""
    top = nice_max(max([v for v in values if v is not None] or [0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(values))
    bars, points = [], []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = 0 if value is None else plot_h * value / top
        x = LEFT + i * slot
        bars.append(
            Bar(
                round(x + slot * 0.15, 1),
                round(TOP + plot_h - height, 1),
                round(slot * 0.7, 1),
                round(height, 1),
                label,
                "no data" if value is None else fmt(value),
            )
        )
        if line and value is not None:
            points.append(f"{x + slot / 2:.1f},{TOP + plot_h - height:.1f}")
    ticks = [Tick(round(TOP + plot_h * (1 - f), 1), fmt(top * f)) for f in (0, 0.5, 1)]
    every = max(1, -(-len(labels) // MAX_X_LABELS))
    # Counted from the end, so the current day or week is always labelled.
    x_labels = [
        (round(LEFT + i * slot + slot / 2, 1), label)
        for i, label in enumerate(labels)
        if (len(labels) - 1 - i) % every == 0
    ]
    return Chart(title, bars, ticks, x_labels, " ".join(points))


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    share: float  # 0..1 of the widest row, for the bar's length


def ranked_rows(items: list[tuple[str, float, str]]) -> list[Row]:
    """(label, value, text) rows with bar lengths relative to the largest value."""
    top = max([value for _, value, _ in items] or [0]) or 1
    return [Row(label, text, round(value / top, 3)) for label, value, text in items]
