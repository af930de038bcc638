"""The pytest11 entry point: fixtures and hooks, built from the emulator's public API."""
