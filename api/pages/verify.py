"""The public check of an attestation, for anyone holding a printed or saved copy: paste the
token, upload the saved file, or open the link a printed copy's QR code carries
(`/verify?jws=…`). The same check as `POST /api/v1/attestations/verify`, rate-limited alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import QueryParameter
from litestar.response import Template

from api.controllers.attestations import VerifyIn
from api.pages.forms import REFUSALS, Form, refusal
from api.pages.rendering import page
from api.rate_limit import RATE_LIMITED
from api.state import Services, Transaction
from vetting.attestations.checking import check_attestation
from vetting.attestations.verification import VerificationResult

#: A saved attestation file is one compact JWS, a few kilobytes; the struct bounds the text.
MAX_FILE_BYTES = 65_536
Token = Annotated[str | None, QueryParameter(name="jws", max_length=65_536)]


@dataclass(frozen=True, slots=True)
class Shown:
    """What the page shows of a checked attestation: no personal data is in it anyway."""

    result: VerificationResult
    subject: dict[str, Any]
    issuer: str | None
    valid_from: datetime | None
    valid_until: datetime | None


def shown(result: VerificationResult) -> Shown:
    claims = result.claims or {}
    subject = claims.get("credentialSubject")
    issuer = claims.get("issuer")
    return Shown(result=result, subject=subject if isinstance(subject, dict) else {},
                 issuer=str(issuer.get("name") or issuer.get("id")) if isinstance(issuer, dict)
                 else None, valid_from=_instant(claims.get("validFrom")),
                 valid_until=_instant(claims.get("validUntil")))


def _instant(value: Any) -> datetime | None:
    """A signed RFC 3339 time (UTC, `Z`), shown in Vietnam time; None when unreadable."""
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


class VerifyPages(Controller):
    include_in_schema = False

    @get("/verify", opt={"public": True, "read_only": True, RATE_LIMITED: True})
    async def verify_form(self, db: Transaction, services: Services, jws: Token = None) -> Template:
        if not jws:
            return page("verify/verify.html", checked=None)
        result = await check_attestation(db, services.keys, jws.strip(), now=time.time())
        return page("verify/verify.html", checked=shown(result))

    @post("/verify", opt={"public": True, "read_only": True, RATE_LIMITED: True})
    async def verify(self, request: Request[Any, Any, Any], db: Transaction,
                     services: Services) -> Template:
        form = await Form.read(request)
        upload = form.files.get("file")
        given = form.value("jws")
        if upload is not None and upload.filename:
            content = await upload.read(MAX_FILE_BYTES + 1)
            given = content.decode("utf-8", errors="replace").strip() if len(
                content) <= MAX_FILE_BYTES else content.decode("latin-1")
        try:
            data = form.parse(VerifyIn, jws=given.strip() or None)
        except REFUSALS as exc:
            return page("verify/verify.html", checked=None, form=form, status=422,
                        errors=await refusal(None, request, exc))
        result = await check_attestation(db, services.keys, data.jws, now=time.time())
        return page("verify/verify.html", checked=shown(result))
