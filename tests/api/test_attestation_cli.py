"""`kt1vet attestation verify`: an offline check from saved files, as a third party would.

The main verdicts run the installed `kt1vet` in a subprocess; the many malformed-input
variants run the same click command in-process (CliRunner) to keep the suite fast.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

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
from tests.conftest import People
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
    code, out, err = await verify_cli(settings, saved.attestation, saved.jwks)
    assert code == 0, (out, err)
    assert out.splitlines()[-1] == "VALID"
    assert "status: not checked" in out
    assert f"urn:kt1:worker:{saved.issued.worker_id}" in out
    assert "urn:kt1:unit:POLICE-51" in out

    # the API's JSON answer saved as is works too, and with both status lists
    as_json = saved.directory / "attestation.json"
    as_json.write_text(json.dumps(saved.issued.attestation), encoding="utf-8")
    code, out, err = verify_here(as_json, saved.jwks, *await saved.lists(client))
    assert code == 0, (out, err)
    assert out.splitlines()[-1] == "VALID"
    assert "not checked" not in out


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
    # with only the revocation list given, the suspension is not known
    code, out, _ = verify_here(saved.attestation, saved.jwks, revocation)
    assert code == 0 and "VALID" in out


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
    code, out, err = verify_here(plain, saved.jwks)
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
