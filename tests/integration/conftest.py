from datetime import datetime, timezone

import pytest

from hdp.sources import hospital
from hdp.sources.scenario import ScenarioSpec, generate

SPEC = ScenarioSpec(beds=30, days=2, end=datetime(2026, 11, 3, tzinfo=timezone.utc), seed=11)


@pytest.fixture(scope="module")
def source_db(postgres):
    """The simulated EHR + pharmacy schemas, at the scenario's end, in a database of their own."""
    postgres.create_database("integration_src")
    dsn = postgres.dsn("integration_src")
    scenario = generate(SPEC)
    hospital.write_source_state(dsn, scenario, SPEC.end)
    return dsn, scenario
