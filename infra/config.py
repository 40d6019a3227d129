"""Per-environment configuration, read from CDK context and validated before any construct exists.

`cdk.json` holds one object per environment under the context key ``courtside:environments``.
Every key is required (no silent defaults that differ between dev and prod); a missing, unknown or
ill-typed key raises :class:`ConfigError` naming the environment and the key. The rules live on
the fields of :class:`EnvironmentConfig` (a strict, frozen Pydantic model); the few that relate
two keys are its model validators.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from courtside.services_registry import SERVICES, WHOLE_APP, Service
from courtside.settings import CacheSettings, DatabaseSettings
from infra import connection_budget
from infra.catalog import ELASTICACHE_VALKEY, RDS_POSTGRES
from infra.sso_config import SsoConfig

CONTEXT_KEY = "courtside:environments"
ENV_CONTEXT_KEY = "env"
HOTFIX_CONTEXT_KEY = "hotfix"
"""``-c hotfix=true``: this deploy's CodeDeploy releases ignore the alarms (docs/deploy.md)."""
DEFAULT_ENV = "dev"
ENVIRONMENT_NAMES = ("dev", "staging", "prod")
EDGE_REGION = "us-east-1"
"""CloudFront's certificates, web ACLs, Lambda@Edge functions and metrics live here."""

RemovalPolicyName = Literal["destroy", "snapshot", "retain"]
Architecture = Literal["arm64", "x86_64"]
PriceClassName = Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
DeploymentStrategy = Literal[
    "ALL_AT_ONCE", "CANARY_10PERCENT_5MINUTES", "LINEAR_10PERCENT_EVERY_1MINUTE"
]
WafMode = Literal["count", "block"]
"""count: the managed rule groups only count (and log) what they would block; block: they block."""
TransactionSearchOwner = Literal["stack", "account"]
"""Who turns on CloudWatch Transaction Search, which X-Ray's OTLP endpoint requires: this
environment's stack, or the account already (the console, another stack)."""
DatabaseEngine = Literal["rds", "aurora-serverless-v2"]
"""One RDS PostgreSQL instance, or an Aurora PostgreSQL Serverless v2 cluster (with readers)."""
MAX_AURORA_READERS = 15
ServicesMode = Literal["all-in-one", "split"]
"""One function for the whole app, or one per service of `courtside.services_registry`."""

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557}
    | {2922, 3288, 3653}
)
# RDS Enhanced Monitoring's granularities (seconds); 0 turns it off.
MONITORING_INTERVALS = frozenset({0, 1, 5, 10, 15, 30, 60})
UNRESERVED_CONCURRENCY_FLOOR = 100
"""Lambda keeps this many concurrent executions of the account unreserved: a function's reserve
is refused unless the quota minus every reserve stays at or above it."""
# CloudFront waits this long for the Function URL's response (its default origin read timeout; the
# CDN construct is built with this value). A Lambda timeout above it would let requests run on
# after CloudFront has answered the viewer with a 504.
CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS = 30

_DNS_NAME = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
_EMAIL = r"^[^@\s]+@([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$"
_SNS_TOPIC_ARN = r"^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$"
_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

DnsName = Annotated[str, Field(pattern=_DNS_NAME, max_length=253)]
PositiveInt = Annotated[int, Field(ge=1)]
Reserve = Annotated[int, Field(ge=0, description="reserved concurrency; 0: no reserve")]
"""0, not null, for "no reserve": CDK's context drops null values on their way to the app
(jsii), so a null in cdk.json would read as a missing key."""
MemoryMb = Annotated[int, Field(ge=128, le=10240)]


def longest_dependency_wait() -> tuple[float, str]:
    """How long a request may wait on PostgreSQL and Redis before the app answers 503, with the
    settings the functions run with (the app's defaults: the stack sets none of them), and how
    that adds up. A Lambda timeout must be longer, or the invocation dies before the answer."""
    database = DatabaseSettings.model_construct()
    cache = CacheSettings.model_construct()
    total = database.longest_wait_seconds + cache.redis_socket_timeout_seconds
    parts = (
        f"pool {database.db_pool_timeout_seconds:g} s + connect "
        f"{database.db_connect_timeout_seconds:g} s + statement "
        f"{database.db_statement_timeout_seconds:g} s + Redis "
        f"{cache.redis_socket_timeout_seconds:g} s"
    )
    return total, parts


def check_lambda_timeout(value: int) -> int:
    """At least the longest dependency wait, at most CloudFront's origin read timeout."""
    limit = CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS
    if not 1 <= value <= limit:
        raise ValueError(
            f"expected 1..{limit} (at most CloudFront's origin read timeout, {limit} s: "
            "CloudFront would answer 504 while the function still runs)"
        )
    wait, parts = longest_dependency_wait()
    if value <= wait:
        raise ValueError(
            f"expected more than {wait:g} s, the longest a request may wait on the database and "
            f"Redis ({parts}): a shorter timeout kills the invocation before the app can answer "
            "503"
        )
    return value


PUBLIC_READ_GROUPS = frozenset({"reference", "schedule"})
"""Route groups whose cache misses read the replica (`courtside.http_cache.cached_json`)."""


def reads_replica(service: Service) -> bool:
    """Whether `service` serves public reads, so gets the reader endpoint when there is one."""
    return bool(PUBLIC_READ_GROUPS & set(service.groups))


class ServiceFunctionConfig(BaseModel):
    """One service's function in a split deployment; a key left out takes the environment's
    `lambda_memory_mb`, `lambda_timeout_seconds` or `reserved_concurrency`."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    memory_mb: MemoryMb | None = None
    timeout_seconds: int | None = None
    reserved_concurrency: Reserve | None = Field(
        default=None, description="0: no reserve; left out: the environment's"
    )

    @field_validator("timeout_seconds")
    @classmethod
    def _timeout(cls, value: int | None) -> int | None:
        return None if value is None else check_lambda_timeout(value)


@dataclass(frozen=True, kw_only=True)
class FunctionPlan:
    """A function the environment runs: which service, and its size."""

    service: Service
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int | None


class ConfigError(ValueError):
    """The environment configuration in CDK context is missing or invalid."""


class EnvironmentConfig(BaseModel):
    """Everything that differs between dev, staging and prod (one object per environment)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: Literal["dev", "staging", "prod"]
    account: Annotated[str, Field(pattern=r"^\d{12}$", description="12-digit AWS account id")]
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]
    domain_name: DnsName
    hosted_zone_id: Annotated[str, Field(pattern=r"^Z[A-Z0-9]{4,31}$")]
    hosted_zone_name: DnsName
    # Network: at least two AZs (RDS and ElastiCache subnet groups need them).
    max_azs: Annotated[int, Field(ge=2, le=6)]
    # Database
    db_engine: DatabaseEngine
    db_readers: Annotated[
        int,
        Field(
            ge=0,
            le=MAX_AURORA_READERS,
            description="reader instances serving public reads (rds: read replicas)",
        ),
    ]
    db_min_acu: Annotated[
        float, Field(ge=0, le=256, description="aurora: ACU floor; 0 pauses when idle")
    ]
    db_max_acu: Annotated[float, Field(ge=1, le=256, description="aurora: ACU ceiling")]
    db_instance_class: Annotated[
        str, Field(pattern=r"^[a-z0-9]+\.[a-z0-9]+$", description="without the db. prefix")
    ]
    db_allocated_storage_gib: Annotated[int, Field(ge=20, le=65536)]
    db_max_allocated_storage_gib: Annotated[int, Field(ge=20, le=65536)]
    db_multi_az: bool
    db_backup_retention_days: Annotated[int, Field(ge=1, le=35)]
    db_deletion_protection: bool
    db_removal_policy: RemovalPolicyName
    db_rotation_days: Annotated[int, Field(ge=0, le=365, description="0: no rotation")]
    db_performance_insights: bool
    db_monitoring_interval_seconds: Annotated[
        int, Field(description="Enhanced Monitoring granularity, 1/5/10/15/30/60 s; 0: off")
    ]
    # Cache
    cache_node_type: Annotated[str, Field(pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$")]
    cache_multi_az: bool
    cache_auth_token_version: Annotated[
        str,
        Field(
            pattern=rf"^$|{_UUID}",
            description="Secrets Manager version id of the AUTH token ElastiCache should accept "
            "('': the secret's first version); see docs/deploy.md, rotating the cache token.",
        ),
    ]
    # Lambda: the whole app in one function, or one function per service (split).
    services: ServicesMode
    lambda_memory_mb: MemoryMb
    lambda_timeout_seconds: int
    lambda_architecture: Architecture
    reserved_concurrency: Reserve
    service_functions: dict[str, ServiceFunctionConfig] = Field(
        description="split only: per service (public, web, ingest), what differs from the "
        "lambda_* keys above"
    )
    lambda_deployment: DeploymentStrategy
    log_retention_days: int
    log_level: LogLevel
    otel_enabled: bool
    otel_transaction_search: Annotated[
        TransactionSearchOwner,
        Field(
            description="with otel_enabled: 'stack' turns CloudWatch Transaction Search on for "
            "the account and region (one per account: only if nothing else has); 'account': it "
            "is on already. See docs/observability.md."
        ),
    ]
    # CDN and its web application firewall
    cdn_price_class: PriceClassName
    service_alias_domain: Annotated[
        str,
        Field(
            pattern=rf"^$|{_DNS_NAME}",
            max_length=200,
            description="'' for none; else every service also answers at "
            "<service>.<service_alias_domain> (its paths only)",
        ),
    ]
    waf_enabled: bool
    waf_mode: WafMode
    waf_rate_limit: Annotated[int, Field(ge=10, le=2_000_000_000, description="per IP, 5 min")]
    waf_sensitive_rate_limit: Annotated[
        int, Field(ge=10, le=2_000_000_000, description="per IP, 5 min, sign-in and ingest")
    ]
    # Notification e-mail through Amazon SES (off: the app sends none).
    ses_enabled: bool
    ses_from_address: Annotated[
        str,
        Field(
            pattern=rf"^$|{_EMAIL}",
            description="the From address; its domain becomes the SES identity (DKIM in the zone)",
        ),
    ]
    ses_configuration_set: bool
    # Alarms: each region's alarms notify a topic of ours there; these subscribe to it / add to it.
    alarm_email: Annotated[str, Field(pattern=rf"^$|{_EMAIL}", description="'' for none")]
    alarm_topic_arns: tuple[Annotated[str, Field(pattern=_SNS_TOPIC_ARN)], ...] = Field(
        description="Existing SNS topics (e.g. the on-call integration) alarms also notify; "
        "each is used by the alarms of its own region."
    )
    alarm_subscriber_opt_out: Annotated[
        str,
        Field(
            pattern=r"^$|^.{20,}$",
            description="'': every region with alarms must have a subscriber (alarm_email or a "
            "topic); else why this environment's alarms may reach nobody (never in prod)",
        ),
    ]
    # Sign-in with an OpenID Connect provider (infra/sso.py); absent: password sign-in only.
    sso: SsoConfig | None = None

    @field_validator("log_retention_days")
    @classmethod
    def _known_retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(
                "expected a CloudWatch Logs retention period (1, 3, 5, 7, 14, 30, 60, 90, ... days)"
            )
        return value

    @field_validator("db_monitoring_interval_seconds")
    @classmethod
    def _known_interval(cls, value: int) -> int:
        if value not in MONITORING_INTERVALS:
            raise ValueError("expected 0 (off), 1, 5, 10, 15, 30 or 60 seconds")
        return value

    @field_validator("db_instance_class")
    @classmethod
    def _known_db_class(cls, value: str) -> str:
        if value not in RDS_POSTGRES:
            raise ValueError(
                f"expected a class listed in infra/catalog.py ({', '.join(RDS_POSTGRES)})"
            )
        return value

    @field_validator("cache_node_type")
    @classmethod
    def _known_cache_node(cls, value: str) -> str:
        if value not in ELASTICACHE_VALKEY:
            raise ValueError(
                f"expected a node type listed in infra/catalog.py ({', '.join(ELASTICACHE_VALKEY)})"
            )
        return value

    @field_validator("lambda_timeout_seconds")
    @classmethod
    def _timeout(cls, value: int) -> int:
        return check_lambda_timeout(value)

    @field_validator("service_functions")
    @classmethod
    def _known_services(
        cls, value: dict[str, ServiceFunctionConfig]
    ) -> dict[str, ServiceFunctionConfig]:
        names = [s.name for s in SERVICES]
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"unknown service {', '.join(unknown)}: expected {', '.join(names)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EnvironmentConfig:
        zone = self.hosted_zone_name
        if not (self.domain_name == zone or self.domain_name.endswith("." + zone)):
            raise _keyed("domain_name", f"expected a name inside the hosted zone {zone}")
        if self.db_max_allocated_storage_gib < self.db_allocated_storage_gib:
            raise _keyed(
                "db_max_allocated_storage_gib", "expected at least db_allocated_storage_gib"
            )
        if self.waf_sensitive_rate_limit > self.waf_rate_limit:
            raise _keyed("waf_sensitive_rate_limit", "expected at most waf_rate_limit")
        if self.services == "all-in-one" and self.service_functions:
            raise _keyed(
                "service_functions",
                "expected {} with services all-in-one (its one function takes the lambda_* keys)",
            )
        self._check_database_shape()
        self._check_names_in_zone()
        if self.name == "prod":
            self._prod_guard_rails()
        self._check_alarm_subscribers()
        return self

    def _check_database_shape(self) -> None:
        """Readers and capacities that the engine can run, and connections that fit it."""
        if self.db_engine == "aurora-serverless-v2":
            for key in ("db_min_acu", "db_max_acu"):
                if getattr(self, key) * 2 != int(getattr(self, key) * 2):
                    raise _keyed(key, "expected a multiple of 0.5 ACU")
            if self.db_min_acu > self.db_max_acu:
                raise _keyed("db_min_acu", "expected at most db_max_acu")
        over = tuple(b for b in self.connection_budgets if not b.fits)
        if over:
            raise _keyed("reserved_concurrency", connection_budget.refusal(over))

    @property
    def max_connections(self) -> int:
        """Each server's `max_connections` (RDS's default for the class, or the ACU ceiling's)."""
        if self.db_engine == "aurora-serverless-v2":
            return connection_budget.max_connections_for_acu(self.db_max_acu)
        memory = RDS_POSTGRES[self.db_instance_class].memory_gib
        return connection_budget.max_connections_for_memory(memory)

    @property
    def connection_budgets(self) -> tuple[connection_budget.Budget, ...]:
        """The writer's (and each reader's) connection demand against `max_connections`."""
        server = (
            f"aurora-serverless-v2 at {self.db_max_acu:g} ACU"
            if self.db_engine == "aurora-serverless-v2"
            else f"db.{self.db_instance_class}"
        )
        demands = tuple(
            connection_budget.FunctionDemand(
                name=plan.service.name,
                reserved=plan.reserved_concurrency,
                reads_replica=self.db_readers > 0 and reads_replica(plan.service),
            )
            for plan in self.functions
        )
        return connection_budget.budgets(
            demands,
            readers=self.db_readers,
            max_connections=self.max_connections,
            server=server,
            spread=self.db_engine == "aurora-serverless-v2",
        )

    def _check_alarm_subscribers(self) -> None:
        """Alarms that reach nobody are refused unless the config says why they may."""
        uncovered = [
            r for r in self.alarm_regions if not self.alarm_email and not self.topics_in(r)
        ]
        if uncovered and not self.alarm_subscriber_opt_out:
            opt_out = "" if self.is_production else "; or say why not in alarm_subscriber_opt_out"
            raise _keyed(
                "alarm_email",
                f"{self.name} refuses to run with alarms that reach nobody: set alarm_email, or "
                "list an existing SNS topic in alarm_topic_arns for each of "
                f"{', '.join(uncovered)}{opt_out}",
            )

    def _check_names_in_zone(self) -> None:
        if self.service_alias_domain:
            if not self._in_zone(self.service_alias_domain):
                raise _keyed("service_alias_domain", "expected a name inside the hosted zone")
            if self.domain_name in self.service_aliases.values():
                raise _keyed("service_alias_domain", "a service alias would be domain_name")
        if self.ses_enabled and not self.ses_from_address:
            raise _keyed("ses_from_address", "expected the From address when ses_enabled")
        if self.ses_enabled and not self._in_zone(self.ses_identity_domain):
            raise _keyed(
                "ses_from_address",
                f"expected an address in the hosted zone {self.hosted_zone_name} (SES's DKIM "
                "records go there)",
            )
        if self.ses_configuration_set and not self.ses_enabled:
            raise _keyed("ses_configuration_set", "expected false unless ses_enabled")
        if self.otel_transaction_search == "stack" and not self.otel_enabled:
            raise _keyed(
                "otel_transaction_search",
                "expected 'account' unless otel_enabled (no span would use what the stack "
                "turned on)",
            )

    def _in_zone(self, name: str) -> bool:
        zone = self.hosted_zone_name
        return name == zone or name.endswith("." + zone)

    def _prod_guard_rails(self) -> None:
        """Prod must not be configured like a throwaway environment, nor page nobody."""
        if not self.db_deletion_protection:
            raise _keyed("db_deletion_protection", "expected true in prod")
        if self.db_removal_policy == "destroy":
            raise _keyed("db_removal_policy", "expected snapshot or retain in prod")
        if self.alarm_subscriber_opt_out:
            raise _keyed("alarm_subscriber_opt_out", "expected '' in prod: prod always pages")
        unbounded = [plan.service.name for plan in self.functions if not plan.reserved_concurrency]
        if unbounded:
            raise _keyed(
                "reserved_concurrency",
                f"expected a reserve for every function in prod ({', '.join(unbounded)} has "
                "none): without one its database connections have no bound",
            )
        if self.db_engine == "aurora-serverless-v2" and self.db_min_acu == 0:
            raise _keyed("db_min_acu", "expected more than 0 in prod (no pause, no cold resume)")

    @property
    def alarm_regions(self) -> tuple[str, ...]:
        """Where this environment has alarms: its region, and us-east-1 for CloudFront's."""
        return tuple(dict.fromkeys((self.region, EDGE_REGION)))

    def topics_in(self, region: str) -> tuple[str, ...]:
        """The configured existing topics of `region` (an alarm may only notify its region's)."""
        return tuple(arn for arn in self.alarm_topic_arns if arn.split(":")[3] == region)

    @property
    def is_production(self) -> bool:
        return self.name == "prod"

    @property
    def functions(self) -> tuple[FunctionPlan, ...]:
        """The app's functions: the whole app, or each service with its own sizes."""
        if self.services == "all-in-one":
            return (self._plan(WHOLE_APP, ServiceFunctionConfig()),)
        return tuple(
            self._plan(s, self.service_functions.get(s.name, ServiceFunctionConfig()))
            for s in SERVICES
        )

    def _plan(self, service: Service, given: ServiceFunctionConfig) -> FunctionPlan:
        reserved = (
            given.reserved_concurrency
            if "reserved_concurrency" in given.model_fields_set
            else self.reserved_concurrency
        )
        return FunctionPlan(
            service=service,
            memory_mb=given.memory_mb or self.lambda_memory_mb,
            timeout_seconds=given.timeout_seconds or self.lambda_timeout_seconds,
            reserved_concurrency=reserved or None,
        )

    @property
    def reserved_concurrency_total(self) -> int:
        """Concurrent executions the environment's functions reserve, all together."""
        return sum(plan.reserved_concurrency or 0 for plan in self.functions)

    @property
    def concurrency_quota_needed(self) -> int:
        """The account's "Concurrent executions" quota these reserves need (0: none reserved)."""
        total = self.reserved_concurrency_total
        return total + UNRESERVED_CONCURRENCY_FLOOR if total else 0

    @property
    def service_aliases(self) -> dict[str, str]:
        """service name -> its own host name (none without `service_alias_domain`)."""
        if not self.service_alias_domain:
            return {}
        return {s.name: f"{s.name}.{self.service_alias_domain}" for s in SERVICES}

    @property
    def ses_identity_domain(self) -> str:
        """The domain SES sends from (the From address's)."""
        return self.ses_from_address.rpartition("@")[2]

    @property
    def needs_edge_stack(self) -> bool:
        """CloudFront takes certificates, web ACLs and edge functions only from us-east-1."""
        return self.region != EDGE_REGION

    @property
    def public_base_url(self) -> str:
        return f"https://{self.domain_name}"


class _KeyedError(ValueError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _keyed(key: str, message: str) -> _KeyedError:
    return _KeyedError(key, message)


def _describe(env: str, error: Mapping[str, Any], prefix: str = "") -> str:
    location = ".".join(str(part) for part in (prefix, *error["loc"]) if part != "")
    where = f"{CONTEXT_KEY}.{env}" + (f".{location}" if location else "")
    context = error.get("ctx") or {}
    keyed = context.get("error")
    if isinstance(keyed, _KeyedError):
        return f"{CONTEXT_KEY}.{env}.{keyed.key}: {keyed}"
    if error["type"] == "missing":
        return f"{where}: missing key"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}, got {error['input']!r}"


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
    values = {**raw, "name": name}
    if isinstance(values.get("alarm_topic_arns"), list):
        values["alarm_topic_arns"] = tuple(values["alarm_topic_arns"])  # JSON has no tuples
    if isinstance(values.get("sso"), Mapping):
        try:
            values["sso"] = SsoConfig.model_validate(values["sso"])
        except ValidationError as exc:
            raise ConfigError("; ".join(_describe(name, e, "sso") for e in exc.errors())) from None
    functions = values.get("service_functions")
    if isinstance(functions, Mapping):
        values["service_functions"] = _service_functions(name, functions)
    try:
        return EnvironmentConfig.model_validate(values)
    except ValidationError as exc:
        problems = [_describe(name, error) for error in exc.errors()]
        raise ConfigError("; ".join(problems)) from None


def _service_functions(env: str, given: Mapping[str, Any]) -> dict[str, ServiceFunctionConfig]:
    """Each service's JSON object as a model (the strict parent takes no plain dicts for it)."""
    parsed, problems = {}, []
    for key, value in given.items():
        try:
            parsed[key] = ServiceFunctionConfig.model_validate(value)
        except ValidationError as exc:
            prefix = f"service_functions.{key}"
            problems += [_describe(env, error, prefix=prefix) for error in exc.errors()]
    if problems:
        raise ConfigError("; ".join(problems))
    return parsed


def hotfix_requested(value: object) -> bool:
    """The ``hotfix`` context value: absent or false (a normal, alarm-gated release), or true."""
    if value is None or value is False or value == "false":
        return False
    if value is True or value == "true":
        return True
    raise ConfigError(f"-c {HOTFIX_CONTEXT_KEY}={value}: expected true or false")
