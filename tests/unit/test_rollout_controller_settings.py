"""The guarded-rollout controller's settings: its own login, the webhook, the task group."""

import pytest

from workers.errors import ConfigError
from workers.runtime.service import _secrets_of
from workers.settings import RolloutControllerSettings, ServiceSettings, WorkerSettings


def test_defaults_use_database_url_and_only_log_events():
    settings = RolloutControllerSettings.from_env({})
    assert settings == RolloutControllerSettings()
    assert (settings.database_url, settings.webhook_url, settings.webhook_timeout) == (
        None,
        None,
        5.0,
    )


def test_the_controller_is_chosen_explicitly_never_by_default():
    assert "rollout" not in WorkerSettings.from_env({}, hostname="h").tasks
    chosen = WorkerSettings.from_env({"CANARY_TASKS": "rollout"}, hostname="h")
    assert chosen.tasks == frozenset({"rollout"})
    both = WorkerSettings.from_env({}, hostname="h", tasks="choose,v1,v2,rollout")
    assert both.tasks == frozenset({"choose", "v1", "v2", "rollout"})


def test_its_values_are_read_from_the_environment():
    settings = RolloutControllerSettings.from_env(
        {
            "CANARY_ROLLOUT_DATABASE_URL": "postgresql://controller@db/canary",
            "CANARY_ROLLOUT_WEBHOOK_URL": "https://hooks.example/T000/B000/XXXX",
            "CANARY_ROLLOUT_WEBHOOK_TIMEOUT": "2s",
        }
    )
    assert settings.database_url == "postgresql://controller@db/canary"
    assert settings.webhook_url == "https://hooks.example/T000/B000/XXXX"
    assert settings.webhook_timeout == 2.0


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"CANARY_ROLLOUT_DATABASE_URL": "mysql://x"}, "must be a postgresql:// URL"),
        ({"CANARY_ROLLOUT_WEBHOOK_URL": "hooks.example/T0/secret"}, "http:// or https:// URL"),
        ({"CANARY_ROLLOUT_WEBHOOK_TIMEOUT": "30s"}, "at most 10 s"),
        ({"CANARY_ROLLOUT_WEBHOOK_TIMEOUT": "0s"}, "greater than 0"),
    ],
)
def test_bad_values_are_one_line_without_the_value(environ, message):
    with pytest.raises(ConfigError, match=message) as caught:
        RolloutControllerSettings.from_env(environ)
    assert "secret" not in str(caught.value)  # a mistyped webhook URL is still a secret


def test_the_webhook_and_the_controllers_password_are_masked_in_logs():
    settings = ServiceSettings.from_env(
        {
            "DATABASE_URL": "postgresql://worker:w-pass@db/canary",
            "CANARY_ROLLOUT_DATABASE_URL": "postgresql://controller:c-pass@db/canary",
            "CANARY_ROLLOUT_WEBHOOK_URL": "https://hooks.example/T000/B000/XXXX",
        },
        worker=WorkerSettings(),
    )
    secrets = _secrets_of(settings)
    assert {"w-pass", "c-pass", "https://hooks.example/T000/B000/XXXX"} <= set(secrets)
