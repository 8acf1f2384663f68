"""Signed feeds: each member country's Ed25519 key pair and the ingest side's public-key registry.

A country signs the canonical bytes of every envelope (see docs/wire-format.md) with its private
key; the ingest verifies with the public key registered for the topic's country. This holds even
where the broker itself authenticates nobody (the embedded broker): a message nobody signed, one
altered in transit, or one signed by another country never reaches the lake.

Keys are made, stored and used for signing with `cryptography`; verification, which the ingest
does for every message, goes through libsodium (PyNaCl), whose Ed25519 verification costs about
half of OpenSSL's. Both implement RFC 8032 Ed25519, so each verifies the other's signatures;
libsodium is the stricter (it also refuses small-order keys and non-canonical encodings, which
no honest signer produces).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from contracts import normalise_country
from streams.errors import KeyConflict, KeyExists, KeyFileError, UnknownKeyId


def _iso3(country: str) -> str:
    code = normalise_country(country, icao_extras=False)
    if code is None:
        raise KeyFileError(f"{country!r} is not an ISO 3166-1 country code (e.g. FRA or FR)")
    return code


def private_key_path(country: str, keys_dir: Path | str) -> Path:
    return Path(keys_dir) / f"{_iso3(country)}.key"


def public_key_path(country: str, keys_dir: Path | str) -> Path:
    return Path(keys_dir) / f"{_iso3(country)}.pub"


def create_keypair(
    country: str, keys_dir: Path | str, *, overwrite: bool = False
) -> tuple[Path, Path]:
    """Write `<ISO3>.key` (PKCS#8 PEM) and `<ISO3>.pub` (base64 raw public key), both mode 0600
    in a folder of mode 0700, whatever the umask.

    Refuses to overwrite an existing private key unless asked: it is the country's identity, and
    replacing it silently would make every message it signs afterwards fail verification until
    the registry is updated.
    """
    priv_path, pub_path = private_key_path(country, keys_dir), public_key_path(country, keys_dir)
    if priv_path.exists() and not overwrite:
        raise KeyExists(
            f"{priv_path} already exists: keep it, or pass --force to replace it (then register "
            "the new public key with the ingest side)"
        )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _private_dir(priv_path.parent)
    _write_private(priv_path, pem)
    _write_private(pub_path, (public_key_b64(key.public_key()) + "\n").encode())
    return priv_path, pub_path


def _private_dir(path: Path) -> None:
    """path (and missing parents) created 0700, whatever the umask: it holds private keys."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for d in reversed(missing):
        d.mkdir(mode=0o700, exist_ok=True)
        os.chmod(d, 0o700)


def _write_private(path: Path, data: bytes) -> None:
    """Replace path atomically with a file of mode 0600, whatever the umask."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(data)
    os.replace(tmp, path)


def public_key_b64(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The 32 raw public-key bytes in base64: what the registry stores."""
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def load_private_key(path: Path | str) -> Ed25519PrivateKey:
    """A country's Ed25519 private key from a PEM file written by `create_keypair`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(
            f"no private key at {path}: create one with `interlink keys create --country XXX`"
        ) from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path} is not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def parse_public_key(text: str | bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from base64 raw bytes or a PEM SubjectPublicKeyInfo."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    data = data.strip()
    if data.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError as exc:
            raise KeyFileError(f"not a PEM public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise KeyFileError(f"a {type(key).__name__} is not an Ed25519 public key")
        return key
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error:
        raise KeyFileError("public key is neither base64 nor PEM") from None
    if len(raw) != 32:
        raise KeyFileError(f"an Ed25519 public key is 32 bytes, this one is {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id(public_key: str | bytes | Ed25519PublicKey) -> str:
    """A public key's short, stable name: the first 16 hex digits of the SHA-256 of its 32 raw
    bytes (what `keys list` shows and `keys revoke` takes)."""
    key = public_key if isinstance(public_key, Ed25519PublicKey) else parse_public_key(public_key)
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


REVOKED = "revoked"
"""The registry JSON's entry for revoked keys: `{ISO3: [{key, key_id, revoked_at, reason}]}`
(not a country code, so it cannot clash with one)."""


def sign(private_key: Ed25519PrivateKey, data: bytes) -> str:
    """Base64 Ed25519 signature of data (the envelope's canonical bytes)."""
    return base64.b64encode(private_key.sign(data)).decode("ascii")


class KeyRegistry:
    """Public keys of the member countries (ISO3 -> key), stored as a small JSON object.

    The ingest side loads it from the lake (`keys/registry.json` by default) or a local file; a
    country rotates its key by registering the new public half. A revoked key is kept aside
    (`REVOKED`), so the messages it signs are dead-lettered as `signature.revoked_key` and it can
    never be registered again.
    """

    def __init__(
        self,
        keys: dict[str, str] | None = None,
        revoked: dict[str, list[dict[str, str]]] | None = None,
    ) -> None:
        self._b64: dict[str, str] = {}
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._raw: dict[str, bytes] = {}
        self._revoked: dict[str, list[dict[str, str]]] = {}
        self._revoked_raw: dict[str, list[tuple[bytes, str]]] = {}
        for country, key in (keys or {}).items():
            self.add(country, key)
        for country, entries in (revoked or {}).items():
            for entry in entries:
                self._note_revoked(_iso3(country), entry)

    # -- persistence --------------------------------------------------------------------------
    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "registry") -> KeyRegistry:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise KeyFileError(f"{source} is not JSON ({exc}): fix or recreate it") from None
        revoked = data.pop(REVOKED, {}) if isinstance(data, dict) else {}
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise KeyFileError(f"{source} must be a JSON object of country -> base64 public key")
        if not isinstance(revoked, dict) or not all(
            isinstance(v, list) and all(isinstance(e, dict) and "key" in e for e in v)
            for v in revoked.values()
        ):
            raise KeyFileError(f"{source}: {REVOKED!r} must map a country to a list of keys")
        try:
            return cls(data, revoked)
        except KeyFileError as exc:
            raise KeyFileError(f"{source}: {exc}") from None

    def to_json(self) -> str:
        out: dict[str, Any] = dict(sorted(self._b64.items()))
        if self._revoked:
            out[REVOKED] = dict(sorted(self._revoked.items()))
        return json.dumps(out, indent=2) + "\n"

    @classmethod
    def load(cls, path: Path | str) -> KeyRegistry:
        """From a local JSON file; a missing file is an empty registry (no country trusted)."""
        path = Path(path)
        if not path.exists():
            return cls()
        return cls.from_json(path.read_bytes(), source=str(path))

    def save(self, path: Path | str) -> Path:
        path = Path(path)
        _private_dir(path.parent)
        _write_private(path, self.to_json().encode())
        return path

    @classmethod
    def load_from_lake(cls, lake: Any, rel: str) -> KeyRegistry:
        """From `rel` under a `infra.lake.Lake`; a missing file is an empty registry."""
        if not lake.exists(rel):
            return cls()
        return cls.from_json(lake.read_bytes(rel), source=lake.uri(rel))

    def save_to_lake(self, lake: Any, rel: str) -> str:
        return str(lake.write_bytes(rel, self.to_json().encode()))

    # -- content ------------------------------------------------------------------------------
    def add(self, country: str, public_key: str | bytes | Ed25519PublicKey) -> None:
        """Register (or rotate) a country's public key: base64 raw, PEM, or a key object."""
        code = _iso3(country)
        key = (
            public_key if isinstance(public_key, Ed25519PublicKey) else parse_public_key(public_key)
        )
        self._keys[code] = key
        self._b64[code] = public_key_b64(key)
        self._raw[code] = key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def register(self, country: str, public_key: str | bytes | Ed25519PublicKey) -> str:
        """`add`, as an operator does it: refuses a key bound to another country (one country's
        key registered for another would let it publish as that country) or revoked; returns
        the key id."""
        code = _iso3(country)
        key = (
            public_key if isinstance(public_key, Ed25519PublicKey) else parse_public_key(public_key)
        )
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        kid = key_id(key)
        for other, other_raw in self._raw.items():
            if other != code and other_raw == raw:
                raise KeyConflict(
                    f"public key {kid} is already registered for {other}, not {code}",
                    hint=f"each country signs with its own key: ask {code} for its own .pub "
                    f"(`interlink keys create --country {code}`); no option overrides this",
                )
        for other, entries in self._revoked_raw.items():
            if any(r == raw for r, _ in entries):
                raise KeyConflict(
                    f"public key {kid} was revoked for {other} and cannot be registered again",
                    hint=f"ask {code} for a new key pair (`interlink keys create --country "
                    f"{code} --force`)",
                )
        self.add(code, key)
        return kid

    def add_public_key_file(self, country: str, path: Path | str) -> str:
        """`register` the key in a `.pub` file; returns its key id."""
        path = Path(path)
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            raise KeyFileError(f"no public key file at {path}") from None
        try:
            key = parse_public_key(text)
        except KeyFileError as exc:
            raise KeyFileError(f"{path}: {exc}") from None
        return self.register(country, key)

    def key_id(self, country: str) -> str | None:
        """The id of the country's registered key."""
        key = self._keys.get(country)
        return None if key is None else key_id(key)

    def revoke(self, country: str, kid: str, reason: str) -> dict[str, str]:
        """Stop trusting the country's key `kid`: its messages are dead-lettered as
        `signature.revoked_key` from now on (until the country registers a new key, nothing of
        it lands). Returns the revocation entry."""
        code = _iso3(country)
        current = self.key_id(code)
        if current != kid:
            known = [e for e in self._revoked.get(code, []) if e["key_id"] == kid]
            if known:
                raise UnknownKeyId(
                    f"key {kid} of {code} was already revoked on {known[0]['revoked_at']}"
                )
            raise UnknownKeyId(
                f"{kid!r} is not the registered key of {code}"
                + (f" (that is {current})" if current else " (it has none)"),
                hint="`interlink keys list` shows each country's key id",
            )
        entry = {
            "key": self._b64[code],
            "key_id": kid,
            "revoked_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "reason": reason,
        }
        self.remove(code)
        self._note_revoked(code, entry)
        return entry

    def _note_revoked(self, country: str, entry: dict[str, str]) -> None:
        key = parse_public_key(entry["key"])
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        entry = {**entry, "key_id": key_id(key)}
        self._revoked.setdefault(country, []).append(entry)
        self._revoked_raw.setdefault(country, []).append((raw, entry["key_id"]))

    @property
    def revoked_countries(self) -> list[str]:
        return sorted(self._revoked)

    def revoked(self, country: str) -> list[dict[str, str]]:
        """The country's revoked keys, oldest first."""
        return list(self._revoked.get(country, []))

    def revoked_signer(self, country: str, data: bytes, signature: str | bytes) -> str | None:
        """The id of the country's revoked key that signed `data`, if one did (only asked about
        messages that did not verify, so it costs nothing on the accepted path)."""
        entries = self._revoked_raw.get(country)
        raw = _signature_bytes(signature) if entries else None
        if raw is None:
            return None
        for public, kid in entries or []:
            if _verifies(public, raw, data):
                return kid
        return None

    def remove(self, country: str) -> None:
        code = _iso3(country)
        self._keys.pop(code, None)
        self._b64.pop(code, None)
        self._raw.pop(code, None)

    @property
    def countries(self) -> list[str]:
        return sorted(self._keys)

    def __contains__(self, country: object) -> bool:
        return country in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def public_key(self, country: str) -> Ed25519PublicKey | None:
        return self._keys.get(country)

    def verify(self, country: str, data: bytes, signature: str | bytes) -> bool:
        """True when `signature` (base64 or raw) is `country`'s signature of `data`."""
        key = self._raw.get(country)
        if key is None:
            return False
        raw = _signature_bytes(signature)
        if raw is None:
            return False
        return _verifies(key, raw, data)

    def signer_of(self, data: bytes, signature: str | bytes) -> str | None:
        """Which registered country signed `data`, if any (to name the culprit in a DLQ reason)."""
        raw = _signature_bytes(signature)
        if raw is None:
            return None
        for country, key in self._raw.items():
            if _verifies(key, raw, data):
                return country
        return None


def _verifies(public_key: bytes, signature: bytes, data: bytes) -> bool:
    try:
        crypto_sign_open(signature + data, public_key)
    except BadSignatureError:
        return False
    return True


def _signature_bytes(signature: str | bytes) -> bytes | None:
    if isinstance(signature, bytes) and len(signature) == 64:
        return signature
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        try:
            raw = base64.urlsafe_b64decode(signature)
        except (binascii.Error, ValueError):
            return None
    return raw if len(raw) == 64 else None
