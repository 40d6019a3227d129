"""Print docs/configuration.md's settings table from the settings classes (the single source).

    PYTHONPATH=api .venv/bin/python scripts/settings_table.py

tests/test_readme.py checks that docs/configuration.md contains exactly this output, so the
table cannot drift.
"""

from __future__ import annotations

from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from courtside import settings
from courtside.replica_settings import ReplicaSettings
from courtside.sso_settings import SsoSettings
from courtside.tracing.settings import TracingSettings

CLASSES: tuple[type[BaseSettings], ...] = (
    settings.AppSettings,
    settings.DatabaseSettings,
    ReplicaSettings,
    settings.CacheSettings,
    settings.AuthSettings,
    settings.BettingSettings,
    settings.IngestSettings,
    settings.NotificationSettings,
    SsoSettings,
    TracingSettings,
)


def _default(field: object) -> str:
    default = getattr(field, "default", PydanticUndefined)
    if getattr(field, "default_factory", None) is not None or default is PydanticUndefined:
        return "(computed)"
    if default is None:
        return "unset"
    if hasattr(default, "get_secret_value"):
        return "(dev-only value)"
    text = str(getattr(default, "value", default))
    if "var/courtside.db" in text:
        return "`sqlite+aiosqlite:///var/courtside.db`"
    return f"`{text}`"


def table() -> str:
    lines = ["| Setting | Default | Meaning |", "|---|---|---|"]
    for cls in CLASSES:
        concern = (cls.__doc__ or cls.__name__).strip().splitlines()[0]
        lines.append(f"| **{cls.__name__}** | | *{concern}* |")
        for name, field in cls.model_fields.items():
            description = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{name.upper()}` | {_default(field)} | {description} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
