"""The committed dependency locks: every package pinned to one version with hashes, and the
locks agree with each other, so CI, the dev venv and the serving image install the same files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements"
CLIENTS = REQUIREMENTS.parent / "tests" / "clients"
LOCKS = ("dev", "serve", "models", "uv")
CLIENT_LOCKS = ("sdk", "cli")
ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?P<rest>.*)$")


def entries(lock: str, folder: Path = REQUIREMENTS) -> dict[str, tuple[str, list[str]]]:
    """{name: (version, hashes)} of a lock written by `make lock` (pip's requirements format)."""
    text = (folder / f"{lock}.txt").read_text().replace("\\\n", " ")
    found = {}
    for line in text.splitlines():
        match = ENTRY.match(line)
        if match:
            hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", match["rest"])
            found[canonicalize_name(match["name"])] = (match["version"], hashes)
        else:
            assert not line.strip() or line.lstrip().startswith("#"), f"{lock}.txt: {line}"
    return found


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_package_has_an_exact_version_and_hashes(lock):
    locked = entries(lock)
    assert locked
    unhashed = [name for name, (_, hashes) in locked.items() if not hashes]
    assert unhashed == []


@pytest.mark.parametrize("lock", ["serve", "models", "uv"])
def test_the_image_locks_agree_with_the_dev_lock(lock):
    dev = {name: version for name, (version, _) in entries("dev").items()}
    mismatched = {
        name: (version, dev.get(name))
        for name, (version, _) in entries(lock).items()
        if dev.get(name) != version
    }
    assert mismatched == {}


def test_the_editable_install_needs_nothing_outside_the_lock():
    # pip --no-build-isolation builds this package with the locked setuptools and wheel.
    assert {"setuptools", "wheel"} <= entries("dev").keys()
    assert {"setuptools", "wheel"} <= entries("serve").keys()


@pytest.mark.parametrize("client", CLIENT_LOCKS)
def test_each_real_client_lock_pins_its_inputs_with_hashes(client):
    # The slow tier's client virtualenvs install these with --require-hashes.
    locked = entries(client, CLIENTS)
    wanted = [
        line.split("==")
        for line in (CLIENTS / f"{client}.in").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert wanted
    assert {
        canonicalize_name(n): locked.get(canonicalize_name(n), ("-",))[0] for n, _ in wanted
    } == {canonicalize_name(n): v for n, v in wanted}
    assert [name for name, (_, hashes) in locked.items() if not hashes] == []
