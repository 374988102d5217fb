"""`deliver_many` on PostgreSQL (issue 13; codes and parameters, issue 14): the messages of thousands of events
built and written by one INSERT … SELECT, no Python object a message. The same rows as messages.py's `_compose` writes: its texts are
the same translated templates, split here into literal pieces (parameters) and the columns they name; its
recipients the same R-AUTH-3 approvers and parties. tests/transfers (the sweep's and the batch's end states,
test_messages.py) run on both databases and hold the two paths to one result."""
import re

from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext as _

from config.arrays import int_array

from .models import ApprovalStep, TransferRequest

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_PK = 987654321  # a stand-in key, to split a reversed link into what comes before and after it


def _text(template: str, columns: dict[str, str | tuple[str, list]]) -> tuple[str, list]:
    """`template % {name: column}` as SQL: concat(%s, column, %s, …), the literal pieces passed as parameters.
    A column is SQL, or (SQL, its parameters)."""
    pieces = _PLACEHOLDER.split(template)
    sql, params = [], []
    for i, piece in enumerate(pieces):
        if i % 2:
            column, column_params = columns[piece] if isinstance(columns[piece], tuple) else (columns[piece], [])
            sql.append(column)
            params += column_params
        elif piece:
            sql.append("%s")
            params.append(piece.replace("%%", "%"))
    return f"concat({', '.join(sql)})", params


def _label(column: str, choices) -> tuple[str, list]:
    values, labels = zip(*((value, str(label)) for value, label in choices), strict=True)
    return f"(%s::text[])[array_position(%s::text[], {column}::text)]", [list(labels), list(values)]


def _link(column: str) -> tuple[str, list]:
    before, after = reverse("transfers:detail", args=[_PK]).split(str(_PK))
    return f"concat(%s, {column}, %s)", [before, after]


def _compose_sql() -> tuple[str, list]:
    """The SELECT of (ord, recipient, request, event, text, link, params, step) rows for the events in `ev`; the
    code is the event, the parameters those of messages.py's `_compose`."""
    kind = _label("s.kind", ApprovalStep.Kind.choices)
    step_status = _label("s.status", ApprovalStep.Status.choices)
    req_status = _label("r.status", TransferRequest.Status.choices)
    opened, opened_p = _text(_("%(who)s 的组织关系转接等待您处理：%(kind)s（%(org)s）"),
                             {"who": "m.name", "kind": kind, "org": "o.full_name"})
    decided, decided_p = _text(_("%(who)s 的组织关系转接：%(org)s %(status)s"),
                               {"who": "m.name", "org": "o.full_name", "status": step_status})
    finished, finished_p = _text(_("%(who)s 的组织关系转接%(status)s"), {"who": "m.name", "status": req_status})
    branch, branch_p = _text(_("，现在所在团支部：%(b)s"), {"b": "b.full_name"})
    link, link_p = _link("r.id")
    sql = f"""
    steps AS (SELECT ev.ord, ev.event, s.org_id, o.parent_id, r.id AS request_id, r.member_id, r.initiated_by_id,
                     CASE WHEN ev.event = 'step_opened' THEN {opened} ELSE {decided} END AS text,
                     CASE WHEN ev.event = 'step_opened' THEN %s ELSE {link} END AS link,
                     CASE WHEN ev.event = 'step_opened'
                          THEN jsonb_build_object('who', m.name, 'kind', s.kind, 'org', o.full_name)
                          ELSE jsonb_build_object('who', m.name, 'org', o.full_name, 'status', s.status) END AS params,
                     CASE WHEN ev.event = 'step_opened' THEN s.id END AS step_id
                FROM ev JOIN transfers_approvalstep s ON s.id = ev.obj_id
                JOIN orgs_organization o ON o.id = s.org_id
                JOIN transfers_transferrequest r ON r.id = s.request_id
                JOIN members_person m ON m.id = r.member_id
               WHERE ev.event IN ('step_opened', 'step_decided')),
    reqs AS (SELECT ev.ord, ev.event, r.id AS request_id, r.member_id, r.initiated_by_id,
                    concat({finished}, CASE WHEN r.status = %s AND r.to_branch_id IS NOT NULL THEN {branch} END) AS text,
                    {link} AS link,
                    jsonb_build_object('who', m.name, 'status', r.status)
                    || CASE WHEN r.status = %s AND r.to_branch_id IS NOT NULL
                            THEN jsonb_build_object('branch', b.full_name) ELSE '{{}}'::jsonb END AS params,
                    NULL::bigint AS step_id
               FROM ev JOIN transfers_transferrequest r ON r.id = ev.obj_id
               JOIN members_person m ON m.id = r.member_id
               LEFT JOIN orgs_organization b ON b.id = r.to_branch_id
              WHERE ev.event NOT IN ('step_opened', 'step_decided')),
    -- R-AUTH-3: the admins of the side and of its direct superior
    approvers AS (SELECT DISTINCT st.ord, c.person_id FROM steps st JOIN members_cadrepost c
                     ON c.org_id IN (st.org_id, st.parent_id) AND c.is_admin
                    AND c.ended_at IS NULL AND c.confirmed_at IS NOT NULL
                  WHERE st.event = 'step_opened'),
    parties AS (SELECT ord, event, request_id, member_id, initiated_by_id, text, link, params, step_id FROM steps
                 WHERE event <> 'step_opened'
                UNION ALL SELECT ord, event, request_id, member_id, initiated_by_id, text, link, params, step_id FROM reqs),
    composed AS MATERIALIZED (SELECT st.ord, a.person_id AS recipient_id, st.request_id, st.event, st.text, st.link,
                                     st.params, st.step_id
                   FROM steps st JOIN approvers a ON a.ord = st.ord
                 UNION ALL
                 SELECT p.ord, w.recipient_id, p.request_id, p.event, p.text, p.link, p.params, p.step_id
                   FROM parties p CROSS JOIN LATERAL (VALUES (p.member_id), (nullif(p.initiated_by_id, p.member_id)))
                        w(recipient_id)  -- the member and the initiator, once when they are the same person
                  WHERE w.recipient_id IS NOT NULL)"""
    params = [*opened_p, *decided_p, reverse("transfers:inbox"), *link_p,
              *finished_p, TransferRequest.Status.COMPLETED, *branch_p, *link_p,
              TransferRequest.Status.COMPLETED]
    return sql, params


def insert_messages(events: list[tuple[str, int]], *, now) -> list[int]:
    """Write the messages of `events` in one statement; return the ids of those whose recipient has an e-mail
    address, in the order of the events (transfers/mail.py mails them)."""
    if not events:
        return []
    compose, params = _compose_sql()
    sql = f"""
    WITH ev AS (SELECT (ord - 1)::int AS ord, event, obj_id
                  FROM unnest(%s::text[], %s::bigint[]) WITH ORDINALITY AS e(event, obj_id, ord)),
    {compose},
    ins AS (INSERT INTO transfers_message (recipient_id, request_id, step_id, event, code, params, text, link,
                                           created_at)
            SELECT recipient_id, request_id, step_id, event, event, params, left(text, 300), link, %s::timestamptz
              FROM composed ORDER BY ord, recipient_id
            RETURNING id, recipient_id)
    SELECT i.id FROM ins i
     -- one look-up by key a recipient (LIMIT keeps it so: with few addresses on file the planner would otherwise
     -- scan every person for them)
     CROSS JOIN LATERAL (SELECT 1 FROM members_person p WHERE p.id = i.recipient_id AND p.email <> '' LIMIT 1) p
     ORDER BY i.id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [[e for e, _pk in events], int_array(pk for _e, pk in events), *params, now])
        return [pk for (pk,) in cursor.fetchall()]


def insert_digest(rows: list[tuple[int, int, int, str]], *, link: str, now) -> list[int]:
    """messages.deliver_sweep_digest's messages, (recipient, n, m, text) a row, in one statement; the ids of those
    whose recipient has an e-mail address."""
    recipients, ns, ms, texts = zip(*rows, strict=True)
    with connection.cursor() as cursor:
        cursor.execute("""
            WITH ins AS (INSERT INTO transfers_message (recipient_id, request_id, step_id, event, code, params, text,
                                                        link, created_at)
                         SELECT r, NULL, NULL, 'sweep_digest', 'sweep_digest', jsonb_build_object('n', n, 'm', m), t,
                                %s, %s::timestamptz
                           FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::text[]) AS d(r, n, m, t) ORDER BY r
                         RETURNING id, recipient_id)
            SELECT i.id FROM ins i
             CROSS JOIN LATERAL (SELECT 1 FROM members_person p WHERE p.id = i.recipient_id AND p.email <> '' LIMIT 1) p
             ORDER BY i.id""", [link, now, int_array(recipients), int_array(ns), int_array(ms), list(texts)])
        return [pk for (pk,) in cursor.fetchall()]
