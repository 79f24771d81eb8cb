"""KPIs computed independently from the generated scenario with pandas: the pipeline's answers are checked
against these, never against what the pipeline itself wrote."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hdp.sources.scenario import Scenario


def _ward(bed_code: pd.Series) -> pd.Series:
    return bed_code.str.rsplit("-", n=1).str[0]


def clean_truth(sc: Scenario) -> dict[str, pd.DataFrame]:
    """The scenario without its injected defects: what a correct pipeline keeps."""
    bad = {
        t: set(sc.defects.loc[(sc.defects["table"] == t) & (sc.defects["defect"] != "duplicate"), "key"])
        for t in sc.defects["table"].unique()
    }
    spells = sc.tables["bed_assignments"]
    spells = spells[~spells["assignment_id"].isin(bad.get("bed_assignments", set()))].copy()
    spells["ward"] = _ward(spells["bed_code"])
    admissions = sc.tables["admissions"]
    admissions = admissions[~admissions["admission_id"].isin(bad.get("admissions", set()))]
    vitals = sc.tables["vital_signs"]
    vitals = vitals[~vitals["observation_uid"].isin(bad.get("vital_signs", set()))]
    vitals = vitals.drop_duplicates("observation_uid")
    labs = sc.lab_results
    labs = labs[~labs["accession_number"].isin(bad.get("lab_results", set()))].drop_duplicates(
        "accession_number"
    )
    return {"spells": spells, "admissions": admissions, "vitals": vitals, "labs": labs}


def occupancy(truth, first_hour: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    hours = pd.date_range(first_hour, end - pd.Timedelta(hours=1), freq="h")
    spells = truth["spells"]
    rows = []
    for ward, group in spells.groupby("ward"):
        starts = group["start_at"].dt.tz_convert(None).to_numpy()
        ends = group["end_at"].dt.tz_convert(None).to_numpy()
        for h in hours:
            top = h.tz_convert(None).to_datetime64()
            rows.append((ward, h, int(((starts <= top) & (top < ends)).sum())))
    return pd.DataFrame(rows, columns=["ward_key", "hour_start", "occupied_beds"])


def census(truth, first_day, end: pd.Timestamp) -> pd.DataFrame:
    spells = truth["spells"].sort_values(["admission_id", "start_at", "assignment_id"])
    first_ward = spells.groupby("admission_id")["ward"].first()
    last_ward = spells.groupby("admission_id")["ward"].last()
    adm = truth["admissions"].set_index("admission_id")
    adm = adm.assign(admit_ward=first_ward, discharge_ward=last_ward).dropna(subset=["admit_ward"])
    admitted = adm.groupby(["admit_ward", adm["admitted_at"].dt.date]).size()
    gone = adm[adm["discharged_at"] < end]
    los = (gone["discharged_at"] - gone["admitted_at"]).dt.total_seconds() / 86400
    discharged = (
        gone.assign(los=los)
        .groupby(["discharge_ward", gone["discharged_at"].dt.date])
        .agg(discharges=("los", "size"), alos_days=("los", "mean"))
    )
    return admitted.rename("admissions"), discharged


def news2(v: pd.DataFrame) -> pd.Series:
    """NEWS2 written from the chart, separately from the pipeline's implementation (complete sets only:
    `v` holds no missing parameter)."""

    def score(x, table):
        for low, high, points in table:
            if low <= x <= high:
                return points
        raise ValueError(x)

    rr = [(-1e9, 8, 3), (9, 11, 1), (12, 20, 0), (21, 24, 2), (25, 1e9, 3)]
    sp = [(-1e9, 91, 3), (92, 93, 2), (94, 95, 1), (96, 1e9, 0)]
    bp = [(-1e9, 90, 3), (91, 100, 2), (101, 110, 1), (111, 219, 0), (220, 1e9, 3)]
    hr = [(-1e9, 40, 3), (41, 50, 1), (51, 90, 0), (91, 110, 1), (111, 130, 2), (131, 1e9, 3)]
    tp = [(-1e9, 35.0, 3), (35.05, 36.0, 1), (36.05, 38.0, 0), (38.05, 39.0, 1), (39.05, 1e9, 2)]
    parts = pd.DataFrame(
        {
            "rr": v["respiration_rate"].map(lambda x: score(x, rr)),
            "sp": v["spo2"].map(lambda x: score(x, sp)),
            "o2": np.where(v["on_oxygen"], 2, 0),
            "bp": v["systolic_bp"].map(lambda x: score(x, bp)),
            "hr": v["pulse"].map(lambda x: score(x, hr)),
            "cv": np.where(v["consciousness"] == "A", 0, 3),
            "tp": v["temperature_c"].map(lambda x: score(x, tp)),
        },
        index=v.index,
    )
    return parts.sum(axis=1), parts.max(axis=1) >= 3


def news2_daily(truth) -> pd.DataFrame:
    v = truth["vitals"].merge(
        truth["spells"][["admission_id", "ward", "start_at", "end_at"]], on="admission_id"
    )
    v = v[(v["start_at"] <= v["observed_at"]) & (v["observed_at"] < v["end_at"])]
    inputs = [
        "respiration_rate",
        "spo2",
        "on_oxygen",
        "systolic_bp",
        "pulse",
        "consciousness",
        "temperature_c",
    ]
    complete = v[inputs].notna().all(axis=1)
    total, any3 = news2(v[complete])
    v = v.assign(
        score=total.reindex(v.index).astype("float"),  # NaN for an incomplete set: mean and counts skip it
        any3=any3.reindex(v.index, fill_value=False),
        incomplete=~complete,
        day=v["observed_at"].dt.date,
    )
    return v.groupby(["ward", "day"]).agg(
        observations=("score", "size"),
        incomplete_sets=("incomplete", "sum"),
        mean_news2=("score", "mean"),
        medium_risk=("score", lambda s: int(((s >= 5) & (s <= 6)).sum())),
        high_risk=("score", lambda s: int((s >= 7).sum())),
        any_parameter_three=("any3", "sum"),
    )


def lab_turnaround(truth, end: pd.Timestamp) -> pd.DataFrame:
    labs = truth["labs"]
    labs = labs[labs["file_hour"] + pd.Timedelta(hours=1) <= end]
    minutes = (labs["resulted_at"] - labs["collected_at"]).dt.total_seconds() / 60
    labs = labs.assign(minutes=minutes, day=labs["collected_at"].dt.date)
    return labs.groupby(["loinc_code", "day"])["minutes"].agg(
        results="size",
        median_minutes="median",
        p90_minutes=lambda m: float(np.percentile(m, 90)),
        over_target=lambda m: int((m > 120).sum()),
    )
