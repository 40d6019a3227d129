"""JSON routers (under /v1, plus /token and /health). HTML pages live in `courtside.web`."""
