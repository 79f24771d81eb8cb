"""Hospital data platform: hourly PySpark pipelines from operational systems to a de-identified warehouse."""

__version__ = "0.1.0"
