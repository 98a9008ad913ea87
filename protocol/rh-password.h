/* rh-password.h: password storage with scrypt
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "scrypt$N$r$p$<salt base64>$<hash base64>", N=2^15, r=8, p=1, 16-byte salt, 32-byte hash. */
char     *rh_password_hash   (const char  *password,
                              GError     **error);
/* *out_match tells whether the password matches; FALSE with error only if `encoded` is damaged.
 * With encoded == NULL it spends the same time on a dummy hash and sets *out_match = FALSE, so
 * that unknown logins cannot be told apart by timing. */
gboolean  rh_password_verify (const char  *password,
                              const char  *encoded,
                              gboolean    *out_match,
                              GError     **error);

G_END_DECLS
