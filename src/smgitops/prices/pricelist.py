"""Hourly on-demand prices of SageMaker real-time hosting from the AWS Price List API.

`GetProducts` (service code `AmazonSageMaker`, format `aws_v1`) answers with `PriceList`, a
list of JSON texts, one product each: `product.attributes` (among them `regionCode`,
`usagetype` and `instanceName`) and `terms.OnDemand`, offers whose `priceDimensions` hold a
`unit` and a `pricePerUnit` per currency. A hosting instance hour is the usage type
`<region prefix>-Host:<instance type>` (e.g. `USE1-Host:ml.m5.large`) priced per `Hrs`.
Training (`Train:`), notebooks (`Notebk:`), processing, storage (`Host:VolumeUsage...`) and
serverless (`ServerlessInf:...`) products are other usage types and are left out.

Pure: `hosting_prices` turns the texts into a table; scripts/refresh_prices.py makes the
calls and writes the snapshot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

SERVICE_CODE = "AmazonSageMaker"
# The Price List API's filters: every ML instance product of one region (the usage type is
# checked here, so a product family renamed on AWS's side shows up as an empty table).
PRODUCT_FAMILY = "ML Instance"
_HOST_USAGE = re.compile(r"(?:^|-)Host:(?P<type>ml\.[a-z0-9-]+\.[a-z0-9]+)$")


def filters(region: str) -> list[dict[str, str]]:
    """GetProducts filters for one region's ML instance products. No side effects."""
    return [
        {"Type": "TERM_MATCH", "Field": "productFamily", "Value": PRODUCT_FAMILY},
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
    ]


@dataclass
class HostingPrices:
    """region -> instance type -> USD per hour, and what could not be read unambiguously."""

    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    conflicts: dict[tuple[str, str], set[float]] = field(default_factory=dict)

    def document(self, date: str, source: str) -> dict[str, object]:
        """The snapshot as `smgitops.prices` packages it; conflicting types are left out."""
        prices = {
            region: {
                instance_type: usd
                for instance_type, usd in sorted(table.items())
                if (region, instance_type) not in self.conflicts
            }
            for region, table in sorted(self.prices.items())
        }
        return {"date": date, "source": source, "currency": "USD", "prices": prices}


def _hourly_usd(terms: object) -> set[float]:
    """Every non-zero USD-per-hour price among a product's on-demand offers."""
    found: set[float] = set()
    offers = terms.get("OnDemand", {}) if isinstance(terms, dict) else {}
    for offer in offers.values() if isinstance(offers, dict) else ():
        dimensions = offer.get("priceDimensions", {}) if isinstance(offer, dict) else {}
        for dimension in dimensions.values() if isinstance(dimensions, dict) else ():
            if not isinstance(dimension, dict) or dimension.get("unit") != "Hrs":
                continue
            usd = dimension.get("pricePerUnit", {}).get("USD")
            try:
                value = float(usd)
            except (TypeError, ValueError):
                continue
            if value > 0:  # a free-tier offer prices its hours at 0
                found.add(value)
    return found


def hosting_prices(
    price_list: Iterable[str | dict], into: HostingPrices | None = None
) -> HostingPrices:
    """Add the hosting instance-hour prices of `price_list` (GetProducts' `PriceList` items,
    JSON texts or already parsed) to `into`. A type with two different prices in a region is
    recorded as a conflict instead of picking one. No side effects beyond `into`."""
    table = into if into is not None else HostingPrices()
    for item in price_list:
        product = json.loads(item) if isinstance(item, str) else item
        attributes = product.get("product", {}).get("attributes", {})
        found = _HOST_USAGE.search(str(attributes.get("usagetype", "")))
        region = attributes.get("regionCode")
        if found is None or not region:
            continue
        instance_type = found["type"]
        name = attributes.get("instanceName") or attributes.get("instanceType")
        if name and name != instance_type:
            continue  # the usage type and the product disagree: not a plain hosting hour
        for usd in _hourly_usd(product.get("terms")):
            known = table.prices.setdefault(region, {}).get(instance_type)
            if known is None:
                table.prices[region][instance_type] = usd
            elif known != usd:
                table.conflicts.setdefault((region, instance_type), {known}).add(usd)
    return table
