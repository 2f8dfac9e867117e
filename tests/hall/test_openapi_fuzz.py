"""A bounded schemathesis run over a live hub's own OpenAPI document (`/api/v1/openapi.json`):
whatever it generates, no answer is a 5xx, and every answer has a documented status, content
type and body (response schemas included). A few examples per operation keep it short."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import LiveServer, login

EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_hub(tmp_path_factory, templates):
    """A real `hall serve` on a SQLite copy of the demo halls, shared by the whole module."""
    import shutil

    target = tmp_path_factory.mktemp("fuzz") / "hall.sqlite3"
    shutil.copyfile(templates["sqlite"], target)
    server = LiveServer(
        f"sqlite:///{target}",
        HALL_PRINT_WORKER="0",
        HALL_SECRET_KEY="fuzz",
        # One login per operation below; the limits themselves are tested elsewhere.
        HALL_LOGIN_LIMIT="100000 per minute",
    ).start()
    yield server
    server.stop()


def _fuzz(operation, url: str, session: requests.Session, headers: dict[str, str]):
    """A hypothesis test sending a few generated requests to one operation."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(
            base_url=url, session=session, headers=headers, checks=CHECKS, timeout=10
        )

    return run


def test_no_5xx_and_every_answer_is_documented(fuzzed_hub):
    """Every operation of the document, a few generated requests each, with a staff token."""
    # schemathesis's pytest plugin reaches into pytest internals that pytest 9 changed, so the
    # operations are driven here, one hypothesis run each.
    api = schemathesis.openapi.from_url(f"{fuzzed_hub.url}/api/v1/openapi.json")
    failures: dict[str, str] = {}
    operations = 0
    with requests.Session() as session:
        for result in api.get_all_operations():
            operation = result.ok()
            operations += 1
            # A fresh manager token per operation: one operation may log its token out.
            run = _fuzz(operation, fuzzed_hub.url, session, login(fuzzed_hub.url, "manager"))
            try:
                run()
            except (Exception, BaseExceptionGroup) as err:  # report every operation's failure
                failures[operation.label] = f"{type(err).__name__}: {str(err)[:600]}"
    assert operations >= 55
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
