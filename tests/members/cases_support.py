"""Shared by the identity case tests (R-VER-5): photos as uploads, and a tangled pair of records."""
import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from members.services import enter_member
from tests.factories import make_id_number

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 300 + b"\xff\xd9"
PNG = (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00\x00\x00\x10" * 2 + b"\x08\x02\x00\x00\x00" + b"\x22" * 200
       + b"\x00\x00\x00\x00IEND\xaeB`\x82")


def photo(data: bytes = JPEG, name: str = "card.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def tangled_pair(tree):
    """A in 1班 and B in 2班; A's admin says B's ID number is A's (the seed's case 2)."""
    a = enter_member(actor=None, branch=tree["b1"], id_number=make_id_number(dt.date(2004, 3, 1)), name="张甲",
                     joined_on=dt.date(2016, 5, 4))
    b = enter_member(actor=None, branch=tree["b2"], id_number=make_id_number(dt.date(2004, 4, 1)), name="李乙",
                     joined_on=dt.date(2016, 5, 4))
    return a, b
