"""What members tells the apps above it (the arrows point down: members never imports them).

`identity_case_changed` is sent after commit, with ids, when an identity case (R-VER-5) is filed or decided. The
transfers app, which owns the message center (消息中心), connects to it in its AppConfig.ready() and tells the
filer, the person and, for a new case, the province's admins.

`age_exception_changed` is sent after commit, with ids, at each step of an age-exception request (R-ENT-11); the
transfers app, which owns the message center (消息中心), connects to it in its AppConfig.ready() and writes the
messages. members decides who hears (the next party, and the filer), transfers only writes."""
from django.dispatch import Signal

# kwargs: case_id, event ("filed" | "decided")
identity_case_changed = Signal()

# kwargs: event (a message code), recipient_ids (person pks), params (dict of names/numbers), link (a path)
age_exception_changed = Signal()
