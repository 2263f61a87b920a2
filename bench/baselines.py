"""What the providers do: plain round-robin, rendered as is or with hand overrides for time off."""

from __future__ import annotations

from bot.rota.model import Shift, TimeOff
from bot.rota.pattern import kind_of, nominal_member, slots

from .instances import Instance


def _off(time_off: tuple[TimeOff, ...], mid: str, s, e) -> bool:
    return any(t.member_id == mid and t.start < e and s < t.end for t in time_off)


def round_robin(inst: Instance) -> list[Shift]:
    """The provider's rendered rotation: order continues, time off ignored."""
    out = []
    for s in slots(inst.pattern, inst.window):
        out.append(
            Shift(
                s.role, s.start, s.end, nominal_member(inst.pattern, s), kind=kind_of(inst.pattern, s.start)
            )
        )
    return out


def round_robin_overrides(inst: Instance) -> list[Shift]:
    """Round-robin where someone on leave is covered by hand by the next available person in order.

    No repayment, no rest check: what a busy team lead does in the provider UI.
    """
    order = list(inst.pattern.order)
    out = []
    for s in slots(inst.pattern, inst.window):
        nominal = nominal_member(inst.pattern, s)
        who = nominal
        k = order.index(nominal)
        for step in range(len(order)):
            cand = order[(k + step) % len(order)]
            if not _off(inst.time_off, cand, s.start, s.end):
                who = cand
                break
        out.append(Shift(s.role, s.start, s.end, who, kind=kind_of(inst.pattern, s.start)))
    return out
