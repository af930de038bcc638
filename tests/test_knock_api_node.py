"""The Knock API driven by the official Node SDK `@knocklabs/node` (query arrays, bodies, 204s).

Needs `node` and the package on NODE_PATH, e.g.
`npm install --prefix /tmp/knode @knocklabs/node && NODE_PATH=/tmp/knode/node_modules pytest ...`;
skipped otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_knock_api import knock_env

pytestmark = pytest.mark.real_client  # may skip locally, never in CI (tests/conftest.py)

SCRIPT = r"""
const Knock = require('@knocklabs/node').default ?? require('@knocklabs/node');
const knock = new Knock({ apiKey: 'sk_node', baseURL: process.env.BASE, maxRetries: 0 });
(async () => {
  const out = {};
  out.user = await knock.users.update('u1', { name: 'Ada', email: 'ada@example.com' });
  out.trigger = await knock.workflows.trigger('unseen-fallback', {
    recipients: ['u1'], data: { message: 'hi', message_id: 'm1' }, cancellation_key: 'c1' });
  const feed = await knock.users.feeds.listItems('u1', 'in-app-feed', { status: 'unseen' });
  out.feed = feed.entries.map((e) => e.id);
  out.seen = await knock.messages.markAsSeen(out.feed[0]);
  out.batch = await knock.messages.batch.markAsRead({ message_ids: out.feed });
  out.filtered = (await knock.messages.list({ engagement_status: ['seen', 'read'] })).items.length;
  out.cancel = await knock.workflows.cancel('unseen-fallback', { cancellation_key: 'c1' });
  try { await knock.users.get('ghost'); } catch (e) {
    out.error = { status: e.status, body: e.error };
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def _node_sdk() -> str | None:
    node = shutil.which("node")
    paths = [p for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    if node is None or not any((Path(p) / "@knocklabs" / "node").is_dir() for p in paths):
        return None
    return node


@pytest.mark.skipif(_node_sdk() is None, reason="node or @knocklabs/node on NODE_PATH missing")
def test_node_sdk_round_trip(tmp_path: Path) -> None:
    script = tmp_path / "knock.js"
    script.write_text(SCRIPT)
    with knock_env() as env:
        done = subprocess.run(
            [str(_node_sdk()), str(script)],
            env={**os.environ, "BASE": env.base_url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert out["user"]["id"] == "u1"
        assert out["trigger"]["workflow_run_id"] == env.emulator.runs()[0].workflow_run_id
        assert len(out["feed"]) == 1
        assert out["seen"]["engagement_statuses"] == ["seen"]
        assert out["batch"][0]["engagement_statuses"] == ["seen", "read"]
        assert out["filtered"] == 1
        assert env.emulator.runs()[0].status == "cancelled"
        assert out["error"]["status"] == 404
        assert out["error"]["body"]["code"] == "resource_missing"
