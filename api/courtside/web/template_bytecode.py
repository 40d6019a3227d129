"""The site's templates compiled at build time, so a cold start does not compile them.

Jinja compiles a template (lexer, parser, code generator, then Python's `compile()`) the
first time it is loaded: on a web service's first signed-in `GET /` that was the board's
templates, every cold start. The image compiles them once, next to `compileall`
(`python -m courtside.web.templating DIR`, see api/Dockerfile), into `COMPILED_DIR`, which
`templating.environment()` then reads through Jinja's own bytecode cache protocol.

It can never serve a stale template: Jinja stores each template's code with the SHA-1 of the
source it was compiled from, and with Jinja's and Python's versions; a template whose source
or runtime differs is compiled from its source as before (and not written: the image is
read-only). The environment's options (`trim_blocks`, …) change the code too, so they are
part of each entry's key. Without `COMPILED_DIR` (a development checkout: it is not in git)
templates compile from their sources at first use, as they always did.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2.bccache import Bucket, BytecodeCache

if TYPE_CHECKING:
    from jinja2 import Environment

COMPILED_DIR = Path(__file__).resolve().parents[1] / "templates_compiled"
SUFFIX = ".jinja-bytecode"
_LOGGER = logging.getLogger(__name__)


class PrecompiledTemplates(BytecodeCache):
    """Jinja bytecode in `directory`, one file per template, keyed by the template's name and
    the environment's options (`fingerprint`). Read-only unless `writable` (the build)."""

    def __init__(self, directory: Path, fingerprint: str, *, writable: bool = False) -> None:
        self.directory = directory
        self.fingerprint = fingerprint
        self.writable = writable

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        # Not the file's absolute path (Jinja's default): the build and the runtime may
        # place the code differently; the source's checksum is checked on every load.
        key = f"{self.fingerprint}|{name}".encode()
        return hashlib.sha1(key, usedforsecurity=False).hexdigest()

    def _path(self, bucket: Bucket) -> Path:
        return self.directory / f"{bucket.key}{SUFFIX}"

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            with self._path(bucket).open("rb") as file:
                bucket.load_bytecode(file)  # resets the bucket on another checksum or version
        except FileNotFoundError:
            return
        except Exception:  # unreadable or truncated entry: compile from source
            # Jinja catches a bad code section itself but not a bad checksum section (pickle)
            # nor an OSError: a damaged entry must cost a compilation, never every page a 500.
            _LOGGER.warning("compiled template %s unreadable: compiled from source", bucket.key)
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        if self.writable:
            with self._path(bucket).open("wb") as file:
                bucket.write_bytecode(file)


def precompiled(fingerprint: str) -> PrecompiledTemplates | None:
    """The build's compiled templates, or None where there are none (development)."""
    if not COMPILED_DIR.is_dir():
        return None
    return PrecompiledTemplates(COMPILED_DIR, fingerprint)


def compile_all(environment: Environment, directory: Path) -> list[str]:
    """Compile every template `environment` can list into `directory`; returns their names.
    The environment's bytecode cache must be a writable `PrecompiledTemplates` there."""
    cache = environment.bytecode_cache
    if not (isinstance(cache, PrecompiledTemplates) and cache.writable):
        raise ValueError("the environment does not write compiled templates")
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(f"*{SUFFIX}"):
        stale.unlink()
    names = environment.list_templates()
    for name in names:
        environment.get_template(name)
    return names
