"""Sign-up is limited per client IP: every attempt costs an Argon2id hash."""


def _body(n: int) -> dict[str, str]:
    return {
        "username": f"newcomer{n}",
        "email": f"newcomer{n}@example.test",
        "password": "a-long-enough-passphrase",
    }


async def test_json_signups_beyond_the_limit_get_429_with_retry_after(client, settings_env):
    settings_env(SIGNUP_MAX_PER_IP="2", SIGNUP_WINDOW_SECONDS="600")
    for n in range(2):
        response = await client.post("/v1/auth/signup", json=_body(n))
        assert response.status_code == 201, response.text
    refused = await client.post("/v1/auth/signup", json=_body(3))
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_signups"
    assert 0 < int(refused.headers["retry-after"]) <= 600


async def test_failed_signups_count_too(client, settings_env):
    settings_env(SIGNUP_MAX_PER_IP="1")
    weak = await client.post("/v1/auth/signup", json={**_body(1), "password": "short"})
    assert weak.status_code == 422
    assert (await client.post("/v1/auth/signup", json=_body(2))).status_code == 429
