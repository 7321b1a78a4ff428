"""smgitops: GitOps for custom models on AWS SageMaker real-time endpoints."""

__version__ = "0.1.0"
