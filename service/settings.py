"""Runtime configuration, read from ``CSHUB_*`` environment variables (and ``DATABASE_URL``).

Settings are built explicitly (``Settings()`` in ``create_app()`` or the CLI) and passed down; nothing
reads the environment at import time.
"""

import re
from enum import StrEnum
from ipaddress import ip_address
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from service.accounts.web_domains import normalize_domain
from service.errors import ConfigurationError

# Roles a person's token may carry; `ingest` is for source systems, which use API keys.
TOKEN_ROLES = ("admin", "csm", "sales", "bi")


def _source_name(default: str, records: str) -> Any:
    """A setting naming the ingest source a Segment-style endpoint or a source adapter stores ``records`` under."""
    return Field(
        default=default,
        min_length=1,
        max_length=100,
        pattern=r"^\S(.*\S)?$",
        description=f"The ingest source {records} are stored under (a key bound to sources must name it).",
    )


def _mapping_file(source: str, holds: str) -> Any:
    """A setting naming a TOML file laid over a source adapter's default mapping (``holds``: what it maps)."""
    return Field(
        default=None,
        description=f"A TOML file laid over the default {source} mapping ({holds}; "
        f"service/adapters/{source.lower()}/default_mapping.toml); checked at start.",
    )


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


def normalize_database_url(raw: str) -> str:
    """Accept the usual PostgreSQL URL spellings and return one for SQLAlchemy's asyncpg dialect."""
    value = raw.strip()
    for prefix in ("postgres://", "postgresql://", "postgresql+asyncpg://"):
        if value.startswith(prefix):
            value = "postgresql+asyncpg://" + value[len(prefix) :]
            break
    else:
        raise ValueError("must be a PostgreSQL URL such as postgresql://user:password@host:5432/dbname")
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    if not url.database:
        raise ValueError("must name a database, e.g. postgresql://user@host:5432/cshub")
    return value


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """Every knob cshub has. Environment variables use the ``CSHUB_`` prefix."""

    model_config = SettingsConfigDict(env_prefix="CSHUB_", extra="ignore", frozen=True)

    database_url: Annotated[
        str | None,
        Field(
            default=None,
            validation_alias=AliasChoices("CSHUB_DATABASE_URL", "DATABASE_URL", "database_url"),
            description="PostgreSQL URL; unset means: start the embedded PostgreSQL in data_dir.",
        ),
    ]
    data_dir: Path = Field(default=Path(".cshub"), description="Where the embedded PostgreSQL keeps its data.")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: LogLevel = LogLevel.INFO
    environment: Environment = Environment.DEVELOPMENT
    migrate_on_start: bool = Field(default=True, description="Upgrade the schema to head when serving.")
    db_pool_size: int = Field(default=10, ge=1, le=1000)
    db_max_overflow: int = Field(default=5, ge=0, le=1000)
    db_pool_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Longest wait for a pooled connection; then 503 DATABASE_UNAVAILABLE."
    )
    db_statement_timeout_seconds: float = Field(
        default=30,
        ge=0,
        description="Requests' statements are cancelled after this long (503 QUERY_TIMEOUT); 0: no limit. "
        "Migrations and the background health recompute are exempt.",
    )
    db_connections_per_request: int = Field(
        default=4,
        ge=1,
        le=1000,
        description="Connections one GraphQL request holds at once at most (its concurrent fields queue for "
        "them); capped at pool size + overflow.",
    )
    ingest_max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, description="Largest ingest body.")
    graphql_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="Largest /graphql body; 413 above.")
    rate_limit_graphql_per_minute: float = Field(
        default=1200, ge=0, description="/graphql requests one API key may make per minute, sustained; 0: no limit."
    )
    rate_limit_graphql_burst: int = Field(
        default=300, ge=1, le=1_000_000, description="/graphql requests one API key may make at once after a pause."
    )
    rate_limit_ingest_per_minute: float = Field(
        default=600, ge=0, description="Ingest batches one API key may send per minute, sustained; 0: no limit."
    )
    rate_limit_ingest_burst: int = Field(
        default=120, ge=1, le=1_000_000, description="Ingest batches one API key may send at once after a pause."
    )
    rate_limit_unauthenticated_per_minute: float = Field(
        default=60,
        ge=0,
        description="Requests without a valid API key (none, malformed, unknown, revoked) one client address may "
        "make per minute, sustained, per process; then 429 before any key lookup; 0: no limit.",
    )
    rate_limit_unauthenticated_burst: int = Field(
        default=30, ge=1, le=1_000_000, description="Requests without a valid API key one address may make at once."
    )
    api_key_cache_seconds: float = Field(
        default=10,
        ge=0,
        le=3600,
        description="A valid key is remembered this long per process (no lookup per request); a revocation from "
        "another process takes effect within it; 0: look every key up every time.",
    )
    ingest_max_records: int = Field(default=1000, ge=1, le=100_000, description="Most records in one batch.")
    ingest_idempotency_ttl_hours: float = Field(
        default=72, gt=0, le=24 * 365, description="How long an Idempotency-Key's first response is kept and replayed."
    )
    ingest_max_future_skew_minutes: float = Field(
        default=60,
        ge=0,
        le=7 * 24 * 60,
        description="Usage events dated further than this ahead of the server clock are rejected.",
    )
    usage_user_ids_case_insensitive: bool = Field(
        default=False, description="Compare usage events' user ids lower-cased ('U1' and 'u1' are one user)."
    )
    ingest_analyze: bool = Field(
        default=True,
        description="After ingest batches, ANALYZE the tables they grew past autovacuum's threshold, without waiting"
        " for autovacuum's round (off: statistics are autovacuum's alone).",
    )
    ingest_max_concurrent: int = Field(
        default=8, ge=1, le=1000, description="Ingest batches one process runs at once; more get 429."
    )
    health_recompute_interval_seconds: float = Field(
        default=3600, ge=0, description="Recompute every account's health this often; 0: never on a timer."
    )
    health_recompute_after_ingest_seconds: float = Field(
        default=30, ge=0, description="Recompute this long after ingest changed score inputs; 0: not after ingest."
    )
    health_history_full_days: int = Field(
        default=0,
        ge=0,
        le=36500,
        description="Keep every recompute's score this many days; older ones thin to one per account, score name and"
        " UTC day (its last) plus every band change. 0: keep every score.",
    )
    alert_usage_drop_percent: float = Field(
        default=30, gt=0, le=100, description="usage_drop: active users (30 days) down at least this much."
    )
    alert_usage_drop_min_users: int = Field(
        default=5, ge=1, description="usage_drop: only for accounts with at least this many users before."
    )
    alert_no_login_days: int = Field(default=14, ge=1, le=365, description="no_logins: nobody seen for this long.")
    alert_ticket_spike_min: int = Field(default=3, ge=1, description="ticket_spike: at least this many in 7 days,")
    alert_ticket_spike_factor: float = Field(
        default=2, gt=1, description="ticket_spike: and this many times the weekly average of the 8 weeks before."
    )
    alert_renewal_days: int = Field(
        default=60, ge=1, le=730, description="renewal_while_red: a red account renewing within this many days."
    )
    webhooks_deliver: bool = Field(
        default=True, description="Run the webhook delivery worker in this process (off: another process delivers)."
    )
    webhook_poll_seconds: float = Field(
        default=1, gt=0, le=60, description="How often an idle delivery worker looks for due deliveries."
    )
    webhook_timeout_seconds: float = Field(
        default=15, gt=0, le=60, description="How long a receiver has to answer one delivery attempt."
    )
    webhook_concurrency: int = Field(
        default=8, ge=1, le=100, description="Deliveries one worker posts at once (each claims its own)."
    )
    webhook_disable_after_hours: float = Field(
        default=72,
        gt=0,
        le=24 * 30,
        description="An endpoint failing every attempt for this long (no success in between) is disabled.",
    )
    webhook_secret_overlap_hours: float = Field(
        default=24, ge=0, le=24 * 7, description="After a secret rotation, the old secret also signs for this long."
    )
    webhook_allow_loopback: bool = Field(
        default=False, description="Allow webhook URLs that resolve to loopback addresses (127.0.0.0/8, ::1)."
    )
    webhook_allow_private_networks: bool = Field(
        default=False,
        description="Allow webhook URLs that resolve to private, link-local, shared or reserved addresses.",
    )
    clock_sweep: bool = Field(
        default=True,
        description="Run the clock's sweep in this process (renewal.upcoming, action_item.overdue, ticket.escalated "
        "on a breached SLA); off: another process sweeps, or none.",
    )
    clock_sweep_interval_seconds: float = Field(
        default=300, gt=0, le=86_400, description="How often the clock's sweep runs (one process at a time)."
    )
    renewal_notice_days: Annotated[list[int], NoDecode] = Field(
        default=[90, 60, 30],
        description="renewal.upcoming: announce a contract's renewal (or end) date this many days before, once per "
        "window (comma-separated, 1 to 730; empty: never).",
    )
    subscription_connections_per_key: int = Field(
        default=10,
        ge=1,
        le=10_000,
        description="Open subscription WebSockets one API key or person may hold per process.",
    )
    subscriptions_per_connection: int = Field(
        default=20, ge=1, le=1000, description="Subscriptions (operations) one WebSocket may run at once."
    )
    subscription_idle_seconds: float = Field(
        default=300,
        gt=0,
        le=86_400,
        description="A WebSocket with no subscription and no message for this long is closed.",
    )
    subscription_queue_size: int = Field(
        default=256,
        ge=1,
        le=100_000,
        description="Events waiting for one subscriber; past it the slow consumer is dropped.",
    )
    demo_accounts: int = Field(
        default=300, ge=1, le=100_000, description="Accounts in the demo company `serve --demo` seeds into an empty DB."
    )
    source_priority: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated sources, most trusted first, for account profile fields sources disagree on.",
    )
    shared_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated domains that never identify an account (free mail, shared hosting), "
        "added to the built-in list in service.ingest.shared_domains.",
    )
    # GraphQL operation limits (service.api.limits); the defaults leave the 360 page, a 100-account
    # portfolio, handoffContext, BI pulls and GraphiQL's introspection ample room.
    graphql_max_tokens: int = Field(
        default=2000, ge=100, le=1_000_000, description="Most lexical tokens (comments included) in a document."
    )
    graphql_max_depth: int = Field(default=10, ge=2, le=100, description="Deepest nesting of fields in an operation.")
    graphql_max_aliases: int = Field(default=50, ge=0, le=100_000, description="Most aliased fields in an operation.")
    graphql_max_fields: int = Field(
        default=500,
        ge=1,
        le=100_000,
        description="Most field selections in an operation, fragments expanded and repeated fields counted "
        "(GraphiQL's introspection query has ~230).",
    )
    graphql_max_cost: int = Field(
        default=100_000,
        ge=1,
        description="Highest estimated cost: each field 1, a list multiplies its selection by the items it returns, "
        "priced from its arguments (service.api.prices).",
    )
    graphql_cost_list_size: int = Field(
        default=10,
        ge=1,
        le=10_000,
        description="Items the cost estimate assumes for a list of stored rows whose number no argument bounds "
        "(an account's contacts, a contract's lines…).",
    )
    graphql_cost_group_values: int = Field(
        default=50,
        ge=1,
        le=100_000,
        description="Values the cost estimate assumes for a free-text metric dimension (INDUSTRY, CSM_OWNER, "
        "PRODUCT) in `groupBy`.",
    )
    graphql_cost_max_groups: int = Field(
        default=1000, ge=1, le=1_000_000, description="Most groups the cost estimate assumes one metric row set has."
    )
    graphql_max_response_rows: int = Field(
        default=50_000,
        ge=1,
        description="Most list items one GraphQL response holds, counted while it is built; above, the request "
        "stops with RESPONSE_TOO_LARGE.",
    )
    graphql_compiled_reads: bool = Field(
        default=True,
        description="Run each query root field whose selection the planner compiles as one SQL statement whose "
        "JSON PostgreSQL builds (the others run through the resolvers); false: resolvers only.",
    )
    graphql_statement_cache_size: int = Field(
        default=1000,
        ge=0,
        le=1_000_000,
        description="Compiled read statements kept per process (by document, operation, role, day and "
        "variables), least recently used dropped first; 0 plans every request anew.",
    )
    graphql_persisted_queries: bool = Field(
        default=True,
        description="Automatic persisted queries: a client may send a document's SHA-256 instead of its text "
        "once this process has seen the text (service.graphql.persisted).",
    )
    graphql_apq_max_documents: int = Field(
        default=1000, ge=1, le=1_000_000, description="Documents kept per process for automatic persisted queries."
    )
    graphql_trusted_documents: Path | None = Field(
        default=None,
        description="A manifest of the only operations that may run (Apollo persisted-query manifest or a "
        "{sha256: document} JSON object); unset: any operation.",
    )
    graphql_max_response_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description="Largest encoded GraphQL response body; above, RESPONSE_TOO_LARGE instead.",
    )

    # People: OIDC/JWT bearer tokens beside API keys (service.oidc); unset issuer: API keys only.
    oidc_issuer: str | None = Field(
        default=None,
        description="The issuer (`iss`) whose signed bearer tokens cshub accepts beside API keys; unset: keys only.",
    )
    oidc_audience: str | None = Field(
        default=None, description="The audience (`aud`) a token must name: cshub's client id at the issuer."
    )
    oidc_jwks_url: str | None = Field(
        default=None,
        description="Where the issuer publishes its signing keys; unset: the jwks_uri of "
        "{issuer}/.well-known/openid-configuration.",
    )
    oidc_role_claim: str = Field(
        default="cshub_role",
        min_length=1,
        description="The claim carrying the person's role(s): a string or a list; dots reach into objects "
        "(realm_access.roles).",
    )
    oidc_roles: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="Comma-separated claim-value=role pairs (cs-team=csm,sales=sales); unset: the claim holds "
        "cshub role names.",
    )
    oidc_person_claim: str = Field(default="sub", min_length=1, description="The claim with the person's stable id.")
    oidc_email_claim: str = Field(default="email", min_length=1, description="The claim with the person's email.")
    oidc_name_claim: str = Field(default="name", min_length=1, description="The claim with the display name.")
    oidc_leeway_seconds: float = Field(
        default=30, ge=0, le=300, description="Clock skew allowed on `exp`, `nbf` and `iat`."
    )
    oidc_jwks_cache_seconds: float = Field(
        default=600, ge=1, le=86_400, description="How long the signing keys are kept before they are read again."
    )
    cors_allow_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins (https://cs.example.com) whose browser pages may call the API; "
        "unset: none. No cookies are used, so there is nothing for CSRF to ride on.",
    )
    # Segment-compatible tracking (service.segment): POST /segment/v1/{batch,track,identify,group,...}.
    segment_source: str = _source_name("segment", "Segment calls")
    segment_traits_file: Path | None = Field(
        default=None,
        description="A JSON file mapping identify traits to contact fields and group traits to account fields "
        "(service.segment.mapping); unset: the defaults there.",
    )
    segment_webhook_secret: str | None = Field(
        default=None,
        description="The Segment Webhooks destination's shared secret: when set, every /segment request must carry "
        "X-Signature, the hex HMAC-SHA1 of its body under this secret (401 otherwise).",
    )

    # Zendesk Support (service.adapters.zendesk): POST /zendesk/v1/tickets and /zendesk/v1/webhook.
    zendesk_source: str = _source_name("zendesk", "Zendesk records")
    zendesk_mapping_file: Path | None = _mapping_file(
        "Zendesk",
        "statuses, priorities, types, custom field ids, satisfaction scores, organization and user fields",
    )
    zendesk_webhook_secret: str | None = Field(
        default=None,
        description="The Zendesk webhook's signing secret: when set, every /zendesk/v1/webhook request must carry "
        "X-Zendesk-Webhook-Signature, base64(HMAC-SHA256(timestamp + body)), and its timestamp (401 otherwise).",
    )

    # HubSpot CRM (service.adapters.hubspot): POST /hubspot/v1/objects/{object_type} and /hubspot/v1/webhook.
    hubspot_source: str = _source_name("hubspot", "HubSpot records")
    hubspot_mapping_file: Path | None = _mapping_file(
        "HubSpot",
        "deal stages and types, lifecycle stages, company and contact properties, owners",
    )
    hubspot_app_secret: str | None = Field(
        default=None,
        description="The HubSpot app's client secret: every /hubspot/v1/webhook request must carry "
        "X-HubSpot-Signature-v3 under it and an X-HubSpot-Request-Timestamp at most five minutes old (401 "
        "otherwise); unset, the webhook route refuses every request.",
    )
    # Salesforce (service.adapters.salesforce): POST /salesforce/v1/records, /bulk/{sobject} and /events.
    salesforce_source: str = _source_name("salesforce", "Salesforce records")
    salesforce_mapping_file: Path | None = _mapping_file(
        "Salesforce",
        "opportunity stages and types, contract terms, case statuses, priorities and types, account and contact "
        "fields, owner names",
    )

    @property
    def request_connections(self) -> int:
        """``db_connections_per_request``, never more than the pool can hand out."""
        return min(self.db_connections_per_request, self.db_pool_size + self.db_max_overflow)

    @field_validator("database_url", mode="before")
    @classmethod
    def _normalize_url(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return None
            return normalize_database_url(value)
        return value

    @field_validator("source_priority", "shared_domains", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("renewal_notice_days", mode="before")
    @classmethod
    def _notice_days(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            try:
                days = sorted({int(day) for day in value}, reverse=True)
            except (TypeError, ValueError):
                raise ValueError(f"{value!r}: whole numbers of days, comma-separated, such as 90,60,30") from None
            if any(not 1 <= day <= 730 for day in days):
                raise ValueError(f"{value!r}: each window is 1 to 730 days")
            return days
        return value

    @field_validator("cors_allow_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for origin in value:
                if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", str(origin)):
                    raise ValueError(f"{origin!r} is not an origin such as https://cs.example.com (scheme and host)")
        return value

    @field_validator("oidc_roles", mode="before")
    @classmethod
    def _role_pairs(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        pairs: dict[str, str] = {}
        for part in (part.strip() for part in value.split(",")):
            if not part:
                continue
            claim_value, equals, role = part.partition("=")
            if not equals or not claim_value.strip() or role.strip() not in TOKEN_ROLES:
                raise ValueError(f"{part!r} is not a claim-value=role pair with a role among {', '.join(TOKEN_ROLES)}")
            pairs[claim_value.strip()] = role.strip()
        return pairs

    @field_validator("oidc_issuer", "oidc_jwks_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://\S+", value):
            raise ValueError("must be an http(s) URL such as https://login.example.com/realms/cs")
        return value.rstrip("/") if value is not None else None

    @model_validator(mode="after")
    def _audience_with_issuer(self) -> "Settings":
        if self.oidc_issuer is not None and not self.oidc_audience:
            raise ValueError("CSHUB_OIDC_AUDIENCE must be set with CSHUB_OIDC_ISSUER (cshub's client id there)")
        return self

    @field_validator("shared_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        return [normalize_domain(domain) for domain in value]

    @field_validator("log_level", "environment", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus explicit overrides; one readable line on failure."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]).upper().removeprefix("CSHUB_")
            message = error["msg"].removeprefix("Value error, ")
            if not error["loc"]:  # a rule across settings: its message names them
                problems.append(message)
            elif field == "DATABASE_URL":
                # Never echo the URL back: it may carry a password.
                problems.append(f"CSHUB_DATABASE_URL (or DATABASE_URL) {message}")
            else:
                problems.append(f"CSHUB_{field}: {message} (got {error.get('input')!r})")
        raise ConfigurationError("invalid configuration: " + "; ".join(problems)) from None
