"""Doorstep: a local emulator for Knock-style notification workflows."""

__all__: list[str] = []
