"""FEEL's built-in functions, by family; `BUILTINS` maps each name to its overloads."""

from zeebe_devengine.feel.builtins import (  # noqa: F401 - importing registers the family
    boolean,
    contexts,
    conversion,
    lists,
    numeric,
    ranges,
    strings,
    temporal,
)
from zeebe_devengine.feel.builtins.registry import REGISTRY
from zeebe_devengine.feel.values import Function

BUILTINS: dict[str, tuple[Function, ...]] = {
    name: tuple(overloads) for name, overloads in REGISTRY.items()
}
