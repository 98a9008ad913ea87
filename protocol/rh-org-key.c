/* rh-org-key.c: the organisation's Ed25519 signing key
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "rh-error.h"
#include "rh-org-key.h"

/* A PKCS#8 Ed25519 PEM is about 120 bytes; anything far larger is not our key file. */
#define MAX_KEY_FILE_SIZE (64 * 1024)

/* OpenSSL keeps a per-thread error queue that the TLS code on this thread reads too (a stale
 * entry makes SSL_get_error() misreport), so failures that become a GError are cleared. */

struct _RhOrgKey
{
  GObject parent_instance;

  EVP_PKEY *pkey;
  gboolean has_private;
};

G_DEFINE_FINAL_TYPE (RhOrgKey, rh_org_key, G_TYPE_OBJECT)

static void
rh_org_key_finalize (GObject *object)
{
  RhOrgKey *self = RH_ORG_KEY (object);

  g_clear_pointer (&self->pkey, EVP_PKEY_free);

  G_OBJECT_CLASS (rh_org_key_parent_class)->finalize (object);
}

static void
rh_org_key_class_init (RhOrgKeyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = rh_org_key_finalize;
}

static void
rh_org_key_init (RhOrgKey *self)
{
}

static RhOrgKey *
org_key_new_take (EVP_PKEY *pkey,
                  gboolean  has_private)
{
  RhOrgKey *self = g_object_new (RH_TYPE_ORG_KEY, NULL);

  self->pkey = pkey;
  self->has_private = has_private;
  return self;
}

RhOrgKey *
rh_org_key_generate (GError **error)
{
  EVP_PKEY *pkey;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pkey = EVP_PKEY_Q_keygen (NULL, NULL, "ED25519");
  if (pkey == NULL)
    {
      ERR_clear_error ();
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO,
                   "Could not generate an Ed25519 key");
      return NULL;
    }
  return org_key_new_take (pkey, TRUE);
}

/* Without a callback OpenSSL would prompt on the terminal for an encrypted key; a server
 * must fail instead. */
static int
refuse_passphrase (char *buf,
                   int   size,
                   int   rwflag,
                   void *user_data)
{
  return -1;
}

RhOrgKey *
rh_org_key_load (const char  *path,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  BIO *bio;
  EVP_PKEY *pkey;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_DATA_DIR,
                   "Cannot read the organisation key: %s", local_error->message);
      return NULL;
    }
  if (len > MAX_KEY_FILE_SIZE)
    {
      OPENSSL_cleanse (contents, len);
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_DATA_DIR,
                   "Organisation key file %s is too large to be a key", path);
      return NULL;
    }

  bio = BIO_new_mem_buf (contents, (int) len);
  pkey = bio != NULL ? PEM_read_bio_PrivateKey (bio, NULL, refuse_passphrase, NULL) : NULL;
  BIO_free (bio);
  OPENSSL_cleanse (contents, len);

  if (pkey == NULL)
    {
      ERR_clear_error ();
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_DATA_DIR,
                   "Organisation key file %s is damaged or not a PEM private key", path);
      return NULL;
    }
  if (!EVP_PKEY_is_a (pkey, "ED25519"))
    {
      EVP_PKEY_free (pkey);
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_DATA_DIR,
                   "Organisation key file %s does not hold an Ed25519 key", path);
      return NULL;
    }

  return org_key_new_take (pkey, TRUE);
}

gboolean
rh_org_key_save (RhOrgKey    *self,
                 const char  *path,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  BIO *bio;
  char *pem = NULL;
  long pem_len;
  gboolean ok;

  g_return_val_if_fail (RH_IS_ORG_KEY (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!self->has_private)
    {
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO,
                   "A verify-only organisation key cannot be saved as a private key");
      return FALSE;
    }

  bio = BIO_new (BIO_s_secmem ());
  if (bio == NULL ||
      PEM_write_bio_PKCS8PrivateKey (bio, self->pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
      (pem_len = BIO_get_mem_data (bio, &pem)) <= 0)
    {
      BIO_free (bio);
      ERR_clear_error ();
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO,
                   "Could not encode the organisation key");
      return FALSE;
    }

  /* CONSISTENT writes a temporary file in the same directory and renames it, so a crash
   * leaves the old key or the new one, never half of one; the mode applies from creation,
   * so the key is never readable by others, not even briefly. */
  ok = g_file_set_contents_full (path, pem, pem_len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error);
  BIO_free (bio);
  if (!ok)
    {
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_DATA_DIR,
                   "Cannot write the organisation key: %s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

RhOrgKey *
rh_org_key_new_public (const guint8  *raw,
                       gsize          len,
                       GError       **error)
{
  EVP_PKEY *pkey;

  g_return_val_if_fail (raw != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len != RH_ORG_KEY_PUBLIC_LEN)
    {
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO,
                   "An Ed25519 public key has %d bytes, not %" G_GSIZE_FORMAT,
                   RH_ORG_KEY_PUBLIC_LEN, len);
      return NULL;
    }

  pkey = EVP_PKEY_new_raw_public_key_ex (NULL, "ED25519", NULL, raw, len);
  if (pkey == NULL)
    {
      ERR_clear_error ();
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO, "Invalid Ed25519 public key");
      return NULL;
    }
  return org_key_new_take (pkey, FALSE);
}

gboolean
rh_org_key_has_private (RhOrgKey *self)
{
  g_return_val_if_fail (RH_IS_ORG_KEY (self), FALSE);

  return self->has_private;
}

GBytes *
rh_org_key_get_public_raw (RhOrgKey *self)
{
  guint8 raw[RH_ORG_KEY_PUBLIC_LEN];
  size_t len = sizeof raw;

  g_return_val_if_fail (RH_IS_ORG_KEY (self), NULL);

  if (EVP_PKEY_get_raw_public_key (self->pkey, raw, &len) != 1 || len != sizeof raw)
    g_return_val_if_reached (NULL);
  return g_bytes_new (raw, len);
}

void
rh_org_key_get_fingerprint (RhOrgKey *self,
                            guint8   *out)
{
  g_autoptr(GBytes) raw = NULL;
  unsigned int out_len = 0;

  g_return_if_fail (RH_IS_ORG_KEY (self));
  g_return_if_fail (out != NULL);

  raw = rh_org_key_get_public_raw (self);
  g_return_if_fail (raw != NULL);
  if (EVP_Digest (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), out, &out_len,
                  EVP_sha256 (), NULL) != 1)
    g_return_if_reached ();
}

GBytes *
rh_org_key_sign (RhOrgKey      *self,
                 const guint8  *data,
                 gsize          len,
                 GError       **error)
{
  EVP_MD_CTX *md_ctx;
  guint8 sig[RH_ORG_KEY_SIGNATURE_LEN];
  size_t sig_len = sizeof sig;
  gboolean ok;

  g_return_val_if_fail (RH_IS_ORG_KEY (self), NULL);
  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!self->has_private)
    {
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO,
                   "A verify-only organisation key cannot sign");
      return NULL;
    }

  /* Ed25519 hashes internally, so no digest is given and only the one-shot call works. */
  md_ctx = EVP_MD_CTX_new ();
  ok = md_ctx != NULL &&
       EVP_DigestSignInit (md_ctx, NULL, NULL, NULL, self->pkey) == 1 &&
       EVP_DigestSign (md_ctx, sig, &sig_len, data != NULL ? data : (const guint8 *) "",
                       len) == 1 &&
       sig_len == sizeof sig;
  EVP_MD_CTX_free (md_ctx);

  if (!ok)
    {
      ERR_clear_error ();
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO, "Ed25519 signing failed");
      return NULL;
    }
  return g_bytes_new (sig, sig_len);
}

gboolean
rh_org_key_verify (RhOrgKey      *self,
                   const guint8  *data,
                   gsize          len,
                   const guint8  *signature,
                   gsize          sig_len,
                   GError       **error)
{
  EVP_MD_CTX *md_ctx;
  int ok = 0;

  g_return_val_if_fail (RH_IS_ORG_KEY (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (signature != NULL || sig_len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (sig_len == RH_ORG_KEY_SIGNATURE_LEN)
    {
      md_ctx = EVP_MD_CTX_new ();
      if (md_ctx != NULL && EVP_DigestVerifyInit (md_ctx, NULL, NULL, NULL, self->pkey) == 1)
        ok = EVP_DigestVerify (md_ctx, signature, sig_len,
                               data != NULL ? data : (const guint8 *) "", len);
      EVP_MD_CTX_free (md_ctx);
    }

  if (ok != 1)
    {
      ERR_clear_error ();
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CARD_SIGNATURE,
                   "Signature does not match the organisation key");
      return FALSE;
    }
  return TRUE;
}
