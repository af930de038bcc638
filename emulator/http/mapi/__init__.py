"""The Knock Management API subset the Knock CLI (`@knocklabs/cli`) calls, under `/mapi/v1`:
workflows, email layouts, partials and translations (drafts, validate, commit), commits and
promotion between environments, environments and whoami."""

from emulator.http.mapi._app import PREFIX, mapi_app

__all__ = ["PREFIX", "mapi_app"]
