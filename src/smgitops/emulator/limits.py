"""SageMaker's hosting limits per variant kind, and the timeouts a variant may set.

AWS enforces these before a container sees a request, so the emulator does too (runtime.py,
model_servers.py). Sizes are bytes, times seconds of AWS time; `scaled` turns AWS seconds into
real ones by the `timeout_scale` knob. The sources, per limit:

- Real-time request body: 6,291,456 bytes (botocore's sagemaker-runtime model, `BodyBlob`
  max). Over it AWS answers HTTP 413 with no error code and the message "HTTP content length
  exceeded <n> bytes." (aws/sagemaker-python-sdk#171, from when the limit was 5 MB).
- Serverless request body: 4 MB ("The maximum request and response payload size for
  serverless invocations is 4 MB", Developer Guide, serverless-endpoints-invoke); over it
  `ValidationError` "Request <request id> has oversize body." (aws/sagemaker-python-sdk#4271).
- Invocation timeout: 60 s for both kinds (InvokeEndpoint API reference: "A customer's model
  containers must respond to requests within 60 seconds"; "1 minute" for serverless,
  serverless-endpoints-invoke); over it `ModelError` with status 0 (the wording of
  aws/sagemaker-python-sdk#1119).
- Startup: a variant's `ContainerStartupHealthCheckTimeoutInSeconds` and
  `ModelDataDownloadTimeoutInSeconds` (60-3600, ProductionVariant in botocore's model). AWS
  documents no defaults for instance variants; the emulator uses 60 s for the health check
  (what it always did) and 3600 s (the maximum) for the download. Serverless: "The model must
  download and the server must respond successfully to /ping within 3 minutes".
"""

from __future__ import annotations

from dataclasses import dataclass

from smgitops.emulator.served import ServedVariant


@dataclass(frozen=True)
class VariantLimits:
    """What AWS allows one kind of variant (seconds are AWS seconds, unscaled)."""

    kind: str  # "instance" | "serverless"
    max_body_bytes: int
    invocation_timeout_seconds: float
    startup_seconds: float  # when the variant sets no ContainerStartupHealthCheckTimeoutInSeconds
    download_seconds: float  # when it sets no ModelDataDownloadTimeoutInSeconds


INSTANCE = VariantLimits(
    "instance",
    max_body_bytes=6_291_456,
    invocation_timeout_seconds=60.0,
    startup_seconds=60.0,
    download_seconds=3600.0,
)
SERVERLESS = VariantLimits(
    "serverless",
    max_body_bytes=4 * 1024 * 1024,
    invocation_timeout_seconds=60.0,
    startup_seconds=180.0,
    download_seconds=180.0,
)
# The request body limit of the API itself, whatever the endpoint (the 413 above).
API_MAX_BODY_BYTES = INSTANCE.max_body_bytes


def for_kind(serverless: bool) -> VariantLimits:
    return SERVERLESS if serverless else INSTANCE


@dataclass(frozen=True)
class StartupTimeouts:
    """How long (real seconds) an instance may take to download its model and pass /ping."""

    download_seconds: float
    startup_seconds: float


def startup_timeouts(
    serverless: bool,
    startup_seconds: float | None,
    download_seconds: float | None,
    timeout_scale: float,
) -> StartupTimeouts:
    """A variant's startup timeouts: its own settings (serverless variants have none) or the
    defaults above, times `timeout_scale`. No side effects."""
    limits = for_kind(serverless)
    if serverless:
        startup_seconds = download_seconds = None
    return StartupTimeouts(
        download_seconds=(download_seconds or limits.download_seconds) * timeout_scale,
        startup_seconds=(startup_seconds or limits.startup_seconds) * timeout_scale,
    )


def timeouts_of(variant: ServedVariant, timeout_scale: float) -> StartupTimeouts:
    """A served variant's startup timeouts in real seconds. No side effects."""
    return startup_timeouts(
        variant.serverless,
        variant.startup_timeout_seconds,
        variant.download_timeout_seconds,
        timeout_scale,
    )
