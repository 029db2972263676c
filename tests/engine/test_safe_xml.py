"""Uploaded XML never reaches the file system, the network or an entity bomb."""

from __future__ import annotations

import pytest

from engine.problems import ThemeInvalid
from engine.safe_xml import MAX_XML_BYTES, parse_untrusted

XXE = """<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</definitions>"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</definitions>"""


@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS])
def test_doctype_is_refused_and_nothing_is_expanded(payload):
    with pytest.raises(ThemeInvalid) as info:
        parse_untrusted(payload)
    message = info.value.problems[0].message
    assert "DOCTYPE" in message
    assert "root:" not in str(info.value)


def test_malformed_xml_names_the_line():
    with pytest.raises(ThemeInvalid) as info:
        parse_untrusted("<definitions>\n<process id='p'>\n</definitions>")
    assert "XML 格式错误" in info.value.problems[0].message
    assert "第 3 行" in info.value.problems[0].message


@pytest.mark.parametrize("payload", [b"", b"   ", "  \n"])
def test_empty_document_is_refused(payload):
    with pytest.raises(ThemeInvalid, match="文件为空"):
        parse_untrusted(payload)


def test_oversized_document_is_refused_before_parsing():
    payload = b"<a>" + b"x" * MAX_XML_BYTES + b"</a>"
    with pytest.raises(ThemeInvalid, match="文件过大"):
        parse_untrusted(payload)
