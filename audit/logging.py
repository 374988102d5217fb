import logging
import re

# 18-character ID numbers (R-ENT-1) anywhere in a log line.
_ID = re.compile(r"(?<![0-9])(\d{6})\d{11}([0-9Xx])(?![0-9])")


def mask(text: str) -> str:
    return _ID.sub(lambda m: m.group(1) + "*" * 11 + m.group(2), text)


class MaskIdNumbersFilter(logging.Filter):
    """R-AUTH-6: logs never hold a whole ID number, whoever wrote the line."""

    def filter(self, record):
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
