"""Bootstrap: the IAM a repository's GitHub workflows need to plan and deploy one environment.

`policies` builds the documents (pure), `iam` creates them in an AWS account (boto3 edge).
"""
