"""A module imported when first used, so that `import runlet` builds only what every run needs."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


class DeferredModule:
    """Stands for the module `name` and imports it at the first attribute read.

    Each attribute read is then kept on this object, so later reads cost what
    a plain attribute does. Type checkers see the real module: bind the name
    with `if TYPE_CHECKING: from package import module` / `else: module =
    DeferredModule("package.module")`.
    """

    def __init__(self, name: str) -> None:
        self.__name = name

    def __getattr__(self, attribute: str) -> object:
        value: object = getattr(importlib.import_module(self.__name), attribute)
        setattr(self, attribute, value)
        return value

    def __repr__(self) -> str:
        return f"DeferredModule({self.__name!r})"


def deferred_exports(
    namespace: dict[str, object], names: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """A package's `__getattr__` and `__dir__` for names whose modules are imported on first use.

    `names` maps each name to the module that defines it (a name that is the
    module's own last part stands for the module itself); a name read once is
    kept in `namespace`. Bind them at run time only (`if not TYPE_CHECKING`),
    after importing the same names under `TYPE_CHECKING`, so that the type
    checkers see the real names and still reject unknown ones.
    """

    def __getattr__(name: str) -> object:
        module_name = names.get(name)
        if module_name is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        module = importlib.import_module(module_name)
        value: object = module if module_name.rpartition(".")[2] == name else getattr(module, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *names})

    return __getattr__, __dir__
