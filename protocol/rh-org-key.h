/* rh-org-key.h: the organisation's Ed25519 signing key
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define RH_ORG_KEY_PUBLIC_LEN    32
#define RH_ORG_KEY_SIGNATURE_LEN 64

#define RH_TYPE_ORG_KEY (rh_org_key_get_type ())
G_DECLARE_FINAL_TYPE (RhOrgKey, rh_org_key, RH, ORG_KEY, GObject)

RhOrgKey *rh_org_key_generate        (GError       **error);
/* PKCS#8 PEM private key. */
RhOrgKey *rh_org_key_load            (const char    *path,
                                      GError       **error);
/* Writes the private key PEM with mode 0600 (atomically: temp file + rename). */
gboolean  rh_org_key_save            (RhOrgKey      *self,
                                      const char    *path,
                                      GError       **error);
/* A verify-only key from the 32 raw public bytes. */
RhOrgKey *rh_org_key_new_public      (const guint8  *raw,
                                      gsize          len,
                                      GError       **error);
gboolean  rh_org_key_has_private     (RhOrgKey      *self);
GBytes   *rh_org_key_get_public_raw  (RhOrgKey      *self);
/* SHA-256 of the 32 raw public key bytes, into out[32]. */
void      rh_org_key_get_fingerprint (RhOrgKey      *self,
                                      guint8        *out);
GBytes   *rh_org_key_sign            (RhOrgKey      *self,
                                      const guint8  *data,
                                      gsize          len,
                                      GError       **error);
/* RH_ERROR_CARD_SIGNATURE when the signature does not verify. */
gboolean  rh_org_key_verify          (RhOrgKey      *self,
                                      const guint8  *data,
                                      gsize          len,
                                      const guint8  *signature,
                                      gsize          sig_len,
                                      GError       **error);

G_END_DECLS
