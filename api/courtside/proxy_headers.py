"""The public host, scheme and Authorization header behind CloudFront.

CloudFront calls the Lambda Function URL with the Function URL's own `Host`, so without help
the app would build absolute URLs and redirects to `<id>.lambda-url.<region>.on.aws`. The
distribution's viewer-request function copies the viewer's `Host` into `X-Forwarded-Host`
and the viewer's `Authorization` into `X-Forwarded-Authorization` (Origin Access Control
replaces `Authorization` with its own SigV4 signature). With `BEHIND_CLOUDFRONT=true`
`courtside.edge` puts them back into the ASGI scope, so `request.url`, `url_for` and redirects use
the public host and auth code reads the viewer's `Authorization` as usual.

Only behind CloudFront: anywhere else these headers come from the client and are not trusted
(`rewrite_scope` is not applied at all).
"""

from __future__ import annotations

import re

from starlette.types import Scope

_HOST_PATTERN = re.compile(r"[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEMES = {"http", "https"}


def _last(value: bytes) -> str:
    """The value our own proxy appended: the last of a comma-separated list."""
    return value.decode("latin-1").rsplit(",", 1)[-1].strip()


def rewrite_scope(scope: Scope) -> Scope:
    """A copy of `scope` with host, scheme, server and Authorization taken from CloudFront's
    forwarded headers; malformed values are ignored."""
    forwarded_host: str | None = None
    scheme: str | None = None
    cloudfront_scheme: str | None = None
    forwarded_authorization: bytes | None = None
    for key, value in scope["headers"]:
        if key == b"x-forwarded-host":
            candidate = _last(value)
            if _HOST_PATTERN.fullmatch(candidate):
                forwarded_host = candidate.lower()
        elif key == b"cloudfront-forwarded-proto":
            cloudfront_scheme = _last(value).lower()
        elif key == b"x-forwarded-proto":
            scheme = _last(value).lower()
        elif key == b"x-forwarded-authorization":
            forwarded_authorization = bytes(value)
    # CloudFront-Forwarded-Proto is the viewer's scheme; X-Forwarded-Proto is set by the
    # Function URL for the CloudFront-to-origin hop (always https).
    if cloudfront_scheme in _SCHEMES:
        scheme = cloudfront_scheme
    if scheme not in _SCHEMES:
        scheme = None

    headers = [
        (key, value)
        for key, value in scope["headers"]
        if key not in (b"authorization", b"x-forwarded-authorization")
        and not (forwarded_host and key == b"host")
    ]
    if forwarded_authorization is not None:
        headers.append((b"authorization", forwarded_authorization))
    new_scope = dict(scope)
    new_scope["headers"] = headers
    if scheme is not None:
        new_scope["scheme"] = scheme
    if forwarded_host is not None:
        headers.append((b"host", forwarded_host.encode()))
        name, _, port = forwarded_host.partition(":")
        effective_scheme = new_scope.get("scheme", "https")
        new_scope["server"] = (
            name,
            int(port) if port else _DEFAULT_PORTS.get(effective_scheme, 443),
        )
    return new_scope
