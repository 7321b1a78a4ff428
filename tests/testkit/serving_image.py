"""The serving image built from container/Dockerfile and run the way SageMaker runs it.

Two builders, one interface (`Builder`):

- `docker`, when a Docker engine answers: builds on the Dockerfile's own pinned base and runs
  `docker run IMAGE serve` in the container's own network namespace, one port published.
- `buildah` (Debian's package), with no engine at all: `--isolation chroot` and the `vfs`
  storage driver, so it needs root but neither a daemon, user namespaces nor overlay mounts.
  Image registries may be out of reach, so the base image is made locally: `mmdebstrap` writes
  a Debian bookworm root with python3 (3.11, like the Dockerfile's python:3.11-slim), which is
  imported as an image and passed as BASE_IMAGE. Its storage is a folder of its own under
  SMGITOPS_IMAGE_CACHE (default ~/.cache/smgitops/image-test) and persists between runs.
  Chroot isolation shares the host's network and PID namespaces: the server binds the port
  given in SAGEMAKER_BIND_TO_PORT on the host, and its process is found under buildah's own.

Either way an image is built once per content: its tag is a hash of the Dockerfile, every
path its COPY lines name and the base image, so an unchanged tree reuses the image and any
change builds anew (SMGITOPS_IMAGE_REBUILD=1 forces a build).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "container" / "Dockerfile"
CACHE = Path(
    os.environ.get("SMGITOPS_IMAGE_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "smgitops/image-test"
)
IMAGE_REPOSITORY = "localhost/smgitops-serving-test"
BUILD_TIMEOUT_SECONDS = 1200
# The Debian base for buildah: python3 is 3.11 on bookworm, as in python:3.11-slim.
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = os.environ.get("SMGITOPS_DEBIAN_MIRROR", "http://deb.debian.org/debian")
DEBIAN_PACKAGES = ("python3", "python3-venv", "python3-pip", "ca-certificates")
# python:3.11-slim has `python` and lets pip install into the system; Debian's python3 needs
# the name linked and its EXTERNALLY-MANAGED marker (PEP 668) removed.
BASE_CUSTOMIZE = (
    'ln -s python3 "$1/usr/bin/python"',
    'rm -f "$1"/usr/lib/python3.*/EXTERNALLY-MANAGED',
)
BASE_REPOSITORY = "localhost/smgitops-test-base"
# Where a build step's pip and uv find the host's CA bundle (a proxy may re-sign TLS).
HOST_CERTS = Path("/etc/ssl/certs")
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"})


class BuilderUnavailable(Exception):
    """No way to build and run images here; the message says why."""


def run(command: list[str], *, timeout: float = 120, **kwargs) -> str:
    """Run a command; its stdout, or an AssertionError with its output when it fails."""
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
        **kwargs,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def copied_paths(dockerfile: str, build_args: dict[str, str]) -> list[str]:
    """The build-context paths the Dockerfile's COPY lines name (`--from` copies aside), with
    `${NAME}` expanded from `build_args`. No side effects."""
    paths = []
    for line in re.sub(r"\\\n", " ", dockerfile).splitlines():
        words = line.split()
        if not words or words[0].upper() != "COPY":
            continue
        if any(word.startswith("--from") for word in words[1:]):
            continue
        arguments = [word for word in words[1:] if not word.startswith("--")]
        for source in arguments[:-1]:
            paths.append(re.sub(r"\$\{(\w+)\}", lambda m: build_args[m.group(1)], source))
    return paths


def content_hash(paths: list[str], extra: str) -> str:
    """sha256 over `extra`, the Dockerfile and every file under `paths` (relative to the
    repository, caches left out), 16 hex digits."""
    digest = hashlib.sha256(extra.encode())
    digest.update(DOCKERFILE.read_bytes())
    for name in sorted(set(paths)):
        root = REPO / name
        files = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in files:
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(path.relative_to(REPO).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


@dataclass
class ImageConfig:
    """What `docker run` takes from an image: its user, entrypoint, command and labels."""

    user: str
    entrypoint: list[str]
    cmd: list[str]
    env: dict[str, str]
    labels: dict[str, str]

    @classmethod
    def from_oci(cls, config: dict) -> ImageConfig:
        return cls(
            user=config.get("User") or "",
            entrypoint=list(config.get("Entrypoint") or []),
            cmd=list(config.get("Cmd") or []),
            env=dict(item.split("=", 1) for item in config.get("Env") or []),
            labels=dict(config.get("Labels") or {}),
        )


@dataclass
class Container:
    """One run of the image: `serve` as its argument, the model read-only at /opt/ml/model."""

    url: str
    port: int  # the port the server was told to bind (SAGEMAKER_BIND_TO_PORT)
    started: float  # time.monotonic() just before the runtime was started
    process: subprocess.Popen
    log: Path
    own_network: bool  # the container has a network namespace of its own
    name: str  # the container's name for its builder
    root: Path | None = None  # buildah: the mounted root filesystem
    # buildah: the root filesystem's snapshot before the run
    before: dict[str, tuple[int, int, int]] = field(default_factory=dict, repr=False)

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def process_tree(root: int) -> list[int]:
    """`root` and every process descended from it, parents before children."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, queue = [], [root]
    while queue:
        pid = queue.pop(0)
        tree.append(pid)
        queue.extend(sorted(children.get(pid, [])))
    return tree


def argv(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def comm(pid: int) -> str:
    return Path(f"/proc/{pid}/comm").read_text().strip()


def uids(pid: int) -> list[int]:
    """Real, effective, saved and filesystem uid of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return [int(value) for value in line.split()[1:]]
    raise AssertionError(f"no Uid line for process {pid}")


def listening_ports(pid: int, *, own_network: bool) -> set[int]:
    """TCP ports in LISTEN state that belong to `pid`: every listener of its network namespace
    when the container has its own, else those among the process's open sockets."""
    inodes = None
    if not own_network:
        inodes = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A":  # LISTEN
                continue
            if inodes is None or fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def chrooted_into(root: Path) -> list[int]:
    """Processes whose root directory is `root` (the same inode: buildah's chroot isolation)."""
    wanted = root.stat()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            own = (entry / "root").stat()
        except OSError:
            continue
        if (own.st_dev, own.st_ino) == (wanted.st_dev, wanted.st_ino):
            found.append(int(entry.name))
    return found


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """(mode, size, mtime_ns) of every path under a container's root filesystem."""
    entries = {}
    for directory, subdirectories, files in os.walk(root):
        relative = "/" + os.path.relpath(directory, root).removeprefix(".").lstrip("/")
        if relative in ("/proc", "/sys", "/dev"):
            subdirectories[:] = []
            continue
        for name in subdirectories + files:
            path = os.path.join(directory, name)
            stat = os.lstat(path)
            entries[os.path.join(relative, name)] = (stat.st_mode, stat.st_size, stat.st_mtime_ns)
    return entries


class Builder:
    """Builds the serving image and runs it; see the module docstring."""

    name = ""

    def build(self, model: str) -> str:
        raise NotImplementedError

    def config(self, image: str) -> ImageConfig:
        raise NotImplementedError

    def start(self, image: str, model_dir: Path, port: int, workdir: Path) -> Container:
        raise NotImplementedError

    def server_pid(self, container: Container) -> int:
        """The host PID of the process the runtime started for the entrypoint."""
        raise NotImplementedError

    def terminate(self, container: Container) -> None:
        """SIGTERM to that process, as SageMaker stops a container."""
        os.kill(self.server_pid(container), signal.SIGTERM)

    def wait(self, container: Container, timeout: float) -> int:
        """The server's exit code, once it has exited."""
        return container.process.wait(timeout=timeout)

    def changes(self, container: Container) -> set[str]:
        """Paths the run added, changed or removed in the container's filesystem."""
        raise NotImplementedError

    def remove(self, container: Container) -> None:
        raise NotImplementedError


class Buildah(Builder):
    name = "buildah"

    def __init__(self) -> None:
        self.storage = [
            "--root",
            str(CACHE / "storage"),
            "--runroot",
            str(CACHE / "run"),
            "--storage-driver",
            "vfs",
        ]

    def buildah(self, *args: str, timeout: float = 300) -> str:
        return run(["buildah", *self.storage, *args], timeout=timeout)

    def exists(self, image: str) -> bool:
        result = subprocess.run(
            ["buildah", *self.storage, "inspect", "--type", "image", image],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        return result.returncode == 0

    def base_image(self) -> str:
        """The Debian base, made with mmdebstrap and imported once per package list."""
        recipe = json.dumps([DEBIAN_SUITE, DEBIAN_MIRROR, DEBIAN_PACKAGES, BASE_CUSTOMIZE])
        image = f"{BASE_REPOSITORY}:{hashlib.sha256(recipe.encode()).hexdigest()[:16]}"
        if self.exists(image):
            return image
        begun = time.monotonic()
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
            rootfs = Path(scratch) / "rootfs.tar"
            hooks = [f"--customize-hook={hook}" for hook in BASE_CUSTOMIZE]
            run(
                [
                    "mmdebstrap",
                    "--variant=minbase",
                    f"--include={','.join(DEBIAN_PACKAGES)}",
                    *hooks,
                    DEBIAN_SUITE,
                    str(rootfs),
                    DEBIAN_MIRROR,
                ],
                timeout=900,
            )
            container = self.buildah("from", "--quiet", "scratch").strip()
            try:
                self.buildah("add", container, str(rootfs), "/")
                self.buildah(
                    "config",
                    "--env",
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "--cmd",
                    "python3",
                    container,
                )
                self.buildah("commit", "--quiet", container, image)
            finally:
                subprocess.run(
                    ["buildah", *self.storage, "rm", container], capture_output=True, check=False
                )
        print(f"\nbase image {image} made in {time.monotonic() - begun:.0f} s")
        return image

    def build(self, model: str) -> str:
        base = self.base_image()
        base_id = self.buildah("inspect", "--type", "image", "--format", "{{.FromImageID}}", base)
        args = {"BASE_IMAGE": base, "MODEL": model}
        paths = copied_paths(DOCKERFILE.read_text(), args)
        image = f"{IMAGE_REPOSITORY}:{model}-{content_hash(paths, base_id + json.dumps(args))}"
        if self.exists(image) and os.environ.get("SMGITOPS_IMAGE_REBUILD") != "1":
            return image
        certs = ["--volume", f"{HOST_CERTS}:{HOST_CERTS}:ro"] if HOST_CERTS.is_dir() else []
        begun = time.monotonic()
        self.buildah(
            "build",
            "--isolation",
            "chroot",
            "--layers=false",
            *certs,
            *(f"--build-arg={name}={value}" for name, value in args.items()),
            "--file",
            str(DOCKERFILE),
            "--tag",
            image,
            str(REPO),
            timeout=BUILD_TIMEOUT_SECONDS,
        )
        print(f"\n{image} built in {time.monotonic() - begun:.0f} s")
        self._drop_older(image)
        return image

    def _drop_older(self, keep: str) -> None:
        """Remove this model's earlier test images (vfs keeps full copies of every layer)."""
        prefix = keep.rsplit("-", 1)[0] + "-"
        listing = self.buildah("images", "--format", "{{.Name}}:{{.Tag}}")
        for name in listing.split():
            if name.startswith(prefix) and name != keep:
                subprocess.run(
                    ["buildah", *self.storage, "rmi", name], capture_output=True, check=False
                )

    def config(self, image: str) -> ImageConfig:
        inspected = json.loads(self.buildah("inspect", "--type", "image", image))
        return ImageConfig.from_oci(inspected["OCIv1"]["config"])

    def start(self, image: str, model_dir: Path, port: int, workdir: Path) -> Container:
        name = f"smgitops-serving-test-{uuid.uuid4().hex[:12]}"
        self.buildah("from", "--quiet", "--name", name, image)
        try:
            return self._run(name, image, model_dir, port, workdir)
        except BaseException:
            # A container left behind is a whole vfs copy of the image.
            subprocess.run(["buildah", *self.storage, "rm", name], capture_output=True, check=False)
            raise

    def _run(self, name: str, image: str, model_dir: Path, port: int, workdir: Path) -> Container:
        root = Path(self.buildah("mount", name).strip())
        before = snapshot(root)
        config = self.config(image)
        log = workdir / f"{name}.log"
        started = time.monotonic()
        # What `docker run IMAGE serve` runs: the image's entrypoint with `serve` as argument,
        # as the image's user, with its environment and working directory (buildah run applies
        # those; the entrypoint it leaves to the caller).
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    "buildah",
                    *self.storage,
                    "run",
                    "--isolation",
                    "chroot",
                    "--volume",
                    f"{model_dir}:/opt/ml/model:ro",
                    "--env",
                    f"SAGEMAKER_BIND_TO_PORT={port}",
                    name,
                    "--",
                    *config.entrypoint,
                    "serve",
                ],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return Container(
            url=f"http://127.0.0.1:{port}",
            port=port,
            started=started,
            process=process,
            log=log,
            own_network=False,
            name=name,
            root=root,
            before=before,
        )

    def server_pid(self, container: Container) -> int:
        # buildah run -> buildah-chroot-runtime -> buildah-chroot-exec -> the entrypoint's
        # process (buildah's own re-run themselves as /proc/self/exe: told apart by argv[0]).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for pid in process_tree(container.process.pid)[1:]:
                try:
                    command = argv(pid)
                except OSError:
                    continue
                if command and not Path(command[0]).name.startswith("buildah"):
                    return pid
            if container.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no process started under buildah run\n{container.logs()}")

    def changes(self, container: Container) -> set[str]:
        after = snapshot(container.root)
        before = container.before
        return {
            path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
        }

    def remove(self, container: Container) -> None:
        # Every process whose root is the container's (a server orphaned by a shell that died
        # is in no process group of buildah's), then buildah's own.
        for pid in chrooted_into(container.root):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if container.process.poll() is None:
            os.killpg(container.process.pid, signal.SIGKILL)
            container.process.wait(timeout=30)
        subprocess.run(
            ["buildah", *self.storage, "rm", container.name], capture_output=True, check=False
        )


class Docker(Builder):
    name = "docker"

    def exists(self, image: str) -> bool:
        result = subprocess.run(
            ["docker", "image", "inspect", image], capture_output=True, check=False
        )
        return result.returncode == 0

    def build(self, model: str) -> str:
        args = {"MODEL": model}
        paths = copied_paths(DOCKERFILE.read_text(), args)
        image = f"{IMAGE_REPOSITORY}:{model}-{content_hash(paths, json.dumps(args))}"
        if self.exists(image) and os.environ.get("SMGITOPS_IMAGE_REBUILD") != "1":
            return image
        run(
            [
                "docker",
                "build",
                *(f"--build-arg={name}={value}" for name, value in args.items()),
                "--file",
                str(DOCKERFILE),
                "--tag",
                image,
                str(REPO),
            ],
            timeout=BUILD_TIMEOUT_SECONDS,
        )
        return image

    def config(self, image: str) -> ImageConfig:
        inspected = json.loads(run(["docker", "image", "inspect", image]))[0]
        return ImageConfig.from_oci(inspected["Config"])

    def start(self, image: str, model_dir: Path, port: int, workdir: Path) -> Container:
        from smgitops.serving.process import free_port

        host_port = free_port()
        name = f"smgitops-serving-test-{uuid.uuid4().hex[:12]}"
        run(
            [
                "docker",
                "create",
                "--name",
                name,
                "--volume",
                f"{model_dir}:/opt/ml/model:ro",
                "--env",
                f"SAGEMAKER_BIND_TO_PORT={port}",
                "--publish",
                f"127.0.0.1:{host_port}:{port}",
                image,
                "serve",
            ]
        )
        log = workdir / f"{name}.log"
        started = time.monotonic()
        run(["docker", "start", name])
        with log.open("wb") as output:
            process = subprocess.Popen(
                ["docker", "logs", "--follow", name],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        return Container(
            url=f"http://127.0.0.1:{host_port}",
            port=port,
            started=started,
            process=process,
            log=log,
            own_network=True,
            name=name,
        )

    def server_pid(self, container: Container) -> int:
        return int(run(["docker", "inspect", "--format", "{{.State.Pid}}", container.name]).strip())

    def terminate(self, container: Container) -> None:
        # The test may not be root here: the engine delivers the signal to the same process.
        run(["docker", "kill", "--signal", "TERM", container.name])

    def wait(self, container: Container, timeout: float) -> int:
        return int(run(["docker", "wait", container.name], timeout=timeout).strip())

    def changes(self, container: Container) -> set[str]:
        listing = run(["docker", "diff", container.name])
        return {line.split(maxsplit=1)[1] for line in listing.splitlines() if line.strip()}

    def remove(self, container: Container) -> None:
        subprocess.run(["docker", "rm", "--force", container.name], capture_output=True)
        if container.process.poll() is None:
            container.process.kill()
        container.process.wait(timeout=30)


def docker_engine() -> bool:
    if not shutil.which("docker"):
        return False
    result = subprocess.run(
        ["docker", "info"], capture_output=True, stdin=subprocess.DEVNULL, timeout=30, check=False
    )
    return result.returncode == 0


def find_builder() -> Builder:
    """Docker when an engine answers, else buildah (root, with mmdebstrap); SMGITOPS_IMAGE_BUILDER
    (docker or buildah) picks one. BuilderUnavailable says why there is none."""
    wanted = os.environ.get("SMGITOPS_IMAGE_BUILDER", "").strip().lower()
    if wanted not in ("", "docker", "buildah"):
        raise BuilderUnavailable(f"SMGITOPS_IMAGE_BUILDER={wanted!r} is not docker or buildah")
    if wanted in ("", "docker") and docker_engine():
        return Docker()
    if wanted == "docker":
        raise BuilderUnavailable("SMGITOPS_IMAGE_BUILDER=docker but no Docker engine answers")
    missing = [tool for tool in ("buildah", "mmdebstrap") if not shutil.which(tool)]
    if missing:
        raise BuilderUnavailable(
            f"no Docker engine and no {' or '.join(missing)} "
            "(Debian: apt-get install buildah mmdebstrap)"
        )
    if os.geteuid() != 0:
        raise BuilderUnavailable("buildah with chroot isolation and vfs storage needs root")
    return Buildah()


@contextmanager
def running(
    builder: Builder, image: str, model_dir: Path, port: int, workdir: Path
) -> Iterator[Container]:
    """`builder.start(...)`, the container always removed afterwards."""
    container = builder.start(image, model_dir, port, workdir)
    try:
        yield container
    finally:
        builder.remove(container)
