"""Lake I/O at the edges of every stage. Every table is a Delta Lake table, so every change is one commit:
a crash at any point leaves the previous version, whole and readable, and the history answers "what did
this table hold then" (`DESCRIBE HISTORY`, `VERSION AS OF`). Paths go through Hadoop's FileSystem and
Delta's log, so file:// and s3a:// behave alike."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession

from hdp.errors import NotReady


class TableUnreadable(NotReady):
    """A table that should exist cannot be read: never taken as "no rows yet"."""


@dataclass(frozen=True)
class LandedFile:
    name: str
    size: int
    modified_ms: int  # last modification, milliseconds since the epoch


def newer(columns: Sequence[str], s: str = "s", t: str = "t") -> str:
    """SQL: row `s` orders after row `t` on `columns` (lexicographically); `{a}` in a column stands for the
    alias, so expressions such as `xxhash64({a}.x, {a}.y)` compare too."""

    def col(c: str, alias: str) -> str:
        return c.format(a=alias) if "{a}" in c else f"{alias}.`{c}`"

    terms = []
    for i, c in enumerate(columns):
        same = [f"{col(p, s)} <=> {col(p, t)}" for p in columns[:i]]
        terms.append("(" + " AND ".join([*same, f"{col(c, s)} > {col(c, t)}"]) + ")")
    return " OR ".join(terms)


class Lake:
    def __init__(self, spark: SparkSession):
        self.spark = spark
        jvm = spark.sparkContext._jvm
        self._Path = jvm.org.apache.hadoop.fs.Path
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _fs(self, uri: str):
        path = self._Path(uri)
        return path.getFileSystem(self._conf), path

    # ------------------------------------------------------------------ landed files

    def list_files(self, uri: str, suffix: str = "") -> list[LandedFile]:
        """Files directly in a folder (not hidden or temporary, ending with `suffix`), sorted by name."""
        fs, path = self._fs(uri)
        if not fs.exists(path):
            return []
        out = []
        for status in fs.listStatus(path):
            name = status.getPath().getName()
            if status.isFile() and name.endswith(suffix) and not name.startswith((".", "_")):
                out.append(LandedFile(name, status.getLen(), status.getModificationTime()))
        return sorted(out, key=lambda f: f.name)

    def read_bytes(self, uri: str) -> bytes:
        fs, path = self._fs(uri)
        stream = fs.open(path)
        try:
            data = self.spark.sparkContext._jvm.org.apache.commons.io.IOUtils.toByteArray(stream)
        finally:
            stream.close()
        return bytes(data)

    def write_bytes(self, uri: str, data: bytes) -> None:
        """A small object (a Redshift COPY manifest): one PUT on S3, a new file locally."""
        fs, path = self._fs(uri)
        out = fs.create(path, True)
        try:
            out.write(bytearray(data))
        finally:
            out.close()

    def file_size(self, uri: str) -> int:
        fs, path = self._fs(uri)
        return fs.getFileStatus(path).getLen()

    # ------------------------------------------------------------------ tables

    def is_table(self, uri: str) -> bool:
        from delta.tables import DeltaTable

        return DeltaTable.isDeltaTable(self.spark, uri)

    def read(self, uri: str, where: Column | None = None, required: bool = False) -> DataFrame | None:
        """The table's current version (filtered by `where`, which prunes partitions and files), or None when
        it was never created. A folder that holds files but no readable table is an error, and so is a
        missing table when `required` (the control state says it was written)."""
        if not self.is_table(uri):
            fs, path = self._fs(uri)
            if required or (fs.exists(path) and len(fs.listStatus(path)) > 0):
                raise TableUnreadable(
                    f"the lake table {uri} should exist but cannot be read as a Delta table: restore it "
                    f"(`RESTORE TABLE delta.`{uri}` TO VERSION AS OF <n>`, see DESCRIBE HISTORY) or rebuild "
                    "the lake from bronze"
                )
            return None
        df = self.spark.read.format("delta").load(uri)
        return df.where(where) if where is not None else df

    def version(self, uri: str) -> int:
        """The table's current version (each commit adds one)."""
        from delta.tables import DeltaTable

        return int(DeltaTable.forPath(self.spark, uri).history(1).select("version").first()[0])

    def replace(
        self, df: DataFrame, uri: str, where: str | None = None, partition_by: Iterable[str] = ()
    ) -> None:
        """One commit that replaces the rows matching `where` (a SQL predicate; every row of `df` must match
        it) or, without `where`, the whole table. Readers see the old version or the new one, never a mix."""
        writer = df.write.format("delta").mode("overwrite")
        if where is not None and self.is_table(uri):
            writer = writer.option("replaceWhere", where)
        else:
            writer = writer.option("overwriteSchema", "true")
        cols = list(partition_by)
        if cols:
            writer = writer.partitionBy(*cols)
        writer.save(uri)

    def create(self, schema_of: DataFrame, uri: str, partition_by: Iterable[str] = ()) -> None:
        """An empty table with the frame's schema, unless the table exists."""
        if not self.is_table(uri):
            self.replace(schema_of.limit(0), uri, partition_by=partition_by)

    def merge(
        self,
        source: DataFrame,
        uri: str,
        on: Sequence[str],
        *,
        update_when: str | None = None,
        update: bool = True,
        delete_when: str | None = None,
        insert_when: str | None = None,
        insert: bool = True,
        partition_by: Iterable[str] = (),
        prune: str | None = None,
    ) -> dict[str, int]:
        """One MERGE commit keyed by `on` (source alias `s`, target `t`): matched rows are deleted when
        `delete_when`, else updated (when `update_when`, if given); unmatched rows inserted (when
        `insert_when`). `prune` (on `t`) limits the target rows compared to the partitions that can match.
        Creates the table first if needed. Returns Delta's own counts of the commit."""
        from delta.tables import DeltaTable

        self.create(source, uri, partition_by)
        cond = " AND ".join([*(f"t.`{k}` <=> s.`{k}`" for k in on), *([prune] if prune else [])])
        builder = DeltaTable.forPath(self.spark, uri).alias("t").merge(source.alias("s"), cond)
        if delete_when is not None:
            builder = builder.whenMatchedDelete(condition=delete_when)
        if update:
            builder = builder.whenMatchedUpdateAll(condition=update_when)
        if insert:
            builder = builder.whenNotMatchedInsertAll(condition=insert_when)
        row = builder.execute().first()
        metrics = row.asDict() if row is not None else {}
        return {
            "inserted": int(metrics.get("num_inserted_rows", 0) or 0),
            "updated": int(metrics.get("num_updated_rows", 0) or 0),
            "deleted": int(metrics.get("num_deleted_rows", 0) or 0),
        }

    def maintain(self, uri: str) -> None:
        """Scheduled maintenance: compact small files, then drop files older than the table's retention
        (the history kept for time travel; `HDP_HISTORY_DAYS`)."""
        from delta.tables import DeltaTable

        table = DeltaTable.forPath(self.spark, uri)
        table.optimize().executeCompaction()
        table.vacuum()
