"""The gRPC channel to the Zeebe gateway: plaintext or TLS, with no auth, Basic or OAuth.

Credentials travel as the ``authorization`` metadata of every call, as Camunda's gateway
expects (`Basic ...` or `Bearer ...`). Over TLS they are gRPC call credentials; gRPC refuses
call credentials on a plaintext channel, so there (only with CAMUNDA_SECURE_CONNECTION=false,
see `ZeebeSettings`) a client interceptor adds the same header.

The channel carries a `gateway_watch.GatewayWatch` when given one (see there for how the
workers live through gateway outages). Its own reconnect backoff is capped low, so a gateway
that is back is noticed fast.
"""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc

from workers.camunda_auth import OAuthTokens, basic_authorization
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


class _Authorization:
    """The ``authorization`` value of a call: fixed (Basic) or a renewed OAuth token."""

    def __init__(self, settings: ZeebeSettings) -> None:
        auth = settings.auth
        self._fixed: str | None = None
        self._tokens: OAuthTokens | None = None
        if auth.strategy == "basic":
            self._fixed = basic_authorization(auth.username or "", auth.password or "")
        else:
            self._tokens = OAuthTokens(auth, ca_certificate_path=settings.ca_certificate_path)

    def blocking(self) -> str:
        return self._fixed or self._token_source().authorization()

    async def current(self) -> str:
        return self._fixed or await self._token_source().aauthorization()

    def _token_source(self) -> OAuthTokens:
        assert self._tokens is not None  # noqa: S101  (one of the two is always set)
        return self._tokens


class _CallCredentials(grpc.AuthMetadataPlugin):  # type: ignore[misc]
    def __init__(self, authorization: _Authorization) -> None:
        self._authorization = authorization

    def __call__(
        self, _context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback
    ) -> None:
        try:
            value = self._authorization.blocking()
        except Exception as exc:  # noqa: BLE001  (gRPC fails the call with this error)
            callback((), exc)
            return
        callback((("authorization", value),), None)


async def _with_authorization(
    authorization: _Authorization,
    continuation: Callable[[Any, Any], Awaitable[Any]],
    details: Any,
    request: Any,
) -> Any:
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    metadata.add("authorization", await authorization.current())
    return await continuation(details._replace(metadata=metadata), request)


class _UnaryUnaryAuth(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    def __init__(self, authorization: _Authorization) -> None:
        self._authorization = authorization

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], client_call_details: Any, request: Any
    ) -> Any:
        return await _with_authorization(
            self._authorization, continuation, client_call_details, request
        )


class _UnaryStreamAuth(grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
    def __init__(self, authorization: _Authorization) -> None:
        self._authorization = authorization

    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], client_call_details: Any, request: Any
    ) -> Any:
        # The call itself is returned, not wrapped: streamed jobs pass through untouched.
        return await _with_authorization(
            self._authorization, continuation, client_call_details, request
        )


def create_channel(
    settings: ZeebeSettings, *, watch: GatewayWatch | None = None
) -> grpc.aio.Channel:
    """A grpc.aio channel for `settings`, watched by `watch` when given."""
    options = list(CHANNEL_OPTIONS)
    extra: list[grpc.aio.ClientInterceptor] = interceptors(watch) if watch is not None else []
    authorization = None if settings.auth.strategy == "none" else _Authorization(settings)
    if not settings.tls:
        if authorization is not None:
            extra = [_UnaryUnaryAuth(authorization), _UnaryStreamAuth(authorization), *extra]
        return grpc.aio.insecure_channel(settings.address, options=options, interceptors=extra)
    root = None
    if settings.ca_certificate_path:
        try:
            root = Path(settings.ca_certificate_path).read_bytes()
        except OSError as exc:
            msg = (
                f"the CA certificate {settings.ca_certificate_path} cannot be read: {exc.strerror}"
            )
            raise ConfigError(msg) from None
    credentials = grpc.ssl_channel_credentials(root_certificates=root)
    if authorization is not None:
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.metadata_call_credentials(_CallCredentials(authorization))
        )
    return grpc.aio.secure_channel(
        settings.address, credentials, options=options, interceptors=extra
    )
