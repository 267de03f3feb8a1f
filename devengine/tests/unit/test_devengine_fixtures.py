"""The plugin's settings: where the fixtures connect; the plugin without pytest-asyncio."""

import importlib
import sys
from typing import Any

import pytest
from zeebe_devengine.fixtures import (
    DEFAULT_REST_ADDRESS,
    REST_ADDRESS,
    ZEEBE_ADDRESS,
    grpc_address,
    rest_base_url,
    setting,
)


class FakeConfig:
    def __init__(self, options: dict[str, str | None], ini: dict[str, str]) -> None:
        self.options, self.ini = options, ini

    def getoption(self, name: str) -> Any:
        return self.options.get(name)

    def getini(self, name: str) -> Any:
        return self.ini.get(name, "")


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("localhost", "localhost:26500"),
        ("zeebe:26501", "zeebe:26501"),
        ("http://zeebe:26500", "zeebe:26500"),
        ("grpc://10.0.0.5:26500/", "10.0.0.5:26500"),
    ],
)
def test_plaintext_gateway_addresses_in_the_forms_zeebe_accepts(text: str, address: str) -> None:
    assert grpc_address(text) == address


@pytest.mark.parametrize("text", ["https://zeebe:443", "grpcs://zeebe:443", "zeebe:26500/path"])
def test_other_gateway_addresses_fail_the_test_saying_so(text: str) -> None:
    with pytest.raises(pytest.fail.Exception, match="plaintext gateways"):
        grpc_address(text)


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("", DEFAULT_REST_ADDRESS),
        ("http://camunda:8080", "http://camunda:8080"),
        ("http://camunda:8080/v2/", "http://camunda:8080"),
        ("https://camunda.example/", "https://camunda.example"),
    ],
)
def test_rest_addresses_become_base_urls_without_v2(text: str, url: str) -> None:
    assert rest_base_url(text) == url


def test_a_rest_address_without_a_scheme_fails_the_test() -> None:
    with pytest.raises(pytest.fail.Exception, match="http:// or https://"):
        rest_base_url("camunda:8080")


def test_the_command_line_beats_the_ini_file_which_beats_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZEEBE_ADDRESS", "from-env:1")
    monkeypatch.setenv("CAMUNDA_REST_ADDRESS", " http://from-env:2 ")
    both = FakeConfig({ZEEBE_ADDRESS: "from-option:3"}, {ZEEBE_ADDRESS: "from-ini:4"})
    assert setting(both, ZEEBE_ADDRESS) == "from-option:3"
    assert setting(FakeConfig({}, {ZEEBE_ADDRESS: "from-ini:4"}), ZEEBE_ADDRESS) == "from-ini:4"
    assert setting(FakeConfig({}, {}), ZEEBE_ADDRESS) == "from-env:1"
    assert setting(FakeConfig({}, {}), REST_ADDRESS) == "http://from-env:2"


def test_nothing_set_means_the_dev_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZEEBE_ADDRESS", "   ")
    assert setting(FakeConfig({ZEEBE_ADDRESS: None}, {}), ZEEBE_ADDRESS) == ""


def test_without_pytest_asyncio_the_plugin_offers_nothing_and_breaks_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pytest_asyncio", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "zeebe_devengine.pytest_plugin")
    plugin = importlib.import_module("zeebe_devengine.pytest_plugin")
    assert not hasattr(plugin, "zeebe_target")
    assert not hasattr(plugin, "pytest_addoption")


def test_with_pytest_asyncio_the_plugin_offers_the_fixtures_and_options() -> None:
    plugin = importlib.import_module("zeebe_devengine.pytest_plugin")
    for name in ("zeebe_target", "zeebe_channel", "zeebe_client", "pytest_addoption"):
        assert hasattr(plugin, name), name
