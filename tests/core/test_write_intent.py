"""A request that writes begins its SQLite transaction IMMEDIATE; once it is over, the thread's
next work (a CLI command, a task, a test's own reads) must begin as a read again, or it takes the
write lock and blocks another writer ("database is locked" when a migration ran after a POST)."""
from lms.db import write_intent


def test_the_write_intent_of_a_post_ends_with_it(client):
    client.post("/login", data={"email": "nobody@test.kz", "password": "x"})
    assert write_intent.get() is False
    client.put("/api/v1/attempts/1/answers/1", json={"answer": {"value": True}},
               headers={"Authorization": "Bearer nothing"})  # the API's express lane
    assert write_intent.get() is False
