"""The printable attestation (A4, for HR and the police): who, which stages, until when,
signed by which police unit, and a QR code holding the public verification link, so that a
printed copy is checked by scanning it. Scoped as the API's attestation read."""

from __future__ import annotations

from typing import Any

import segno
from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from api.i18n import language_of
from api.i18n.catalogue import render
from api.i18n.codes import N_
from api.pages.qr import qr_svg
from api.pages.rendering import page
from api.pages.wording import WORDS
from api.state import ActingContext, Services, Transaction
from vetting.attestations import records

QR_ERROR_LEVEL = "l"
QR_LABEL = N_("QR code with the link that checks this attestation")


class AttestationPages(Controller):
    include_in_schema = False

    @get("/attestations/{attestation_id:str}/print",
         opt={"action": "clearance.read", "read_only": True})
    async def printable(self, request: Request[Any, Any, Any], attestation_id: FromPath[str],
                        db: Transaction, ctx: ActingContext, services: Services) -> Template:
        sheet = await records.sheet(db, ctx, attestation_id)
        public_url = services.settings.public_url
        link = records.verification_link(public_url, sheet.attestation.jws)
        label = render(language_of(request.scope), QR_LABEL)
        try:  # low error correction: the link is long (the whole JWS), and paper is clean
            qr = qr_svg(link, label, scale=2, error=QR_ERROR_LEVEL)
        except segno.DataOverflowError:  # no QR code holds it: the page says how to check
            qr = None
        return page("attestations/print.html", sheet=sheet, a=sheet.attestation, qr=qr,
                    verify_url=f"{public_url}/verify", words=WORDS)
