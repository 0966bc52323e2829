def test_login(client):
    resp = client.post("/login", data={"username": "alice", "password": "correct-horse"})
    assert resp.status_code == 200
    token = resp.json()["token"]
    assert token
