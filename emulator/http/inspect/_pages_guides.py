"""The inspector's guides page: the loaded guides (read-only) and each user's engagement with
them, the records Knock's guides API reports under a step's `message`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from emulator.http.inspect._inspection import Inspection
from emulator.http.inspect._render import page as _page


async def guides(inspection: Inspection, request: Request) -> Response:
    """`/ui/guides`: every loaded guide (key, type, channel, status, steps, targeting) and every
    guide message (user, guide, step, seen / interacted / archived times), oldest first."""
    emu = inspection.emulator
    with emu.lock:
        rows = [
            {
                "key": key,
                "name": g.name,
                "type": g.type,
                "channel": g.channel_key,
                "active": g.active,
                "window": (g.active_from, g.active_until),
                "steps": ", ".join(s.ref for s in g.steps),
                "audience": g.target_audience_key,
                "conditions": g.target_property_conditions is not None,
            }
            for key, g in sorted(emu.definitions.guides.items())
        ]
        messages = emu.guide_messages()
    return _page(request, inspection, "guides.html", rows=rows, messages=messages)
