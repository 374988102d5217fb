"""Codes of an authenticator app, computed as the app does (RFC 6238 through django-otp's own `hotp`)."""
import time
from binascii import unhexlify

from django_otp.oath import hotp


def totp_code(key_hex: str, *, step: int = 30, offset: int = 0, at: float | None = None) -> str:
    """The 6-digit code for `key_hex` at time `at` (now), `offset` steps later."""
    t = int((time.time() if at is None else at) // step) + offset
    return f"{hotp(unhexlify(key_hex), t):06d}"


def next_code(device) -> str:
    """A code the device accepts now: inside its window (its drift, one step either way) and later than the last
    step it accepted (a code is never accepted twice), the current step's if it can be. Waits for the next step in
    the rare case none is left."""
    device.refresh_from_db()
    while True:
        now = int(time.time() // device.step) + device.drift
        # The current step first: it stays acceptable for one to two steps after this, so a browser that types
        # it slowly on a loaded machine still gets in. The step before was chosen first once — and expired
        # between here and the click when a step boundary fell in between (a flaky journey).
        for t in sorted(range(now - device.tolerance, now + device.tolerance + 1), key=lambda t: (t < now, t)):
            if t > device.last_t:
                return f"{hotp(device.bin_key, t, digits=device.digits):0{device.digits}d}"
        time.sleep(device.step - time.time() % device.step + 0.1)


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 1_000_000:06d}"
