"""`smgitops emulator` as a process: URL line first, serves AWS, stops on SIGTERM."""

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from .conftest import Deployer

URL_LINE = re.compile(r"^AWS_ENDPOINT_URL=(http://127\.0\.0\.1:\d+)$")


def _start(*arguments: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "smgitops", "emulator", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def running():
    process = _start("--port", "0", "--transition-seconds", "0")
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=30)


def test_first_stdout_line_is_the_endpoint_url_and_it_serves_aws(running):
    match = URL_LINE.match(running.stdout.readline().strip())

    assert match, "the first stdout line must be AWS_ENDPOINT_URL=..."
    sagemaker = boto3.client(
        "sagemaker",
        endpoint_url=match[1],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    assert sagemaker.list_endpoints()["Endpoints"] == []


def test_sigterm_stops_it_cleanly(running):
    running.stdout.readline()

    running.send_signal(signal.SIGTERM)
    _, stderr = running.communicate(timeout=30)

    assert running.returncode == 0
    assert "AWS_DEFAULT_REGION=us-east-1" in stderr
    assert "Traceback" not in stderr


def test_busy_port_is_a_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _start("--port", str(port))
        stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 1
    assert stdout == ""
    assert stderr.strip().splitlines() == [
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def _children(pid: int) -> set[int]:
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            listed = (task / "children").read_text().split()
        except FileNotFoundError:  # that thread ended while we looked
            continue
        children.update(int(child) for child in listed)
    return children


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_also_stops_the_model_servers_it_started(running):
    url = URL_LINE.match(running.stdout.readline().strip())[1]
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    deployer = Deployer(
        sagemaker=session.client("sagemaker", endpoint_url=url),
        runtime=session.client("sagemaker-runtime", endpoint_url=url),
        s3=session.client("s3", endpoint_url=url),
        ecr=session.client("ecr", endpoint_url=url),
    )
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    deployer.endpoint("ep", "cfg")
    assert deployer.predict("ep") == "6"
    model_servers = _children(running.pid)
    assert model_servers

    running.send_signal(signal.SIGTERM)
    running.communicate(timeout=60)

    assert [pid for pid in model_servers if _alive(pid)] == []
