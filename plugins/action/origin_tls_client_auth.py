# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""origin_tls_client_auth: while Cloudflare deploys the certificate, print its status instead of waiting silently."""

from __future__ import annotations

from ansible_collections.originpulls.aop.plugins.plugin_utils._waiting import CertificateWait


class ActionModule(CertificateWait):
    module = "originpulls.aop.origin_tls_client_auth"
    what = "zone-level AOP certificate"
