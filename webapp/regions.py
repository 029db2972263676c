"""The GB/T 2260 division table of this app (YJS_REGIONS_FILE), loaded once at start-up."""

from __future__ import annotations

from flask import Flask, current_app

from forms.regions import RegionDataInvalid, RegionTable

from .config import ConfigError


def init_regions(app: Flask) -> None:
    """Load the table named by REGIONS_FILE; a file that cannot be read stops start-up."""
    path = app.config["REGIONS_FILE"]
    try:
        table = RegionTable.load(path)
    except RegionDataInvalid as exc:
        raise ConfigError(f"YJS_REGIONS_FILE 无法作为行政区划数据读取：{exc}") from None
    app.extensions["yjs_regions"] = table
    app.add_template_global(region_name)


def region_table() -> RegionTable:
    """The current app's division table (validation of `region` answers)."""
    return current_app.extensions["yjs_regions"]


def region_name(code: str | None) -> str:
    """The full name ("广东省 惠州市 博罗县" for 441322); an unknown code is shown as it is."""
    if not code:
        return ""
    return region_table().name_of(code) or code
