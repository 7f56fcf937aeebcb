"""Mainland China address normalisation (MISSION C6)."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from orderkit.channels._address import CnAddress, mask_address_line, normalise_cn_address
from orderkit.errors import InvalidChannelInput
from orderkit.order import Address


def test_c6_the_seed_example_splits_into_the_key() -> None:
    """C6: 浙江省杭州市西湖区文三路 -> 浙江-杭州-西湖区."""
    address = normalise_cn_address("浙江省杭州市西湖区文三路")
    assert address == CnAddress("浙江", "杭州", "西湖区", "文三路")
    assert address.key == "浙江-杭州-西湖区"


@pytest.mark.parametrize(
    ("text", "key", "street"),
    [
        ("北京市朝阳区三里屯路19号", "北京-北京-朝阳区", "三里屯路19号"),
        ("上海市浦东新区世纪大道100号", "上海-上海-浦东新区", "世纪大道100号"),
        ("天津市和平区南京路", "天津-天津-和平区", "南京路"),
        ("重庆市巫山县广东中路", "重庆-重庆-巫山县", "广东中路"),
        ("上海 上海市 浦东新区 世纪大道 100 号", "上海-上海-浦东新区", "世纪大道 100 号"),
        ("北京朝阳区建国路", "北京-北京-朝阳区", "建国路"),
        ("北京市北京市海淀区中关村大街", "北京-北京-海淀区", "中关村大街"),
    ],
)
def test_c6_municipalities_are_their_own_city(text: str, key: str, street: str) -> None:
    address = normalise_cn_address(text)
    assert (address.key, address.street) == (key, street)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("内蒙古自治区呼和浩特市新城区中山路", "内蒙古-呼和浩特-新城区"),
        ("内蒙古锡林郭勒盟正蓝旗上都镇", "内蒙古-锡林郭勒盟-正蓝旗"),
        ("广西壮族自治区南宁市青秀区民族大道", "广西-南宁-青秀区"),
        ("广西桂林市秀峰区解放西路", "广西-桂林-秀峰区"),
        ("西藏自治区拉萨市城关区北京中路", "西藏-拉萨-城关区"),
        ("西藏阿里地区噶尔县", "西藏-阿里地区-噶尔县"),
        ("宁夏回族自治区银川市兴庆区解放西街", "宁夏-银川-兴庆区"),
        ("宁夏银川市金凤区", "宁夏-银川-金凤区"),
        ("新疆维吾尔自治区乌鲁木齐市天山区解放南路", "新疆-乌鲁木齐-天山区"),
        ("新疆伊犁哈萨克自治州伊宁市解放路", "新疆-伊犁哈萨克自治州-伊宁市"),
        ("新疆喀什地区喀什市", "新疆-喀什地区-喀什市"),
        ("新疆乌鲁木齐市新市区北京南路", "新疆-乌鲁木齐-新市区"),
    ],
)
def test_c6_autonomous_regions_in_full_and_short(text: str, key: str) -> None:
    assert normalise_cn_address(text).key == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("香港特别行政区油尖旺区弥敦道", "香港-香港-油尖旺区"),
        ("香港九龙城区太子道", "香港-香港-九龙城区"),
        ("澳门特别行政区花地玛堂区", "澳门-澳门-花地玛堂区"),
    ],
)
def test_c6_special_administrative_regions(text: str, key: str) -> None:
    assert normalise_cn_address(text).key == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("吉林省延边朝鲜族自治州延吉市", "吉林-延边朝鲜族自治州-延吉市"),
        ("湖北省恩施土家族苗族自治州恩施市", "湖北-恩施土家族苗族自治州-恩施市"),
        ("四川省凉山彝族自治州西昌市", "四川-凉山彝族自治州-西昌市"),
        ("云南西双版纳傣族自治州景洪市", "云南-西双版纳傣族自治州-景洪市"),
        ("青海省海南藏族自治州共和县", "青海-海南藏族自治州-共和县"),
        ("黑龙江省大兴安岭地区漠河市", "黑龙江-大兴安岭地区-漠河市"),
        ("浙江省金华市义乌市稠州北路", "浙江-金华-义乌市"),
        ("浙江省杭州市淳安县千岛湖镇", "浙江-杭州-淳安县"),
        ("山东省济南市市中区经十路", "山东-济南-市中区"),
        ("湖北省荆州市沙市区北京中路", "湖北-荆州-沙市区"),
        ("黑龙江省哈尔滨市道里区中央大街", "黑龙江-哈尔滨-道里区"),
        ("浙江省台州市路桥区", "浙江-台州-路桥区"),
        ("广东省东莞市虎门镇", "广东-东莞-虎门镇"),
        ("广东省中山市石岐街道", "广东-中山-石岐街道"),
        ("台湾省台北市大安区", "台湾-台北-大安区"),
    ],
)
def test_c6_prefectures_leagues_and_county_level_units(text: str, key: str) -> None:
    assert normalise_cn_address(text).key == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("杭州市西湖区文三路", "浙江-杭州-西湖区"),
        ("金华市义乌市稠州北路", "浙江-金华-义乌市"),
        ("吉林市船营区", "吉林-吉林-船营区"),
        ("海南藏族自治州共和县", "青海-海南藏族自治州-共和县"),
        ("兴安盟乌兰浩特市", "内蒙古-兴安盟-乌兰浩特市"),
        ("浙江杭州市西湖区文三路", "浙江-杭州-西湖区"),
        ("浙江杭州西湖区文三路", "浙江-杭州-西湖区"),
        ("海南海口市美兰区", "海南-海口-美兰区"),
        ("吉林省吉林市船营区", "吉林-吉林-船营区"),
        ("中国浙江省杭州市西湖区", "浙江-杭州-西湖区"),
        ("  浙江省 杭州市，西湖区、文三路  ", "浙江-杭州-西湖区"),
    ],
)
def test_c6_province_left_out_or_short(text: str, key: str) -> None:
    assert normalise_cn_address(text).key == key


def test_c6_the_street_keeps_single_spaces_and_may_be_empty() -> None:
    assert (
        normalise_cn_address("四川省成都市武侯区, 人民南路四段  1 号").street == "人民南路四段 1 号"
    )
    assert normalise_cn_address("天津市和平区").street == ""


def test_c6_prefecture_table_is_complete_and_unique() -> None:
    data = json.loads(files("orderkit.channels").joinpath("cn_regions.json").read_text("utf-8"))
    provinces = data["provinces"]
    names = [name for entry in provinces for name in entry["prefectures"]]
    assert len(provinces) == 34
    assert len(names) == len(set(names)) == 333
    assert sum(name.endswith("市") for name in names) == 293
    assert sum(name.endswith("自治州") for name in names) == 30
    assert sum(name.endswith("地区") for name in names) == 7
    assert sum(name.endswith("盟") for name in names) == 3


def test_c6_every_prefecture_in_the_table_infers_its_province() -> None:
    data = json.loads(files("orderkit.channels").joinpath("cn_regions.json").read_text("utf-8"))
    for entry in data["provinces"]:
        for name in entry["prefectures"]:
            address = normalise_cn_address(f"{name}某某区某某路 1 号")
            assert (address.province, address.district) == (entry["short"], "某某区"), name
            assert normalise_cn_address(f"{entry['name']}{name}某某县").province == entry["short"]


def test_c6_to_address_gives_the_canonical_fields() -> None:
    address = normalise_cn_address("浙江省杭州市西湖区文三路 90 号").to_address(
        recipient="王小明", postal_code="310012"
    )
    assert address == Address(
        country="CN",
        province="浙江",
        city="杭州",
        district="西湖区",
        street="文三路 90 号",
        recipient="王小明",
        postal_code="310012",
    )
    assert normalise_cn_address("天津市和平区").to_address().street is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("文三路 90 号 3 幢 201 室", "neither a province"),
        ("杭州西湖区文三路 90 号", "neither a province"),
        ("浙江省南京市鼓楼区中山路 90 号", "南京 is in 江苏, not in 浙江"),
        ("浙江省杭州文三路 90 号", "no district"),
        ("广东省东莞 90 号", "no district"),
        ("湖北省仙桃市沙嘴街道 90 号", "no prefecture-level city"),
        ("浙江省文三路 90 号", "no prefecture-level city"),
        ("浙江杭州市金华市义乌市文三路 90 号", "no district"),
    ],
)
def test_c6_an_unsplittable_address_names_the_missing_part(text: str, reason: str) -> None:
    with pytest.raises(InvalidChannelInput, match=reason) as raised:
        normalise_cn_address(text)
    assert "90 号" not in str(raised.value)
    assert "文三路" not in str(raised.value)


def test_c6_the_street_never_shows_in_a_repr() -> None:
    address = normalise_cn_address("浙江省杭州市西湖区文三路 90 号")
    assert "文三路" not in repr(address)
    assert (
        repr(address) == "CnAddress(province='浙江', city='杭州', district='西湖区', street='****')"
    )


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("浙江省杭州市西湖区文三路 90 号", "浙江-杭州-西湖区 ****"),
        ("文三路 90 号", "****"),
        ("浙江-杭州-西湖区 ****", "浙江-杭州-西湖区 ****"),
        ("****", "****"),
    ],
)
def test_c6_address_lines_mask_to_their_key(line: str, masked: str) -> None:
    assert mask_address_line(line) == masked
