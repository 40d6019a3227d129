"""Where spans go, read from the environment when tracing is on (`OTEL_ENABLED=true`).

The names are OpenTelemetry's standard variables where one exists (`OTEL_SERVICE_NAME`,
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); `OTEL_EXPORTER_SIGV4_REGION` is ours: X-Ray's OTLP
endpoint takes only requests signed with AWS Signature Version 4.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from courtside.settings import _CONFIG
from courtside.settings_source import EnvSettings

XRAY_SERVICE = "xray"
"""The SigV4 service name of X-Ray's OTLP endpoint (`https://xray.<region>.amazonaws.com`)."""
_XRAY_HOST = re.compile(r"xray\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?")


def xray_region(endpoint: str | None) -> str | None:
    """The region of an X-Ray OTLP endpoint URL, None for any other endpoint."""
    if not endpoint:
        return None
    match = _XRAY_HOST.fullmatch(urlsplit(endpoint).hostname or "")
    return match.group(1) if match else None


class TracingSettings(EnvSettings):
    """OpenTelemetry tracing: where the spans of each request are sent (OTEL_ENABLED=true)."""

    model_config = _CONFIG

    otel_service_name: str = Field(
        default="courtside", min_length=1, description="service.name of every span."
    )
    otel_exporter_otlp_traces_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces URL; unset: http://localhost:4318/v1/traces. The stack "
        "sets X-Ray's, https://xray.<region>.amazonaws.com/v1/traces.",
    )
    otel_exporter_sigv4_region: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2}(-[a-z]+)+-\d$",
        description="Sign each export with SigV4 for X-Ray in this region (the function's "
        "credentials, from AWS_ACCESS_KEY_ID...); unset: unsigned.",
    )
    otel_flush_timeout_ms: int = Field(
        default=1000,
        ge=1,
        le=10_000,
        description="Longest an invocation waits for its spans to be exported (Lambda).",
    )

    @model_validator(mode="after")
    def _signed_for_xray(self) -> TracingSettings:
        region = xray_region(self.otel_exporter_otlp_traces_endpoint)
        if region is not None and self.otel_exporter_sigv4_region != region:
            raise ValueError(
                f"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is X-Ray's in {region}, which accepts only "
                f"SigV4-signed requests: set OTEL_EXPORTER_SIGV4_REGION={region} (got "
                f"{self.otel_exporter_sigv4_region!r})"
            )
        return self
