"""Secrets never survive into audit data: by key name and by shape."""

from __future__ import annotations

from bot.redact import REDACTED, RedactingFilter, redact, redact_text


def test_values_under_secret_keys_are_replaced() -> None:
    data = {"password": "hunter2", "api_key": "abc", "Authorization": "whatever",
            "client_secret": "s", "refresh_token": "r", "X-Api-Key": "k",
            "idempotency_key": "deputy-run1-s1", "usage": {"input_tokens": 12}, "text": "hello"}
    out = redact(data)
    for key in ("password", "api_key", "Authorization", "client_secret", "refresh_token", "X-Api-Key"):
        assert out[key] == REDACTED, key
    assert out["idempotency_key"] == "deputy-run1-s1"
    assert out["usage"] == {"input_tokens": 12}
    assert out["text"] == "hello"
    assert data["password"] == "hunter2"  # the input is not changed


def test_secret_shapes_are_cut_out_of_any_text() -> None:
    samples = [
        "xoxb-1234567890-abcdefghijklmnop",
        "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
        "sk_live_abcdefghijklmnop1234",
        "whsec_abcdefghijklmnop",
        "ghp_abcdefghijklmnopqrstuvwxyz0123",
        "AKIAABCDEFGHIJKLMNOP",
        "pat-na1-12345678-1234-1234-1234-123456789abc",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop",
    ]
    for secret in samples:
        note = f"CRM note: please use {secret} for billing"
        cleaned = redact_text(note)
        assert secret not in cleaned and REDACTED in cleaned, secret
        assert cleaned.startswith("CRM note: please use ")


def test_bearer_headers_and_url_passwords_keep_their_shape() -> None:
    assert redact_text("Authorization: Bearer abcdef123456789") == f"Authorization: Bearer {REDACTED}"
    assert redact_text("postgresql://deputy:pa55word@db:5432/x") == f"postgresql://deputy:{REDACTED}@db:5432/x"
    # the shortest text with a secret in it: shorter texts are passed through unread
    assert redact_text("a://b:c@") == f"a://b:{REDACTED}@"


def test_nested_lists_and_ordinary_values_pass_through() -> None:
    data = {"results": [{"id": 1, "note": "token sk_test_abcdefghijkl99"}, 3, None, True]}
    out = redact(data)
    assert out["results"][0]["id"] == 1
    assert "sk_test_" not in out["results"][0]["note"]
    assert out["results"][1:] == [3, None, True]


def test_ordinary_words_are_left_alone() -> None:
    text = "task-abcdefghijklmnopqrstuvwxyz and the token count was 12; ask-me-anything-please-now-ok"
    assert redact_text(text) == text


def test_the_logging_filter_redacts_formatted_messages() -> None:
    import logging

    record = logging.LogRecord("deputy", logging.INFO, __file__, 1, "calling with %s", ("Bearer abcdefgh12345678",), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == f"calling with Bearer {REDACTED}"


def test_the_logging_filter_also_cuts_long_random_tokens_of_unknown_shape() -> None:
    import logging

    key = "Zq8vR2mX7kL4pN9wT3bY6cH1dJ5fG0sA"  # no provider's shape: random, 32 characters
    record = logging.LogRecord("deputy", logging.DEBUG, __file__, 1, "body %s", (f'{{"key": "{key}"}}',), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == f'body {{"key": "{REDACTED}"}}'
