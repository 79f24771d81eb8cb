"""The KPI cross-check's comparison on small row sets: it must report exactly the cells, rows and keys that
differ, and nothing within the stated float tolerance."""

from __future__ import annotations

from datetime import date

import pytest

from benchmarks.crosscheck import FLOAT_TOLERANCE, agrees, compare_rows

KEY = ("ward_key", "day")
COLUMNS = [("observations", False), ("mean_news2", True), ("any_parameter_three", False)]


def rows(*values):
    return [
        {"ward_key": w, "day": d, "observations": n, "mean_news2": m, "any_parameter_three": a}
        for w, d, n, m, a in values
    ]


PIPELINE = rows(("ICU-A", date(2026, 11, 26), 12, 2.5, 1), ("MED-A", date(2026, 11, 26), 30, None, 0))


def test_equal_rows_agree():
    check = compare_rows(KEY, COLUMNS, PIPELINE, rows(*[tuple(r.values()) for r in PIPELINE]))
    assert (check["rows_matched"], check["differing"], check["differing_cells"]) == (2, 0, 0)
    assert agrees({"kpi_news2_daily": check})


def test_a_float_within_the_tolerance_agrees_and_one_beyond_it_does_not():
    close = rows(("ICU-A", date(2026, 11, 26), 12, 2.5 * (1 + FLOAT_TOLERANCE / 10), 1), PIPELINE[1].values())
    assert compare_rows(KEY, COLUMNS, PIPELINE, close)["differing"] == 0
    far = rows(("ICU-A", date(2026, 11, 26), 12, 2.5 * (1 + FLOAT_TOLERANCE * 10), 1), PIPELINE[1].values())
    assert compare_rows(KEY, COLUMNS, PIPELINE, far)["differing"] == 1


def test_each_differing_cell_is_named_with_its_key_and_both_values():
    reference = rows(("ICU-A", date(2026, 11, 26), 13, 2.5, 1), ("MED-A", date(2026, 11, 26), 30, 1.0, 0))
    check = compare_rows(KEY, COLUMNS, PIPELINE, reference)
    assert (check["differing"], check["differing_cells"]) == (2, 2)
    assert check["examples"]["cells"] == [
        {"key": {"ward_key": "ICU-A", "day": "2026-11-26"}, "column": "observations", "pipeline": 12,
         "reference": 13},
        {"key": {"ward_key": "MED-A", "day": "2026-11-26"}, "column": "mean_news2", "pipeline": None,
         "reference": 1.0},
    ]  # fmt: skip
    assert not agrees({"kpi_news2_daily": check})


def test_rows_on_one_side_only_are_counted_and_named():
    reference = rows(("ICU-A", date(2026, 11, 26), 12, 2.5, 1), ("SUR-A", date(2026, 11, 26), 4, 1.0, 0))
    check = compare_rows(KEY, COLUMNS, PIPELINE, reference)
    assert (check["rows_matched"], check["only_pipeline"], check["only_reference"]) == (1, 1, 1)
    assert check["examples"]["only_pipeline"] == [{"ward_key": "MED-A", "day": "2026-11-26"}]
    assert check["examples"]["only_reference"] == [{"ward_key": "SUR-A", "day": "2026-11-26"}]


def test_a_boolean_is_not_equal_to_an_integer_and_null_only_to_null():
    columns = [("flag", False)]
    check = compare_rows(("k",), columns, [{"k": 1, "flag": True}, {"k": 2, "flag": None}],
                         [{"k": 1, "flag": 1}, {"k": 2, "flag": False}])  # fmt: skip
    assert check["differing"] == 2


def test_a_repeated_key_is_an_error_not_a_silent_overwrite():
    with pytest.raises(ValueError, match="two rows with key"):
        compare_rows(KEY, COLUMNS, PIPELINE + PIPELINE[:1], PIPELINE)
