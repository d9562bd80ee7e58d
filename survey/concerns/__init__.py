"""Freedom to Speak Up operations, with no Flask: views, the CLI and tests call these.

Every function takes the database session (and, where it needs them, the key ring, the
access-key hasher and the rate limiter) explicitly and leaves the commit to the caller.

- `cases`: raising a concern, references, finding a case from its reference and key.
- `workflow`: messages both ways, notes, status, elements, closing, withdrawal,
  feedback, revealing contact details; the guardian's case views are audited here.
- `queue`: the guardian's queue, its filters and the working-day acknowledgement target.
- `retention`: the purge of closed cases' text.
- `quarterly`: the quarterly return, through the shared disclosure control.
- `rekey`: re-encrypting every encrypted column under the newest key.
"""
from survey.concerns.cases import (  # noqa: F401
    CaseNotFound, RateLimited, ConcernInput, NewCase, raise_concern, find_case_by_key,
    normalise_reference, new_reference, today,
)
