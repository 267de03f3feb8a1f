"""One settings model for gRPC and REST: aliases, strategies, TLS opt-out, SaaS, tenants."""

import re

import pytest

from workers.errors import ConfigError
from workers.settings import CamundaAuth, CamundaRestSettings, ZeebeSettings

OAUTH = {
    "ZEEBE_CLIENT_ID": "id",
    "ZEEBE_CLIENT_SECRET": "secret",
    "ZEEBE_AUTHORIZATION_SERVER_URL": "https://login.example/token",
}
BASIC = {"CAMUNDA_BASIC_AUTH_USERNAME": "demo", "CAMUNDA_BASIC_AUTH_PASSWORD": "pw"}


def test_camunda_names_win_over_zeebe_names_on_both_sides():
    environ = {
        **OAUTH,
        "CAMUNDA_CLIENT_ID": "camunda-id",
        "CAMUNDA_CLIENT_SECRET": "camunda-secret",
        "CAMUNDA_OAUTH_URL": "https://camunda.example/token",
        "CAMUNDA_TOKEN_AUDIENCE": "camunda-aud",
        "ZEEBE_TOKEN_AUDIENCE": "zeebe-aud",
        "ZEEBE_ADDRESS": "https://zeebe.example:443",
    }
    grpc_auth = ZeebeSettings.from_env(environ).auth
    rest_auth = CamundaRestSettings.from_env(environ).auth
    assert grpc_auth == rest_auth
    assert (grpc_auth.client_id, grpc_auth.client_secret) == ("camunda-id", "camunda-secret")
    assert (grpc_auth.oauth_url, grpc_auth.audience) == (
        "https://camunda.example/token",
        "camunda-aud",
    )


def test_the_private_ca_reaches_both_sides_camunda_name_first():
    environ = {
        "ZEEBE_ADDRESS": "https://z:443",
        "CAMUNDA_REST_ADDRESS": "https://c:8080",
        "ZEEBE_CA_CERTIFICATE_PATH": "/zeebe.pem",
        "CAMUNDA_CUSTOM_ROOT_CERT_PATH": "/camunda.pem",
    }
    assert ZeebeSettings.from_env(environ).ca_certificate_path == "/camunda.pem"
    assert CamundaRestSettings.from_env(environ).ca_certificate_path == "/camunda.pem"
    del environ["CAMUNDA_CUSTOM_ROOT_CERT_PATH"]
    assert CamundaRestSettings.from_env(environ).ca_certificate_path == "/zeebe.pem"


def test_zeebe_grpc_address_is_accepted():
    settings = ZeebeSettings.from_env({"ZEEBE_GRPC_ADDRESS": "gateway:26500"})
    assert (settings.address, settings.tls) == ("gateway:26500", False)


@pytest.mark.parametrize(
    ("environ", "address", "tls", "strategy"),
    [
        ({}, "localhost:26500", False, "none"),
        ({"ZEEBE_ADDRESS": "http://camunda:26500"}, "camunda:26500", False, "none"),
        ({"ZEEBE_ADDRESS": "grpcs://z.example:8443"}, "z.example:8443", True, "none"),
        ({"ZEEBE_ADDRESS": "z.example:443", **BASIC}, "z.example:443", True, "basic"),
        ({"ZEEBE_ADDRESS": "z.example:443", **OAUTH}, "z.example:443", True, "oauth"),
        (
            {"ZEEBE_ADDRESS": "localhost:26500", "CAMUNDA_SECURE_CONNECTION": "false", **OAUTH},
            "localhost:26500",
            False,
            "oauth",
        ),
        (
            {"ZEEBE_ADDRESS": "localhost:26500", "CAMUNDA_SECURE_CONNECTION": "false", **BASIC},
            "localhost:26500",
            False,
            "basic",
        ),
        (
            {"ZEEBE_CLIENT_ID": "i", "ZEEBE_CLIENT_SECRET": "s", "CAMUNDA_CLUSTER_ID": "abc-1"},
            "abc-1.bru-2.zeebe.camunda.io:443",
            True,
            "oauth",
        ),
    ],
)
def test_grpc_connection_per_strategy(environ, address, tls, strategy):
    settings = ZeebeSettings.from_env(environ)
    assert (settings.address, settings.tls, settings.auth.strategy) == (address, tls, strategy)


def test_saas_defaults_are_shared_by_grpc_and_rest():
    environ = {"ZEEBE_CLIENT_ID": "i", "ZEEBE_CLIENT_SECRET": "s", "CAMUNDA_CLUSTER_ID": "c"}
    for auth in (ZeebeSettings.from_env(environ).auth, CamundaRestSettings.from_env(environ).auth):
        assert auth.oauth_url == "https://login.cloud.camunda.io/oauth/token"
        assert auth.audience == "zeebe.camunda.io"


def test_consoles_credentials_file_with_its_zeebe_address_is_accepted():
    environ = {
        "ZEEBE_CLIENT_ID": "i",
        "ZEEBE_CLIENT_SECRET": "s",
        "CAMUNDA_CLUSTER_ID": "c",
        "ZEEBE_ADDRESS": "c.bru-2.zeebe.camunda.io:443",
    }
    assert ZeebeSettings.from_env(environ).address == "c.bru-2.zeebe.camunda.io:443"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ZEEBE_ADDRESS": "a:1", "ZEEBE_GRPC_ADDRESS": "b:1"}, "disagree: set one"),
        ({**OAUTH, **BASIC}, "choose one with CAMUNDA_AUTH_STRATEGY"),
        ({**OAUTH, "CAMUNDA_AUTH_STRATEGY": "basic", **BASIC}, "contradicts ZEEBE_CLIENT_ID"),
        ({**BASIC, "CAMUNDA_AUTH_STRATEGY": "none"}, "contradicts CAMUNDA_BASIC_AUTH_USERNAME"),
        ({"CAMUNDA_AUTH_STRATEGY": "kerberos"}, "must be NONE, BASIC or OAUTH"),
        ({"CAMUNDA_BASIC_AUTH_USERNAME": "demo"}, "needs CAMUNDA_BASIC_AUTH_USERNAME and"),
        ({"ZEEBE_CLIENT_ID": "id"}, "OAuth needs CAMUNDA_CLIENT_ID and CAMUNDA_CLIENT_SECRET"),
        ({"ZEEBE_CLIENT_ID": "id", "ZEEBE_CLIENT_SECRET": "s"}, "OAuth needs a token URL"),
        ({"ZEEBE_ADDRESS": "http://z:26500", **OAUTH}, "oauth auth over plaintext"),
        (
            {"ZEEBE_ADDRESS": "http://z:26500", "CAMUNDA_SECURE_CONNECTION": "true"},
            "contradicts CAMUNDA_SECURE_CONNECTION=true",
        ),
        (
            {"ZEEBE_ADDRESS": "https://z:443", "CAMUNDA_SECURE_CONNECTION": "false"},
            "contradicts CAMUNDA_SECURE_CONNECTION=false",
        ),
        ({"CAMUNDA_CLUSTER_ID": "c"}, "OAuth needs CAMUNDA_CLIENT_ID"),
        ({"CAMUNDA_CLUSTER_ID": "c", **BASIC}, "SaaS (CAMUNDA_CLUSTER_ID) needs OAuth"),
        (
            {"CAMUNDA_CLUSTER_ID": "c", **OAUTH, "CAMUNDA_SECURE_CONNECTION": "no"},
            "needs TLS",
        ),
        (
            {"CAMUNDA_CLUSTER_ID": "c", **OAUTH, "ZEEBE_ADDRESS": "other:443"},
            "is not CAMUNDA_CLUSTER_ID's gateway",
        ),
        ({"ZEEBE_CA_CERTIFICATE_PATH": "/x.pem"}, "needs a TLS address"),
        ({"CAMUNDA_TENANT_ID": "a b"}, "CAMUNDA_TENANT_ID='a b' is not a tenant id"),
        ({"CANARY_WORKER_TENANT_IDS": "a,b/c"}, "CANARY_WORKER_TENANT_IDS='b/c'"),
    ],
)
def test_contradictory_or_incomplete_settings_are_refused_in_one_line(environ, message):
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        ZeebeSettings.from_env(environ)
    assert "\n" not in str(caught.value)
    assert "secret" not in str(caught.value).replace("CLIENT_SECRET", "")


def test_rest_refuses_a_private_ca_over_http():
    with pytest.raises(ConfigError, match="needs an https:// REST address"):
        CamundaRestSettings.from_env({"CAMUNDA_CUSTOM_ROOT_CERT_PATH": "/ca.pem"})


def test_tenants_for_deploy_and_for_workers():
    one = ZeebeSettings.from_env({"CAMUNDA_TENANT_ID": "team-a"})
    assert (one.tenant_id, one.worker_tenant_ids) == ("team-a", ("team-a",))
    many = ZeebeSettings.from_env(
        {"CAMUNDA_TENANT_ID": "team-a", "CANARY_WORKER_TENANT_IDS": "team-a, team-b"}
    )
    assert many.worker_tenant_ids == ("team-a", "team-b")
    assert ZeebeSettings.from_env({}).worker_tenant_ids == ()
    assert CamundaRestSettings.from_env({"CAMUNDA_TENANT_ID": "team-a"}).tenant_id == "team-a"


def test_no_secret_in_any_repr():
    for environ in ({"ZEEBE_ADDRESS": "https://z:443", **BASIC}, {"ZEEBE_ADDRESS": "z:1", **OAUTH}):
        for settings in (ZeebeSettings.from_env(environ), CamundaRestSettings.from_env(environ)):
            assert "secret" not in repr(settings).replace("client_secret", "")
            assert "'pw'" not in repr(settings)
    assert "pw" not in repr(CamundaAuth(strategy="basic", username="u", password="pw"))  # noqa: S106 - test value
