"""Settings: defaults, parsing, and one clear error per malformed variable."""

import re

import pytest

from workers.errors import ConfigError
from workers.postgres.connection import check_database_url
from workers.settings import (
    DatabaseSettings,
    LoggingSettings,
    RoutingSettings,
    ServiceSettings,
    VerifyMeNowSettings,
    WorkerSettings,
    default_actor,
    parse_duration,
)


def test_defaults_need_no_environment():
    routing = RoutingSettings.from_env({})
    assert routing.rollout == "verifymenow"
    assert routing.subject_variable == "applicantId"
    assert routing.max_config_age == 300
    assert routing.refresh_interval == 30
    assert routing.fallback_version is None  # the rollout's own baseline
    assert DatabaseSettings.from_env({}).url.startswith("postgresql://")
    assert LoggingSettings.from_env({}).format == "auto"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30", 30.0), ("30s", 30.0), ("250ms", 0.25), ("5m", 300.0), ("1h", 3600.0), ("1.5s", 1.5)],
)
def test_durations(text, seconds):
    assert parse_duration(text, name="X") == seconds


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"CANARY_CONFIG_MAX_AGE": "soon"}, "CANARY_CONFIG_MAX_AGE='soon' is not a duration"),
        ({"CANARY_CONFIG_REFRESH": "0"}, "CANARY_CONFIG_REFRESH must be greater than 0"),
        ({"CANARY_FALLBACK_VERSION": "0"}, "CANARY_FALLBACK_VERSION='0' must be a version"),
        ({"CANARY_ROLLOUT": "Bad Name"}, "rollout name 'Bad Name' is invalid"),
        ({"CANARY_SUBJECT_VARIABLE": "a-b"}, "is not a variable name"),
        (
            {"CANARY_CONFIG_MAX_AGE": "10s", "CANARY_CONFIG_REFRESH": "30s"},
            "CANARY_CONFIG_MAX_AGE must be longer than CANARY_CONFIG_REFRESH",
        ),
    ],
)
def test_routing_settings_refuse_bad_values(environ, message):
    with pytest.raises(ConfigError, match=message):
        RoutingSettings.from_env(environ)


def test_database_url_must_be_postgres():
    with pytest.raises(ConfigError, match="DATABASE_URL must be a postgresql:// URL"):
        DatabaseSettings.from_env({"DATABASE_URL": "mysql://x"})


def test_verifymenow_urls_are_checked_and_normalised():
    settings = VerifyMeNowSettings.from_env(
        {
            "VERIFYMENOW_V1_URL": "http://a:1/",
            "VERIFYMENOW_V2_URL": "https://b",
            "VERIFYMENOW_TIMEOUT": "2s",
        }
    )
    assert (settings.v1_url, settings.v2_url, settings.request_timeout) == (
        "http://a:1",
        "https://b",
        2.0,
    )
    with pytest.raises(ConfigError, match="VERIFYMENOW_V2_URL must be an http"):
        VerifyMeNowSettings.from_env({"VERIFYMENOW_V2_URL": "ftp://x"})


def test_logging_settings_refuse_unknown_format_and_level():
    with pytest.raises(ConfigError, match="CANARY_LOG_FORMAT"):
        LoggingSettings.from_env({"CANARY_LOG_FORMAT": "xml"})
    with pytest.raises(ConfigError, match="CANARY_LOG_LEVEL"):
        LoggingSettings.from_env({"CANARY_LOG_LEVEL": "loud"})
    extra = LoggingSettings.from_env({"CANARY_REDACT_KEYS": "iban, taxNumber,"})
    assert extra.redact_keys == {"iban", "taxNumber"}


def test_default_actor_prefers_canary_actor_then_user():
    assert default_actor({"CANARY_ACTOR": "ci-bot"}, login="root", hostname="h") == "ci-bot"
    assert default_actor({"USER": "alice"}, login="root", hostname="h") == "alice@h"
    assert default_actor({}, login="root", hostname="h") == "root@h"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"CANARY_TASKS": "choose,v9"}, "CANARY_TASKS='choose,v9': choose from choose, v1, v2"),
        ({"CANARY_HTTP_PORT": "http"}, "CANARY_HTTP_PORT='http' is not a port number"),
        ({"CANARY_MAX_JOBS": "0"}, "CANARY_MAX_JOBS=0 is out of range (1 to 10,000)"),
        # Past protobuf's int32 this once stopped every poller (issue 16, item 1).
        ({"CANARY_MAX_JOBS": "5000000000"}, "CANARY_MAX_JOBS=5000000000 is out of range"),
        ({"CANARY_MAX_JOBS": "-3"}, "CANARY_MAX_JOBS='-3' is not a whole number"),
        ({"CANARY_RECORDER_BUFFER_SIZE": "1" + "0" * 12}, "BUFFER_SIZE=1000000000000 is out"),
        # A superscript two is a digit to str.isdigit() but not to int(): one line, not a
        # traceback (issue 16, item 11).
        ({"CANARY_HTTP_PORT": "\u00b2"}, "CANARY_HTTP_PORT='\u00b2' is not a port number"),
        ({"CANARY_JOB_STREAMING": "maybe"}, "CANARY_JOB_STREAMING='maybe' is not a boolean"),
        ({"CANARY_VERIFY_JOB_TIMEOUT": "0s"}, "CANARY_VERIFY_JOB_TIMEOUT must be greater than 0"),
    ],
)
def test_worker_settings_refuse_bad_values(environ, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        ServiceSettings.from_env(environ, hostname="h")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://canary:s3cr3t-pw@[::1/db",
        "postgresql://canary:s3cr3t-pw%zz@db.internal/canary",
        "postgresql://canary:s3cr3t-pw@db.internal:port/canary",
        "postgresql://db.internal/canary?password=s3cr3t-pw&bogus=1",
    ],
)
def test_a_malformed_database_url_is_refused_in_one_line_with_the_password_masked(url):
    with pytest.raises(ConfigError) as refused:
        check_database_url(url)
    message = str(refused.value)
    assert "s3cr3t" not in message
    assert message.startswith("DATABASE_URL postgresql://")
    assert "\n" not in message


def test_worker_settings_defaults():
    settings = WorkerSettings.from_env({}, hostname="host-1")
    assert settings.tasks == {"choose", "v1", "v2"}
    assert (settings.name, settings.http_port, settings.max_jobs) == ("host-1", 9400, 64)
    assert settings.shutdown_grace == 25.0
    assert settings.job_streaming is False
    assert settings.verify_job_timeout is None


@pytest.mark.parametrize(("text", "version"), [("3", 3), ("v2", 2), ("baseline", None)])
def test_the_fallback_version_is_any_version_or_the_rollouts_baseline(text, version):
    routing = RoutingSettings.from_env({"CANARY_FALLBACK_VERSION": text})
    assert routing.fallback_version == version
