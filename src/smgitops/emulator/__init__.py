"""The offline AWS: moto 5.2.5 extended with SageMaker behaviour it lacks.

`Emulator` serves it (in-process, context manager); `EmulatorControl` drives a running one
from another process; `install()` applies the moto patches (done by `Emulator.start`).
"""

from smgitops.emulator.control import EmulatorControl
from smgitops.emulator.faults import ApiCall
from smgitops.emulator.patch import install
from smgitops.emulator.server import Emulator

__all__ = ["ApiCall", "Emulator", "EmulatorControl", "install"]
