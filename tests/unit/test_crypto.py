import math

import pytest
from hypothesis import given, strategies as st

from survey import crypto


def test_token_has_at_least_128_bits_and_hash_is_keyed():
    token = crypto.new_token()
    assert len(token) * 6 >= 128 + 6   # urlsafe base64: 6 bits a character
    h1 = crypto.token_hash("pepper-a", token)
    assert h1 == crypto.token_hash("pepper-a", token)
    assert h1 != crypto.token_hash("pepper-b", token)
    assert token not in h1 and len(h1) == 64


def test_access_key_has_at_least_80_bits_and_is_easy_to_type():
    key = crypto.new_access_key()
    chars = key.replace("-", "")
    assert len(chars) * math.log2(len(crypto.ACCESS_KEY_ALPHABET)) >= 80
    assert all(c in crypto.ACCESS_KEY_ALPHABET for c in chars)
    assert len({crypto.new_access_key() for _ in range(200)}) == 200


@given(st.text(alphabet=crypto.ACCESS_KEY_ALPHABET, min_size=20, max_size=20))
def test_access_key_normalisation_accepts_what_people_type(chars):
    canonical = crypto.normalise_access_key(chars)
    assert canonical is not None
    sloppy = " ".join(chars[i:i + 5] for i in range(0, 20, 5)).lower()
    assert crypto.normalise_access_key(sloppy) == canonical


@pytest.mark.parametrize("bad", ["", "short", "X" * 21, "!!!!-????-####-$$$$-%%%%", "U" * 20])
def test_access_key_normalisation_rejects_malformed(bad):
    assert crypto.normalise_access_key(bad) is None


def test_slow_hasher_verifies_and_refuses():
    hasher = crypto.SlowHasher("pepper", crypto.SlowHashParams(1, 64, 1))
    stored = hasher.hash("ABCD-EFGH")
    assert stored.startswith("$argon2id$")
    assert hasher.verify(stored, "ABCD-EFGH")
    assert not hasher.verify(stored, "ABCD-EFGX")
    assert not hasher.verify(None, "anything")   # a miss still does the work
    other = crypto.SlowHasher("other-pepper", crypto.SlowHashParams(1, 64, 1))
    assert not other.verify(stored, "ABCD-EFGH")  # the database copy alone is not enough


def test_keyring_encrypts_rotates_and_refuses_foreign_ciphertext():
    old = crypto.KeyRing([crypto.KeyRing.generate_key()])
    blob = old.encrypt("the rota is unsafe")
    assert b"rota" not in blob
    new = crypto.KeyRing([crypto.KeyRing.generate_key()] + old.keys)
    assert new.decrypt(blob) == "the rota is unsafe"
    rotated = new.rotate(blob)
    assert crypto.KeyRing(new.keys[:1]).decrypt(rotated) == "the rota is unsafe"
    with pytest.raises(crypto.KeyRingError):
        crypto.KeyRing([crypto.KeyRing.generate_key()]).decrypt(blob)
    with pytest.raises(crypto.KeyRingError):
        crypto.KeyRing([])
