# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""origin_pull_ca: on the controller (delegate_to: localhost, as the roles run it), the check runs in the worker, not
in a new Python interpreter; elsewhere the module runs as usual."""

from __future__ import annotations

from ansible_collections.originpulls.aop.plugins.module_utils._aop_ca import ORIGIN_PULL_CA_KW, ORIGIN_PULL_CA_SPEC, origin_pull_ca
from ansible_collections.originpulls.aop.plugins.plugin_utils._on_controller import OnControllerAction


class ActionModule(OnControllerAction):
    SPEC = ORIGIN_PULL_CA_SPEC
    SPEC_KW = ORIGIN_PULL_CA_KW

    def answer(self, params):
        return origin_pull_ca(params)
