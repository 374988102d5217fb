"""The writes of a sweep's chunk on PostgreSQL (R-TR-7, issue 13): the same rows as sweep.py's `_write_rows`
(the ORM path, kept for SQLite), written by a fixed run of set-based statements over the chunk, loaded once into a
temporary table; no model instance and no Python object a row. tests/transfers/test_sweep_bulk.py holds both paths
to `flow.decide`'s end state, audit events included.

The figures (orgs/figures_sql.py) are refreshed once for the chunk (DEFER): a completion ends a membership, starts
one and finishes its request, and each statement's trigger would otherwise refresh the same people again."""
from django.conf import settings
from django.db import connection

from audit.context import client_ip
from audit.logging import mask
from audit.models import AuditEvent
from config.arrays import int_array

from ..models import ApprovalStep, TransferRequest

_PK = 987654321  # a stand-in key, to split an audit label into what comes before and after it

_TEXT = (2, 5, 7)  # the text columns of the chunk's rows; the others are integers (booleans as 0 and 1)

_CHUNK_TABLE = """CREATE TEMPORARY TABLE IF NOT EXISTS tuanji_sweep_chunk (
    n int, step_id bigint, kind text, request_id bigint, completes boolean, next_kind text, to_org_id bigint,
    to_org_path text, membership_id bigint, from_branch_id bigint, member_id bigint) ON COMMIT DELETE ROWS"""


def _label(status: str) -> tuple[str, str]:
    """What `audit.services.record` writes as the label of a request in `status`, split around its key."""
    before, after = mask(str(TransferRequest(pk=_PK, status=status))).split(str(_PK))
    return before, after


def write_chunk(due, held, *, now) -> dict[int, int]:
    """Decide the steps of `due` (sweep._Due, re-checked; the members of the completing ones locked in `held`):
    the rows `flow.decide` writes for each, and their audit events, in its order. {decided step id: opened step
    id} for the steps that open the next one."""
    rows = []
    for n, d in enumerate(due):
        old = held[d.member_id] if d.completes else None
        next_kind = None if d.completes else (ApprovalStep.Kind.IN if d.kind == ApprovalStep.Kind.OUT and not d.in_done
                                              else ApprovalStep.Kind.ASSIGN)
        rows.append((n, d.step_id, d.kind, d.request_id, d.completes, next_kind, d.to_org_id, d.to_org_path,
                     old.pk if old else None, old.branch_id if old else None, d.member_id))
    columns = [list(c) if i in _TEXT else int_array(c) for i, c in enumerate(zip(*rows, strict=True))]
    pending, completed = _label(TransferRequest.Status.PENDING), _label(TransferRequest.Status.COMPLETED)
    with connection.cursor() as cursor:
        # The chunk is idempotent work that the next run redoes if it is lost: a crash may lose the last chunks
        # committed (never a part of one). The messages' own transaction comes after this one in the log, so a
        # message is lost with its chunk or kept with it; when it queues mail it commits synchronously, which
        # flushes this commit first, so no mail names a lost chunk (sweep._deliver).
        cursor.execute("SELECT set_config('synchronous_commit', 'off', true), tuanji_stats_defer()")
        cursor.execute(_CHUNK_TABLE)
        cursor.execute("DELETE FROM tuanji_sweep_chunk")  # a chunk inside an outer transaction (tests) left rows
        cursor.execute("""
            INSERT INTO tuanji_sweep_chunk
            SELECT n, step_id, kind, request_id, completes::int::boolean, next_kind, to_org_id, to_org_path,
                   membership_id, from_branch_id, member_id
              FROM unnest(%s::int[], %s::bigint[], %s::text[], %s::bigint[], %s::int[], %s::text[], %s::bigint[],
                          %s::text[], %s::bigint[], %s::bigint[], %s::bigint[])
                   AS c(n, step_id, kind, request_id, completes, next_kind, to_org_id, to_org_path, membership_id,
                        from_branch_id, member_id)""", columns)
        # The order of flow.decide: the step, the next step or the completion (R-TR-12), the request.
        cursor.execute("""
            UPDATE transfers_approvalstep s
               SET status = %s, decided_by_id = NULL, acting_org_id = NULL, decided_at = %s, comment = ''
              FROM tuanji_sweep_chunk d WHERE s.id = d.step_id""", [ApprovalStep.Status.AUTO_APPROVED, now])
        cursor.execute("""
            INSERT INTO transfers_approvalstep (request_id, kind, org_id, org_path, status, created_at, due_at,
                                                decided_by_id, acting_org_id, decided_at, comment)
            SELECT request_id, next_kind, to_org_id, to_org_path, %s, %s,
                   CASE WHEN next_kind = %s THEN NULL ELSE %s::timestamptz + %s END, NULL, NULL, NULL, ''
              FROM tuanji_sweep_chunk WHERE NOT completes ORDER BY n
            RETURNING request_id, id""",
                       [ApprovalStep.Status.PENDING, now, ApprovalStep.Kind.ASSIGN, now,
                        settings.TRANSFER_AUTO_APPROVE_AFTER])  # R-TR-7: from the sweep's clock; ASSIGN never
        opened_by_request = dict(cursor.fetchall())
        # R-TR-12: the membership moves, the old one ended and named by its request; what they held in the old
        # branch ends, pending posts too.
        cursor.execute("""
            UPDATE members_membership m SET ended_at = %s, end_reason = concat('transfer:', d.request_id)
              FROM tuanji_sweep_chunk d WHERE d.completes AND m.id = d.membership_id""", [now])
        cursor.execute("""
            INSERT INTO members_membership (person_id, branch_id, org_path, started_at, ended_at, end_reason)
            SELECT member_id, to_org_id, to_org_path, %s, NULL, '' FROM tuanji_sweep_chunk WHERE completes
             ORDER BY n""", [now])
        cursor.execute("""
            UPDATE members_cadrepost c SET ended_at = %s
              FROM tuanji_sweep_chunk d
             WHERE d.completes AND c.person_id = d.member_id AND c.org_id = d.from_branch_id AND c.ended_at IS NULL""",
                       [now])
        # flow.finish cancels the request's other pending steps: there are none, its one pending step was decided.
        cursor.execute("""
            UPDATE transfers_transferrequest r SET status = %s, finished_at = %s, to_branch_id = r.to_org_id
              FROM tuanji_sweep_chunk d WHERE d.completes AND r.id = d.request_id""",
                       [TransferRequest.Status.COMPLETED, now])
        cursor.execute("SELECT tuanji_stats_flush()")
        # R-TR-16: what audit.services.event_values builds for each decision and completion, in decide()'s order.
        cursor.execute("""
            INSERT INTO audit_auditevent (at, actor_id, acting_org_id, action, target_type, target_id, target_label,
                                          result, ip, detail)
            SELECT clock_timestamp(), NULL, NULL, e.action, %s, d.request_id::text, e.label, %s, %s::inet, e.detail
              FROM tuanji_sweep_chunk d CROSS JOIN LATERAL (VALUES
                   (1, concat('transfer.', d.kind, '.', %s::text), concat(%s::text, d.request_id, %s::text),
                    jsonb_build_object('step', d.step_id, 'automatic', true)),
                   (2, 'transfer.completed', concat(%s::text, d.request_id, %s::text),
                    jsonb_build_object('from_branch', d.from_branch_id, 'to_branch', d.to_org_id))
                   ) e(k, action, label, detail)
             WHERE e.k = 1 OR d.completes
             ORDER BY d.n, e.k""",
                       [TransferRequest._meta.model_name, AuditEvent.Result.OK, client_ip.get(),
                        ApprovalStep.Status.AUTO_APPROVED, *pending, *completed])
    return {d.step_id: opened_by_request[d.request_id] for d in due if not d.completes}
