"""Authentication and authorisation: passwords, JWTs, API keys, login limits.

Routers use the dependencies in `courtside.auth.deps`; pages use `courtside.web.session`.
"""
