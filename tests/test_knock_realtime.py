"""The realtime socket `/ws/v1/websocket`: Phoenix Channels vsn 2.0.0 frames as
`@knocklabs/client` sends them, against a real server on port 0. Every wait is a receive with a
timeout; "nothing was pushed" is shown by a heartbeat's reply arriving next."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from wfbuild import batch, delay, email, in_app, make_emulator, workflow

from emulator import Emulator, Message, SigningKey, sign_user_token
from emulator.http import ServerThread, create_app, knock_app
from emulator.http.knock._realtime import FeedTopic, feed_join, new_message_payload
from emulator.http.knock._socket import Inbox

TOPIC = "feeds:in-app-feed:u1"
CLIENT = "client_abc"
OPTIONS = {"archived": "exclude", "mode": "compact"}
TIMEOUT = 5.0


def emulator() -> Emulator:
    emu = make_emulator(
        workflow("note", in_app(body="hello {{ data.n }}")),
        workflow("digest", batch(), in_app()),
        workflow("later", delay(delay_for={"unit": "minutes", "value": 10}), in_app()),
        workflow("mail", email()),
    )
    emu.identify("u1", name="Ada", email="ada@example.com")
    emu.identify("u2", name="Bob", email="bob@example.com")
    return emu


@pytest.fixture(params=["knock_app", "create_app"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Emulator, str]]:
    """The Knock app alone (the `knock_api` fixture) and the whole `doorstep serve` app."""
    emu = emulator()
    app = knock_app(emu) if request.param == "knock_app" else create_app(emu)
    with ServerThread(app) as server:
        yield emu, server.base_url


def unsigned_token(sub: str) -> str:
    """A token naming `sub` (unsigned: the socket reads its subject)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part({'sub': sub})}.c2ln"


def open_socket(base_url: str, origin: str | None = None, **params: str) -> ClientConnection:
    query = {"api_key": "pk_test_doorstep", "vsn": "2.0.0"} | params
    url = base_url.replace("http", "ws") + "/ws/v1/websocket?" + str(httpx.QueryParams(query))
    headers = {} if origin is None else {"Origin": origin}
    return connect(url, open_timeout=TIMEOUT, close_timeout=TIMEOUT, additional_headers=headers)


def send(ws: ClientConnection, *frame: Any) -> None:
    ws.send(json.dumps(list(frame)))


def recv(ws: ClientConnection) -> list[Any]:
    return list(json.loads(ws.recv(timeout=TIMEOUT)))


def ok(join_ref: str | None, ref: str, topic: str) -> list[Any]:
    return [join_ref, ref, topic, "phx_reply", {"status": "ok", "response": {}}]


def join(ws: ClientConnection, topic: str = TOPIC, payload: Any = None, ref: str = "1") -> Any:
    send(ws, ref, ref, topic, "phx_join", {CLIENT: OPTIONS} if payload is None else payload)
    return recv(ws)


def nothing_pushed(ws: ClientConnection) -> None:
    send(ws, None, "hb", "phoenix", "heartbeat", {})
    assert recv(ws) == ok(None, "hb", "phoenix")


def counts(total: int, unread: int, unseen: int) -> dict[str, int]:
    return {"total_count": total, "unread_count": unread, "unseen_count": unseen}


def new_message(metadata: dict[str, int], join_ref: str = "1") -> list[Any]:
    payload = {
        "event": "new-message",
        "metadata": metadata,
        "data": {CLIENT: {"metadata": metadata}},
        "attn": [CLIENT],
    }
    return [join_ref, None, TOPIC, "new-message", payload]


def test_join_heartbeat_and_a_python_trigger_push_new_message(
    served: tuple[Emulator, str],
) -> None:
    emu, base_url = served
    with open_socket(base_url) as ws:
        assert join(ws) == ok("1", "1", TOPIC)
        nothing_pushed(ws)
        emu.trigger("note", ["u1"], data={"n": 1})
        assert recv(ws) == new_message(counts(1, 1, 1))
        emu.mark_message(emu.messages()[0].id, "seen")
        emu.trigger("note", ["u1", "u2"], data={"n": 2})
        assert recv(ws) == new_message(counts(2, 2, 1))  # u2's message is not u1's feed
        nothing_pushed(ws)


def test_a_trigger_over_http_pushes_new_message(served: tuple[Emulator, str]) -> None:
    _, base_url = served
    with open_socket(base_url) as ws:
        join(ws)
        answer = httpx.post(
            f"{base_url}/v1/workflows/note/trigger",
            json={"recipients": ["u1"], "data": {"n": 1}},
            headers={"Authorization": "Bearer sk_test"},
            timeout=TIMEOUT,
        )
        assert answer.status_code == 200, answer.text
        assert recv(ws) == new_message(counts(1, 1, 1))


@pytest.mark.parametrize("key", ["digest", "later"])
def test_the_clock_closing_a_batch_or_ending_a_delay_pushes_new_message(
    served: tuple[Emulator, str], key: str
) -> None:
    emu, base_url = served
    with open_socket(base_url) as ws:
        join(ws)
        emu.trigger(key, ["u1"], actor="u2")
        emu.trigger(key, ["u1"], actor="u2")
        nothing_pushed(ws)  # batching or waiting: no message yet
        emu.advance(minutes=10)
        expected = counts(1, 1, 1) if key == "digest" else counts(2, 2, 2)
        assert recv(ws) == new_message(expected)
        if key == "later":
            assert recv(ws)[3] == "new-message"
        nothing_pushed(ws)


def test_email_messages_push_nothing(served: tuple[Emulator, str]) -> None:
    emu, base_url = served
    with open_socket(base_url) as ws:
        join(ws)
        emu.trigger("mail", ["u1"])
        nothing_pushed(ws)


def test_each_feed_client_is_told_only_of_items_its_filters_select(
    served: tuple[Emulator, str],
) -> None:
    emu, base_url = served
    clients = {CLIENT: OPTIONS, "client_acme": OPTIONS | {"tenant": "acme"}}
    with open_socket(base_url) as ws:
        join(ws, payload=clients)
        emu.trigger("note", ["u1"])
        frame = recv(ws)
        assert frame[4]["attn"] == [CLIENT]
        emu.trigger("note", ["u1"], tenant="acme")
        frame = recv(ws)
        assert frame[4]["attn"] == [CLIENT, "client_acme"]
        assert frame[4]["data"]["client_acme"] == {"metadata": counts(1, 1, 1)}
        assert frame[4]["metadata"] == counts(2, 2, 2)


def test_a_legacy_join_gets_the_top_level_metadata(served: tuple[Emulator, str]) -> None:
    emu, base_url = served
    with open_socket(base_url) as ws:
        join(ws, payload={"archived": "exclude", "status": "unread"})
        emu.trigger("note", ["u1"])
        payload = {"event": "new-message", "metadata": counts(1, 1, 1), "data": {}, "attn": []}
        assert recv(ws) == ["1", None, TOPIC, "new-message", payload]


def test_leave_replies_closes_and_stops_the_pushes(served: tuple[Emulator, str]) -> None:
    emu, base_url = served
    with open_socket(base_url) as ws:
        join(ws)
        send(ws, "1", "2", TOPIC, "phx_leave", {})
        assert recv(ws) == ok("1", "2", TOPIC)
        assert recv(ws) == ["1", "1", TOPIC, "phx_close", {}]
        emu.trigger("note", ["u1"])
        nothing_pushed(ws)


def test_a_rejoin_replaces_the_channel(served: tuple[Emulator, str]) -> None:
    emu, base_url = served
    with open_socket(base_url) as ws:
        join(ws)
        assert join(ws, ref="3") == ok("3", "3", TOPIC)
        assert recv(ws) == ["1", "1", TOPIC, "phx_close", {}]
        emu.trigger("note", ["u1"])
        assert recv(ws) == new_message(counts(1, 1, 1), join_ref="3")


def error(join_ref: str | None, ref: str, topic: str, reason: str) -> list[Any]:
    return [join_ref, ref, topic, "phx_reply", {"status": "error", "response": {"reason": reason}}]


REFUSED_JOINS: list[tuple[str, Any, str]] = [
    ("rooms:lobby", {}, "unmatched topic"),
    ("feeds:in-app-feed", {}, "unmatched topic"),
    (TOPIC, ["not", "an", "object"], "join payload must be an object of feed options"),
    (TOPIC, {CLIENT: {"status": "bogus"}}, "status: must be one of"),
]


@pytest.mark.parametrize(("topic", "payload", "reason"), REFUSED_JOINS)
def test_refused_joins_answer_an_error_reply(
    served: tuple[Emulator, str], topic: str, payload: Any, reason: str
) -> None:
    _, base_url = served
    with open_socket(base_url) as ws:
        frame = join(ws, topic, payload)
        assert frame[:4] == [None if reason == "unmatched topic" else "1", "1", topic, "phx_reply"]
        assert frame[4]["status"] == "error"
        assert frame[4]["response"]["reason"].startswith(reason)
        nothing_pushed(ws)  # the socket stays usable


def test_a_user_token_joins_its_own_feed_only(served: tuple[Emulator, str]) -> None:
    emu, base_url = served
    with open_socket(base_url, user_token=unsigned_token("u1")) as ws:
        frame = join(ws, "feeds:in-app-feed:u2")
        assert frame[4]["status"] == "error"
        assert "belongs to 'u2'" in frame[4]["response"]["reason"]
        assert join(ws, ref="2") == ok("2", "2", TOPIC)
        emu.trigger("note", ["u2", "u1"])
        assert recv(ws)[:4] == ["2", None, TOPIC, "new-message"]


def test_events_on_topics_not_joined_or_unknown_events_are_refused(
    served: tuple[Emulator, str],
) -> None:
    _, base_url = served
    with open_socket(base_url) as ws:
        send(ws, None, "5", TOPIC, "shout", {})
        assert recv(ws) == error(None, "5", TOPIC, "unmatched topic")
        join(ws)
        send(ws, "1", "6", TOPIC, "shout", {})
        frame = recv(ws)
        assert frame[:2] == ["1", "6"]
        assert frame[4]["status"] == "error"


REFUSED_CONNECTS: list[tuple[dict[str, str], str, str]] = [
    ({"api_key": "nope"}, "api_key_missing", "pk_"),
    ({"api_key": ""}, "api_key_missing", "pk_"),
    ({"vsn": "1.0.0"}, "invalid_params", "?vsn=2.0.0"),
]


@pytest.mark.parametrize(("params", "code", "fix"), REFUSED_CONNECTS, ids=str)
def test_a_refused_connect_gets_403_at_the_upgrade_saying_why(
    served: tuple[Emulator, str], params: dict[str, str], code: str, fix: str
) -> None:
    _, base_url = served
    with pytest.raises(InvalidStatus) as refused:
        open_socket(base_url, **params)
    response = refused.value.response
    assert response.status_code == 403
    body = json.loads(bytes(response.body or b""))
    assert (body["code"], body["status"]) == (code, 403)
    assert fix in body["message"]


@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1:5173"])
def test_a_page_on_another_loopback_origin_opens_the_socket(
    served: tuple[Emulator, str], origin: str
) -> None:
    """The Next.js dev server's page (another port) talks to Doorstep, as the React test does."""
    _, base_url = served
    with open_socket(base_url, origin=origin) as ws:
        assert join(ws) == ok("1", "1", TOPIC)


@pytest.mark.parametrize("make", [knock_app, create_app])
def test_the_socket_checks_origin_against_the_cors_allow_list(
    make: Callable[..., Any],
) -> None:
    """Browsers apply no CORS to websockets: an origin the API would refuse is refused here."""
    app = make(emulator(), cors_origins=["https://app.example.com"])
    with ServerThread(app) as server:
        with open_socket(server.base_url, origin="https://app.example.com") as ws:
            assert join(ws) == ok("1", "1", TOPIC)
        with pytest.raises(InvalidStatus) as refused:
            open_socket(server.base_url, origin="https://evil.example")
    response = refused.value.response
    body = json.loads(bytes(response.body or b""))
    assert (response.status_code, body["code"]) == (403, "origin_not_allowed")
    assert "--cors-origin" in body["message"]


MALFORMED: list[tuple[str | bytes, int]] = [
    ("not json", 1007),
    ('{"topic": "phoenix"}', 1007),
    ('[null, "1", "phoenix"]', 1007),
    ('[null, "1", 5, "heartbeat", {}]', 1007),
    ('[null, true, "phoenix", "heartbeat", {}]', 1007),
    (b"\x00\x01binary", 1003),
    ('[null, "1", "phoenix", "heartbeat", "' + "x" * (1024 * 1024) + '"]', 1009),
]


@pytest.mark.parametrize(("frame", "code"), MALFORMED, ids=lambda v: str(v)[:24])
def test_malformed_frames_close_the_socket_with_a_reason(
    served: tuple[Emulator, str], frame: str | bytes, code: int
) -> None:
    _, base_url = served
    with open_socket(base_url) as ws:
        ws.send(frame)
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == code
    assert closed.value.rcvd.reason


def test_subscribe_messages_hears_every_new_message_until_unsubscribed() -> None:
    emu = emulator()
    heard: list[Message] = []

    def broken(message: Message) -> None:
        raise RuntimeError("a listener bug")

    emu.subscribe_messages(broken)  # logged; the run and the other listeners go on
    unsubscribe = emu.subscribe_messages(heard.append)
    emu.trigger("note", ["u1"])
    emu.trigger("mail", ["u1"])
    emu.reset()
    emu.identify("u1", email="ada@example.com")
    emu.trigger("note", ["u1"])
    assert [(m.channel_type, m.workflow) for m in heard] == [
        ("in_app_feed", "note"),
        ("email", "mail"),
        ("in_app_feed", "note"),
    ]
    unsubscribe()
    unsubscribe()  # twice is harmless
    emu.trigger("note", ["u1"])
    assert len(heard) == 3
    assert emu.messages()[-1].status == "delivered"


def test_the_clients_refetch_before_its_head_gets_just_the_new_items(
    served: tuple[Emulator, str],
) -> None:
    """What `@knocklabs/client` does on `new-message`: fetch `before` its head's `__cursor`."""
    emu, base_url = served
    feed = f"{base_url}/v1/users/u1/feeds/in-app-feed"
    with (
        open_socket(base_url) as ws,
        httpx.Client(headers={"Authorization": "Bearer sk_t"}) as http,
    ):
        join(ws)
        emu.trigger("note", ["u1"], data={"n": 1})
        recv(ws)
        head = http.get(feed, params=OPTIONS).json()["entries"][0]
        emu.trigger("note", ["u1"], data={"n": 2})
        emu.trigger("note", ["u1"], data={"n": 3})
        pushes = [recv(ws), recv(ws)]  # one per message; counts as of when each is sent
        assert [p[3] for p in pushes] == ["new-message", "new-message"]
        assert pushes[-1][4]["data"][CLIENT]["metadata"]["total_count"] == 3
        newer = http.get(feed, params=OPTIONS | {"before": head["__cursor"]}).json()
        assert [e["data"]["n"] for e in newer["entries"]] == [3, 2]


def test_a_socket_that_falls_behind_gets_one_catch_up_instead_of_a_backlog() -> None:
    emu = emulator()
    for n in range(4):
        emu.trigger("note", ["u1"], data={"n": n})
    first, second, third, fourth = emu.messages()

    async def scenario() -> list[Message | None]:
        inbox = Inbox(asyncio.get_running_loop(), maxsize=2)
        for message in (first, second, third):
            inbox.post(message)  # the third overflows: backlog dropped for one catch-up
        got = [await asyncio.wait_for(inbox.get(), TIMEOUT)]
        inbox.post(fourth)
        got.append(await asyncio.wait_for(inbox.get(), TIMEOUT))
        return got

    assert asyncio.run(scenario()) == [None, fourth]


def test_the_catch_up_payload_names_every_feed_client_with_its_counts() -> None:
    emu = emulator()
    ctx = knock_app(emu).state.knock
    emu.trigger("note", ["u1"], tenant="acme")
    emu.trigger("note", ["u1"])
    clients = {CLIENT: OPTIONS, "client_acme": {"tenant": "acme"}}
    with emu.lock:
        joined = feed_join(ctx, TOPIC, FeedTopic("in-app-feed", "u1"), "1", clients)
        payload = new_message_payload(ctx, joined, None)
    assert payload == {
        "event": "new-message",
        "metadata": counts(2, 2, 2),
        "data": {
            CLIENT: {"metadata": counts(2, 2, 2)},
            "client_acme": {"metadata": counts(1, 1, 1)},
        },
        "attn": [CLIENT, "client_acme"],
    }


@pytest.fixture
def enhanced() -> Iterator[tuple[Emulator, str, SigningKey]]:
    """Enhanced security: the socket needs a user token signed with the environment's key."""
    emu, key = emulator(), SigningKey.generate()
    with ServerThread(knock_app(emu, enhanced_security=True, signing_key=key)) as server:
        yield emu, server.base_url, key


def test_enhanced_security_joins_the_signed_users_feed_only(
    enhanced: tuple[Emulator, str, SigningKey],
) -> None:
    emu, base_url, key = enhanced
    with open_socket(base_url, user_token=sign_user_token("u1", key)) as ws:
        frame = join(ws, "feeds:in-app-feed:u2")
        assert frame[4]["status"] == "error"
        assert "belongs to 'u2'" in frame[4]["response"]["reason"]
        assert join(ws, ref="2") == ok("2", "2", TOPIC)
        emu.trigger("note", ["u1"])
        assert recv(ws)[:4] == ["2", None, TOPIC, "new-message"]


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (None, "missing_user_token"),
        ("forged", "invalid_user_token"),
        ("expired", "invalid_user_token"),
        ("unsigned", "invalid_user_token"),
    ],
)
def test_enhanced_security_refuses_a_connect_without_a_good_token(
    enhanced: tuple[Emulator, str, SigningKey], token: str | None, code: str
) -> None:
    _, base_url, key = enhanced
    tokens = {
        "forged": sign_user_token("u1", SigningKey.generate()),
        "expired": sign_user_token("u1", key, expires_in=-60),
        "unsigned": unsigned_token("u1"),
    }
    params = {} if token is None else {"user_token": tokens[token]}
    with pytest.raises(InvalidStatus) as refused:
        open_socket(base_url, **params)
    assert refused.value.response.status_code == 403
    assert json.loads(bytes(refused.value.response.body or b""))["code"] == code


GUIDES = "guides:in-app-guide"


@pytest.mark.parametrize(
    ("payload", "token", "reason"),
    [
        ({"user_id": "u1", "tenant": "t1"}, None, None),
        ({"tenant": "t1"}, None, "join payload must name the user"),
        ({"user_id": "u2"}, "u1", "belongs to 'u2'"),
    ],
    ids=["joined", "no-user", "other-user"],
)
def test_the_guide_client_joins_its_guides_channel(
    served: tuple[Emulator, str], payload: dict[str, str], token: str | None, reason: str | None
) -> None:
    """`@knocklabs/client`'s guide client joins `guides:{channel_id}` with its user and target
    params; the join is checked like a feed's; leaving replies and closes."""
    _, base_url = served
    params = {} if token is None else {"user_token": unsigned_token(token)}
    with open_socket(base_url, **params) as ws:
        frame = join(ws, GUIDES, payload)
        if reason is not None:
            assert frame[4]["status"] == "error"
            assert reason in frame[4]["response"]["reason"]
            return
        assert frame == ok("1", "1", GUIDES)
        send(ws, "1", "2", GUIDES, "phx_leave", {})
        assert recv(ws) == ok("1", "2", GUIDES)
        assert recv(ws) == ["1", "1", GUIDES, "phx_close", {}]
        nothing_pushed(ws)
