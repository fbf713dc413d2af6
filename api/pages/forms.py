"""Forms: what was typed, read into the API's own input struct, and refusals turned into the
error summary with the API's own words (`api.problems` and `api.i18n.validation`: one
mapping for both faces).

A page handler::

    form = await Form.read(request)
    try:
        data = form.parse(WorkerIn, post_unit=ctx.actor.unit)
        worker = await create_worker(db, ctx, ..., data=...)
    except REFUSALS as exc:
        return page("workers/new.html", form=form, errors=await refusal(db, request, exc),
                    status=422)
    return see_other(f"/workers/{worker.id}")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar, get_type_hints

import msgspec
import msgspec.inspect as mi
from litestar import Request
from litestar.datastructures import UploadFile

from api.i18n import language_of
from api.i18n.validation import classify
from api.problems import domain_invalid_param, domain_text, invalid_param
from api.state import Transaction
from policies.calendar import VIETNAM
from vetting.errors import Conflict, DomainError, InvalidInput

S = TypeVar("S", bound=msgspec.Struct)

#: What a form post may be refused with and shown again with its errors: a value the struct
#: refuses, a domain rule, or a clash with the records. Anything else is an error page.
REFUSALS = (msgspec.ValidationError, InvalidInput, Conflict)
DATE_PARTS = ("day", "month", "year")
_TRUE = frozenset({"true", "on", "1", "yes"})
_FALSE = frozenset({"false", "off", "0", "no"})


@dataclass
class Form:
    """The submitted fields, kept to fill the form again after an error (never passwords:
    the macros do not echo them)."""

    values: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, UploadFile] = field(default_factory=dict)

    @classmethod
    async def read(cls, request: Request[Any, Any, Any]) -> Form:
        data = await request.form()
        values: dict[str, list[str]] = {}
        files: dict[str, UploadFile] = {}
        for key in data:
            if key == "_csrf_token":
                continue
            for item in data.getall(key):
                if isinstance(item, UploadFile):
                    files[key] = item
                else:
                    values.setdefault(key, []).append(str(item))
        return cls(values=values, files=files)

    @classmethod
    def of_query(cls, request: Request[Any, Any, Any]) -> Form:
        """A GET form (filters, a period picker) read from the query, kept like a posted one."""
        return cls(values={k: request.query_params.getall(k) for k in request.query_params})

    def value(self, name: str, default: str = "") -> str:
        found = self.values.get(name)
        return found[0] if found else default

    def all(self, name: str) -> list[str]:
        return list(self.values.get(name, []))

    def date_parts(self, name: str) -> dict[str, str]:
        """Day, month and year as typed into a date input (`macros/forms.html: date_input`)."""
        return {part: self.value(f"{name}-{part}").strip() for part in DATE_PARTS}

    def local_instant(self, name: str) -> str | None:
        """A `datetime-local` field (Vietnam time, as people read the clock) as the RFC 3339
        instant the API structs take; what is not a time is passed on for the struct to
        refuse in its own words."""
        text = self.value(name).strip()
        if not text:
            return None
        try:
            typed = datetime.fromisoformat(text)
        except ValueError:
            return text
        if typed.tzinfo is not None:
            return text
        return typed.replace(tzinfo=VIETNAM).isoformat()

    def parse_date(self, name: str) -> date | None:
        """A date typed into `date_input(name)`, None when left empty; a day that does not
        exist is refused naming the field."""
        joined = _joined_date(self.date_parts(name))
        if joined is None:
            return None
        try:
            return date.fromisoformat(joined)
        except ValueError:
            raise InvalidInput("not a date", field=name, code="INVALID_DATE") from None

    def parse(self, kind: type[S], **given: Any) -> S:
        """The form read into the API's struct `kind` (its constraints and cleaning apply
        unchanged); `given` are values the page sets itself (path ids, the caller's unit).
        Blank optional fields are absent; a date comes from its three inputs."""
        raw: dict[str, Any] = {}
        info = mi.type_info(kind)
        assert isinstance(info, mi.StructType)
        for struct_field in info.fields:
            name = struct_field.encode_name
            if name in given:
                continue
            value = self._raw(name, struct_field.type)
            if value is not None:
                raw[name] = value
        raw.update({k: v for k, v in given.items() if v is not None})
        try:
            return msgspec.convert(raw, type=kind, strict=False)
        except msgspec.ValidationError as first:
            broken = _every_broken(kind, info, raw)
            if len(broken) > 1:
                raise FieldsRefused(broken) from first
            raise

    def _raw(self, name: str, kind: Any) -> Any:
        kind = _core(kind)
        if isinstance(kind, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
            items = [v for v in self.all(name) if v.strip()]
            return items or None
        if isinstance(kind, mi.DateType) and f"{name}-day" in self.values:
            return _joined_date(self.date_parts(name))
        text = self.value(name)
        if text == "" and name not in self.values:
            return None
        if isinstance(kind, mi.BoolType):
            lowered = text.strip().lower()
            return True if lowered in _TRUE else False if lowered in _FALSE else text
        return text if text.strip() else None


class FieldsRefused(msgspec.ValidationError):
    """Several fields refused at once: msgspec stops at the first, but a person fixing a
    form should see every wrong field in one summary. Each item is the message msgspec gives
    for that field alone, so the API's own rule wording applies unchanged."""

    def __init__(self, errors: list[msgspec.ValidationError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@cache
def _annotations(kind: type) -> dict[str, Any]:
    return get_type_hints(kind, include_extras=True)


def _every_broken(kind: type, info: mi.StructType, raw: dict[str, Any]
                  ) -> list[msgspec.ValidationError]:
    """Each field's value checked on its own against the field's declared type."""
    hints = _annotations(kind)
    broken: list[msgspec.ValidationError] = []
    for struct_field in info.fields:
        name = struct_field.encode_name
        if name not in raw:
            if struct_field.required:
                broken.append(msgspec.ValidationError(
                    f"Object missing required field `{name}`"))
            continue
        try:
            msgspec.convert(raw[name], type=hints[struct_field.name], strict=False)
        except msgspec.ValidationError as exc:
            broken.append(msgspec.ValidationError(f"{exc} - at `$.{name}`"))
    return broken


def _core(kind: Any) -> Any:
    """The field's type without constraints and without `| None`."""
    if isinstance(kind, mi.Metadata):
        kind = kind.type
    if isinstance(kind, mi.UnionType):
        rest = [t for t in kind.types if not isinstance(t, mi.NoneType)]
        if len(rest) == 1:
            return _core(rest[0])
    return kind


def _joined_date(parts: dict[str, str]) -> str | None:
    """`YYYY-MM-DD` from the three inputs; what cannot be a date is passed on as typed, so the
    struct refuses it with the API's own rule."""
    if not any(parts.values()):
        return None
    day, month, year = parts["day"], parts["month"], parts["year"]
    if day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4:
        try:
            return date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            pass
    return f"{year}-{month}-{day}"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One wrong field: `name` is also the id of its (first) control, the summary's anchor."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class FormErrors:
    """The error summary: wrong fields (linked), and problems not tied to a field."""

    fields: tuple[FieldError, ...] = ()
    general: tuple[str, ...] = ()

    def of(self, name: str) -> str | None:
        """The message beside field `name`, or None."""
        return next((f.text for f in self.fields if f.name == name), None)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def form_errors(language: str, exc: Exception) -> FormErrors:
    """The refusal in the API's words: a struct's rule via `classify`, a domain rule via its
    code (`api.problems`)."""
    if isinstance(exc, FieldsRefused):
        fields = [f for e in exc.errors for f in form_errors(language, e).fields]
        return FormErrors(fields=tuple(fields))
    if isinstance(exc, msgspec.ValidationError):
        param = invalid_param(language, classify(None, str(exc)), "body")
        if param["name"] == "body":
            return FormErrors(general=(param["reason"],))
        return FormErrors(fields=(FieldError(param["name"], param["reason"]),))
    if isinstance(exc, InvalidInput) and exc.field != "body":
        param = domain_invalid_param(language, exc)
        return FormErrors(fields=(FieldError(param["name"], param["reason"]),))
    if isinstance(exc, DomainError):
        return FormErrors(general=(domain_text(language, exc),))
    raise TypeError(f"not a form refusal: {type(exc).__name__}")


def field_errors(*pairs: tuple[str, str]) -> FormErrors:
    """Errors a page finds itself (two password fields that differ), already in words."""
    return FormErrors(fields=tuple(FieldError(name, text) for name, text in pairs))


async def refusal(db: Transaction | None, request: Request[Any, Any, Any], exc: Exception
                  ) -> FormErrors:
    """Undo whatever the refused action had written (the page is answered normally, so the
    request's transaction would commit it), then the errors in the request's language. An
    audited refusal (`DomainError.audited`: a failed sign-in, a wrong TOTP code) keeps what it
    recorded, as the API's answer would."""
    if db is not None and not getattr(exc, "audited", False):
        await db.rollback()
    return form_errors(language_of(request.scope), exc)
