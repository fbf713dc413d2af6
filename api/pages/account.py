"""Signing in and out, first-login set-up (password, authenticator), profile and language.

Each form is read into the API's own struct (`LoginIn`, `PasswordIn`, `OtpIn`) and handed
to the same services: `page_sessions` opens a page session where the API would issue
tokens, after the very same login rule (throttling, lock-out, second factor, audit).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from api.controllers.auth import LoginIn, OtpIn, PasswordIn
from api.i18n import LANGUAGES, language_of, message
from api.pages.errors import SETUP_PATH
from api.pages.forms import REFUSALS, Form, FormErrors, field_errors, refusal
from api.pages.qr import qr_svg
from api.pages.rendering import current, local_path, page, see_other
from api.pages.session import (
    ended_session_cookie,
    language_cookie,
    session_cookie,
    session_token,
)
from api.problems import domain_status
from api.state import ActingContext, Services, Transaction
from vetting.accounts import page_sessions, sessions
from vetting.errors import TooManyAttempts, Unauthenticated

#: What a sign-in may be refused with, besides a form the struct refuses: the API's one
#: answer for wrong credentials (or a code used already), and a wait after failures.
SIGN_IN_REFUSALS = (*REFUSALS, Unauthenticated, TooManyAttempts)

LOGIN_TEMPLATE = "account/login.html"
NextPath = Annotated[str | None, QueryParameter(name="next", max_length=2000)]


def setup_step(request: Request[Any, Any, Any]) -> str | None:
    """Where a signed-in account must go before anything else, or None when it is set up."""
    state = current(request)
    resumed = state.resumed if state is not None else None
    if resumed is None:
        return None
    if resumed.must_change_password:
        return "/account/password"
    if resumed.mfa_pending:
        return "/account/mfa"
    return None


class AccountPages(Controller):
    include_in_schema = False

    @get("/login", opt={"public": True})
    async def login_form(self, request: Request[Any, Any, Any],
                         next_path: NextPath = None) -> Template | Redirect:
        state = current(request)
        if state is not None and state.signed_in:
            return see_other(local_path(next_path))
        return page(LOGIN_TEMPLATE, next_path=local_path(next_path))

    @post("/login", opt={"public": True})
    async def login(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                    services: Services) -> Template | Redirect:
        form = await Form.read(request)
        next_path = local_path(form.value("next"))
        try:
            data = form.parse(LoginIn)
            token = await page_sessions.sign_in(
                services.db, db, ctx, services.keys, services.settings.policy,
                username=data.username, password=data.password, otp=data.otp)
        except SIGN_IN_REFUSALS as exc:
            # a refused sign-in is audited and counted: `refusal` keeps that record
            errors = await refusal(db, request, exc)
            status = 422 if isinstance(exc, REFUSALS) else domain_status(exc)
            headers = ({"Retry-After": str(exc.retry_after)}
                       if isinstance(exc, TooManyAttempts) else None)
            return page(LOGIN_TEMPLATE, status=status, form=form, next_path=next_path,
                        errors=errors, headers=headers)
        redirect = see_other(SETUP_PATH if next_path == "/" else next_path)
        redirect.cookies.append(session_cookie(services, token))
        return redirect

    @post("/logout", opt={"action": "auth.session"})
    async def logout(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                     services: Services) -> Redirect:
        await page_sessions.sign_out(db, ctx, session_token(request.scope))
        redirect = see_other("/login?notice=signed_out")
        redirect.cookies.append(ended_session_cookie(services))
        return redirect

    @get("/account/setup", opt={"action": "auth.session"})
    async def setup(self, request: Request[Any, Any, Any]) -> Redirect:
        """The next step of a first sign-in (password, then authenticator), then home."""
        return see_other(setup_step(request) or "/")

    @get("/account", opt={"action": "auth.session"})
    async def profile(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        step = setup_step(request)
        if step is not None:
            return see_other(step)
        return page("account/profile.html")

    @get("/account/password", opt={"action": "auth.password"})
    async def password_form(self) -> Template:
        return page("account/password.html")

    @post("/account/password", opt={"action": "auth.password"})
    async def change_password(self, request: Request[Any, Any, Any], db: Transaction,
                              ctx: ActingContext,
                              services: Services) -> Template | Redirect:
        form = await Form.read(request)
        if form.value("confirm_password") != form.value("new_password"):
            text = message(language_of(request.scope), "PASSWORDS_DIFFER")
            return page("account/password.html", status=422, form=form,
                        errors=field_errors(("confirm_password", text)))
        try:
            data = form.parse(PasswordIn)
            token = await page_sessions.change_password(
                services.db, db, ctx, services.settings.policy,
                current=data.current_password, new=data.new_password)
        except REFUSALS as exc:
            return page("account/password.html", status=422, form=form,
                        errors=await refusal(db, request, exc))
        state = current(request)
        restricted = state is not None and state.resumed is not None and state.resumed.mfa_pending
        redirect = see_other("/account/mfa" if restricted else "/account?notice=password_changed")
        redirect.cookies.append(session_cookie(services, token))
        return redirect

    @get("/account/mfa", opt={"action": "auth.mfa", "read_only": True})
    async def mfa(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                  services: Services) -> Template | Redirect:
        step = setup_step(request)
        if step == "/account/password":
            return see_other(step)
        return await self._mfa_page(request, db, ctx, services)

    @post("/account/mfa/start", opt={"action": "auth.mfa"})
    async def mfa_start(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                        services: Services) -> Template | Redirect:
        try:
            await sessions.enrol_totp(db, ctx, services.keys)
        except REFUSALS as exc:
            return await self._mfa_page(request, db, ctx, services, status=409,
                                        errors=await refusal(db, request, exc))
        return see_other("/account/mfa")

    @post("/account/mfa/confirm", opt={"action": "auth.mfa"})
    async def mfa_confirm(self, request: Request[Any, Any, Any], db: Transaction,
                          ctx: ActingContext,
                          services: Services) -> Template | Redirect:
        form = await Form.read(request)
        try:
            data = form.parse(OtpIn)
            await sessions.confirm_totp(db, ctx, services.keys, otp=data.otp)
        except REFUSALS as exc:  # a wrong code is an audited refusal: its record is kept
            return await self._mfa_page(request, db, ctx, services, status=422, form=form,
                                        errors=await refusal(db, request, exc))
        return see_other("/account?notice=mfa_enrolled")

    @staticmethod
    async def _mfa_page(request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                        services: Services, *,
                        status: int = 200, form: Form | None = None,
                        errors: FormErrors | None = None) -> Template:
        state = current(request)
        enrolled = state is not None and state.resumed is not None and state.resumed.mfa_enrolled
        uri = None if enrolled else await sessions.pending_enrolment(db, ctx, services.keys)
        label = message(language_of(request.scope), "MFA_QR_LABEL")
        secret = uri.split("secret=", 1)[1].split("&", 1)[0] if uri else None
        return page("account/mfa.html", status=status, form=form, errors=errors,
                    enrolled=enrolled, qr=qr_svg(uri, label) if uri else None, secret=secret)

    @post("/language", opt={"public": True})
    async def choose_language(self, request: Request[Any, Any, Any], db: Transaction,
                              ctx: ActingContext,
                              services: Services) -> Redirect:
        """The switch on every page: kept on the account when signed in, else in a cookie."""
        form = await Form.read(request)
        chosen = form.value("language")
        redirect = see_other(local_path(form.value("next")))
        if chosen not in LANGUAGES:
            return redirect
        state = current(request)
        if state is not None and state.signed_in:
            await page_sessions.set_language(db, ctx, chosen)
        redirect.cookies.append(language_cookie(services, chosen))
        return redirect
