"""Configuration models loaded from plain data, JSON or YAML text."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Self

from pydantic import BaseModel, ValidationError

__all__ = ["Loadable", "parse_json", "parse_yaml"]


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


class Loadable(BaseModel):
    """A model loaded from plain data, JSON or YAML, with every problem reported at once.

    A subclass says how: :meth:`_refused` turns pydantic's errors into its own error,
    :meth:`_unparsable` a reason the text could not be parsed.
    """

    @classmethod
    def _refused(cls, invalid: ValidationError, data: Mapping[str, Any]) -> Exception:
        raise NotImplementedError

    @classmethod
    def _unparsable(cls, reason: str) -> Exception:
        raise NotImplementedError

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> Self:
        """Validate plain data (parsed JSON or YAML); every problem is reported at once."""
        try:
            return cls.model_validate(data)
        except ValidationError as invalid:
            raise cls._refused(invalid, data) from None

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Load from JSON text."""
        return cls.load(parse_json(text, cls._unparsable))

    @classmethod
    def from_yaml(cls, text: str) -> Self:
        """Load from YAML text (needs ``orderkit[yaml]``)."""
        return cls.load(parse_yaml(text, f"{cls.__name__}.from_yaml", cls._unparsable))
