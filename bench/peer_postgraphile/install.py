"""PostGraphile 5 on Node 22, installed with npm into a scratch folder outside the repository (nothing of it
is committed), and the small config file the bench serves it with, written there by this module.

The folder is ``$CSHUB_BENCH_CACHE`` (default ``~/.cache/cshub-bench``) ``/postgraphile``. An install whose
packages have the wanted major versions is reused; otherwise ``npm install`` runs (the npm registry is the
only non-loopback traffic of the bench). The machine's own node may be older: the ``node`` npm package
ships a Node 22 binary, and PostGraphile runs on that one.
"""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.graphql_360.errors import BenchError

# package -> (npm spec, wanted major version)
PACKAGES = {
    "postgraphile": ("postgraphile@5", 5),
    "node": ("node@22", 22),
    "@graphile/simplify-inflection": ("@graphile/simplify-inflection@8", 8),
    # `status IN (...)` (the open tickets) needs a filter; core PostGraphile conditions are equality only.
    "postgraphile-plugin-connection-filter": ("postgraphile-plugin-connection-filter@4", 4),
}
NPM_TIMEOUT_SECONDS = 600

# Amber, simplified names, the connection filter. PgIndexBehaviorsPlugin is disabled so that unindexed
# columns (contacts.name, contracts.status, ...) can be ordered and filtered by, as PostGraphile 4 allowed
# by default; nothing else is changed. The database connection is read-only (default_transaction_read_only).
CONFIG = """\
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset, PostGraphileConnectionFilterPreset],
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [makePgService({ connectionString: process.env.PEER_DATABASE_URL, schemas: ["public"] })],
  grafserv: { host: "127.0.0.1", port: Number(process.env.PEER_PORT), graphiql: false },
  grafast: { explain: false },
};
"""


@dataclass(frozen=True, slots=True)
class Installation:
    folder: Path
    versions: dict[str, str]  # package -> installed version
    installed_now: bool

    @property
    def node(self) -> Path:
        return self.folder / "node_modules" / "node" / "bin" / "node"

    @property
    def cli(self) -> Path:
        return self.folder / "node_modules" / "postgraphile" / "dist" / "cli-run.js"

    @property
    def config(self) -> Path:
        return self.folder / "graphile.config.mjs"


def scratch_folder() -> Path:
    cache = os.environ.get("CSHUB_BENCH_CACHE") or str(Path.home() / ".cache" / "cshub-bench")
    return Path(cache) / "postgraphile"


def installed_versions(folder: Path) -> dict[str, str]:
    """The installed version of each package whose major version is the wanted one."""
    found = {}
    for package, (_, major) in PACKAGES.items():
        manifest = folder / "node_modules" / package / "package.json"
        if manifest.exists():
            version = str(json.loads(manifest.read_text())["version"])
            if int(version.split(".")[0]) == major:
                found[package] = version
    return found


def _npm_install(folder: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise BenchError("PostGraphile cannot be installed: no npm on PATH (install Node.js and npm)")
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "package.json"
    if not manifest.exists():
        manifest.write_text(json.dumps({"name": "cshub-bench-postgraphile", "private": True}) + "\n")
    specs = [spec for spec, _ in PACKAGES.values()]
    print(f"installing {' '.join(specs)} into {folder} (npm)", flush=True)
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", *specs],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"PostGraphile cannot be installed: npm install took over {NPM_TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        raise BenchError(
            f"PostGraphile cannot be installed: npm install exited {done.returncode} "
            f"(is the npm registry reachable?):\n{done.stderr[-2000:]}"
        )


def ensure_installed() -> Installation:
    """The cached install when complete, else a fresh ``npm install``; the config file (re)written."""
    folder = scratch_folder()
    installed_now = False
    if len(installed_versions(folder)) < len(PACKAGES):
        _npm_install(folder)
        installed_now = True
    versions = installed_versions(folder)
    if missing := sorted(set(PACKAGES) - set(versions)):
        raise BenchError(f"PostGraphile install in {folder} is incomplete after npm install: {', '.join(missing)}")
    installation = Installation(folder, versions, installed_now)
    try:
        node_version = subprocess.run(
            [str(installation.node), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        raise BenchError(
            f"the Node 22 binary of the node npm package does not run ({installation.node}): {error}"
        ) from None
    if not node_version.startswith("v22."):
        raise BenchError(f"{installation.node} is node {node_version}, not 22")
    installation.config.write_text(CONFIG)
    return installation
