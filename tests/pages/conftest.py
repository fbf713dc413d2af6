"""Browser tests: Debian's Chromium driven by Playwright against a real server process, started
the way `make run` starts it (`kt1vet serve` with KT1_DATABASE_URL, KT1_KEYS_DIR and KT1_PORT
pointing at a temporary folder), once per backend for the whole session.

Fixtures for page tests:

* `live` — the running server: `base_url`, `database_url`, `keys_dir`.
* `live_people` — `People` on the live server's database (accounts made straight in the
  database, TOTP enrolled for admin and police_lead; their `headers` carry bearer tokens the
  live server accepts, for API calls that set a scene).
* `new_page(width=1280)` — a fresh browser context and page (Vietnamese browser); every
  request it makes is recorded, and the test fails if one leaves the server's origin.
* `signed_in(role, width=1280)` — a new account of `role` (province 51) signed in through the
  login page; returns `(page, person)`.
* `axe_check(page)` — fails on any serious or critical axe-core violation (axe-core, as
  axe-playwright-python bundles it, is loaded into every page the fixture opens).
* `shoot(page, name)` — full-page screenshots under the run's temporary folder
  (`<basetemp>/screenshots/<backend>-<name>-<width>.png`) at 1280 px and 360 px wide; it
  fails when the page is wider than its viewport (content overflowing a 360 px screen).

No browser is downloaded: `/usr/bin/chromium` (the `chromium` package; `make test` and
`.ci/run` install it) is launched with `executable_path`.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from crypto import totp
from tests.conftest import People, Person, new_database_url
from tests.live_server import free_port, start_server, stop_server, wait_ready
from tests.pages.visitor import PLACEMENT, Visitor
from vetting.db import Database
from vetting.keys import RegistryKeys

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SERIOUS = ("serious", "critical")
AXE = Axe()
WIDTHS = (1280, 360)


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    keys_dir: Path
    backend: str
    log: Path
    process: subprocess.Popen[bytes]


Visit = Callable[..., Awaitable[Visitor]]


@pytest.fixture
async def visitors(app: Any) -> AsyncIterator[Visit]:
    """Visitors of the app through ASGI (no browser), signed in as the person given or not
    signed in at all; each is closed after the test."""
    opened: list[Visitor] = []

    async def visit(person: Person | None = None) -> Visitor:
        visitor = Visitor.of(app)
        opened.append(visitor)
        if person is not None:
            assert (await visitor.sign_in(person)).status_code == 303
        return visitor

    yield visit
    for visitor in opened:
        await visitor.close()


@pytest.fixture(scope="session")
async def live_servers(tmp_path_factory: pytest.TempPathFactory
                       ) -> AsyncIterator[dict[str, LiveServer]]:
    """backend -> its server, started when a test first asks and stopped at the session's end
    (not at each switch of backend: see `per_backend` in tests/conftest.py)."""
    started: dict[str, LiveServer] = {}
    try:
        yield started
    finally:
        for server in started.values():
            stop_server(server.process)


@pytest.fixture(scope="module")
async def live(backend: str, live_servers: dict[str, LiveServer],
               tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing (`make test` installs the chromium package)")
    if backend not in live_servers:
        live_servers[backend] = await _start_live(backend, tmp_path_factory)
    return live_servers[backend]


async def _start_live(backend: str, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    folder = tmp_path_factory.mktemp(f"live-{backend}")
    database_url = await new_database_url(backend, folder)
    port = free_port()
    log = folder / "server.log"
    env = {**os.environ, "KT1_DATABASE_URL": database_url, "KT1_KEYS_DIR": str(folder / "keys"),
           "KT1_HOST": "127.0.0.1", "KT1_PORT": str(port)}
    env.pop("KT1_PUBLIC_URL", None)
    process = start_server(env, log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base_url, process, log)
    except BaseException:
        stop_server(process)
        raise
    return LiveServer(base_url=base_url, database_url=database_url, keys_dir=folder / "keys",
                      backend=backend, log=log, process=process)


@pytest.fixture(scope="session")
async def live_databases() -> AsyncIterator[dict[str, People]]:
    made: dict[str, People] = {}
    try:
        yield made
    finally:
        for people in made.values():
            await people.database.dispose()


@pytest.fixture(scope="module")
def live_people(live: LiveServer, live_databases: dict[str, People]) -> People:
    if live.backend not in live_databases:
        live_databases[live.backend] = People(
            database=Database(live.database_url),
            keys=RegistryKeys.open(live.keys_dir, create=False))
    return live_databases[live.backend]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing (`make test` installs the chromium package)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                    args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@dataclass
class Pages:
    """The contexts a test opened and every URL their pages asked for."""

    browser: Browser
    live: LiveServer
    contexts: list[BrowserContext] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    async def open(self, *, width: int = 1280, height: int = 900,
                   javascript: bool = True) -> Page:
        """A page in a context of its own; `javascript=False` as a browser with scripts off
        (axe-core needs scripts: check such pages again in a page with them on)."""
        context = await self.browser.new_context(
            viewport={"width": width, "height": height}, locale="vi-VN",
            base_url=self.live.base_url, java_script_enabled=javascript)
        self.contexts.append(context)
        if javascript:
            await context.add_init_script(script=AXE.axe_script)
        page = await context.new_page()
        page.on("request", lambda request: self.requests.append(request.url))
        return page

    def foreign(self) -> list[str]:
        origin = urlsplit(self.live.base_url)
        return [url for url in self.requests if not url.startswith(("data:", "about:"))
                and (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme,
                                                                      origin.netloc)]


@pytest.fixture
async def pages(browser: Browser, live: LiveServer) -> AsyncIterator[Pages]:
    opened = Pages(browser=browser, live=live)
    yield opened
    for context in opened.contexts:
        await context.close()
    foreign = opened.foreign()
    assert not foreign, f"requests left the origin: {foreign}"


@pytest.fixture
def new_page(pages: Pages) -> Callable[..., Awaitable[Page]]:
    return pages.open


async def sign_in_on(page: Page, person: Person, *, otp: str | None = None) -> None:
    """Fill and send the login form as a person would."""
    await page.goto("/login")
    await page.fill("#username", person.username)
    await page.fill("#password", person.password)
    if otp is None and person.totp_secret is not None:
        otp = totp.code_at(person.totp_secret, time.time())
    if otp:
        await page.fill("#otp", otp)
    await page.click("main button[type=submit]")
    await page.wait_for_load_state("load")


@pytest.fixture
def signed_in(new_page: Callable[..., Awaitable[Page]], live_people: People
              ) -> Callable[..., Awaitable[tuple[Page, Person]]]:
    async def open_as(role: str, *, width: int = 1280) -> tuple[Page, Person]:
        person = await live_people.make(role, **PLACEMENT[role])
        page = await new_page(width=width)
        await sign_in_on(page, person)
        assert urlsplit(page.url).path == "/", f"sign-in ended on {page.url}"
        return page, person
    return open_as


@pytest.fixture(scope="session")
def axe_check() -> Callable[[Page], Awaitable[None]]:
    async def check(page: Page) -> None:
        results = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in results["violations"] if v.get("impact") in SERIOUS]
        assert not bad, f"axe on {page.url}:\n" + "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} — "
            f"{[n['target'] for n in v['nodes']][:5]}" for v in bad)
    return check


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def shoot(screenshots: Path, live: LiveServer) -> Callable[[Page, str], Awaitable[list[Path]]]:
    async def take(page: Page, name: str) -> list[Path]:
        size = page.viewport_size or {"width": 1280, "height": 900}
        taken = []
        for width in WIDTHS:
            await page.set_viewport_size({"width": width, "height": size["height"]})
            path = screenshots / f"{live.backend}-{name}-{width}.png"
            await page.screenshot(path=str(path), full_page=True)
            overflow: Any = await page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, f"{page.url} is {overflow} px wide at {width} px"
            taken.append(path)
        await page.set_viewport_size(size)
        return taken
    return take
