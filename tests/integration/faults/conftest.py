"""The fault tests use the shared scratch repo fixtures (tests/integration/conftest.py)."""

import sys
from pathlib import Path

# Lets the tests here import their `faultkit` helpers.
sys.path.insert(0, str(Path(__file__).parent))
