"""Rate limits on guessable or costly actions, shared between processes through Redis.

Limits are keyed by what is being protected (a case reference, a staff e-mail) and, for
public routes, by a keyed hash of the client that lives only in memory or Redis for the
length of the window: no address is written to a log or the database.
"""
from __future__ import annotations

import hashlib
import hmac

from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter


class RateLimiter:
    def __init__(self, redis_url: str | None, secret: str):
        self._storage = storage_from_string(redis_url) if redis_url else MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._secret = (secret or "ratelimit").encode()

    def _key(self, scope: str, identity: str) -> str:
        digest = hmac.new(self._secret, identity.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]
        return f"{scope}:{digest}"

    def hit(self, limit: str, scope: str, identity: str, cost: int = 1) -> bool:
        """Count `cost` attempts (one at a time, as many as fit); False when the limit is reached."""
        item, key = parse(limit), self._key(scope, identity)
        ok = True
        for _ in range(max(1, cost)):
            ok = self._limiter.hit(item, key)
            if not ok:
                break
        return ok

    def allowed(self, limit: str, scope: str, identity: str) -> bool:
        return self._limiter.test(parse(limit), self._key(scope, identity))

    def reset(self) -> None:
        self._storage.reset()


def client_identity(request) -> str:
    """The one place the client's address is read: it keys rate limits only, through the
    limiter's keyed hash, for the length of the window. Never log or store it."""
    return request.remote_addr or ""
