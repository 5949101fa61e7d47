"""schemathesis against the served OpenAPI document, in-process (WSGI): for every operation,
generated requests as several roles never get a 5xx, and every response — success or problem
details — conforms to what the document declares (status, content type, body schema).

The number of examples per operation is bounded (ANCT_SCHEMATHESIS_EXAMPLES, default 12) so
that the run stays within CI's time; raise it locally to search harder.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import token_for

EXAMPLES = int(os.environ.get("ANCT_SCHEMATHESIS_EXAMPLES", "12"))
#: An authority, a préfet, the national team and a process owner: each sees other resources.
ROLES = ("mairie.gueret", "prefet.creuse", "anct.national", "responsable.processus")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def bearer_tokens(platform):
    return {login: token_for(platform, login) for login in ROLES}


def test_no_server_error_and_every_response_matches_the_document(app, dossiers, bearer_tokens):
    """Each operation of the served document in turn (schemathesis's pytest loader does not
    follow pytest 9's nodes; its strategies are driven by hypothesis directly)."""
    app.extensions["anct_limiter"].enabled = False
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def conforms(case) -> None:
            for login in ROLES:
                case.call_and_validate(
                    headers={"Authorization": f"Bearer {bearer_tokens[login]}"}, checks=CHECKS
                )

        conforms()
