/* rh-pairing-code.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include <openssl/rand.h>

#include "rh-error.h"
#include "rh-pairing-code.h"

#define ALPHABET_LEN (sizeof (RH_PAIRING_ALPHABET) - 1)

void
rh_pairing_code_random (char  *out,
                        gsize  len)
{
  /* Rejection sampling keeps every character equally likely. */
  const guint limit = 256 - (256 % ALPHABET_LEN);
  gsize n = 0;

  while (n < len)
    {
      guint8 buf[32];

      if (RAND_bytes (buf, sizeof buf) != 1)
        g_error ("The OS random number generator failed");
      for (gsize i = 0; i < sizeof buf && n < len; i++)
        if (buf[i] < limit)
          out[n++] = RH_PAIRING_ALPHABET[buf[i] % ALPHABET_LEN];
      explicit_bzero (buf, sizeof buf);
    }
  out[len] = '\0';
}

static gboolean
in_alphabet (char c)
{
  return c != '\0' && strchr (RH_PAIRING_ALPHABET, c) != NULL;
}

gboolean
rh_pairing_code_is_valid_slot (const char *slot)
{
  if (slot == NULL || strlen (slot) != RH_PAIRING_SLOT_LEN)
    return FALSE;
  for (const char *p = slot; *p; p++)
    if (!in_alphabet (*p))
      return FALSE;
  return TRUE;
}

char *
rh_pairing_code_format (const RhPairingCode *code)
{
  char all[RH_PAIRING_CODE_LEN + 1];

  g_return_val_if_fail (code != NULL, NULL);

  g_snprintf (all, sizeof all, "%s%s", code->slot, code->secret);
  return g_strdup_printf ("%.3s-%.3s-%.3s", all, all + 3, all + 6);
}

gboolean
rh_pairing_code_parse (const char     *text,
                       RhPairingCode  *out,
                       GError        **error)
{
  char all[RH_PAIRING_CODE_LEN + 1];
  gsize n = 0;

  g_return_val_if_fail (out != NULL, FALSE);

  if (text == NULL)
    text = "";

  for (const char *p = text; *p; p++)
    {
      char c = g_ascii_toupper (*p);

      if (c == ' ' || c == '-' || c == '.' || c == '\t')
        continue;
      if (!in_alphabet (c) || n == RH_PAIRING_CODE_LEN)
        {
          n = 0;
          break;
        }
      all[n++] = c;
    }

  if (n != RH_PAIRING_CODE_LEN)
    {
      /* Never echo the text: it may be most of a valid code. */
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_CODE_FORMAT,
                           "A security code has 9 letters and digits, like K7P-4XQ-M2R");
      return FALSE;
    }

  memcpy (out->slot, all, RH_PAIRING_SLOT_LEN);
  out->slot[RH_PAIRING_SLOT_LEN] = '\0';
  memcpy (out->secret, all + RH_PAIRING_SLOT_LEN, RH_PAIRING_SECRET_LEN);
  out->secret[RH_PAIRING_SECRET_LEN] = '\0';
  explicit_bzero (all, sizeof all);
  return TRUE;
}
