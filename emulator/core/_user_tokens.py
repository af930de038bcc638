"""Knock user tokens: the RS256 JWTs an app signs server-side (`signUserToken`) so a browser
may use the public `pk_` key as one user, and the signing key both sides share.

Knock's dashboard gives the signing key in two formats, both accepted here: a PEM private key,
or that PEM base64-encoded on one line (what `KNOCK_SIGNING_KEY` usually holds). Tokens are
signed and checked with PyJWT; `exp` is checked against the wall clock, the clock the app's
`signUserToken` wrote it with (see `SigningKey.verify`). PyJWT and cryptography are imported
on first use: `import emulator` stays fast for the many runs that never see a token.
"""

from __future__ import annotations

import base64
import binascii
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.core._errors import DoorstepError

if TYPE_CHECKING:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

ENV_VAR = "KNOCK_SIGNING_KEY"
DEFAULT_EXPIRES_IN = 3600  # seconds; signUserToken's default
ALGORITHM = "RS256"
_PEM_START = "-----BEGIN"
_BASE64_PEM_START = "LS0tLS1CRUdJTi"  # base64 of "-----BEGIN", the test signUserToken uses


class SigningKeyError(DoorstepError):
    """A signing key that cannot be used; the message names where it came from."""


class UserTokenError(DoorstepError):
    """A user token Knock would refuse. `code` is Knock's error code (`missing_user_token`,
    `invalid_user_token`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SigningKey:
    """An environment's RS256 signing key: signs user tokens with the private half and checks
    them with the public half."""

    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh 2048-bit RSA key, like the one Knock's dashboard generates."""
        from cryptography.hazmat.primitives.asymmetric import rsa

        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def from_text(cls, text: str, source: str = ENV_VAR) -> SigningKey:
        """Parse a PEM key or a base64-encoded PEM on one line; SigningKeyError names `source`."""
        stripped = text.strip()
        if not stripped:
            raise SigningKeyError(f"{source} is empty; {_HOW_TO_GET}")
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        pem = stripped if stripped.startswith(_PEM_START) else _unbase64(stripped, source)
        try:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(
                f"{source} is not an unencrypted RSA private key in PEM ({exc}); {_HOW_TO_GET}"
            ) from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SigningKeyError(
                f"{source} holds a {type(key).__name__}, not an RSA key; Knock signs user "
                f"tokens with RS256, so {_HOW_TO_GET}"
            )
        return cls(key)

    @classmethod
    def from_file(cls, path: str | Path) -> SigningKey:
        """Read a key file in either format; SigningKeyError names the file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not text"
            raise SigningKeyError(
                f"cannot read the signing key file {path} ({reason}); {_HOW_TO_GET}"
            ) from None
        return cls.from_text(text, f"the signing key file {path}")

    @property
    def pem(self) -> str:
        """The private key as PKCS#8 PEM (what signUserToken's `importPKCS8` reads)."""
        from cryptography.hazmat.primitives import serialization

        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    @property
    def base64(self) -> str:
        """The PEM base64-encoded on one line: the format to put in `KNOCK_SIGNING_KEY`."""
        return base64.b64encode(self.pem.encode()).decode()

    def sign(
        self,
        user_id: str,
        *,
        expires_in: int = DEFAULT_EXPIRES_IN,
        grants: Mapping[str, Any] | None = None,
        jti: bool = False,
        now: float | None = None,
    ) -> str:
        """A token for `user_id`, claims and header as `signUserToken` writes them."""
        import jwt

        issued = int(time.time() if now is None else now)
        payload: dict[str, Any] = {"sub": user_id, "iat": issued, "exp": issued + expires_in}
        if grants is not None:
            payload["grants"] = dict(grants)
        if jti:
            payload["jti"] = str(uuid.uuid4())
        return jwt.encode(payload, self.private_key, algorithm=ALGORITHM, headers={"typ": "JWT"})

    def verify(self, token: str, *, now: float | None = None) -> dict[str, Any]:
        """The token's claims if this key signed it, it names a user (`sub`) and has not
        expired; UserTokenError(`invalid_user_token`) saying which check failed otherwise.

        `exp` and `iat` are compared with the wall clock (or `now`, seconds since the epoch),
        never the emulator's virtual clock: the app signs with its wall clock, and advancing
        virtual time to fire a delay must not log the browser out."""
        import jwt

        checked_at = time.time() if now is None else now
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.private_key.public_key(),
                algorithms=[ALGORITHM],
                options={"require": ["sub"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise UserTokenError("invalid_user_token", _decode_problem(token, exc)) from None
        _check_times(claims, checked_at)
        return claims


def check_user_token(
    token: str, signing_key: SigningKey | None, *, now: float | None = None
) -> str:
    """The user (`sub`) a token names: verified with `signing_key` (signature, `exp`), or only
    read when there is no key (Knock without enhanced security takes the user from the token
    without needing it signed by a known key). UserTokenError(`invalid_user_token`) otherwise."""
    if signing_key is not None:
        return str(signing_key.verify(token, now=now)["sub"])
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise UserTokenError("invalid_user_token", _decode_problem(token, exc)) from None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise UserTokenError(
            "invalid_user_token", f"the user token's sub claim must be the user id, got {sub!r}"
        )
    return sub


def _check_times(claims: Mapping[str, Any], now: float) -> None:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise UserTokenError(
            "invalid_user_token", f"the user token's sub claim must be the user id, got {sub!r}"
        )
    exp = claims.get("exp")
    if exp is not None:
        if not isinstance(exp, int | float):
            raise UserTokenError(
                "invalid_user_token", f"the user token's exp must be a number, got {exp!r}"
            )
        if exp <= now:
            raise UserTokenError(
                "invalid_user_token",
                f"the user token expired at {_when(exp)} ({int(now - exp)} s ago, wall-clock "
                "time); sign a new one (signUserToken / sign_user_token)",
            )


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def _decode_problem(token: str, exc: jwt.PyJWTError) -> str:
    import jwt

    if isinstance(exc, jwt.InvalidSignatureError):
        return (
            "the user token is not signed by this environment's signing key; sign it with the "
            "key Doorstep was started with (KNOCK_SIGNING_KEY or --signing-key)"
        )
    if isinstance(exc, jwt.InvalidAlgorithmError):
        header = _header(token)
        return (
            f"the user token is signed with {header.get('alg')!r}; Knock accepts only RS256 "
            "tokens signed with the environment's signing key"
        )
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the user token has no {exc.claim} claim; it must name the user in sub"
    return (
        f"the user token is not a valid JWT ({exc}); pass the string signUserToken / "
        "sign_user_token returned, unchanged"
    )


def _header(token: str) -> dict[str, Any]:
    import jwt

    try:
        return dict(jwt.get_unverified_header(token))
    except jwt.PyJWTError:
        return {}


def _unbase64(text: str, source: str) -> str:
    if not text.startswith(_BASE64_PEM_START):
        raise SigningKeyError(
            f"{source} is neither a PEM key (-----BEGIN ...) nor a base64-encoded PEM "
            f"(LS0tLS1CRUdJTi...); {_HOW_TO_GET}"
        )
    try:
        return base64.b64decode("".join(text.split()), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise SigningKeyError(
            f"{source} starts like a base64-encoded PEM but does not decode; copy the whole "
            f"one-line value again, or {_HOW_TO_GET}"
        ) from None


_HOW_TO_GET = (
    "use the key from Knock's dashboard (Platform > API keys > signing keys) or make one with "
    "`doorstep signing-key`"
)


def sign_user_token(
    user_id: str,
    signing_key: str | SigningKey | None = None,
    *,
    expires_in: int = DEFAULT_EXPIRES_IN,
    grants: Mapping[str, Any] | None = None,
    jti: bool = False,
) -> str:
    """A Knock user token for `user_id`, as `@knocklabs/node`'s `signUserToken` makes it.

    RS256, header `{"alg": "RS256", "typ": "JWT"}`, claims `sub`, `iat` and `exp` (`iat` +
    `expires_in`, one hour by default), plus `grants` (already keyed by resource URI, e.g.
    `{"https://api.knock.app/v1/users/u1": {"user/read": []}}`) and a random `jti` when asked.
    `signing_key` is PEM or base64-encoded PEM text, or a `SigningKey`; by default the
    `KNOCK_SIGNING_KEY` environment variable. Pass the token to the browser's `KnockProvider`
    (`userToken`) or `knock.authenticate(user_id, token)`.
    """
    key = signing_key if isinstance(signing_key, SigningKey) else _key_from(signing_key)
    return key.sign(user_id, expires_in=expires_in, grants=grants, jti=jti)


def _key_from(text: str | None) -> SigningKey:
    if text is not None:
        return SigningKey.from_text(text, "signing_key")
    value = os.environ.get(ENV_VAR)
    if not value:
        raise SigningKeyError(
            f"no signing key: pass signing_key=... or set {ENV_VAR}; {_HOW_TO_GET}"
        )
    return SigningKey.from_text(value, ENV_VAR)
