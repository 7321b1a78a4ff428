"""SageMaker real-time hosting instance types: one table for validate, the planner and the
emulator.

Each row mirrors AWS's published hardware for the type: vCPUs, memory (GiB) and accelerators
(count and model). Sources: the "Amazon SageMaker AI pricing" page's instance details and the
Amazon EC2 instance type specifications of the same family. A typo in an instance type only
fails after CreateEndpointConfig, minutes into a deploy; this table catches it at review time.
Add a row when AWS adds a type for hosting.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

AcceleratorKind = Literal["gpu", "neuron"]

# type, vCPUs, memory GiB, accelerators ("<count> <model>"; none for CPU-only types)
_TABLE = """
ml.t2.medium            2      4
ml.t2.large             2      8
ml.t2.xlarge            4     16
ml.t2.2xlarge           8     32
ml.t3.medium            2      4
ml.t3.large             2      8
ml.t3.xlarge            4     16
ml.t3.2xlarge           8     32
ml.m4.xlarge            4     16
ml.m4.2xlarge           8     32
ml.m4.4xlarge          16     64
ml.m4.10xlarge         40    160
ml.m4.16xlarge         64    256
ml.m5.large             2      8
ml.m5.xlarge            4     16
ml.m5.2xlarge           8     32
ml.m5.4xlarge          16     64
ml.m5.12xlarge         48    192
ml.m5.24xlarge         96    384
ml.m5d.large            2      8
ml.m5d.xlarge           4     16
ml.m5d.2xlarge          8     32
ml.m5d.4xlarge         16     64
ml.m5d.12xlarge        48    192
ml.m5d.24xlarge        96    384
ml.m6i.large            2      8
ml.m6i.xlarge           4     16
ml.m6i.2xlarge          8     32
ml.m6i.4xlarge         16     64
ml.m6i.8xlarge         32    128
ml.m6i.12xlarge        48    192
ml.m6i.16xlarge        64    256
ml.m6i.24xlarge        96    384
ml.m6i.32xlarge       128    512
ml.m7i.large            2      8
ml.m7i.xlarge           4     16
ml.m7i.2xlarge          8     32
ml.m7i.4xlarge         16     64
ml.m7i.8xlarge         32    128
ml.m7i.12xlarge        48    192
ml.m7i.16xlarge        64    256
ml.m7i.24xlarge        96    384
ml.m7i.48xlarge       192    768
ml.m6g.medium           1      4
ml.m6g.large            2      8
ml.m6g.xlarge           4     16
ml.m6g.2xlarge          8     32
ml.m6g.4xlarge         16     64
ml.m6g.8xlarge         32    128
ml.m6g.12xlarge        48    192
ml.m6g.16xlarge        64    256
ml.m6gd.medium          1      4
ml.m6gd.large           2      8
ml.m6gd.xlarge          4     16
ml.m6gd.2xlarge         8     32
ml.m6gd.4xlarge        16     64
ml.m6gd.8xlarge        32    128
ml.m6gd.12xlarge       48    192
ml.m6gd.16xlarge       64    256
ml.m7g.medium           1      4
ml.m7g.large            2      8
ml.m7g.xlarge           4     16
ml.m7g.2xlarge          8     32
ml.m7g.4xlarge         16     64
ml.m7g.8xlarge         32    128
ml.m7g.12xlarge        48    192
ml.m7g.16xlarge        64    256
ml.c4.large             2   3.75
ml.c4.xlarge            4    7.5
ml.c4.2xlarge           8     15
ml.c4.4xlarge          16     30
ml.c4.8xlarge          36     60
ml.c5.large             2      4
ml.c5.xlarge            4      8
ml.c5.2xlarge           8     16
ml.c5.4xlarge          16     32
ml.c5.9xlarge          36     72
ml.c5.18xlarge         72    144
ml.c5d.large            2      4
ml.c5d.xlarge           4      8
ml.c5d.2xlarge          8     16
ml.c5d.4xlarge         16     32
ml.c5d.9xlarge         36     72
ml.c5d.18xlarge        72    144
ml.c6i.large            2      4
ml.c6i.xlarge           4      8
ml.c6i.2xlarge          8     16
ml.c6i.4xlarge         16     32
ml.c6i.8xlarge         32     64
ml.c6i.12xlarge        48     96
ml.c6i.16xlarge        64    128
ml.c6i.24xlarge        96    192
ml.c6i.32xlarge       128    256
ml.c7i.large            2      4
ml.c7i.xlarge           4      8
ml.c7i.2xlarge          8     16
ml.c7i.4xlarge         16     32
ml.c7i.8xlarge         32     64
ml.c7i.12xlarge        48     96
ml.c7i.16xlarge        64    128
ml.c7i.24xlarge        96    192
ml.c7i.48xlarge       192    384
ml.c6g.medium           1      2
ml.c6g.large            2      4
ml.c6g.xlarge           4      8
ml.c6g.2xlarge          8     16
ml.c6g.4xlarge         16     32
ml.c6g.8xlarge         32     64
ml.c6g.12xlarge        48     96
ml.c6g.16xlarge        64    128
ml.c6gd.medium          1      2
ml.c6gd.large           2      4
ml.c6gd.xlarge          4      8
ml.c6gd.2xlarge         8     16
ml.c6gd.4xlarge        16     32
ml.c6gd.8xlarge        32     64
ml.c6gd.12xlarge       48     96
ml.c6gd.16xlarge       64    128
ml.c7g.medium           1      2
ml.c7g.large            2      4
ml.c7g.xlarge           4      8
ml.c7g.2xlarge          8     16
ml.c7g.4xlarge         16     32
ml.c7g.8xlarge         32     64
ml.c7g.12xlarge        48     96
ml.c7g.16xlarge        64    128
ml.r5.large             2     16
ml.r5.xlarge            4     32
ml.r5.2xlarge           8     64
ml.r5.4xlarge          16    128
ml.r5.12xlarge         48    384
ml.r5.24xlarge         96    768
ml.r5d.large            2     16
ml.r5d.xlarge           4     32
ml.r5d.2xlarge          8     64
ml.r5d.4xlarge         16    128
ml.r5d.12xlarge        48    384
ml.r5d.24xlarge        96    768
ml.r6i.large            2     16
ml.r6i.xlarge           4     32
ml.r6i.2xlarge          8     64
ml.r6i.4xlarge         16    128
ml.r6i.8xlarge         32    256
ml.r6i.12xlarge        48    384
ml.r6i.16xlarge        64    512
ml.r6i.24xlarge        96    768
ml.r6i.32xlarge       128   1024
ml.r6g.medium           1      8
ml.r6g.large            2     16
ml.r6g.xlarge           4     32
ml.r6g.2xlarge          8     64
ml.r6g.4xlarge         16    128
ml.r6g.8xlarge         32    256
ml.r6g.12xlarge        48    384
ml.r6g.16xlarge        64    512
ml.r6gd.medium          1      8
ml.r6gd.large           2     16
ml.r6gd.xlarge          4     32
ml.r6gd.2xlarge         8     64
ml.r6gd.4xlarge        16    128
ml.r6gd.8xlarge        32    256
ml.r6gd.12xlarge       48    384
ml.r6gd.16xlarge       64    512
ml.r7g.medium           1      8
ml.r7g.large            2     16
ml.r7g.xlarge           4     32
ml.r7g.2xlarge          8     64
ml.r7g.4xlarge         16    128
ml.r7g.8xlarge         32    256
ml.r7g.12xlarge        48    384
ml.r7g.16xlarge        64    512
ml.g4dn.xlarge          4     16  1 NVIDIA-T4
ml.g4dn.2xlarge         8     32  1 NVIDIA-T4
ml.g4dn.4xlarge        16     64  1 NVIDIA-T4
ml.g4dn.8xlarge        32    128  1 NVIDIA-T4
ml.g4dn.12xlarge       48    192  4 NVIDIA-T4
ml.g4dn.16xlarge       64    256  1 NVIDIA-T4
ml.g5.xlarge            4     16  1 NVIDIA-A10G
ml.g5.2xlarge           8     32  1 NVIDIA-A10G
ml.g5.4xlarge          16     64  1 NVIDIA-A10G
ml.g5.8xlarge          32    128  1 NVIDIA-A10G
ml.g5.12xlarge         48    192  4 NVIDIA-A10G
ml.g5.16xlarge         64    256  1 NVIDIA-A10G
ml.g5.24xlarge         96    384  4 NVIDIA-A10G
ml.g5.48xlarge        192    768  8 NVIDIA-A10G
ml.g6.xlarge            4     16  1 NVIDIA-L4
ml.g6.2xlarge           8     32  1 NVIDIA-L4
ml.g6.4xlarge          16     64  1 NVIDIA-L4
ml.g6.8xlarge          32    128  1 NVIDIA-L4
ml.g6.12xlarge         48    192  4 NVIDIA-L4
ml.g6.16xlarge         64    256  1 NVIDIA-L4
ml.g6.24xlarge         96    384  4 NVIDIA-L4
ml.g6.48xlarge        192    768  8 NVIDIA-L4
ml.g6e.xlarge           4     32  1 NVIDIA-L40S
ml.g6e.2xlarge          8     64  1 NVIDIA-L40S
ml.g6e.4xlarge         16    128  1 NVIDIA-L40S
ml.g6e.8xlarge         32    256  1 NVIDIA-L40S
ml.g6e.12xlarge        48    384  4 NVIDIA-L40S
ml.g6e.16xlarge        64    512  1 NVIDIA-L40S
ml.g6e.24xlarge        96    768  4 NVIDIA-L40S
ml.g6e.48xlarge       192   1536  8 NVIDIA-L40S
ml.p3.2xlarge           8     61  1 NVIDIA-V100
ml.p3.8xlarge          32    244  4 NVIDIA-V100
ml.p3.16xlarge         64    488  8 NVIDIA-V100
ml.p4d.24xlarge        96   1152  8 NVIDIA-A100
ml.p4de.24xlarge       96   1152  8 NVIDIA-A100-80GB
ml.p5.48xlarge        192   2048  8 NVIDIA-H100
ml.p5e.48xlarge       192   2048  8 NVIDIA-H200
ml.inf1.xlarge          4      8  1 AWS-Inferentia
ml.inf1.2xlarge         8     16  1 AWS-Inferentia
ml.inf1.6xlarge        24     48  4 AWS-Inferentia
ml.inf1.24xlarge       96    192  16 AWS-Inferentia
ml.inf2.xlarge          4     16  1 AWS-Inferentia2
ml.inf2.8xlarge        32    128  1 AWS-Inferentia2
ml.inf2.24xlarge       96    384  6 AWS-Inferentia2
ml.inf2.48xlarge      192    768  12 AWS-Inferentia2
ml.trn1.2xlarge         8     32  1 AWS-Trainium
ml.trn1.32xlarge      128    512  16 AWS-Trainium
"""

# Families whose hosts carry local NVMe instance storage, which the hardware encrypts:
# SageMaker refuses an endpoint config's KmsKeyId for them (SageMaker Developer Guide, "Host
# instance storage volumes"; CreateEndpointConfig, KmsKeyId).
INSTANCE_STORAGE_FAMILIES = frozenset(
    {"m5d", "m6gd", "c5d", "c6gd", "r5d", "r6gd", "g4dn", "g5", "g6", "g6e"}
    | {"p4d", "p4de", "p5", "p5e", "trn1"}
)

# SageMaker falls back to all-at-once for these (dropping canary/linear/rolling) and refuses
# shadow variants on them.
NO_GUARDRAIL_FAMILIES = frozenset({"inf1"})


@dataclass(frozen=True)
class InstanceType:
    """One hosting instance type, e.g. `ml.g5.xlarge`: family `g5`, size `xlarge`."""

    name: str
    vcpus: int
    memory_gib: float
    accelerators: int = 0
    accelerator_model: str = ""  # e.g. "NVIDIA-A10G", "AWS-Inferentia2"

    @property
    def family(self) -> str:
        return self.name.split(".")[1]

    @property
    def size(self) -> str:
        return self.name.split(".")[2]

    @property
    def accelerator_kind(self) -> AcceleratorKind | None:
        """`gpu` for NVIDIA, `neuron` for Inferentia and Trainium, None without accelerators."""
        if not self.accelerators:
            return None
        return "gpu" if self.accelerator_model.startswith("NVIDIA") else "neuron"

    @property
    def instance_storage(self) -> bool:
        return self.family in INSTANCE_STORAGE_FAMILIES

    def describe(self) -> str:
        """`4 vCPU, 16 GiB, 1 NVIDIA-A10G`: the hardware, for plans and messages."""
        text = f"{self.vcpus} vCPU, {self.memory_gib:g} GiB"
        if self.accelerators:
            text += f", {self.accelerators} {self.accelerator_model}"
        return text


def _parse(table: str) -> dict[str, InstanceType]:
    types = {}
    for line in table.strip().splitlines():
        name, vcpus, memory, *accelerators = line.split()
        count, model = (int(accelerators[0]), accelerators[1]) if accelerators else (0, "")
        types[name] = InstanceType(name, int(vcpus), float(memory), count, model)
    return types


HOSTING_INSTANCE_TYPES: dict[str, InstanceType] = _parse(_TABLE)


def lookup(instance_type: str) -> InstanceType | None:
    """The row of `instance_type`, or None when SageMaker hosting has no such type."""
    return HOSTING_INSTANCE_TYPES.get(instance_type)


def is_known(instance_type: str) -> bool:
    return instance_type in HOSTING_INSTANCE_TYPES


def family(instance_type: str) -> str:
    """`ml.m5.large` -> `m5` (`""` when the name has no family). No side effects."""
    parts = instance_type.split(".")
    return parts[1] if len(parts) == 3 else ""


def suggestions(instance_type: str) -> list[str]:
    """The known type closest to a misspelt one, if any. No side effects."""
    return difflib.get_close_matches(instance_type, sorted(HOSTING_INSTANCE_TYPES), n=1, cutoff=0.8)
