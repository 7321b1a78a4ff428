"""Model sources beyond a repo folder: trained S3 artifacts and Model Registry versions.

`pins` holds the pure values and names; `s3`, `repack` and `registry` are the AWS/file edges;
`resolve` turns an env's non-folder sources into pinned `ModelArtifact`s at plan time.
"""
