"""The ASGI app. `create_app()` builds it; `app` is what uvicorn and the Lambda handler serve.

Building the app touches no database, cache or secret: those are created on first use, so
import stays cheap for Lambda cold starts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from courtside import cache, db
from courtside.auth.config import check_auth_settings
from courtside.errors import install_error_handlers
from courtside.middleware import BodySizeLimit
from courtside.observability import RequestLog, configure_logging
from courtside.proxy_headers import CloudFrontProxyHeaders
from courtside.routers import admin_events, admin_flags, health, ingest, league, me, odds_movement
from courtside.routers.admin_api_keys import router as admin_api_keys_router
from courtside.routers.admin_users import router as admin_users_router
from courtside.routers.auth import router as auth_router
from courtside.security_headers import install_security_headers
from courtside.settings import get_app_settings, get_auth_settings, get_ingest_settings, on_lambda
from courtside.web import admin_pages, api_docs, auth_pages, pages
from courtside.web.csrf import SessionResponseMiddleware
from courtside.web.session import install_context_hooks
from courtside.web.static_files import STATIC_DIR, HashedStaticFiles


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Under uvicorn: release connections on shutdown. (Lambda runs with lifespan off.)"""
    yield
    await db.dispose_engine()
    await cache.get_cache().close()
    cache.use_cache(None)


def create_app() -> FastAPI:
    settings = get_app_settings()
    check_auth_settings(settings, get_auth_settings())  # refuses default secrets outside local
    configure_logging(settings.log_level, on_lambda=on_lambda())
    app = FastAPI(
        title="Courtside",
        version="1.0.0",
        summary="NBA teams, players, games, moneyline odds, standings and predictions.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's /docs and /redoc load from CDNs: see web.api_docs
        redoc_url=None,
    )
    install_security_headers(app)
    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        path_limits={"/v1/ingest/": get_ingest_settings().ingest_max_body_bytes},
    )
    app.add_middleware(SessionResponseMiddleware)
    install_context_hooks()
    if settings.behind_cloudfront:
        app.add_middleware(CloudFrontProxyHeaders)
    app.add_middleware(RequestLog)  # outermost: ids and logs every response, 413s included
    app.include_router(health.router)
    app.include_router(api_docs.router)
    app.include_router(league.router)
    app.include_router(auth_router)
    app.include_router(admin_users_router)
    app.include_router(admin_api_keys_router)
    app.include_router(auth_pages.router)
    app.include_router(me.router)
    app.include_router(admin_flags.router)
    app.include_router(pages.router)
    app.include_router(admin_pages.router)
    app.state.html_error_renderer = pages.html_error_page
    app.include_router(odds_movement.router)
    app.include_router(ingest.router)
    app.include_router(admin_events.router)
    app.mount("/static", HashedStaticFiles(directory=STATIC_DIR), name="static")
    return app


app = create_app()
