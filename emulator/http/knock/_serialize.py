"""JSON shapes of Knock's API models (wire.md section 2.5), built from the engine's records.

Every required field of the OpenAPI schema is emitted (nullable ones as null) so the SDKs'
strict response validation passes. Timestamps are virtual time in ISO-8601 with `Z`.
Ids Knock gives as UUIDs that the emulator has no record of (channel ids, workflow version ids)
are UUIDv5 of the key, so they are stable across runs and processes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emulator import USERS, Message, Run, format_timestamp

if TYPE_CHECKING:
    from emulator import Emulator

_NAMESPACE = uuid.UUID("6f2b7f0e-4a4e-4c7e-9d55-2f1c0d0e5b1a")
_PREFERENCE_SECTIONS = ("categories", "channel_types", "channels", "commercial_subscribed")


def iso(when: datetime | str | None) -> str | None:
    """`2025-01-01T09:00:00Z`; stored strings (entity stamps) are normalised the same way."""
    if when is None:
        return None
    if isinstance(when, str):
        try:
            parsed = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            return when
        when = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return format_timestamp(when)


def channel_uuid(channel_key: str) -> str:
    """The id Knock would give a channel; feeds accept it as well as the channel key."""
    return str(uuid.uuid5(_NAMESPACE, f"channel:{channel_key}"))


def version_uuid(workflow_key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"workflow:{workflow_key}"))


# -- recipients ----------------------------------------------------------------------------------
# Kept on the entity for the engine, served by their own endpoints, never as properties.
_NOT_PROPERTIES = ("__typename", "collection", "channel_data")


def user_json(entity: Mapping[str, Any], fallback_stamp: datetime | None = None) -> dict[str, Any]:
    """A User; `fallback_stamp` stands in for `updated_at` of users only referenced, never
    identified (an actor given as a bare id)."""
    out = {k: v for k, v in entity.items() if k not in _NOT_PROPERTIES}
    out["__typename"] = "User"
    for key in ("name", "email", "phone_number", "avatar", "timezone"):
        out.setdefault(key, None)
    out["created_at"] = iso(entity.get("created_at"))
    out["updated_at"] = iso(entity.get("updated_at")) or iso(fallback_stamp)
    return out


def object_json(
    collection: str, entity: Mapping[str, Any], fallback_stamp: datetime | None = None
) -> dict[str, Any]:
    properties = {
        k: v
        for k, v in entity.items()
        if k not in ("id", "created_at", "updated_at", *_NOT_PROPERTIES)
    }
    return {
        "__typename": "Object",
        "id": entity["id"],
        "collection": collection,
        "created_at": iso(entity.get("created_at")),
        "updated_at": iso(entity.get("updated_at")) or iso(fallback_stamp),
        "properties": properties,
    }


def recipient_json(
    emulator: Emulator, ref: str | Mapping[str, str], stamp: datetime
) -> dict[str, Any]:
    """A User or Object (Knock's `Recipient`) for a reference, identified or not."""
    if isinstance(ref, str):
        collection, entity_id = USERS, ref
    else:
        collection, entity_id = ref.get("collection", USERS), ref["id"]
    entity = emulator.object(collection, entity_id) or {"id": entity_id}
    if collection == USERS:
        return user_json(entity, stamp)
    return object_json(collection, entity, stamp)


def tenant_json(entity: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in entity.items() if k not in ("created_at", "updated_at")}
    out["__typename"] = "Tenant"
    out.setdefault("name", None)
    settings = dict(out.get("settings") or {})
    settings.setdefault("branding", None)
    pref = settings.get("preference_set")
    settings["preference_set"] = None if pref is None else preference_set_json("default", pref)
    out["settings"] = settings
    out["created_at"] = iso(entity.get("created_at"))
    out["updated_at"] = iso(entity.get("updated_at"))
    return out


def preference_set_json(set_id: str, stored: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": set_id, "workflows": None}
    out.update(dict.fromkeys(_PREFERENCE_SECTIONS))
    out.update({k: v for k, v in (stored or {}).items() if k not in ("id", "__typename")})
    out["__typename"] = "PreferenceSet"
    return out


# -- messages ------------------------------------------------------------------------------------
def _source(message: Message) -> dict[str, Any]:
    return {
        "__typename": "NotificationSource",
        "type": "workflow",
        "key": message.workflow,
        "version_id": version_uuid(message.workflow),
        "categories": list(message.categories),
        "step_ref": message.step_ref,
        "workflow_run_id": message.workflow_run_id,
        "workflow_recipient_run_id": message.run_id,
    }


def message_json(message: Message) -> dict[str, Any]:
    stamp = iso(message.inserted_at)
    return {
        "__typename": "Message",
        "id": message.id,
        "channel_id": channel_uuid(message.channel_key or message.channel_type),
        "channel_key": message.channel_key,
        "channel_type": message.channel_type,
        "recipient": message.recipient,
        "actors": list(message.actors),
        "tenant": message.tenant,
        "workflow": message.workflow,
        "source": _source(message),
        "status": message.status,
        "engagement_statuses": message.engagement_statuses,
        "seen_at": iso(message.seen_at),
        "read_at": iso(message.read_at),
        "interacted_at": iso(message.interacted_at),
        "link_clicked_at": iso(message.link_clicked_at),
        "archived_at": iso(message.archived_at),
        "clicked_at": iso(message.link_clicked_at),
        "scheduled_at": iso(message.scheduled_at),
        "inserted_at": stamp,
        "updated_at": iso(message.updated_at) or stamp,
        "data": message.data,
        "metadata": dict(message.metadata) if message.metadata else None,
    }


def feed_blocks(message: Message) -> list[dict[str, Any]]:
    content = message.content
    blocks = content.get("blocks")
    if isinstance(blocks, list):
        return [dict(b) for b in blocks if isinstance(b, Mapping)]
    body = content.get("markdown_body") or content.get("body") or ""
    return [{"type": "markdown", "name": "body", "content": str(body), "rendered": str(body)}]


def contents_json(emulator: Emulator, message: Message) -> dict[str, Any]:
    """MessageContents: what was rendered, in the per-channel shape of the spec."""
    content = message.content
    kind = message.channel_type
    data: dict[str, Any]
    if kind == "email":
        recipient = recipient_json(emulator, message.recipient, message.inserted_at)
        channel = emulator.channel(message.channel_key, "email")
        sender = content.get("from_address") or channel.from_address
        name = content.get("from_name") or channel.from_name
        data = {
            "__typename": "MessageEmailContent",
            "from": f"{name} <{sender}>" if name else str(sender),
            "to": str(content.get("to_address") or recipient.get("email") or ""),
            "cc": content.get("cc_address"),
            "bcc": content.get("bcc_address"),
            "reply_to": content.get("reply_to_address"),
            "subject_line": str(content.get("subject", "")),
            "html_body": str(content.get("html_body") or ""),
            "text_body": str(content.get("text_body") or ""),
        }
    elif kind == "in_app_feed":
        data = {"__typename": "MessageInAppFeedContent", "blocks": feed_blocks(message)}
    elif kind == "sms":
        recipient = recipient_json(emulator, message.recipient, message.inserted_at)
        data = {
            "__typename": "MessageSmsContent",
            "to": str(content.get("to") or recipient.get("phone_number") or ""),
            "body": str(content.get("text_body") or content.get("body") or ""),
        }
    elif kind == "push":
        data = {
            "__typename": "MessagePushContent",
            "token": str(content.get("token") or ""),
            "title": str(content.get("title") or ""),
            "body": str(content.get("text_body") or content.get("body") or ""),
            "data": content.get("data"),
        }
    else:  # chat and http: Knock has no dedicated shape for http; chat's is the loosest
        data = {
            "__typename": "MessageChatContent",
            "connection": {},
            "template": {
                "summary": content.get("summary"),
                "blocks": None,
                "json_content": content.get("json_body"),
            },
            "metadata": {k: v for k, v in content.items() if isinstance(k, str)},
        }
    return {
        "__typename": "MessageContents",
        "message_id": message.id,
        "inserted_at": iso(message.inserted_at),
        "data": data,
    }


def message_event_json(message: Message, index: int, kind: str, at: datetime) -> dict[str, Any]:
    return {
        "__typename": "MessageEvent",
        "id": f"{message.id}-{index}",
        "type": kind,
        "recipient": message.recipient,
        "data": None,
        "inserted_at": iso(at),
    }


# -- runs ----------------------------------------------------------------------------------------
def run_json(run: Run) -> dict[str, Any]:
    stamp = iso(run.inserted_at)
    return {
        "__typename": "WorkflowRecipientRun",
        "id": run.id,
        "workflow_run_id": run.workflow_run_id,
        "workflow": run.workflow,
        "recipient": run.recipient,
        "actor": run.actor,
        "tenant": run.tenant,
        "status": run.knock_status,
        "doorstep_status": run.status,
        "error_count": run.error_count,
        "trigger_source": {
            "type": run.trigger_source if run.trigger_source else "api",
            "cancellation_key": run.cancellation_key,
            "schedule_id": run.schedule_id,
            "audience_key": None,
        },
        "inserted_at": stamp,
        "updated_at": iso(run.updated_at) or stamp,
    }
