"""What members tells the apps above it (the arrows point down: members never imports them).

`age_exception_changed` is sent after commit, with ids, at each step of an age-exception request (R-ENT-11); the
transfers app, which owns the message center (消息中心), connects to it in its AppConfig.ready() and writes the
messages. members decides who hears (the next party, and the filer), transfers only writes."""
from django.dispatch import Signal

# kwargs: event (a message code), recipient_ids (person pks), params (dict of names/numbers), link (a path)
age_exception_changed = Signal()
