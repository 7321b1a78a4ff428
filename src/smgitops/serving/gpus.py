"""Which GPU a worker's handlers are told to use (`context.system_properties["gpu_id"]`).

Multi Model Server gives its workers the GPUs in turn and None on a CPU instance; handlers
written for AWS's PyTorch image build `cuda:<gpu_id>` from it. Same rule here: worker k of a
server on a machine with n visible GPUs gets GPU k mod n.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

DEVICE = re.compile(r"nvidia\d+")


def visible_gpu_count(environ: Mapping[str, str], devices: Path = Path("/dev")) -> int:
    """GPUs this process may use: the entries of CUDA_VISIBLE_DEVICES when it is set (CUDA
    stops at the first invalid one, such as -1), else the /dev/nvidiaN devices (what the
    NVIDIA container runtime mounts). No side effects."""
    listed = environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        count = 0
        for entry in listed.split(","):
            entry = entry.strip()
            if not entry or entry.startswith("-"):
                break
            count += 1
        return count
    try:
        return sum(1 for path in devices.iterdir() if DEVICE.fullmatch(path.name))
    except OSError:
        return 0


def gpu_for_worker(slot: int, gpu_count: int) -> int | None:
    """The GPU of worker `slot` (0-based): None without GPUs, else one each in turn."""
    return None if gpu_count <= 0 else slot % gpu_count
