"""`python -m emulator.cli`."""

from emulator.cli._main import main

raise SystemExit(main())
