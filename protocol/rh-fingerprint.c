/* rh-fingerprint.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <openssl/evp.h>

#include "rh-error.h"
#include "rh-fingerprint.h"

gboolean
rh_fingerprint_parse (const char *text,
                      guint8      out[RH_FINGERPRINT_LEN],
                      GError    **error)
{
  gsize n = 0;
  int hi = -1;

  if (text == NULL)
    goto bad;

  for (const char *p = text; *p != '\0'; p++)
    {
      int v;

      if (*p == ':' || *p == ' ')
        {
          if (hi != -1)
            goto bad;
          continue;
        }
      v = g_ascii_xdigit_value (*p);
      if (v < 0)
        goto bad;
      if (hi == -1)
        {
          hi = v;
          continue;
        }
      if (n == RH_FINGERPRINT_LEN)
        goto bad;
      out[n++] = (guint8) (hi << 4 | v);
      hi = -1;
    }

  if (n == RH_FINGERPRINT_LEN && hi == -1)
    return TRUE;

bad:
  g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_BAD_FINGERPRINT,
               "“%s” is not a SHA-256 fingerprint (64 hexadecimal digits)",
               text ? text : "");
  return FALSE;
}

char *
rh_fingerprint_format (const guint8 *digest)
{
  GString *s = g_string_sized_new (RH_FINGERPRINT_LEN * 3);

  for (gsize i = 0; i < RH_FINGERPRINT_LEN; i++)
    g_string_append_printf (s, i ? ":%02X" : "%02X", digest[i]);
  return g_string_free (s, FALSE);
}

void
rh_fingerprint_sha256 (const guint8 *data,
                       gsize         len,
                       guint8        out[RH_FINGERPRINT_LEN])
{
  unsigned int out_len = RH_FINGERPRINT_LEN;

  EVP_Digest (data, len, out, &out_len, EVP_sha256 (), NULL);
}
