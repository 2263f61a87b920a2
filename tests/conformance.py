"""The provider conformance checks as a pytest plugin (loaded from tests/conftest.py).

The validator itself lives in `bot/sandbox/conformance.py` (the sandbox's simulators use it too);
this module adds what only tests need: `requires_specs`, `assert_conforms(requests)` and the
`conformant_respx` fixture (a `respx_mock` whose calls are all checked when the test ends).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import httpx
import pytest

from bot.sandbox.conformance import (  # noqa: F401  (re-exported for the tests)
    allowed_problems,
    missing_reason,
    request_problems,
    response_problems,
    specs_dir,
)

requires_specs = pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")


def assert_conforms(requests: Iterable[httpx.Request]) -> None:
    """Fail with every problem of every request; skip when the specs are absent."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    problems = [p for request in requests for p in request_problems(request)]
    assert not problems, "requests do not conform to the provider specs:\n" + "\n".join(problems)


@pytest.fixture
def conformant_respx(respx_mock):
    """`respx_mock`, plus: when the test ends, every request it saw must conform to the
    provider specs and stay inside the allowed endpoints. Without the specs it only warns."""
    yield respx_mock
    requests = [call.request for call in respx_mock.calls]
    reason = missing_reason()
    if reason:
        warnings.warn(pytest.PytestWarning(f"conformance not checked: {reason}"), stacklevel=1)
        return
    problems = [p for request in requests for p in request_problems(request)]
    if problems:
        pytest.fail("requests do not conform to the provider specs:\n" + "\n".join(problems), pytrace=False)
