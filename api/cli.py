"""The `kt1vet` command line; the core plugin registers the same commands on `litestar`."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from policies.vocabulary import ROLES
from vetting.settings import Settings, SettingsError, get_settings

#: Exit code of a command that cannot work with what it was given (settings, files, state).
UNUSABLE = 2


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        _fail(str(exc), UNUSABLE)


def _run_reporting_refusals(work: Callable[..., Any]) -> Any:
    """Run `work` in the database; a domain refusal becomes one line and exit code 2."""
    from vetting.errors import DomainError

    try:
        return _run_with_db(work)
    except DomainError as exc:
        _fail(f"{exc.extra.get('field', exc.code)}: {exc.detail}", UNUSABLE)


@click.command("serve")
@click.option("--workers", default=1, show_default=True, help="server worker processes")
def serve(workers: int) -> None:
    """Migrate, load reference data, then serve the API (what `make run` runs)."""
    import multiprocessing

    from granian import Granian
    from granian.constants import Interfaces

    from vetting.settings import create_storage

    settings = _settings()
    try:
        create_storage(settings)
    except SettingsError as exc:
        _fail(str(exc), UNUSABLE)
    # Migrate and bootstrap in a child process: the parent then only supervises the server,
    # without carrying Alembic, the models and a database pool for the rest of its life.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        first_admin_password = pool.apply(_prepare_for_serving)
    _announce_first_admin(first_admin_password)
    click.echo(f"KT1 registry on http://{settings.host}:{settings.port} "
               f"(OpenAPI at /schema)")
    Granian("api.app:create_app", factory=True, address=settings.host, port=settings.port,
            interface=Interfaces.ASGI, workers=workers, log_access=False).serve()


def _announce_first_admin(password: str | None) -> None:
    if password:
        click.echo("=" * 72)
        click.echo("First administrator created. This password is shown once and must be")
        click.echo("changed at first login (Mật khẩu dùng một lần, phải đổi khi đăng nhập):")
        click.echo(f"  username: admin\n  password: {password}")
        click.echo("=" * 72)


def _prepare_for_serving() -> str | None:
    """Runs in a child process; returns the first admin's one-time password, if created."""
    from vetting.bootstrap import prepare

    return asyncio.run(prepare(get_settings(), create_admin=True)).first_admin_password


@click.group("db")
def db_group() -> None:
    """Database schema and reference data."""


@db_group.command("upgrade")
@click.option("--create-admin", is_flag=True,
              help="also create the first administrator if there is none (as `serve` does), "
                   "and the keys: for a step that runs once before several replicas start")
def db_upgrade(create_admin: bool) -> None:
    """Apply migrations and load or refresh the reference data."""
    from vetting.bootstrap import prepare

    try:
        prepared = asyncio.run(prepare(_settings(), create_admin=create_admin))
    except SettingsError as exc:
        _fail(str(exc), UNUSABLE)
    _announce_first_admin(prepared.first_admin_password)
    report = prepared.reference
    click.echo(f"schema at head; {report.provinces} provinces, {report.units} units, "
               f"{report.legacy_codes} legacy codes ({report.changed} changed)")


def _run_with_db(work: Callable[..., Any]) -> Any:
    """Run `work(session, keys, settings)` in one transaction against the existing registry.

    Creates no database and no keys: a missing or unmigrated database or a keys folder
    without the master key is one line naming the variable, and exit code 2.
    """
    from vetting.bootstrap import open_existing

    settings = _settings()

    async def runner() -> Any:
        async with open_existing(settings) as (database, keys), \
                database.transaction() as session:
            return await work(session, keys, settings)

    try:
        return asyncio.run(runner())
    except SettingsError as exc:
        _fail(str(exc), UNUSABLE)


@click.group("users")
def users_group() -> None:
    """Accounts."""


@users_group.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--province", default=None, help="province code, e.g. 51")
@click.option("--unit", default=None, help="unit code, e.g. POST-51 or POLICE-51")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def users_create(username: str, role: str, province: str | None, unit: str | None,
                 password_stdin: bool) -> None:
    """Create an account and print its id."""
    from vetting.accounts.users import create_user
    from vetting.principal import Actor, Context

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None

    async def work(session: Any, _keys: Any, settings: Settings) -> str:
        ctx = Context(actor=Actor(id=None, role="system", username="cli"))
        created = await create_user(session, ctx, username=username, role=role,
                                    province=province, unit=unit, password=password,
                                    policy=settings.policy)
        if created.one_time_password:
            click.echo(f"one-time password: {created.one_time_password}", err=True)
        return created.user.id

    click.echo(_run_reporting_refusals(work))


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="a checkpoint saved earlier (JSON from /audit/checkpoint)")
def audit_verify(checkpoint_file: Path | None) -> None:
    """Recompute every leaf and the root; exit 1 naming the first bad entry."""
    from vetting.audit.saved import read_saved
    from vetting.audit.verify import verify_log
    from vetting.errors import InvalidInput

    saved, signature = None, ""
    if checkpoint_file is not None:
        try:
            saved, signature = read_saved(checkpoint_file.read_bytes())
        except InvalidInput as exc:
            _fail(f"{checkpoint_file}: {exc.detail}", UNUSABLE)

    async def work(session: Any, keys: Any, _settings: Settings) -> Any:
        return await verify_log(session, audit_jwk=keys.audit_jwk(), saved=saved,
                                saved_signature=signature)

    report = _run_with_db(work)
    click.echo(f"size: {report.size}\nroot: {report.root.hex()}")
    if report.saved_checkpoint is not None:
        click.echo(f"checkpoint: {report.saved_checkpoint}")
    if report.intact:
        click.echo("audit log intact")
        return
    if report.first_bad_seq is not None:
        click.echo(f"first bad sequence number: {report.first_bad_seq}")
    for problem in report.problems:
        click.echo(f"TAMPERED: {problem}")
    sys.exit(1)


@click.group("keys")
def keys_group() -> None:
    """Signing and data keys (wrapped under KT1_KEYS_DIR)."""


@keys_group.command("rotate-data")
def keys_rotate_data() -> None:
    """Add a new data key and re-encrypt every personal-data field under it."""
    from vetting.personal_data import DataProtection
    from vetting.principal import Actor, Context
    from vetting.workers.rotation import reencrypt_all

    async def work(session: Any, keys: Any, _settings: Settings) -> tuple[int, int]:
        version = DataProtection.add_version(keys.store)
        ctx = Context(actor=Actor(id=None, role="system", username="cli"))
        return version, await reencrypt_all(session, ctx, DataProtection.open(keys.store))

    version, fields = _run_with_db(work)
    click.echo(f"data key v{version}: {fields} fields re-encrypted")


@keys_group.command("rotate")
@click.option("--unit", required=True, help="police unit code, e.g. POLICE-51")
def keys_rotate(unit: str) -> None:
    """A new signing key for a police unit; old keys stay published as retired."""
    from vetting.attestations.unit_keys import rotate
    from vetting.principal import Actor, Context

    async def work(session: Any, keys: Any, _settings: Settings) -> str:
        ctx = Context(actor=Actor(id=None, role="system", username="cli"))
        return await rotate(session, ctx, keys.store, unit)

    click.echo(f"{unit}: new key {_run_reporting_refusals(work)}")


#: Status lists named by an attestation are fetched with a short timeout: a verifier offline
#: gets "status unknown" (exit 3) quickly rather than a long wait.
STATUS_FETCH_TIMEOUT_S = 5.0
VALID, INVALID, STATUS_UNKNOWN = 0, 1, 3


def _read_source(source: str, timeout: float = 10) -> str:
    """A file's text, or a URL's body (for published keys and status lists)."""
    if source.startswith(("http://", "https://")):
        import httpx

        response = httpx.get(source, timeout=timeout, follow_redirects=False)
        response.raise_for_status()
        return response.text
    return Path(source).read_text(encoding="utf-8")


def _fetch_status_lists(urls: dict[str, str], jwks: list[dict[str, Any]],
                        now: float) -> tuple[dict[str, bytes], list[str]]:
    """The lists at the attestation's own `credentialStatus` URLs (read only after its
    signature held), each checked against the JWKS; and why any could not be had."""
    import httpx

    from vetting.attestations.verification import read_status_list

    lists: dict[str, bytes] = {}
    problems: list[str] = []
    for purpose, url in sorted(urls.items()):
        if not url.startswith(("http://", "https://")):
            problems.append(f"{purpose}: {url!r} is not an http(s) URL")
            continue
        try:
            found, bits = read_status_list(
                _read_source(url, STATUS_FETCH_TIMEOUT_S).strip(), jwks, now=now)
        except (httpx.HTTPError, ValueError) as exc:
            problems.append(f"{purpose}: {url}: {exc}")
            continue
        if found != purpose:
            problems.append(f"{purpose}: {url} serves the {found} list")
            continue
        lists[purpose] = bits
    return lists, problems


@click.group("attestation")
def attestation_group() -> None:
    """Signed attestations."""


@attestation_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--jwks", "jwks_source", required=True, help="JWKS file or URL")
@click.option("--status-list", "status_sources", multiple=True,
              help="signed status list file or URL (repeat for revocation and suspension); "
                   "a list not given is fetched from the attestation's credentialStatus URL")
def attestation_verify(file: str, jwks_source: str, status_sources: tuple[str, ...]) -> None:
    """Check a saved attestation: signature, validity and revocation/suspension status.

    \b
    Exit codes:
      0  valid: signature holds and neither revoked nor suspended
      1  invalid (the reasons are printed)
      2  unusable input (unreadable file, JWKS or status list)
      3  signature valid, status unknown (a status list could not be had)
    """
    import time

    import httpx

    from vetting.attestations.verification import (
        read_status_list,
        status_list_urls,
        verify_attestation,
    )

    now = time.time()
    try:
        jwks = json.loads(_read_source(jwks_source))["keys"]
        if not isinstance(jwks, list) or not all(isinstance(k, dict) for k in jwks):
            raise ValueError("the JWKS 'keys' must be a list of objects")
        text = Path(file).read_text(encoding="utf-8").strip()
        jws = json.loads(text)["jws"] if text.startswith("{") else text
        lists = dict(read_status_list(_read_source(s).strip(), jwks, now=now)
                     for s in status_sources)
    except (OSError, ValueError, KeyError, TypeError, httpx.HTTPError) as exc:
        _fail(f"cannot read the inputs: {exc}", UNUSABLE)
    result = verify_attestation(jws, jwks, status_lists=lists, now=now)
    problems: list[str] = []
    checked = dict(lists)
    if result.valid and result.claims is not None and result.status_unknown:
        wanted = status_list_urls(result.claims)
        fetched, problems = _fetch_status_lists(
            {p: wanted[p] for p in result.status_unknown if p in wanted}, jwks, now)
        problems += [f"{p}: the attestation names no status list URL"
                     for p in result.status_unknown if p not in wanted]
        checked |= fetched
        result = verify_attestation(jws, jwks, status_lists=checked, now=now)
    if result.claims is not None:
        subject = result.claims.get("credentialSubject", {})
        issuer = result.claims.get("issuer")
        click.echo(f"issuer: {issuer.get('id') if isinstance(issuer, dict) else issuer}")
        click.echo(f"subject: {subject.get('id')} ({subject.get('employeeNo')}), "
                   f"outcome {subject.get('outcome')}")
        click.echo(f"valid until: {result.claims.get('validUntil')}")
    for problem in problems:
        click.echo(f"status unknown: {problem}")
    if not result.valid:
        click.echo(f"INVALID: {', '.join(result.reasons)}")
        sys.exit(INVALID)
    if result.status_unknown:
        click.echo("signature valid, status unknown")
        sys.exit(STATUS_UNKNOWN)
    click.echo(f"status: checked ({', '.join(sorted(checked)) or 'no status list named'})")
    click.echo("VALID")


@click.group("notifications")
def notifications_group() -> None:
    """The notification outbox."""


@notifications_group.command("expiring")
def notifications_expiring() -> None:
    """Announce clearances entering the re-verification window (run daily)."""
    from vetting.notifications.expiring import announce_expiring
    from vetting.principal import SYSTEM, Context

    async def work(session: Any, _keys: Any, settings: Settings) -> int:
        return await announce_expiring(session, Context(actor=SYSTEM), settings.policy)

    click.echo(f"{_run_with_db(work)} clearances announced")


@click.command("relay")
@click.option("--once", is_flag=True, help="one pass (fan out, send what is due), then exit")
def relay(once: bool) -> None:
    """Deliver webhooks from the outbox (also runs inside `serve` unless KT1_WEBHOOK_RELAY=off).

    Any number of relays and servers may run at once: each delivery attempt is claimed by
    one of them. SIGTERM or Ctrl-C stops after the attempts under way.
    """
    import signal

    from vetting.bootstrap import open_existing
    from vetting.webhooks.relay import Relay

    settings = _settings()

    async def runner() -> None:
        async with open_existing(settings) as (database, keys), \
                Relay(database, keys.data, settings.webhooks) as worker:
            if once:
                done = await worker.run_once()
                click.echo(f"{done.fanned_out} events fanned out, {done.attempted} attempts, "
                           f"{done.delivered} delivered")
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            click.echo(f"webhook relay running (every {settings.webhooks.poll_s:g} s)",
                       err=True)
            await worker.run(stop)

    try:
        asyncio.run(runner())
    except SettingsError as exc:
        _fail(str(exc), UNUSABLE)


def register_commands(group: click.Group) -> None:
    for command in (serve, db_group, users_group, audit_group, keys_group, attestation_group,
                    notifications_group, relay):
        group.add_command(command)


@click.group(name="kt1vet")
def main() -> None:
    """KT1 vetting registry."""


register_commands(main)
