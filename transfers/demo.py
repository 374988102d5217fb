"""Demo transfers in every state (issue 4, item 7), made through the services. Ages ("created four days
ago") are set afterwards on the rows, as if time had passed: that is the only direct write here."""
import datetime as dt

from members.models import CadrePost, Membership
from orgs.models import Organization
from orgs.naming import normalize_full_name

from .models import ApprovalStep, TransferRequest
from .services import apply_for_transfer, approve, batch_transfer, reject, transfer_in, transfer_out, withdraw


def _org(name):
    return Organization.objects.get(name_key=normalize_full_name(name), is_active=True)


def _admin(org):
    return CadrePost.objects.filter(org=org, is_admin=True, ended_at__isnull=True).order_by("pk").first().person


def _members(branch, n, skip=0):
    ms = (Membership.objects.filter(branch=branch, ended_at__isnull=True)
          .exclude(person__in=CadrePost.objects.filter(ended_at__isnull=True).values("person"))
          .select_related("person").order_by("pk"))
    return [m.person for m in ms[skip:skip + n]]


def _age(request, days):
    """Move a request and its steps back in time by `days`."""
    shift = dt.timedelta(days=days)
    TransferRequest.objects.filter(pk=request.pk).update(created_at=request.created_at - shift)
    for step in ApprovalStep.objects.filter(request=request):
        ApprovalStep.objects.filter(pk=step.pk).update(
            created_at=step.created_at - shift, due_at=step.due_at - shift if step.due_at else None,
            decided_at=step.decided_at - shift if step.decided_at else None)


def seed_transfers() -> None:
    if TransferRequest.objects.exists():
        return
    c1 = _org("北京示范大学信息学院2022级1班团支部")
    c2 = _org("北京示范大学信息学院2022级2班团支部")
    c3 = _org("北京示范大学信息学院2023级1班团支部")
    mech = _org("北京示范大学机械学院2022级1班团支部")
    grad = _org("北京示范大学机械学院研究生团支部")
    mech_school = _org("北京示范大学机械学院团总支")
    rd = _org("北京示范科技有限公司研发部团支部")
    market = _org("北京示范科技有限公司市场部团支部")
    firm = _org("北京示范科技有限公司团委")
    street = _org("学院路街道流动团员团支部")
    centre = _org("北京市海淀区人才交流中心团委")
    a, b, c = _members(c1, 6), _members(c2, 4), _members(c3, 2)

    # Pending at the OUT step, fresh: the member applied today.
    apply_for_transfer(member=a[0], to_org=rd, reason="employed_with_org")
    # Pending at the IN step: the branch let them go yesterday.
    r = apply_for_transfer(member=a[1], to_org=market, reason="employed_with_org")
    approve(actor=_admin(c1), acting_org=c1, step=r.steps.get(kind="out"))
    _age(r, 1)
    # Pending at the ASSIGN step of a committee.
    r = apply_for_transfer(member=a[2], to_org=firm, reason="employed_with_org")
    approve(actor=_admin(c1), acting_org=c1, step=r.steps.get(kind="out"))
    approve(actor=_admin(firm), acting_org=firm, step=r.steps.get(kind="in"))
    # Overdue: waiting four days (R-TR-8: more than 72 hours).
    r = apply_for_transfer(member=a[3], to_org=street, reason="unemployed")
    _age(r, 4)
    # Issue 18: a graduate without a job goes to the talent exchange centre instead (the FAQ's other target).
    apply_for_transfer(member=a[4], to_org=centre, reason="unemployed")
    # One day from automatic approval (R-TR-7: 15 days).
    r = transfer_out(actor=_admin(c2), acting_org=c2, member=b[0], to_org=rd, reason="job_change")
    _age(r, 14)
    # Rejected, with its reason.
    r = apply_for_transfer(member=b[1], to_org=street, reason="moved")
    reject(actor=_admin(c2), acting_org=c2, step=r.steps.get(kind="out"), reason="迁居地址有误，请核对后重新申请。")
    # Withdrawn by the member.
    r = apply_for_transfer(member=b[2], to_org=rd, reason="employed_with_org")
    withdraw(actor=b[2], request=r)
    # Completed: transfer in by the receiving branch, approved by the sending side.
    r = transfer_in(actor=_admin(market), acting_org=market, id_number=c[0].id_number, name=c[0].name,
                    reason="employed_with_org")
    approve(actor=_admin(c3), acting_org=c3, step=r.steps.get(kind="out"))
    _age(r, 3)
    # A batch: five members move from one class to the graduate branch at once (R-TR-9).
    batch_transfer(actor=_admin(mech_school), acting_org=mech_school, from_branch=mech,
                   members=_members(mech, 5), to_branch=grad, reason="further_study")
