"""Write the JSON Schema of a requirements document to ``docs/requirements.schema.json``.

Run ``python scripts/export_schema.py`` after changing :class:`assetmatch.Requirements`;
``tests/test_requirements.py`` checks that the committed file equals the generated one.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from assetmatch.requirements import Requirements

logger = logging.getLogger("export_schema")

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "docs" / "requirements.schema.json"


def schema_text() -> str:
    """The schema as it is committed: 2-space indented UTF-8 JSON with a final newline."""
    return json.dumps(Requirements.json_schema(), ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
