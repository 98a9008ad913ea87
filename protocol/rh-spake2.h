/* rh-spake2.h: SPAKE2 (RFC 9382) on P-256 with SHA-256, HKDF and HMAC
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A is the side that uses M and sends first (in Remote Help: the sharer); B uses N (the helper). */
typedef enum
{
  RH_SPAKE2_ROLE_A,
  RH_SPAKE2_ROLE_B,
} RhSpake2Role;

#define RH_SPAKE2_MESSAGE_LEN 65 /* SEC1 uncompressed point */
#define RH_SPAKE2_MAC_LEN     32
#define RH_SPAKE2_KEY_LEN     16 /* Ke */

typedef struct _RhSpake2 RhSpake2;

/* w is a 32-byte big-endian scalar, already reduced mod n (the RFC vectors give it so). */
RhSpake2 *rh_spake2_new               (RhSpake2Role   role,
                                       const char    *id_a,
                                       const char    *id_b,
                                       const guint8  *w,
                                       gsize          w_len,
                                       GError       **error);
/* Derives w from a password: SHA-512(context || 0x00 || password) mod n. */
RhSpake2 *rh_spake2_new_from_password (RhSpake2Role   role,
                                       const char    *id_a,
                                       const char    *id_b,
                                       const char    *context,
                                       const char    *password,
                                       GError       **error);
void      rh_spake2_free              (RhSpake2      *self);
/* Replaces the random ephemeral scalar (x or y); only for reproducing test vectors. */
gboolean  rh_spake2_set_scalar_for_testing (RhSpake2     *self,
                                            const guint8 *scalar,
                                            gsize         len,
                                            GError      **error);
/* Our share: X for A, Y for B (65 bytes). */
GBytes   *rh_spake2_get_message       (RhSpake2      *self);
/* Takes the peer's share; rejects points not on the curve, the identity, and wrong lengths. */
gboolean  rh_spake2_process           (RhSpake2      *self,
                                       const guint8  *peer_message,
                                       gsize          len,
                                       GError       **error);
/* Our key confirmation MAC (MAC_A for A, MAC_B for B); only after process(). */
GBytes   *rh_spake2_get_confirmation  (RhSpake2      *self);
/* Checks the peer's MAC in constant time; RH_ERROR_KEY_CONFIRMATION on mismatch. */
gboolean  rh_spake2_verify_confirmation (RhSpake2     *self,
                                         const guint8 *mac,
                                         gsize         len,
                                         GError      **error);
/* Ke; NULL until the peer's confirmation verified. */
GBytes   *rh_spake2_get_shared_key    (RhSpake2      *self);
/* SHA-256 of the transcript TT; NULL until the peer's confirmation verified. */
GBytes   *rh_spake2_get_transcript_hash (RhSpake2   *self);
/* Intermediate values for tests: "K", "TT", "Ke", "Ka", "KcA", "KcB", "MAC_A", "MAC_B";
 * NULL before process(). */
GBytes   *rh_spake2_get_value_for_testing (RhSpake2  *self,
                                           const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhSpake2, rh_spake2_free)

G_END_DECLS
