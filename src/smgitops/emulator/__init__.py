"""The offline AWS: moto 5.2.5 extended with SageMaker behaviour it lacks.

`Emulator` serves it (in-process, context manager); `EmulatorControl` drives a running one
from another process; `Knobs` declares what both can turn; `install()` applies the moto
patches (done by `Emulator.start`).

The names load on first use: the CLI reads `knobs` without importing moto (seconds).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smgitops.emulator.control import EmulatorControl
    from smgitops.emulator.faults import ApiCall
    from smgitops.emulator.knobs import Knobs
    from smgitops.emulator.patch import install
    from smgitops.emulator.server import Emulator

# name -> the module that defines it
_EXPORTS = {
    "ApiCall": "faults",
    "Emulator": "server",
    "EmulatorControl": "control",
    "Knobs": "knobs",
    "install": "patch",
}
__all__ = ["ApiCall", "Emulator", "EmulatorControl", "Knobs", "install"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
