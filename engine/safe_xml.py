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


# Markup a browser would render or run. A diagram is data: none of this belongs in it, and
# an XHTML <script> inside <bpmn:documentation> would run in any browser that opened it.
MARKUP_NAMESPACES = {
    "http://www.w3.org/1999/xhtml": "XHTML",
    "http://www.w3.org/2000/svg": "SVG",
    "http://www.w3.org/1998/Math/MathML": "MathML",
}
# Elements whose content is text for people; they hold no child elements in BPMN or DMN.
TEXT_ELEMENTS = ("documentation", "text")


def document_problems(root: etree._Element, namespace: str, kind: str) -> list[Problem]:
    """Problems that make an uploaded document unfit to keep at all: the wrong root, or
    markup a browser would render (each named by the diagram element that holds it)."""
    if root.tag != f"{{{namespace}}}definitions":
        return [
            Problem(
                f"不是 {kind} 文档（根元素应为 definitions，现为 {etree.QName(root).localname}）"
            )
        ]
    problems = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        name = etree.QName(element)
        owner = _owner(element)
        where = f"（位于“{owner.get('name') or owner.get('id')}”）" if owner is not None else ""
        owner_id = owner.get("id") if owner is not None else None
        if name.namespace in MARKUP_NAMESPACES or name.localname.lower() == "script":
            language = MARKUP_NAMESPACES.get(name.namespace, "脚本")
            message = f"图中不允许嵌入网页内容：{language} 元素 <{name.localname}>{where}"
            problems.append(Problem(message, owner_id))
        elif name.localname in TEXT_ELEMENTS and len(element):
            child = etree.QName(element[0]).localname if isinstance(element[0].tag, str) else "?"
            message = f"说明文字只能是纯文本，不能包含元素 <{child}>{where}"
            problems.append(Problem(message, owner_id))
    return problems


def _owner(element: etree._Element) -> etree._Element | None:
    """The nearest ancestor-or-self with an id: the diagram element people can find."""
    while element is not None:
        if element.get("id"):
            return element
        element = element.getparent()
    return None
