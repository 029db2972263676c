"""The back office as the law runs it (行政许可法): approval levels inside an item's task,
特别程序 (§45) and 延期 (§42) that move its clock, 退回补正 during review, and 告知承诺制
with its 事后核查."""
