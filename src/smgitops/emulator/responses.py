"""Wire parsing and serialisation for the SageMaker operations the emulator adds.

Functions here become methods of moto's `SageMakerResponse`; they read parameters by their
AWS names, call the backend with snake_case arguments and return the result, nothing else.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult


def update_endpoint(self: Any) -> ActionResult:
    arn = self.sagemaker_backend.update_endpoint(
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
        retain_all_variant_properties=bool(self._get_param("RetainAllVariantProperties")),
        exclude_retained_variant_properties=self._get_param("ExcludeRetainedVariantProperties"),
        deployment_config=self._get_param("DeploymentConfig"),
        retain_deployment_config=bool(self._get_param("RetainDeploymentConfig")),
    )
    return ActionResult({"EndpointArn": arn})


RESPONSE_METHODS = {"update_endpoint": update_endpoint}
