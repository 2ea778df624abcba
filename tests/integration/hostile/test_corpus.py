"""The hostile corpus, sent as real people (a beneficiary with papers, her counsellor, an
organisation admin, a platform admin, and nobody) on each back end: every case refused with the
4xx it expects and a readable message, no 5xx, nothing echoed unescaped, and every table and
the blob store as they were (but what a refusal writes by design)."""

from storage import LocalBlobStore
from vault.runtime import Runtime

from .cases import Caller
from .corpus import corpus
from .runner import run
from .tally import TALLIES, Tally
from .world import Ids, build_world, client_for

MINIMUM_CASES = 150


def placeholder_ids() -> Ids:
    return Ids(**{name: f"{name}-id" for name in Ids.__dataclass_fields__})


def test_the_corpus_has_enough_cases_each_named_once() -> None:
    cases = corpus(placeholder_ids())
    names = [case.name for case in cases]
    assert len(cases) >= MINIMUM_CASES
    assert sorted({n for n in names if names.count(n) > 1}) == []
    assert {case.caller for case in cases} == set(Caller)
    for case in cases:
        assert 400 <= case.expected < 500 or case.check is not None, case.name


def test_hostile_corpus(rt: Runtime) -> None:
    world = build_world(rt)
    back_end = "SQLite" if rt.engine.dialect.name == "sqlite" else rt.engine.dialect.name
    tally = Tally(back_end)
    TALLIES.append(tally)
    # An S3 bucket is listed around groups of cases: a listing takes ~50 ms there.
    objects_every = 1 if isinstance(rt.store, LocalBlobStore) else 20
    with client_for(rt) as client:
        failures = run(client, world, corpus(world.ids), tally, objects_every)
    assert failures == [], f"{len(failures)} failures:\n" + "\n".join(failures)
