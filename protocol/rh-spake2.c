/* rh-spake2.c: SPAKE2 (RFC 9382) on P-256 with SHA-256, HKDF and HMAC
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include "rh-error.h"
#include "rh-spake2.h"

#define SCALAR_LEN 32
#define HASH_LEN   32
#define KC_LEN     16

/* RFC 9382 section 6: the P-256 points M and N, SEC1 compressed. */
static const guint8 point_m[33] = {
  0x02, 0x88, 0x6e, 0x2f, 0x97, 0xac, 0xe4, 0x6e, 0x55, 0xba, 0x9d, 0xd7, 0x24, 0x25, 0x79, 0xf2,
  0x99, 0x3b, 0x64, 0xe1, 0x6e, 0xf3, 0xdc, 0xab, 0x95, 0xaf, 0xd4, 0x97, 0x33, 0x3d, 0x8f, 0xa1,
  0x2f,
};
static const guint8 point_n[33] = {
  0x03, 0xd8, 0xbb, 0xd6, 0xc6, 0x39, 0xc6, 0x29, 0x37, 0xb0, 0x4d, 0x99, 0x7f, 0x38, 0xc3, 0x77,
  0x07, 0x19, 0xc6, 0x29, 0xd7, 0x01, 0x4d, 0x49, 0xa2, 0x4b, 0x4f, 0x98, 0xba, 0xa1, 0x29, 0x2b,
  0x49,
};

struct _RhSpake2
{
  RhSpake2Role role;
  char *id_a;
  char *id_b;

  EC_GROUP *group;
  BN_CTX *bn_ctx;
  BIGNUM *w;
  BIGNUM *scalar; /* x for A, y for B */
  EC_POINT *m;
  EC_POINT *n;

  guint8 w_bytes[SCALAR_LEN];
  guint8 message[RH_SPAKE2_MESSAGE_LEN];
  guint8 peer_message[RH_SPAKE2_MESSAGE_LEN];

  /* Valid once processed is set. */
  gboolean processed;
  guint8 k[RH_SPAKE2_MESSAGE_LEN];
  guint8 *tt;
  gsize tt_len;
  guint8 ke[RH_SPAKE2_KEY_LEN];
  guint8 ka[HASH_LEN - RH_SPAKE2_KEY_LEN];
  guint8 kc_a[KC_LEN];
  guint8 kc_b[KC_LEN];
  guint8 mac_a[RH_SPAKE2_MAC_LEN];
  guint8 mac_b[RH_SPAKE2_MAC_LEN];

  /* One password guess per exchange: after a wrong MAC the object never yields a key. */
  gboolean confirmed;
  gboolean failed;
};

/* OpenSSL keeps a per-thread error queue that the TLS code on this thread reads too (a stale
 * entry makes SSL_get_error() misreport), so failures that become a GError are cleared. */
static gboolean
set_crypto_error (GError    **error,
                  const char *what)
{
  ERR_clear_error ();
  g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO, "SPAKE2: %s", what);
  return FALSE;
}

static gboolean
hmac_sha256 (const guint8 *key,
             gsize         key_len,
             const guint8 *data,
             gsize         data_len,
             guint8        out[HASH_LEN])
{
  size_t out_len = 0;

  if (EVP_Q_mac (NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, data, data_len,
                 out, HASH_LEN, &out_len) == NULL)
    return FALSE;
  return out_len == HASH_LEN;
}

/* HKDF-SHA256 with an empty salt, which RFC 5869 defines as HashLen zero bytes; OpenSSL's
 * HKDF does the same when no salt is given. */
static gboolean
hkdf_sha256 (const guint8 *ikm,
             gsize         ikm_len,
             const char   *info,
             guint8       *out,
             gsize         out_len)
{
  EVP_KDF *kdf;
  EVP_KDF_CTX *kctx;
  OSSL_PARAM params[4];
  int ok;

  kdf = EVP_KDF_fetch (NULL, "HKDF", NULL);
  if (kdf == NULL)
    return FALSE;
  kctx = EVP_KDF_CTX_new (kdf);
  EVP_KDF_free (kdf);
  if (kctx == NULL)
    return FALSE;

  params[0] = OSSL_PARAM_construct_utf8_string (OSSL_KDF_PARAM_DIGEST, (char *) "SHA256", 0);
  params[1] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_KEY, (void *) ikm, ikm_len);
  params[2] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_INFO, (void *) info,
                                                 strlen (info));
  params[3] = OSSL_PARAM_construct_end ();

  ok = EVP_KDF_derive (kctx, out, out_len, params);
  EVP_KDF_CTX_free (kctx);
  return ok == 1;
}

static gboolean
point_to_bytes (RhSpake2       *self,
                const EC_POINT *point,
                guint8          out[RH_SPAKE2_MESSAGE_LEN])
{
  return EC_POINT_point2oct (self->group, point, POINT_CONVERSION_UNCOMPRESSED,
                             out, RH_SPAKE2_MESSAGE_LEN, self->bn_ctx) == RH_SPAKE2_MESSAGE_LEN;
}

/* a * P + b * Q. OpenSSL only guarantees a constant-time ladder when EC_POINT_mul is given a
 * single scalar; with two it may use wNAF, which leaks secret scalars through timing. So the
 * two products are computed separately and added. */
static gboolean
mul_add (RhSpake2       *self,
         EC_POINT       *result,
         const BIGNUM   *a,
         const EC_POINT *q,
         const BIGNUM   *b)
{
  EC_POINT *tmp;
  gboolean ok;

  tmp = EC_POINT_new (self->group);
  if (tmp == NULL)
    return FALSE;
  ok = EC_POINT_mul (self->group, result, a, NULL, NULL, self->bn_ctx) == 1 &&
       EC_POINT_mul (self->group, tmp, NULL, q, b, self->bn_ctx) == 1 &&
       EC_POINT_add (self->group, result, result, tmp, self->bn_ctx) == 1;
  EC_POINT_clear_free (tmp);
  return ok;
}

static gboolean
compute_message (RhSpake2  *self,
                 GError   **error)
{
  EC_POINT *share;
  gboolean ok;

  share = EC_POINT_new (self->group);
  if (share == NULL)
    return set_crypto_error (error, "out of memory");

  ok = mul_add (self, share, self->scalar,
                self->role == RH_SPAKE2_ROLE_A ? self->m : self->n, self->w) &&
       !EC_POINT_is_at_infinity (self->group, share) &&
       point_to_bytes (self, share, self->message);
  EC_POINT_clear_free (share);
  if (!ok)
    return set_crypto_error (error, "could not compute the public share");
  return TRUE;
}

static gboolean
random_scalar (RhSpake2  *self,
               GError   **error)
{
  const BIGNUM *order = EC_GROUP_get0_order (self->group);

  do
    {
      if (BN_priv_rand_range (self->scalar, order) != 1)
        return set_crypto_error (error, "random number generator failed");
    }
  while (BN_is_zero (self->scalar));

  return TRUE;
}

static gboolean
decode_point (RhSpake2      *self,
              const guint8  *data,
              gsize          len,
              EC_POINT     **out_point,
              GError       **error)
{
  EC_POINT *point;

  /* Only the uncompressed form: it is what we send, and one encoding per point keeps TT
   * unambiguous. This also rejects the one-byte encoding of the point at infinity. */
  if (len != RH_SPAKE2_MESSAGE_LEN || data[0] != POINT_CONVERSION_UNCOMPRESSED)
    {
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO,
                   "SPAKE2: peer share is not an uncompressed P-256 point");
      return FALSE;
    }

  point = EC_POINT_new (self->group);
  if (point == NULL)
    return set_crypto_error (error, "out of memory");

  /* oct2point already refuses points off the curve, but the explicit checks make the
   * requirement independent of OpenSSL's version. */
  if (EC_POINT_oct2point (self->group, point, data, len, self->bn_ctx) != 1 ||
      EC_POINT_is_on_curve (self->group, point, self->bn_ctx) != 1 ||
      EC_POINT_is_at_infinity (self->group, point))
    {
      EC_POINT_free (point);
      ERR_clear_error ();
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO,
                   "SPAKE2: peer share is not a valid P-256 point");
      return FALSE;
    }

  *out_point = point;
  return TRUE;
}

static void
tt_append (GByteArray   *tt,
           const guint8 *data,
           gsize         len)
{
  guint64 len_le = GUINT64_TO_LE ((guint64) len);

  g_byte_array_append (tt, (const guint8 *) &len_le, sizeof len_le);
  if (len > 0)
    g_byte_array_append (tt, data, len);
}

static gboolean
derive_keys (RhSpake2  *self,
             GError   **error)
{
  GByteArray *tt;
  const guint8 *x_msg, *y_msg;
  guint8 digest[HASH_LEN];
  guint8 kc[2 * KC_LEN];
  unsigned int digest_len = 0;
  gboolean ok;

  if (self->role == RH_SPAKE2_ROLE_A)
    {
      x_msg = self->message;
      y_msg = self->peer_message;
    }
  else
    {
      x_msg = self->peer_message;
      y_msg = self->message;
    }

  if (self->tt != NULL)
    {
      OPENSSL_cleanse (self->tt, self->tt_len);
      g_clear_pointer (&self->tt, g_free);
    }

  /* Sized up front so that the array never reallocates and leaves copies of w behind. */
  tt = g_byte_array_sized_new (6 * 8 + strlen (self->id_a) + strlen (self->id_b) +
                               3 * RH_SPAKE2_MESSAGE_LEN + SCALAR_LEN);
  tt_append (tt, (const guint8 *) self->id_a, strlen (self->id_a));
  tt_append (tt, (const guint8 *) self->id_b, strlen (self->id_b));
  tt_append (tt, x_msg, RH_SPAKE2_MESSAGE_LEN);
  tt_append (tt, y_msg, RH_SPAKE2_MESSAGE_LEN);
  tt_append (tt, self->k, RH_SPAKE2_MESSAGE_LEN);
  tt_append (tt, self->w_bytes, SCALAR_LEN);
  self->tt_len = tt->len;
  self->tt = g_byte_array_free (tt, FALSE);

  ok = EVP_Digest (self->tt, self->tt_len, digest, &digest_len, EVP_sha256 (), NULL) == 1 &&
       digest_len == HASH_LEN;
  if (ok)
    {
      memcpy (self->ke, digest, RH_SPAKE2_KEY_LEN);
      memcpy (self->ka, digest + RH_SPAKE2_KEY_LEN, sizeof self->ka);
      ok = hkdf_sha256 (self->ka, sizeof self->ka, "ConfirmationKeys", kc, sizeof kc);
    }
  if (ok)
    {
      memcpy (self->kc_a, kc, KC_LEN);
      memcpy (self->kc_b, kc + KC_LEN, KC_LEN);
      ok = hmac_sha256 (self->kc_a, KC_LEN, self->tt, self->tt_len, self->mac_a) &&
           hmac_sha256 (self->kc_b, KC_LEN, self->tt, self->tt_len, self->mac_b);
    }

  OPENSSL_cleanse (digest, sizeof digest);
  OPENSSL_cleanse (kc, sizeof kc);
  if (!ok)
    return set_crypto_error (error, "key derivation failed");
  return TRUE;
}

RhSpake2 *
rh_spake2_new (RhSpake2Role   role,
               const char    *id_a,
               const char    *id_b,
               const guint8  *w,
               gsize          w_len,
               GError       **error)
{
  g_autoptr(RhSpake2) self = NULL;

  g_return_val_if_fail (role == RH_SPAKE2_ROLE_A || role == RH_SPAKE2_ROLE_B, NULL);
  g_return_val_if_fail (w != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (w_len != SCALAR_LEN)
    {
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO,
                   "SPAKE2: w must be %d bytes, not %" G_GSIZE_FORMAT, SCALAR_LEN, w_len);
      return NULL;
    }

  self = g_new0 (RhSpake2, 1);
  self->role = role;
  self->id_a = g_strdup (id_a != NULL ? id_a : "");
  self->id_b = g_strdup (id_b != NULL ? id_b : "");
  memcpy (self->w_bytes, w, SCALAR_LEN);

  self->group = EC_GROUP_new_by_curve_name (NID_X9_62_prime256v1);
  self->bn_ctx = BN_CTX_secure_new ();
  self->w = BN_secure_new ();
  self->scalar = BN_secure_new ();
  if (self->group == NULL || self->bn_ctx == NULL || self->w == NULL || self->scalar == NULL)
    {
      set_crypto_error (error, "out of memory");
      return NULL;
    }
  BN_set_flags (self->w, BN_FLG_CONSTTIME);
  BN_set_flags (self->scalar, BN_FLG_CONSTTIME);

  self->m = EC_POINT_new (self->group);
  self->n = EC_POINT_new (self->group);
  if (self->m == NULL || self->n == NULL ||
      EC_POINT_oct2point (self->group, self->m, point_m, sizeof point_m, self->bn_ctx) != 1 ||
      EC_POINT_oct2point (self->group, self->n, point_n, sizeof point_n, self->bn_ctx) != 1)
    {
      set_crypto_error (error, "could not set up the group");
      return NULL;
    }

  /* w enters TT in exactly these bytes, so it has to be the canonical reduced encoding. */
  if (BN_bin2bn (w, SCALAR_LEN, self->w) == NULL ||
      BN_cmp (self->w, EC_GROUP_get0_order (self->group)) >= 0)
    {
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO, "SPAKE2: w is not reduced mod n");
      return NULL;
    }

  if (!random_scalar (self, error) || !compute_message (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

RhSpake2 *
rh_spake2_new_from_password (RhSpake2Role   role,
                             const char    *id_a,
                             const char    *id_b,
                             const char    *context,
                             const char    *password,
                             GError       **error)
{
  EVP_MD_CTX *md_ctx;
  EC_GROUP *group = NULL;
  BIGNUM *wide = NULL;
  BIGNUM *w = NULL;
  BN_CTX *bn_ctx = NULL;
  guint8 digest[64];
  guint8 w_bytes[SCALAR_LEN];
  unsigned int digest_len = 0;
  RhSpake2 *self = NULL;
  gboolean ok;

  g_return_val_if_fail (context != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* The 0x00 separator keeps (context, password) pairs from colliding when one is a prefix
   * of the other; 512 bits reduced mod a 256-bit n leave a negligible bias. */
  md_ctx = EVP_MD_CTX_new ();
  ok = md_ctx != NULL &&
       EVP_DigestInit_ex (md_ctx, EVP_sha512 (), NULL) == 1 &&
       EVP_DigestUpdate (md_ctx, context, strlen (context)) == 1 &&
       EVP_DigestUpdate (md_ctx, "", 1) == 1 &&
       EVP_DigestUpdate (md_ctx, password, strlen (password)) == 1 &&
       EVP_DigestFinal_ex (md_ctx, digest, &digest_len) == 1 &&
       digest_len == sizeof digest;
  EVP_MD_CTX_free (md_ctx);

  if (ok)
    {
      group = EC_GROUP_new_by_curve_name (NID_X9_62_prime256v1);
      bn_ctx = BN_CTX_secure_new ();
      wide = BN_secure_new ();
      w = BN_secure_new ();
      ok = group != NULL && bn_ctx != NULL && wide != NULL && w != NULL &&
           BN_bin2bn (digest, sizeof digest, wide) != NULL &&
           BN_nnmod (w, wide, EC_GROUP_get0_order (group), bn_ctx) == 1 &&
           BN_bn2binpad (w, w_bytes, sizeof w_bytes) == sizeof w_bytes;
    }

  if (ok)
    self = rh_spake2_new (role, id_a, id_b, w_bytes, sizeof w_bytes, error);
  else
    set_crypto_error (error, "could not derive w from the password");

  OPENSSL_cleanse (digest, sizeof digest);
  OPENSSL_cleanse (w_bytes, sizeof w_bytes);
  BN_clear_free (wide);
  BN_clear_free (w);
  BN_CTX_free (bn_ctx);
  EC_GROUP_free (group);
  return self;
}

void
rh_spake2_free (RhSpake2 *self)
{
  if (self == NULL)
    return;

  g_free (self->id_a);
  g_free (self->id_b);
  BN_clear_free (self->w);
  BN_clear_free (self->scalar);
  EC_POINT_free (self->m);
  EC_POINT_free (self->n);
  BN_CTX_free (self->bn_ctx);
  EC_GROUP_free (self->group);
  if (self->tt != NULL)
    {
      OPENSSL_cleanse (self->tt, self->tt_len);
      g_free (self->tt);
    }
  OPENSSL_cleanse (self, sizeof *self);
  g_free (self);
}

gboolean
rh_spake2_set_scalar_for_testing (RhSpake2     *self,
                                  const guint8 *scalar,
                                  gsize         len,
                                  GError      **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (scalar != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->processed)
    {
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO,
                   "SPAKE2: the scalar cannot change after the peer's share was processed");
      return FALSE;
    }
  if (len != SCALAR_LEN ||
      BN_bin2bn (scalar, len, self->scalar) == NULL ||
      BN_is_zero (self->scalar) ||
      BN_cmp (self->scalar, EC_GROUP_get0_order (self->group)) >= 0)
    {
      ERR_clear_error ();
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO,
                   "SPAKE2: the scalar must be 32 bytes in [1, n-1]");
      /* Never leave a rejected value in place of a good random one. */
      random_scalar (self, NULL);
      compute_message (self, NULL);
      return FALSE;
    }

  return compute_message (self, error);
}

GBytes *
rh_spake2_get_message (RhSpake2 *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_bytes_new (self->message, sizeof self->message);
}

gboolean
rh_spake2_process (RhSpake2      *self,
                   const guint8  *peer_message,
                   gsize          len,
                   GError       **error)
{
  EC_POINT *peer = NULL;
  EC_POINT *k = NULL;
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (peer_message != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->processed)
    {
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO,
                   "SPAKE2: the peer's share was already processed");
      return FALSE;
    }

  if (!decode_point (self, peer_message, len, &peer, error))
    return FALSE;

  /* K = x * (Y - w*N) for A, y * (X - w*M) for B; the cofactor of P-256 is 1. */
  k = EC_POINT_new (self->group);
  ok = k != NULL &&
       EC_POINT_mul (self->group, k, NULL,
                     self->role == RH_SPAKE2_ROLE_A ? self->n : self->m,
                     self->w, self->bn_ctx) == 1 &&
       EC_POINT_invert (self->group, k, self->bn_ctx) == 1 &&
       EC_POINT_add (self->group, k, peer, k, self->bn_ctx) == 1 &&
       EC_POINT_mul (self->group, k, NULL, k, self->scalar, self->bn_ctx) == 1;
  EC_POINT_free (peer);

  if (!ok)
    {
      EC_POINT_clear_free (k);
      return set_crypto_error (error, "could not compute the shared point");
    }
  /* Happens exactly when the peer sent w*M (or w*N): a share that carries no key. */
  if (EC_POINT_is_at_infinity (self->group, k))
    {
      EC_POINT_clear_free (k);
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO,
                   "SPAKE2: peer share leads to the point at infinity");
      return FALSE;
    }
  ok = point_to_bytes (self, k, self->k);
  EC_POINT_clear_free (k);
  if (!ok)
    return set_crypto_error (error, "could not encode the shared point");

  memcpy (self->peer_message, peer_message, RH_SPAKE2_MESSAGE_LEN);
  if (!derive_keys (self, error))
    return FALSE;

  self->processed = TRUE;
  return TRUE;
}

GBytes *
rh_spake2_get_confirmation (RhSpake2 *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (!self->processed)
    return NULL;
  if (self->role == RH_SPAKE2_ROLE_A)
    return g_bytes_new (self->mac_a, sizeof self->mac_a);
  return g_bytes_new (self->mac_b, sizeof self->mac_b);
}

gboolean
rh_spake2_verify_confirmation (RhSpake2     *self,
                               const guint8 *mac,
                               gsize         len,
                               GError      **error)
{
  const guint8 *expected;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (mac != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!self->processed)
    {
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO,
                   "SPAKE2: confirmation checked before the peer's share was processed");
      return FALSE;
    }

  expected = self->role == RH_SPAKE2_ROLE_A ? self->mac_b : self->mac_a;
  if (self->failed ||
      len != RH_SPAKE2_MAC_LEN ||
      CRYPTO_memcmp (mac, expected, RH_SPAKE2_MAC_LEN) != 0)
    {
      /* Later calls are refused too, so one exchange can never test a second guess. */
      self->failed = TRUE;
      self->confirmed = FALSE;
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_KEY_CONFIRMATION,
                   "SPAKE2: key confirmation failed (different code or identities)");
      return FALSE;
    }

  self->confirmed = TRUE;
  return TRUE;
}

GBytes *
rh_spake2_get_shared_key (RhSpake2 *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (!self->confirmed)
    return NULL;
  return g_bytes_new (self->ke, sizeof self->ke);
}

/* Both apps key their channel with Ke and salt it with the transcript they agreed on. */
GBytes *
rh_spake2_get_transcript_hash (RhSpake2 *self)
{
  guint8 digest[32];
  unsigned int len = sizeof digest;

  g_return_val_if_fail (self != NULL, NULL);

  if (!self->confirmed)
    return NULL;
  EVP_Digest (self->tt, self->tt_len, digest, &len, EVP_sha256 (), NULL);
  return g_bytes_new (digest, len);
}

GBytes *
rh_spake2_get_value_for_testing (RhSpake2   *self,
                                 const char *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (!self->processed)
    return NULL;

  if (g_str_equal (name, "K"))
    return g_bytes_new (self->k, sizeof self->k);
  if (g_str_equal (name, "TT"))
    return g_bytes_new (self->tt, self->tt_len);
  if (g_str_equal (name, "Ke"))
    return g_bytes_new (self->ke, sizeof self->ke);
  if (g_str_equal (name, "Ka"))
    return g_bytes_new (self->ka, sizeof self->ka);
  if (g_str_equal (name, "KcA"))
    return g_bytes_new (self->kc_a, sizeof self->kc_a);
  if (g_str_equal (name, "KcB"))
    return g_bytes_new (self->kc_b, sizeof self->kc_b);
  if (g_str_equal (name, "MAC_A"))
    return g_bytes_new (self->mac_a, sizeof self->mac_a);
  if (g_str_equal (name, "MAC_B"))
    return g_bytes_new (self->mac_b, sizeof self->mac_b);

  g_return_val_if_reached (NULL);
}
