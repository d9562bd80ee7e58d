"""Concurrency under the real server: gunicorn with several workers (separate processes,
separate connections), on SQLite or on PostgreSQL when SURVEY_TEST_DATABASE_URL is set.

- 200 whole submissions (open the token link, answer, submit) with distinct tokens, in
  16 threads: every one is stored exactly once, every token used, no draft left over.
- 50 browsers holding the same token press Submit together: exactly one response.
Loopback only; threads and time are bounded.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.db.gunicorn_support import Server, answer_survey, counts, make_instance, seed, start_survey

pytestmark = pytest.mark.slow

WORKERS = 4
DISTINCT = 200
RACERS = 50


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    inst = make_instance(tmp_path_factory.mktemp("srv-conc"))
    yield inst
    inst.drop()


@pytest.fixture(scope="module")
def server(instance):
    srv = Server(instance, "gunicorn", workers=WORKERS)
    srv.wait_workers(WORKERS)
    yield srv
    log = srv.stop()
    assert "Traceback" not in log, log[-3000:]


def test_distinct_tokens_are_all_stored_once(instance, server):
    data = seed(instance, DISTINCT)

    def one(i_token):
        i, token = i_token
        r = answer_survey(server.client(), token, q14a=str(1 + i % 5), comment=f"comment {i}" if i % 4 == 0 else None)
        return r.status, r.location

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, enumerate(data["tokens"]), timeout=180))
    bad = [r for r in results if r[0] != 302 or not r[1].endswith("/respond/done")]
    assert not bad, bad[:5]
    assert counts(instance, data["wave"]) == {"used": DISTINCT, "unused": 0, "responses": DISTINCT,
                                              "comments": DISTINCT // 4, "drafts": 0}


def test_racing_submits_with_one_token_store_one(instance, server):
    data = seed(instance, 1)
    token = data["tokens"][0]
    clients = [server.client() for _ in range(RACERS)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        csrfs = list(pool.map(lambda c: start_survey(c, token), clients, timeout=120))
    barrier = threading.Barrier(RACERS)
    results: list = [None] * RACERS

    def race(i: int) -> None:
        barrier.wait(timeout=60)
        r = clients[i].post("/respond/submit", {"csrf_token": csrfs[i]})
        results[i] = (r.status, r.location, "has already been used" in r.text)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(results), "a racing request did not finish"
    stored = [r for r in results if r[0] == 302 and r[1].endswith("/respond/done")]
    refused = [r for r in results if r[0] == 410 and r[2]]
    assert len(stored) == 1 and len(refused) == RACERS - 1, sorted(set(results))
    assert counts(instance, data["wave"]) == {"used": 1, "unused": 0, "responses": 1, "comments": 0, "drafts": 0}
