import httpx
import pytest

from courtside import db
from courtside.settings import get_database_settings
from tests.helpers import make_player


async def test_pagination_bounds_and_envelope(client, session, world):
    for n in range(7):
        await make_player(session, world.teams["LAL"], last_name=f"Zz{n}")
    await session.commit()
    page = (await client.get("/v1/players", params={"limit": 3, "offset": 2})).json()
    assert (page["total"], page["limit"], page["offset"]) == (11, 3, 2)
    assert len(page["items"]) == 3
    everything = (await client.get("/v1/players", params={"limit": 200})).json()["items"]
    assert [p["id"] for p in page["items"]] == [p["id"] for p in everything[2:5]]
    past_the_end = (await client.get("/v1/players", params={"offset": 500})).json()
    assert past_the_end["items"] == [] and past_the_end["total"] == 11
    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": "x"}):
        response = await client.get("/v1/players", params=params)
        assert response.status_code == 422, params
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["details"][0]["loc"][0] == "query"


async def test_unknown_route_and_method_get_the_json_error_shape(client):
    missing = await client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = await client.delete("/v1/teams")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


async def test_an_unexpected_error_is_a_500_without_a_stack_trace(app):
    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/v1/boom")
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "Something went wrong on our side.",
            "details": None,
        }
    }
    assert "secret" not in response.text and "Traceback" not in response.text


async def test_oversized_body_is_refused_with_413(client):
    response = await client.post("/v1/teams", content=b"x" * 2_000_000)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_liveness(client):
    response = await client.get("/health")
    assert response.json() == {"status": "ok"}


async def test_readiness_checks_database_and_cache(client):
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok"}


@pytest.fixture
async def database_down():
    engine = db.build_engine(
        get_database_settings(), url="postgresql+asyncpg://postgres@127.0.0.1:1/none"
    )
    db.use_engine(engine)
    yield
    await engine.dispose()


async def test_readiness_is_503_with_details_when_the_database_is_down(client, database_down):
    response = await client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"].startswith("error")
    assert body["error"]["code"] == "not_ready"
    assert (await client.get("/health")).status_code == 200
    teams = await client.get("/v1/teams")
    assert teams.status_code == 503
    assert teams.headers["retry-after"] == "5"
    assert teams.json()["error"]["code"] == "service_unavailable"


async def _chunks(total: int, size: int = 64 * 1024):
    sent = 0
    while sent < total:
        chunk = b"x" * min(size, total - sent)
        sent += len(chunk)
        yield chunk


async def test_a_streamed_body_without_content_length_is_limited_too(client):
    response = await client.post("/v1/teams", content=_chunks(2_000_000))
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_a_gets_streamed_body_is_limited_too(client, method):
    """A GET or HEAD without Content-Length usually has no body, but HTTP lets it send one in
    chunks: it is read up to the limit like any other, and a small one changes nothing."""
    response = await client.request(method, "/v1/teams", content=_chunks(2_000_000))
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413

    small = await client.request(method, "/v1/teams", content=_chunks(100))
    assert small.request.headers["transfer-encoding"] == "chunked"
    assert small.status_code == (await client.request(method, "/v1/teams")).status_code != 413


async def test_a_small_streamed_body_reaches_the_app_intact(client):
    response = await client.post("/token", content=_chunks(100, size=7))
    assert response.status_code == 422  # the form is parsed: it lacks username and password
    assert response.json()["error"]["code"] == "validation_error"


async def test_a_small_content_length_beside_chunks_does_not_lift_the_limit(app):
    """Transfer-Encoding frames the body when a request also declares a Content-Length (h11,
    which uvicorn runs, reads the chunks): the limit counts what arrives, not the header."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/teams", "raw_path": b"/v1/teams", "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"content-length", b"10"),
                    (b"transfer-encoding", b"chunked")],
    }  # fmt: skip
    chunks = [b"x" * 65_536] * 32  # 2 MiB, over the 1 MiB limit
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        body = chunks.pop() if chunks else b""
        return {"type": "http.request", "body": body, "more_body": bool(chunks)}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 413
