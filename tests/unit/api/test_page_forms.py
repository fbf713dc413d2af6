"""Forms on pages: fields read into the API's own structs, refusals in the API's own words,
and the GOV.UK-style macros (labels, hints, messages beside fields, values kept, the error
summary linking to each wrong field)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import msgspec
import pytest
from jinja2 import Environment

from api.controllers.auth import LoginIn
from api.controllers.workers import TrainingIn, WorkerIn
from api.pages.forms import REFUSALS, FieldError, Form, FormErrors, field_errors, form_errors
from api.pages.rendering import template_config
from vetting.errors import Conflict, InvalidInput


def worker_form(**changes: Any) -> Form:
    values: dict[str, list[str]] = {
        "employee_no": ["E1"], "full_name": ["  Nguyễn Văn An "],
        "date_of_birth-day": ["17"], "date_of_birth-month": ["5"],
        "date_of_birth-year": ["1990"], "sex": ["male"], "national_id": ["051090123456"],
        "hometown": ["Tư Nghĩa"], "permanent_address": ["12 Lê Lợi"],
        "permanent_province": ["51"], "current_address": ["12 Lê Lợi"],
        "stages": ["acceptance", "transport", ""]}
    values.update({k: v if isinstance(v, list) else [v] for k, v in changes.items()})
    return Form(values=values)


def test_a_form_becomes_the_apis_struct() -> None:
    data = worker_form().parse(WorkerIn, post_unit="POST-51")
    assert data.date_of_birth == date(1990, 5, 17)
    assert data.stages == ["acceptance", "transport"]
    assert data.full_name == "Nguyễn Văn An"  # the struct's own cleaning applies
    assert data.post_unit == "POST-51"


def test_blank_optional_fields_are_absent_and_required_ones_are_named() -> None:
    login = Form(values={"username": ["u"], "password": ["p"], "otp": [""]}).parse(LoginIn)
    assert login.otp is None
    training = Form(values={"kind": ["kt1_security"], "completed_on-day": ["1"],
                            "completed_on-month": ["2"], "completed_on-year": ["2026"],
                            "valid_until-day": [""], "valid_until-month": [""],
                            "valid_until-year": [""]}).parse(TrainingIn)
    assert training.valid_until is None and training.completed_on == date(2026, 2, 1)
    with pytest.raises(msgspec.ValidationError) as refused:
        Form(values={"username": ["u"]}).parse(LoginIn)
    assert form_errors("vi", refused.value) == field_errors(
        ("password", "Mật khẩu: bắt buộc phải nhập."))


@pytest.mark.parametrize(("changes", "field", "vi"), [
    ({"national_id": "12345"}, "national_id", "Số CCCD: phải gồm đúng 12 chữ số."),
    ({"date_of_birth-day": "31", "date_of_birth-month": "2"}, "date_of_birth",
     "Ngày sinh: ghi ngày theo dạng YYYY-MM-DD."),
    ({"stages": []}, "stages", None),
    ({"full_name": "   "}, "full_name", None),
])
def test_a_refused_value_is_named_with_the_apis_message(changes: dict[str, Any], field: str,
                                                        vi: str | None) -> None:
    with pytest.raises(REFUSALS) as refused:
        worker_form(**changes).parse(WorkerIn, post_unit="POST-51")
    errors = form_errors("vi", refused.value)
    assert [e.name for e in errors.fields] == [field]
    if vi is not None:
        assert errors.of(field) == vi


def test_domain_refusals_use_the_catalogue() -> None:
    invalid = InvalidInput("bad", field="permanent_province", code="UNKNOWN_PROVINCE")
    assert form_errors("en", invalid) == FormErrors(fields=(FieldError(
        "permanent_province", "Province of permanent residence: there is no such province."),))
    clash = form_errors("vi", Conflict("stale", code="STALE_VERSION", current_version=3))
    assert clash.general and "phiên bản 3" in clash.general[0]
    with pytest.raises(TypeError):
        form_errors("vi", ValueError("not a refusal"))


@pytest.fixture(scope="module")
def environment() -> Environment:
    engine = template_config().to_engine()
    return engine.engine  # type: ignore[no-any-return]


def render(environment: Environment, body: str, **context: Any) -> str:
    template = environment.from_string(
        '{% import "macros/forms.html" as f with context %}' + body)
    return template.render({"form": None, "errors": None, **context})


def test_an_input_shows_its_hint_its_error_and_what_was_typed(environment: Environment) -> None:
    form = Form(values={"full_name": ['Lê "Văn" <b>']})
    errors = field_errors(("full_name", "Họ và tên: bắt buộc phải nhập."))
    html = render(environment, '{{ f.error_summary() }}{{ f.input("full_name", "Họ và tên", '
                  'hint="Như trên CCCD") }}', form=form, errors=errors)
    assert '<a href="#full_name">Họ và tên: bắt buộc phải nhập.</a>' in html
    assert 'aria-describedby="full_name-hint full_name-error"' in html
    assert 'value="Lê &#34;Văn&#34; &lt;b&gt;"' in html  # kept, escaped
    assert "form-group--error" in html and "None" not in html


def test_a_password_is_never_echoed(environment: Environment) -> None:
    html = render(environment, '{{ f.input("password", "Mật khẩu", type="password") }}',
                  form=Form(values={"password": ["secret words here"]}))
    assert "secret words here" not in html


def test_select_radios_checkboxes_and_date_keep_their_values(environment: Environment) -> None:
    form = Form(values={"sex": ["female"], "unit": ["POST-51"], "stages": ["transport"],
                        "born-day": ["7"], "born-month": ["3"], "born-year": ["1991"],
                        "agree": ["true"]})
    html = render(environment, """
        {{ f.select("unit", "Đơn vị", [("POST-12", "12"), ("POST-51", "51")], blank="–") }}
        {{ f.radios("sex", "Giới tính", [("male", "Nam"), ("female", "Nữ")]) }}
        {{ f.checkboxes("stages", "Công đoạn", [("acceptance", "A"), ("transport", "T")]) }}
        {{ f.date_input("born", "Ngày sinh") }}
        {{ f.checkbox("agree", "Đồng ý") }}""", form=form)
    assert re.search(r'<option value="POST-51" selected>', html)
    assert re.search(r'id="sex-2" name="sex" type="radio" value="female" checked', html)
    assert re.search(r'id="stages-2" name="stages" type="checkbox" value="transport" checked',
                     html)
    assert 'id="born" name="born-day" type="text" inputmode="numeric" value="7"' in html
    assert 'id="agree" name="agree" type="checkbox" value="true" checked' in html
    assert re.search(r'<label class="label date-input__label" for="born-year">', html)


def test_table_and_check_your_answers(environment: Environment) -> None:
    html = render(environment, """
        {{ f.data_table("Người lao động", ["Tên", "Số"], [[f.link("/w/1", "An"), 3]],
                        numeric=(1,)) }}
        {{ f.data_table("Trống", ["Tên"], []) }}
        {{ f.summary_list([("Họ và tên", "An", "/edit#full_name"), ("Giới tính", "Nam")]) }}""")
    assert '<a class="link" href="/w/1">An</a>' in html
    assert 'table__cell--numeric">3<' in html
    assert "Không có gì để hiển thị." in html
    assert html.count('class="summary-list__actions"') == 2  # the row without a link too
    assert 'href="/edit#full_name">Thay đổi<span class="visually-hidden"> Họ và tên' in html


class _Url:
    path = "/workers"
    query = "q=an&offset=50&clearance_state=active"


class _Request:
    url = _Url()
    scope: dict[str, Any] = {"headers": []}  # noqa: RUF012


def test_pagination_keeps_the_filters_and_moves_the_offset(environment: Environment) -> None:
    html = render(environment, "{{ f.pagination(120, 50, 50) }}", request=_Request())
    assert "Hiển thị 51 đến 100 trong tổng số 120" in html
    assert 'href="/workers?q=an&amp;clearance_state=active" rel="prev"' in html
    assert 'href="/workers?q=an&amp;clearance_state=active&amp;offset=100" rel="next"' in html
    last = render(environment, "{{ f.pagination(120, 50, 100) }}", request=_Request())
    assert 'rel="next"' not in last and "101 đến 120" in last
