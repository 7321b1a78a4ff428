"""Rebuild src/smgitops/prices/hosting.json from the AWS Price List API: the on-demand USD per
hour of SageMaker real-time hosting, per region and instance type, dated today.

Needs AWS credentials allowed `pricing:GetProducts` (any account; the Price List API is
served from us-east-1). Reads every `ML Instance` product of each region (service code
AmazonSageMaker, format aws_v1, 100 a page) and keeps the usage types `<prefix>-Host:<type>`
(smgitops.prices.pricelist). A type with two prices in one region is left out and named.

    python scripts/refresh_prices.py                          # the regions of deployments/
    python scripts/refresh_prices.py --region us-east-1 --region eu-west-1   # only these
    python scripts/refresh_prices.py --out hosting.new.json   # elsewhere, to compare first

The snapshot holds exactly the regions read in one run, all as of its one date.

Review the diff of the file like any other change: a new price changes every plan's cost.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from pathlib import Path

import boto3

from smgitops.prices.pricelist import SERVICE_CODE, HostingPrices, filters, hosting_prices

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "src" / "smgitops" / "prices" / "hosting.json"
PRICING_REGION = "us-east-1"  # where the Price List API is served
SOURCE = (
    "AWS Price List API (GetProducts, service code AmazonSageMaker, product family ML "
    "Instance): on-demand USD per hour of the usage types <region prefix>-Host:<instance type>"
)


def deployment_regions() -> list[str]:
    """The `region:` of every deployments/<env>/_env.yaml (read as text: no schema needed)."""
    regions = set()
    for env_file in sorted((ROOT / "deployments").glob("*/_env.yaml")):
        found = re.search(r"^region:\s*([a-z0-9-]+)\s*$", env_file.read_text(), re.MULTILINE)
        if found:
            regions.add(found.group(1))
    return sorted(regions)


def read_region(pricing, region: str, table: HostingPrices) -> None:
    paginator = pricing.get_paginator("get_products")
    pages = paginator.paginate(
        ServiceCode=SERVICE_CODE,
        Filters=filters(region),
        FormatVersion="aws_v1",
        PaginationConfig={"PageSize": 100},
    )
    for page in pages:
        hosting_prices(page.get("PriceList", []), into=table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", action="append", help="a region to price (repeatable)")
    parser.add_argument("--out", type=Path, default=SNAPSHOT, help="where to write the snapshot")
    args = parser.parse_args(argv)
    regions = args.region or deployment_regions() or ["us-east-1"]
    pricing = boto3.client("pricing", region_name=PRICING_REGION)
    table = HostingPrices()
    for region in regions:
        read_region(pricing, region, table)
        print(f"{region}: {len(table.prices.get(region, {}))} instance types", file=sys.stderr)
    for (region, instance_type), prices in sorted(table.conflicts.items()):
        listed = ", ".join(f"{p:g}" for p in sorted(prices))
        print(f"left out {instance_type} in {region}: several prices ({listed})", file=sys.stderr)
    if not any(table.prices.values()):
        print("no hosting price found: the snapshot is left as it was", file=sys.stderr)
        return 1
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    document = table.document(today, SOURCE)
    args.out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.out} (prices of {today})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
