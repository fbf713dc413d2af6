"""Configurable policy values, validated once and versioned by their content.

The law gives no validity period or response time: those are policy, never
constants in code. A decision stores `Policy.version` so that it can later be
explained with the values that made it.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from policies.vocabulary import INCIDENT_KINDS, ROLES

ROUTING_RULES = ("workplace", "residence")


class PolicyError(ValueError):
    """A policy file names an unknown key or gives a value of the wrong type."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.reason = message


@dataclass(frozen=True, slots=True)
class Policy:
    routing_rule: str
    police_response_days: int
    clearance_validity_months: int
    reverification_window_days: int
    training_validity_months: int
    mfa_required_roles: tuple[str, ...]
    suspending_incident_kinds: tuple[str, ...]
    retention_years: int

    @property
    def version(self) -> str:
        """A short digest of the effective values: equal values, equal version."""
        return _version(self)


@lru_cache(maxsize=16)
def _version(policy: Policy) -> str:
    canonical = json.dumps(asdict(policy), sort_keys=True, separators=(",", ":"))
    return "p-" + hashlib.sha256(canonical.encode()).hexdigest()[:12]


_INT_RANGES: dict[str, tuple[int, int]] = {
    "police_response_days": (1, 365),
    "clearance_validity_months": (1, 120),
    "reverification_window_days": (0, 365),
    "training_validity_months": (1, 120),
    "retention_years": (3, 100),
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "mfa_required_roles": ROLES,
    "suspending_incident_kinds": INCIDENT_KINDS,
}


def _check(key: str, value: Any) -> Any:
    if key == "routing_rule":
        if value not in ROUTING_RULES:
            raise PolicyError(key, f"must be one of {', '.join(ROUTING_RULES)}")
        return value
    if key in _INT_RANGES:
        low, high = _INT_RANGES[key]
        if type(value) is not int or not low <= value <= high:
            raise PolicyError(key, f"must be an integer from {low} to {high}")
        return value
    allowed = _CHOICES[key]
    if not isinstance(value, list) or any(item not in allowed for item in value):
        raise PolicyError(key, f"must be a list drawn from {', '.join(allowed)}")
    return tuple(dict.fromkeys(value))


def _defaults() -> dict[str, Any]:
    text = resources.files("policies").joinpath("defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def build_policy(overrides: dict[str, Any] | None = None) -> Policy:
    """Merge overrides into the defaults, refusing unknown keys and bad types."""
    known = {f.name for f in fields(Policy)}
    values = _defaults()
    for key, value in (overrides or {}).items():
        if key not in known:
            raise PolicyError(key, "unknown policy key")
        values[key] = value
    return Policy(**{key: _check(key, values[key]) for key in known})


def load_policy(path: Path | None) -> Policy:
    """Read a TOML override file; `None` gives the built-in defaults."""
    if path is None:
        return build_policy()
    try:
        overrides = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError("KT1_POLICY_FILE", f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError("KT1_POLICY_FILE", f"not valid TOML: {exc}") from exc
    return build_policy(overrides)
