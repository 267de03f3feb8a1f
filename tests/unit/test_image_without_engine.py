"""The worker image installs the product without the dev engine (checked statically)."""

import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALLS_EXTRAS = (
    "--extra",
    "--all-extras",
    "--all-packages",
    "--package",
    "--group",
    "--all-groups",
    "--dev",
)


def dockerfile_commands() -> list[list[str]]:
    """Every RUN and COPY instruction of the Dockerfile, split into words."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [shlex.split(line) for line in text.splitlines() if line.startswith(("RUN ", "COPY "))]


def test_the_image_syncs_the_product_without_dev_dependencies_or_extras():
    syncs = [words for words in dockerfile_commands() if words[1:3] == ["uv", "sync"]]
    assert syncs
    for words in syncs:
        assert "--no-dev" in words
        assert "--frozen" in words
        assert not [word for word in words if word.startswith(INSTALLS_EXTRAS)], words


def test_the_image_copies_nothing_of_the_engine():
    copies = [words for words in dockerfile_commands() if words[0] == "COPY"]
    assert copies
    assert not [words for words in copies if any("devengine" in word for word in words)]
