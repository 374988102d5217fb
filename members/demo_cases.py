"""The demo's identity cases (R-VER-5, issue 18): one in every state, each through the services, with a made-up
card photo (a real PNG, drawn here: no picture of anyone's card ships with the demo)."""
import datetime as dt
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

from orgs.models import Organization
from orgs.naming import normalize_full_name

from .models import CadrePost, IdentityCase, Person
from .services.cases import PHOTO_KEPT, file_case, mark_verified_by_hand, purge_case_photos, reject_case, untangle

CASE_BRANCH = "北京示范大学信息学院2022级1班团支部"
OTHER_BRANCH = "北京示范大学信息学院2022级2班团支部"
PROVINCE = "共青团北京市委员会"


def card_png(width: int = 320, height: int = 200) -> bytes:
    """A pale card with a photo box and a few grey lines where the text would be."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter: none
        for x in range(width):
            border = x < 4 or y < 4 or x >= width - 4 or y >= height - 4
            photo = 220 <= x < 300 and 40 <= y < 150
            line = 24 <= x < 200 and any(top <= y < top + 8 for top in (40, 70, 100, 130, 160))
            row += bytes((150, 170, 200)) if border else bytes((120, 140, 160)) if photo else \
                bytes((170, 170, 170)) if line else bytes((236, 242, 248))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


def _photo():
    return SimpleUploadedFile("card.png", card_png(), content_type="image/png")


def _admin(org):
    return CadrePost.objects.held().filter(org=org, is_admin=True).select_related("person").order_by("pk").first().person


def seed_cases(out=print) -> None:
    if IdentityCase.objects.exists():
        return
    branch = Organization.objects.get(name_key=normalize_full_name(CASE_BRANCH))
    other_branch = Organization.objects.get(name_key=normalize_full_name(OTHER_BRANCH))
    province = Organization.objects.get(name_key=normalize_full_name(PROVINCE))
    filer, operator = _admin(branch), _admin(province)
    people = list(Person.objects.filter(memberships__branch=branch, memberships__ended_at__isnull=True, posts=None)
                  .order_by("pk")[:5])
    others = list(Person.objects.filter(memberships__branch=other_branch, memberships__ended_at__isnull=True, posts=None)
                  .order_by("pk")[:3])
    if len(people) < 5 or len(others) < 3:
        return
    Person.objects.filter(pk__in=[p.pk for p in people[:3]]).update(
        verification_status="failed", verification_reason="公安部公民身份核验未通过")

    def wrongly_failed(person, note):
        person.refresh_from_db()
        return file_case(actor=filer, person=person, acting_org=branch, kind="wrongly_failed", note=note, photo=_photo())

    def tangled(person, other, note):
        return file_case(actor=filer, person=person, acting_org=branch, kind="tangled", note=note, photo=_photo(),
                         claimed_id_number=other.id_number)

    wrongly_failed(people[0], "本人姓名、身份证号与身份证一致，去年刚换发新证，公安数据可能尚未更新。")  # open
    case = wrongly_failed(people[1], "姓名中的生僻字在核验系统里显示不同，身份证照片附后。")
    mark_verified_by_hand(actor=operator, case=case, reason="已核对身份证照片，姓名与号码一致，公安数据滞后。")
    rejected = wrongly_failed(people[2], "认证不通过，原因不明。")
    reject_case(actor=operator, case=rejected, reason="照片模糊，看不清号码，请重新拍照后再提交。")
    tangled(people[3], others[0], "录入时把两人的身份证号录反了：系统提示此号码已被2班的记录登记。")  # open
    case = tangled(people[4], others[1], "本人的身份证号被登记在2班一条记录上，两人身份证照片附后。")
    untangle(actor=operator, case=case, decision="swap", reason="核对两人身份证后互换身份证号。", by_hand=True)
    # The rejected case closed 40 days ago, so its photo is gone (deleted 30 days after closing): that state too.
    rejected = IdentityCase.objects.get(pk=rejected.pk)
    IdentityCase.objects.filter(pk=rejected.pk).update(closed_at=rejected.closed_at - PHOTO_KEPT - dt.timedelta(days=10))
    purge_case_photos()
    out("认证问题：待处理 2 件，已人工认证 1 件，已理清 1 件，已驳回 1 件（照片已按期删除）")
