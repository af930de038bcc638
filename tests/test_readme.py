"""Every example in README.md runs as written: Python blocks (test functions through pytester),
scenario YAML blocks through the scenario runner, and the config block through `load_config`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import emulator  # noqa: F401  (pytester in-process runs must not re-import libyaml's C parser)
from emulator import load_config
from emulator.scenarios import load_scenario, run_scenario

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PYTHON = re.findall(r"```python\n(.*?)```", README, flags=re.S)
YAML = re.findall(r"```yaml\n(.*?)```", README, flags=re.S)
SCRIPTS = [b for b in PYTHON if "def test_" not in b]
TESTS = [b for b in PYTHON if "def test_" in b]
SCENARIOS = [b for b in YAML if "\nsteps:" in b and "trigger:" in b]
CONFIGS = [b for b in YAML if b.startswith("vars:")]
ENVIRONMENTS = [b for b in YAML if b.startswith("environments:")]


def test_readme_has_examples_of_every_kind() -> None:
    assert (len(SCRIPTS), len(TESTS), len(SCENARIOS), len(CONFIGS)) >= (4, 1, 1, 1)


@pytest.mark.parametrize("source", SCRIPTS, ids=[f"script{i}" for i in range(len(SCRIPTS))])
def test_readme_script_runs(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(source, "README.md", "exec"), {"__name__": "readme"})


@pytest.mark.parametrize("source", TESTS, ids=[f"pytest{i}" for i in range(len(TESTS))])
def test_readme_pytest_example_passes(source: str, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme_example=source)
    result = pytester.runpytest_subprocess(
        f"--doorstep-workflows={ROOT / 'fixtures' / 'workflows'}",
        f"--doorstep-config={ROOT / 'fixtures' / 'doorstep.yaml'}",
    )
    result.assert_outcomes(passed=source.count("def test_"))


@pytest.mark.parametrize("source", SCENARIOS, ids=[f"scenario{i}" for i in range(len(SCENARIOS))])
def test_readme_scenario_passes(source: str, tmp_path: Path) -> None:
    # The example sits in fixtures/scenarios/ in spirit: `../workflows` must resolve the same way.
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (tmp_path / "workflows").symlink_to(ROOT / "fixtures" / "workflows")
    (tmp_path / "doorstep.yaml").symlink_to(ROOT / "fixtures" / "doorstep.yaml")
    path = folder / "readme.scenario.yaml"
    path.write_text(source)
    result = run_scenario(load_scenario(path))
    assert result.passed, result.report()


@pytest.mark.parametrize("source", CONFIGS, ids=[f"config{i}" for i in range(len(CONFIGS))])
def test_readme_config_loads(source: str, tmp_path: Path) -> None:
    path = tmp_path / "doorstep.yaml"
    path.write_text(source)
    config = load_config(path)
    assert config.vars["app_url"] == "https://app.example.com"
    assert config.channels["twilio"].sandbox_mode
    assert config.tenant_translations["acme-corp"]["en"]["greeting"] == "Greetings from Acme Corp!"


def test_readme_environments_config_loads(tmp_path: Path) -> None:
    [source] = ENVIRONMENTS
    path = tmp_path / "doorstep.yaml"
    path.write_text(source)
    config = load_config(path)
    assert [env.name for env in config.environments] == ["development", "staging", "production"]
    assert config.environments[2].keys == ("sk_live_team", "pk_live_team")


FIXTURE_BLOCKS = [b for b in YAML if b.startswith("# fixtures/")]


def _within(shown: object, real: object, path: str = "$") -> None:
    """Every key and value `shown` has is in `real` (lists item by item)."""
    if isinstance(shown, dict):
        assert isinstance(real, dict), path
        for key, value in shown.items():
            assert key in real, f"{path}.{key} is not in the fixture"
            _within(value, real[key], f"{path}.{key}")
    elif isinstance(shown, list):
        assert isinstance(real, list), path
        assert len(shown) <= len(real), path
        for i, value in enumerate(shown):
            _within(value, real[i], f"{path}[{i}]")
    else:
        assert shown == real, f"{path}: README says {shown!r}, the fixture {real!r}"


@pytest.mark.parametrize("source", FIXTURE_BLOCKS, ids=lambda b: b.split("\n", 1)[0][2:])
def test_readme_fixture_excerpts_match_the_files(source: str) -> None:
    import yaml

    name = source.split("\n", 1)[0][2:].split(" ")[0]
    assert name.startswith("fixtures/")
    _within(yaml.safe_load(source), yaml.safe_load((ROOT / name).read_text()))
