"""`GET /emails/metrics`: the account's email counts over a date range, from the emails the
fake API accepted (their `last_event`), optionally broken down by period, domain, email or
broadcast, in resend-api.yml's `GetEmailsMetricsResponse` shape.

Doorstep delivers every email it does not suppress and nobody opens, clicks, bounces or
complains, so those counts are 0 unless the emails say otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emulator.mail._resend_records import EmailRecord
from emulator.mail._resend_validation import ResendApiError

COUNTS = (
    "received", "delivered", "complained", "suppressed", "bounced", "bounced_transient",
    "bounced_permanent", "bounced_undetermined", "opened", "clicked", "unsubscribed",
    "delivery_delayed", "failed", "sent", "unique_opened", "unique_clicked",
)  # fmt: skip
RATES = {
    "delivery_rate": ("delivered", "sent"),
    "open_rate": ("unique_opened", "delivered"),
    "click_rate": ("unique_clicked", "delivered"),
    "bounce_rate": ("bounced", "sent"),
    "complaint_rate": ("complained", "delivered"),
    "unsubscribe_rate": ("unsubscribed", "delivered"),
}
DIMENSIONS = ("period", "domain", "email", "broadcast")
GRANULARITIES = ("hourly", "daily", "weekly", "monthly")
_STATES = {  # last_event -> the counts an email in that state adds to
    "sent": ("sent",),
    "delivered": ("sent", "delivered"),
    "suppressed": ("suppressed",),
    "failed": ("failed",),
}


def _invalid(message: str) -> ResendApiError:
    return ResendApiError(422, "validation_error", message)


def _listed(query: Mapping[str, list[str]], name: str, allowed: Iterable[str] | None) -> list[str]:
    """A list parameter given comma-separated, repeated, or both."""
    values = [v.strip() for raw in query.get(name, []) for v in raw.split(",") if v.strip()]
    if allowed is not None:
        known = tuple(allowed)
        wrong = [v for v in values if v not in known]
        if wrong:
            raise _invalid(f"Invalid `{name}` value {wrong[0]!r}: use {', '.join(known)}.")
    return values


def _when(raw: str | None, name: str, zone: ZoneInfo, *, end: bool) -> datetime | None:
    if raw is None:
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime.combine(day, time.max if end else time.min, zone)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(
            f"The `{name}` parameter must be an ISO 8601 date or datetime, not {raw!r}."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _bucket(when: datetime, granularity: str) -> str:
    if granularity == "hourly":
        start = when.replace(minute=0, second=0, microsecond=0)
    elif granularity == "weekly":
        day = when.date() - timedelta(days=when.weekday())
        start = datetime.combine(day, time.min, when.tzinfo)
    elif granularity == "monthly":
        start = datetime.combine(when.date().replace(day=1), time.min, when.tzinfo)
    else:
        start = datetime.combine(when.date(), time.min, when.tzinfo)
    return start.isoformat()


def _iso(when: datetime) -> str:
    return when.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{when.microsecond // 1000:03d}Z"
    )


@dataclass(frozen=True, slots=True)
class _Query:
    zone: ZoneInfo
    granularity: str
    metrics: list[str]
    dimensions: list[str]
    wanted: dict[str, set[str]]
    start: datetime
    end: datetime


def _parse(query: Mapping[str, list[str]], now: datetime) -> _Query:
    def one(name: str) -> str | None:
        values = query.get(name)
        return values[-1] if values else None

    try:
        zone = ZoneInfo(one("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid(f"Unknown `timezone` {one('timezone')!r}: use an IANA name.") from None
    granularity = one("granularity") or "daily"
    if granularity not in GRANULARITIES:
        raise _invalid(f"The `granularity` parameter must be one of {', '.join(GRANULARITIES)}.")
    metrics = _listed(query, "metrics", (*COUNTS, *RATES)) or [*COUNTS, *RATES]
    dimensions = _listed(query, "dimensions", DIMENSIONS)
    wanted = {k: set(_listed(query, k, None)) for k in ("domain_id", "email_id", "broadcast_id")}
    if ("email" in dimensions or wanted["email_id"]) and (
        "broadcast" in dimensions or wanted["broadcast_id"]
    ):
        raise _invalid(
            "The `email` dimension and `email_id` cannot be combined with the `broadcast` "
            "dimension or `broadcast_id`."
        )
    end = min(_when(one("end_date"), "end_date", zone, end=True) or now, now)
    start = _when(one("start_date"), "start_date", zone, end=False) or end - timedelta(days=6)
    if start > end:
        raise _invalid("The `start_date` must be on or before `end_date`.")
    return _Query(zone, granularity, metrics, dimensions, wanted, start, end)


def email_metrics(
    records: list[EmailRecord],
    query: Mapping[str, list[str]],
    now: datetime,
    *,
    domain_of: Callable[[str], tuple[str | None, str]],
    broadcast_of: Mapping[str, tuple[str, str]],
) -> dict[str, Any]:
    """The metrics response for `query` (each parameter's values, as given)."""
    q = _parse(query, now)
    rows: dict[tuple[tuple[str, Any], ...], dict[str, float]] = {}
    totals = dict.fromkeys(COUNTS, 0.0)
    for record in records:
        if not q.start <= record.created_at <= q.end:
            continue
        domain_id, domain_name = domain_of(record.valid.email.from_)
        broadcast = broadcast_of.get(record.id)
        if (
            (q.wanted["email_id"] and record.id not in q.wanted["email_id"])
            or (q.wanted["domain_id"] and domain_id not in q.wanted["domain_id"])
            or (
                q.wanted["broadcast_id"] and (broadcast or ("",))[0] not in q.wanted["broadcast_id"]
            )
        ):
            continue
        key: list[tuple[str, Any]] = []
        for dimension in q.dimensions:
            if dimension == "period":
                when = record.created_at.astimezone(q.zone)
                key.append(("period", _bucket(when, q.granularity)))
            elif dimension == "domain":
                key += [("domain_id", domain_id), ("domain_name", domain_name)]
            elif dimension == "email":
                key.append(("email_id", record.id))
            elif broadcast is not None:
                key += [("broadcast_id", broadcast[0]), ("broadcast_name", broadcast[1])]
        row = rows.setdefault(tuple(key), dict.fromkeys(COUNTS, 0.0))
        for count in _STATES.get(record.last_event, ()):
            row[count] += 1
            totals[count] += 1
    out: dict[str, Any] = {
        "object": "metrics",
        "start_date": _iso(q.start),
        "end_date": _iso(q.end),
        "metrics": q.metrics,
        "dimensions": q.dimensions,
        "granularity": q.granularity,
        "totals": _shown(totals, q.metrics),
    }
    if q.dimensions:
        out["data"] = [
            {k: v for k, v in key if v is not None} | _shown(row, q.metrics)
            for key, row in sorted(rows.items(), key=lambda item: str(item[0]))
        ]
    return out


def _shown(counts: dict[str, float], metrics: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name in metrics:
        if name in RATES:
            top, bottom = RATES[name]
            out[name] = round(counts[top] / counts[bottom], 4) if counts[bottom] else 0
        else:
            out[name] = int(counts[name])
    return out
