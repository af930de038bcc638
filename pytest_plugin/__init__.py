"""pytest fixtures and assertions for Doorstep (registered through the pytest11 entry point)."""
