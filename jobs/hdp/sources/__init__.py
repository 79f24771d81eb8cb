"""Simulated hospital systems for the demo, kind and tests: EHR database, pharmacy API, lab CSV drops."""
