"""`smgitops emulator` as a process: URL line first, serves AWS, stops on SIGTERM."""

import re
import signal
import socket
import subprocess
import sys

import boto3
import pytest

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
