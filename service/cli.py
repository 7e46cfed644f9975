"""The ``cshub`` command line: serve, migrate, import, seed, health recompute, the clock's event sweep,
export-schema and API keys.

Every failure a user can fix ends as one line on stderr (``cshub: error: ...``) and a non-zero exit
status, never a traceback: 2 for bad configuration or usage, 1 for everything else.
"""

import argparse
import asyncio
import datetime as dt
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from service.api_keys import service as api_keys
from service.api_keys.queries import ApiKeyRow
from service.api_keys.roles import Role
from service.audit.keys import KeyChange, audited_key_change
from service.db.attached import attached_database, engine_for
from service.errors import ConfigurationError, CshubError
from service.ingest.service import ENTITIES as INGEST_ENTITIES
from service.ingest.shared_domains import shared_domains
from service.ingest.usage_events import UsagePolicy
from service.seed.loader import DEMO_SEED
from service.settings import Settings, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cshub", description="cshub: the customer-success data hub.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP service (GraphQL, health, readiness)")
    serve.add_argument("--host", help="address to listen on (default CSHUB_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default CSHUB_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--demo", action="store_true", help="load demo data; on loopback, print an admin key")
    serve.add_argument("--no-migrate", action="store_true", help="do not upgrade the schema on start")

    migrate = commands.add_parser("migrate", help="upgrade (or downgrade) the database schema")
    migrate.add_argument("--revision", default="head", help="target revision (default head)")
    migrate.add_argument("--downgrade", action="store_true", help="downgrade to --revision instead")

    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.add_argument("--output", type=Path, help="write to this file instead of stdout")

    importer = commands.add_parser("import", help="ingest a CSV or JSON-lines file through the ingest service")
    importer.add_argument("--source", required=True, help="the system the file comes from (e.g. salesforce)")
    importer.add_argument("--entity", required=True, choices=INGEST_ENTITIES, help="what the file holds")
    importer.add_argument("--batch-size", type=int, default=500, help="records per transaction (default 500)")
    importer.add_argument("file", type=Path, help="a .csv (header row = field names) or .jsonl file")

    seed = commands.add_parser("seed", help="generate a realistic demo company through the ingest service")
    seed.add_argument("--demo", action="store_true", required=True, help="the demo company (the only seed so far)")
    seed.add_argument("--accounts", type=int, default=300, help="number of customer accounts (default 300)")
    seed.add_argument("--seed", type=int, default=DEMO_SEED, help="random seed; the same seed gives the same data")

    health = commands.add_parser("health", help="health scores")
    health_commands = health.add_subparsers(dest="health_command", required=True, metavar="ACTION")
    recompute = health_commands.add_parser("recompute", help="score every account (or some) now, set-based in SQL")
    recompute.add_argument("--account", action="append", default=[], metavar="UUID", help="only this account (repeat)")

    events = commands.add_parser("events", help="events and webhooks")
    event_commands = events.add_subparsers(dest="events_command", required=True, metavar="ACTION")
    event_commands.add_parser(
        "sweep",
        help="run the clock's sweep now (renewal.upcoming, action_item.overdue, ticket.escalated on a breached SLA); "
        "what was announced before is not announced again",
    )

    keys = commands.add_parser("keys", help="manage API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = key_commands.add_parser("create", help="create a key; the key is printed on the last line")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--name", help="a label for the key (default: the role)")
    create.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="SOURCE",
        help="ingest keys: bind the key to this source (repeat for several); it then ingests and reads only "
        "their records (default: every source)",
    )
    key_commands.add_parser("list", help="list keys (never their secrets)")
    revoke = key_commands.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id", help="the key id shown by `cshub keys list`")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "export-schema":
            return _export_schema(args.output)
        overrides: dict[str, object] = {}
        if args.command == "serve":
            if args.host is not None:
                overrides["host"] = args.host
            if args.port is not None:
                overrides["port"] = args.port
            if args.no_migrate:
                overrides["migrate_on_start"] = False
        settings = load_settings(**overrides)
        if args.command == "serve":
            return _serve(settings, workers=args.workers, demo=args.demo)
        if args.command == "migrate":
            return _run_with_database(settings, _migrate(settings, args.revision, args.downgrade), create=True)
        if args.command == "import":
            return _run_with_database(settings, _import(settings, args))
        if args.command == "seed":
            return _run_with_database(settings, _seed(settings, args.accounts, args.seed))
        if args.command == "health":
            return _run_with_database(settings, _recompute_health(settings, args.account))
        if args.command == "events":
            return _run_with_database(settings, _sweep_clock(settings))
        return _keys(settings, args)
    except ConfigurationError as error:
        print(f"cshub: error: {error.message}", file=sys.stderr)
        return 2
    except CshubError as error:
        print(f"cshub: error: {error.detail or error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _export_schema(output: Path | None) -> int:
    from service.api.export import schema_sdl

    sdl = schema_sdl()
    if output is None:
        sys.stdout.write(sdl)
    else:
        output.write_text(sdl)
    return 0


DatabaseWork = Callable[[str], Coroutine[Any, Any, int]]


def _run_with_database(settings: Settings, work: DatabaseWork, *, create: bool = False) -> int:
    """Attach the database (starting the embedded one if needed; creating it only if ``create``), run
    ``work(url)``, detach."""
    with attached_database(settings, create=create) as url:
        return asyncio.run(work(url))


def _migrate(settings: Settings, revision: str, downgrade: bool) -> DatabaseWork:
    from service import migrate

    async def body(url: str) -> int:
        async with engine_for(url, settings) as engine:
            if downgrade:
                await migrate.downgrade(engine, revision)
            else:
                await migrate.upgrade(engine, revision)
            current = await migrate.current_revision(engine)
        print(f"database schema at {current or 'base (empty)'}")
        return 0

    return body


def _import(settings: Settings, args: argparse.Namespace) -> DatabaseWork:
    from service.ingest.file_import import count_rows, import_file, progress_bar

    if args.batch_size < 1 or args.batch_size > settings.ingest_max_records:
        raise ConfigurationError(f"--batch-size must be between 1 and {settings.ingest_max_records}")
    total = count_rows(args.file)

    async def body(url: str) -> int:
        async with engine_for(url, settings, require_head=True) as engine:
            summary = await import_file(
                engine,
                args.file,
                source=args.source,
                entity=args.entity,
                batch_size=args.batch_size,
                source_priority=settings.source_priority,
                usage=UsagePolicy.of(settings),
                shared_domains=shared_domains(settings.shared_domains),
                progress=progress_bar(total),
            )
        counts = ", ".join(f"{status} {count}" for status, count in sorted(summary.counts.items()))
        print(f"imported {summary.total} {args.entity} records from {args.file} (source {args.source}): {counts}")
        for problem in summary.problems:
            print(f"  {problem}")
        rejected = summary.counts.get("rejected", 0)
        if rejected:
            print(f"cshub: {rejected} record(s) rejected; fix them and import the file again", file=sys.stderr)
        return 1 if rejected else 0

    return body


def _seed(settings: Settings, accounts: int, seed: int) -> DatabaseWork:
    from service.seed.loader import seed_demo

    if not 1 <= accounts <= 100_000:
        raise ConfigurationError("--accounts must be between 1 and 100000")

    async def body(url: str) -> int:
        async with engine_for(url, settings, require_head=True) as engine:
            totals = await seed_demo(engine, accounts=accounts, seed=seed, source_priority=settings.source_priority)
        for entity, counts in totals.items():
            shown = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()) if count)
            print(f"{entity}: {shown}")
        return 0

    return body


def _recompute_health(settings: Settings, accounts: list[str]) -> DatabaseWork:
    from service.health_scores.service import recompute_health, thresholds_from

    try:
        account_ids = [uuid.UUID(value) for value in accounts] or None
    except ValueError:
        raise ConfigurationError(f"--account takes account ids (UUIDs); got {accounts}") from None

    async def body(url: str) -> int:
        async with engine_for(url, settings, require_head=True) as engine, engine.begin() as conn:
            started = time.perf_counter()
            result = await recompute_health(
                conn,
                account_ids=account_ids,
                thresholds=thresholds_from(settings),
                history_full_days=settings.health_history_full_days,
            )
        seconds = time.perf_counter() - started
        print(
            f"health: {result.scores} scores for {result.accounts} accounts ({result.scored} scored, "
            f"{result.scores - result.scored} without enough data), {result.alerts_opened} alerts opened, "
            f"{result.history_thinned} older scores thinned, "
            f"in {seconds:.1f} s, "
            f"as of {result.computed_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        return 0

    return body


def _sweep_clock(settings: Settings) -> DatabaseWork:
    from service.clock.sweep import locked_sweep
    from service.clock.sweeper import sweep_config

    async def body(url: str) -> int:
        async with engine_for(url, settings, require_head=True) as engine, engine.begin() as conn:
            result = await locked_sweep(conn, sweep_config(settings))  # after any sweep a server is running
        assert result is not None  # waiting for the lock always sweeps
        at = result.at.astimezone(dt.UTC)
        print(
            f"events: {result.renewals_upcoming} renewal.upcoming, {result.action_items_overdue} action_item.overdue, "
            f"{result.tickets_escalated} ticket.escalated (SLA breached), as of {at:%Y-%m-%d %H:%M:%S} UTC"
        )
        return 0

    return body


def _keys(settings: Settings, args: argparse.Namespace) -> int:
    async def body(url: str) -> int:
        async with engine_for(url, settings, require_head=True) as engine:
            if args.keys_command == "create":
                change = _create_key(Role(args.role), args.name, args.source)
                created = await audited_key_change(engine, "keys:create", change)
                bound = f" for source(s) {', '.join(created.key.sources)}" if created.key.sources else ""
                print(f"created {created.key.role} key {created.key.id} ({created.key.name}){bound}")
                print("store it now; it cannot be shown again:")
                print(created.secret)
            elif args.keys_command == "list":
                async with engine.connect() as conn:
                    rows = await api_keys.list_keys(conn)
                print(f"{'id':36}  {'role':6}  {'prefix':12}  {'created':19}  {'status':19}  name")
                for row in rows:
                    status = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
                    bound = f"  (sources: {', '.join(row.sources)})" if row.sources else ""
                    print(
                        f"{row.id!s:36}  {row.role.value:6}  {row.key_prefix:12}  "
                        f"{row.created_at:%Y-%m-%d %H:%M:%S}  {status:19}  {row.name}{bound}"
                    )
            else:
                row = await audited_key_change(engine, "keys:revoke", _revoke_key(args.id))
                print(f"revoked key {row.id} ({row.name}) at {row.revoked_at:%Y-%m-%d %H:%M:%S}")
        return 0

    return _run_with_database(settings, body)


def _create_key(role: Role, name: str | None, sources: Sequence[str]) -> KeyChange[api_keys.CreatedKey]:
    async def create(conn: AsyncConnection) -> tuple[api_keys.CreatedKey, ApiKeyRow]:
        created = await api_keys.create_key(conn, role=role, name=name or role.value, sources=sources)
        return created, created.key

    return create


def _revoke_key(key_id: str) -> KeyChange[ApiKeyRow]:
    async def revoke(conn: AsyncConnection) -> tuple[ApiKeyRow, ApiKeyRow]:
        row = await api_keys.revoke_key(conn, key_id)
        return row, row

    return revoke


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CshubError(
                f"cannot listen on {host}:{port}: {exc.strerror}; choose another with --port or CSHUB_PORT"
            ) from None


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _serve(settings: Settings, *, workers: int, demo: bool) -> int:
    from service.http_server import run_server
    from service.serve_setup import prepare_database

    if workers < 1:
        raise ConfigurationError("--workers must be at least 1")
    # uvicorn re-raises SIGTERM after its graceful shutdown; turning it into SystemExit lets the
    # embedded PostgreSQL be stopped on the way out instead of the process dying mid-cleanup.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    _check_port_free(settings.host, settings.port)
    if settings.graphql_trusted_documents is not None:
        from service.api.schema import schema
        from service.api.view import persisted_operations

        persisted_operations(schema, settings)  # a bad manifest fails here, in one line, before anything starts
    with attached_database(settings, create=True) as url:
        banner = asyncio.run(prepare_database(url, settings, demo=demo))
        # Workers build their own settings from the environment: hand them the resolved values.
        os.environ.update(
            {
                "CSHUB_DATABASE_URL": url,
                "CSHUB_HOST": settings.host,
                "CSHUB_PORT": str(settings.port),
                "CSHUB_MIGRATE_ON_START": "false",  # done once above, not once per worker
            }
        )
        run_server(
            "service.app:create_app",
            host=settings.host,
            port=settings.port,
            workers=workers,
            log_level=settings.log_level.value,
            when_serving=banner,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
