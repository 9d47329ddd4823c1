"""pgqueuer's side of tongxin-bench's queue drain comparison (run by tongxin-bench, in the
virtualenv it makes under .build/bench-venv; not part of Tongxin).

    bench-pgqueuer.py install            pgqueuer's schema in the database libpq's PG* variables name
    bench-pgqueuer.py enqueue N          N no-op jobs, 10,000 per statement, then VACUUM ANALYZE
                                         (as tongxin-bench does before our worker's drain)
    bench-pgqueuer.py drain WORKERS BATCH
                                         WORKERS processes, each a QueueManager on its own
                                         connection, drain the queue (mode=drain) with batches
                                         of BATCH; the caller times this command
    bench-pgqueuer.py count              prints how many jobs are left in pgqueuer's queue

The connection comes from the environment (PGHOST, PGPORT, PGUSER, PGDATABASE), as asyncpg
reads it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
from datetime import timedelta

import asyncpg
from pgqueuer import AsyncpgDriver, QueueManager
from pgqueuer.models import Job
from pgqueuer.queries import Queries
from pgqueuer.types import QueueExecutionMode


async def install() -> None:
    connection = await asyncpg.connect()
    try:
        queries = Queries(AsyncpgDriver(connection))
        if not await queries.schema_is_installed():
            await queries.install()
    finally:
        await connection.close()


async def enqueue(total: int) -> None:
    connection = await asyncpg.connect()
    try:
        queries = Queries(AsyncpgDriver(connection))
        left = total
        while left > 0:
            count = min(left, 10_000)
            await queries.enqueue(["noop"] * count, [None] * count, [0] * count)
            left -= count
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def count() -> None:
    connection = await asyncpg.connect()
    try:
        print(await connection.fetchval("SELECT count(*) FROM pgqueuer"))
    finally:
        await connection.close()


async def drain_one(batch: int) -> None:
    connection = await asyncpg.connect()
    qm = QueueManager(Queries(AsyncpgDriver(connection)))

    @qm.entrypoint("noop")
    async def noop(job: Job) -> None:
        return None

    await qm.run(
        batch_size=batch,
        mode=QueueExecutionMode.drain,
        dequeue_timeout=timedelta(seconds=1),
    )


def worker(batch: int) -> None:
    asyncio.run(drain_one(batch))


def drain(workers: int, batch: int) -> int:
    processes = [multiprocessing.Process(target=worker, args=(batch,)) for _ in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    failed = [p.exitcode for p in processes if p.exitcode != 0]
    if failed:
        print(f"bench-pgqueuer: workers exited {failed}", file=sys.stderr)
        return 1
    return 0


def main(arguments: list[str]) -> int:
    if arguments[:1] == ["install"]:
        asyncio.run(install())
        return 0
    if len(arguments) == 2 and arguments[0] == "enqueue":
        asyncio.run(enqueue(int(arguments[1])))
        return 0
    if arguments[:1] == ["count"]:
        asyncio.run(count())
        return 0
    if len(arguments) == 3 and arguments[0] == "drain":
        return drain(int(arguments[1]), int(arguments[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
