/* rh-tls-cert.h: the server's self-signed TLS certificate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* EC P-256 key (written 0600) and a self-signed X.509 v3 certificate valid for 5 years, with
 * subjectAltName DNS:localhost, DNS:<hostname>, IP:127.0.0.1, IP:::1. */
gboolean rh_tls_cert_generate    (const char  *cert_path,
                                  const char  *key_path,
                                  const char  *hostname,
                                  GError     **error);
/* SHA-256 over the DER encoding of the (first) certificate in a PEM file; out has 32 bytes. */
gboolean rh_tls_cert_fingerprint (const char  *cert_path,
                                  guint8      *out,
                                  GError     **error);

G_END_DECLS
