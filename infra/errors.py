"""Errors a newcomer meets when a service does not start: each says the cause and the fix."""

from __future__ import annotations

import re

from contracts.errors import InterlinkError

# `scheme://user:secret@host` and libpq's `password=secret` (in a URL's query or a conninfo).
_USERINFO = re.compile(r"(://[^:/@\s]+):[^@\s]*@")
_PASSWORD_PARAM = re.compile(r"(?i)\b(password|sslpassword)=(?:'[^']*'|[^&\s]*)")


def redact(text: str) -> str:
    """text with every password in a URL or conninfo in it replaced by ***: for anything we
    print or log (doctor, errors, settings' repr)."""
    return _PASSWORD_PARAM.sub(r"\1=***", _USERINFO.sub(r"\1:***@", text))


class ServiceError(InterlinkError, RuntimeError):
    """A local service could not be started, reached or stopped.

    The message is one line naming the cause and the fix; the CLI prints it without a traceback.
    """


class JavaNotFound(ServiceError):
    """No Java runtime for Spark."""


class PortInUse(ServiceError):
    """The requested port is taken by another process."""


class BrokerNotReady(ServiceError):
    """The broker process started but never answered a metadata request."""


class BrokerNotRunning(ServiceError):
    """No broker is configured and no embedded broker is running."""


class WarehouseUnreachable(ServiceError):
    """The warehouse database does not answer."""
