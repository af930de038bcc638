// Drives the real @knocklabs/client guide client (KnockGuideClient, what KnockGuideProvider
// wraps) from Node against Doorstep: one JSON command per stdin line, one JSON reply per stdout
// line (after REPLY). Used by tests/test_knock_client_guides.py.
//
// The guide client's engagement calls are fire-and-forget (`void markGuideStepAs(...)`): the
// user client's method is wrapped so a command can wait for the request it caused.
globalThis.window = globalThis;
if (typeof globalThis.WebSocket === "undefined") {
  globalThis.WebSocket = require("ws");
}
const { default: Knock, KnockGuideClient } = require("@knocklabs/client");
const readline = require("node:readline");

const REPLY = "@@reply ";

let knock = null;
let guides = null;
const pending = [];

function snapshot() {
  const state = guides.store.state;
  const out = {};
  for (const [key, guide] of Object.entries(state.guides)) {
    out[key] = { steps: guide.steps.map((s) => ({ ref: s.ref, content: s.content, message: s.message })) };
  }
  return {
    ok: true,
    guides: out,
    ineligible: Object.values(state.ineligibleGuides).map((i) => [i.key, i.reason]),
    groups: state.guideGroups.map((g) => g.display_sequence),
  };
}

const commands = {
  // new Knock(apiKey, {host}), authenticate, a guide client for the channel with target params
  async init({ apiKey, host, userId, channelId, data, tenant }) {
    knock = new Knock(apiKey, { host });
    knock.authenticate(userId);
    const original = knock.user.markGuideStepAs.bind(knock.user);
    knock.user.markGuideStepAs = (...args) => {
      const request = original(...args);
      pending.push(request);
      return request;
    };
    guides = new KnockGuideClient(
      knock,
      channelId,
      { data: data || undefined, tenant: tenant || undefined },
      { trackLocationFromWindow: false, throttleCheckInterval: 0 },
    );
    return { ok: true };
  },
  async fetch() {
    const status = await guides.fetch({ force: true });
    if (status.status !== "ok") return { ok: false, error: String(status.error) };
    return snapshot();
  },
  // the guides the client would render at `location` (its activation rules), in order
  async select({ location, type }) {
    guides.setLocation(location);
    const selected = guides._selectGuides(guides.store.state, type ? { type } : {});
    return { ok: true, keys: [...selected.values()].map((g) => g.key) };
  },
  // step.markAsSeen / markAsInteracted / markAsArchived on the guide's current step
  async mark({ key, action, metadata }) {
    const guide = guides.store.state.guides[key];
    const step = guide.getStep();
    if (action === "seen") await step.markAsSeen();
    else if (action === "interacted") await step.markAsInteracted({ metadata });
    else await step.markAsArchived();
    const results = await Promise.all(pending.splice(0));
    return { ok: true, ref: step.ref, results };
  },
  async reset({ key }) {
    await guides.resetEngagement(guides.store.state.guides[key]);
    return snapshot();
  },
  // subscribe to real time updates; resolves once the guides channel is joined
  async subscribe() {
    guides.subscribe();
    const socket = knock.client().socket;
    const topic = `guides:${guides.channelId}`;
    const isJoined = () => socket.channels.some((c) => c.topic === topic && c.state === "joined");
    while (!isJoined()) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { ok: true, topic };
  },
  async exit() {
    guides.cleanup();
    knock.teardown();
    setImmediate(() => process.exit(0));
    return { ok: true };
  },
};

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const { command, ...args } = JSON.parse(line);
  let reply;
  try {
    reply = await commands[command](args);
  } catch (error) {
    const response = (error && error.response) || {};
    reply = { ok: false, status: response.status, body: response.data, error: String(error) };
  }
  process.stdout.write(REPLY + JSON.stringify({ command, ...reply }) + "\n");
});
lines.on("close", () => process.exit(0));
