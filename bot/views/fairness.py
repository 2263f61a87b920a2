"""`/oncall fairness`: a compact table per schedule in a code block, one quality line (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.ids import RotaBlockId
from bot.rota.fairness import text_bar
from bot.services.fairness import FairnessData, FairnessLine
from bot.views.common import Block, clip, context, message, section

ROWS_PER_BLOCK = 30
NAME_WIDTH = 14
BAR_WIDTH = 10


def _hours(h: float) -> str:
    return f"{h:.0f}h"


def table_lines(lines: Sequence[FairnessLine]) -> list[str]:
    """Fixed-width rows; the bar shows each share against the largest share or target."""
    scale = max([*(x.share for x in lines), *(x.target_share for x in lines), 1e-9])
    out = [f"{'Person':<{NAME_WIDTH}} {'Served':>7} {'Coming':>7} {'Wknd':>4} {'Hol':>3}  Share vs target"]
    for x in lines:
        delta = f"{x.delta_hours:+.0f}h"
        out.append(
            f"{clip(x.name, NAME_WIDTH):<{NAME_WIDTH}} {_hours(x.served_hours):>7} {_hours(x.upcoming_hours):>7} "
            f"{x.weekend_shifts:>4} {x.holiday_shifts:>3}  {text_bar(x.share / scale, BAR_WIDTH)} "
            f"{x.share:>4.0%} / {x.target_share:.0%} ({delta})"
        )
    return out


def fairness_blocks(data: FairnessData, n: int = 0) -> list[Block]:
    """`n`: the report's place in the message, so block ids stay unique across schedules."""
    zone = ZoneInfo(data.time_zone)
    a, b = data.start.astimezone(zone), data.end.astimezone(zone)
    head = (f"*{data.schedule_name}* · fairness {a:%a %d %b %Y} – {b:%a %d %b %Y} ({data.time_zone}) · "
            f"{data.window_label}")
    blocks: list[Block] = [section(head)]
    if not data.lines:
        blocks.append(section("Nobody has served or been assigned a shift in this period."))
        return blocks
    rows = table_lines(data.lines)
    title, body = rows[0], rows[1:]
    for i in range(0, len(body), ROWS_PER_BLOCK):
        chunk = "\n".join([title, *body[i:i + ROWS_PER_BLOCK]])
        block_id = f"{RotaBlockId.FAIRNESS_TABLE}_{n}_{i // ROWS_PER_BLOCK}"
        blocks.append(section(f"```{chunk}```", block_id=block_id))
    blocks.append(context(f":bar_chart: {data.quality_line}"))
    if data.target_line:
        blocks.append(context(data.target_line))
    return blocks


def fairness_message(reports: Sequence[FairnessData]) -> dict:
    blocks: list[Block] = []
    for n, data in enumerate(reports):
        blocks.extend(fairness_blocks(data, n))
    blocks.append(context("Served: up to now; coming: assigned from now on; (+/-) hours over or under the target. "
                          "Score: 0–100, higher is more even."))
    text = "Fairness: " + "; ".join(f"{d.schedule_name} {d.score}/100" for d in reports)
    return message(text, blocks)
