"""The audit trail (全过程留痕): every state change, who, when, before and after."""
