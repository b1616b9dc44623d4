"""Shared pytest fixtures: the Cloudflare API emulator and the collection import path."""

from __future__ import annotations

import os
import sys

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
sys.path.insert(0, TESTS)  # cf_emulator, helpers

from helpers.collection import collections_root  # noqa: E402

sys.path.insert(0, collections_root())

from cf_emulator import Emulator  # noqa: E402

TOKEN = "t0k3n-for-tests-4f9c2e"  # a test credential, never a real one


@pytest.fixture
def emulator():
    """A fresh emulator with one zone and one token; fails the test on any schema violation."""
    emu = Emulator().start()
    emu.state.add_zone("example.com")
    emu.state.add_token(TOKEN)
    emu.expected_violations = 0
    yield emu
    emu.stop()
    if len(emu.violations) != emu.expected_violations:
        pytest.fail("requests or responses that do not match Cloudflare's schema:\n" + "\n".join(emu.violations))


@pytest.fixture
def zone_id(emulator):
    return next(iter(emulator.state.zones))
