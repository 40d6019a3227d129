"""A streaming replica of a test's own PostgreSQL, and an endpoint a test can move.

- `OwnReplica`: `pg_basebackup -R` of an `OwnPostgres` primary, started as a hot standby on a
  free port; `pause_replay`/`resume_replay` (`pg_wal_replay_pause()`: lag on demand),
  `wait_for` a primary's position (replayed), `wait_for_receipt` (received), `promote`
  (`pg_promote()`).
- `MovableEndpoint`: a TCP forwarder on 127.0.0.1 in the test's event loop, standing for a
  DNS name such as the cluster's writer endpoint: `move` points it at another server (a
  failover), dropping the connections it carried, as the old server's death does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import tempfile
import time
from pathlib import Path

from tests.servers import OwnPostgres, as_postgres, free_port, postgres_bin

WAIT_SECONDS = 30.0


class OwnReplica(OwnPostgres):
    """A hot standby streaming from `primary` (which must be running)."""

    def __init__(self, primary: OwnPostgres) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="courtside-replica-"))
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            shutil.chown(self.root, account.pw_uid, account.pw_gid)
        self.data = self.root / "data"
        self.port = free_port()
        self.extra_options = "-c hot_standby=on"
        as_postgres(
            postgres_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
            "-U", "postgres", "-D", str(self.data), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip

    def pause_replay(self) -> None:
        self.psql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.psql("SELECT pg_wal_replay_resume()")

    def replay_position(self) -> str:
        return self.psql("SELECT pg_last_wal_replay_lsn()").strip()

    def wait_for(self, primary: OwnPostgres) -> None:
        """Until this replica has replayed what `primary` has written (bounded)."""
        target = primary.psql("SELECT pg_current_wal_insert_lsn()").strip()
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            done = self.psql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn").strip()
            if done == "t":
                return
            time.sleep(0.05)
        raise AssertionError(f"the replica did not reach {target} in {WAIT_SECONDS}s")

    def wait_for_receipt(self, primary: OwnPostgres) -> None:
        """Until this replica has *received* what `primary` has written (bounded): with replay
        paused, that WAL is then the replica's lag."""
        target = primary.psql("SELECT pg_current_wal_flush_lsn()").strip()
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            done = self.psql(f"SELECT pg_last_wal_receive_lsn() >= '{target}'::pg_lsn").strip()
            if done == "t":
                return
            time.sleep(0.05)
        raise AssertionError(f"the replica did not receive {target} in {WAIT_SECONDS}s")

    def promote(self) -> None:
        self.psql(f"SELECT pg_promote(true, {int(WAIT_SECONDS)})")


class MovableEndpoint:
    """127.0.0.1:`port` forwarding to `target` (None: nothing listens behind it, a refusal)."""

    def __init__(self, target: int | None) -> None:
        self.target = target
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> MovableEndpoint:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def move(self, target: int | None) -> None:
        """Point new connections at `target`; the ones carried so far are cut."""
        self.target = target
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def close(self) -> None:
        self.move(None)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.target is None:
            writer.close()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target
            )
        except OSError:
            writer.close()
            return
        self._writers.update((writer, upstream_writer))
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )
        self._writers.difference_update((writer, upstream_writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()
