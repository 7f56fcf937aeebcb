"""Parsing configuration text (JSON or YAML) before a model validates it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["parse_json", "parse_yaml"]


def parse_json(text: str | bytes, invalid: Callable[[str], Exception]) -> Any:
    """``text`` parsed as JSON; malformed text raises ``invalid(reason)``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise invalid(f"not valid JSON: {error}") from None


def parse_yaml(text: str, owner: str, invalid: Callable[[str], Exception]) -> Any:
    """``text`` parsed as YAML (needs ``orderkit[yaml]``); malformed text raises ``invalid``.

    ``owner`` names the loader in the message when PyYAML is missing, e.g.
    ``"RuleSet.from_yaml"``.
    """
    try:
        import yaml
    except ImportError as missing:
        raise ImportError(f"{owner} needs PyYAML: pip install 'orderkit[yaml]'") from missing
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise invalid(f"not valid YAML: {error}") from None
