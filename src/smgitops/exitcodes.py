"""Process exit codes, in one place (Terraform's convention for plan).

Click itself exits 2 on a usage error; commands that use 2 for "changes present" only do so
behind an explicit flag (`--detailed-exitcode`) and say so in their help.
"""

OK = 0
ERROR = 1
CHANGES = 2
DRIFT = 2
INTERRUPTED = 130
