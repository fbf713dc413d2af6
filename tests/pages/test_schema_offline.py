"""/schema works on a closed network: the API documentation's viewer and its assets come from
the app itself (api/static/vendor), never from a CDN. The browser test watches the requests."""

from __future__ import annotations

import re

import httpx

from api.plugin import SCHEMA_UI_ASSETS

_URL_ATTRIBUTE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""")


async def test_the_api_documentation_names_only_this_origin(client: httpx.AsyncClient) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200
    urls = _URL_ATTRIBUTE.findall(page.text)
    assert urls, "no assets found"
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    for url in urls:
        if url.startswith(SCHEMA_UI_ASSETS):
            asset = await client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 10_000, url


async def test_the_vendored_viewer_ships_with_its_licence(client: httpx.AsyncClient) -> None:
    licence = await client.get(f"{SCHEMA_UI_ASSETS}/LICENSE")
    assert licence.status_code == 200 and "Apache License" in licence.text
