"""Two transactions that change graduates of the same two classes, in opposite orders and over several statements
each, both commit, and the kept counts are the live ones (issue 13). The first version of the kept counts upserted the
shared count row of each branch in every statement: the second statement of each waited on the other's first, and
PostgreSQL broke the deadlock by failing one (as two sweep workers did, docs/performance.md). Now the statements append
deltas and one fold at commit locks the count rows in one order (reports/graduation_sql.FOLD)."""
import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from reports.graduation import counts_by_branch, graduates, kept_counts_of
from reports.services import flag_graduate, set_graduation
from tests.transfers.support import new_member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

YEAR = 2027


def test_two_transactions_changing_two_classes_in_opposite_orders_both_commit(tree):
    set_graduation(actor=None, acting_org=None, branches=[tree["b1"], tree["b2"]], expected_on=dt.date(YEAR, 6, 30))
    a1, a2 = new_member(tree["b1"], "甲一"), new_member(tree["b1"], "甲二")
    b1, b2 = new_member(tree["b2"], "乙一"), new_member(tree["b2"], "乙二")
    between = threading.Barrier(2, timeout=30)
    results = [None, None]

    def worker(i, first, second):
        try:
            with transaction.atomic():
                flag_graduate(actor=None, acting_org=None, person=first, year=YEAR, kind="kept", note="")
                between.wait()   # both hold what their first statement wrote
                flag_graduate(actor=None, acting_org=None, person=second, year=YEAR, kind="kept", note="")
            results[i] = "ok"
        except Exception as exc:  # handed back to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(0, a1, b1)), threading.Thread(target=worker, args=(1, b2, a2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    assert results == ["ok", "ok"]
    live = counts_by_branch(graduates(acting_org=tree["uni"], year=YEAR))
    kept = kept_counts_of(acting_org=tree["uni"], year=YEAR, branch_ids=[tree["b1"].pk, tree["b2"].pk])
    assert kept == live and kept[tree["b1"].pk]["kept"] == kept[tree["b2"].pk]["kept"] == 2
