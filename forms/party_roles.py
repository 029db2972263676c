"""The roles a party (当事人) may have in a case, and which of them a theme may name as the
sides of a joint application (共同申请). Pure data: the web app's parties and the theme
reader both take them from here."""

from __future__ import annotations

# role → its name in Chinese, as the case page and the front desk show it.
PARTY_ROLES = {
    "applicant": "申请人",
    "seller": "卖方",
    "buyer": "买方",
    "legal_rep": "法定代表人",
    "agent": "经办人",
    "proxy": "代办人",
}
# Roles that are a side of a transaction: each side of a joint application confirms it.
JOINT_ROLES = ("seller", "buyer")


def role_label(role: str) -> str:
    return PARTY_ROLES.get(role, role)
