// Drives the real @knocklabs/client (the browser SDK) from Node against Doorstep: one JSON command
// per stdin line, one JSON reply per stdout line (after REPLY, as the client may log too), so the
// Python test can trigger workflows between steps. Used by tests/test_knock_client_node.py.
//
// The client opens its realtime socket only where `window` exists and phoenix takes the
// WebSocket of `window`: Node 20 has neither, so both are provided before the client loads
// (the pinned `ws` package where Node has no WebSocket of its own).
globalThis.window = globalThis;
if (typeof globalThis.WebSocket === "undefined") {
  globalThis.WebSocket = require("ws");
}
const Knock = require("@knocklabs/client").default;
const { signUserToken } = require("@knocklabs/node");
const readline = require("node:readline");

const REPLY = "@@reply ";

let knock = null;
let feed = null;
const realtime = []; // items.received.realtime payloads not yet taken
const waiters = []; // pending waits for one
const socketRefusals = []; // socket errors and refused joins, as text

function summary(items) {
  return items.map((item) => ({
    id: item.id,
    seen_at: item.seen_at,
    read_at: item.read_at,
    blocks: item.blocks,
  }));
}

// A fetch or status call's result in the client's own shape: ok, or the HTTP error it reported.
function outcome(result) {
  if (result && result.status === "error") {
    const error = result.data || {};
    const response = error.response || {};
    return { ok: false, status: response.status, body: response.data };
  }
  return { ok: true };
}

function watchSocket() {
  const socket = knock.client().socket;
  if (!socket) return;
  socket.onError((error) => socketRefusals.push(`socket error: ${error && error.message}`));
  socket.onMessage((msg) => {
    if (msg.event === "phx_reply" && msg.payload && msg.payload.status === "error") {
      socketRefusals.push(`join refused on ${msg.topic}: ${JSON.stringify(msg.payload)}`);
    }
  });
}

const commands = {
  // new Knock(apiKey, {host}), authenticate(userId, token), initialize the feed, listen live
  async init({ apiKey, host, userId, token, feedId }) {
    knock = new Knock(apiKey, { host });
    knock.authenticate(userId, token || undefined);
    feed = knock.feeds.initialize(feedId);
    feed.on("items.received.realtime", (payload) => {
      const waiter = waiters.shift();
      if (waiter) waiter(payload);
      else realtime.push(payload);
    });
    watchSocket();
    feed.listenForUpdates();
    return { ok: true };
  },
  // resolves once the feed's channel (feeds:{feedId}:{userId}) is joined on the socket
  async joined() {
    const socket = knock.client().socket;
    const topic = feed.socketChannelTopic;
    const isJoined = () => socket.channels.some((c) => c.topic === topic && c.state === "joined");
    while (!isJoined()) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { ok: true, topic };
  },
  // the server side's token, as a Next.js route would make it (@knocklabs/node)
  async sign({ userId, signingKey, expiresInSeconds }) {
    return { ok: true, token: await signUserToken(userId, { signingKey, expiresInSeconds }) };
  },
  async fetch() {
    const result = await feed.fetch();
    if (!result) return { ok: false, error: "fetch skipped: the feed had a request in flight" };
    if (result.status === "error") return outcome(result);
    return { ok: true, items: summary(result.data.entries), meta: result.data.meta };
  },
  // resolves with the next items.received.realtime event (the socket's new-message, refetched)
  async realtime() {
    const payload = realtime.shift() || (await new Promise((resolve) => waiters.push(resolve)));
    return { ok: true, items: summary(payload.items), meta: payload.metadata };
  },
  // resolves once the socket connection failed or a channel join was refused
  async socketRefused() {
    while (socketRefusals.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { ok: true, reasons: socketRefusals };
  },
  async markAsSeen({ id }) {
    return outcome(await feed.markAsSeen(itemById(id)));
  },
  async markAsRead({ id }) {
    return outcome(await feed.markAsRead(itemById(id)));
  },
  async markAllAsRead() {
    return outcome(await feed.markAllAsRead());
  },
  async state() {
    const { items, metadata } = feed.getState();
    return { ok: true, items: summary(items), meta: metadata };
  },
  async getPreferences() {
    return { ok: true, preferences: await knock.user.getPreferences() };
  },
  async setPreferences({ preferences }) {
    return { ok: true, preferences: await knock.user.setPreferences(preferences) };
  },
  async exit() {
    knock.teardown();
    setImmediate(() => process.exit(0));
    return { ok: true };
  },
};

function itemById(id) {
  const item = feed.getState().items.find((each) => each.id === id);
  if (!item) throw new Error(`no item ${id} in the feed's store; fetch first`);
  return item;
}

// Errors the client throws (preferences, users) carry the HTTP response like fetch's do.
function thrown(error) {
  const response = (error && error.response) || {};
  return { ok: false, status: response.status, body: response.data, error: String(error) };
}

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const { command, ...args } = JSON.parse(line);
  let reply;
  try {
    reply = await commands[command](args);
  } catch (error) {
    reply = thrown(error);
  }
  process.stdout.write(REPLY + JSON.stringify({ command, ...reply }) + "\n");
});
lines.on("close", () => process.exit(0));
