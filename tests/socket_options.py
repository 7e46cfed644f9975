"""Reading a socket option of the server's side of a connection, from outside the server process.

``pidfd_getfd`` (Linux 5.6+) copies a file descriptor out of another process of the same user, so a test
can ask the socket a ``cshub serve`` worker accepted what options it really has — whatever uvicorn does.
"""

import ctypes
import os
import platform
import socket
from collections.abc import Iterator
from pathlib import Path

_SYS_PIDFD_GETFD = 438  # the same number on every Linux architecture (the unified syscall table)


def _process_tree(pid: int) -> Iterator[int]:
    yield pid
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            yield from _process_tree(int(child))


def _copy_fd(pid: int, fd: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        copied = int(libc.syscall(_SYS_PIDFD_GETFD, pidfd, fd, 0))
        if copied < 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"pidfd_getfd({pid}, {fd}): {os.strerror(errno)}")
        return copied
    finally:
        os.close(pidfd)


def server_side_option(server_pid: int, client: socket.socket, level: int, option: int) -> int:
    """``getsockopt(level, option)`` of the socket in ``server_pid``'s process tree whose peer is ``client``."""
    assert platform.system() == "Linux", "pidfd_getfd is Linux-only"
    wanted = client.getsockname()
    for pid in _process_tree(server_pid):
        for entry in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if not os.readlink(entry).startswith("socket:"):
                    continue
                copied = _copy_fd(pid, int(entry.name))
            except OSError:  # closed while we looked
                continue
            with socket.socket(fileno=copied) as candidate:
                if candidate.family not in (socket.AF_INET, socket.AF_INET6):
                    continue
                try:
                    peer = candidate.getpeername()
                except OSError:  # a listener or an unconnected socket
                    continue
                if peer[:2] == wanted[:2]:
                    return candidate.getsockopt(level, option)
    raise AssertionError(f"no socket in process {server_pid} or its children is connected to {wanted}")
