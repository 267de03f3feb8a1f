"""Credentials on the wire, one implementation for gRPC and REST.

Basic auth is a fixed ``Authorization: Basic ...`` value. OAuth is the client-credentials
grant: a form POST to the token endpoint (client id and secret in the body, which Camunda
SaaS, Keycloak and Microsoft Entra all accept), the token kept until shortly before it
expires. The gRPC call credentials run in gRPC's own threads, hence a blocking fetch there
(`OAuthTokens.authorization`); the REST client and the plaintext interceptor use the async one.
No message here ever carries a secret.
"""

import asyncio
import base64
import ssl
import threading
import time
from typing import Any, Final

import httpx

from workers.errors import CanaryError
from workers.settings import CamundaAuth

#: A token is renewed this long before it expires.
TOKEN_MARGIN: Final = 30.0
TOKEN_TIMEOUT: Final = 10.0


class CredentialsError(CanaryError):
    """Camunda refused our credentials, or the token endpoint gave no token."""


def basic_authorization(username: str, password: str) -> str:
    pair = f"{username}:{password}".encode()
    return f"Basic {base64.b64encode(pair).decode('ascii')}"


def tls_context(ca_certificate_path: str | None) -> ssl.SSLContext:
    """The system's trust store, plus the private CA when one is given."""
    context = ssl.create_default_context()
    if ca_certificate_path:
        try:
            context.load_verify_locations(cafile=ca_certificate_path)
        except (OSError, ssl.SSLError) as exc:
            msg = f"the CA certificate {ca_certificate_path} cannot be used: {_why(exc)}"
            raise CredentialsError(msg) from None
    return context


def token_form(auth: CamundaAuth) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": auth.client_id or "",
        "client_secret": auth.client_secret or "",
    }
    if auth.audience:
        form["audience"] = auth.audience
    if auth.scope:
        form["scope"] = auth.scope
    return form


def read_token(response: httpx.Response, url: str) -> tuple[str, float]:
    """(access token, seconds it lives) from a token endpoint's answer."""
    if response.status_code != httpx.codes.OK:
        msg = (
            f"the token endpoint {url} refused the client credentials:"
            f" {response.status_code} {response.reason_phrase}"
        )
        raise CredentialsError(msg)
    try:
        answer: Any = response.json()
        token = str(answer["access_token"])
        lifetime = float(answer.get("expires_in", 300))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise CredentialsError(f"the token endpoint {url} gave no access_token") from None
    return token, lifetime


class OAuthTokens:
    """The current bearer token of one client; fetched on first use, renewed before expiry."""

    def __init__(
        self,
        auth: CamundaAuth,
        *,
        ca_certificate_path: str | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._auth = auth
        self._url = auth.oauth_url or ""
        self._verify: ssl.SSLContext | bool = (
            tls_context(ca_certificate_path) if self._url.startswith("https://") else True
        )
        self._transport = transport
        self._async_transport = async_transport
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()
        self._async_lock = asyncio.Lock()

    def cached(self) -> str | None:
        """The Authorization value while the token is fresh, else None."""
        token = self._token
        if token is not None and time.monotonic() < self._expires:
            return f"Bearer {token}"
        return None

    def invalidate(self) -> None:
        """Forget the token (the server said 401: expired early or revoked)."""
        self._token = None

    def authorization(self) -> str:
        """Blocking: for gRPC's metadata plugin, which runs in gRPC's threads."""
        with self._lock:
            cached = self.cached()
            if cached is not None:
                return cached
            with httpx.Client(
                verify=self._verify, timeout=TOKEN_TIMEOUT, transport=self._transport
            ) as http:
                try:
                    response = http.post(self._url, data=token_form(self._auth))
                except httpx.HTTPError as exc:
                    raise self._unreachable(exc) from None
            return self._keep(response)

    async def aauthorization(self) -> str:
        cached = self.cached()
        if cached is not None:
            return cached
        async with self._async_lock:
            cached = self.cached()
            if cached is not None:
                return cached
            async with httpx.AsyncClient(
                verify=self._verify, timeout=TOKEN_TIMEOUT, transport=self._async_transport
            ) as http:
                try:
                    response = await http.post(self._url, data=token_form(self._auth))
                except httpx.HTTPError as exc:
                    raise self._unreachable(exc) from None
            return self._keep(response)

    def _keep(self, response: httpx.Response) -> str:
        token, lifetime = read_token(response, self._url)
        self._token = token
        self._expires = time.monotonic() + max(lifetime - TOKEN_MARGIN, 1.0)
        return f"Bearer {token}"

    def _unreachable(self, exc: httpx.HTTPError) -> CredentialsError:
        return CredentialsError(f"cannot reach the token endpoint {self._url}: {_why(exc)}")


def _why(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
