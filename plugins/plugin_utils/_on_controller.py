# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a read-only, pure-Python module in the worker itself when its task runs on the controller. PRIVATE.

A module delegated to localhost costs a Python interpreter, Ansible's module imports and the module's on every host
of the play (the rollout's direct request runs once per origin, the CA check once per batch); in the worker that ran
the action plugin anyway it costs a function call. The module and this path share the argument spec and the code
(module_utils), so they answer alike. Elsewhere - another host, or become on the controller (the module may need
the privileges to read a file), or a task with ``environment`` (a proxy for the API, say) - the module runs as usual.
The task's arguments hold the play's ``module_defaults`` already (ansible-core applies them when it validates the
task), and the values of ``no_log`` options are masked in the result as the module masks them.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase


class ModuleDone(BaseException):
    """How a module's code ends in the worker (it ends the module's process elsewhere): carries the result."""

    def __init__(self, result):
        super().__init__(result.get("msg", ""))
        self.result = result


class WorkerModule:
    """What stands in for AnsibleModule when a module's code runs in the worker: validated params, check and diff
    mode, warnings, and fail_json/exit_json that raise ModuleDone."""

    def __init__(self, params, check_mode=False, diff=False):
        self.params = params
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)

    def fail_json(self, msg, **kwargs):
        raise ModuleDone(dict(kwargs, failed=True, msg=msg))

    def exit_json(self, **kwargs):
        raise ModuleDone(kwargs)


def run_module_code(code, params, check_mode=False, diff=False):
    """The result of ``code(module)`` (a module's main part, given a WorkerModule), with the warnings it gave."""
    module = WorkerModule(params, check_mode, diff)
    try:
        code(module)
        result = {"failed": True, "msg": "the module's code ended without a result"}
    except ModuleDone as done:
        result = done.result
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # As a module's crash ends its process: a failure with the error (the caller masks no_log values in it).
        result = {"failed": True, "msg": "%s: %s" % (type(exc).__name__, exc)}
    if module.warnings:
        result["warnings"] = module.warnings + list(result.get("warnings") or [])
    result.setdefault("changed", False)
    return result


class OnControllerAction(ActionBase):
    """Subclasses set SPEC (the module's argument spec), SPEC_KW (mutually_exclusive, required_together, ...) and
    answer(params) -> the module's result (with failed and msg on failure)."""

    TRANSFERS_FILES = False
    _supports_async = True  # async runs the module, as without this plugin
    SPEC: dict = {}
    SPEC_KW: dict = {}
    # False: always run the module (for code that must not run in a process forked from the controller here).
    IN_WORKER = True

    def answer(self, params):
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        elsewhere = self._connection.transport != "local" or self._play_context.become or any(self._task.environment or [])
        if not self.IN_WORKER or self._task.async_val or elsewhere:
            wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
            result.update(self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        name = self._task.resolved_action or self._task.action
        validated = ArgumentSpecValidator(self.SPEC, **self.SPEC_KW).validate(self._task.args)
        # Worded as AnsibleModule words them: the first error; an option given with its alias too is a warning.
        warnings = ["Both option %s and its alias %s are set." % (w["option"], w["alias"]) for w in getattr(validated, "_warnings", [])]
        if validated.error_messages:
            error = validated.errors.errors[0]
            unsupported = "Unsupported parameters for (%s) module: " % name if isinstance(error, UnsupportedError) else ""
            answer = dict(failed=True, msg=unsupported + error.msg)
        else:
            answer = self.answer(validated.validated_parameters)
        result.update(remove_values(answer, validated._no_log_values))
        if warnings:
            result["warnings"] = warnings + list(result.get("warnings") or [])
        return result
