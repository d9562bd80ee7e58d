"""One cell-status vocabulary (survey.disclosure.status): every state has the word a reader
sees, and a cell empty by definition reads as primary."""
import numpy as np

from survey.disclosure.status import STATUS_NAMES, WORDS, Status, published


def test_every_status_has_its_published_word():
    assert [s.word for s in Status] == ["ok", "primary", "secondary", "primary"]
    assert list(STATUS_NAMES) == [s.word for s in Status]
    codes = published(np.array([s.value for s in Status]))
    assert [WORDS[c] for c in codes] == [s.word for s in Status]
