"""Mainland China addresses split into province, city and district (MISSION C6).

The 34 provincial-level divisions and the 333 prefecture-level ones (cities, autonomous
prefectures, leagues and 地区) are read from ``cn_regions.json``; see
``docs/channels-identity.md`` for the forms understood.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from typing import NamedTuple

import attrs

from orderkit._pii import MASK
from orderkit.errors import InvalidChannelInput
from orderkit.order import Address

__all__ = ["CnAddress", "mask_address_line", "normalise_cn_address"]

_MUNICIPALITY = "municipality"
_SAR = "sar"
_COUNTRY_PREFIXES = ("中华人民共和国", "中国")
_SEPARATORS = " \t\r\n\u3000,，、"
_CITY = re.compile(r"[^\s,，、]{1,20}?(?:自治州|地区|盟|市)")
_DISTRICT = re.compile(r"[^\s,，、]{1,15}?(?:区|县|旗|市区|市)")
_DISTRICT_OR_TOWN = re.compile(r"[^\s,，、]{1,15}?(?:区|县|旗|市区|市|街道|镇|乡)")
_CITIES_WITHOUT_DISTRICTS = frozenset({"东莞", "中山", "嘉峪关", "儋州"})
"""Prefecture-level cities divided straight into towns and subdistricts."""
_NOT_IN_A_DISTRICT = re.compile(r"[\dA-Za-z号弄巷栋室*]")
_MASKED_LINE = re.compile(r"(\S+-\S+-\S+ )?\*{4}")


class _Province(NamedTuple):
    short: str
    kind: str
    listed: bool
    """Whether the table lists its prefecture-level divisions (all but 台湾 and the SARs)."""


class _Names(dict[str, tuple[str, ...]]):
    """Names by their first character, longest first: a prefix lookup without a scan."""

    def __init__(self, names: Iterable[str]) -> None:
        super().__init__()
        for name in sorted(names, key=len, reverse=True):
            self[name[0]] = (*self.get(name[0], ()), name)

    def longest(self, text: str, pos: int) -> str:
        """The longest name that ``text`` holds at ``pos``, or ``""``."""
        return next((n for n in self.get(text[pos : pos + 1], ()) if text.startswith(n, pos)), "")


class _Regions(NamedTuple):
    provinces: dict[str, _Province]
    """Full and short names of every provincial-level division."""
    prefectures: dict[str, tuple[str, str]]
    """Prefecture-level names, in full and (for ``市``) short, to (province, city)."""
    short_cities: frozenset[str]
    """The short names (``杭州`` for ``杭州市``), only understood after a province."""
    province_names: _Names
    prefecture_names: _Names


@cache
def _regions() -> _Regions:
    data = json.loads(files("orderkit.channels").joinpath("cn_regions.json").read_text("utf-8"))
    provinces: dict[str, _Province] = {}
    prefectures: dict[str, tuple[str, str]] = {}
    short_cities: set[str] = set()
    for entry in data["provinces"]:
        province = _Province(entry["short"], entry["kind"], bool(entry["prefectures"]))
        provinces[entry["name"]] = provinces[entry["short"]] = province
        for name in entry["prefectures"]:
            city = name.removesuffix("市")
            prefectures[name] = prefectures[city] = (province.short, city)
            if city != name:
                short_cities.add(city)
    return _Regions(
        provinces, prefectures, frozenset(short_cities), _Names(provinces), _Names(prefectures)
    )


@attrs.frozen
class CnAddress:
    """A mainland China address split into its parts; the street never shows in a repr.

    ``province`` is the short name (``浙江``, ``广西``, ``上海``), ``city`` drops a
    trailing ``市`` (a municipality's city is the municipality), ``district`` keeps its
    suffix (``西湖区``, ``义乌市``, ``正蓝旗``).

    >>> address = normalise_cn_address("浙江省杭州市西湖区文三路 90 号")
    >>> address.key, address.street
    ('浙江-杭州-西湖区', '文三路 90 号')
    >>> address
    CnAddress(province='浙江', city='杭州', district='西湖区', street='****')
    """

    province: str
    city: str
    district: str
    street: str = attrs.field(repr=lambda street: repr(MASK if street else ""))

    @property
    def key(self) -> str:
        """``province-city-district``: the same for every spelling of one district."""
        return f"{self.province}-{self.city}-{self.district}"

    def to_address(self, country: str = "CN", **fields: str | None) -> Address:
        """A canonical :class:`~orderkit.order.Address`; ``fields`` adds the recipient,
        phone or postal code.

        >>> normalise_cn_address("上海市浦东新区世纪大道100号").to_address().city
        '上海'
        """
        return Address(
            country=country,
            province=self.province,
            city=self.city,
            district=self.district,
            street=self.street or None,
            **fields,
        )


def normalise_cn_address(text: str) -> CnAddress:
    """Split a free-text mainland China address; ``InvalidChannelInput`` if it cannot be.

    The province may be written in full, in short or left out (then the city, named in
    full, names it); spaces and commas between the parts are ignored. The error message
    says which part is missing and never repeats the address.

    >>> normalise_cn_address("杭州市西湖区文三路").key
    '浙江-杭州-西湖区'
    >>> normalise_cn_address("新疆 乌鲁木齐市 天山区 解放南路").key
    '新疆-乌鲁木齐-天山区'
    """
    regions = _regions()
    line = text.strip()
    pos = _skip(line, next((len(p) for p in _COUNTRY_PREFIXES if line.startswith(p)), 0))
    if pos == len(line):
        raise InvalidChannelInput("cannot split an empty address")
    province, city, pos = _province_and_city(line, pos, regions)
    pattern = _DISTRICT_OR_TOWN if city in _CITIES_WITHOUT_DISTRICTS else _DISTRICT
    match = pattern.match(line, _skip(line, pos))
    if match is None or not _is_district(match.group(), regions):
        raise InvalidChannelInput(
            f"cannot split the address in {province} {city}: no district, county or banner "
            f"(区, 县, 旗 or county-level 市) follows the city"
        )
    street = " ".join(line[_skip(line, match.end()) :].split())
    return CnAddress(province, city, match.group(), street)


def _is_district(name: str, regions: _Regions) -> bool:
    """Not a street (digits, 号, 室...) nor a prefecture-level division's full name."""
    prefecture = name in regions.prefectures and name not in regions.short_cities
    return not prefecture and _NOT_IN_A_DISTRICT.search(name) is None


def _skip(line: str, pos: int) -> int:
    """The position after the separators (spaces, commas) at ``pos``."""
    return len(line) - len(line[pos:].lstrip(_SEPARATORS))


def _province_and_city(line: str, pos: int, regions: _Regions) -> tuple[str, str, int]:
    name = _province_name(line, pos, regions)
    if not name:
        prefecture = regions.prefecture_names.longest(line, pos)
        if not prefecture or prefecture in regions.short_cities:
            raise InvalidChannelInput(
                "cannot split the address: it starts with neither a province (in full or "
                "short) nor the full name of a prefecture-level city"
            )
        return (*regions.prefectures[prefecture], pos + len(prefecture))
    province = regions.provinces[name]
    pos = _skip(line, pos + len(name))
    if province.kind in (_MUNICIPALITY, _SAR):
        repeated = next(
            (r for r in (f"{province.short}市", province.short) if line.startswith(r, pos)), ""
        )
        return province.short, province.short, pos + len(repeated)
    return (province.short, *_city(line, pos, province, regions))


def _province_name(line: str, pos: int, regions: _Regions) -> str:
    """The province named at ``pos``, unless a short name begins a city's (吉林市)."""
    name = regions.province_names.longest(line, pos)
    short = bool(name) and name == regions.provinces[name].short
    if short and len(regions.prefecture_names.longest(line, pos)) > len(name):
        return ""
    return name


def _city(line: str, pos: int, province: _Province, regions: _Regions) -> tuple[str, int]:
    """The city at ``pos``: one of the province's listed, or any name ending in 市, 自治州,
    地区 or 盟 for a province whose cities are not listed."""
    prefecture = regions.prefecture_names.longest(line, pos)
    if prefecture:
        owner, city = regions.prefectures[prefecture]
        if owner != province.short:
            raise InvalidChannelInput(
                f"cannot split the address: {city} is in {owner}, not in {province.short}"
            )
        return city, pos + len(prefecture)
    match = None if province.listed else _CITY.match(line, pos)
    if match is None:
        raise InvalidChannelInput(
            f"cannot split the address in {province.short}: no prefecture-level city "
            f"(市, 自治州, 地区 or 盟) follows the province"
        )
    return match.group().removesuffix("市"), match.end()


def mask_address_line(line: str) -> str:
    """An address line fit for logs: its district key, if it has one, and ``****``.

    >>> mask_address_line("浙江省杭州市西湖区文三路 90 号"), mask_address_line("文三路 90 号")
    ('浙江-杭州-西湖区 ****', '****')
    """
    if _MASKED_LINE.fullmatch(line):
        return line
    try:
        return f"{normalise_cn_address(line).key} {MASK}"
    except InvalidChannelInput:
        return MASK
