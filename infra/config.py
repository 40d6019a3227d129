"""Per-environment configuration, read from CDK context and validated before any construct exists.

`cdk.json` holds one object per environment under the context key ``courtside:environments``.
Every key is required (no silent defaults that differ between dev and prod); a missing, unknown or
ill-typed key raises :class:`ConfigError` naming the environment and the key.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

CONTEXT_KEY = "courtside:environments"
ENV_CONTEXT_KEY = "env"
DEFAULT_ENV = "dev"
ENVIRONMENT_NAMES = ("dev", "staging", "prod")

RemovalPolicyName = Literal["destroy", "snapshot", "retain"]
Architecture = Literal["arm64", "x86_64"]

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = frozenset(
    {
        1,
        3,
        5,
        7,
        14,
        30,
        60,
        90,
        120,
        150,
        180,
        365,
        400,
        545,
        731,
        1096,
        1827,
        2192,
        2557,
        2922,
        3288,
        3653,
    }
)
# CloudFront waits this long for the Function URL's response (its default origin read timeout; the
# CDN construct is built with this value). A Lambda timeout above it would let requests run on
# after CloudFront has answered the viewer with a 504.
CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS = 30
_EMAIL = re.compile(r"^[^@\s]+@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.IGNORECASE)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class ConfigError(ValueError):
    """The environment configuration in CDK context is missing or invalid."""


@dataclass(frozen=True, kw_only=True)
class EnvironmentConfig:
    """Everything that differs between dev, staging and prod."""

    name: str
    account: str
    region: str
    domain_name: str
    hosted_zone_id: str
    hosted_zone_name: str
    # Network
    max_azs: int
    nat_gateways: int
    # Database
    db_instance_class: str
    db_allocated_storage_gib: int
    db_max_allocated_storage_gib: int
    db_multi_az: bool
    db_backup_retention_days: int
    db_deletion_protection: bool
    db_removal_policy: RemovalPolicyName
    db_use_proxy: bool
    db_rotation_days: int
    # Cache
    cache_node_type: str
    cache_multi_az: bool
    # Lambda
    lambda_memory_mb: int
    lambda_timeout_seconds: int
    lambda_architecture: Architecture
    reserved_concurrency: int | None
    log_retention_days: int
    log_level: str
    otel_enabled: bool
    # CDN
    cdn_price_class: str
    # Alarms: every alarm notifies an SNS topic; this address is subscribed when not empty.
    alarm_email: str

    @property
    def is_production(self) -> bool:
        return self.name == "prod"

    @property
    def needs_certificate_stack(self) -> bool:
        """CloudFront only accepts ACM certificates from us-east-1."""
        return self.region != "us-east-1"

    @property
    def public_base_url(self) -> str:
        return f"https://{self.domain_name}"


def _check(env: str, key: str, ok: bool, expectation: str, value: object) -> None:
    if not ok:
        raise ConfigError(f"{CONTEXT_KEY}.{env}.{key}: expected {expectation}, got {value!r}")


def _validate(env: str, raw: Mapping[str, Any]) -> EnvironmentConfig:
    fields = {f.name: f for f in dataclasses.fields(EnvironmentConfig)}
    given = {"name": env, **raw}
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise ConfigError(f"{CONTEXT_KEY}.{env}: unknown key(s) {', '.join(unknown)}")
    missing = sorted(set(fields) - set(given))
    if missing:
        raise ConfigError(f"{CONTEXT_KEY}.{env}: missing key(s) {', '.join(missing)}")

    def is_int(v: object) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    for key, value in given.items():
        annotation = str(fields[key].type)
        if annotation == "bool":
            _check(env, key, isinstance(value, bool), "true or false", value)
        elif annotation == "int":
            _check(env, key, is_int(value), "an integer", value)
        elif annotation == "int | None":
            _check(env, key, value is None or is_int(value), "an integer or null", value)
        elif key == "alarm_email":
            _check(env, key, isinstance(value, str), "a string (may be empty)", value)
        else:
            _check(env, key, isinstance(value, str) and value != "", "a non-empty string", value)

    g = given
    _check(
        env,
        "account",
        re.fullmatch(r"\d{12}", g["account"]) is not None,
        "a 12-digit AWS account id",
        g["account"],
    )
    _check(
        env,
        "region",
        re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", g["region"]) is not None,
        "an AWS region name like eu-west-1",
        g["region"],
    )
    domain, zone = g["domain_name"], g["hosted_zone_name"]
    _check(
        env, "domain_name", _DOMAIN.fullmatch(domain) is not None, "a lower-case DNS name", domain
    )
    _check(
        env, "hosted_zone_name", _DOMAIN.fullmatch(zone) is not None, "a lower-case DNS name", zone
    )
    _check(
        env,
        "domain_name",
        domain == zone or domain.endswith("." + zone),
        f"a name inside the hosted zone {zone}",
        domain,
    )
    _check(
        env,
        "hosted_zone_id",
        re.fullmatch(r"Z[A-Z0-9]{4,31}", g["hosted_zone_id"]) is not None,
        "a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ",
        g["hosted_zone_id"],
    )
    _check(
        env,
        "max_azs",
        g["max_azs"] >= 2,
        "at least 2 (RDS and ElastiCache need 2 AZs)",
        g["max_azs"],
    )
    _check(
        env,
        "nat_gateways",
        0 <= g["nat_gateways"] <= g["max_azs"],
        f"between 0 and max_azs ({g['max_azs']})",
        g["nat_gateways"],
    )
    _check(
        env,
        "db_instance_class",
        re.fullmatch(r"[a-z0-9]+\.[a-z0-9]+", g["db_instance_class"]) is not None,
        "an instance class without the db. prefix, like t4g.micro",
        g["db_instance_class"],
    )
    _check(
        env,
        "db_allocated_storage_gib",
        20 <= g["db_allocated_storage_gib"] <= 65536,
        "20..65536",
        g["db_allocated_storage_gib"],
    )
    _check(
        env,
        "db_max_allocated_storage_gib",
        g["db_max_allocated_storage_gib"] >= g["db_allocated_storage_gib"],
        "at least db_allocated_storage_gib",
        g["db_max_allocated_storage_gib"],
    )
    _check(
        env,
        "db_backup_retention_days",
        1 <= g["db_backup_retention_days"] <= 35,
        "1..35",
        g["db_backup_retention_days"],
    )
    _check(
        env,
        "db_removal_policy",
        g["db_removal_policy"] in ("destroy", "snapshot", "retain"),
        "one of destroy, snapshot, retain",
        g["db_removal_policy"],
    )
    _check(
        env,
        "db_rotation_days",
        0 <= g["db_rotation_days"] <= 365,
        "0 (no rotation) .. 365",
        g["db_rotation_days"],
    )
    _check(
        env,
        "cache_node_type",
        g["cache_node_type"].startswith("cache."),
        "a node type like cache.t4g.micro",
        g["cache_node_type"],
    )
    _check(
        env,
        "lambda_memory_mb",
        128 <= g["lambda_memory_mb"] <= 10240,
        "128..10240",
        g["lambda_memory_mb"],
    )
    _check(
        env,
        "lambda_timeout_seconds",
        1 <= g["lambda_timeout_seconds"] <= CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS,
        f"1..{CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS} (at most CloudFront's origin read timeout, "
        f"{CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS} s: CloudFront would answer 504 while the "
        "function still runs)",
        g["lambda_timeout_seconds"],
    )
    _check(
        env,
        "lambda_architecture",
        g["lambda_architecture"] in ("arm64", "x86_64"),
        "arm64 or x86_64",
        g["lambda_architecture"],
    )
    rc = g["reserved_concurrency"]
    _check(env, "reserved_concurrency", rc is None or rc >= 1, "null or at least 1", rc)
    _check(
        env,
        "log_retention_days",
        g["log_retention_days"] in LOG_RETENTION_DAYS,
        "a CloudWatch Logs retention period (1, 3, 5, 7, 14, 30, 60, 90, ... days)",
        g["log_retention_days"],
    )
    _check(
        env,
        "log_level",
        g["log_level"] in ("DEBUG", "INFO", "WARNING", "ERROR"),
        "DEBUG, INFO, WARNING or ERROR",
        g["log_level"],
    )
    _check(
        env,
        "cdn_price_class",
        g["cdn_price_class"] in ("PriceClass_100", "PriceClass_200", "PriceClass_All"),
        "PriceClass_100, PriceClass_200 or PriceClass_All",
        g["cdn_price_class"],
    )
    email = g["alarm_email"]
    _check(
        env,
        "alarm_email",
        email == "" or _EMAIL.fullmatch(email) is not None,
        "an e-mail address, or an empty string for no subscription",
        email,
    )
    if env == "prod":
        # Guard rails: prod must not be configured like a throwaway environment.
        _check(
            env,
            "db_deletion_protection",
            g["db_deletion_protection"] is True,
            "true in prod",
            g["db_deletion_protection"],
        )
        _check(
            env,
            "db_removal_policy",
            g["db_removal_policy"] != "destroy",
            "snapshot or retain in prod",
            g["db_removal_policy"],
        )
    return EnvironmentConfig(**given)


def load_config(context: Mapping[str, Any], env: str | None) -> EnvironmentConfig:
    """Validate the environment `env` (default dev) from the ``courtside:environments`` context."""
    name = env or DEFAULT_ENV
    if name not in ENVIRONMENT_NAMES:
        raise ConfigError(
            f"-c {ENV_CONTEXT_KEY}={name}: expected one of {', '.join(ENVIRONMENT_NAMES)}"
        )
    environments = context.get(CONTEXT_KEY)
    if not isinstance(environments, Mapping):
        raise ConfigError(f"{CONTEXT_KEY}: missing from CDK context (cdk.json)")
    raw = environments.get(name)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{CONTEXT_KEY}.{name}: missing from CDK context (cdk.json)")
    return _validate(name, raw)
