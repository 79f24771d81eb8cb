"""A deterministic hospital scenario: wards and beds, patients with PHI, stays with transfers, vital signs,
lab results and pharmacy stock, plus a controllable share of the defects real feeds carry.

`generate()` builds the whole timeline once from a seed; `Scenario.as_of(t)` is what the source systems
hold at clock time t (rows not yet created are absent, future discharges and bed moves are still open).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
from faker import Faker

from hdp.reference import (
    AVPU_CODES,
    DIAGNOSES,
    DISCHARGE_DISPOSITIONS,
    DRUGS,
    LAB_PANELS,
    LAB_TESTS_BY_LOINC,
    WARD_TYPES,
    WardType,
)

H = timedelta(hours=1)
WARMUP = timedelta(days=12)  # simulated before the first day so the hospital is full when data starts
STEP_DOWN = {"ICU": ("HDU", "MED", "SUR", "CAR"), "HDU": ("MED", "SUR", "CAR")}
STEP_DOWN_PROBABILITY = 0.6
READMISSION_PROBABILITY = 0.1
SYSTEM_EPOCH_OFFSET = timedelta(days=60)
ORPHAN_ADMISSION_ID = 999_999_999  # wards and beds were set up this long before the data starts


@dataclass(frozen=True)
class ScenarioSpec:
    beds: int = 300
    days: int = 7
    end: datetime = datetime(2026, 11, 27, tzinfo=timezone.utc)
    seed: int = 42
    defect_rate: float = 0.01
    incomplete_vitals_rate: float = 0.03  # observation sets charted without one parameter (as wards do)

    def __post_init__(self) -> None:
        if self.beds < 20:
            raise ValueError("a hospital needs at least 20 beds to have one of every ward")
        if not 1 <= self.days <= 366:
            raise ValueError("days must be between 1 and 366")
        if not 0 <= self.defect_rate <= 0.2:
            raise ValueError("defect_rate must be between 0 and 0.2")
        if not 0 <= self.incomplete_vitals_rate <= 1:
            raise ValueError("incomplete_vitals_rate must be between 0 and 1")

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)


@dataclass
class Scenario:
    spec: ScenarioSpec
    tables: dict[str, pd.DataFrame]
    lab_results: pd.DataFrame  # one row per CSV line, with `raw_line` and `resulted_at`
    defects: pd.DataFrame = field(default_factory=pd.DataFrame)  # (table, key, defect)

    def as_of(self, clock: datetime) -> dict[str, pd.DataFrame]:
        """Source tables as the hospital's systems hold them at `clock` (exclusive)."""
        t = pd.Timestamp(clock)
        out = {}
        for name, df in self.tables.items():
            visible = df[df["created_at"] < t].copy()
            for col, changed_at in _MUTABLE.get(name, {}).items():
                later = visible[changed_at] >= t
                visible.loc[later, col] = pd.NaT
                visible["updated_at"] = visible["updated_at"].where(~later, visible["created_at"])
            out[name] = visible.drop(
                columns=[c for c in visible.columns if c.startswith("_") or c == "created_at"]
            )
        return out

    def lab_files(self, clock: datetime) -> dict[str, list[str]]:
        """Lab CSV drops written before `clock`: file name -> lines (one file per hour of results)."""
        t = pd.Timestamp(clock)
        done = self.lab_results[self.lab_results["file_hour"] + H <= t]
        return {
            f"labs_{hour:%Y%m%dT%H}.csv": group.sort_values("line_no")["raw_line"].tolist()
            for hour, group in done.groupby("file_hour")
        }


# column -> the hidden column holding when its value becomes known
_MUTABLE = {
    "admissions": {"discharged_at": "_discharge_known_at", "discharge_disposition": "_discharge_known_at"},
    "bed_assignments": {"end_at": "_end_known_at"},
}
LAB_CSV_HEADER = (
    "accession_number,mrn,loinc_code,test_name,value,unit,reference_range,collected_at,resulted_at"
)


def generate(spec: ScenarioSpec) -> Scenario:
    rng = np.random.default_rng(spec.seed)
    fake = Faker(["en_US"])
    fake.seed_instance(spec.seed)
    epoch = spec.start - SYSTEM_EPOCH_OFFSET
    wards, beds = _wards_and_beds(spec, epoch)
    stays = _stays(spec, rng, beds)
    admissions, assignments, patients = _admissions(spec, rng, fake, stays)
    vitals = _vitals(spec, rng, assignments, admissions)
    labs = _labs(spec, rng, assignments, admissions, patients)
    drugs, stock = _pharmacy(spec, rng, epoch)
    scenario = Scenario(
        spec,
        {
            "wards": wards,
            "beds": beds,
            "patients": patients,
            "admissions": admissions,
            "bed_assignments": assignments,
            "vital_signs": vitals,
            "drugs": drugs,
            "stock_levels": stock,
        },
        labs,
    )
    _inject_defects(scenario, rng)
    return scenario


def _ts(moment: datetime | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(moment).floor("s")


def _wards_and_beds(spec: ScenarioSpec, epoch: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    ward_rows, bed_rows = [], []
    for wt in WARD_TYPES:
        total = max(4, round(spec.beds * wt.share_of_beds))
        n_wards = max(1, math.ceil(total / 32))
        for w in range(n_wards):
            code = f"{wt.code}-{chr(ord('A') + w)}"
            n_beds = total // n_wards + (1 if w < total % n_wards else 0)
            ward_rows.append(
                {
                    "ward_code": code,
                    "name": f"{wt.name} {chr(ord('A') + w)}",
                    "ward_type": wt.code,
                    "floor": 1 + len(ward_rows) % 6,
                    "created_at": _ts(epoch),
                    "updated_at": _ts(epoch),
                }
            )
            for b in range(n_beds):
                bed_rows.append(
                    {
                        "bed_code": f"{code}-{b + 1:02d}",
                        "ward_code": code,
                        "created_at": _ts(epoch),
                        "updated_at": _ts(epoch),
                    }
                )
    return pd.DataFrame(ward_rows), pd.DataFrame(bed_rows)


_WT = {wt.code: wt for wt in WARD_TYPES}


def _stay_hours(rng: np.random.Generator, wt: WardType) -> float:
    sigma = 0.7
    return float(max(3.0, rng.lognormal(math.log(wt.mean_stay_hours) - sigma**2 / 2, sigma)))


def _stays(spec: ScenarioSpec, rng: np.random.Generator, beds: pd.DataFrame) -> list[list[tuple]]:
    """Admissions as lists of (bed_code, ward_type, start, end) segments; transfers step down from ICU/HDU."""
    sim_start = spec.start - WARMUP
    horizon = spec.end + timedelta(days=30)
    ward_type_of = {code: code.split("-")[0] for code in beds["ward_code"]}
    timeline: dict[str, list[tuple[datetime, datetime]]] = {}
    stays: list[list[tuple]] = []
    for bed_code, ward_code in beds[["bed_code", "ward_code"]].itertuples(index=False):
        wt = _WT[ward_type_of[ward_code]]
        gap_mean = wt.mean_stay_hours * 0.22
        t = sim_start + timedelta(hours=float(rng.uniform(0, wt.mean_stay_hours)))
        occupied = []
        while t < horizon:
            end = t + timedelta(hours=_stay_hours(rng, wt))
            occupied.append((t, end))
            t = end + timedelta(hours=float(rng.exponential(gap_mean)) + 1)
        timeline[bed_code] = occupied
    bed_type = dict(zip(beds["bed_code"], beds["ward_code"].map(ward_type_of), strict=True))
    by_type: dict[str, list[str]] = {}
    for bed_code, ward_type in bed_type.items():
        by_type.setdefault(ward_type, []).append(bed_code)
    originals = {bed: list(spells) for bed, spells in timeline.items()}  # step-down spells are not stays
    for bed_code in sorted(originals):
        for start, end in originals[bed_code]:
            segments = [(bed_code, bed_type[bed_code], start, end)]
            target_types = STEP_DOWN.get(bed_type[bed_code])
            if target_types and rng.random() < STEP_DOWN_PROBABILITY:
                target = _free_bed(rng, timeline, by_type, target_types, end)
                if target:
                    tb, free_until = target
                    wt = _WT[bed_type[tb]]
                    seg_end = min(end + timedelta(hours=_stay_hours(rng, wt)), free_until)
                    timeline[tb].append((end, seg_end))
                    timeline[tb].sort()
                    segments.append((tb, bed_type[tb], end, seg_end))
            stays.append(segments)
    # keep stays still in hospital when the data starts; real history before it is out of scope
    stays = [s for s in stays if s[-1][3] > spec.start and s[0][2] < spec.end]
    stays.sort(key=lambda s: (s[0][2], s[0][0]))
    return stays


def _free_bed(rng, timeline, by_type, target_types, at: datetime):
    candidates = [b for t in target_types for b in by_type.get(t, ())]
    for idx in rng.permutation(len(candidates)):
        bed = candidates[idx]
        intervals = timeline[bed]
        busy = any(s <= at < e for s, e in intervals)
        if busy:
            continue
        nxt = min((s for s, _ in intervals if s > at), default=None)
        if nxt is None or nxt - at >= timedelta(hours=12):
            return bed, (nxt - H if nxt else at + timedelta(days=60))
    return None


def _admissions(spec, rng, fake: Faker, stays):
    patients: list[dict] = []
    admissions: list[dict] = []
    assignments: list[dict] = []
    last_discharge: dict[int, datetime] = {}  # patient -> discharge time, for readmissions
    in_hospital_until: dict[int, datetime] = {}
    for adm_no, segments in enumerate(stays, start=1):
        admitted = segments[0][2]
        discharged = segments[-1][3]
        ward_type = segments[0][1]
        patient_id = None
        if ward_type not in ("MAT", "PAE") and rng.random() < READMISSION_PROBABILITY:
            recent = [
                p
                for p, d in last_discharge.items()
                if timedelta(hours=6) < admitted - d <= timedelta(days=30) and in_hospital_until[p] < admitted
            ]
            if recent:
                patient_id = recent[int(rng.integers(len(recent)))]
        if patient_id is None:
            patient_id = len(patients) + 1
            patients.append(_patient(patient_id, ward_type, admitted, rng, fake))
        disposition = _disposition(rng, ward_type)
        if disposition != "died":
            last_discharge[patient_id] = discharged
        else:
            last_discharge.pop(patient_id, None)
        in_hospital_until[patient_id] = discharged
        admission_type = (
            "maternity"
            if ward_type == "MAT"
            else "elective"
            if ward_type == "SUR" and rng.random() < 0.45
            else "transfer_in"
            if rng.random() < 0.04
            else "emergency"
        )
        diagnosis_options = DIAGNOSES[ward_type]
        admissions.append(
            {
                "admission_id": adm_no,
                "patient_id": patient_id,
                "admitted_at": _ts(admitted),
                "discharged_at": _ts(discharged),
                "admission_type": admission_type,
                "diagnosis_code": diagnosis_options[int(rng.integers(len(diagnosis_options)))],
                "discharge_disposition": disposition,
                "created_at": _ts(admitted),
                "updated_at": _ts(discharged),
                "_discharge_known_at": _ts(discharged),
                "_severity": float(rng.beta(2, 5)),
            }
        )
        for bed_code, _wt, start, end in segments:
            assignments.append(
                {
                    "assignment_id": len(assignments) + 1,
                    "admission_id": adm_no,
                    "bed_code": bed_code,
                    "start_at": _ts(start),
                    "end_at": _ts(end),
                    "created_at": _ts(start),
                    "updated_at": _ts(end),
                    "_end_known_at": _ts(end),
                }
            )
    first_seen = {}
    for a in admissions:
        first_seen.setdefault(a["patient_id"], a["admitted_at"])
    for p in patients:
        created = first_seen[p["patient_id"]] - pd.Timedelta(minutes=20)
        p["created_at"] = created
        p["updated_at"] = created
    return pd.DataFrame(admissions), pd.DataFrame(assignments), pd.DataFrame(patients)


def _patient(patient_id: int, ward_type: str, admitted: datetime, rng, fake: Faker) -> dict:
    if ward_type == "PAE":
        age = int(rng.integers(0, 17))
    elif ward_type == "MAT":
        age = int(rng.integers(18, 44))
    else:
        age = int(np.clip(rng.normal(66, 17), 18, 101))
    sex = "F" if ward_type == "MAT" or rng.random() < 0.5 else "M"
    born = admitted.date() - timedelta(days=int(age * 365.25 + rng.integers(0, 365)))
    first = fake.first_name_female() if sex == "F" else fake.first_name_male()
    return {
        "patient_id": patient_id,
        "mrn": f"MRN{7000000 + patient_id * 7:08d}",
        "first_name": first,
        "last_name": fake.last_name(),
        "date_of_birth": born,
        "sex": sex,
        "address": fake.street_address(),
        "city": fake.city(),
        "zip": fake.zipcode(),
        "phone": fake.numerify("(###) ###-####"),
    }


def _disposition(rng, ward_type: str) -> str:
    p_died = {"ICU": 0.12, "HDU": 0.05}.get(ward_type, 0.015)
    if rng.random() < p_died:
        return "died"
    rest = [d for d in DISCHARGE_DISPOSITIONS if d != "died"]
    return rest[int(rng.choice(len(rest), p=[0.72, 0.12, 0.08, 0.08]))]


def _severity_at(base: float, acuity: float, hours_in: float) -> float:
    """Latent illness severity in [0, 1]: worse on sicker wards, improving during the stay."""
    return float(np.clip(0.55 * acuity + 0.6 * base - 0.004 * hours_in, 0, 1))


def _vitals(spec, rng, assignments: pd.DataFrame, admissions: pd.DataFrame) -> pd.DataFrame:
    severity = dict(zip(admissions["admission_id"], admissions["_severity"], strict=True))
    admitted = dict(zip(admissions["admission_id"], admissions["admitted_at"], strict=True))
    rows = []
    limit = pd.Timestamp(spec.end)
    first = pd.Timestamp(spec.start)
    for a in assignments.itertuples(index=False):
        wt = _WT[a.bed_code.split("-")[0]]
        step = pd.Timedelta(hours=wt.vitals_every_hours)
        t = a.start_at + pd.Timedelta(minutes=int(rng.integers(5, 50)))
        while t < a.end_at and t < limit:
            if t >= first:
                hours_in = (t - admitted[a.admission_id]).total_seconds() / 3600
                s = _severity_at(severity[a.admission_id], wt.acuity, hours_in)
                rows.append(_observation(rng, a.admission_id, t, s))
            t = t + step + pd.Timedelta(minutes=int(rng.integers(-10, 11)))
    df = pd.DataFrame(rows)
    df.insert(0, "vital_id", np.arange(1, len(df) + 1))
    df["observation_uid"] = [f"OBS-{spec.seed}-{i:09d}" for i in df["vital_id"]]
    df["created_at"] = df["observed_at"] + pd.Timedelta(seconds=90)
    df["updated_at"] = df["created_at"]
    _chart_gaps(df, spec)
    return df


NEWS2_INPUTS = (
    "respiration_rate",
    "spo2",
    "on_oxygen",
    "systolic_bp",
    "pulse",
    "consciousness",
    "temperature_c",
)


def _chart_gaps(vitals: pd.DataFrame, spec: ScenarioSpec) -> None:
    """Real charts have incomplete observation sets: a share of them misses one NEWS2 parameter. Drawn
    from a stream of its own, so the rest of the hospital is the same whatever the rate."""
    rng = np.random.default_rng([spec.seed, 1])
    gap = rng.random(len(vitals)) < spec.incomplete_vitals_rate
    missing = rng.choice(NEWS2_INPUTS, size=len(vitals))
    for name in NEWS2_INPUTS:
        if pd.api.types.is_integer_dtype(vitals[name]):
            vitals[name] = vitals[name].astype("Int64")
        elif pd.api.types.is_bool_dtype(vitals[name]):
            vitals[name] = vitals[name].astype("object")
        vitals.loc[gap & (missing == name), name] = None


def _observation(rng, admission_id: int, t: pd.Timestamp, s: float) -> dict:
    spo2 = int(np.clip(round(rng.normal(97.2 - 6 * s, 1.4)), 80, 100))
    sbp = int(np.clip(round(rng.normal(126 - 22 * s, 14)), 70, 210))
    consciousness = "A"
    if rng.random() < 0.2 * s * s:
        consciousness = str(rng.choice(list(AVPU_CODES[1:]), p=[0.55, 0.25, 0.15, 0.05]))
    return {
        "admission_id": admission_id,
        "observed_at": _ts(t),
        "respiration_rate": int(np.clip(round(rng.normal(15.5 + 9 * s, 2.6)), 6, 45)),
        "spo2": spo2,
        "on_oxygen": bool(rng.random() < 0.04 + 0.75 * s),
        "systolic_bp": sbp,
        "diastolic_bp": int(np.clip(round(sbp * 0.62 + rng.normal(0, 6)), 35, 130)),
        "pulse": int(np.clip(round(rng.normal(78 + 30 * s, 11)), 35, 180)),
        "consciousness": consciousness,
        "temperature_c": round(
            float(np.clip(rng.normal(36.8 + 1.5 * s * rng.random(), 0.45), 34.0, 41.5)), 1
        ),
    }


def _labs(spec, rng, assignments, admissions, patients) -> pd.DataFrame:
    mrn = dict(zip(patients["patient_id"], patients["mrn"], strict=True))
    patient_of = dict(zip(admissions["admission_id"], admissions["patient_id"], strict=True))
    severity = dict(zip(admissions["admission_id"], admissions["_severity"], strict=True))
    rows = []
    first, limit = pd.Timestamp(spec.start), pd.Timestamp(spec.end)
    for a in assignments.itertuples(index=False):
        wt = _WT[a.bed_code.split("-")[0]]
        day = max(a.start_at, first).floor("D")
        while day < min(a.end_at, limit):
            for panel in LAB_PANELS:
                if rng.random() > 0.18 + 0.5 * wt.acuity:
                    continue
                collected = day + pd.Timedelta(minutes=int(rng.integers(0, 24 * 60)))
                if not (a.start_at <= collected < a.end_at and first <= collected < limit):
                    continue
                tat = float(np.clip(rng.lognormal(math.log(55), 0.6), 8, 60 * 30))
                resulted = _ts(collected + pd.Timedelta(minutes=tat))
                accession = f"ACC{len(rows) + 1:09d}"
                for loinc in panel:
                    test = LAB_TESTS_BY_LOINC[loinc]
                    value = max(0.01, rng.normal(test.mean + test.sd * severity[a.admission_id], test.sd))
                    unit, factor = test.unit, 1.0
                    if test.alt_units and rng.random() < 0.3:
                        unit, factor = test.alt_units[0]
                    rows.append(
                        {
                            "accession_number": f"{accession}-{loinc}",
                            "mrn": mrn[patient_of[a.admission_id]],
                            "admission_id": a.admission_id,
                            "loinc_code": loinc,
                            "test_name": test.name,
                            "value": round(value / factor, 2),
                            "unit": unit,
                            "reference_range": f"{test.low / factor:.3g}-{test.high / factor:.3g}",
                            "canonical_value": round(value / factor, 2) * factor,
                            "collected_at": _ts(collected),
                            "resulted_at": resulted,
                        }
                    )
            day += pd.Timedelta(days=1)
    df = pd.DataFrame(rows)
    offsets = rng.choice(["Z", "+00:00", "+01:00"], size=len(df), p=[0.6, 0.2, 0.2])
    df["raw_line"] = [
        ",".join(
            [
                r.accession_number,
                r.mrn,
                r.loinc_code,
                _csv(r.test_name),
                f"{r.value:g}",
                r.unit,
                r.reference_range,
                _iso(r.collected_at, o),
                _iso(r.resulted_at, o),
            ]
        )
        for r, o in zip(df.itertuples(index=False), offsets, strict=True)
    ]
    df["file_hour"] = df["resulted_at"].dt.floor("h")
    df["line_no"] = np.arange(len(df))
    return df


def _csv(text: str) -> str:
    return f'"{text}"' if "," in text else text


def _iso(t: pd.Timestamp, offset: str) -> str:
    if offset == "+01:00":
        return (t + pd.Timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S") + "+01:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + offset


def _pharmacy(spec, rng, epoch: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    drugs = pd.DataFrame(
        [
            {
                "drug_code": d.code,
                "name": d.name,
                "form": d.form,
                "strength": d.strength,
                "reorder_level": max(1, round(d.reorder_level * spec.beds / 300)),
                "created_at": _ts(epoch),
                "updated_at": _ts(epoch),
            }
            for d in DRUGS
        ]
    )
    scale = spec.beds / 300
    rows = []
    hours = int((spec.end - spec.start) / H)
    for d in DRUGS:
        on_hand = int(d.reorder_level * scale * 3)
        delivery_at = None
        for h in range(hours):
            hour = pd.Timestamp(spec.start) + h * H
            diurnal = 1.4 if 7 <= hour.hour < 22 else 0.4
            on_hand = max(0, on_hand - int(rng.poisson(d.mean_hourly_use * scale * diurnal)))
            if delivery_at is not None and hour >= delivery_at:
                on_hand += int(d.reorder_level * scale * 3)
                delivery_at = None
            if delivery_at is None and on_hand < d.reorder_level * scale:
                delivery_at = hour + pd.Timedelta(hours=int(rng.integers(18, 40)))
            recorded = _ts(hour + pd.Timedelta(minutes=int(rng.integers(0, 60))))
            rows.append(
                {
                    "drug_code": d.code,
                    "on_hand": on_hand,
                    "recorded_at": recorded,
                    "created_at": recorded,
                    "updated_at": recorded,
                }
            )
    stock = pd.DataFrame(rows).sort_values(["recorded_at", "drug_code"], ignore_index=True)
    stock.insert(0, "entry_id", np.arange(1, len(stock) + 1))
    return drugs, stock


def _inject_defects(sc: Scenario, rng: np.random.Generator) -> None:
    """Replace or add rows the way real feeds go wrong; record each in `sc.defects`."""
    rate = sc.spec.defect_rate
    defects: list[dict] = []
    t = sc.tables

    def pick(df: pd.DataFrame, share: float) -> np.ndarray:
        n = int(round(len(df) * share))
        return rng.choice(df.index.to_numpy(), size=n, replace=False) if n else np.array([], dtype=int)

    vitals = t["vital_signs"]
    impossible = pick(vitals, rate / 3)
    bad_values = {"spo2": 140, "pulse": -1, "temperature_c": 370.0, "respiration_rate": 0, "systolic_bp": 900}
    for i, idx in enumerate(impossible):
        col = list(bad_values)[i % len(bad_values)]
        vitals.loc[idx, col] = bad_values[col]
        defects.append(
            {"table": "vital_signs", "key": vitals.loc[idx, "observation_uid"], "defect": "impossible"}
        )
    unknown_avpu = pick(vitals.drop(index=impossible), rate / 6)
    vitals.loc[unknown_avpu, "consciousness"] = "X"
    defects += [
        {"table": "vital_signs", "key": vitals.loc[i, "observation_uid"], "defect": "unknown_code"}
        for i in unknown_avpu
    ]
    orphans = pick(vitals.drop(index=np.concatenate([impossible, unknown_avpu])), rate / 6)
    vitals.loc[orphans, "admission_id"] = ORPHAN_ADMISSION_ID  # a device bound to no known stay
    defects += [
        {"table": "vital_signs", "key": vitals.loc[i, "observation_uid"], "defect": "unknown_admission"}
        for i in orphans
    ]
    flawed = np.concatenate([impossible, unknown_avpu, orphans])
    dups = vitals.loc[pick(vitals.drop(index=flawed), rate / 3)].copy()
    dups["vital_id"] = np.arange(len(vitals) + 1, len(vitals) + 1 + len(dups))
    dups["created_at"] = dups["created_at"] + pd.Timedelta(minutes=2)
    dups["updated_at"] = dups["created_at"]
    defects += [{"table": "vital_signs", "key": k, "defect": "duplicate"} for k in dups["observation_uid"]]
    t["vital_signs"] = pd.concat([vitals, dups], ignore_index=True)

    adm = t["admissions"]
    n_bad = max(1, int(round(len(adm) * rate))) if rate else 0
    bad = (
        adm.sample(n=n_bad, random_state=int(rng.integers(1 << 31))).copy() if n_bad else adm.iloc[:0].copy()
    )
    next_id = int(adm["admission_id"].max()) + 1
    bad["admission_id"] = np.arange(next_id, next_id + len(bad))
    bad["admission_type"] = "day_case"
    bad["discharged_at"] = bad["admitted_at"] - pd.Timedelta(hours=3)
    bad["_discharge_known_at"] = bad["created_at"]
    bad["updated_at"] = bad["created_at"]
    defects += [
        {"table": "admissions", "key": k, "defect": "discharge_before_admission"} for k in bad["admission_id"]
    ]
    t["admissions"] = pd.concat([adm, bad], ignore_index=True)

    asg = t["bed_assignments"]
    overlaps = []
    long_enough = asg[(asg["end_at"] - asg["start_at"]) > pd.Timedelta(hours=8)]
    for idx in pick(long_enough, rate):
        host = asg.loc[idx]
        other = asg.loc[int(rng.integers(len(asg)))]
        start = host["start_at"] + pd.Timedelta(hours=2)
        overlaps.append(
            {
                "assignment_id": len(asg) + len(overlaps) + 1,
                "admission_id": other["admission_id"],
                "bed_code": host["bed_code"],
                "start_at": start,
                "end_at": start + pd.Timedelta(hours=3),
                "created_at": start,
                "updated_at": start,
                "_end_known_at": start,
            }
        )
    defects += [
        {"table": "bed_assignments", "key": o["assignment_id"], "defect": "overlapping"} for o in overlaps
    ]
    if overlaps:
        t["bed_assignments"] = pd.concat(
            [asg, pd.DataFrame(overlaps, columns=asg.columns)], ignore_index=True
        )

    stock = t["stock_levels"]
    negative = pick(stock, rate)
    stock.loc[negative, "on_hand"] = -stock.loc[negative, "on_hand"] - 1
    defects += [
        {"table": "stock_levels", "key": stock.loc[i, "entry_id"], "defect": "negative_stock"}
        for i in negative
    ]

    labs = sc.lab_results
    chosen = pick(labs, rate)
    kinds = ("malformed", "unknown_code", "duplicate", "unknown_unit")
    extra = []
    for i, idx in enumerate(chosen):
        kind = kinds[i % len(kinds)]
        row = labs.loc[idx]
        if kind == "malformed":
            labs.loc[idx, "raw_line"] = row["raw_line"].rsplit(",", 2)[0] + ",??"
        elif kind == "unknown_code":
            labs.loc[idx, "raw_line"] = row["raw_line"].replace(f",{row['loinc_code']},", ",99999-9,", 1)
        elif kind == "unknown_unit":
            labs.loc[idx, "raw_line"] = row["raw_line"].replace(f",{row['unit']},", ",mg%,", 1)
        else:
            dup = row.copy()
            dup["line_no"] = len(labs) + len(extra)
            extra.append(dup)
        defects.append({"table": "lab_results", "key": row["accession_number"], "defect": kind})
    if extra:
        sc.lab_results = pd.concat([labs, pd.DataFrame(extra)], ignore_index=True)
    sc.defects = pd.DataFrame(defects, columns=["table", "key", "defect"])
