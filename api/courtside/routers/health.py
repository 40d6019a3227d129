"""Liveness and readiness. Readiness checks the database (required) and the cache (optional)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import JSONResponse

from courtside import db
from courtside.cache import get_cache
from courtside.errors import RETRY_AFTER_SECONDS

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0


@router.get("/health")
async def liveness() -> dict[str, str]:
    """The process is up. Touches nothing else."""
    return {"status": "ok"}


async def _check_database() -> str:
    async def select_one(connection: AsyncConnection) -> None:
        await connection.execute(text("SELECT 1"))

    await db.read(select_one)
    return "ok"


async def _check_cache() -> str:
    await get_cache().ping()
    return "ok"


async def _run(name: str, check: asyncio.Future[str] | asyncio.Task[str]) -> tuple[str, str]:
    try:
        return name, await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        log.warning("readiness check %s failed: %s", name, exc)
        return name, f"error: {type(exc).__name__}"


@router.get("/health/ready", responses={503: {"description": "The database is unreachable."}})
async def readiness() -> JSONResponse:
    """Ready to serve: 200 when the database answers; the cache is reported, not required."""
    results = dict(
        await asyncio.gather(
            _run("database", asyncio.ensure_future(_check_database())),
            _run("cache", asyncio.ensure_future(_check_cache())),
        )
    )
    ready = results["database"] == "ok"
    body: dict[str, object] = {"status": "ok" if ready else "unavailable", "checks": results}
    if not ready:
        body["error"] = {
            "code": "not_ready",
            "message": "The database is not reachable.",
            "details": results,
        }
    if ready:
        return JSONResponse(body)
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
