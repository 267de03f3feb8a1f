"""The README's SaaS and self-managed sections, read by the real settings code.

Every `export` block and inline setting shown there builds the gRPC and the REST settings it
promises (`...` placeholders filled in), and the plaintext warning quoted is the real one.
"""

import re
import shlex
from pathlib import Path

import pytest

from workers.errors import ConfigError
from workers.settings import CamundaRestSettings, ZeebeSettings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def section(title: str) -> str:
    return README.split(f"## {title}")[1].split("\n## ")[0]


def exported(text: str) -> dict[str, str]:
    environ: dict[str, str] = {}
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        for line in block.splitlines():
            words = shlex.split(line.split("  #")[0])
            if words[:1] == ["export"]:
                for word in words[1:]:
                    name, value = word.split("=", 1)
                    environ[name] = value.replace("...", "x").replace("<cluster-id>", "c0ffee")
    return environ


def test_the_saas_section_gives_oauth_with_saas_defaults_to_both_sides():
    environ = exported(section("Run it against Camunda SaaS"))
    grpc = ZeebeSettings.from_env(environ)
    rest = CamundaRestSettings.from_env(environ)
    assert (grpc.address, grpc.tls) == ("x.bru-2.zeebe.camunda.io:443", True)
    for auth in (grpc.auth, rest.auth):
        assert auth.strategy == "oauth"
        assert auth.oauth_url == "https://login.cloud.camunda.io/oauth/token"
        assert auth.audience == "zeebe.camunda.io"
    assert rest.address == "https://bru-2.zeebe.camunda.io/c0ffee/v2"
    del environ["CAMUNDA_REST_ADDRESS"]  # "may be left out"
    assert CamundaRestSettings.from_env(environ).address == "https://bru-2.zeebe.camunda.io/x/v2"


def test_the_self_managed_section_gives_basic_over_tls():
    text = section("Run it against self-managed Camunda (Basic, OAuth, TLS)")
    environ = exported(text)
    grpc = ZeebeSettings.from_env(environ)
    rest = CamundaRestSettings.from_env(environ)
    assert (grpc.auth.strategy, grpc.tls, rest.auth.strategy) == ("basic", True, "basic")
    port_forward = {**environ, "ZEEBE_ADDRESS": "http://localhost:26500"}
    with pytest.raises(ConfigError) as caught:
        ZeebeSettings.from_env(port_forward)
    quoted = re.search(r'stops\s+with "(.*?)"', text, flags=re.DOTALL)
    assert quoted is not None
    start, end = " ".join(quoted.group(1).split()).split(" ... ")
    assert str(caught.value).startswith(start)
    assert end in str(caught.value)
    allowed = ZeebeSettings.from_env({**port_forward, "CAMUNDA_SECURE_CONNECTION": "false"})
    assert (allowed.tls, allowed.auth.strategy) == (False, "basic")


def test_the_self_managed_oauth_and_tls_variants_work_as_described():
    oauth = {
        "ZEEBE_ADDRESS": "https://zeebe.example.com:443",
        "ZEEBE_CLIENT_ID": "x",
        "ZEEBE_CLIENT_SECRET": "x",
        "ZEEBE_AUTHORIZATION_SERVER_URL": "https://idp.example.com/token",
    }
    text = section("Run it against self-managed Camunda (Basic, OAuth, TLS)")
    for name in oauth:
        assert f"`{name}`" in text or f"{name}=" in text
    assert ZeebeSettings.from_env(oauth).auth.strategy == "oauth"
    assert CamundaRestSettings.from_env(oauth).auth.strategy == "oauth"
    tls = ZeebeSettings.from_env({"ZEEBE_ADDRESS": "https://host:26500"})
    assert (tls.tls, tls.auth.strategy) == (True, "none")
