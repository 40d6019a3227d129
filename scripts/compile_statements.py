"""Write api/courtside/compiled_statements.py: every named statement's SQL on PostgreSQL.

    PYTHONPATH=api .venv/bin/python scripts/compile_statements.py

A named `courtside.prepared.Prepared` statement is sent by a cold public process without
SQLAlchemy (`courtside.driver_reads`), from the SQL this writes. Run it after changing one
(or a table it reads); tests/api/core/test_driver_reads.py compiles them again and fails
while the file differs.
"""

from __future__ import annotations

import importlib
import pkgutil
import pprint
import subprocess
import sys
from pathlib import Path

import courtside.services
from courtside import prepared

TARGET = Path(prepared.__file__).with_name("compiled_statements.py")
HEADER = '''"""Every named statement's SQL on PostgreSQL (asyncpg), compiled ahead: written by
`scripts/compile_statements.py`, never by hand (`courtside.driver_reads` sends them). A test
compiles them again and fails while this differs (`tests/api/core/test_driver_reads.py`)."""

from typing import Any

Ahead = tuple[str, tuple[str, ...], dict[str, Any], dict[str, str]]
"""SQL, parameters in order, their fixed values, their conversions (`courtside.prepared`)."""

'''


def named_statements() -> dict[str, prepared.Ahead]:
    """Every named statement of `courtside.services`, compiled now."""
    for module in pkgutil.walk_packages(courtside.services.__path__, "courtside.services."):
        importlib.import_module(module.name)
    return prepared.compiled_named()


def main() -> int:
    body = pprint.pformat(named_statements(), width=96, sort_dicts=True)
    TARGET.write_text(f"{HEADER}POSTGRESQL: dict[str, Ahead] = {body}\n")
    ruff = Path(sys.executable).with_name("ruff")
    subprocess.run([str(ruff), "format", "--quiet", str(TARGET)], check=True)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
