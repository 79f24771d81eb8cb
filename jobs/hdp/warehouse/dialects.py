"""Warehouse dialects: the DDL and load statements differ between PostgreSQL (local, kind) and Redshift
(EKS); the load protocol is the same: stage the batch's rows, then replace the target's rows for that
batch (its days, or the whole small table) and insert from stage, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import types as T

from hdp.catalog import GoldTable


def quote_ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a safe SQL identifier: {name!r}")
    return f'"{name}"'


@dataclass(frozen=True)
class Window:
    first: str  # ISO dates, inclusive
    last: str


class Dialect:
    name = "base"
    string_type = "TEXT"

    def column_type(self, dtype: T.DataType) -> str:
        mapping = {
            T.StringType: self.string_type,
            T.IntegerType: "INTEGER",
            T.LongType: "BIGINT",
            T.DoubleType: "DOUBLE PRECISION",
            T.FloatType: "REAL",
            T.BooleanType: "BOOLEAN",
            T.DateType: "DATE",
            T.TimestampType: "TIMESTAMPTZ",
            T.TimestampNTZType: "TIMESTAMP",
        }
        for spark_type, sql in mapping.items():
            if isinstance(dtype, spark_type):
                return sql
        if isinstance(dtype, T.DecimalType):
            return f"DECIMAL({dtype.precision},{dtype.scale})"
        raise TypeError(f"no warehouse type for Spark type {dtype.simpleString()}")

    def qualified(self, schema: str, table: str) -> str:
        return f"{quote_ident(schema)}.{quote_ident(table)}"

    def table_options(self, table: GoldTable) -> str:
        return ""

    def create_table(self, schema: str, table: GoldTable, spark_schema: T.StructType) -> str:
        cols = ",\n  ".join(
            f"{quote_ident(f.name)} {self.column_type(f.dataType)}" for f in spark_schema.fields
        )
        key = ", ".join(quote_ident(k) for k in table.key)
        return (
            f"CREATE TABLE IF NOT EXISTS {self.qualified(schema, table.name)} (\n  {cols},\n"
            f"  PRIMARY KEY ({key})\n){self.table_options(table)}"
        )

    def replace_rows(
        self, schema: str, table: GoldTable, stage: str, columns: list[str], window: Window | None
    ) -> list[str]:
        """Delete what this batch owns, then insert it from stage (callers wrap both in one transaction)."""
        target = self.qualified(schema, table.name)
        cols = ", ".join(quote_ident(c) for c in columns)
        where = (
            f" WHERE {quote_ident('day')} BETWEEN DATE '{window.first}' AND DATE '{window.last}'"
            if window
            else ""
        )
        return [f"DELETE FROM {target}{where}", f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage}"]


class PostgresDialect(Dialect):
    name = "postgres"

    def create_stage(self, schema: str, table: GoldTable, stage: str) -> str:
        return f"CREATE TEMP TABLE {stage} (LIKE {self.qualified(schema, table.name)}) ON COMMIT DROP"

    def copy_into_stage(self, stage: str, columns: list[str]) -> str:
        return f"COPY {stage} ({', '.join(quote_ident(c) for c in columns)}) FROM STDIN WITH (FORMAT csv)"


class RedshiftDialect(Dialect):
    """Redshift: distribution and sort keys per table, and COPY of the Parquet files of a gold Delta
    snapshot, listed in a COPY manifest (a Delta folder also holds files of older versions)."""

    name = "redshift"
    string_type = "VARCHAR(512)"

    def column_type(self, dtype: T.DataType) -> str:
        if isinstance(dtype, T.DoubleType):
            return "DOUBLE PRECISION"
        return super().column_type(dtype)

    def table_options(self, table: GoldTable) -> str:
        dist = (
            f"\nDISTSTYLE KEY DISTKEY ({quote_ident(table.distkey)})" if table.distkey else "\nDISTSTYLE ALL"
        )
        sort = (
            f"\nCOMPOUND SORTKEY ({', '.join(quote_ident(c) for c in table.sortkey)})"
            if table.sortkey
            else ""
        )
        return dist + sort

    def create_stage(self, schema: str, table: GoldTable, stage: str) -> str:
        return f"CREATE TEMP TABLE {stage} (LIKE {self.qualified(schema, table.name)})"

    def copy_from_s3(self, stage: str, columns: list[str], manifest: str, iam_role: str) -> str:
        if not manifest.startswith("s3://"):
            raise ValueError(f"Redshift COPY reads an s3:// manifest, not {manifest!r}")
        if not iam_role.startswith("arn:aws:iam::"):
            raise ValueError(
                "HDP_REDSHIFT_IAM_ROLE must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
            )
        cols = ", ".join(quote_ident(c) for c in columns)
        return f"COPY {stage} ({cols}) FROM '{manifest}' IAM_ROLE '{iam_role}' FORMAT AS PARQUET MANIFEST"

    def load_script(
        self,
        schema: str,
        table: GoldTable,
        columns: list[str],
        manifest: str,
        iam_role: str,
        window: Window | None,
    ) -> list[str]:
        """The per-batch load of one table; the caller runs all tables' scripts in one transaction."""
        stage = quote_ident(f"stage_{table.name}")
        body = [
            self.create_stage(schema, table, stage),
            self.copy_from_s3(stage, columns, manifest, iam_role),
        ]
        return [*body, *self.replace_rows(schema, table, stage, columns, window), f"DROP TABLE {stage}"]


DIALECTS = {"postgres": PostgresDialect(), "redshift": RedshiftDialect()}
