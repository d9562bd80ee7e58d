"""Cryptography with no Flask: key ring, encryption at rest, token and access-key hashing.

- Free text is encrypted with Fernet (AES-128-CBC + HMAC-SHA256, authenticated) under a
  MultiFernet key ring: the newest key encrypts, every key decrypts, `rotate` re-encrypts.
- Invitation tokens (>=128 random bits) are stored as HMAC-SHA256 under TOKEN_PEPPER: a
  fast keyed hash is right for high-entropy secrets that must be looked up directly.
- Access keys (100 random bits, typed by people) are stored as argon2id over an HMAC of
  the key under ACCESS_KEY_PEPPER, so a copy of the database alone cannot test guesses.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Crockford base32 without I, L, O, U: unambiguous to read aloud and type on a phone.
ACCESS_KEY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ACCESS_KEY_CHARS = 20          # 20 x 5 bits = 100 bits of entropy
ACCESS_KEY_GROUP = 4


class KeyRingError(RuntimeError):
    pass


class KeyRing:
    """Fernet keys, newest first. Encrypts with the first, decrypts with any."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise KeyRingError("No encryption keys: run `flask --app survey init` or set SURVEY_ENCRYPTION_KEYS.")
        self.keys = list(keys)
        self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in self.keys])

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, text: str | None) -> bytes | None:
        if text is None:
            return None
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, blob: bytes | None) -> str | None:
        if blob is None:
            return None
        try:
            return self._fernet.decrypt(bytes(blob)).decode("utf-8")
        except InvalidToken as exc:
            raise KeyRingError("A stored value cannot be decrypted with any key in the key ring.") from exc

    def rotate(self, blob: bytes | None) -> bytes | None:
        """Re-encrypt under the newest key."""
        if blob is None:
            return None
        return self._fernet.rotate(bytes(blob))


def load_keys_file(path: Path) -> list[str]:
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    return list(data.get("keys", []))


def write_keys_file(path: Path, keys: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"keys": keys}, fh, indent=1)
    os.replace(tmp, path)


# --- invitation tokens -----------------------------------------------------------------

def new_token() -> str:
    """A one-time invitation token: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def token_hash(pepper: str, token: str) -> str:
    return hmac.new(pepper.encode(), token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


# --- access keys -----------------------------------------------------------------------

def new_access_key() -> str:
    chars = "".join(secrets.choice(ACCESS_KEY_ALPHABET) for _ in range(ACCESS_KEY_CHARS))
    return "-".join(chars[i:i + ACCESS_KEY_GROUP] for i in range(0, ACCESS_KEY_CHARS, ACCESS_KEY_GROUP))


def normalise_access_key(typed: str) -> str | None:
    """Accept what people type: lower case, spaces, missing dashes, O for 0, I/L for 1."""
    cleaned = "".join(ch for ch in typed.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != ACCESS_KEY_CHARS or any(ch not in ACCESS_KEY_ALPHABET for ch in cleaned):
        return None
    return "-".join(cleaned[i:i + ACCESS_KEY_GROUP] for i in range(0, ACCESS_KEY_CHARS, ACCESS_KEY_GROUP))


@dataclass(frozen=True)
class SlowHashParams:
    time_cost: int = 3
    memory_cost: int = 65536
    parallelism: int = 1


class SlowHasher:
    """argon2id with a pepper: used for access keys and staff passwords."""

    def __init__(self, pepper: str, params: SlowHashParams = SlowHashParams()):
        self._pepper = pepper.encode()
        self._ph = PasswordHasher(time_cost=params.time_cost, memory_cost=params.memory_cost,
                                  parallelism=params.parallelism)
        # A hash to verify against when there is nothing to find, so that a miss costs
        # the same time as a hit (no enumeration by timing).
        self._dummy = self._ph.hash(self._peppered("not-a-real-secret"))

    def _peppered(self, secret: str) -> bytes:
        return hmac.new(self._pepper, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def hash(self, secret: str) -> str:
        return self._ph.hash(self._peppered(secret))

    def verify(self, stored: str | None, secret: str) -> bool:
        target = stored or self._dummy
        try:
            ok = self._ph.verify(target, self._peppered(secret))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        return ok and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        return self._ph.check_needs_rehash(stored)
