"""CloudFormation stacks that hold SageMaker endpoints wait for them, as CloudFormation does.

moto's CloudFormation creates, updates and deletes a stack's resources within the call and
reports the stack complete at once. An emulated endpoint takes time (lifecycle.py), so:

- CreateStack: the stack stays `CREATE_IN_PROGRESS` until each endpoint leaves `Creating`;
  then `CREATE_COMPLETE`, or, when an endpoint ends `Failed`, the endpoint's resource event is
  `CREATE_FAILED` with its FailureReason and the stack rolls back (`ROLLBACK_IN_PROGRESS`,
  its resources deleted, `ROLLBACK_COMPLETE`); `OnFailure=DO_NOTHING` (or `DisableRollback`)
  leaves it `CREATE_FAILED`, `OnFailure=DELETE` deletes it after the rollback.
- UpdateStack: a new `EndpointConfigName` updates the endpoint in place (UpdateEndpoint, as
  the resource's "Update requires: No interruption" says) and the stack stays
  `UPDATE_IN_PROGRESS` until the endpoint is out of `Updating`. A stack in progress cannot be
  updated.
- DeleteStack: the stack goes `DELETE_IN_PROGRESS`, waits for any endpoint still in progress,
  deletes its resources, and is `DELETE_COMPLETE` once its endpoints are gone.

Stacks move on lazily whenever CloudFormation reads them (describe, list, events,
resources), as endpoints do. Sources: the CloudFormation User Guide's stack status codes
("Stack status codes") and AWS::SageMaker::Endpoint ("EndpointConfigName: Update requires:
No interruption"); the CreateStack API reference for OnFailure and DisableRollback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.cloudformation.exceptions import ValidationError as StackValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.responses import CloudFormationResponse
from moto.sagemaker.models import FakeEndpoint, sagemaker_backends

from smgitops.emulator import state
from smgitops.emulator.lifecycle import advance_endpoint
from smgitops.emulator.validation import IN_PROGRESS

_lock = threading.RLock()
# Attributes the emulator keeps on a moto Stack (gone with it on reset).
_PENDING = "_smgitops_pending"  # create | update | delete | rollback
_ENDPOINTS = "_smgitops_endpoints"  # (account, region, name) of endpoints being deleted
_ON_FAILURE = "_smgitops_on_failure"  # ROLLBACK | DO_NOTHING | DELETE
_CLEANED = "_smgitops_cleaned"  # its resources were deleted (delete, rollback)

_MOTO: dict[str, Any] = {}


def _endpoint_key(endpoint: FakeEndpoint) -> tuple[str, str, str]:
    # arn:aws:sagemaker:<region>:<account>:endpoint/<name>
    _, _, _, region, account, resource = endpoint.arn.split(":", 5)
    return account, region, resource.split("/", 1)[1]


def _stack_endpoints(stack: Stack) -> list[tuple[str, str, str]]:
    parsed = getattr(stack.resource_map, "_parsed_resources", {})
    return [_endpoint_key(r) for r in parsed.values() if isinstance(r, FakeEndpoint)]


def _endpoint_now(key: tuple[str, str, str]) -> FakeEndpoint | None:
    """The endpoint as it is now (its transition moved on), or None once it is gone."""
    account, region, name = key
    backend = sagemaker_backends[account][region]
    with state.of(backend).lock:
        advance_endpoint(backend, name)
        return backend.endpoints.get(name)


def endpoint_is_created(self: FakeEndpoint) -> bool:
    """CloudFormation's readiness check of an endpoint: out of `Creating`."""
    endpoint = _endpoint_now(_endpoint_key(self))
    return endpoint is None or endpoint.endpoint_status != "Creating"


def _resource_event(stack: Stack, key: tuple[str, str, str], status: str, reason: str) -> None:
    stack._add_stack_event(status, resource_status_reason=reason)
    event = stack.events[-1]
    endpoint_arn = FakeEndpoint.arn_formatter(key[2], key[0], key[1])
    for logical_id, resource in stack.resource_map._parsed_resources.items():
        if isinstance(resource, FakeEndpoint) and resource.arn == endpoint_arn:
            event.logical_resource_id = logical_id
            event.physical_resource_id = endpoint_arn
            event.resource_type = FakeEndpoint.cloudformation_type()


def _set(stack: Stack, status: str, pending: str | None) -> None:
    stack.status = status
    stack._add_stack_event(status)
    setattr(stack, _PENDING, pending)


def _clean(stack: Stack) -> None:
    """Delete the stack's resources once no endpoint of it is in progress (DeleteEndpoint
    refuses those); remember its endpoints to wait until they are gone."""
    if getattr(stack, _CLEANED, False):
        return
    endpoints = _stack_endpoints(stack)
    for key in endpoints:
        endpoint = _endpoint_now(key)
        if endpoint is not None and endpoint.endpoint_status in IN_PROGRESS:
            return
    setattr(stack, _ENDPOINTS, endpoints)
    setattr(stack, _CLEANED, True)
    stack.resource_map.delete()


def _endpoints_gone(stack: Stack) -> bool:
    return all(_endpoint_now(key) is None for key in getattr(stack, _ENDPOINTS, []))


def _finish_delete(backend: CloudFormationBackend, stack: Stack) -> None:
    _set(stack, "DELETE_COMPLETE", None)
    backend.stacks.pop(stack.stack_id, None)
    backend.deleted_stacks[stack.stack_id] = stack
    for export in stack.exports:
        backend.exports.pop(export.name, None)


def _settle(backend: CloudFormationBackend, stack: Stack) -> None:
    """Move a stack that waits for its endpoints on, if their time has come."""
    pending = getattr(stack, _PENDING, None)
    if pending == "create":
        keys = _stack_endpoints(stack)
        failed = [(k, e) for k in keys if (e := _endpoint_now(k)) and e.endpoint_status == "Failed"]
        if failed:
            key, endpoint = failed[0]
            _resource_event(stack, key, "CREATE_FAILED", endpoint.failure_reason or "")
            if getattr(stack, _ON_FAILURE, "ROLLBACK") == "DO_NOTHING":
                _set(stack, "CREATE_FAILED", None)
                return
            _set(stack, "ROLLBACK_IN_PROGRESS", "rollback")
            pending = "rollback"
        elif stack.resource_map.creation_complete():
            _set(stack, "CREATE_COMPLETE", None)
            return
        else:
            return
    if pending == "update":
        if all(
            (e := _endpoint_now(k)) is None or e.endpoint_status not in IN_PROGRESS
            for k in _stack_endpoints(stack)
        ):
            _set(stack, "UPDATE_COMPLETE", None)
        return
    if pending in ("delete", "rollback"):
        _clean(stack)
        if not getattr(stack, _CLEANED, False) or not _endpoints_gone(stack):
            return
        if pending == "delete" or getattr(stack, _ON_FAILURE, "ROLLBACK") == "DELETE":
            _finish_delete(backend, stack)
        else:
            _set(stack, "ROLLBACK_COMPLETE", None)


def _settle_all(backend: CloudFormationBackend) -> None:
    with _lock:
        for stack in list(backend.stacks.values()):
            if getattr(stack, _PENDING, None):
                _settle(backend, stack)


def _settling(name: str) -> Callable[..., Any]:
    """A backend read that moves waiting stacks on first."""
    original = _MOTO[name]

    def read(self: CloudFormationBackend, *args: Any, **kwargs: Any) -> Any:
        _settle_all(self)
        return original(self, *args, **kwargs)

    return read


def stack_create_resources(self: Stack) -> None:
    with _lock:
        _MOTO["Stack.create_resources"](self)
        if self.status == "CREATE_IN_PROGRESS" and _stack_endpoints(self):
            setattr(self, _PENDING, "create")


def stack_update(self: Stack, *args: Any, **kwargs: Any) -> None:
    with _lock:
        _MOTO["Stack.update"](self, *args, **kwargs)
        if any(
            (e := _endpoint_now(k)) is not None and e.endpoint_status in IN_PROGRESS
            for k in _stack_endpoints(self)
        ):
            # moto reported the update complete within the call: it is not yet.
            if self.events and self.events[-1].resource_status == "UPDATE_COMPLETE":
                self.events.pop()
            self.status = "UPDATE_IN_PROGRESS"
            setattr(self, _PENDING, "update")


def backend_update_stack(self: CloudFormationBackend, name: str, *args: Any, **kwargs: Any):
    with _lock:
        _settle_all(self)
        stack = self.get_stack(name)
        if stack.status.endswith("_IN_PROGRESS"):
            message = f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
            raise StackValidationError(name, message=message)
        return _MOTO["update_stack"](self, name, *args, **kwargs)


def backend_delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
    with _lock:
        _settle_all(self)
        stack = self.stacks.get(name_or_stack_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_stack_id), None
        )
        if stack is None or not _stack_endpoints(stack):
            return _MOTO["delete_stack"](self, name_or_stack_id)
        if getattr(stack, _PENDING, None) == "delete":
            return None  # already being deleted: DeleteStack is idempotent
        stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
        stack.status = "DELETE_IN_PROGRESS"
        setattr(stack, _PENDING, "delete")
        _settle(self, stack)
        return None


def endpoint_update_from_cloudformation_json(
    cls: type[FakeEndpoint],
    original_resource: FakeEndpoint,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> FakeEndpoint:
    """A changed EndpointConfigName updates the endpoint in place (UpdateEndpoint)."""
    backend = sagemaker_backends[account_id][region_name]
    config_name = cloudformation_json["Properties"]["EndpointConfigName"]
    name = original_resource.endpoint_name
    if backend.endpoints[name].endpoint_config_name != config_name:
        backend.update_endpoint(name, config_name)
    return backend.endpoints[name]


def response_create_stack(self: CloudFormationResponse) -> Any:
    """CreateStack, remembering what to do when an endpoint of the stack fails."""
    answer = _MOTO["CloudFormationResponse.create_stack"](self)
    on_failure = self._get_param("OnFailure") or "ROLLBACK"
    if str(self._get_param("DisableRollback")).lower() == "true":
        on_failure = "DO_NOTHING"
    for stack in self.cloudformation_backend.stacks.values():
        if stack.name == self._get_param("StackName"):
            setattr(stack, _ON_FAILURE, on_failure)
            stack.disable_rollback = on_failure == "DO_NOTHING"
    return answer


READS = (
    "describe_stacks",
    "list_stacks",
    "get_stack",
    "describe_stack_resource",
    "describe_stack_resources",
    "list_stack_resources",
    "describe_stack_events",
)


def install(replace: Callable[[type, str, Any], None]) -> None:
    """Patch moto's CloudFormation with `replace(cls, name, method)` (patch.py)."""
    for name in (*READS, "update_stack", "delete_stack"):
        _MOTO[name] = getattr(CloudFormationBackend, name)
    _MOTO["Stack.create_resources"] = Stack.create_resources
    _MOTO["Stack.update"] = Stack.update
    _MOTO["CloudFormationResponse.create_stack"] = CloudFormationResponse.create_stack
    for name in READS:
        replace(CloudFormationBackend, name, _settling(name))
    replace(CloudFormationBackend, "update_stack", backend_update_stack)
    replace(CloudFormationBackend, "delete_stack", backend_delete_stack)
    replace(Stack, "create_resources", stack_create_resources)
    replace(Stack, "update", stack_update)
    replace(CloudFormationResponse, "create_stack", response_create_stack)
    replace(FakeEndpoint, "is_created", endpoint_is_created)
    replace(
        FakeEndpoint,
        "update_from_cloudformation_json",
        classmethod(endpoint_update_from_cloudformation_json),
    )
