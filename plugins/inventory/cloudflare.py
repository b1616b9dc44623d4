# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: cloudflare
short_description: Origins behind Cloudflare zones, from their proxied DNS records, with the AOP level of each hostname
version_added: 0.1.0
description:
  - Builds an inventory from Cloudflare - the zones in scope (O(zones) by name, or every zone of
    O(account_id)), their B(proxied) DNS records of the types in O(record_types) - with one host per
    origin address (the content of an C(A) or C(AAAA) record) or CNAME target.
  - DNS-only (unproxied) records are ignored - traffic to them never passes through Cloudflare, so
    Authenticated Origin Pulls says nothing about them.
  - For every proxied hostname the plugin works out which client certificate Cloudflare presents to the
    origin, by Cloudflare's precedence - an enabled per-hostname binding (V(per_hostname)), else
    zone-level AOP when it is enabled with an active certificate (V(zone_level)), else global AOP when the
    zone setting C(tls_client_auth) is on (V(global)), else V(none). A hostname whose binding is
    B(disabled) gets V(none) - Cloudflare then sends no client certificate to it, even when zone-level AOP
    is on.
  - "Host variables: C(cloudflare_hostnames) (zone name -> the proxied hostnames the origin serves),
    C(cloudflare_aop_levels) (hostname -> level), C(cloudflare_records) (one entry per DNS record:
    C(id), C(zone), C(zone_id), C(name), C(type), C(content)), C(cloudflare_zones) (zone names),
    C(cloudflare_origin_type) (V(A), V(AAAA) or V(CNAME)) and C(cloudflare_zone_aop) (zone name -> its
    C(ssl_mode), C(tls_client_auth) and C(zone_level_enabled))."
  - Groups - one per zone (O(zone_group_prefix) plus the zone name, non-alphanumeric characters as
    C(_)), and one per level - C(aop_hostname), C(aop_zone_level), C(aop_global), C(aop_none). An origin
    serving several hostnames is in the group of each of their levels, so C(aop_none) holds every
    origin that at least one proxied hostname reaches without a client certificate.
  - "API calls per zone: one lookup when the zone is given by name, the DNS records list (one call per
    page of O(per_page) records); then, only for a zone with proxied records, C(tls_client_auth), C(ssl),
    the zone-level enablement (plus the zone-level certificates when it is enabled), the per-hostname
    certificates, and, only when the zone has per-hostname certificates, one call per proxied hostname
    for its binding (the API has no call that lists them). Every list follows C(result_info) pagination."
  - Only reads. Credentials are never shown, neither in the inventory, nor in messages, nor in the cache.
  - With O(cache), a cached inventory is used until O(cache_timeout) unless the file's scope (O(zones),
    O(account_id), O(record_types), O(api_url)) changed since; C(--flush-cache) reads Cloudflare again.
author: originpulls.aop maintainers (@originpulls)
requirements:
  - requests
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - originpulls.aop.cloudflare.connection
options:
  plugin:
    description: Marks this file as a source for this plugin.
    type: str
    required: true
    choices: [originpulls.aop.cloudflare]
  zones:
    description:
      - Names of the zones in scope, for example V(example.com). Each is looked up with one API call
        (within O(account_id) when it is given).
      - When empty, every zone of O(account_id) is in scope. One of the two is required.
    type: list
    elements: str
    default: []
  account_id:
    description:
      - Account id. Without O(zones), every zone of this account is in scope; with O(zones), chooses
        between zones of the same name in several accounts.
    type: str
  record_types:
    description: The DNS record types that name origins.
    type: list
    elements: str
    choices: [A, AAAA, CNAME]
    default: [A, AAAA, CNAME]
  per_page:
    description: DNS records requested per page of the list (Cloudflare's default is 100).
    type: int
    default: 100
  zone_group_prefix:
    description: Prefix of the per-zone groups (V(zone_) gives C(zone_example_com) for V(example.com)).
    type: str
    default: zone_
  api_token:
    description:
      - "Cloudflare API token, sent as C(Authorization: Bearer <token>). Never shown."
      - If neither O(api_token) nor O(api_email)/O(api_key) is given, the environment variable
        E(CLOUDFLARE_API_TOKEN) is used, then E(CLOUDFLARE_EMAIL) + E(CLOUDFLARE_API_KEY) - the same rule
        as the collection's modules (the shared client applies it).
      - It needs Zone Read, Zone Settings Read, DNS Read and SSL and Certificates Read on the zones.
      - May be a template, for example a lookup (O(api_email), O(api_key) and O(api_url) too).
    type: str
  api_email:
    description: E-mail address of the account, for the legacy Global API Key. Use with O(api_key).
    type: str
  api_key:
    description: Legacy Global API Key. Use with O(api_email). An API token is preferred. Never shown.
    type: str
  api_url:
    description: Base URL of the Cloudflare v4 API. Change it for a proxy or an emulator.
    type: str
    default: https://api.cloudflare.com/client/v4
  retries:
    description:
      - How many times a failed call is retried. HTTP 429 waits for C(Retry-After); HTTP 5xx and
        connection errors back off exponentially with jitter.
    type: int
    default: 5
  api_ca_path:
    description:
      - A CA bundle to verify the API's certificate with (a private proxy or emulator).
      - The old name O(ca_path) still works as an alias.
    type: path
    aliases: [ca_path]
notes:
  - The file must be named C(cloudflare.yml) or C(cloudflare.yaml), or end with it (C(prod.cloudflare.yml)).
  - An origin in DNS is not necessarily an origin you manage - compare it with your own inventory (the
    C(aop_origins) group) before acting on it.
  - The level is what Cloudflare presents; it says nothing of whether the origin requires it. AOP also
    needs the zone's SSL/TLS mode to be Full or higher (C(cloudflare_zone_aop)).
seealso:
  - module: originpulls.aop.origin_tls_client_auth_info
"""

EXAMPLES = r"""
# prod.cloudflare.yml - two zones by name, the token from CLOUDFLARE_API_TOKEN
plugin: originpulls.aop.cloudflare
zones:
  - example.com
  - example.org

---
# account.cloudflare.yml - every zone of an account, cached for an hour, with constructed groups
plugin: originpulls.aop.cloudflare
account_id: 023e105f4ecef8ad9ca31a8372d0c353
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-inventory
cache_timeout: 3600
compose:
  # connect to the origin by its address; a CNAME target is used as it is
  ansible_host: inventory_hostname
keyed_groups:
  # one group per record type: origin_A, origin_AAAA, origin_CNAME
  - key: cloudflare_origin_type
    prefix: origin
groups:
  # origins reached by at least one hostname without any client certificate
  exposed_to_direct_pulls: "'none' in cloudflare_aop_levels.values()"

# Use it: ansible-inventory -i prod.cloudflare.yml --graph
#         ansible -i prod.cloudflare.yml aop_none --list-hosts
"""

import re

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.originpulls.aop.plugins.module_utils._aop_precedence import LEVELS
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare import CloudflareClient, connection_problems
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_api import CloudflareApi
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_errors import CloudflareError
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_exposure import build_hosts, collect

LEVEL_GROUPS = {"per_hostname": "aop_hostname", "zone_level": "aop_zone_level", "global": "aop_global", "none": "aop_none"}


def group_name(text):
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "originpulls.aop.cloudflare"

    def verify_file(self, path):
        """Only files named ``cloudflare.yml``/``cloudflare.yaml`` (or ending so) are ours."""
        return super().verify_file(path) and path.endswith(("cloudflare.yml", "cloudflare.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache")
        read_cache = use_cache and cache
        update_cache = use_cache and not cache
        # The cache key is the file's path; what was read also depends on the scope in the file, so a
        # cached value read for another scope (the file was edited) is a miss.
        scope = {
            "api_url": self.get_option("api_url"),
            "zones": list(self.get_option("zones") or []),
            "account_id": self.get_option("account_id"),
            "record_types": list(self.get_option("record_types")),
        }
        data = None
        if read_cache:
            try:
                cached = self._cache[cache_key]
            except KeyError:
                cached = None
            if isinstance(cached, dict) and cached.get("scope") == scope and "zones" in cached:
                data = cached
            else:
                update_cache = True
        if data is None:
            data = dict(self._fetch(), scope=scope)
        if update_cache:
            self._cache[cache_key] = data
        self._populate(data)

    def _client(self):
        for problem in connection_problems(self.get_option):
            raise AnsibleParserError(problem)
        return CloudflareClient(
            api_url=self._templated("api_url"),
            api_token=self._templated("api_token") or None,
            api_email=self._templated("api_email") or None,
            api_key=self._templated("api_key") or None,
            connect_timeout=self.get_option("connect_timeout"),
            timeout=self.get_option("timeout"),
            retries=self.get_option("retries"),
            retry_max_delay=self.get_option("retry_max_delay"),
            retry_max_total=self.get_option("retry_max_total"),
            validate_certs=self.get_option("validate_certs"),
            api_ca_path=self.get_option("api_ca_path"),
            user_agent_extra="inventory/cloudflare",
        )

    def _templated(self, name):
        """An option's value, rendered when it is a template (a vault or environment lookup)."""
        value = self.get_option(name)
        if isinstance(value, str) and self.templar.is_template(value):
            value = self.templar.template(value)
        return value

    def _fetch(self):
        zones = [z for z in self.get_option("zones") or [] if z and z.strip()]
        account_id = self.get_option("account_id")
        if not zones and not account_id:
            raise AnsibleParserError("originpulls.aop.cloudflare: give 'zones' (zone names) or 'account_id' (every zone of the account)")
        per_page = self.get_option("per_page")
        if per_page < 1:
            raise AnsibleParserError("per_page must be 1 or more, not %s" % per_page)
        try:
            api = CloudflareApi(self._client())
            return collect(api, zones, account_id, list(self.get_option("record_types")), per_page)
        except CloudflareError as exc:
            raise AnsibleParserError("originpulls.aop.cloudflare: %s" % exc)

    def _populate(self, data):
        strict = self.get_option("strict")
        prefix = self.get_option("zone_group_prefix") or ""
        for group in LEVEL_GROUPS.values():
            self.inventory.add_group(group)
        for zone in data["zones"]:
            self.inventory.add_group(group_name(prefix + zone["name"]))
        for origin, hostvars in sorted(build_hosts(data).items()):
            self.inventory.add_host(origin)
            for key, value in hostvars.items():
                self.inventory.set_variable(origin, key, value)
            for zone_name in hostvars["cloudflare_zones"]:
                self.inventory.add_child(group_name(prefix + zone_name), origin)
            for level in LEVELS:
                if level in hostvars["cloudflare_aop_levels"].values():
                    self.inventory.add_child(LEVEL_GROUPS[level], origin)
            variables = self.inventory.get_host(origin).get_vars()
            self._set_composite_vars(self.get_option("compose"), variables, origin, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, origin, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, origin, strict=strict)
