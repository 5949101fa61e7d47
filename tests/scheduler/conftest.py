"""Fixtures of the scheduler suites: the scenario fixtures of the procedures, shared."""

from tests.procedures.conftest import deploy, people  # noqa: F401  (fixtures re-exported)
