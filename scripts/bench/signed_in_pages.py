"""Same-work floors and the signed-in pages (issue 23; a script, not a test).

    .venv/bin/python scripts/bench/signed_in_pages.py [--cold-runs 7] [--warm-invocations 3000]
        [--warm-only]  (a) and (b) only: the public request path
        [--cold-only]  (c) only (with what it needs: the misses' SQL, the Redis entry)
        [--pages-only] (d) only

On PostgreSQL (BENCH_DATABASE_URL's server, a database of its own with the demo season, the
demo accounts and demo-user's bet history) and Redis (BENCH_REDIS_URL, a prefix of its own):

(a) Redis hit, warm `GET /v1/teams`: against FastAPI+Mangum doing one redis-py GET of the
    same body.
(b) Misses (caching off) for teams, a day's games and standings: against FastAPI+Mangum
    sending the same statements, with the same parameters, on one raw asyncpg connection.
(c) Cold start to the first response, WITHOUT the interpreter's teardown (`os._exit` in
    both arms; Lambda never pays it): the public service's `GET /v1/teams` missing the
    cache as deployed (Redis configured, the entry absent, `DB_DRIVER_READS` on as the
    stacks set it) and without Redis (the in-process cache: the cache's versions are read
    from PostgreSQL through the engine), and the web service's first signed-in `GET /`,
    against a FastAPI+Mangum+asyncpg process answering the teams query; and the public
    service's `GET /v1/teams` answered from Redis (the
    common cold start in production: ElastiCache is shared by every Lambda, so a new one
    finds the entry there) against a FastAPI+Mangum process doing one redis-py GET of the
    same body, started cold.
(d) Signed-in pages warm (the board, my record, a game page, the admin's users): median per
    page, its ratio to the constant-answer floor (bare FastAPI+Mangum), and the SQL statements
    each sends (a `before_cursor_execute` listener, one request after the warm-up).

Floor and project alternate process by process (A B A B).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    EVENT,
    FLOOR_IMPORT,
    IMAGE_PYTHON,
    Figure,
    analyze,
    child_env,
    image_env,
    image_site,
    load_average,
    median,
    percentile,
    postgres_demo,
    redis_url,
    run_child,
    write_floor,
)
from same_work import (
    REDIS_FLOOR_IMPORT,
    SQL_FLOOR_IMPORT,
    capture_sql,
    redis_floor_env,
    sql_floor_env,
    teams_body,
    write_same_work_floors,
)

MISS_ENV = {"CACHE_TTL_SECONDS": "0", "CACHE_TTL_REFERENCE_SECONDS": "0"}

CONTEXT = """
class Context:
    aws_request_id = "bench"
    client_context = None
    identity = None
"""

COLD_NO_TEARDOWN = (
    """
import json, sys
{import_line}
event = json.load(open(sys.argv[1]))
event["rawPath"] = event["requestContext"]["http"]["path"] = sys.argv[2]
event["rawQueryString"] = sys.argv[3]
if sys.argv[4]:
    event["cookies"] = [sys.argv[4]]
    event["headers"]["accept"] = "text/html"
"""
    + CONTEXT
    + """
response = handler(event, Context())
assert response["statusCode"] == 200, response
if len(sys.argv) > 5 and sys.argv[5]:  # the cache's answer this arm is meant to measure
    served = response["headers"].get("x-cache")
    assert served == sys.argv[5], ("x-cache", served, "expected", sys.argv[5], response["headers"])
RESULT.write("{{}}\\n")
RESULT.close()
os._exit(0)  # no interpreter teardown: Lambda never pays it
"""
)

WARM = (
    """
import json, sys, time
{import_line}
event = json.load(open(sys.argv[1]))
count = int(sys.argv[2])
requests = json.loads(sys.argv[3])
"""
    + CONTEXT
    + """
context = Context()
counter = None
if requests and requests[0][3]:
    from sqlalchemy import event as sa_event
    from courtside import db
    statements = []
    def counter(_c, _cu, statement, _p, _ctx, _m):
        statements.append(statement)
results = {{}}
for name, path, query, cookie in requests:
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["rawQueryString"] = query
    if cookie:
        event["cookies"] = [cookie]
        event["headers"]["accept"] = "text/html"
    for _ in range(max(30, count // 20)):
        response = handler(event, context)
    assert response["statusCode"] == 200, (name, response["statusCode"], response["body"][:300])
    counted = None
    if counter is not None:
        engine = db.get_engine().sync_engine
        statements.clear()
        sa_event.listen(engine, "before_cursor_execute", counter)
        handler(event, context)
        sa_event.remove(engine, "before_cursor_execute", counter)
        counted = len(statements)
    samples = []
    clock = time.perf_counter_ns
    for _ in range(count):
        t0 = clock()
        handler(event, context)
        samples.append(clock() - t0)
    results[name] = {{"samples_ns": samples, "statements": counted,
                     "x_cache": response["headers"].get("x-cache")}}
print(json.dumps(results), file=RESULT)
"""
)

REDIS_ENTRY = (
    """
import json, sys
from courtside.lambda_services.public import handler
event = json.load(open(sys.argv[1]))
event["rawPath"] = event["requestContext"]["http"]["path"] = "/v1/teams"
event["rawQueryString"] = "limit=50"
"""
    + CONTEXT
    + """
served = []
for _ in range(2):
    response = handler(event, Context())
    assert response["statusCode"] == 200, response
    served.append(response["headers"].get("x-cache"))
print(json.dumps({"x_cache": served}), file=RESULT)
"""
)
"""The public service's `GET /v1/teams?limit=50` twice in one process: the first fills the
Redis entry if it is absent or stale, the second must then be a hit (Redis is the only tier
when REDIS_URL is set), which also proves the public service reads the key that is filled."""

TOKENS = """
import asyncio, json
from sqlalchemy import select
from courtside import db
from courtside.auth.tokens import issue_token
from courtside.models import User
from courtside.settings import get_auth_settings
async def main():
    async with db.get_sessionmaker()() as session:
        users = list(await session.scalars(
            select(User).where(User.username.in_(["demo-user", "demo-admin"]))))
    name = "__Host-" + get_auth_settings().session_cookie_name
    cookies = {}
    for user in users:
        issued = issue_token(user_id=user.id, role=user.role, token_version=user.token_version)
        cookies[user.username] = f"{name}={issued.token}"
    await db.dispose_engine()
    print(json.dumps(cookies), file=RESULT)
asyncio.run(main())
"""


def _stats(samples_ns: list[int]) -> dict[str, float]:
    values = [ns / 1000 for ns in samples_ns]
    return {"median_us": median(values), "p99_us": percentile(values, 0.99)}


def warm_rounds(
    floor: tuple[str, dict[str, str], list[list[str]]],
    app: tuple[str, dict[str, str], list[list[str]]],
    invocations: int,
    rounds: int,
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]], dict[str, int | None]]:
    """`rounds` processes of each side, alternating: per-request stats of floor and app, and
    the app's statements per request (None when not counted)."""
    samples: dict[str, dict[str, list[int]]] = {"floor": {}, "app": {}}
    statements: dict[str, int | None] = {}
    per_round = max(invocations // rounds, 100)
    for _ in range(rounds):
        for side, (import_line, env, requests) in (("floor", floor), ("app", app)):
            _, result = run_child(
                WARM.format(import_line=import_line),
                [str(EVENT), str(per_round), json.dumps(requests)],
                env,
            )
            for name, answer in result.items():
                samples[side].setdefault(name, []).extend(answer["samples_ns"])
                if side == "app":
                    statements[name] = answer["statements"]
    return (
        {name: _stats(values) for name, values in samples["floor"].items()},
        {name: _stats(values) for name, values in samples["app"].items()},
        statements,
    )


def _ratio_figure(
    name: str, floor: dict[str, float], app: dict[str, float], goal: float, note: str = ""
) -> Figure:
    ratio = app["median_us"] / floor["median_us"]
    detail = f"p99 {floor['p99_us']:.0f} / {app['p99_us']:.0f} us"
    return Figure(
        name=name,
        floor=floor["median_us"],
        project=app["median_us"],
        unit="us",
        goal=f"<= {goal:g}x",
        ratio=ratio,
        met=ratio <= goal,
        note=f"{note}; {detail}" if note else detail,
    )


def _sample_game_and_day(url: str) -> tuple[int, str]:
    async def query() -> tuple[int, str]:
        import asyncpg

        connection = await asyncpg.connect(
            url.replace("+asyncpg", ""), server_settings={"search_path": "mart,public"}
        )
        try:
            row = await connection.fetchrow(
                "SELECT g.id, (g.start_time AT TIME ZONE 'America/New_York')::date AS day "
                "FROM games g JOIN odds_snapshots o ON o.game_id = g.id "
                "WHERE g.start_time > now() ORDER BY g.start_time LIMIT 1"
            )
        finally:
            await connection.close()
        return int(row["id"]), row["day"].isoformat()

    return asyncio.run(query())


def _load_bets(url: str) -> None:
    import subprocess

    from common import API_DIR, REPO

    env = child_env(url, API_DIR)
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo_bets.py"), "--user", "demo-user"],
        env=env,
        check=True,
        capture_output=True,
    )


def _fresh_redis_entry(env: dict[str, str]) -> None:
    """Make sure the public service's Redis entry of `GET /v1/teams?limit=50` under `env`'s
    CACHE_PREFIX is present and fresh before the cold rounds: a cold "hit" child that missed
    would measure a miss on PostgreSQL (each cold child checks its `x-cache` too)."""
    served = run_child(REDIS_ENTRY, [str(EVENT)], env)[1]["x_cache"]
    if served[-1] != "hit":
        raise SystemExit(f"the public service never hit its Redis entry (x-cache {served})")
    if served[0] != "hit":
        print(f"  (the Redis entry was absent or stale: refilled, x-cache {served})", flush=True)


def measure(
    cold_runs: int,
    invocations: int,
    *,
    warm_only: bool = False,
    cold_only: bool = False,
    pages_only: bool = False,
) -> list[Figure]:
    import tempfile

    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="courtside-bench-") as tmp, postgres_demo() as url:
        directory = write_floor(Path(tmp))
        write_same_work_floors(directory)
        print("  demo-user's bet history ...", flush=True)
        _load_bets(url)
        analyze(url)  # the bets too: the pages' statements are planned on them
        game, day = _sample_game_and_day(url)
        prefix = f"bench-{uuid.uuid4().hex}"
        env = child_env(url, directory, REDIS_URL=redis_url(), CACHE_PREFIX=prefix)
        miss_env = child_env(url, directory, **MISS_ENV)
        constant = (FLOOR_IMPORT, env, [["/v1/teams", "/v1/teams", "", ""]])

        # teams_body's request fills the Redis entry of GET /v1/teams?limit=50 under `prefix`
        redis_env = {} if pages_only else redis_floor_env(env, teams_body(env), redis_url(), prefix)
        if not (cold_only or pages_only):
            print(f"  Redis hit vs one redis-py GET ({load_average()}) ...", flush=True)
            hit_request = [["teams", "/v1/teams", "limit=50", ""]]
            f, a, _ = warm_rounds(
                (REDIS_FLOOR_IMPORT, redis_env, hit_request),
                ("from courtside.lambda_handler import handler", env, hit_request),
                invocations,
                3,
            )
            figures.append(
                _ratio_figure("Redis hit GET /v1/teams vs one redis-py GET", f["teams"],
                              a["teams"], 1.2)
            )  # fmt: skip

        misses = [
            ("teams", "/v1/teams", "limit=50"),
            ("games", "/v1/games", f"date={day}"),
            ("standings", "/v1/standings", ""),
        ]
        sql = None
        if not pages_only:
            sql = capture_sql(miss_env, [(path, query) for _, path, query in misses], directory)
        if sql is not None and not cold_only:
            print(f"  misses vs raw asyncpg, same SQL ({load_average()}) ...", flush=True)
            miss_requests = [[name, path, query, ""] for name, path, query in misses]
            f, a, _ = warm_rounds(
                (SQL_FLOOR_IMPORT, sql_floor_env(miss_env, sql, url), miss_requests),
                ("from courtside.lambda_handler import handler", miss_env, miss_requests),
                max(invocations // 2, 600),
                3,
            )
            for name, _, _ in misses:
                figures.append(
                    _ratio_figure(f"miss {name} vs raw asyncpg, same SQL", f[name], a[name], 1.5)
                )

        if warm_only:  # the public request path only (issue 23's warm arms)
            return figures
        cookies = run_child(TOKENS, [], env)[1]
        if sql is not None:
            print(f"  cold starts to the first response ({load_average()}) ...", flush=True)
            cold_env = child_env(url, directory)  # the in-process cache: empty in a new process
            floor_env = sql_floor_env(cold_env, sql, url)
            _fresh_redis_entry(env)
            miss_prefix = f"{prefix}-miss"
            deployed_miss = {**env, "CACHE_PREFIX": miss_prefix, "DB_DRIVER_READS": "true"}
            figures += _cold(
                cold_runs,
                cold_env,
                floor_env,
                cookies["demo-user"],
                env,
                redis_env,
                deployed_miss,
                partial(_drop_entries, miss_prefix),
            )
        if cold_only:
            return figures
        if pages_only:  # the templates compiled as in a full run (there `_cold` compiles them)
            _compile_templates(env)

        print(f"  signed-in pages, warm ({load_average()}) ...", flush=True)
        user, admin = cookies["demo-user"], cookies["demo-admin"]
        pages = [
            ["board", "/", "", user],
            ["record", "/record", "", user],
            ["game page", f"/games/{game}", "", user],
            ["admin users", "/admin/users", "", admin],
        ]
        f, a, statements = warm_rounds(
            constant,
            ("from courtside.lambda_services.web import handler", env, pages),
            max(invocations // 6, 300),
            3,
        )
        floor = f["/v1/teams"]
        for name, *_ in pages:
            count = statements[name]
            ratio = a[name]["median_us"] / floor["median_us"]
            met = ratio <= 40 and a[name]["median_us"] <= 3000 and (count or 0) <= 4
            figures.append(
                Figure(
                    name=f"signed-in {name}, warm",
                    floor=floor["median_us"],
                    project=a[name]["median_us"],
                    unit="us",
                    goal="<= 40x",
                    ratio=ratio,
                    met=met,
                    note=f"{count} SQL statements (goal <= 4), {a[name]['median_us'] / 1000:.1f}"
                    f" ms (goal <= 3 ms); p99 {a[name]['p99_us'] / 1000:.1f} ms",
                )
            )
    return figures


def _compile_templates(env: dict[str, str]) -> None:
    """The templates compiled as the image's build compiles them (api/Dockerfile), into the
    tree's git-ignored courtside/templates_compiled: a template that differs from its entry
    is compiled from source, so the directory can never serve a stale page."""
    subprocess.run([sys.executable, "-m", "courtside.web.templating"], env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def _drop_entries(prefix: str) -> None:
    """Delete every cache entry under `prefix` (not the namespaces' versions): the next
    request misses, as after an entry's TTL."""
    import redis

    client = redis.Redis.from_url(redis_url())
    try:
        for key in client.scan_iter(match=f"{prefix}:*:e:*", count=1000):
            client.delete(key)
    finally:
        client.close()


def _cold(
    runs: int,
    env: dict[str, str],
    floor_env: dict[str, str],
    cookie: str,
    hit_env: dict[str, str],
    redis_floor: dict[str, str],
    miss_env: dict[str, str],
    drop_miss_entries: Callable[[], None],
) -> list[Figure]:
    """Cold starts to the first response without teardown, interleaved run by run. `env`:
    the in-process cache (a miss on PostgreSQL, the cache's versions read there too);
    `miss_env`: as deployed, Redis, whose entries `drop_miss_entries` deletes before each of
    its runs (the `public-miss` child asserts `x-cache: miss`); `hit_env`: Redis, whose
    entry of the teams page is filled (the `public-redis` child asserts `x-cache: hit`);
    `redis_floor`: the Redis floor's, its key holding the same body."""
    public = "from courtside.lambda_services.public import handler"
    children = {
        "floor": (SQL_FLOOR_IMPORT, floor_env, ["/v1/teams", "limit=50", ""]),
        "public-miss": (public, miss_env, ["/v1/teams", "limit=50", "", "miss"]),
        "public": (public, env, ["/v1/teams", "limit=50", ""]),
        "web": ("from courtside.lambda_services.web import handler", env, ["/", "", cookie]),
        "floor-redis": (REDIS_FLOOR_IMPORT, redis_floor, ["/v1/teams", "limit=50", ""]),
        "public-redis": (public, hit_env, ["/v1/teams", "limit=50", "", "hit"]),
    }
    totals: dict[str, list[float]] = {name: [] for name in children}
    _compile_templates(env)
    site = image_site()  # every cold child, floors included, on what the image ships

    def cold(name: str) -> float:
        line, child, args = children[name]
        before.get(name, _nothing)()
        code = COLD_NO_TEARDOWN.format(import_line=line)
        return run_child(code, [str(EVENT), *args], image_env(child, site), IMAGE_PYTHON)[0]

    before = {"public-miss": drop_miss_entries}
    for name in children:  # bytecode written (child_env), files read
        cold(name)
    for _ in range(runs):
        for name in children:
            totals[name].append(cold(name))
    sql_note = "to the first response, no teardown; floor: FastAPI+Mangum+asyncpg, the same query"
    redis_note = (
        "to the first response, no teardown; floor: FastAPI+Mangum+redis-py, one GET of the "
        "same body"
    )
    figures = []
    local_note = (
        "no Redis: the in-process cache, whose versions are read from PostgreSQL through the "
        "engine; deployed functions have Redis (the row above)"
    )
    for name, floor_name, label, goal, note in (
        ("public-miss", "floor", "cold, public service, GET /v1/teams", 1.5, sql_note),
        ("public", "floor", "  the same without Redis", None, local_note),
        ("web", "floor", "cold, web service, first signed-in GET /", 2.0, sql_note),
        ("public-redis", "floor-redis", "cold, public service, Redis hit", 1.5, redis_note),
    ):
        floor = median(totals[floor_name])
        project = median(totals[name])
        figures.append(
            Figure(
                name=label,
                floor=floor,
                project=project,
                unit="ms",
                goal="-" if goal is None else f"<= {goal:g}x",
                ratio=project / floor,
                met=None if goal is None else project / floor <= goal,
                note=note,
            )
        )
    return figures


def _nothing() -> None:
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--warm-invocations", type=int, default=3000)
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--warm-only", action="store_true", help="the Redis hit and the misses only (a and b)"
    )
    only.add_argument(
        "--cold-only", action="store_true", help="the cold starts only (c): no warm arm measured"
    )
    only.add_argument("--pages-only", action="store_true", help="the signed-in pages only (d)")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; {load_average()}")
    figures = measure(
        args.cold_runs,
        args.warm_invocations,
        warm_only=args.warm_only,
        cold_only=args.cold_only,
        pages_only=args.pages_only,
    )
    for figure in figures:
        print(figure.line())
    print(load_average())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
