"""Helpers of the age-exception tests (R-ENT-11): a county-level committee under the test tree's province, and a
request filed through the service."""
import datetime as dt

from members.services import enter_cadre, file_age_exception
from orgs.models import OrgType
from orgs.services import create_org
from tests.factories import make_id_number

YOUNG = dt.date(2008, 6, 1)          # born; joined 2020-05-04 at 11: refused by R-ENT-2 (13 from 2017)
JOINED = dt.date(2020, 5, 4)


def county(tree) -> dict:
    """province > 海淀区委 (county level) > a school committee > a branch; an admin at the county and the branch."""
    c = {"county": create_org(actor=None, full_name="共青团北京市海淀区委员会", org_type=OrgType.LEADING,
                              parent=tree["province"])}
    c["school"] = create_org(actor=None, full_name="海淀示范中学团委", org_type=OrgType.COMMITTEE, parent=c["county"])
    c["branch"] = create_org(actor=None, full_name="海淀示范中学初二（1）班团支部", org_type=OrgType.BRANCH,
                             parent=c["school"])
    for key in ("county", "school", "branch"):
        c[key + "_admin"] = enter_cadre(actor=None, org=c[key], id_number=make_id_number(dt.date(1994, 4, 4)),
                                        name=f"管理员{key}", title="书记", is_admin=True)
    return c


def young_id() -> str:
    return make_id_number(YOUNG)


def fields(**over) -> dict:
    values = {"name": "李小年", "id_number": young_id(), "phone": "13800138000", "joined_on": JOINED,
              "development_number": "202000000123", "explanation": "2020年5月由本支部发展入团，时年11岁，经县团委核实。"}
    values.update(over)
    return values


def filed(c, **over):
    return file_age_exception(actor=c["branch_admin"], acting_org=c["branch"], branch=c["branch"], **fields(**over))
