"""`kt1vet attestation verify`: an offline check from saved files, as a third party would.

The main verdicts run the installed `kt1vet` in a subprocess; the many malformed-input
variants run the same click command in-process (CliRunner) to keep the suite fast.
"""

from __future__ import annotations

import functools
import json
import socket
import threading
import time
import traceback
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from api.app import create_app
from api.cli import main
from crypto import jose_es256
from tests.api.test_attestations import (
    JWKS_URL,
    Cast,
    Issued,
    b64e,
    change,
    claims_of,
    issue,
    kt1vet,
    make_cast,
    status_token,
)
from tests.conftest import People, served, settings_for
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.settings import Settings


@dataclass
class Saved:
    """An attestation and what a verifier needs, saved to files."""

    issued: Issued
    directory: Path
    attestation: Path
    jwks: Path

    async def lists(self, client: httpx.AsyncClient) -> tuple[Path, Path]:
        """Both status lists as published now."""
        paths = []
        for purpose in ("revocation", "suspension"):
            path = self.directory / f"{purpose}.jwt"
            path.write_text(await status_token(client, purpose), encoding="utf-8")
            paths.append(path)
        return paths[0], paths[1]


async def verify_cli(settings: Settings, attestation: Path, jwks: Path | str,
                     *lists: Path) -> tuple[int, str, str]:
    args = ["attestation", "verify", str(attestation), "--jwks", str(jwks)]
    for path in lists:
        args += ["--status-list", str(path)]
    return await kt1vet(settings, *args)


def verify_here(attestation: Path, jwks: Path | str, *lists: Path) -> tuple[int, str, str]:
    """The same command, in-process: exit code, stdout, stderr (plus any traceback)."""
    args = ["attestation", "verify", str(attestation), "--jwks", str(jwks)]
    for path in lists:
        args += ["--status-list", str(path)]
    result = CliRunner().invoke(main, args)
    err = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        err += "".join(traceback.format_exception(result.exception))
    return result.exit_code, result.stdout, err


def one_line_error(code: int, out: str, err: str) -> None:
    assert code not in (0, 1), (code, out, err)  # neither VALID nor INVALID: unusable input
    assert "Traceback" not in out + err, err
    assert "VALID" not in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err


@pytest.fixture
async def cast(people: People) -> Cast:
    return await make_cast(people)


@pytest.fixture
async def saved(client: httpx.AsyncClient, cast: Cast, tmp_path: Path) -> Saved:
    issued = await issue(client, cast)
    attestation = tmp_path / "attestation.jws"
    attestation.write_text(issued.jws + "\n", encoding="utf-8")
    jwks = tmp_path / "jwks.json"
    jwks.write_text((await client.get(JWKS_URL)).text, encoding="utf-8")
    return Saved(issued=issued, directory=tmp_path, attestation=attestation, jwks=jwks)


async def test_valid_attestation(settings: Settings, saved: Saved,
                                 client: httpx.AsyncClient) -> None:
    code, out, err = await verify_cli(settings, saved.attestation, saved.jwks,
                                      *await saved.lists(client))
    assert code == 0, (out, err)
    assert out.splitlines()[-2:] == ["status: checked (revocation, suspension)", "VALID"]
    assert f"urn:kt1:worker:{saved.issued.worker_id}" in out
    assert "urn:kt1:unit:POLICE-51" in out

    # the API's JSON answer saved as is works too, and with both status lists
    as_json = saved.directory / "attestation.json"
    as_json.write_text(json.dumps(saved.issued.attestation), encoding="utf-8")
    code, out, err = verify_here(as_json, saved.jwks, *await saved.lists(client))
    assert code == 0, (out, err)
    assert out.splitlines()[-1] == "VALID"


async def test_revoked_attestation_with_status_lists(settings: Settings, saved: Saved,
                                                     client: httpx.AsyncClient,
                                                     cast: Cast) -> None:
    before = await saved.lists(client)
    revoked = await change(client, cast.lead, saved.issued.worker_id, "revoke", "Vi phạm")
    assert revoked.status_code == 200, revoked.text
    # lists saved before the revocation do not know of it (that is what freshness is for)
    code, out, _ = verify_here(saved.attestation, saved.jwks, *before)
    assert code == 0 and "VALID" in out
    code, out, err = await verify_cli(settings, saved.attestation, saved.jwks,
                                      *await saved.lists(client))
    assert code == 1, (out, err)
    assert "revoked" in out and "INVALID" in out
    assert out.splitlines()[-1] == "INVALID: revoked"


async def test_suspended_attestation_with_status_lists(saved: Saved, client: httpx.AsyncClient,
                                                       cast: Cast) -> None:
    assert (await change(client, cast.lead, saved.issued.worker_id, "suspend")
            ).status_code == 200
    revocation, suspension = await saved.lists(client)
    code, out, _ = verify_here(saved.attestation, saved.jwks, suspension)
    assert code == 1 and out.splitlines()[-1] == "INVALID: suspended"
    # with only the revocation list given, the suspension list is fetched from the
    # attestation's URL; nothing serves it here, so the status is unknown (never VALID)
    code, out, _ = verify_here(saved.attestation, saved.jwks, revocation)
    assert code == 3, out
    assert out.splitlines()[-1] == "signature valid, status unknown"
    assert "status unknown: suspension: " in out and "revocation:" not in out


async def test_tampered_attestation(settings: Settings, saved: Saved) -> None:
    head, payload, signature = saved.issued.jws.split(".")
    forged = json.dumps({**claims_of(saved.issued.jws), "validUntil": "2099-12-31T00:00:00Z"},
                        separators=(",", ":"), ensure_ascii=False).encode()
    tampered = saved.directory / "tampered.jws"
    tampered.write_text(f"{head}.{b64e(forged)}.{signature}", encoding="utf-8")
    code, out, err = await verify_cli(settings, tampered, saved.jwks)
    assert code == 1, (out, err)
    assert "INVALID" in out and "bad_signature" in out
    assert "VALID" not in out.replace("INVALID", "")

    flipped = saved.directory / "flipped.jws"
    middle = len(signature) // 2
    other = "A" if signature[middle] != "A" else "B"
    flipped.write_text(f"{head}.{payload}.{signature[:middle]}{other}{signature[middle + 1:]}",
                       encoding="utf-8")
    code, out, _ = verify_here(flipped, saved.jwks)
    assert code == 1 and out.splitlines()[-1] == "INVALID: bad_signature"
    garbage = saved.directory / "garbage.jws"
    garbage.write_text("this is not a JWS", encoding="utf-8")
    code, out, _ = verify_here(garbage, saved.jwks)
    assert code == 1 and out.splitlines()[-1] == "INVALID: malformed"


async def test_unreadable_jwks(settings: Settings, saved: Saved) -> None:
    missing = saved.directory / "missing.json"
    one_line_error(*await verify_cli(settings, saved.attestation, missing))
    not_json = saved.directory / "not-json.json"
    not_json.write_text("<html>502 Bad Gateway</html>", encoding="utf-8")
    one_line_error(*verify_here(saved.attestation, not_json))
    no_keys = saved.directory / "no-keys.json"
    no_keys.write_text('{"keyz": []}', encoding="utf-8")
    one_line_error(*verify_here(saved.attestation, no_keys))
    as_list = saved.directory / "list.json"
    as_list.write_text("[]", encoding="utf-8")
    one_line_error(*verify_here(saved.attestation, as_list))
    # an empty key set is readable: the attestation is then simply not verifiable
    empty = saved.directory / "empty.json"
    empty.write_text('{"keys": []}', encoding="utf-8")
    code, out, _ = verify_here(saved.attestation, empty)
    assert code == 1 and out.splitlines()[-1] == "INVALID: unknown_kid"


async def test_string_issuer_is_reported_not_crashed(saved: Saved, client: httpx.AsyncClient,
                                                     cast: Cast, keys: RegistryKeys) -> None:
    material = keys.store.load(f"units/POLICE-51/{saved.issued.kid}")
    assert material is not None
    claims = {**claims_of(saved.issued.jws), "issuer": "urn:kt1:unit:POLICE-51"}
    token = jose_es256.sign(claims, jose_es256.private_from_pkcs8(material),
                            kid=saved.issued.kid, typ="vc+jwt")
    answer = await client.post("/api/v1/attestations/verify", json={"jws": token},
                               headers=cast.hr.headers)
    assert answer.json()["valid"] is True
    plain = saved.directory / "plain-issuer.jws"
    plain.write_text(token, encoding="utf-8")
    code, out, err = verify_here(plain, saved.jwks, *await saved.lists(client))
    assert "Traceback" not in err, err
    assert code == 0 and out.splitlines()[-1] == "VALID"


def test_malformed_jwks_is_an_input_error(saved: Saved) -> None:
    """A key set that is not a list of objects is unusable input (exit 2, one line)."""
    as_strings = saved.directory / "strings.json"
    as_strings.write_text('{"keys": ["not a key"]}', encoding="utf-8")
    one_line_error(*verify_here(saved.attestation, as_strings))
    # an EC key without its coordinates is skipped, so nothing can verify against it
    partial = saved.directory / "partial.json"
    partial.write_text(json.dumps({"keys": [{"kty": "EC", "kid": saved.issued.kid,
                                             "kt1_purpose": "attestation"}]}),
                       encoding="utf-8")
    code, out, err = verify_here(saved.attestation, partial)
    assert "Traceback" not in err, err
    assert code == 1 and out.splitlines()[-1] == "INVALID: unknown_kid"


# ------------------------------------------------- status lists from the attestation's URLs


class Publisher:
    """A real HTTP server in a thread, serving saved status lists where the registry would
    (`{public_url}/api/v1/status-lists/{purpose}`): what a verifier without lists fetches."""

    def __init__(self, root: Path) -> None:
        self.root = root
        handler = functools.partial(QuietHandler, directory=str(root))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, purpose: str, token: str) -> None:
        path = self.root / "api" / "v1" / "status-lists" / purpose
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(token, encoding="utf-8")

    async def publish_from(self, client: httpx.AsyncClient) -> None:
        for purpose in ("revocation", "suspension"):
            self.publish(purpose, await status_token(client, purpose))

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def registry_publishing_at(settings: Settings, database: Database,
                                 public_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The registry (same database and keys) with its public URL at `public_url`, so the
    attestations it issues name status lists there."""
    moved = settings_for(settings.database_url, settings.keys_dir, KT1_PUBLIC_URL=public_url)
    async with served(create_app(moved, database)) as client:
        yield client


async def save_issued(client: httpx.AsyncClient, cast: Cast, folder: Path) -> Saved:
    issued = await issue(client, cast)
    attestation = folder / "attestation.jws"
    attestation.write_text(issued.jws, encoding="utf-8")
    jwks = folder / "jwks.json"
    jwks.write_text((await client.get(JWKS_URL)).text, encoding="utf-8")
    return Saved(issued=issued, directory=folder, attestation=attestation, jwks=jwks)


@pytest.fixture
def publisher(tmp_path: Path) -> Iterator[Publisher]:
    running = Publisher(tmp_path / "www")
    yield running
    running.stop()


async def test_without_status_lists_they_are_fetched_from_the_attestation(
        settings: Settings, database: Database, cast: Cast, publisher: Publisher,
        tmp_path: Path) -> None:
    async with registry_publishing_at(settings, database, publisher.url) as client:
        saved = await save_issued(client, cast, tmp_path)
        urls = {e["statusPurpose"]: e["statusListCredential"]
                for e in claims_of(saved.issued.jws)["credentialStatus"]}
        assert urls == {p: f"{publisher.url}/api/v1/status-lists/{p}"
                        for p in ("revocation", "suspension")}
        await publisher.publish_from(client)
        code, out, err = await verify_cli(settings, saved.attestation, saved.jwks)
        assert code == 0, (out, err)
        assert out.splitlines()[-2:] == ["status: checked (revocation, suspension)", "VALID"]

        # suspended: the published suspension list says so, and the CLI finds it unasked
        assert (await change(client, cast.lead, saved.issued.worker_id, "suspend")
                ).status_code == 200
        await publisher.publish_from(client)
        code, out, err = await verify_cli(settings, saved.attestation, saved.jwks)
        assert code == 1, (out, err)
        assert out.splitlines()[-1] == "INVALID: suspended"
        # a list given on the command line is used as is; only the missing one is fetched
        revocation, _ = await saved.lists(client)
        code, out, _ = verify_here(saved.attestation, saved.jwks, revocation)
        assert code == 1 and out.splitlines()[-1] == "INVALID: suspended"

        # the URL serving the wrong list, or a list the JWKS does not sign: status unknown
        publisher.publish("suspension", revocation.read_text(encoding="utf-8"))
        code, out, _ = verify_here(saved.attestation, saved.jwks)
        assert code == 3, out
        assert "serves the revocation list" in out
        publisher.publish("suspension", "not a status list")
        code, out, _ = verify_here(saved.attestation, saved.jwks)
        assert code == 3 and "status list rejected" in out, out


async def test_offline_without_status_lists_is_status_unknown(
        settings: Settings, database: Database, cast: Cast, tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{closed_port()}"
    async with registry_publishing_at(settings, database, nowhere) as client:
        saved = await save_issued(client, cast, tmp_path)
        assert (await change(client, cast.lead, saved.issued.worker_id, "suspend")
                ).status_code == 200
    # a suspended attestation, its lists unreachable: never VALID, and not "invalid" either
    started = time.monotonic()
    code, out, err = await verify_cli(settings, saved.attestation, saved.jwks)
    assert code == 3, (out, err)
    assert out.splitlines()[-1] == "signature valid, status unknown"
    assert "VALID" not in out.replace("signature valid", "")
    unknown = [line for line in out.splitlines() if line.startswith("status unknown: ")]
    assert [line.split(":")[1].strip() for line in unknown] == ["revocation", "suspension"]
    assert all(nowhere in line for line in unknown)
    assert time.monotonic() - started < 30
    # a bad signature stays INVALID (1) whether or not the status can be had
    head, payload, signature = saved.issued.jws.split(".")
    forged = tmp_path / "forged.jws"
    forged.write_text(f"{head}.{payload}.{signature[::-1]}", encoding="utf-8")
    code, out, _ = verify_here(forged, saved.jwks)
    assert code == 1 and out.splitlines()[-1].startswith("INVALID"), out


def test_the_help_documents_the_exit_codes() -> None:
    result = CliRunner().invoke(main, ["attestation", "verify", "--help"])
    assert result.exit_code == 0
    for line in ("0  valid", "1  invalid", "2  unusable input",
                 "3  signature valid, status unknown"):
        assert line in result.output, result.output
