import threading

import pytest

from bot.sync.locks import try_lock


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_lock_is_exclusive_per_key_across_threads(backend, request):
    engine = request.getfixturevalue("engine" if backend == "sqlite" else "pg_engine")
    inside, release = threading.Event(), threading.Event()
    results: dict[str, bool] = {}

    def holder():
        with try_lock(engine, 7) as got:
            results["holder"] = got
            inside.set()
            release.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    assert inside.wait(5)
    with try_lock(engine, 7) as got:
        results["second"] = got
    with try_lock(engine, 8) as got:
        results["other_key"] = got
    release.set()
    t.join()
    with try_lock(engine, 7) as got:
        results["after"] = got
    assert results == {"holder": True, "second": False, "other_key": True, "after": True}
