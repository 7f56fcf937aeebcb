"""Orders from spreadsheet exports, merged into one set (MISSION C8).

Backends that offer no API export orders as spreadsheets, one row per order line.
:class:`CsvExport` names the columns of one backend's export; :func:`read_csv` and
:func:`read_csv_bytes` group the rows into orders by order id and map each one through
the same :class:`~orderkit.channels.FieldMapper` the API channels use; every problem
of the file is reported at once, by row (``row 14.unit_price``), with personal data
masked. :func:`merge_exports` keeps one order per channel reference across exports and
reports the copies that differ.

.. versionadded:: 0.1
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple

from orderkit.channels._csv_config import (
    CONVERTERS,
    LINE_FIELDS,
    ORDER_FIELDS,
    PERSONAL,
    CsvColumns,
    CsvExport,
)
from orderkit.channels._dedup import Deduplicated, dedupe
from orderkit.channels._fieldmapper import FieldMapper
from orderkit.channels._types import ChannelOrder
from orderkit.errors import FieldMapInvalid, InvalidChannelInput, MappingFailed, MappingProblem

__all__ = ["CsvColumns", "CsvExport", "merge_exports", "read_csv", "read_csv_bytes"]

SOURCE: Final = "csv"
"""The channel named in a :class:`~orderkit.errors.MappingFailed` about a file."""
_MASKED: Final = "<masked>"
_LINE_PATH: Final = re.compile(r"lines\[(\d+)\](?:\.(.+))?")


class _Row(NamedTuple):
    number: int
    """The spreadsheet's row number: the header is row 1."""
    cells: dict[str, str | None]


def read_csv_bytes(
    export: CsvExport, data: bytes, encoding: str = "utf-8"
) -> tuple[ChannelOrder, ...]:
    """The orders in an exported file's bytes; a UTF-8 byte order mark is skipped.

    Excel in China saves CSV as ``gbk`` (or ``gb18030``); name it in ``encoding``.
    Bytes that do not decode raise ``InvalidChannelInput`` saying where.
    """
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InvalidChannelInput(f"unknown encoding {encoding!r}") from None
    try:
        text = data.decode("utf-8-sig" if name == "utf-8" else name)
    except UnicodeDecodeError as error:
        raise InvalidChannelInput(
            f"the export is not {encoding} text (byte {error.start} does not decode): "
            "Excel exports are often gbk"
        ) from None
    return read_csv(export, text)


def read_csv(export: CsvExport, text: str) -> tuple[ChannelOrder, ...]:
    """The orders in an export's text, in the order their first rows appear.

    Rows with the same order id are one order: the order-level columns (channel,
    created time, currency, buyer, address, status) must agree across them. Lines are
    numbered ``1``, ``2``... in row order, so the same order in two exports has the same
    line ids. Blank rows are skipped. Any problem in the file raises one
    ``MappingFailed`` listing them all, so nothing of a bad file is half-imported.
    """
    problems: list[MappingProblem] = []
    groups = _groups(export, text.removeprefix("\ufeff"), problems)
    mappers: dict[str, FieldMapper | None] = {}
    found: list[ChannelOrder] = []
    for rows in groups.values():
        if not _agree(rows, problems):
            continue
        order = _map(export, rows, mappers, problems)
        if order is not None:
            found.append(order)
    if problems:
        raise MappingFailed(SOURCE, problems)
    return tuple(found)


def merge_exports(*exports: Iterable[ChannelOrder]) -> Deduplicated:
    """One order per channel reference across exports, with a report of the duplicates.

    The same order in two exports is kept once; copies that differ are reported as
    conflicts by the fields that differ, never their values.
    """
    return dedupe(mapped.order for export in exports for mapped in export)


def _groups(export: CsvExport, text: str, problems: list[MappingProblem]) -> dict[str, list[_Row]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=export.delimiter)
    header = [cell.strip() for cell in next(reader, [])]
    where = _columns(export.columns, header, problems)
    groups: dict[str, list[_Row]] = {}
    if problems:
        return groups
    for number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = {name: _cell(record, index) for name, index in where.items()}
        order_id = cells["order_id"]
        if order_id is None:
            problems.append(MappingProblem(f"row {number}.order_id", "<missing>", "required"))
            continue
        groups.setdefault(order_id, []).append(_Row(number, cells))
    return groups


def _columns(
    columns: CsvColumns, header: Sequence[str], problems: list[MappingProblem]
) -> dict[str, int]:
    where: dict[str, int] = {}
    for name, title in columns.named().items():
        if header.count(title) != 1:
            found = "twice" if title in header else "nowhere"
            problems.append(
                MappingProblem(f"row 1.{name}", title, f"column {title!r} is {found} in the header")
            )
        else:
            where[name] = header.index(title)
    return where


def _cell(record: Sequence[str], index: int) -> str | None:
    value = record[index].strip() if index < len(record) else ""
    return value or None


def _shown(field: str, value: str | None) -> str:
    if value is None:
        return "<missing>"
    return _MASKED if field in PERSONAL else value


def _agree(rows: Sequence[_Row], problems: list[MappingProblem]) -> bool:
    first, *others = rows
    before = len(problems)
    for name in ORDER_FIELDS:
        expected = first.cells.get(name)
        problems.extend(
            MappingProblem(
                f"row {row.number}.{name}",
                _shown(name, row.cells.get(name)),
                f"differs from row {first.number}, the first row of the order",
            )
            for row in others
            if row.cells.get(name) != expected
        )
    return len(problems) == before


def _map(
    export: CsvExport,
    rows: Sequence[_Row],
    mappers: dict[str, FieldMapper | None],
    problems: list[MappingProblem],
) -> ChannelOrder | None:
    first = rows[0]
    channel = export.channel or first.cells.get("channel") or ""
    if channel not in mappers:
        try:
            mappers[channel] = FieldMapper(export.field_map(channel), CONVERTERS)
        except FieldMapInvalid:
            mappers[channel] = None
    mapper = mappers[channel]
    if mapper is None:
        problems.append(
            MappingProblem(
                f"row {first.number}.channel",
                channel or "<missing>",
                "a channel is lower-case letters, digits, '_', '.' or '-'",
            )
        )
        return None
    payload: dict[str, Any] = {name: first.cells.get(name) for name in ORDER_FIELDS}
    payload["currency"] = export.currency or payload["currency"]
    payload["lines"] = [
        {"line_id": str(i), **{name: row.cells.get(name) for name in LINE_FIELDS}}
        for i, row in enumerate(rows, start=1)
    ]
    try:
        return mapper.map(payload)
    except MappingFailed as failed:
        problems.extend(_by_row(problem, rows) for problem in failed.problems)
        return None


def _by_row(problem: MappingProblem, rows: Sequence[_Row]) -> MappingProblem:
    """``lines[1].unit_price`` of the order becomes ``row 14.unit_price`` of the file."""
    found = _LINE_PATH.fullmatch(problem.path)
    if found is None:
        return problem._replace(path=f"row {rows[0].number}.{problem.path}")
    index, field = found.groups()
    return problem._replace(path=f"row {rows[int(index)].number}.{field or 'line'}")
