"""`sign_user_token` mirrors `@knocklabs/node`'s `signUserToken` (header, claims, default expiry,
key formats) and `SigningKey` reads both of the formats Knock's dashboard gives."""

from __future__ import annotations

import base64
import time
import uuid
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from emulator import SigningKey, SigningKeyError, UserTokenError, check_user_token, sign_user_token

KEY = SigningKey.generate()


def _pkcs1() -> str:
    """The traditional `BEGIN RSA PRIVATE KEY` PEM (the dashboard's older format)."""
    return KEY.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def test_claims_and_header_are_sign_user_tokens() -> None:
    before = int(time.time())
    token = sign_user_token("user-1", KEY.base64)
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT"}
    claims = jwt.decode(token, KEY.private_key.public_key(), algorithms=["RS256"])
    assert set(claims) == {"sub", "iat", "exp"}
    assert claims["sub"] == "user-1"
    assert before <= claims["iat"] <= int(time.time())
    assert claims["exp"] - claims["iat"] == 3600  # signUserToken's default: one hour


def test_expiry_grants_and_jti() -> None:
    grants = {"https://api.knock.app/v1/users/u1": {"user/feed_read": []}}
    token = sign_user_token("u1", KEY, expires_in=60, grants=grants, jti=True)
    claims = KEY.verify(token)
    assert claims["exp"] - claims["iat"] == 60
    assert claims["grants"] == grants
    assert uuid.UUID(claims["jti"])


@pytest.mark.parametrize(
    "text",
    [
        KEY.base64,
        KEY.pem,
        _pkcs1(),
        base64.b64encode(_pkcs1().encode()).decode(),
        f"  {KEY.base64}\n",
        KEY.pem.replace("\n", "\r\n"),
    ],
    ids=["base64 pkcs8", "pem pkcs8", "pem pkcs1", "base64 pkcs1", "padded", "crlf"],
)
def test_both_dashboard_formats_are_read(text: str) -> None:
    token = sign_user_token("u1", text)
    assert check_user_token(token, KEY) == "u1"


def test_the_key_comes_from_knock_signing_key_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNOCK_SIGNING_KEY", KEY.base64)
    assert KEY.verify(sign_user_token("u1"))["sub"] == "u1"
    monkeypatch.delenv("KNOCK_SIGNING_KEY")
    with pytest.raises(SigningKeyError, match="set KNOCK_SIGNING_KEY"):
        sign_user_token("u1")


def _ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _encrypted_pem() -> str:
    return KEY.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    ).decode()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is empty"),
        ("hunter2", "neither a PEM key"),
        ("LS0tLS1CRUdJTi!!!", "does not decode"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not an unencrypted RSA"),
        (_ec_pem(), "not an RSA key"),
        (_encrypted_pem(), "not an unencrypted RSA"),
    ],
    ids=["empty", "garbage", "bad base64", "bad pem", "ec key", "encrypted"],
)
def test_a_bad_key_names_its_source(text: str, problem: str) -> None:
    with pytest.raises(SigningKeyError, match=problem) as caught:
        SigningKey.from_text(text, "KNOCK_SIGNING_KEY")
    assert str(caught.value).startswith("KNOCK_SIGNING_KEY")
    assert "doorstep signing-key" in str(caught.value)


def test_a_key_file_in_either_format(tmp_path: Path) -> None:
    for name, text in [("key.pem", KEY.pem), ("key.b64", KEY.base64)]:
        path = tmp_path / name
        path.write_text(text)
        assert SigningKey.from_file(path).base64 == KEY.base64
    with pytest.raises(SigningKeyError, match="cannot read the signing key file"):
        SigningKey.from_file(tmp_path / "missing.pem")
    (tmp_path / "bad.pem").write_text("nope")
    with pytest.raises(SigningKeyError, match=r"signing key file .*bad\.pem is neither"):
        SigningKey.from_file(tmp_path / "bad.pem")


def test_expiry_is_checked_against_the_wall_clock() -> None:
    token = KEY.sign("u1", expires_in=60, now=1_000_000)
    assert KEY.verify(token, now=1_000_059)["sub"] == "u1"
    with pytest.raises(UserTokenError, match="expired at 1970-01-12T13:47:40Z") as caught:
        KEY.verify(token, now=1_000_060)
    assert caught.value.code == "invalid_user_token"


def test_generated_keys_are_distinct_2048_bit_rsa() -> None:
    other = SigningKey.generate()
    assert other.base64 != KEY.base64
    assert other.private_key.key_size == 2048
    assert KEY.base64.startswith("LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t")  # -----BEGIN PRIVATE KEY
