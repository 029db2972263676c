"""The inbox page costs the same number of queries with 2 or 6 rows (no query per row)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def _counting(engine):
    statements: list[str] = []

    def _count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def _page_queries(app, client) -> int:
    engine = app.extensions["yjs_db"].engine
    with _counting(engine) as statements:
        response = client.get("/clerk/")
    assert response.status_code == 200
    return len(statements)


def test_inbox_queries_do_not_grow_with_rows(app, login, submit_case):
    window = login("window")
    for _ in range(2):
        submit_case()
    tasks = window.get("/api/tasks/").get_json()["tasks"]
    window.post_json(f"/api/tasks/{tasks[0]['id']}/claim")  # a claimed row shows its clerk
    few = _page_queries(app, window)
    for _ in range(4):
        submit_case()
    tasks = window.get("/api/tasks/").get_json()["tasks"]
    assert len(tasks) >= 6
    # Claimed by a colleague: the row shows a user who is not the one logged in.
    login("window2").post_json(f"/api/tasks/{tasks[-1]['id']}/claim")
    many = _page_queries(app, window)
    assert many == few
