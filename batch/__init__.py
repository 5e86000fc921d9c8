"""The month at scale: many applications at once, from the same rule files as the engine.

- :func:`run` is ``ekbist batch``: JSON lines or Parquet in, one result per line out, streamed in
  chunks over all cores (or a Dask cluster), resumable, with an error file for refused lines;
- :func:`evaluate_table` computes an Arrow table of applications column by column and says which
  rows the engine must compute itself.
"""

from batch._evaluate import Programs, TableResult, evaluate_table
from batch._parquet_in import BatchError
from batch._run import CHUNK, Job, Summary, run
from batch._schema import application_schema

__all__ = [
    "CHUNK",
    "BatchError",
    "Job",
    "Programs",
    "Summary",
    "TableResult",
    "application_schema",
    "evaluate_table",
    "run",
]
