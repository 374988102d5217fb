"""Sign-in in the trail (R-TR-16): signing in and out, failed sign-ins and lockouts, from Django's
`user_logged_in`, `user_logged_out`, `user_login_failed` and django-axes' `user_locked_out` signals (connected in
AuditConfig.ready). No whole ID number (R-AUTH-6): a known person is the target, labelled masked; what was
typed is kept as `mask_login` shows it."""
from axes.helpers import get_client_username
from django.contrib.auth import get_user_model

from .actions import LOCKED_OUT, LOGIN, LOGIN_FAILED, LOGOUT
from .logging import mask_login
from .models import AuditEvent
from .services import record


def _person(username):
    """The account a sign-in named, if there is one (the ID number as AXES_USERNAME_CALLABLE normalizes it)."""
    if not username:
        return None
    model = get_user_model()
    return model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()


def logged_in(sender, request, user, **kwargs):
    record(actor=user, action=LOGIN, target=user)


def logged_out(sender, request, user, **kwargs):
    if user is not None and user.is_authenticated:
        record(actor=user, action=LOGOUT, target=user)


def login_failed(sender, credentials, request=None, **kwargs):
    typed = (credentials or {}).get("username", "")
    username = get_client_username(request, credentials) if request is not None else typed
    record(actor=None, action=LOGIN_FAILED, target=_person(username), result=AuditEvent.Result.DENIED,
           login=mask_login(typed))


def locked_out(sender, request=None, username=None, **kwargs):
    record(actor=None, action=LOCKED_OUT, target=_person(username), result=AuditEvent.Result.DENIED,
           login=mask_login(username or ""))
