"""The gRPC channel to the Zeebe gateway: plaintext, TLS, or TLS with OAuth tokens.

The channel carries a `gateway_watch.GatewayWatch` when given one (see there for how the
workers live through gateway outages). Its own reconnect backoff is capped low, so a gateway
that is back is noticed fast.
"""

from functools import partial
from pathlib import Path
from typing import Any

import grpc
from oauthlib import oauth2
from pyzeebe.credentials import Oauth2ClientCredentialsMetadataPlugin, OAuth2MetadataPlugin
from requests_oauthlib import OAuth2Session

from workers.errors import ConfigError
from workers.runtime.gateway_watch import GatewayWatch, interceptors
from workers.settings import ZeebeSettings

CHANNEL_OPTIONS: tuple[tuple[str, Any], ...] = (
    # gRPC's default reconnect backoff grows to 120 s; cap it so recovery is seen within 5 s.
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 5_000),
    ("grpc.keepalive_time_ms", 45_000),
)


def create_channel(
    settings: ZeebeSettings, *, watch: GatewayWatch | None = None
) -> grpc.aio.Channel:
    """A grpc.aio channel for `settings`, watched by `watch` when given."""
    options = list(CHANNEL_OPTIONS)
    extra = interceptors(watch) if watch is not None else []
    credentials = None
    if settings.ca_certificate_path:
        try:
            root = Path(settings.ca_certificate_path).read_bytes()
        except OSError as exc:
            msg = f"ZEEBE_CA_CERTIFICATE_PATH cannot be read: {exc.strerror}"
            raise ConfigError(msg) from None
        credentials = grpc.ssl_channel_credentials(root_certificates=root)
    if settings.mode == "plaintext":
        channel = grpc.aio.insecure_channel(settings.address, options=options, interceptors=extra)
    elif settings.mode == "tls":
        channel = grpc.aio.secure_channel(
            settings.address,
            credentials or grpc.ssl_channel_credentials(),
            options=options,
            interceptors=extra,
        )
    else:
        call_credentials = grpc.metadata_call_credentials(token_plugin(settings))
        channel = grpc.aio.secure_channel(
            settings.address,
            grpc.composite_channel_credentials(
                credentials or grpc.ssl_channel_credentials(), call_credentials
            ),
            options=options,
            interceptors=extra,
        )
    return channel


def token_plugin(settings: ZeebeSettings) -> grpc.AuthMetadataPlugin:
    """pyzeebe's OAuth client-credentials plugin, built here so the channel can carry our
    interceptors (pyzeebe's channel helpers take none)."""
    client_id = settings.client_id or ""
    client_secret = settings.client_secret or ""
    token_url = settings.oauth_url or ""
    if settings.mode == "saas":
        # Camunda SaaS wants the client id and secret in the token request body.
        session = OAuth2Session(client=oauth2.BackendApplicationClient(client_id=client_id))
        fetch = partial(
            session.fetch_token,
            token_url=token_url,
            include_client_id=True,
            client_secret=client_secret,
            audience=settings.audience,
        )
        return OAuth2MetadataPlugin(oauth2session=session, func_retrieve_token=fetch)
    return Oauth2ClientCredentialsMetadataPlugin(
        client_id=client_id,
        client_secret=client_secret,
        authorization_server=token_url,
        audience=settings.audience,
    )
