"""Charts as PNG bytes (matplotlib's object API, no display and no pyplot global state, so
drawing is safe in a worker thread)."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.services.economy import EconomyReport


def economy_chart(report: EconomyReport, title: str = "Tokens paid per day") -> bytes:
    """Bars of tokens paid by each day's close, with the average as a line."""
    days = [day[5:] for day, _ in report.paid_per_day]
    paid = [amount for _, amount in report.paid_per_day]
    figure = Figure(figsize=(8, 3.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.bar(days, paid, color="#ff7043")
    if paid:
        average = sum(paid) / len(paid)
        axes.axhline(average, color="#5d4037", linewidth=1, linestyle="--")
        axes.annotate(f"average {average:,.0f}", (0, average), textcoords="offset points",
                      xytext=(2, 4), fontsize=8, color="#5d4037")  # fmt: skip
    axes.set_title(title, fontsize=11, loc="left")
    axes.set_ylabel("tokens")
    axes.tick_params(axis="x", labelrotation=60, labelsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
