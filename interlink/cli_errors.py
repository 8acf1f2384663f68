"""The one place the command line turns a user's error into a line on stderr and exit code 2.

Every error a user can meet is an `InterlinkError` (contracts/errors.py), whatever package raised
it, so one handler serves every command: it prints the message and its hint without a traceback.
A missing file the user named is one too. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from contracts.errors import InterlinkError

USER_ERRORS: tuple[type[BaseException], ...] = (InterlinkError, FileNotFoundError)
"""What the command line reports as one line (exit 2) instead of a traceback."""

F = TypeVar("F", bound=Callable[..., Any])


def user_message(exc: BaseException) -> str:
    """`interlink: <message>[: <hint>]`, the one line an operator reads."""
    text = exc.user_message() if isinstance(exc, InterlinkError) else str(exc)
    return f"interlink: {text}"


def user_errors(func: F) -> F:
    """Wrap a command: a user error becomes one line on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except USER_ERRORS as exc:
            typer.echo(user_message(exc), err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def guard(app: typer.Typer) -> typer.Typer:
    """Wrap every command of `app` (and of its sub-groups) with `user_errors`, once.

    Called at the end of each command module, so a sub-app behaves the same whether it runs
    mounted under `interlink` or on its own (as the tests invoke it).
    """
    for command in app.registered_commands:
        callback = command.callback
        if callback is not None and not getattr(callback, "_user_errors", False):
            wrapped = user_errors(callback)
            wrapped._user_errors = True  # type: ignore[attr-defined]
            command.callback = wrapped
    for group in app.registered_groups:
        if group.typer_instance is not None:
            guard(group.typer_instance)
    return app
