"""Send windows: when a channel step's message may go out, in the recipient's time zone.

A message created outside its window stays `queued` with `scheduled_at` set to the next opening; the
run does not wait. A day with no entry sends all day, like a step without windows.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from emulator.core import WEEKDAY_NAMES, zone_or_utc
from emulator.definitions import SendWindow


def next_send_time(
    windows: tuple[SendWindow, ...], now: datetime, timezone: object = None
) -> datetime | None:
    """None when the message may go now, else the next instant a window opens."""
    if not windows:
        return None
    zone = zone_or_utc(timezone)
    by_day = {w.day.lower(): w for w in windows}
    local = now.astimezone(zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        window = by_day.get(WEEKDAY_NAMES[day.weekday()])
        if window is None:
            start, end = time(0), None
        elif window.type == "do_not_send":
            continue
        else:
            start, end = _clock(window.start) or time(0), _clock(window.until)
        opens = datetime.combine(day, start, tzinfo=zone)
        closes = (
            datetime.combine(day, end, tzinfo=zone)
            if end
            else datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        )
        if offset == 0 and opens <= local < closes:
            return None
        if local < opens:
            return opens.astimezone(UTC)
    return None  # every day is do_not_send: Knock would never send; we send rather than lose it


def _clock(text: str | None) -> time | None:
    return time.fromisoformat(text) if text else None
