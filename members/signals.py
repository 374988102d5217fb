"""What members tells the apps above it (the arrows point down: members never imports them).

`identity_case_changed` is sent after commit, with ids, when an identity case (R-VER-5) is filed or decided. The
transfers app, which owns the message center (消息中心), connects to it in its AppConfig.ready() and tells the
filer, the person and, for a new case, the province's admins."""
from django.dispatch import Signal

# kwargs: case_id, event ("filed" | "decided")
identity_case_changed = Signal()
