"""The one place that patches moto: installs the emulator's SageMaker behaviour (and the
Application Auto Scaling tags, SageMaker's Service Quotas, and CloudFormation stacks that wait
for their endpoints), once.

Pinned to moto 5.2.5; `install` refuses another version so an upgrade is a deliberate change
(the guard test in tests/integration/emulator checks what is still missing upstream).
"""

from __future__ import annotations

import threading
from typing import Any

import moto
import moto.core.responses
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sagemaker.models import (
    FakeEndpointConfig,
    ModelPackage,
    ModelPackageGroup,
    SageMakerModelBackend,
)
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse
from moto.servicequotas.responses import ServiceQuotasResponse

from smgitops.emulator import (
    autoscaling,
    endpoints,
    model_registry,
    output_shapes,
    responses,
    runtime,
    service_quotas,
    stacks,
    tags,
    validation,
)

MOTO_VERSION = "5.2.5"
_installed = False
_lock = threading.Lock()
# What moto itself had under each name we set ("Class.method" -> function or None).
UPSTREAM: dict[str, Any] = {}


class UnsupportedMotoVersion(RuntimeError):
    """The installed moto is not the version these patches were written against."""


def install() -> None:
    """Add/replace the backend, response and runtime methods on moto's classes. Idempotent."""
    global _installed
    with _lock:
        if _installed:
            return
        if moto.__version__ != MOTO_VERSION:
            raise UnsupportedMotoVersion(
                f"smgitops' emulator patches moto {MOTO_VERSION}, found {moto.__version__}"
            )
        backend = {
            **validation.BACKEND_METHODS,
            **endpoints.BACKEND_METHODS,
            **tags.TAG_METHODS,
            **model_registry.REGISTRY_METHODS,
        }
        for name, method in backend.items():
            _replace(SageMakerModelBackend, name, method)
        for name, method in responses.RESPONSE_METHODS.items():
            _replace(SageMakerResponse, name, method)
        for name, method in autoscaling.RESPONSE_METHODS.items():
            _replace(ApplicationAutoScalingResponse, name, method)
        for name, method in service_quotas.RESPONSE_METHODS.items():
            _replace(ServiceQuotasResponse, name, method)
        _replace(FakeEndpointConfig, "validate_instance_type", validation.validate_instance_type)
        _replace(ModelPackage, "gen_response_object", model_registry.package_view)
        _replace(ModelPackageGroup, "gen_response_object", model_registry.group_view)
        _replace(
            SageMakerResponse,
            "serialized",
            _shaped_answers(SageMakerResponse.serialized),
        )
        _replace(
            SageMakerResponse,
            "_authenticate_and_authorize_normal_action",
            _checked_after_authorisation(
                SageMakerResponse._authenticate_and_authorize_normal_action
            ),
        )
        _replace(SageMakerRuntimeResponse, "invoke_endpoint", runtime.invoke_endpoint)
        stacks.install(_replace)
        _replace(
            DomainDispatcherApplication,
            "get_backend_for_host",
            _memoised_backend_lookup(DomainDispatcherApplication.get_backend_for_host),
        )
        UPSTREAM["responses.method_names_from_class"] = moto.core.responses.method_names_from_class
        moto.core.responses.method_names_from_class = _memoised_method_names(
            moto.core.responses.method_names_from_class
        )
        _installed = True


def _memoised_backend_lookup(lookup: Any) -> Any:
    """moto routes every request by scanning all its services' URL patterns under one lock
    (~175 module scans per request); the answer depends on the host name alone, so keep it."""
    known: dict[tuple[int, str | None], Any] = {}

    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        key = (id(self), host)
        if key not in known:
            known[key] = lookup(self, host)
        return known[key]

    return get_backend_for_host


def _checked_after_authorisation(authorise: Any) -> Any:
    """SageMaker checks a request's constraints once it knows who sent it (as AWS does after
    authentication); a refusal is an HTTPException, which moto answers from this step."""

    def authorise_then_check(self: SageMakerResponse, resource: str = "*") -> None:
        authorise(self, resource)
        validation.check_constraints(self)

    return authorise_then_check


def _shaped_answers(serialize: Any) -> Any:
    """SageMaker answers without the empty structures moto defaults to (output_shapes.py)."""

    def serialized(self: SageMakerResponse, action_result: Any) -> Any:
        status, headers, body = serialize(self, action_result)
        return status, headers, output_shapes.prune_body(self._get_action(), status, body)

    return serialized


def _replace(cls: type, name: str, method: Any) -> None:
    # What the class answered for the name before, its own or inherited (None: nothing).
    UPSTREAM[f"{cls.__name__}.{name}"] = getattr(cls, name, None)
    setattr(cls, name, method)


def is_installed() -> bool:
    return _installed


def _memoised_method_names(list_methods: Any) -> Any:
    """moto lists a response class's methods with `inspect.getmembers` on every request; the
    list changes only when a class (or a base) gains or loses a name, which the key notices."""
    known: dict[tuple[Any, ...], list[str]] = {}

    def method_names_from_class(clazz: Any) -> list[str]:
        key = (clazz, *(len(base.__dict__) for base in clazz.__mro__))
        if key not in known:
            known[key] = list_methods(clazz)
        return known[key]

    return method_names_from_class
