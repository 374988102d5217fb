"""The benchmark data set (demo/scale.py, issue 13): deterministic for a seed, its people made on the server with valid
ID numbers (GB 11643, R-ENT-1) and the shape the benches read. PostgreSQL only (COPY, INSERT … SELECT)."""
import io

import pytest
from django.core.management import call_command
from django.db import connection

from members.idnumber import birth_date_of, check_char
from members.models import Membership, Person

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def seed(number: int) -> None:
    call_command("seed_scale", "--members", "400", "--orgs", "150", "--transfers", "60", "--seed", str(number),
                 "--replace", stdout=io.StringIO())


def fingerprint() -> list:
    """What a seed decides (not the clock: created_at and the like are the load's own time)."""
    queries = (
        "SELECT md5(string_agg(concat_ws('|', id, full_name, parent_id, org_type, path, region_code), ',' ORDER BY id))"
        " FROM orgs_organization",
        "SELECT md5(string_agg(concat_ws('|', id, id_number, name, birth_date, gender, joined_on), ',' ORDER BY id))"
        " FROM members_person",
        "SELECT md5(string_agg(concat_ws('|', id, person_id, branch_id, org_path, ended_at IS NULL), ',' ORDER BY id))"
        " FROM members_membership",
        "SELECT md5(string_agg(concat_ws('|', id, member_id, status, from_branch_id, to_org_id, reason), ','"
        " ORDER BY id)) FROM transfers_transferrequest",
        "SELECT md5(string_agg(concat_ws('|', id, person_id, org_id, title), ',' ORDER BY id)) FROM members_cadrepost",
    )
    with connection.cursor() as cur:
        found = []
        for sql in queries:
            cur.execute(sql)
            found.append(cur.fetchone()[0])
        return found


def test_the_same_seed_loads_the_same_register_and_another_seed_another():
    seed(3)
    first = fingerprint()
    seed(3)
    assert fingerprint() == first
    seed(4)
    assert fingerprint()[1] != first[1]  # other people (names, homes)


def test_every_person_has_a_valid_unique_id_number_and_one_placement():
    seed(1)
    people = list(Person.objects.values_list("id_number", "birth_date", "gender", "name"))
    assert len(people) > 400
    assert len({p[0] for p in people}) == len(people)
    for number, born, gender, name in people:
        assert check_char(number[:17]) == number[17], number
        assert birth_date_of(number) == born
        assert gender == ("male" if int(number[16]) % 2 else "female")
        assert 2 <= len(name) <= 3
    # the figures' fast count (orgs/figures_sql.py single_placement_marks) relies on one placement a person
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM (SELECT person_id FROM members_membership WHERE ended_at IS NULL "
                    "UNION ALL SELECT person_id FROM members_cadrepost WHERE ended_at IS NULL) x "
                    "GROUP BY person_id HAVING count(*) > 1")
        assert cur.fetchall() == []
    assert Membership.objects.filter(ended_at__isnull=True).count() == 400
