"""Notifications: the outbox (`outbox`), its delivery by the worker (`delivery`), the SMS
adapters (`sms`), the editable Chinese templates (`templates`) and the in-app 消息 (`inbox`)."""
