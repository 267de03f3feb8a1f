"""The README's "make v2 fail everything" request, sent as written to the stand-in as compose
starts it: accepted, and v2 then fails every call."""

import re
import shlex
from pathlib import Path

import httpx
import yaml

from workers.cli import build_parser
from workers.cli.stub_cmd import build_config
from workers.demo.stub.server import VerifyMeNowStub

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def readme_curl() -> tuple[str, str, str]:
    """(method, path, body) of the README's curl to the stand-in's admin endpoint."""
    (line,) = [
        line for line in README.splitlines() if line.startswith("curl ") and "/admin/config" in line
    ]
    words = shlex.split(line)
    method = words[words.index("-X") + 1]
    url = next(w for w in words if "/admin/config" in w)
    body = words[words.index("-d") + 1]
    return method, re.sub(r"^(https?://)?[^/]+", "", url), body


async def test_the_readmes_fail_everything_request_works_against_the_compose_stand_in():
    argv = COMPOSE["services"]["verifymenow"]["command"]
    config = build_config(build_parser().parse_args(argv))
    method, path, body = readme_curl()
    async with VerifyMeNowStub(config) as stub, httpx.AsyncClient(base_url=stub.url) as http:
        answer = await http.request(method, path, content=body)
        assert answer.status_code == 200, answer.text
        current = (await http.get("/admin/config")).json()
    assert current["v2"]["error_rate"] == 1
    assert current["v1"]["error_rate"] == 0.15  # v1 untouched
