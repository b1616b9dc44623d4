# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""webserver_status: with O(gate) and O(wait_timeout), look at the AOP log until the gate is met, with progress lines."""

from __future__ import annotations

from ansible_collections.originpulls.aop.plugins.plugin_utils._waiting import GateWait


class ActionModule(GateWait):
    """Runs originpulls.aop.webserver_status (also under its old names origin_status and origin_facts); waits for the gate's verdict when asked to."""
