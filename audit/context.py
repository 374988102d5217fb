"""The client address of the request being served, for audit rows written deep inside services."""
import contextvars

client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)
