"""The same chunks as partitions on a Dask distributed cluster (``--dask ADRESS`` or ``--dask lokal``).

The rule files' text is scattered to every worker once; each worker loads the bundle from it the
first time a chunk reaches it and keeps it (by content hash) for every later chunk. Chunks are
computed by the very function the local pool uses, so the output is the same file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from batch._chunk import ChunkResult, process

LOCAL = "lokal"


def _client(address: str, workers: int) -> Any:
    from dask.distributed import Client, LocalCluster

    if address == LOCAL:
        cluster = LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,
        )
        return Client(cluster)
    return Client(address, timeout=os.environ.get("EKBIST_DASK_TIMEOUT", "20s"))


def run_on_dask(
    job: Any, items: Iterator[tuple[int, str, Any, int, int]], finished: Callable[[ChunkResult, int], None]
) -> None:
    from dask.distributed import as_completed

    from batch._parquet_in import BatchError

    try:
        client = _client(job.dask, job.workers)
    except (OSError, TimeoutError) as exc:
        raise BatchError(f"--dask {job.dask}: klustret kan inte nås ({exc})") from None
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        [files] = client.scatter([job.files], broadcast=True)
        window = as_completed()
        sizes: dict[str, int] = {}
        in_flight = 0
        for index, kind, payload, first, nbytes in items:
            # the chunk goes to a worker as data of its own, not inside the task (a task of megabytes
            # is slow to schedule, and Dask warns about every one)
            [data] = client.scatter([payload], hash=False)
            fut = client.submit(process, files, job.options, index, kind, data, first, pure=False)
            sizes[fut.key] = nbytes
            window.add(fut)
            in_flight += 1
            while in_flight >= 2 * workers:
                done = next(window)
                finished(done.result(), sizes.pop(done.key))
                in_flight -= 1
        for done in window:
            finished(done.result(), sizes.pop(done.key))
    finally:
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None:
            cluster.close()
