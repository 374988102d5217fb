"""Helpers for the tests of issue 3: a complete record (R-ENT-8) and ID numbers with chosen parts."""
import datetime as dt

from members.idnumber import check_char

# Every required field of R-ENT-8 that is not taken from the ID number, with a valid value.
FULL_PROFILE = {
    "ethnicity": "汉族",
    "political_status": "league",
    "phone": "13800000000",
    "full_time_education": "大学本科",
    "highest_education": "大学本科",
    "work_unit": "示范大学",
    "province": "11",
    "city": "北京市",
}


def fill_profile(person, **overrides):
    """Fill every required field through the services, as the system (actor=None); returns the fresh row."""
    from members.services import correct_identity, update_profile

    if person.joined_on is None:  # cadres entered without 入团时间
        correct_identity(actor=None, person=person, reason="补录入团时间", joined_on=dt.date(2012, 5, 4))
        person.refresh_from_db()
    update_profile(actor=None, person=person, **{**FULL_PROFILE, **overrides})
    person.refresh_from_db()
    return person


def id_number(born: dt.date, sequence: str, area: str = "320102") -> str:
    """An ID number with a chosen 3-digit sequence: its last digit is odd for men, even for women.
    The area differs from tests.factories.make_id_number's, so the two never collide."""
    body = f"{area}{born:%Y%m%d}{sequence}"
    return body + check_char(body)


def codes(exc) -> dict[str, list[str]]:
    """{field: [code, ...]} of a ValidationError raised with an error_dict."""
    return {field: [e.code for e in errs] for field, errs in exc.error_dict.items()}
