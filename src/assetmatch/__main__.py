"""``python -m assetmatch``: see :mod:`assetmatch.cli`."""

from .cli import main

raise SystemExit(main())
