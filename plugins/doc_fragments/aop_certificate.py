# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Options of the zone-level and per-hostname certificate modules.
    DOCUMENTATION = r"""
options:
  state:
    description:
      - V(present) uploads the certificate unless one with the same content is already there, then waits until it is active.
      - V(absent) deletes it, found by O(cert_id) or by its content.
    type: str
    choices: [present, absent]
    default: present
  certificate:
    description:
      - The client (leaf) certificate Cloudflare will present to the origins, PEM. Signed by your CA, which the origins trust.
      - Identifies the certificate - the same certificate is never uploaded twice (Cloudflare has no update call).
    type: str
  certificate_path:
    description: A PEM file with the certificate, on the host the module runs on (normally the controller).
    type: path
  private_key:
    description:
      - Its private key, PEM, unencrypted. Sent to Cloudflare in the upload and nowhere else; never returned or shown.
    type: str
  private_key_path:
    description: A PEM file with the private key, on the host the module runs on.
    type: path
  cert_id:
    description:
      - The certificate's id on Cloudflare, to delete it with O(state=absent) without its PEM.
      - The same name as in M(originpulls.aop.origin_tls_client_auth_hostname). The old name O(id) still works as an alias.
    type: str
    aliases: [id]
  wait:
    description: Wait until Cloudflare reports the certificate C(active) (upload answers C(pending_deployment)).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for C(active); the certificate stays uploaded when it runs out, a later run waits on.
    type: int
    default: 300
  expiry_warning_days:
    description: Warn when the certificate expires within this many days (an expired one is refused before any call).
    type: int
    default: 30
notes:
  - Before any API call the certificate and key are checked with C(cryptography) - PEM parses, exactly one leaf
    (not a CA) certificate, the key belongs to it, not expired and already valid.
"""
