"""AWS Signature Version 4 for the span exporter's requests to X-Ray.

X-Ray's OTLP endpoint (`https://xray.<region>.amazonaws.com/v1/traces`) accepts only SigV4-signed
requests, service `xray`. `SigV4Signer` signs each of the exporter's requests
(`tracing.export`) with botocore's `SigV4Auth` (AWS's own implementation) over the exact bytes
and headers it sends, just before sending.

Credentials are the function's: Lambda puts its execution role's temporary credentials in
`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`. They are read on every
request (a few dictionary lookups), so whatever the environment holds at the time signs.
botocore comes with the Lambda base image (as for the secrets); `botocore.credentials` and its
provider chain are not imported: reading three variables needs none of it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from courtside.tracing.settings import XRAY_SERVICE

SIGNED_HEADERS = ("content-type", "content-encoding")
"""Headers of the exporter's request that the signature covers, besides host and x-amz-*."""


class MissingCredentials(RuntimeError):
    """No AWS credentials in the environment: nothing to sign with."""


class EnvironmentCredentials(NamedTuple):
    """What `SigV4Auth` reads of credentials (botocore's `ReadOnlyCredentials` has the same
    three fields)."""

    access_key: str
    secret_key: str
    token: str | None


def environment_credentials(environ: Mapping[str, str] | None = None) -> EnvironmentCredentials:
    """The credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN."""
    environ = os.environ if environ is None else environ
    access_key = environ.get("AWS_ACCESS_KEY_ID")
    secret_key = environ.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret_key:
        raise MissingCredentials(
            "OTEL_EXPORTER_SIGV4_REGION is set but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "are not: Lambda sets them from the function's role; elsewhere export them, or "
            "unset OTEL_EXPORTER_SIGV4_REGION to send unsigned spans."
        )
    return EnvironmentCredentials(access_key, secret_key, environ.get("AWS_SESSION_TOKEN"))


def sign(
    method: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    region: str,
    credentials: EnvironmentCredentials,
) -> dict[str, str]:
    """The headers that sign this request for X-Ray in `region`: Authorization, X-Amz-Date and,
    with temporary credentials, X-Amz-Security-Token."""
    signed = {k: v for k, v in headers.items() if k.lower() in SIGNED_HEADERS}
    request = AWSRequest(method=method, url=url, data=body, headers=signed)
    SigV4Auth(credentials, XRAY_SERVICE, region).add_auth(request)
    return {
        name: value
        for name, value in request.headers.items()
        if name.lower() in ("authorization", "x-amz-date", "x-amz-security-token")
    }


class SigV4Signer:
    """Signs requests for X-Ray in `region` with the environment's credentials, read at each
    request. Fails at construction when there are none: a function that cannot sign must not
    start."""

    def __init__(self, *, region: str, environ: Mapping[str, str] | None = None) -> None:
        self.region = region
        self._environ = environ
        environment_credentials(environ)

    def __call__(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> dict[str, str]:
        credentials = environment_credentials(self._environ)
        return sign(method, url, body, headers, region=self.region, credentials=credentials)
