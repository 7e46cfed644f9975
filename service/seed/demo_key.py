"""The demo admin key of ``cshub serve --demo`` (the demo company itself is ``service.seed``).

The key's secret is kept in ``<data dir>/demo-admin-key`` (mode 0600) so the same key is printed on every
start; if it is lost or revoked, a new one is made.
"""

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from service.api_keys import service as api_keys
from service.api_keys.roles import Role
from service.audit import service as audit
from service.audit.service import CLI

DEMO_KEY_NAME = "demo admin (cshub serve --demo)"
DEMO_KEY_FILE = "demo-admin-key"


def _read_key_file(data_dir: Path) -> str | None:
    key_file = data_dir / DEMO_KEY_FILE
    return key_file.read_text().strip() if key_file.exists() else None


def _write_key_file(data_dir: Path, secret: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / DEMO_KEY_FILE
    key_file.touch(mode=0o600)
    key_file.write_text(secret + "\n")


async def demo_admin_key(conn: AsyncConnection, data_dir: Path) -> str:
    """The demo admin key's secret: the stored one while it still works, else a new one."""
    secret = _read_key_file(data_dir)
    if secret:
        principal = await api_keys.authenticate(conn, secret)
        if principal is not None and principal.role == Role.ADMIN:
            return secret
    created = await api_keys.create_key(conn, role=Role.ADMIN, name=DEMO_KEY_NAME)
    details = {"role": Role.ADMIN.value, "name": DEMO_KEY_NAME}
    await audit.record(conn, CLI, "keys:create", target=str(created.key.id), details=details)
    _write_key_file(data_dir, created.secret)
    return created.secret
