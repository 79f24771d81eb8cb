"""Lake I/O at the edges of every stage: Parquet datasets, idempotent partition overwrite, and small JSON
documents (watermarks, manifests). Paths go through Hadoop's FileSystem so file:// and s3a:// behave alike."""

from __future__ import annotations

import json
from collections.abc import Iterable

from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import types as T


class Lake:
    def __init__(self, spark: SparkSession):
        self.spark = spark
        jvm = spark.sparkContext._jvm
        self._Path = jvm.org.apache.hadoop.fs.Path
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()
        self._charset = jvm.java.nio.charset.StandardCharsets.UTF_8

    def _fs(self, uri: str):
        path = self._Path(uri)
        return path.getFileSystem(self._conf), path

    # ------------------------------------------------------------------ files

    def exists(self, uri: str) -> bool:
        fs, path = self._fs(uri)
        return fs.exists(path)

    def list_files(self, uri: str, suffix: str = "") -> list[str]:
        """Names of the files directly in a folder (not hidden, ending with `suffix`), sorted."""
        fs, path = self._fs(uri)
        if not fs.exists(path):
            return []
        names = [s.getPath().getName() for s in fs.listStatus(path) if s.isFile()]
        return sorted(n for n in names if n.endswith(suffix) and not n.startswith((".", "_")))

    def read_text(self, uri: str) -> str:
        fs, path = self._fs(uri)
        stream = fs.open(path)
        try:
            data = self.spark.sparkContext._jvm.org.apache.commons.io.IOUtils.toByteArray(stream)
        finally:
            stream.close()
        return bytes(data).decode("utf-8")

    def write_text(self, uri: str, text: str) -> None:
        """Write atomically where the filesystem allows (temp file + rename); S3 PUTs are atomic anyway."""
        fs, path = self._fs(uri)
        tmp = self._Path(path.getParent(), "." + path.getName() + ".tmp")
        out = fs.create(tmp, True)
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()
        if fs.exists(path):
            fs.delete(path, False)
        fs.rename(tmp, path)

    def read_json(self, uri: str, default=None):
        return json.loads(self.read_text(uri)) if self.exists(uri) else default

    def write_json(self, uri: str, doc) -> None:
        self.write_text(uri, json.dumps(doc, indent=2, sort_keys=True, default=str))

    # ------------------------------------------------------------------ datasets

    def read(
        self, uri: str, schema: T.StructType | None = None, where: Column | None = None
    ) -> DataFrame | None:
        """A Parquet dataset (partition-pruned by `where`), or an empty frame of `schema`, or None.
        With a schema, partition columns keep its types (bronze's "07" stays a string)."""
        empty = self.spark.createDataFrame([], schema) if schema is not None else None
        if not self.exists(uri):
            return empty
        reader = self.spark.read.schema(schema) if schema is not None else self.spark.read
        try:
            df = reader.parquet(uri)
        except AnalysisException as exc:  # a folder written from an empty frame holds no Parquet file
            if "UNABLE_TO_INFER_SCHEMA" in str(exc):
                return empty
            raise
        return df.where(where) if where is not None else df

    def overwrite_partitions(self, df: DataFrame, uri: str, partition_by: Iterable[str]) -> None:
        """Replace exactly the partitions present in `df` (dynamic partition overwrite); others stay."""
        cols = list(partition_by)
        df.repartition(*cols).write.mode("overwrite").option("partitionOverwriteMode", "dynamic").partitionBy(
            *cols
        ).parquet(uri)

    def overwrite(self, df: DataFrame, uri: str, coalesce: int = 1) -> None:
        """Replace the whole dataset (small tables: dimensions, current-state entities)."""
        df.coalesce(coalesce).write.mode("overwrite").parquet(uri)
