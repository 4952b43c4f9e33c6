"""Typed inline-button data: each feature declares its buttons once, the codec packs and parses them.

Telegram gives a button at most 64 bytes of ``callback_data`` and hands back whatever a client sends, so a
forged or stale value must be refused quietly rather than crash a handler. A declaration::

    class MeetingAction(StrEnum):
        CARD = "card"
        ATTEND = "att"

    class MeetingButton(CallbackData, prefix="mt"):
        meeting: Id                      # 1 ≤ id ≤ 2**63-1 (a database id)
        action: MeetingAction
        member: Id | None = None         # optional: left out of the packed text when None

    MeetingButton(meeting=123, action=MeetingAction.CARD).pack()   # 'mt:123:card'
    MeetingButton.parse('mt:123:card')                              # MeetingButton(meeting=123, …)
    MeetingButton.parse('mt:-1:card')                               # raises BadCallback (a quiet refusal)
    CallbackQueryHandler(on_meeting, pattern=MeetingButton.pattern())

Field types: ``int`` (0 … 2**63-1), :data:`Id` (1 … 2**63-1), ``Annotated[int, IntRange(lo, hi)]``, ``str``
(non-empty, no ``:``), ``bool`` (``1``/``0``), a string ``Enum`` (its values) or a ``Literal`` of strings; any
of them ``| None`` with a default. Fields with defaults come last; trailing fields equal to ``None`` are left
out when packing, and missing trailing fields take their defaults when parsing, so ``va:5`` and ``va:5:join``
can be one declaration. Packing wrong values (too long, a ``:`` in a string, out of range) is a programming
error and raises ``ValueError``; parsing what came from Telegram raises only :class:`BadCallback`.

No Telegram import here: services may build buttons with it, handlers parse with it.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Self, dataclass_transform

from bot.errors import InvalidInput
from bot.i18n import N_

SEPARATOR = ":"
MAX_BYTES = 64  # Telegram's limit on callback_data
INT64_MAX = 2**63 - 1
_PREFIX = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")


class BadCallback(InvalidInput):
    """Button data that this declaration cannot have produced (stale, forged, malformed): refused, nothing done."""

    def __init__(self, data: str | None = None, reason: str = "") -> None:
        super().__init__(N_("This button is no longer valid. Please open the menu again."))
        self.data = data
        self.reason = reason

    def __str__(self) -> str:
        return f"bad callback data {self.data!r}: {self.reason}"


@dataclass(frozen=True)
class IntRange:
    """Bounds (inclusive) of an int field: ``Annotated[int, IntRange(1, 12)]``."""

    low: int = 0
    high: int = INT64_MAX


Id = Annotated[int, IntRange(1, INT64_MAX)]
"""A database id: positive, within PostgreSQL's BIGINT."""


@dataclass(frozen=True)
class _Field:
    """How one declared field is written and read."""

    name: str
    kind: str  # "int", "str", "bool", "choice"
    optional: bool  # None is an allowed value
    has_default: bool
    default: Any
    low: int = 0
    high: int = INT64_MAX
    choices: tuple[str, ...] = ()
    enum_type: type[enum.Enum] | None = None

    def regex(self) -> str:
        if self.kind == "int":
            return r"-?\d{1,19}" if self.low < 0 else r"\d{1,19}"
        if self.kind == "bool":
            return "[01]"
        if self.kind == "choice":
            return "(?:" + "|".join(re.escape(c) for c in sorted(self.choices, key=len, reverse=True)) + ")"
        return "[^:]+"

    def encode(self, value: Any) -> str:
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{self.name}: an int is needed, not {value!r}")
            if not self.low <= value <= self.high:
                raise ValueError(f"{self.name}: {value} is outside {self.low}…{self.high}")
            return str(value)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{self.name}: a bool is needed, not {value!r}")
            return "1" if value else "0"
        if self.kind == "choice":
            text = value.value if isinstance(value, enum.Enum) else value
            if text not in self.choices or (self.enum_type is not None and not isinstance(value, self.enum_type)):
                raise ValueError(f"{self.name}: {value!r} is not one of {self.choices}")
            return str(text)
        if not isinstance(value, str) or not value or SEPARATOR in value:
            raise ValueError(f"{self.name}: a non-empty text without {SEPARATOR!r} is needed, not {value!r}")
        return value

    def decode(self, text: str) -> Any:
        """The value of ``text``; ValueError when it is not one this field can hold."""
        if self.kind == "int":
            # Digits only (int() would take "+1", " 1", "1_0" and full-width digits): one spelling per number.
            if not re.fullmatch(r"0|-?[1-9][0-9]{0,18}", text):
                raise ValueError(text)
            number = int(text)
            if not self.low <= number <= self.high:
                raise ValueError(text)
            return number
        if self.kind == "bool":
            if text not in ("0", "1"):
                raise ValueError(text)
            return text == "1"
        if self.kind == "choice":
            if text not in self.choices:
                raise ValueError(text)
            return self.enum_type(text) if self.enum_type is not None else text
        if not text:
            raise ValueError(text)
        return text


_REGISTRY: dict[str, type[CallbackData]] = {}


def registry() -> Mapping[str, type[CallbackData]]:
    """Every declared button kind by prefix (to list them, or check that none is forgotten)."""
    return dict(_REGISTRY)


def _field_of(name: str, hint: Any, default: Any, has_default: bool) -> _Field:
    low, high = 0, INT64_MAX
    if typing.get_origin(hint) is Annotated:
        base, *extras = typing.get_args(hint)
        for extra in extras:
            if isinstance(extra, IntRange):
                low, high = extra.low, extra.high
        hint = base
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) != 1 or len(typing.get_args(hint)) != 2:
            raise TypeError(f"{name}: only 'T | None' unions are supported")
        inner = members[0] if (low, high) == (0, INT64_MAX) else Annotated[members[0], IntRange(low, high)]
        return dataclasses.replace(_field_of(name, inner, default, has_default), optional=True)
    common: dict[str, Any] = {"name": name, "optional": False, "has_default": has_default, "default": default}
    if hint is bool:
        return _Field(kind="bool", **common)
    if hint is int:
        if low < -INT64_MAX - 1 or high > INT64_MAX or low > high:
            raise TypeError(f"{name}: the range must lie within signed 64 bits")
        return _Field(kind="int", low=low, high=high, **common)
    if hint is str:
        return _Field(kind="str", **common)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        values = tuple(member.value for member in hint)
        if not all(isinstance(v, str) and v and SEPARATOR not in v for v in values):
            raise TypeError(f"{name}: enum values must be non-empty strings without {SEPARATOR!r}")
        return _Field(kind="choice", choices=values, enum_type=hint, **common)
    if typing.get_origin(hint) is Literal:
        values = typing.get_args(hint)
        if not all(isinstance(v, str) and v and SEPARATOR not in v for v in values):
            raise TypeError(f"{name}: literal values must be non-empty strings without {SEPARATOR!r}")
        return _Field(kind="choice", choices=tuple(values), **common)
    raise TypeError(f"{name}: unsupported callback field type {hint!r}")


@dataclass_transform(frozen_default=True, kw_only_default=True)
class CallbackData:
    """Base of every button declaration; subclass it with ``prefix=`` and annotated fields (see the module)."""

    __prefix__: ClassVar[str]
    __fields__: ClassVar[tuple[_Field, ...]]
    __regex__: ClassVar[re.Pattern[str]]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _PREFIX.match(prefix):
            raise TypeError(f"callback prefix {prefix!r}: 1-16 of a-z, 0-9, _ or -, starting with a letter")
        known = _REGISTRY.get(prefix)
        # The same class declared again (a module reloaded) replaces itself; another class may not take the prefix.
        if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
            raise TypeError(f"callback prefix {prefix!r} is already used by {known.__module__}.{known.__qualname__}")
        dataclasses.dataclass(frozen=True, kw_only=True)(cls)
        hints = typing.get_type_hints(cls, include_extras=True)
        fields: list[_Field] = []
        for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
            has_default = spec.default is not dataclasses.MISSING
            fields.append(_field_of(spec.name, hints[spec.name], spec.default, has_default))
        for before, after in itertools.pairwise(fields):
            if before.has_default and not after.has_default:
                raise TypeError(f"{cls.__name__}: field {after.name} without a default follows one with a default")
        cls.__prefix__ = prefix
        cls.__fields__ = tuple(fields)
        cls.__regex__ = re.compile(cls._regex_text())
        _REGISTRY[prefix] = cls

    @classmethod
    def _regex_text(cls) -> str:
        text = "^" + re.escape(cls.__prefix__)
        closing = ""
        for spec in cls.__fields__:
            part = f"{SEPARATOR}({spec.regex()})"
            if spec.has_default:
                text += f"(?:{part}"
                closing += ")?"
            else:
                text += part
        return text + closing + "$"

    @classmethod
    def pattern(cls) -> str:
        """The regular expression (for ``CallbackQueryHandler(pattern=…)``) matching what this class packs."""
        return cls.__regex__.pattern

    @classmethod
    def prefix_pattern(cls) -> str:
        """Every press carrying this prefix, well formed or not: for a handler that parses it itself and answers a
        stale or forged one with its own words (``parse`` raising ``BadCallback``)."""
        return "^" + re.escape(cls.__prefix__) + "(:|$)"

    @classmethod
    def prefix(cls) -> str:
        """The declared prefix."""
        return cls.__prefix__

    def pack(self) -> str:
        """The button's ``callback_data``; ValueError when a value cannot be written or it exceeds 64 bytes."""
        parts = [self.__prefix__]
        values = [getattr(self, spec.name) for spec in self.__fields__]
        # Trailing None values are left out: "va:5" rather than "va:5::".
        while values and values[-1] is None and self.__fields__[len(values) - 1].has_default:
            values.pop()
        for spec, value in zip(self.__fields__, values, strict=False):
            if value is None:
                if not spec.optional:
                    raise ValueError(f"{spec.name} may not be None")
                raise ValueError(f"{spec.name}: None can only be left out at the end")
            parts.append(spec.encode(value))
        packed = SEPARATOR.join(parts)
        if len(packed.encode("utf-8")) > MAX_BYTES:
            raise ValueError(f"callback data {packed!r} is longer than {MAX_BYTES} bytes")
        return packed

    @classmethod
    def parse(cls, data: str | None) -> Self:
        """The button that packed ``data``; :class:`BadCallback` for anything else (never another exception)."""
        if not data or not isinstance(data, str) or len(data.encode("utf-8", "replace")) > MAX_BYTES:
            raise BadCallback(data if isinstance(data, str) else None, "empty or too long")
        prefix, _, rest = data.partition(SEPARATOR)
        if prefix != cls.__prefix__:
            raise BadCallback(data, f"not {cls.__prefix__!r}")
        texts = rest.split(SEPARATOR) if rest or data.endswith(SEPARATOR) else []
        required = sum(1 for spec in cls.__fields__ if not spec.has_default)
        if not required <= len(texts) <= len(cls.__fields__):
            raise BadCallback(data, "wrong number of fields")
        values: dict[str, Any] = {}
        for spec, text in zip(cls.__fields__, texts, strict=False):
            try:
                values[spec.name] = spec.decode(text)
            except ValueError:
                raise BadCallback(data, f"bad {spec.name}") from None
        return cls(**values)

    @classmethod
    def try_parse(cls, data: str | None) -> Self | None:
        """Like :meth:`parse`, but None instead of a refusal."""
        try:
            return cls.parse(data)
        except BadCallback:
            return None


def parse_any(data: str | None) -> CallbackData:
    """Whichever declared button packed ``data`` (by its prefix); :class:`BadCallback` when none did."""
    prefix = (data or "").partition(SEPARATOR)[0]
    kind = _REGISTRY.get(prefix)
    if kind is None:
        raise BadCallback(data, "unknown prefix")
    return kind.parse(data)


def forget(prefix: str) -> None:
    """Drop a declaration from the registry (tests declaring throwaway buttons clean up with it)."""
    _REGISTRY.pop(prefix, None)
