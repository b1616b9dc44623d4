# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tls_probe: on the controller (delegate_to: localhost, as the rollout's direct request runs once per origin), the
probe runs in the worker, not in a new Python interpreter; elsewhere the module runs as usual."""

from __future__ import annotations

from ansible_collections.originpulls.aop.plugins.module_utils._direct_request import TLS_PROBE_KW, TLS_PROBE_SPEC, tls_probe
from ansible_collections.originpulls.aop.plugins.plugin_utils._on_controller import OnControllerAction


class ActionModule(OnControllerAction):
    SPEC = TLS_PROBE_SPEC
    SPEC_KW = TLS_PROBE_KW

    def answer(self, params):
        return tls_probe(params)
