"""Signed feeds: key pairs, the registry, and what verification accepts and refuses."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from infra.lake import Lake
from streams.errors import KeyExists, KeyFileError
from streams.keys import KeyRegistry, create_keypair, load_private_key, sign


def test_created_key_pair_signs_and_registry_verifies(tmp_path: Path) -> None:
    private, public = create_keypair("fr", tmp_path)
    assert private.name == "FRA.key" and public.name == "FRA.pub"
    assert os.stat(private).st_mode & 0o777 == 0o600
    registry = KeyRegistry()
    registry.add_public_key_file("FRA", public)
    signature = sign(load_private_key(private), b"canonical bytes")
    assert registry.verify("FRA", b"canonical bytes", signature)
    assert not registry.verify("FRA", b"canonical bytes!", signature)
    assert not registry.verify("DEU", b"canonical bytes", signature)
    assert not registry.verify("FRA", b"canonical bytes", "not base64!")
    assert registry.signer_of(b"canonical bytes", signature) == "FRA"


def test_create_refuses_to_overwrite_a_country_identity(tmp_path: Path) -> None:
    private, public = create_keypair("DEU", tmp_path)
    first = (private.read_bytes(), public.read_text())
    with pytest.raises(KeyExists, match="--force"):
        create_keypair("DEU", tmp_path)
    assert (private.read_bytes(), public.read_text()) == first  # the refusal touched nothing
    # Asked to, it replaces both halves with a new identity whose halves belong together.
    assert create_keypair("DEU", tmp_path, overwrite=True) == (private, public)
    assert private.read_bytes() != first[0] and public.read_text() != first[1]
    assert os.stat(private).st_mode & 0o777 == 0o600
    registry = KeyRegistry()
    registry.add_public_key_file("DEU", public)
    signature = sign(load_private_key(private), b"after the overwrite")
    assert registry.verify("DEU", b"after the overwrite", signature)
    old = KeyRegistry()
    old.add("DEU", first[1])
    assert not old.verify("DEU", b"after the overwrite", signature)


def test_registry_round_trips_through_a_lake(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    assert len(KeyRegistry.load_from_lake(lake, "keys/registry.json")) == 0
    _, pub_fra = create_keypair("FRA", tmp_path / "k")
    _, pub_ita = create_keypair("ITA", tmp_path / "k")
    registry = KeyRegistry()
    registry.add_public_key_file("FRA", pub_fra)
    registry.add("IT", pub_ita.read_text())
    registry.save_to_lake(lake, "keys/registry.json")
    again = KeyRegistry.load_from_lake(lake, "keys/registry.json")
    assert again.countries == ["FRA", "ITA"]
    assert again.to_json() == registry.to_json()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('["FRA"]', "JSON object"),
        ('{"FRA": "c2hvcnQ="}', "32 bytes"),
        ('{"Atlantis": "c2hvcnQ="}', "ISO 3166-1"),
    ],
)
def test_a_broken_registry_file_says_what_is_wrong(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "registry.json"
    path.write_text(content)
    with pytest.raises(KeyFileError, match=message):
        KeyRegistry.load(path)


def test_loading_a_missing_or_foreign_private_key_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="keys create"):
        load_private_key(tmp_path / "nope.key")
    bad = tmp_path / "bad.key"
    bad.write_text("hello")
    with pytest.raises(KeyFileError, match="PEM"):
        load_private_key(bad)


def test_registry_verification_agrees_with_openssl_on_altered_signatures_and_data() -> None:
    # Keys and signatures come from `cryptography` (OpenSSL); the registry verifies with
    # libsodium: both must accept exactly the same (signature, data) pairs.
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    registry = KeyRegistry()
    registry.add("FRA", key.public_key())
    rng = random.Random(7)
    for i in range(50):
        data = rng.randbytes(rng.randint(0, 2000))
        signature = bytearray(key.sign(data))
        if i % 3 == 1:
            signature[rng.randrange(64)] ^= 1 << rng.randrange(8)
        if i % 3 == 2 and data:
            data = bytes([data[0] ^ 1]) + data[1:]
        try:
            key.public_key().verify(bytes(signature), data)
            expected = True
        except InvalidSignature:
            expected = False
        assert registry.verify("FRA", data, bytes(signature)) is expected
        assert (registry.signer_of(data, bytes(signature)) == "FRA") is expected
