"""Start-up: `import emulator` and the plugin's start load nothing heavy; names load on use."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import emulator.scenarios  # noqa: F401  (pytester in-process runs must not re-import libyaml)

pytest_plugins = ["pytester"]

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"
HEAVY = ("emulator._emulator", "emulator.engine", "emulator.templates", "liquid", "yaml")
_LOADED = """
import json, sys
{code}
print(json.dumps(sorted(m for m in sys.modules if m in {heavy!r} or m.startswith("emulator"))))
"""


def _loaded_after(code: str) -> list[str]:
    script = _LOADED.format(code=code, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    loaded: list[str] = json.loads(out.stdout)
    return loaded


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import emulator", ["emulator"]),
        ("import emulator.core", ["emulator", "emulator.core"]),
    ],
)
def test_import_loads_only_what_is_named(code: str, expected: list[str]) -> None:
    assert [m for m in _loaded_after(code) if "._" not in m] == expected


@pytest.mark.parametrize(
    "code",
    [
        "from emulator import Emulator; assert Emulator.__module__ == 'emulator._emulator'",
        "import emulator; assert emulator.Emulator is emulator._emulator.Emulator",
        "import emulator; assert emulator.mail.Mailbox is emulator.Mailbox",
        "import emulator; assert not hasattr(emulator, 'nothing_by_that_name')",
        "import emulator; assert {'Emulator', 'USERS'} <= set(dir(emulator))",
    ],
)
def test_public_names_load_on_first_use(code: str) -> None:
    _loaded_after(code)  # each case asserts in the child


CONFTEST = """
import json, sys

HEAVY = {heavy!r}
seen = {{}}

def pytest_collection_finish(session):
    seen["collected"] = [m for m in HEAVY if m in sys.modules]

def pytest_sessionfinish(session):
    print("LOADED", json.dumps([seen["collected"], [m for m in HEAVY if m in sys.modules]]))
"""


def test_the_plugin_loads_the_emulator_only_when_a_test_uses_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(tmp_path / "bytecode"))
    pytester.makeini(f"[pytest]\ndoorstep_workflows = {WORKFLOWS}\n")
    pytester.makeconftest(CONFTEST.format(heavy=HEAVY))
    pytester.makepyfile("def test_it(emulator):\n    assert emulator.clock.now\n")
    loaded = []
    for _ in range(2):
        result = pytester.runpytest_subprocess("-s", "-p", "no:randomly")
        result.assert_outcomes(passed=1)
        loaded.append(json.loads(result.stdout.str().split("LOADED ", 1)[1].splitlines()[0]))
    nothing_rendered = [m for m in HEAVY if m != "liquid"]
    assert loaded[0] == [[], nothing_rendered]
    # The next session reads the definitions the first kept on disk: YAML is not even loaded.
    assert loaded[1] == [[], [m for m in nothing_rendered if m != "yaml"]]


@pytest.mark.parametrize(
    ("code", "liquid"),
    [
        ("from emulator import Emulator; Emulator.from_directory(sys.argv[1])", False),
        (
            "from emulator import Emulator; emu = Emulator.from_directory(sys.argv[1]); "
            "emu.identify('u1', email='u1@example.com'); "
            "emu.trigger('invoice-created', ['u1'], data={'invoice_id': 'inv_1'})",
            True,
        ),
    ],
)
def test_liquid_loads_on_the_first_render(code: str, liquid: bool) -> None:
    script = f"import sys\n{code}\nprint(sorted({{'liquid', 'babel'}} & set(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script, str(WORKFLOWS)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == (["['babel',", "'liquid']"] if liquid else ["[]"])


# What a fresh Emulator over loaded definitions does not need: each loads with its first use.
ON_FIRST_USE = (
    "smtplib",  # an SMTP provider's first send
    "ssl",
    "uuid",
    "hashlib",  # cohort steps, signed fetches
    "hmac",
    "logging",  # a failing listener
    "difflib",  # "did you mean" hints
    "css_inline",  # the first email rendered
    "html.parser",  # an email's text part or MIME
    "email.parser",
    "emulator.mail._mime",
    "emulator.mail._quick_mime",  # mail arriving over SMTP
    "emulator.core._user_tokens",
    "emulator.templates._channels",  # the first channel step rendered (email assembly, html)
    "html",
    "emulator.engine.steps",  # the first step a run executes
    "emulator.engine._dispatch",  # the first trigger or due schedule
    "emulator.definitions._config",  # a config file
)


@pytest.mark.parametrize(
    "code",
    [
        "from emulator import Emulator; Emulator.from_directory(sys.argv[1])",
        "from emulator import Emulator; Emulator()",
    ],
)
def test_an_emulator_loads_no_more_than_it_needs(code: str) -> None:
    script = f"import sys\n{code}\nprint(sorted(set({ON_FIRST_USE!r}) & set(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script, str(WORKFLOWS)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


LAZY_PACKAGES = (
    "emulator",
    "emulator.core",
    "emulator.definitions",
    "emulator.engine",
    "emulator.stores",
    "emulator.mail",
    "emulator.templates",
)


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_public_name_of_a_lazy_package_loads(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError, match="no attribute 'nothing_by_that_name'"):
        getattr(module, "nothing_by_that_name")  # noqa: B009


@pytest.mark.parametrize("package", LAZY_PACKAGES[1:])
def test_importing_a_package_loads_none_of_its_modules(package: str) -> None:
    loaded = _loaded_after(f"import {package}")
    assert [m for m in loaded if m.startswith(f"{package}.")] == []


def test_the_engine_loads_with_the_first_emulator() -> None:
    facade = _loaded_after("from emulator import Emulator")
    assert "emulator.engine._engine" not in facade
    assert not [m for m in facade if m.startswith(("emulator.stores.", "emulator.templates."))]
    built = _loaded_after("from emulator import Emulator; Emulator()")
    assert {"emulator.engine._engine", "emulator.stores._runs"} <= set(built)
    assert "yaml" not in built  # YAML loads with the first config or directory loaded


def _name_lists(package: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]], set[str]]:
    """A lazy package root's three lists of its names, read from its source: what mypy imports
    (under TYPE_CHECKING), what `lazy_exports` loads, and `__all__` (each as (module, name))."""
    module = importlib.import_module(package)
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text())
    typed: set[tuple[str, str]] = set()
    lazy: set[tuple[str, str]] = set()
    listed: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                assert imp.module is not None
                typed |= {(imp.module, alias.asname or alias.name) for alias in imp.names}
        elif isinstance(node, ast.If) and ast.unparse(node.test) == "not TYPE_CHECKING":
            assign = node.body[0]
            assert isinstance(assign, ast.Assign)
            assert isinstance(assign.value, ast.Call)
            homes = ast.literal_eval(assign.value.args[1])
            lazy |= {(f"{package}.{home}", name) for home, names in homes.items() for name in names}
        elif isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__":
            listed |= set(ast.literal_eval(node.value))
    return typed, lazy, listed


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_a_lazy_package_lists_each_name_alike_for_mypy_loading_and_all(package: str) -> None:
    typed, lazy, listed = _name_lists(package)
    assert typed == lazy, "names mypy imports (under TYPE_CHECKING) vs names lazy_exports loads"
    assert {name for _, name in lazy} == listed, "names lazy_exports loads vs __all__"


def test_step_executors_load_with_the_first_step_and_keep_handlers_set_before() -> None:
    from emulator import Emulator
    from emulator.engine._wiring import load_step_handlers

    emu = Emulator.from_directory(WORKFLOWS)
    engine = emu._engine
    assert engine.missing_handler is load_step_handlers
    seen: list[str] = []

    def delay(engine: object, rs: object, step: object, record: object) -> str:
        seen.append("mine")
        return "pause"

    engine.step_handlers["delay"] = delay  # set before any run: it stays the delay executor
    emu.identify("u1", email="u1@example.com")
    emu.trigger("unseen-fallback", ["u1"])
    assert engine.missing_handler is not load_step_handlers
    assert seen == ["mine"]
    assert {"channel", "batch", "branch"} <= engine.step_handlers.keys()
