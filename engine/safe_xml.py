"""Parse XML that people upload (BPMN, DMN) without letting it reach the file system or network.

SpiffWorkflow parses with lxml's defaults, which expand internal entities and, with older
lxml, external ones too. Every uploaded document goes through `parse_untrusted` first and
only the resulting tree is handed to the engine.
"""

from __future__ import annotations

from lxml import etree

from .problems import Problem, ThemeInvalid

# 5 MiB is far above any real process diagram (the reference themes are ~30 KB) and far
# below what would hurt the server.
MAX_XML_BYTES = 5 * 1024 * 1024


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_untrusted(data: bytes | str) -> etree._Element:
    """Return the root element, or raise ThemeInvalid with a Chinese message."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data or not data.strip():
        raise ThemeInvalid([Problem("文件为空，不是 BPMN 文档")])
    if len(data) > MAX_XML_BYTES:
        raise ThemeInvalid([Problem(f"文件过大（上限 {MAX_XML_BYTES // 1024 // 1024} MB）")])
    try:
        tree = etree.fromstring(data, _parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        line = f"第 {exc.lineno} 行：" if getattr(exc, "lineno", None) else ""
        raise ThemeInvalid([Problem(f"XML 格式错误，{line}{exc.msg}")]) from None
    # A DOCTYPE has no business in BPMN; refusing it closes entity tricks for every lxml.
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        message = "不允许 DOCTYPE 声明（可能是 XML 实体攻击），请删除后重新上传"
        raise ThemeInvalid([Problem(message)])
    return tree.getroot()
