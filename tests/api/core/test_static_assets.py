"""Static assets under content-hashed URLs (issue 12.9): cacheable for a year, never stale."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from courtside.web.static_files import (
    IMMUTABLE,
    STALE_HASH,
    STATIC_DIR,
    UNHASHED,
    static_url,
)

HTML = {"Accept": "text/html"}
CSS = (STATIC_DIR / "app.css").read_bytes()


def test_static_url_carries_the_files_content_hash():
    digest = hashlib.sha256(CSS).hexdigest()[:12]

    assert static_url("app.css") == f"/static/app.{digest}.css"
    assert static_url("docs/swagger-init.js").startswith("/static/docs/swagger-init.")


def test_static_url_is_kept_per_file_and_is_each_files_hash() -> None:
    """Every static file's URL, asked twice (the second time from `static_url`'s cache, issue
    23), carries the hash of its bytes as they are on disk."""
    files = [path for path in STATIC_DIR.rglob("*") if path.is_file()]
    assert len(files) >= 3
    for path in files:
        name = path.relative_to(STATIC_DIR).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        expected = f"/static/{name.removesuffix(path.suffix)}.{digest}{path.suffix}"
        assert static_url(name) == expected
        hits = static_url.cache_info().hits
        assert static_url(name) == expected
        assert static_url.cache_info().hits == hits + 1


async def test_pages_link_the_hashed_stylesheet(client: httpx.AsyncClient) -> None:
    page = (await client.get("/login", headers=HTML)).text

    assert f'href="{static_url("app.css")}"' in page
    assert 'href="/static/app.css"' not in page


async def test_a_hashed_url_is_immutable_for_a_year(client: httpx.AsyncClient) -> None:
    response = await client.get(static_url("app.css"))

    assert response.status_code == 200
    assert response.content == CSS
    assert response.headers["cache-control"] == IMMUTABLE == ("public, max-age=31536000, immutable")
    assert response.headers["content-type"].startswith("text/css")


async def test_a_revalidation_keeps_the_long_cache_header(client: httpx.AsyncClient) -> None:
    first = await client.get(static_url("app.css"))
    again = await client.get(
        static_url("app.css"), headers={"If-None-Match": first.headers["etag"]}
    )

    assert again.status_code == 304
    assert again.headers["cache-control"] == IMMUTABLE


async def test_an_old_hash_gets_the_current_file_but_is_not_cached(
    client: httpx.AsyncClient,
) -> None:
    """During a canary, a page from the previous version may ask for the previous hash."""
    response = await client.get("/static/app.0123456789ab.css")

    assert response.status_code == 200
    assert response.content == CSS
    assert response.headers["cache-control"] == STALE_HASH


async def test_unhashed_urls_are_cached_briefly(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/app.css")

    assert response.status_code == 200
    assert response.headers["cache-control"] == UNHASHED


@pytest.mark.parametrize("path", ["/static/nope.css", "/static/nope.0123456789ab.css"])
async def test_missing_files_are_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert "immutable" not in response.headers.get("cache-control", "")
