/* rh-pairing-code.h: the security code the helper reads out over the phone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Nine characters from an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 8/B), shown as
 * "K7P-4XQ-M2R". The first four are the rendezvous slot the server allocates; the last five are
 * the secret the helper's app draws from the OS RNG and never sends anywhere: it is the SPAKE2
 * password. 27^5 ≈ 14.3 million secrets and three attempts per code make guessing hopeless. */
#define RH_PAIRING_ALPHABET    "234679ACDEFGHJKMNPQRTUVWXYZ"
#define RH_PAIRING_SLOT_LEN    4
#define RH_PAIRING_SECRET_LEN  5
#define RH_PAIRING_CODE_LEN    (RH_PAIRING_SLOT_LEN + RH_PAIRING_SECRET_LEN)

typedef struct
{
  char slot[RH_PAIRING_SLOT_LEN + 1];
  char secret[RH_PAIRING_SECRET_LEN + 1];
} RhPairingCode;

/* Uniformly random characters from the OS RNG; out gets len characters and a NUL. */
void      rh_pairing_code_random      (char                *out,
                                       gsize                len);
gboolean  rh_pairing_code_is_valid_slot (const char        *slot);
/* "K7P-4XQ-M2R" */
char     *rh_pairing_code_format      (const RhPairingCode *code);
/* Tolerates lower case, spaces, dashes and dots; RH_ERROR_CODE_FORMAT otherwise. */
gboolean  rh_pairing_code_parse       (const char          *text,
                                       RhPairingCode       *out,
                                       GError             **error);
/* SPAKE2 context string binding the password to the slot. */
#define RH_PAIRING_PAKE_CONTEXT "remote-help pairing v1"

G_END_DECLS
