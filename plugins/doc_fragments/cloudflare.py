# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection, authentication and retry options shared by every Cloudflare module. The modules
    # that take them are the members of the action group 'cloudflare' (meta/runtime.yml), so the
    # group's attribute is documented here, with the options it sets defaults for.
    DOCUMENTATION = r"""
options:
  api_token:
    description:
      - "Cloudflare API token, sent as C(Authorization: Bearer <token>)."
      - If neither O(api_token) nor O(api_email)/O(api_key) is given, the environment variable
        E(CLOUDFLARE_API_TOKEN) is used, else E(CLOUDFLARE_TOKEN) (the variable C(community.general.cloudflare_dns)
        reads), else E(CLOUDFLARE_EMAIL) + E(CLOUDFLARE_API_KEY).
      - The token needs Zone Read and Zone Settings Read/Edit; certificate modules also need
        SSL and Certificates Read/Edit.
    type: str
  api_email:
    description:
      - E-mail address of the account, for the legacy Global API Key. Use with O(api_key).
    type: str
  api_key:
    description:
      - Legacy Global API Key. Use with O(api_email). An API token is preferred.
    type: str
  api_url:
    description:
      - Base URL of the Cloudflare v4 API. Change it for a proxy or an emulator.
    type: str
    default: https://api.cloudflare.com/client/v4
  zone:
    description:
      - Name of the zone, for example V(example.com). Looked up with one API call.
      - Exactly one of O(zone) and O(zone_id) is required.
    type: str
  zone_id:
    description:
      - Id of the zone (32 hex characters). Used as given, without a lookup.
    type: str
  account_id:
    description:
      - Account id that owns the zone, to choose between zones of the same name in several accounts.
    type: str
  retries:
    description:
      - How many times a failed call is retried. HTTP 429 waits for C(Retry-After); HTTP 5xx and
        connection errors back off exponentially with jitter.
      - A call that is not idempotent (a certificate upload) is never retried once it may have
        reached Cloudflare.
    type: int
    default: 5
  api_ca_path:
    description:
      - A CA bundle to verify the API's certificate with (a private proxy or emulator).
      - Not the origin-pull CA that origins trust (the roles' C(*_ca_path) variables).
      - The old name O(ca_path) still works as an alias.
    type: path
    aliases: [ca_path]
attributes:
  action_group:
    description: Use C(group/originpulls.aop.cloudflare) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - originpulls.aop.cloudflare
requirements:
  - requests
notes:
  - "The module runs where it is delegated to, normally the controller (C(delegate_to: localhost), C(run_once: true))."
  - C(module_defaults) with C(group/originpulls.aop.cloudflare) sets these options once, for a play or a block, for every
    module of this collection that talks to Cloudflare.
"""

    # The connection options the modules and the inventory plugin (plugins/inventory/cloudflare.py) describe
    # alike: originpulls.aop.cloudflare.connection. Every module that extends the fragment above extends this one too.
    CONNECTION = r"""
options:
  connect_timeout:
    description: Seconds to wait for a connection to the API.
    type: float
    default: 10
  timeout:
    description: Seconds to wait for an API response once connected.
    type: float
    default: 30
  retry_max_delay:
    description: The longest single wait between two attempts, in seconds.
    type: float
    default: 30
  retry_max_total:
    description: The most time all waits of one call may add up to, in seconds.
    type: float
    default: 120
  validate_certs:
    description: Verify the API's TLS certificate.
    type: bool
    default: true
"""
