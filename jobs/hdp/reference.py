"""Clinical reference data shared by the simulator and the pipeline: wards, lab tests and their units, drugs.

Unit conversions live here once: the simulator uses them to send mixed units, silver to convert back.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WardType:
    code: str
    name: str
    share_of_beds: float  # of the hospital's beds
    mean_stay_hours: float
    vitals_every_hours: int
    acuity: float  # 0 = well, 1 = very sick: shifts vital-sign distributions


WARD_TYPES: tuple[WardType, ...] = (
    WardType("ICU", "Intensive care", 0.06, 80, 1, 0.8),
    WardType("HDU", "High dependency", 0.04, 60, 2, 0.55),
    WardType("MED", "General medicine", 0.34, 130, 4, 0.3),
    WardType("SUR", "General surgery", 0.24, 100, 4, 0.2),
    WardType("CAR", "Cardiology", 0.10, 90, 4, 0.3),
    WardType("MAT", "Maternity", 0.12, 50, 6, 0.05),
    WardType("PAE", "Paediatrics", 0.10, 60, 4, 0.1),
)

ADMISSION_TYPES = ("emergency", "elective", "transfer_in", "maternity")
DISCHARGE_DISPOSITIONS = ("home", "home_with_care", "transfer_out", "care_home", "died")
# ICD-10 codes a general hospital sees often, by ward type.
DIAGNOSES: dict[str, tuple[str, ...]] = {
    "ICU": ("A41.9", "J96.0", "I46.9", "J18.9", "R57.0"),
    "HDU": ("J44.1", "N17.9", "E87.1", "I50.9"),
    "MED": ("J18.9", "N39.0", "J44.1", "I50.9", "E11.9", "R55", "A09"),
    "SUR": ("K35.8", "K80.2", "K56.6", "S72.0", "K40.9"),
    "CAR": ("I21.4", "I48.9", "I50.9", "I20.0"),
    "MAT": ("O80", "O82", "O42.0"),
    "PAE": ("J21.9", "A08.4", "J45.9", "R50.9"),
}
AVPU_CODES = ("A", "C", "V", "P", "U")  # alert, new confusion, voice, pain, unresponsive
VITAL_PARAMETERS = (
    "respiration_rate",
    "spo2",
    "on_oxygen",
    "systolic_bp",
    "diastolic_bp",
    "pulse",
    "consciousness",
    "temperature_c",
)


@dataclass(frozen=True)
class LabTest:
    loinc: str
    name: str
    unit: str  # canonical unit
    low: float  # reference range, canonical unit
    high: float
    mean: float
    sd: float
    alt_units: tuple[tuple[str, float], ...] = ()  # (unit as sent, multiply by this to get canonical)

    def factor(self, unit: str) -> float | None:
        if unit == self.unit:
            return 1.0
        return dict(self.alt_units).get(unit)


LAB_TESTS: tuple[LabTest, ...] = (
    LabTest("2345-7", "Glucose", "mmol/L", 3.9, 7.8, 6.2, 1.8, (("mg/dL", 1 / 18.016),)),
    LabTest("2160-0", "Creatinine", "umol/L", 60, 110, 95, 35, (("mg/dL", 88.42),)),
    LabTest("718-7", "Hemoglobin", "g/L", 120, 170, 128, 18, (("g/dL", 10.0),)),
    LabTest("2823-3", "Potassium", "mmol/L", 3.5, 5.1, 4.2, 0.5, (("mEq/L", 1.0),)),
    LabTest("2951-2", "Sodium", "mmol/L", 135, 145, 138, 4, (("mEq/L", 1.0),)),
    LabTest("6690-2", "Leukocytes", "10*9/L", 4.0, 11.0, 9.0, 3.5, (("10*3/uL", 1.0),)),
    LabTest("1988-5", "C reactive protein", "mg/L", 0, 5, 30, 40, (("mg/dL", 10.0),)),
    LabTest("2524-7", "Lactate", "mmol/L", 0.5, 2.2, 1.6, 0.9, (("mg/dL", 1 / 9.008),)),
)
LAB_TESTS_BY_LOINC = {t.loinc: t for t in LAB_TESTS}
LAB_PANELS: tuple[tuple[str, ...], ...] = (
    ("2951-2", "2823-3", "2160-0"),  # renal profile
    ("718-7", "6690-2"),  # full blood count
    ("1988-5",),
    ("2345-7",),
    ("2524-7",),
)
LAB_TURNAROUND_TARGET_MINUTES = 120


@dataclass(frozen=True)
class Drug:
    code: str
    name: str
    form: str
    strength: str
    mean_hourly_use: float
    reorder_level: int


DRUGS: tuple[Drug, ...] = (
    Drug("PARA500T", "Paracetamol", "tablet", "500 mg", 9.0, 600),
    Drug("IBU400T", "Ibuprofen", "tablet", "400 mg", 3.0, 250),
    Drug("AMOX500C", "Amoxicillin", "capsule", "500 mg", 2.5, 200),
    Drug("COAM625T", "Co-amoxiclav", "tablet", "625 mg", 2.0, 160),
    Drug("PIPT45I", "Piperacillin/tazobactam", "injection", "4.5 g", 1.2, 90),
    Drug("CEFT1GI", "Ceftriaxone", "injection", "1 g", 1.0, 80),
    Drug("GENT80I", "Gentamicin", "injection", "80 mg", 0.6, 50),
    Drug("VANC1GI", "Vancomycin", "injection", "1 g", 0.5, 40),
    Drug("ENOX40I", "Enoxaparin", "injection", "40 mg", 3.5, 280),
    Drug("HEPA5KI", "Heparin", "injection", "5000 units", 1.0, 80),
    Drug("MORP10I", "Morphine sulfate", "injection", "10 mg", 0.8, 60),
    Drug("OXYC5T", "Oxycodone", "tablet", "5 mg", 1.0, 80),
    Drug("ONDA4I", "Ondansetron", "injection", "4 mg", 1.5, 120),
    Drug("OMEP20C", "Omeprazole", "capsule", "20 mg", 3.0, 240),
    Drug("FURO40T", "Furosemide", "tablet", "40 mg", 1.8, 140),
    Drug("FURO20I", "Furosemide", "injection", "20 mg", 0.7, 60),
    Drug("METF500T", "Metformin", "tablet", "500 mg", 2.2, 180),
    Drug("INSA100I", "Insulin aspart", "injection", "100 units/mL", 0.6, 50),
    Drug("ATOR40T", "Atorvastatin", "tablet", "40 mg", 2.0, 160),
    Drug("AMLO5T", "Amlodipine", "tablet", "5 mg", 1.8, 140),
    Drug("BISO5T", "Bisoprolol", "tablet", "5 mg", 1.5, 120),
    Drug("SALB25N", "Salbutamol", "nebule", "2.5 mg", 1.6, 130),
    Drug("PRED5T", "Prednisolone", "tablet", "5 mg", 1.2, 100),
    Drug("NACL09I", "Sodium chloride 0.9%", "infusion", "1000 mL", 2.8, 220),
    Drug("HART1LI", "Compound sodium lactate", "infusion", "1000 mL", 1.4, 110),
    Drug("OXYT10I", "Oxytocin", "injection", "10 units", 0.4, 30),
    Drug("LACT10L", "Lactulose", "oral solution", "3.35 g/5 mL", 0.9, 70),
    Drug("SENN75T", "Senna", "tablet", "7.5 mg", 1.3, 100),
)
