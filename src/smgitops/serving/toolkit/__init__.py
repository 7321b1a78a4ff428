"""A stand-in for the public modules of AWS's `sagemaker-inference` toolkit.

User scripts written for AWS's containers import `sagemaker_inference.errors`,
`.content_types`, `.decoder` and `.encoder`. When that package is not installed,
`smgitops serve` makes `import sagemaker_inference...` load these modules instead
(`toolkit_alias`), so such scripts run unchanged. Each module offers the names and the
behaviour of its namesake (sagemaker-inference 1.10), implemented here; where it differs
docs/serving.md says so.
"""
