"""Which Segment traits become which cshub fields: identify traits → contact fields, group traits → account fields.

The defaults follow Segment's reserved traits (https://segment.com/docs/connections/spec/identify/#traits and
.../group/#traits). ``CSHUB_SEGMENT_TRAITS_FILE`` names a JSON file that replaces the mapping of a call it names::

    {"identify": {"email": "email", "name": "name", "jobTitle": "title"},
     "group": {"name": "name", "website": "domain", "tier": "segment", "csm": "csm_owner"}}

Several traits may feed one field: the first present in the call, in the file's order, wins. The file is read
and checked when the app is built, so a typo stops the server with a message naming the key, not a call later.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from service.errors import ConfigurationError
from service.ingest.account_records import PROFILE_FIELDS

CONTACT_FIELDS = ("name", "email", "phone", "title", "role")
ACCOUNT_FIELDS = PROFILE_FIELDS  # an account's profile, as every source's account records carry it
_FIELDS = {"identify": CONTACT_FIELDS, "group": ACCOUNT_FIELDS}
_DEFAULTS: dict[str, dict[str, str]] = {
    "identify": {"name": "name", "email": "email", "phone": "phone", "title": "title"},
    "group": {"name": "name", "website": "domain", "domain": "domain", "industry": "industry"},
}


@dataclass(frozen=True, slots=True)
class TraitMapping:
    """trait name → field name, per call (``identify``: contact fields; ``group``: account fields)."""

    identify: Mapping[str, str] = field(default_factory=lambda: MappingProxyType(_DEFAULTS["identify"]))
    group: Mapping[str, str] = field(default_factory=lambda: MappingProxyType(_DEFAULTS["group"]))

    def fields(self, call: str, traits: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
        """The fields ``traits`` set, each with the trait it came from (for error paths): {field: (trait, value)}."""
        mapping = self.identify if call == "identify" else self.group
        found: dict[str, tuple[str, Any]] = {}
        for trait, target in mapping.items():
            if trait in traits and target not in found:
                found[target] = (trait, traits[trait])
        return found


DEFAULT_MAPPING = TraitMapping()


def load_mapping(path: Path | None) -> TraitMapping:
    """The mapping in ``path`` (the defaults for a call it does not name); ConfigurationError naming the problem."""
    if path is None:
        return DEFAULT_MAPPING
    where = f"CSHUB_SEGMENT_TRAITS_FILE {path}"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{where}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{where}: is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        problem = f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise ConfigurationError(f"{where}: {problem}") from None
    return TraitMapping(**parse_mapping(document, where))


def parse_mapping(document: Any, where: str) -> dict[str, Mapping[str, str]]:
    if not isinstance(document, dict):
        raise ConfigurationError(f'{where}: must be a JSON object such as {{"identify": {{...}}, "group": {{...}}}}')
    unknown = sorted(set(document) - set(_FIELDS))
    if unknown:
        raise ConfigurationError(f"{where}: unknown key(s) {', '.join(unknown)}; expected 'identify' and/or 'group'")
    sections: dict[str, Mapping[str, str]] = {}
    for call, section in document.items():
        if not isinstance(section, dict):
            raise ConfigurationError(f"{where}: {call!r} must be an object of trait name → field name")
        allowed = _FIELDS[call]
        for trait, target in section.items():
            if not trait.strip():
                raise ConfigurationError(f"{where}: {call}: a trait name must not be blank")
            if target not in allowed:
                kind = "a contact" if call == "identify" else "an account"
                raise ConfigurationError(
                    f"{where}: {call}.{trait} → {target!r} is not {kind} field; one of: {', '.join(allowed)}"
                )
        sections[call] = MappingProxyType(dict(section))
    return sections
