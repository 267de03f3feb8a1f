"""How a client proves who it is to Camunda (none, basic or OAuth), gRPC and REST alike."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from workers.errors import ConfigError
from workers.settings.read import first, name_of

AuthStrategy = Literal["none", "basic", "oauth"]
AUTH_STRATEGIES: tuple[AuthStrategy, ...] = ("none", "basic", "oauth")
SAAS_OAUTH_URL = "https://login.cloud.camunda.io/oauth/token"
SAAS_AUDIENCE = "zeebe.camunda.io"


@dataclass(frozen=True, slots=True, repr=False)
class CamundaAuth:
    """How a client proves who it is to Camunda, the same for gRPC and REST.

    `none` (a local cluster with the unprotected API), `basic` (self-managed default since
    8.8: user and password on every call) or `oauth` (client credentials: a bearer token from
    the token endpoint, SaaS and self-managed with Keycloak or another identity provider).
    """

    strategy: AuthStrategy = "none"
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    #: Token endpoint for the client-credentials grant.
    oauth_url: str | None = None
    audience: str | None = None
    scope: str | None = None

    def __repr__(self) -> str:  # secrets never appear in logs or tracebacks
        return (
            f"CamundaAuth(strategy={self.strategy!r}, username={self.username!r},"
            f" client_id={self.client_id!r}, oauth_url={self.oauth_url!r},"
            f" audience={self.audience!r})"
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never be shown (for scrubbing messages)."""
        return tuple(s for s in (self.password, self.client_secret) if s)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, saas: bool = False) -> "CamundaAuth":
        client_id = first(environ, "CAMUNDA_CLIENT_ID", "ZEEBE_CLIENT_ID")
        client_secret = first(environ, "CAMUNDA_CLIENT_SECRET", "ZEEBE_CLIENT_SECRET")
        username = first(environ, "CAMUNDA_BASIC_AUTH_USERNAME")
        password = environ.get("CAMUNDA_BASIC_AUTH_PASSWORD") or None
        oauth_names = ("CAMUNDA_OAUTH_URL", "ZEEBE_AUTHORIZATION_SERVER_URL")
        oauth_url = first(environ, *oauth_names)
        strategy = _auth_strategy(
            environ, oauth=bool(client_id or client_secret), basic=bool(username or password),
            saas=saas,
        )  # fmt: skip
        if strategy == "basic" and not (username and password):
            msg = "basic auth needs CAMUNDA_BASIC_AUTH_USERNAME and CAMUNDA_BASIC_AUTH_PASSWORD"
            raise ConfigError(msg)
        if strategy == "oauth":
            if not (client_id and client_secret):
                msg = "OAuth needs CAMUNDA_CLIENT_ID and CAMUNDA_CLIENT_SECRET (or ZEEBE_*), both"
                raise ConfigError(msg)
            oauth_url = oauth_url or (SAAS_OAUTH_URL if saas else None)
            if not oauth_url:
                msg = "OAuth needs a token URL: set CAMUNDA_OAUTH_URL"
                raise ConfigError(msg)
            if not oauth_url.startswith(("http://", "https://")):
                msg = f"{name_of(environ, *oauth_names)} must be an http:// or https:// URL"
                raise ConfigError(msg)
        audience = first(environ, "CAMUNDA_TOKEN_AUDIENCE", "ZEEBE_TOKEN_AUDIENCE")
        return cls(
            strategy=strategy,
            username=username,
            password=password,
            client_id=client_id if strategy == "oauth" else None,
            client_secret=client_secret if strategy == "oauth" else None,
            oauth_url=oauth_url if strategy == "oauth" else None,
            audience=audience or (SAAS_AUDIENCE if saas else None),
            scope=first(environ, "CAMUNDA_TOKEN_SCOPE"),
        )


def _auth_strategy(
    environ: Mapping[str, str], *, oauth: bool, basic: bool, saas: bool
) -> AuthStrategy:
    """CAMUNDA_AUTH_STRATEGY, else what the credentials present say; contradictions refused."""
    explicit = (first(environ, "CAMUNDA_AUTH_STRATEGY") or "").lower()
    if explicit and explicit not in AUTH_STRATEGIES:
        msg = f"CAMUNDA_AUTH_STRATEGY={explicit!r} must be NONE, BASIC or OAUTH"
        raise ConfigError(msg)
    if not explicit and oauth and basic:
        msg = (
            "both OAuth client credentials and a basic-auth user are set:"
            " choose one with CAMUNDA_AUTH_STRATEGY=oauth or basic"
        )
        raise ConfigError(msg)
    strategy: AuthStrategy = "oauth" if oauth or saas else "basic" if basic else "none"
    for known in AUTH_STRATEGIES:
        if explicit == known:
            strategy = known
    if saas and (strategy != "oauth" or basic):
        used = "basic auth" if basic else f"CAMUNDA_AUTH_STRATEGY={strategy}"
        msg = f"Camunda SaaS (CAMUNDA_CLUSTER_ID) needs OAuth client credentials, not {used}"
        raise ConfigError(msg)
    clash = None
    if strategy != "oauth" and oauth:
        clash = name_of(environ, "CAMUNDA_CLIENT_ID", "ZEEBE_CLIENT_ID", "CAMUNDA_CLIENT_SECRET")
    if strategy != "basic" and basic:
        clash = name_of(environ, "CAMUNDA_BASIC_AUTH_USERNAME", "CAMUNDA_BASIC_AUTH_PASSWORD")
    if clash:
        msg = f"CAMUNDA_AUTH_STRATEGY={strategy} contradicts {clash}: unset one of them"
        raise ConfigError(msg)
    return strategy
