"""Files the product ships beside its code: the database migrations and the BPMN model.

The repository's top-level `migrations/` and `bpmn/` folders are the one source of truth. The
wheel carries copies as package data (``workers/_shipped/``, put there at build time by
pyproject's hatch force-include), found through importlib.resources, so `canary migrate` and
`canary deploy` work from a plain `pip install`. A source checkout, an editable install and
the image (which copies the folders) have no such copies and read the top-level folders.
"""

from importlib import resources
from pathlib import Path

_SHIPPED = "_shipped"
_CHECKOUT = Path(__file__).resolve().parents[1]


def shipped_folder(name: str) -> Path:
    """The folder `name` (``migrations`` or ``bpmn``): the wheel's copy, else the checkout's."""
    # files() of a package installed on disk is a real directory (not a zip): a Path.
    packaged = Path(str(resources.files("workers"))) / _SHIPPED / name
    return packaged if packaged.is_dir() else _CHECKOUT / name
