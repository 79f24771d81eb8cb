"""The simulated hospital: deterministic, realistic where KPIs look, defects at the asked rate."""

from datetime import datetime, timedelta, timezone

import pandas as pd

from hdp.sources.scenario import ScenarioSpec, generate

SPEC = ScenarioSpec(beds=40, days=2, end=datetime(2026, 11, 3, tzinfo=timezone.utc), seed=3, defect_rate=0.02)


def test_same_seed_same_hospital_other_seed_other_hospital():
    a, b = generate(SPEC), generate(SPEC)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    c = generate(ScenarioSpec(**{**SPEC.__dict__, "seed": 4}))
    assert not a.tables["patients"]["last_name"].equals(c.tables["patients"]["last_name"])


def test_clock_hides_the_future():
    sc = generate(SPEC)
    clock = SPEC.end - timedelta(hours=12)
    state = sc.as_of(clock)
    t = pd.Timestamp(clock)
    assert (state["vital_signs"]["updated_at"] < t).all()
    adm = state["admissions"]
    assert (
        adm["discharged_at"].isna() | (adm["discharged_at"] < t) | (adm["admission_type"] == "day_case")
    ).all()
    assert (adm["updated_at"] < t).all()
    assert all(name < f"labs_{clock:%Y%m%dT%H}.csv" for name in sc.lab_files(clock))


def test_defects_are_injected_at_about_the_asked_rate():
    sc = generate(SPEC)
    vitals = len(sc.tables["vital_signs"])
    n_vital_defects = (sc.defects["table"] == "vital_signs").sum()
    assert 0.5 * SPEC.defect_rate * vitals <= n_vital_defects <= 1.5 * SPEC.defect_rate * vitals
    assert set(sc.defects["defect"]) >= {
        "impossible",
        "duplicate",
        "discharge_before_admission",
        "overlapping",
        "negative_stock",
        "malformed",
        "unknown_code",
        "unknown_unit",
        "unknown_admission",
    }


def test_vital_signs_look_like_a_hospital():
    v = generate(ScenarioSpec(beds=60, days=2, end=SPEC.end, seed=5, defect_rate=0)).tables["vital_signs"]
    assert 95 <= v["spo2"].median() <= 98 and 14 <= v["respiration_rate"].median() <= 20
    assert 60 <= v["pulse"].median() <= 100 and 36.3 <= v["temperature_c"].median() <= 37.5
