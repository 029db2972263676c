"""The kinds of written instrument (文书) the office issues (DOMAIN.md §9).

Adding a kind is three small steps:

1. a row in `KINDS` below: its code, the letters of its numbers, its usual title and its
   template;
2. the template `webapp/templates/instruments/<code>.html`, extending
   `instruments/_instrument.html` and filling its `body` block from `facts` (the header
   with title and number, the case, the office and date, and the QR code to the public
   办件查询 come from the base);
3. one call `issuing.issue(session, actor, case, "<code>", facts)` in the service where the
   instrument is due, in the same transaction as the act it records (the issuing is an
   audit event; the instrument is frozen from then on). Put the facts builder next to the
   others in `case_instruments.py` when it reads the case.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstrumentKind:
    code: str
    letters: str  # in the number: YJS-20261129-000001-SL01
    title: str  # the usual title; a decision passes the one its item type calls for
    template: str

    @property
    def label(self) -> str:
        return self.title


def _kind(code: str, letters: str, title: str) -> InstrumentKind:
    return InstrumentKind(code, letters, title, f"instruments/{code}.html")


KINDS: dict[str, InstrumentKind] = {
    k.code: k
    for k in (
        _kind("receipt", "SJ", "申请材料接收凭证"),  # 收件凭证, at submission
        _kind("acceptance", "SL", "受理通知书"),  # 行政许可法 §32
        _kind("refusal", "BSL", "不予受理决定书"),  # §32, with 复议/诉讼 rights
        _kind("correction", "BZ", "一次性补正告知书"),  # §32: everything at once
        _kind("gap_promise", "RQ", "容缺受理告知承诺书"),
        _kind("grant", "ZY", "准予决定书"),  # title from the item type (forms/item_types)
        _kind("denial", "BY", "不予决定书"),  # title from the item type, with rights
        _kind("delivery", "CJ", "出件通知书"),  # 出件/送达回证
        # The e-licence itself (电子证照), once per licence; its QR leads to 证照核验.
        _kind("licence", "ZZ", "电子证照"),
        # 同城通办: paper received at a town or village point, on its way to the department.
        _kind("transfer", "LZ", "材料流转单"),
        _kind("transfer_receipt", "LZHZ", "材料流转接收回执"),
        _kind("special_procedure", "TB", "特别程序告知书"),  # 行政许可法 §45
        _kind("extension", "YQ", "延期告知书"),  # §42: approved by the head
        _kind("supplement", "SBZ", "补正材料告知书"),  # asked during review, all at once
        _kind("promise", "CN", "告知承诺书"),  # 告知承诺制: the promise as signed
        _kind("revocation", "CX", "撤销决定书"),  # a false promise found afterwards
    )
}


def kind(code: str) -> InstrumentKind:
    return KINDS[code]
