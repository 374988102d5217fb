"""What access tells the apps above it (the arrows point down: access never imports them).

`second_factor_changed` is sent after commit, with ids, when a person's second factor is enrolled or reset
(R-ACC-5). The transfers app, which owns the message center (消息中心), connects to it in its AppConfig.ready()
and tells the person; access knows nothing of messages."""
from django.dispatch import Signal

# kwargs: person_id, actor_id (None = the system), acting_org_id (or None), event ("enrolled" | "reset")
second_factor_changed = Signal()
