"""The Price List API's answers to a hosting price table, and the packaged snapshot."""

from __future__ import annotations

import json

from smgitops.prices.catalog import load_snapshot
from smgitops.prices.pricelist import filters, hosting_prices


def _product(usage_type: str, region: str, usd: str, unit: str = "Hrs", name: str = "") -> str:
    """One GetProducts item in the aws_v1 shape (written for this test, not recorded)."""
    attributes = {"usagetype": usage_type, "regionCode": region, "servicecode": "AmazonSageMaker"}
    if name:
        attributes["instanceName"] = name
    return json.dumps(
        {
            "product": {"productFamily": "ML Instance", "attributes": attributes, "sku": "SKU1"},
            "serviceCode": "AmazonSageMaker",
            "terms": {
                "OnDemand": {
                    "SKU1.TERM": {
                        "priceDimensions": {
                            "SKU1.TERM.RATE": {"unit": unit, "pricePerUnit": {"USD": usd}}
                        }
                    }
                }
            },
        }
    )


def test_only_hosting_instance_hours_are_kept():
    table = hosting_prices(
        [
            _product("USE1-Host:ml.m5.large", "us-east-1", "0.1150000000", name="ml.m5.large"),
            _product("EUW1-Host:ml.m5.large", "eu-west-1", "0.1280000000"),
            _product("USE1-Train:ml.m5.large", "us-east-1", "0.1150000000"),
            _product("USE1-Notebk:ml.t3.medium", "us-east-1", "0.0500000000"),
            _product("USE1-Host:VolumeUsage.gp2", "us-east-1", "0.14", unit="GB-Mo"),
            _product("USE1-ServerlessInf:Mem-2GB", "us-east-1", "0.00004"),
            _product("USE1-Host:ml.t2.medium", "us-east-1", "0.0000000000"),  # free tier
        ]
    )
    assert table.prices == {
        "us-east-1": {"ml.m5.large": 0.115},
        "eu-west-1": {"ml.m5.large": 0.128},
    }
    assert not table.conflicts


def test_two_prices_for_one_type_are_left_out_rather_than_picked():
    table = hosting_prices(
        [
            _product("USE1-Host:ml.c5.large", "us-east-1", "0.102"),
            _product("USE1-Host:ml.c5.large", "us-east-1", "0.119"),
            _product("USE1-Host:ml.m5.large", "us-east-1", "0.115"),
        ]
    )
    document = table.document("2026-11-30", "AWS Price List API")
    assert document["prices"] == {"us-east-1": {"ml.m5.large": 0.115}}
    assert table.conflicts == {("us-east-1", "ml.c5.large"): {0.102, 0.119}}


def test_the_filters_ask_for_one_regions_ml_instances():
    assert {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"} in filters(
        "eu-west-1"
    )


def test_the_packaged_snapshot_is_dated_sourced_and_prices_the_demo_instance():
    snapshot = load_snapshot()
    assert snapshot.date and "Price List API" in snapshot.source
    assert snapshot.hourly("us-east-1", "ml.m5.large") == 0.115
    assert snapshot.hourly("us-east-1", "ml.p5.48xlarge") is None


def test_the_refresh_script_writes_a_dated_snapshot_the_plan_can_load(tmp_path, monkeypatch):
    import importlib.util
    from pathlib import Path

    import boto3
    from botocore.stub import Stubber

    from smgitops.core.preflight import snapshot_from_document

    root = Path(__file__).resolve().parents[3]
    loaded = importlib.util.spec_from_file_location("refresh", root / "scripts/refresh_prices.py")
    script = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(script)
    pricing = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stub = Stubber(pricing)
    stub.add_response(
        "get_products",
        {
            "FormatVersion": "aws_v1",
            "PriceList": [_product("USE1-Host:ml.m5.large", "us-east-1", "0.115")],
        },
    )
    monkeypatch.setattr(script.boto3, "client", lambda *args, **kwargs: pricing)
    out = tmp_path / "hosting.json"
    with stub:
        assert script.main(["--region", "us-east-1", "--out", str(out)]) == 0
    snapshot = snapshot_from_document(json.loads(out.read_text()))
    assert snapshot.hourly("us-east-1", "ml.m5.large") == 0.115
    assert "Price List API" in snapshot.source and len(snapshot.date) == 10
