# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a read-only, pure-Python module in the worker itself when its task runs on the controller. PRIVATE.

A module delegated to localhost costs a Python interpreter, Ansible's module imports and the module's on every host
of the play (the rollout's direct request runs once per origin, the CA check once per batch); in the worker that ran
the action plugin anyway it costs a function call. The module and this path share the argument spec and the code
(module_utils), so they answer alike. Elsewhere - another host, or become on the controller (the module may need
the privileges to read a file) - the module runs as usual.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase


class OnControllerAction(ActionBase):
    """Subclasses set SPEC (the module's argument spec), SPEC_KW (mutually_exclusive, required_together, ...) and
    answer(params) -> the module's result (with failed and msg on failure)."""

    TRANSFERS_FILES = False
    _supports_async = True  # async runs the module, as without this plugin
    SPEC: dict = {}
    SPEC_KW: dict = {}

    def answer(self, params):
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        if self._task.async_val or self._connection.transport != "local" or self._play_context.become:
            wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
            result.update(self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        validated = ArgumentSpecValidator(self.SPEC, **self.SPEC_KW).validate(self._task.args)
        # Worded as AnsibleModule words them: the first error; an option given with its alias too is a warning.
        warnings = ["Both option %s and its alias %s are set." % (w["option"], w["alias"]) for w in getattr(validated, "_warnings", [])]
        if validated.error_messages:
            error = validated.errors.errors[0]
            name = self._task.resolved_action or self._task.action
            unsupported = "Unsupported parameters for (%s) module: " % name if isinstance(error, UnsupportedError) else ""
            result.update(failed=True, msg=unsupported + error.msg)
        else:
            result.update(self.answer(validated.validated_parameters))
        if warnings:
            result["warnings"] = warnings + list(result.get("warnings") or [])
        return result
