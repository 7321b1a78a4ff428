"""The pool of model servers behind InvokeEndpoint: shared by content, bounded, restartable."""

import urllib.error
import urllib.request

import pytest

from smgitops.emulator.model_servers import ModelServers, serving_process_factory
from smgitops.emulator.served import ServedContainer

from .conftest import SUM_MODEL, model_tarball


def _container(deployer, name: str, offset: float) -> ServedContainer:
    url = deployer.upload(
        f"{name}/model.tar.gz", model_tarball(SUM_MODEL, {"offset.txt": str(offset)})
    )
    etag = deployer.s3.head_object(Bucket="models-bucket", Key=f"{name}/model.tar.gz")["ETag"]
    return ServedContainer(name, "image", url, (), model_data_etag=etag)


def _predict(server) -> bytes:
    request = urllib.request.Request(
        f"{server.url}/invocations", data=b"1,2,3", headers={"Content-Type": "text/csv"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.read()


@pytest.fixture
def pool(tmp_path):
    servers = ModelServers(tmp_path, serving_process_factory, max_running=1)
    yield servers
    servers.stop_all()


def test_same_content_shares_one_server(deployer, pool):
    container = _container(deployer, "m", 0)

    first = pool.server_for("123456789012", "us-east-1", container)
    again = pool.server_for("123456789012", "us-east-1", container)

    assert first is again
    assert _predict(first) == b"6"


def test_least_recently_used_server_is_stopped_and_restarts_on_next_use(deployer, pool):
    old, new = _container(deployer, "old", 0), _container(deployer, "new", 100)
    evicted = pool.server_for("123456789012", "us-east-1", old)

    assert _predict(pool.server_for("123456789012", "us-east-1", new)) == b"106"
    with pytest.raises(urllib.error.URLError):
        _predict(evicted)
    assert _predict(pool.server_for("123456789012", "us-east-1", old)) == b"6"
