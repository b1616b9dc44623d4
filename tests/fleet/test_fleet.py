"""The rollout scenario's end-to-end checks (tests/fleet/e2e.py VERIFY_STEPS), one pytest case per step.

The steps run in the order written, on one fleet (the session fixture in conftest.py): each starts from
the fleet the previous one leaves, and a failed step no longer hides the ones after it.

    python -m pytest -p no:cacheprovider tests/fleet/test_fleet.py --fleet-state DIR
"""

from __future__ import annotations

import pytest
from e2e import VERIFY_STEPS


@pytest.mark.parametrize("step", VERIFY_STEPS, ids=[s.__name__.removeprefix("step_") for s in VERIFY_STEPS])
def test_step(fleet, step):
    step(fleet)
