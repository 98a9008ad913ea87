/* rh-password.c: password storage with scrypt
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
#include <openssl/rand.h>

#include "rh-error.h"
#include "rh-password.h"

#define SCRYPT_PREFIX "scrypt"
#define DEFAULT_N     32768
#define DEFAULT_R     8
#define DEFAULT_P     1
#define SALT_LEN      16
#define HASH_LEN      32

/* Limits for parameters read back from storage. Beyond the per-parameter bounds, memory
 * (128 * r * N bytes) and work (N * r * p) are capped too: N = 2^20 with r = 32 would want
 * 4 GiB, and a damaged or planted row must not be able to take the server down. */
#define MIN_LOG2_N    10
#define MAX_LOG2_N    20
#define MAX_R         32
#define MAX_P         16
#define MIN_SALT_LEN  8
#define MAX_SALT_LEN  64
#define MAX_MEMORY    (G_GUINT64_CONSTANT (256) * 1024 * 1024)
#define MAX_WORK      (G_GUINT64_CONSTANT (1) << 22)

static gboolean
scrypt_derive (const char   *password,
               const guint8 *salt,
               gsize         salt_len,
               guint64       n,
               guint32       r,
               guint32       p,
               guint8        out[HASH_LEN],
               GError      **error)
{
  EVP_KDF *kdf;
  EVP_KDF_CTX *kctx;
  OSSL_PARAM params[7];
  guint64 maxmem;
  int ok;

  /* OpenSSL needs 128 * r * (N + 2 + p) bytes. Its own default limit differs between the
   * old EVP_PBE_scrypt (32 MiB, too small for N = 2^15, r = 8) and the provider (1 GiB, far
   * more than we want to allow), so we always state it; the slack is for future versions
   * that count a little differently. */
  maxmem = 128 * (guint64) r * (n + 2 + p) + 1024 * 1024;

  kdf = EVP_KDF_fetch (NULL, "SCRYPT", NULL);
  kctx = kdf != NULL ? EVP_KDF_CTX_new (kdf) : NULL;
  EVP_KDF_free (kdf);
  if (kctx == NULL)
    {
      ERR_clear_error ();
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO, "scrypt is not available");
      return FALSE;
    }

  params[0] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_PASSWORD, (void *) password,
                                                 strlen (password));
  params[1] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_SALT, (void *) salt, salt_len);
  params[2] = OSSL_PARAM_construct_uint64 (OSSL_KDF_PARAM_SCRYPT_N, &n);
  params[3] = OSSL_PARAM_construct_uint32 (OSSL_KDF_PARAM_SCRYPT_R, &r);
  params[4] = OSSL_PARAM_construct_uint32 (OSSL_KDF_PARAM_SCRYPT_P, &p);
  params[5] = OSSL_PARAM_construct_uint64 (OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
  params[6] = OSSL_PARAM_construct_end ();

  ok = EVP_KDF_derive (kctx, out, HASH_LEN, params);
  EVP_KDF_CTX_free (kctx);
  if (ok != 1)
    {
      /* The error queue is shared with the TLS code on this thread, where a stale entry
       * misleads SSL_get_error(). */
      ERR_clear_error ();
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO, "scrypt failed");
      return FALSE;
    }
  return TRUE;
}

char *
rh_password_hash (const char  *password,
                  GError     **error)
{
  guint8 salt[SALT_LEN];
  guint8 hash[HASH_LEN];
  g_autofree char *salt_b64 = NULL;
  g_autofree char *hash_b64 = NULL;
  char *encoded;

  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (RAND_bytes (salt, sizeof salt) != 1)
    {
      ERR_clear_error ();
      g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO, "random number generator failed");
      return NULL;
    }
  if (!scrypt_derive (password, salt, sizeof salt, DEFAULT_N, DEFAULT_R, DEFAULT_P, hash,
                      error))
    return NULL;

  salt_b64 = g_base64_encode (salt, sizeof salt);
  hash_b64 = g_base64_encode (hash, sizeof hash);
  encoded = g_strdup_printf (SCRYPT_PREFIX "$%d$%d$%d$%s$%s", DEFAULT_N, DEFAULT_R, DEFAULT_P,
                             salt_b64, hash_b64);
  OPENSSL_cleanse (hash, sizeof hash);
  OPENSSL_cleanse (hash_b64, strlen (hash_b64));
  return encoded;
}

/* g_base64_decode skips characters it does not know and never fails, so a damaged field
 * would silently decode to something else. Only the canonical encoding is accepted. */
static guint8 *
decode_base64_strict (const char *text,
                      gsize      *out_len)
{
  g_autofree guint8 *data = NULL;
  g_autofree char *again = NULL;
  gsize len = strlen (text);

  if (len == 0 || len % 4 != 0)
    return NULL;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/' && text[i] != '=')
      return NULL;

  data = g_base64_decode (text, out_len);
  again = g_base64_encode (data, *out_len);
  if (!g_str_equal (again, text))
    return NULL;
  return g_steal_pointer (&data);
}

static gboolean
parse_number (const char *text,
              guint64     max,
              guint64    *out)
{
  /* g_ascii_string_to_unsigned would accept a leading '+' or zeros; digits only here. */
  if (*text == '\0' || *text == '0' || strlen (text) > 10)
    return FALSE;
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_isdigit (*c))
      return FALSE;
  return g_ascii_string_to_unsigned (text, 10, 1, max, out, NULL);
}

static gboolean
set_damaged (GError    **error,
             const char *what)
{
  /* The encoding itself is never put in the message: it is a password hash. */
  g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO, "Stored password hash is damaged: %s",
               what);
  return FALSE;
}

gboolean
rh_password_verify (const char  *password,
                    const char  *encoded,
                    gboolean    *out_match,
                    GError     **error)
{
  static const guint8 dummy_salt[SALT_LEN] = { 0 };
  g_auto(GStrv) fields = NULL;
  g_autofree guint8 *salt = NULL;
  g_autofree guint8 *expected = NULL;
  gsize salt_len = 0;
  gsize expected_len = 0;
  guint64 n, r, p;
  guint8 hash[HASH_LEN];
  gboolean match;

  g_return_val_if_fail (password != NULL, FALSE);
  g_return_val_if_fail (out_match != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *out_match = FALSE;

  if (encoded == NULL)
    {
      /* Same cost as a real check, so a login name that does not exist takes as long. */
      if (!scrypt_derive (password, dummy_salt, sizeof dummy_salt, DEFAULT_N, DEFAULT_R,
                          DEFAULT_P, hash, error))
        return FALSE;
      OPENSSL_cleanse (hash, sizeof hash);
      return TRUE;
    }

  fields = g_strsplit (encoded, "$", 0);
  if (g_strv_length (fields) != 6 || !g_str_equal (fields[0], SCRYPT_PREFIX))
    return set_damaged (error, "not an scrypt$N$r$p$salt$hash string");

  if (!parse_number (fields[1], G_GUINT64_CONSTANT (1) << MAX_LOG2_N, &n) ||
      n < (G_GUINT64_CONSTANT (1) << MIN_LOG2_N) || (n & (n - 1)) != 0)
    return set_damaged (error, "N must be a power of two from 2^10 to 2^20");
  if (!parse_number (fields[2], MAX_R, &r))
    return set_damaged (error, "r must be from 1 to 32");
  if (!parse_number (fields[3], MAX_P, &p))
    return set_damaged (error, "p must be from 1 to 16");
  if (128 * n * r > MAX_MEMORY || n * r * p > MAX_WORK)
    return set_damaged (error, "parameters need too much memory or time");

  salt = decode_base64_strict (fields[4], &salt_len);
  if (salt == NULL || salt_len < MIN_SALT_LEN || salt_len > MAX_SALT_LEN)
    return set_damaged (error, "bad salt");
  expected = decode_base64_strict (fields[5], &expected_len);
  if (expected == NULL || expected_len != HASH_LEN)
    return set_damaged (error, "bad hash");

  if (!scrypt_derive (password, salt, salt_len, n, (guint32) r, (guint32) p, hash, error))
    return FALSE;

  match = CRYPTO_memcmp (hash, expected, HASH_LEN) == 0;
  OPENSSL_cleanse (hash, sizeof hash);
  OPENSSL_cleanse (expected, expected_len);
  *out_match = match;
  return TRUE;
}
