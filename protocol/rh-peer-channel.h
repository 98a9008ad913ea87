/* rh-peer-channel.h: authenticated encryption between the two paired apps
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RhPeerChannel RhPeerChannel;

/* Keys for each direction are derived with HKDF-SHA256 from the PAKE key Ke (salt: the SHA-256
 * of the transcript, so both ends must agree on it); AES-256-GCM with a 64-bit counter nonce per
 * direction. A frame is counter (8 bytes, big endian) || ciphertext || tag (16 bytes). A frame
 * whose counter is not exactly the next expected one is rejected (no replay, no reordering). */
RhPeerChannel *rh_peer_channel_new  (const guint8   *shared_key,
                                     gsize           key_len,
                                     const guint8   *transcript_hash,
                                     gsize           hash_len,
                                     gboolean        is_helper);
void           rh_peer_channel_free (RhPeerChannel  *self);
GBytes        *rh_peer_channel_seal (RhPeerChannel  *self,
                                     const guint8   *plaintext,
                                     gsize           len);
GBytes        *rh_peer_channel_open (RhPeerChannel  *self,
                                     const guint8   *frame,
                                     gsize           len,
                                     GError        **error);
/* Derives further secrets from the same key (e.g. "rh relay token v1"); out_len <= 64. */
void           rh_peer_channel_derive (RhPeerChannel *self,
                                       const char    *label,
                                       guint8        *out,
                                       gsize          out_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhPeerChannel, rh_peer_channel_free)

G_END_DECLS
