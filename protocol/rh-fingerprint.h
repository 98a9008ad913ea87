/* rh-fingerprint.h: SHA-256 fingerprints as people copy them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RH_FINGERPRINT_LEN 32

/* Accepts 64 hex digits, any case, with or without ':' (or spaces) between byte pairs. */
gboolean rh_fingerprint_parse  (const char   *text,
                                guint8        out[RH_FINGERPRINT_LEN],
                                GError      **error);
/* Upper-case hex pairs separated by ':', as `openssl x509 -fingerprint` prints them. */
char    *rh_fingerprint_format (const guint8 *digest);
void     rh_fingerprint_sha256 (const guint8 *data,
                                gsize         len,
                                guint8        out[RH_FINGERPRINT_LEN]);

G_END_DECLS
