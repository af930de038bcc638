"""Environments in `doorstep serve`: each has its own data, a request's key picks its environment,
the inspection API and inspector are filtered with `?environment=`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator import (
    DefinitionError,
    Emulator,
    Environment,
    Environments,
    UnknownEnvironmentError,
    load_config,
)
from emulator.cli._serve import ServeOptions, Service, bundled_config

RECIPIENT = {"id": "u1", "email": "u1@example.com", "name": "Una"}
INVOICE = {"invoice_id": "inv_1", "amount": 10, "status": "open"}


def _config(tmp_path: Path, environments: str) -> Path:
    path = tmp_path / "doorstep.yaml"
    path.write_text(bundled_config().read_text() + "\n" + environments)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [("development", ()), ("production", ())]),
        ("environments: [development, staging, production]\n",
         [("development", ()), ("staging", ()), ("production", ())]),
        ("environments:\n  development: {keys: [sk_test_a, pk_test_a]}\n"
         "  production: {keys: [sk_live_a]}\n",
         [("development", ("sk_test_a", "pk_test_a")), ("production", ("sk_live_a",))]),
    ],
)  # fmt: skip
def test_config_environments(tmp_path: Path, text: str, expected: list[Any]) -> None:
    path = tmp_path / "doorstep.yaml"
    path.write_text(text)
    config = load_config(path)
    assert [(env.name, env.keys) for env in config.environments] == expected


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("environments: development\n", "environments", "must be a list or a mapping"),
        ("environments: [Dev Env]\n", "environments[0]", "not an environment slug"),
        ("environments: [development, development]\n", "environments[1]", "listed twice"),
        ("environments: {development: {keys: [abc]}}\n", "environments.development.keys",
         "sk_... and pk_..."),
        ("environments: {development: {keys: [sk_a]}, production: {keys: [sk_a]}}\n",
         "environments.production.keys", "also development's"),
        ("environments: {production: {workflows: ./nowhere}}\n",
         "environments.production.workflows", "not a directory"),
        ("environments: {production: {colour: red}}\n", "environments.production.colour",
         "unknown environment setting"),
    ],
)  # fmt: skip
def test_config_environment_errors_name_the_key(
    tmp_path: Path, text: str, path: str, message: str
) -> None:
    file = tmp_path / "doorstep.yaml"
    file.write_text(text)
    with pytest.raises(DefinitionError) as caught:
        load_config(file)
    problems = caught.value.problems
    assert [p.path for p in problems] == [path]
    assert message in problems[0].message
    assert problems[0].file == str(file)


def _environments(*names: str, keys: dict[str, frozenset[str]] | None = None) -> Environments:
    keys = keys or {}
    return Environments(
        [Environment(name, Emulator(), keys.get(name, frozenset())) for name in names]
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (None, "development"),
        ("sk_test_doorstep", "development"),
        ("pk_test_doorstep", "development"),
        ("sk_live_doorstep", "production"),
        ("pk_live_doorstep", "production"),
        ("sk_production_x", "production"),
        ("sk_staging_x", "staging"),
        ("sk_anything", "development"),
        ("sk_qa_x", "development"),
    ],
)
def test_default_key_mapping(key: str | None, expected: str) -> None:
    environments = _environments("development", "staging", "production")
    assert environments.for_key(key).name == expected


def test_configured_keys_win_over_the_default_mapping() -> None:
    environments = _environments(
        "development", "production", keys={"production": frozenset({"sk_test_prod"})}
    )
    assert environments.for_key("sk_test_prod").name == "production"
    assert environments.keys_configured
    assert environments.above("development") is environments.get("production")
    assert environments.above("production") is None
    with pytest.raises(UnknownEnvironmentError, match="development, production"):
        environments.get("staging")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    config = _config(tmp_path, "environments: [development, staging, production]\n")
    options = ServeOptions(http_port=0, smtp_port=0, clock="manual", config=config)
    running = Service(options).start()
    try:
        yield running
    finally:
        running.stop()


def _trigger(base: str, key: str) -> httpx.Response:
    return httpx.post(
        f"{base}/v1/workflows/invoice-created/trigger",
        json={"recipients": [RECIPIENT], "data": INVOICE},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )


@pytest.mark.parametrize(
    ("key", "environment"),
    [("sk_test_app", "development"), ("sk_staging_app", "staging"), ("sk_live_app", "production")],
)
def test_a_key_reaches_its_environment_only(service: Service, key: str, environment: str) -> None:
    base = f"http://127.0.0.1:{service.http.port}"
    assert _trigger(base, key).status_code == 200
    for env in service.environments:
        runs = httpx.get(f"{base}/api/runs", params={"environment": env.name}, timeout=10).json()
        assert len(runs["runs"]) == (1 if env.name == environment else 0), env.name
        assert len(env.emulator.runs()) == (1 if env.name == environment else 0)


def test_each_environment_has_its_own_users_and_mail(service: Service) -> None:
    base = f"http://127.0.0.1:{service.http.port}"
    dev, prod = "Bearer sk_test_app", "Bearer sk_live_app"
    put = httpx.put(
        f"{base}/v1/users/u9", json={"name": "Dev"}, headers={"Authorization": dev}, timeout=10
    )
    assert put.status_code == 200
    assert httpx.get(f"{base}/v1/users/u9", headers={"Authorization": dev}, timeout=10).is_success
    missing = httpx.get(f"{base}/v1/users/u9", headers={"Authorization": prod}, timeout=10)
    assert missing.status_code == 404
    assert _trigger(base, "sk_live_app").status_code == 200
    mail = httpx.get(f"{base}/api/v1/messages?environment=production", timeout=10).json()
    assert mail["total"] == 1
    assert httpx.get(f"{base}/api/v1/messages", timeout=10).json()["total"] == 0


def test_the_inspector_remembers_its_environment(service: Service) -> None:
    base = f"http://127.0.0.1:{service.http.port}"
    assert _trigger(base, "sk_live_app").status_code == 200
    with httpx.Client(base_url=base, timeout=10) as client:
        first = client.get("/api/runs?environment=production")
        assert "doorstep_environment=production" in first.headers["set-cookie"]
        assert len(client.get("/api/runs").json()["runs"]) == 1  # the cookie keeps production
        assert len(client.get("/api/runs?environment=development").json()["runs"]) == 0
    unknown = httpx.get(f"{base}/api/runs?environment=qa", timeout=10)
    assert unknown.status_code == 404
    assert "development, staging, production" in unknown.json()["error"]


def test_configured_keys_are_the_only_secret_keys(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        "environments:\n  development: {keys: [sk_dev_team]}\n"
        "  production: {keys: [sk_prod_team]}\n",
    )
    options = ServeOptions(http_port=0, smtp_port=0, clock="manual", config=config)
    service = Service(options).start()
    try:
        base = f"http://127.0.0.1:{service.http.port}"
        assert _trigger(base, "sk_prod_team").status_code == 200
        assert len(service.environments.get("production").emulator.runs()) == 1
        refused = _trigger(base, "sk_test_other")
        assert refused.status_code == 401
        assert refused.json()["code"] == "api_key_missing"
        assert "development (sk_dev_team)" in service.banner()
        assert "production (sk_prod_team)" in service.banner()
    finally:
        service.stop()


def test_banner_lists_the_default_environments() -> None:
    service = Service(ServeOptions(http_port=0, smtp_port=0, clock="manual"))
    try:
        line = next(x for x in service.banner().splitlines() if "Environments:" in x)
        assert "development (sk_test_...)" in line
        assert "production (sk_live_...)" in line
    finally:
        for env in service.environments:
            env.emulator.outbox.close()
