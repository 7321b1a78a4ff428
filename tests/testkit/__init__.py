"""Shared test helpers, importable from every test as `testkit.<module>` (pytest's `pythonpath`).

- `values`: hand-built desired and live values and the one EnvSettings of the unit tests;
- `samples`: manifest, env-file and inference.py texts of the manifest tests;
- `scratch`: a scratch GitOps repository with a tiny model, and the CLI run inside it;
- `faults`: `smgitops apply` as a process, the call-log watcher, an invoker, the census;
- `trained`: trained artifacts in S3 and Model Registry versions for model-source tests.
"""
