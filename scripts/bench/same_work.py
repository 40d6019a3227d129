"""Floors that do the same work as Courtside with the least code (issue 23), so that a ratio
against them is our own overhead, not the work itself:

- a Redis hit against FastAPI+Mangum doing one redis-py GET of the same body;
- a miss against FastAPI+Mangum sending the same SQL (captured from the app, statement and
  parameters) through one raw asyncpg connection;
- cold starts against a FastAPI+Mangum+asyncpg process answering the same query.

Cold starts here are measured to the first response WITHOUT the interpreter's teardown: the
child writes its result and leaves with `os._exit(0)`, in both arms (Lambda never pays the
teardown; the older whole-process figure of `lambda_latency.py` includes it).
"""

from __future__ import annotations

import pickle
from pathlib import Path

from common import EVENT, run_child

REDIS_FLOOR_APP = """
import json, os, sqlite3
from fastapi import FastAPI
from fastapi.responses import Response
from mangum import Mangum
from redis.asyncio import Redis

app = FastAPI()
_redis = Redis.from_url(os.environ["FLOOR_REDIS_URL"])
_key = os.environ["FLOOR_KEY"]


@app.get("/v1/teams")
async def teams() -> Response:
    return Response(await _redis.get(_key), media_type="application/json")


handler = Mangum(app, lifespan="off")
"""
"""One redis-py GET of a body as large as ours (the teams page), behind FastAPI+Mangum."""

SQL_FLOOR_APP = """
import json, os, pickle
import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import Response
from mangum import Mangum

app = FastAPI()
_sql = pickle.load(open(os.environ["FLOOR_SQL"], "rb"))
_connection = None


@app.get("/{path:path}")
async def same_sql(request: Request) -> Response:
    global _connection
    if _connection is None:
        _connection = await asyncpg.connect(
            os.environ["FLOOR_DSN"], server_settings={"search_path": "mart,public"}
        )
    answer = []
    for statement, parameters in _sql[request.url.path]:
        answer.append([dict(row) for row in await _connection.fetch(statement, *parameters)])
    return Response(json.dumps(answer, default=str), media_type="application/json")


handler = Mangum(app, lifespan="off")
"""
"""The statements our handler sends for a path, on one raw asyncpg connection."""

CAPTURE_CHILD = """
import json, pickle, sys
from sqlalchemy import event
from courtside.lambda_handler import handler
from courtside import db
event_ = json.load(open(sys.argv[1]))
paths = json.loads(sys.argv[2])
captured = {}
current = []
def record(_c, _cu, statement, parameters, _ctx, _many):
    current.append((statement, tuple(parameters or ())))
event.listen(db.get_engine().sync_engine, "before_cursor_execute", record)
class Context:
    aws_request_id = "bench-capture"
    client_context = None
    identity = None
for path, query in paths:
    event_["rawPath"] = event_["requestContext"]["http"]["path"] = path
    event_["rawQueryString"] = query
    handler(event_, Context())
    current.clear()
    response = handler(event_, Context())
    assert response["statusCode"] == 200, response
    captured[path] = list(current)
with open(sys.argv[3], "wb") as handle:
    pickle.dump(captured, handle)
print(json.dumps({}), file=RESULT)
RESULT.flush()
"""


def capture_sql(env: dict[str, str], paths: list[tuple[str, str]], directory: Path) -> Path:
    """The statements (with parameters) the app sends for each (path, query) on a miss."""
    import json

    target = directory / "same_sql.pickle"
    run_child(CAPTURE_CHILD, [str(EVENT), json.dumps(paths), str(target)], env)
    with target.open("rb") as handle:
        captured = pickle.load(handle)  # noqa: S301  (our own child wrote it, just now)
    for path, statements in captured.items():
        assert statements, f"no statement captured for {path}"
    return target


def write_same_work_floors(directory: Path) -> None:
    (directory / "redis_floor_app.py").write_text(REDIS_FLOOR_APP)
    (directory / "sql_floor_app.py").write_text(SQL_FLOOR_APP)


REDIS_FLOOR_IMPORT = "from redis_floor_app import handler"
SQL_FLOOR_IMPORT = "from sql_floor_app import handler"


def redis_floor_env(env: dict[str, str], body: bytes, url: str, prefix: str) -> dict[str, str]:
    """Store `body` under a key of the floor's own and point the floor at it."""
    import redis

    key = f"{prefix}:floor-body"
    client = redis.Redis.from_url(url)
    try:
        client.set(key, body, ex=3600)
    finally:
        client.close()
    return {**env, "FLOOR_REDIS_URL": url, "FLOOR_KEY": key}


def teams_body(env: dict[str, str]) -> bytes:
    """The body of our `GET /v1/teams?limit=50` (what the Redis floor serves)."""
    code = """
import json, sys
from courtside.lambda_handler import handler
event = json.load(open(sys.argv[1]))
class Context:
    aws_request_id = "bench-body"
    client_context = None
    identity = None
response = handler(event, Context())
assert response["statusCode"] == 200, response
print(json.dumps({"body": response["body"]}), file=RESULT)
"""
    _, answer = run_child(code, [str(EVENT)], env)
    return str(answer["body"]).encode()


def sql_floor_env(env: dict[str, str], sql_file: Path, dsn: str) -> dict[str, str]:
    return {**env, "FLOOR_SQL": str(sql_file), "FLOOR_DSN": dsn.replace("+asyncpg", "")}
