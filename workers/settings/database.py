"""The rollout store's connection: DATABASE_URL."""

from collections.abc import Mapping
from dataclasses import dataclass

from workers.errors import ConfigError
from workers.settings.read import text

#: The local server `make postgres` starts; the demo and the tests fall back to it too.
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    #: libpq connection URL of the rollout store.
    url: str = DEFAULT_DATABASE_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "DatabaseSettings":
        return cls.from_url(text(environ, "DATABASE_URL", DEFAULT_DATABASE_URL))

    @classmethod
    def from_env_if_set(cls, environ: Mapping[str, str]) -> "DatabaseSettings | None":
        """DATABASE_URL's settings when it is set, else None (the demo then finds a server)."""
        url = environ.get("DATABASE_URL", "").strip()
        return cls.from_url(url) if url else None

    @classmethod
    def from_url(cls, url: str) -> "DatabaseSettings":
        """A URL given on the command line, checked as DATABASE_URL is."""
        if not url.startswith(("postgresql://", "postgres://")):
            msg = "DATABASE_URL must be a postgresql:// URL"
            raise ConfigError(msg)
        return cls(url=url)
