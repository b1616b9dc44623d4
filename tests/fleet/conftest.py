"""The fleet of the Molecule scenario 'rollout' (or the demo's), shared by the end-to-end cases.

The fleet's state directory (fleet.json, the inventory, the PKI: what `e2e.py up` writes) comes from
--fleet-state DIR or the environment variable AOP_FLEET_STATE. Without one the run fails; it never skips.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import e2e  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--fleet-state", default=os.environ.get("AOP_FLEET_STATE"), help="the fleet's state directory (default: $AOP_FLEET_STATE)")


@pytest.fixture(scope="session")
def fleet(request):
    state = request.config.getoption("--fleet-state")
    if not state:
        pytest.fail("no fleet: give --fleet-state DIR or AOP_FLEET_STATE (the state directory of `e2e.py up`)", pytrace=False)
    if not os.path.isfile(os.path.join(state, "fleet.json")):
        pytest.fail("no fleet in %s: fleet.json is missing (`e2e.py up` writes it)" % state, pytrace=False)
    return e2e.Fleet(state)
