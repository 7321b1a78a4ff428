"""The emulator's caches in front of moto's per-request routing and method listing."""

from smgitops.emulator.patch import _memoised_backend_lookup, _memoised_method_names


def test_backend_lookup_runs_once_per_host_and_keeps_its_answer():
    seen = []

    def lookup(app, host):
        seen.append(host)
        return f"backend-for-{host}"

    cached = _memoised_backend_lookup(lookup)
    app = object()
    assert cached(app, "api.sagemaker.us-east-1.amazonaws.com") == (
        "backend-for-api.sagemaker.us-east-1.amazonaws.com"
    )
    assert cached(app, "api.sagemaker.us-east-1.amazonaws.com").startswith("backend-for-api")
    assert cached(app, "s3.us-east-1.amazonaws.com") == "backend-for-s3.us-east-1.amazonaws.com"
    assert seen == ["api.sagemaker.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com"]


def test_method_names_follow_a_class_that_gains_a_method():
    class Response:
        def describe(self):
            return None

    names = _memoised_method_names(
        lambda cls: sorted(n for n in dir(cls) if callable(getattr(cls, n)) and n[0] != "_")
    )
    assert names(Response) == ["describe"]

    def update(self):
        return None

    Response.update = update  # what installing an added operation does
    assert names(Response) == ["describe", "update"]
