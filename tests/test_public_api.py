"""Every public name has a short docstring, and so does every public method of a public class."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest

import emulator
import emulator.http
import emulator.mail
import emulator.scenarios

PUBLIC_PACKAGES = (emulator, emulator.mail, emulator.http, emulator.scenarios)


def _undocumented(package: ModuleType) -> list[str]:
    missing = []
    for name in package.__all__:
        value = getattr(package, name)
        if (inspect.isclass(value) or inspect.isfunction(value)) and not inspect.getdoc(value):
            missing.append(name)
        if not inspect.isclass(value):
            continue
        for attribute, member in vars(value).items():
            if attribute.startswith("_"):
                continue
            function = member.fget if isinstance(member, property) else member
            if inspect.isfunction(function) and not (function.__doc__ or "").strip():
                missing.append(f"{name}.{attribute}")
    return missing


@pytest.mark.parametrize("package", PUBLIC_PACKAGES, ids=lambda p: p.__name__)
def test_every_public_name_has_a_docstring(package: ModuleType) -> None:
    assert _undocumented(package) == []


@pytest.mark.parametrize("package", PUBLIC_PACKAGES, ids=lambda p: p.__name__)
def test_all_lists_only_names_the_package_has(package: ModuleType) -> None:
    assert sorted(set(package.__all__)) == sorted(package.__all__), "duplicates in __all__"
    assert [n for n in package.__all__ if not hasattr(package, n)] == []


def test_the_check_sees_a_missing_docstring() -> None:
    class Documented:
        """A class."""

        def method(self) -> None:
            pass

    fake = ModuleType("fake")
    fake.Documented = Documented  # type: ignore[attr-defined]
    fake.__all__ = ["Documented"]  # type: ignore[attr-defined]
    assert _undocumented(fake) == ["Documented.method"]
