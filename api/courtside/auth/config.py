"""The JWT secret and the start-up check that refuses insecure configurations.

Locally a clearly-named development secret is the default. Anywhere else the app must be
given a real secret, either `JWT_SECRET` or (on Lambda) `JWT_SECRET_ARN`, which is fetched
from Secrets Manager on first use (never at import or app build: cold starts stay cheap).
"""

from __future__ import annotations

from courtside.settings import (
    DEV_JWT_SECRET,
    MIN_JWT_SECRET_LENGTH,
    AppSettings,
    AuthSettings,
    get_auth_settings,
)


class InsecureConfiguration(RuntimeError):
    """The app would run with a secret anyone can read; it refuses to start."""


def _weak_secret_reason(secret: str | None) -> str | None:
    if not secret:
        return "is missing"
    if secret == DEV_JWT_SECRET:
        return "is the local development default"
    if len(secret) < MIN_JWT_SECRET_LENGTH:
        return f"is shorter than {MIN_JWT_SECRET_LENGTH} characters"
    return None


def check_auth_settings(app: AppSettings, auth: AuthSettings) -> None:
    """Raise `InsecureConfiguration` outside `local` without a real JWT secret."""
    if app.is_local or auth.jwt_secret_arn:
        return
    value = auth.jwt_secret.get_secret_value() if auth.jwt_secret else None
    reason = _weak_secret_reason(value)
    if reason is not None:
        raise InsecureConfiguration(
            f"JWT_SECRET {reason}; outside ENVIRONMENT=local set JWT_SECRET_ARN "
            f"or a random JWT_SECRET of at least {MIN_JWT_SECRET_LENGTH} characters"
        )


def jwt_secret() -> str:
    """The signing secret: from Secrets Manager when `JWT_SECRET_ARN` is set.

    `aws_secrets.secret_string` caches per execution environment with a TTL, so rotation is
    picked up; a fetched value that is weak is refused like a configured one.
    """
    settings = get_auth_settings()
    if settings.jwt_secret_arn:
        # lazy: boto3/Powertools load only when JWT_SECRET_ARN is set (Lambda)
        from courtside.aws_secrets import (  # type: ignore[import-not-found,unused-ignore]
            secret_string,
        )

        value = str(secret_string(settings.jwt_secret_arn))
        reason = _weak_secret_reason(value)
        if reason is not None:
            raise InsecureConfiguration(f"the secret at JWT_SECRET_ARN {reason}")
        return value
    value = settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""
    if not value:
        raise InsecureConfiguration("JWT_SECRET is missing")
    return value
