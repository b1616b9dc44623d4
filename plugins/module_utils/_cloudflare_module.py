# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The frame every Cloudflare module runs in.

PRIVATE to the collection: may change without notice.

``CloudflareModule`` holds the shared options (doc fragment ``originpulls.aop.cloudflare``), builds
the client from them, resolves the zone, and ends every run the same way: a ``CloudflareError``
becomes ``fail_json`` with the message, and every exit, failed or not, carries the result so far and
``api_calls`` (the HTTP exchanges of the run). A module writes only its decisions::

    def work(m, zone_id):
        current = m.api.setting(zone_id, "ssl")
        ...
        m.diff(before, after, header="zone %s" % zone_id)

    m = CloudflareModule(dict(...))
    m.run(work)
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare import DEFAULT_API_URL, HAS_REQUESTS, CloudflareClient, connection_problems
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_api import CloudflareApi
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_errors import CloudflareError


def cloudflare_argument_spec():
    """Options of the 'originpulls.aop.cloudflare' doc fragment."""
    return dict(
        api_token=dict(type="str", no_log=True),
        api_email=dict(type="str"),
        api_key=dict(type="str", no_log=True),
        api_url=dict(type="str", default=DEFAULT_API_URL),
        zone=dict(type="str"),
        zone_id=dict(type="str"),
        account_id=dict(type="str"),
        connect_timeout=dict(type="float", default=10),
        timeout=dict(type="float", default=30),
        retries=dict(type="int", default=5),
        retry_max_delay=dict(type="float", default=30),
        retry_max_total=dict(type="float", default=120),
        validate_certs=dict(type="bool", default=True),
        api_ca_path=dict(type="path", aliases=["ca_path"]),
    )


CLOUDFLARE_MUTUALLY_EXCLUSIVE = [("api_token", "api_email"), ("api_token", "api_key"), ("zone", "zone_id")]
CLOUDFLARE_REQUIRED_TOGETHER = [("api_email", "api_key")]
CLOUDFLARE_REQUIRED_ONE_OF = [("zone", "zone_id")]


def cloudflare_module_spec(argument_spec=None, mutually_exclusive=(), required_one_of=(), required_if=()):
    """The argument spec and its constraints (AnsibleModule's keywords) of a module with the shared options."""
    spec = cloudflare_argument_spec()
    spec.update(argument_spec or {})
    return spec, dict(
        mutually_exclusive=CLOUDFLARE_MUTUALLY_EXCLUSIVE + list(mutually_exclusive),
        required_together=CLOUDFLARE_REQUIRED_TOGETHER,
        required_one_of=CLOUDFLARE_REQUIRED_ONE_OF + list(required_one_of),
        required_if=list(required_if),
    )


class CloudflareModule:
    """An AnsibleModule with the shared Cloudflare options, check mode supported, and one way to end.

    ``module``: what stands in for the AnsibleModule when the code runs in the controller's worker (an object with
    params already validated against cloudflare_module_spec(), check_mode, _diff, warn, fail_json, exit_json).
    """

    def __init__(self, argument_spec=None, mutually_exclusive=(), required_one_of=(), required_if=(), module=None):
        if module is None:
            spec, kw = cloudflare_module_spec(argument_spec, mutually_exclusive, required_one_of, required_if)
            module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **kw)
        self.module = module
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.result = dict(changed=False)
        self.client = None
        self.api = None

    # ---------------------------------------------------------------- endings
    def api_calls(self):
        """The HTTP exchanges of this run, for the module result (method, path, status)."""
        calls = self.client.calls if self.client is not None else []
        return [{"method": m, "path": path, "status": s} for m, path, s in calls]

    def fail(self, msg, **extra):
        """Fail the module with the result so far and the API calls made; nothing after it runs."""
        self.module.fail_json(msg=msg, **dict(self.result, api_calls=self.api_calls(), **extra))

    def warn(self, text):
        self.module.warn(text)

    def diff(self, before, after, header=None):
        """Add a diff to the result when the run asked for one (--diff)."""
        if self.module._diff:  # pylint: disable=protected-access
            self.result["diff"] = dict(before=before, after=after)
            if header:
                self.result["diff"].update(before_header=header, after_header=header)

    def read_file(self, path, what):
        try:
            with open(path) as fh:
                return fh.read()
        except OSError as exc:
            self.fail("cannot read %s %s: %s" % (what, path, exc))

    # ----------------------------------------------------------------- the run
    def connect(self):
        """Build the client from the options; every problem with them is reported before any call."""
        p = self.params
        if not HAS_REQUESTS:
            self.fail("the Python library 'requests' is required on the host that runs this module (pip install requests)")
        for problem in connection_problems(p.get):
            self.fail(problem)
        try:
            self.client = CloudflareClient(
                api_url=p["api_url"],
                api_token=p["api_token"],
                api_email=p["api_email"],
                api_key=p["api_key"],
                connect_timeout=p["connect_timeout"],
                timeout=p["timeout"],
                retries=p["retries"],
                retry_max_delay=p["retry_max_delay"],
                retry_max_total=p["retry_max_total"],
                validate_certs=p["validate_certs"],
                api_ca_path=p["api_ca_path"],
            )
        except CloudflareError as exc:
            self.fail(str(exc))
        self.api = CloudflareApi(self.client)

    def run(self, work):
        """Connect, resolve the zone, ``work(self, zone_id)``, then exit with the result and ``api_calls``.

        A CloudflareError raised anywhere in it fails the module with its message.
        """
        self.connect()
        try:
            zone_id = self.api.zone_id(zone=self.params["zone"], zone_id=self.params["zone_id"], account_id=self.params["account_id"])
            self.result["zone_id"] = zone_id
            work(self, zone_id)
        except CloudflareError as exc:
            self.fail(str(exc))
        self.module.exit_json(**dict(self.result, api_calls=self.api_calls()))
