import logging
import re

from django.core.exceptions import PermissionDenied

# 18-character ID numbers (R-ENT-1) anywhere in a log line.
_ID = re.compile(r"(?<![0-9])(\d{6})\d{11}([0-9Xx])(?![0-9])")


def mask(text: str) -> str:
    return _ID.sub(lambda m: m.group(1) + "*" * 11 + m.group(2), text)


def mask_deep(value):
    """Every string masked, however deep it sits (lists, dicts): an audit event's detail."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: mask_deep(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_deep(v) for v in value]
    return value


def mask_login(text: str) -> str:
    """What someone typed as their ID number on a failed sign-in, whatever its shape (R-AUTH-6): first 6 and last 1
    characters at most, as a listed ID number shows them; shorter than 8, nothing. `mask` alone would let a
    17-digit typo through whole."""
    text = "".join(str(text or "").split())[:40]
    if len(text) < 8:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 7) + text[-1]


class MaskIdNumbersFilter(logging.Filter):
    """R-AUTH-6: logs never hold a whole ID number, whoever wrote the line."""

    def filter(self, record):
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        # A traceback may quote an ID number too (a database error's DETAIL line): format it now, masked;
        # formatters use exc_text when it is set.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


class RefusalsInOneLine(logging.Filter):
    """Issue 15: a refusal (PermissionDenied, answered with the 403 page) is normal control flow here — a member who
    follows an admin's link, an admin outside their subtree. Django logs it with its traceback; this keeps one line
    saying where and who, without the traceback. Other errors keep theirs."""

    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, PermissionDenied):
            request = getattr(record, "request", None)
            user = getattr(request, "user", None)
            who = user.pk if user is not None and user.is_authenticated else "anonymous"
            record.msg, record.args = "Forbidden: %s (person %s)", (getattr(request, "path", "?"), who)
            record.exc_info, record.exc_text = None, None
        return True
