"""Service Quotas for SageMaker: ListServiceQuotas and GetServiceQuota answer the
`instance_quotas` knob, so a plan reads the same quotas CreateEndpoint enforces.

moto 5.2.5 implements Service Quotas for `vpc` only (its AWS defaults), and not
ListServiceQuotas at all. Here, service code `sagemaker` lists one quota per instance type the
knob sets, named as AWS names them ("ml.m5.large for endpoint usage", unit "None", adjustable,
applied at the account level); an empty knob lists none (no quota, as the emulator enforces
none). AWS gives each quota a fixed code (`L-` and 8 hex digits) that cannot be derived from
its name: the emulator's codes have that form and are stable per name, but are its own. Other
service codes answer what moto answers (its `vpc` defaults, else NoSuchResourceException).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from moto.servicequotas.exceptions import NoSuchResource
from moto.servicequotas.responses import ServiceQuotasResponse

from smgitops.emulator import state
from smgitops.emulator.quotas import quota_name

SERVICE_CODE = "sagemaker"
SERVICE_NAME = "Amazon SageMaker"
_UPSTREAM_GET = ServiceQuotasResponse.get_service_quota


def quota_code(name: str) -> str:
    """The emulator's stable code of a quota name, in AWS's form. No side effects."""
    return "L-" + hashlib.sha256(name.encode()).hexdigest()[:8].upper()


def sagemaker_quotas(account: str, region: str) -> list[dict[str, Any]]:
    """The SageMaker quotas the `instance_quotas` knob sets, in ServiceQuota's shape."""
    quotas = []
    for instance_type, value in sorted(state.running().knobs.instance_quotas.items()):
        name = quota_name(instance_type)
        code = quota_code(name)
        quotas.append(
            {
                "ServiceCode": SERVICE_CODE,
                "ServiceName": SERVICE_NAME,
                "QuotaArn": f"arn:aws:servicequotas:{region}:{account}:{SERVICE_CODE}/{code}",
                "QuotaCode": code,
                "QuotaName": name,
                "Value": float(value),
                "Unit": "None",
                "Adjustable": True,
                "GlobalQuota": False,
                "QuotaAppliedAtLevel": "ACCOUNT",
            }
        )
    return quotas


def _page(quotas: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """One page of at most MaxResults (default 100) quotas; NextToken is the next index."""
    size = int(params.get("MaxResults") or 100)
    start = int(params.get("NextToken") or 0)
    answer: dict[str, Any] = {"Quotas": quotas[start : start + size]}
    if start + size < len(quotas):
        answer["NextToken"] = str(start + size)
    return answer


def list_service_quotas(self: ServiceQuotasResponse) -> str:
    params = json.loads(self.body or "{}")
    service_code = str(params.get("ServiceCode"))
    if service_code == SERVICE_CODE:
        quotas = sagemaker_quotas(self.current_account, self.region)
    else:  # moto's defaults are what an account without increases has applied
        quotas = self.backend.list_aws_default_service_quotas(service_code)
    if params.get("QuotaCode"):
        quotas = [q for q in quotas if q["QuotaCode"] == params["QuotaCode"]]
    return json.dumps(_page(quotas, params))


def get_service_quota(self: ServiceQuotasResponse) -> str:
    params = json.loads(self.body or "{}")
    if params.get("ServiceCode") != SERVICE_CODE:
        return _UPSTREAM_GET(self)
    for quota in sagemaker_quotas(self.current_account, self.region):
        if quota["QuotaCode"] == params.get("QuotaCode"):
            return json.dumps({"Quota": quota})
    raise NoSuchResource


RESPONSE_METHODS = {
    "list_service_quotas": list_service_quotas,
    "get_service_quota": get_service_quota,
}
