/* rh-peer-channel.c: authenticated encryption between the two paired apps
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "rh-error.h"
#include "rh-peer-channel.h"

#define LABEL_H2S   "rh peer h2s v1"
#define LABEL_S2H   "rh peer s2h v1"
#define KEY_LEN     32
#define COUNTER_LEN 8
#define NONCE_LEN   12
#define TAG_LEN     16
#define MAX_DERIVE  64

struct _RhPeerChannel
{
  guint8 *shared_key;
  gsize key_len;
  guint8 *transcript_hash;
  gsize hash_len;

  guint8 send_key[KEY_LEN];
  guint8 recv_key[KEY_LEN];
  const char *send_label;
  const char *recv_label;
  guint64 send_counter;
  guint64 recv_counter;
};

/* These calls only fail when OpenSSL cannot allocate or is broken; like GLib on out of
 * memory we abort rather than send something unprotected or with a reused nonce. */
G_NORETURN static void
crypto_fatal (const char *what)
{
  g_error ("Peer channel: %s", what);
}

static gboolean
hkdf_sha256 (const guint8 *ikm,
             gsize         ikm_len,
             const guint8 *salt,
             gsize         salt_len,
             const char   *info,
             guint8       *out,
             gsize         out_len)
{
  EVP_KDF *kdf;
  EVP_KDF_CTX *kctx;
  OSSL_PARAM params[5];
  gsize n = 0;
  int ok;

  kdf = EVP_KDF_fetch (NULL, "HKDF", NULL);
  if (kdf == NULL)
    return FALSE;
  kctx = EVP_KDF_CTX_new (kdf);
  EVP_KDF_free (kdf);
  if (kctx == NULL)
    return FALSE;

  params[n++] = OSSL_PARAM_construct_utf8_string (OSSL_KDF_PARAM_DIGEST, (char *) "SHA256", 0);
  params[n++] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_KEY, (void *) ikm, ikm_len);
  if (salt_len > 0)
    params[n++] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_SALT, (void *) salt,
                                                     salt_len);
  params[n++] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_INFO, (void *) info,
                                                   strlen (info));
  params[n] = OSSL_PARAM_construct_end ();

  ok = EVP_KDF_derive (kctx, out, out_len, params);
  EVP_KDF_CTX_free (kctx);
  return ok == 1;
}

static void
make_nonce (guint64 counter,
            guint8  nonce[NONCE_LEN])
{
  guint64 be = GUINT64_TO_BE (counter);

  memset (nonce, 0, NONCE_LEN - COUNTER_LEN);
  memcpy (nonce + NONCE_LEN - COUNTER_LEN, &be, COUNTER_LEN);
}

RhPeerChannel *
rh_peer_channel_new (const guint8 *shared_key,
                     gsize         key_len,
                     const guint8 *transcript_hash,
                     gsize         hash_len,
                     gboolean      is_helper)
{
  RhPeerChannel *self;

  g_return_val_if_fail (shared_key != NULL, NULL);
  g_return_val_if_fail (key_len > 0, NULL);
  g_return_val_if_fail (transcript_hash != NULL || hash_len == 0, NULL);

  self = g_new0 (RhPeerChannel, 1);
  self->shared_key = g_memdup2 (shared_key, key_len);
  self->key_len = key_len;
  self->transcript_hash = g_memdup2 (transcript_hash, hash_len);
  self->hash_len = hash_len;

  /* The helper sends h2s and receives s2h; the sharer the other way round. Separate keys per
   * direction let both sides start their counters at 0 without ever sharing a nonce. */
  self->send_label = is_helper ? LABEL_H2S : LABEL_S2H;
  self->recv_label = is_helper ? LABEL_S2H : LABEL_H2S;

  if (!hkdf_sha256 (shared_key, key_len, transcript_hash, hash_len, self->send_label,
                    self->send_key, KEY_LEN) ||
      !hkdf_sha256 (shared_key, key_len, transcript_hash, hash_len, self->recv_label,
                    self->recv_key, KEY_LEN))
    crypto_fatal ("HKDF failed in OpenSSL");

  return self;
}

void
rh_peer_channel_free (RhPeerChannel *self)
{
  if (self == NULL)
    return;

  OPENSSL_cleanse (self->shared_key, self->key_len);
  g_free (self->shared_key);
  g_free (self->transcript_hash);
  OPENSSL_cleanse (self, sizeof *self);
  g_free (self);
}

GBytes *
rh_peer_channel_seal (RhPeerChannel *self,
                      const guint8  *plaintext,
                      gsize          len)
{
  EVP_CIPHER_CTX *ctx;
  guint8 nonce[NONCE_LEN];
  guint8 *frame;
  guint64 counter_be;
  int n = 0;
  int written = 0;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (plaintext != NULL || len == 0, NULL);
  g_return_val_if_fail (len <= G_MAXINT - COUNTER_LEN - TAG_LEN, NULL);

  /* Wrapping would reuse a nonce, which breaks GCM completely; 2^64 frames never happen. */
  if (self->send_counter == G_MAXUINT64)
    crypto_fatal ("send counter exhausted");

  frame = g_malloc (COUNTER_LEN + len + TAG_LEN);
  counter_be = GUINT64_TO_BE (self->send_counter);
  memcpy (frame, &counter_be, COUNTER_LEN);
  make_nonce (self->send_counter, nonce);

  ctx = EVP_CIPHER_CTX_new ();
  if (ctx == NULL ||
      EVP_EncryptInit_ex2 (ctx, EVP_aes_256_gcm (), self->send_key, nonce, NULL) != 1 ||
      EVP_EncryptUpdate (ctx, NULL, &n, (const guint8 *) self->send_label,
                         strlen (self->send_label)) != 1)
    crypto_fatal ("AES-GCM encryption failed in OpenSSL");
  if (len > 0)
    {
      if (EVP_EncryptUpdate (ctx, frame + COUNTER_LEN, &n, plaintext, (int) len) != 1)
        crypto_fatal ("AES-GCM encryption failed in OpenSSL");
      written = n;
    }
  if (EVP_EncryptFinal_ex (ctx, frame + COUNTER_LEN + written, &n) != 1 ||
      (gsize) written + n != len ||
      EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, frame + COUNTER_LEN + len) != 1)
    crypto_fatal ("AES-GCM encryption failed in OpenSSL");
  EVP_CIPHER_CTX_free (ctx);

  self->send_counter++;
  return g_bytes_new_take (frame, COUNTER_LEN + len + TAG_LEN);
}

GBytes *
rh_peer_channel_open (RhPeerChannel  *self,
                      const guint8   *frame,
                      gsize           len,
                      GError        **error)
{
  EVP_CIPHER_CTX *ctx;
  guint8 nonce[NONCE_LEN];
  guint8 tag[TAG_LEN];
  g_autofree guint8 *plaintext = NULL;
  guint64 counter_be;
  guint64 counter;
  gsize ct_len;
  int n = 0;
  int written = 0;
  gboolean ok;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (frame != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len < COUNTER_LEN + TAG_LEN || len - COUNTER_LEN - TAG_LEN > G_MAXINT)
    {
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_PEER_CHANNEL,
                   "Peer channel: frame of %" G_GSIZE_FORMAT " bytes has a bad size", len);
      return NULL;
    }

  memcpy (&counter_be, frame, COUNTER_LEN);
  counter = GUINT64_FROM_BE (counter_be);
  /* Exactly the next frame and nothing else: the transport is ordered and reliable, so a
   * replayed, reordered or missing frame can only mean tampering. */
  if (counter != self->recv_counter || counter == G_MAXUINT64)
    {
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_PEER_CHANNEL,
                   "Peer channel: frame %" G_GUINT64_FORMAT " arrived, expected %"
                   G_GUINT64_FORMAT " (replayed, reordered or lost)",
                   counter, self->recv_counter);
      return NULL;
    }

  ct_len = len - COUNTER_LEN - TAG_LEN;
  memcpy (tag, frame + COUNTER_LEN + ct_len, TAG_LEN);
  make_nonce (counter, nonce);
  plaintext = g_malloc (ct_len + 1);

  ctx = EVP_CIPHER_CTX_new ();
  if (ctx == NULL ||
      EVP_DecryptInit_ex2 (ctx, EVP_aes_256_gcm (), self->recv_key, nonce, NULL) != 1 ||
      EVP_DecryptUpdate (ctx, NULL, &n, (const guint8 *) self->recv_label,
                         strlen (self->recv_label)) != 1)
    crypto_fatal ("AES-GCM decryption failed in OpenSSL");
  if (ct_len > 0)
    {
      if (EVP_DecryptUpdate (ctx, plaintext, &n, frame + COUNTER_LEN, (int) ct_len) != 1)
        crypto_fatal ("AES-GCM decryption failed in OpenSSL");
      written = n;
    }
  if (EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, tag) != 1)
    crypto_fatal ("AES-GCM decryption failed in OpenSSL");
  ok = EVP_DecryptFinal_ex (ctx, plaintext + written, &n) == 1 && (gsize) written + n == ct_len;
  EVP_CIPHER_CTX_free (ctx);

  if (!ok)
    {
      /* Whatever was decrypted is unauthenticated: do not leave it lying around. The error
       * queue is shared with the TLS code on this thread, where a stale entry misleads
       * SSL_get_error(). */
      OPENSSL_cleanse (plaintext, ct_len);
      ERR_clear_error ();
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_PEER_CHANNEL,
                   "Peer channel: frame %" G_GUINT64_FORMAT " failed authentication", counter);
      return NULL;
    }

  self->recv_counter++;
  return g_bytes_new_take (g_steal_pointer (&plaintext), ct_len);
}

void
rh_peer_channel_derive (RhPeerChannel *self,
                        const char    *label,
                        guint8        *out,
                        gsize          out_len)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (label != NULL);
  g_return_if_fail (out != NULL);
  g_return_if_fail (out_len > 0 && out_len <= MAX_DERIVE);

  if (!hkdf_sha256 (self->shared_key, self->key_len, self->transcript_hash, self->hash_len,
                    label, out, out_len))
    crypto_fatal ("HKDF failed in OpenSSL");
}
