"""Merging users (`POST /v1/users/{user_id}/merge`) the way Knock's docs describe
(managing-recipients/merging-users); the work is `Emulator.merge_users`.

Merging `from_user_id` (the secondary) into `user_id` (the primary): properties deep-merge with
the primary winning conflicts; preference sets and channel data are shallow-merged (what the
primary lacks is added, by set id and channel); the secondary's last 30 days of messages, and
of finished runs it was the recipient or actor of, now belong to the primary; then the secondary
is deleted. Runs still in flight are not moved, as the docs say.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator import USERS
from emulator.http.knock._core import KnockContext, json_response
from emulator.http.knock._entities import require_entity
from emulator.http.knock._errors import get_str, invalid
from emulator.http.knock._serialize import user_json


def merge_user(ctx: KnockContext, request: Request, body: dict[str, Any]) -> Response:
    primary_id = request.path_params["user_id"]
    secondary_id = get_str(body, "from_user_id", required=True) or ""
    if secondary_id == primary_id:
        raise invalid("from_user_id", "is the user being merged into; pass another user's id")
    require_entity(ctx, USERS, primary_id, "user")
    require_entity(ctx, USERS, secondary_id, "user")
    return json_response(user_json(ctx.emulator.merge_users(primary_id, secondary_id)))
