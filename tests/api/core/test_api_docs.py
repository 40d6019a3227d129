"""The interactive API docs load nothing from another origin and need no inline script."""

import re
from pathlib import Path

from courtside.web.api_docs import VENDOR

STATIC = Path(__file__).resolve().parents[3] / "api" / "courtside" / "static"


def referenced_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


async def test_docs_page_uses_only_vendored_assets(client):
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    urls = referenced_urls(response.text)
    assert f"{VENDOR}/swagger-ui-bundle.js" in urls
    assert f"{VENDOR}/swagger-ui.css" in urls
    assert "/static/docs/swagger-init.js" in urls
    assert "cdn." not in response.text
    assert "tiangolo" not in response.text
    for url in urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        if url.startswith("/static/"):
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert asset.content, url
    # Every <script> has a src: the CSP refuses inline scripts.
    assert len(re.findall(r"<script\b", response.text)) == len(
        re.findall(r"<script src=", response.text)
    )
    assert 'data-openapi-url="/openapi.json"' in response.text
    assert 'data-oauth2-redirect-url="/docs/oauth2-redirect"' in response.text


async def test_swagger_initialiser_points_at_our_spec_and_no_validator():
    init = (STATIC / "docs" / "swagger-init.js").read_text()
    assert "validatorUrl: null" in init  # the default fetches a badge from swagger.io
    assert "oauth2RedirectUrl" in init
    assert "http" not in init


async def test_oauth2_redirect_page_has_no_inline_script(client):
    response = await client.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    urls = referenced_urls(response.text)
    assert urls == [f"{VENDOR}/oauth2-redirect.js"]
    assert (await client.get(urls[0])).status_code == 200
    assert "<script>" not in response.text


async def test_cdn_backed_redoc_is_gone_and_the_spec_stays(client):
    assert (await client.get("/redoc")).status_code == 404
    spec = await client.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert "/docs" not in paths  # the docs pages stay out of the API description
    assert "/token" in paths


def test_vendored_swagger_ui_is_pinned_and_licensed():
    vendor = STATIC / "vendor" / "swagger-ui"
    version = (vendor / "VERSION").read_text().strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert f"swagger-ui-dist {version}" in (vendor / "README.md").read_text()
    assert "Apache License" in (vendor / "LICENSE").read_text()
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert (vendor / name).stat().st_size > 0
