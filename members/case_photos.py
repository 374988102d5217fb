"""The identity card's photo of an identity case (R-VER-5), judged as hostile input: its size before its bytes
are read, then what the bytes are. Pillow is not a dependency (requirements.lock), so a photo is recognised by
its structure: a JPEG starts with the SOI marker and ends with EOI, a PNG starts with its signature and an IHDR
chunk and ends with IEND. The content type served back is ours, from that check, never the upload's."""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_PHOTO_BYTES = 5 * 1024 * 1024  # a phone photo of a card is 1-4 MB
MIN_PHOTO_BYTES = 100  # smaller than any real picture of a card
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"


def photo_type(data: bytes) -> str | None:
    """"image/jpeg", "image/png", or None for anything else."""
    if data[:3] == b"\xff\xd8\xff" and data.rstrip(b"\0")[-2:] == b"\xff\xd9":
        return "image/jpeg"
    if data[:8] == _PNG_SIGNATURE and data[12:16] == b"IHDR" and data[-8:] == _PNG_END:
        return "image/png"
    return None


def read_photo(upload) -> tuple[bytes, str]:
    """The bytes and our content type of an uploaded photo, or a ValidationError (field "photo"). The declared
    size is judged first, and never more than the limit plus one byte is read, whatever the size claimed."""
    if upload is None:
        raise ValidationError({"photo": ValidationError(_("请上传身份证照片。"), code="photo_required")})
    if (upload.size or 0) > MAX_PHOTO_BYTES:
        raise _too_large()
    upload.seek(0)
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_large()
    content_type = photo_type(data) if len(data) >= MIN_PHOTO_BYTES else None
    if content_type is None:
        raise ValidationError({"photo": ValidationError(
            _("照片须为 JPG 或 PNG 格式的图片，请重新拍照或另存为 JPG 后上传。"), code="photo_invalid")})
    return data, content_type


def _too_large() -> ValidationError:
    return ValidationError({"photo": ValidationError(
        _("照片不能超过 %(mb)d MB，请压缩后再上传。") % {"mb": MAX_PHOTO_BYTES // (1024 * 1024)}, code="photo_too_large")})
