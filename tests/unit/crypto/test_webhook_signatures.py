"""Standard Webhooks v1 signatures, checked against the specification's example and the
`standardwebhooks` package."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from crypto.webhook_signatures import new_secret, secret_key, signature_header

# The example of the Standard Webhooks documentation (secret, id, timestamp, body, signature).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specification_example() -> None:
    assert signature_header([SPEC_SECRET], message_id=SPEC_ID, timestamp=SPEC_TIMESTAMP,
                            body=SPEC_BODY) == SPEC_SIGNATURE


def test_agrees_with_the_standardwebhooks_package() -> None:
    secret = new_secret()
    theirs = Webhook(secret).sign(SPEC_ID, datetime.fromtimestamp(SPEC_TIMESTAMP, UTC),
                                  SPEC_BODY.decode())
    assert signature_header([secret], message_id=SPEC_ID, timestamp=SPEC_TIMESTAMP,
                            body=SPEC_BODY) == theirs


def test_one_signature_per_secret_separated_by_spaces() -> None:
    new, old = new_secret(), new_secret()
    header = signature_header([new, old], message_id="m1", timestamp=1, body=b"{}")
    first, second = header.split(" ")
    assert first == signature_header([new], message_id="m1", timestamp=1, body=b"{}")
    assert second == signature_header([old], message_id="m1", timestamp=1, body=b"{}")


def test_the_signature_covers_id_timestamp_and_body() -> None:
    secret = new_secret()
    base = signature_header([secret], message_id="m", timestamp=10, body=b"{}")
    assert base != signature_header([secret], message_id="n", timestamp=10, body=b"{}")
    assert base != signature_header([secret], message_id="m", timestamp=11, body=b"{}")
    assert base != signature_header([secret], message_id="m", timestamp=10, body=b"{ }")


def test_secrets_are_random_whsec_base64_of_32_bytes() -> None:
    made = {new_secret() for _ in range(50)}
    assert len(made) == 50
    for secret in made:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret[6:], validate=True)) == 32
        assert secret_key(secret) == base64.b64decode(secret[6:])


@pytest.mark.parametrize("bad", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_@@@@"])
def test_malformed_secrets_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        secret_key(bad)


def test_signing_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        signature_header([], message_id="m", timestamp=1, body=b"")
