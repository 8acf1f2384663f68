"""Recipients: PostgreSQL roles that read as a country or a network, under row-level security.

A recipient role is created (NOLOGIN unless a password is given: production grants it to the
login users of that country's analysts), recorded in `interlink.recipients` with the scope it
reads as and whether it may see victims' identities, and made a member of
`interlink_recipient`, the group the policies and grants name. Which networks a country belongs
to lives in `interlink.recipient_networks` (`set_networks`). DuckDB has no roles: the embedded
warehouse has a single reader, the operator.
"""

from __future__ import annotations

import re

from infra.warehouse.connection import open_backend
from infra.warehouse.errors import WarehouseError, redact

_SCOPE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")
_ROLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class InvalidRecipient(WarehouseError):
    """A recipient name or scope that cannot be a role or a dissemination entry."""


def _check(role_name: str, scope: str) -> None:
    if not _ROLE.match(role_name):
        raise InvalidRecipient(
            f"recipient role {role_name!r} is not a valid role name: use letters, digits and _ "
            "(for example DEU, HTEG or deu_analysts)"
        )
    if not _SCOPE.match(scope):
        raise InvalidRecipient(
            f"recipient scope {scope!r} is not a country or network code: use an ISO3 code "
            "(DEU) or a network name (HTEG, ISON) in capitals"
        )


def _require_pg(url: str, what: str) -> None:
    if not url.startswith(("postgresql://", "postgres://")):
        raise WarehouseError(
            f"{what} needs PostgreSQL (row-level security); {redact(url)} is not a PostgreSQL URL"
        )


def grant_recipient(
    url: str,
    role_name: str,
    *,
    scope: str | None = None,
    networks: list[str] | tuple[str, ...] | None = None,
    victim_access: bool = False,
) -> dict[str, object]:
    """Create (or update) the recipient role `role_name` reading as `scope` (default: the role
    name in capitals, e.g. DEU or HTEG).

    `networks`, when given, records the networks the scope (a country) belongs to, replacing what
    was recorded. `victim_access` lets the role see victims' names, documents and phones.
    Idempotent: granting again updates the recorded rights.
    """
    _require_pg(url, "grant-recipient")
    scope = scope or role_name.upper()
    _check(role_name, scope)
    for n in networks or ():
        _check(n, n)
    with open_backend(url) as backend, backend.transaction():
        con = backend.con
        if con.execute("SELECT to_regclass('interlink.recipients')").fetchall()[0][0] is None:
            raise WarehouseError(
                "the warehouse has no governance tables: run `interlink warehouse migrate` first"
            )
        exists = con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role_name,)).fetchall()
        if not exists:
            # Roles are cluster-wide: two databases of one server may grant the same recipient.
            con.execute(
                f"""DO $$ BEGIN CREATE ROLE "{role_name}" NOLOGIN;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"""
            )
        con.execute(f'GRANT interlink_recipient TO "{role_name}"')
        con.execute(
            "INSERT INTO interlink.recipients (role_name, scope, victim_access) "
            "VALUES (%s, %s, %s) ON CONFLICT (role_name) DO UPDATE SET scope = excluded.scope, "
            "victim_access = excluded.victim_access, granted_at = now()",
            (role_name, scope, victim_access),
        )
        if networks is not None:
            _set_networks(con, scope, list(networks))
        nets = con.execute(
            "SELECT coalesce(array_agg(network ORDER BY network), '{}') FROM "
            "interlink.recipient_networks WHERE country = %s",
            (scope,),
        ).fetchall()[0][0]
    return {
        "role": role_name,
        "scope": scope,
        "networks": list(nets),
        "victim_access": victim_access,
    }


def _set_networks(con: object, country: str, networks: list[str]) -> None:
    con.execute("DELETE FROM interlink.recipient_networks WHERE country = %s", (country,))  # type: ignore[attr-defined]
    for n in sorted(set(networks)):
        con.execute(  # type: ignore[attr-defined]
            "INSERT INTO interlink.recipient_networks (country, network) VALUES (%s, %s)",
            (country, n),
        )


def set_networks(url: str, country: str, networks: list[str]) -> None:
    """Record the networks a member country belongs to (replaces the previous list)."""
    _require_pg(url, "set-networks")
    _check(country, country)
    for n in networks:
        _check(n, n)
    with open_backend(url) as backend, backend.transaction():
        con = backend.con
        _set_networks(con, country, networks)


def revoke_recipient(url: str, role_name: str, *, drop_role: bool = False) -> None:
    """Remove a recipient's rights in this warehouse (and the role itself with drop_role)."""
    _require_pg(url, "revoke-recipient")
    with open_backend(url) as backend, backend.transaction():
        con = backend.con
        con.execute("DELETE FROM interlink.recipients WHERE role_name = %s", (role_name,))
        if con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role_name,)).fetchall():
            con.execute(f'REVOKE interlink_recipient FROM "{role_name}"')
            if drop_role:
                con.execute(f'DROP OWNED BY "{role_name}"')
                con.execute(f'DROP ROLE "{role_name}"')
