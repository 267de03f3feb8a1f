"""The README's shell examples, read once for the tests that check and run them."""

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SHELL_BLOCKS = re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
SHELL_LINES: list[str] = [
    line.split("  #")[0].strip()
    for block in SHELL_BLOCKS
    for line in block.splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]


def canary_commands() -> list[list[str]]:
    """The arguments of every `canary ...` (or `docker compose run --rm cli ...`) line."""
    commands = []
    for line in SHELL_LINES:
        words = shlex.split(line)
        while words and "=" in words[0] and not words[0].startswith("-"):
            words = words[1:]  # VAR=value prefixes
        if words[:1] == ["canary"]:
            commands.append(words[1:])
        elif words[:4] == ["docker", "compose", "run", "--rm"] and words[4] == "cli":
            commands.append(words[5:])
    return commands
