/* test-org-key.c: the organisation's Ed25519 key
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "rh-error.h"
#include "rh-org-key.h"

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("rh-org-key-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

static GBytes *
hex_decode (const char *hex)
{
  gsize len = strlen (hex) / 2;
  guint8 *out = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    out[i] = (guint8) (g_ascii_xdigit_value (hex[2 * i]) << 4 |
                       g_ascii_xdigit_value (hex[2 * i + 1]));
  return g_bytes_new_take (out, len);
}

static void
test_sign_verify (void)
{
  static const char message[] = "helper card: Jane Doe, IT department";
  g_autoptr(GError) error = NULL;
  g_autoptr(RhOrgKey) key = rh_org_key_generate (&error);
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(GBytes) empty_sig = NULL;
  g_autoptr(GBytes) pub = NULL;
  g_autofree guint8 *bad = NULL;
  gsize sig_len;

  g_assert_no_error (error);
  g_assert_true (rh_org_key_has_private (key));
  pub = rh_org_key_get_public_raw (key);
  g_assert_cmpuint (g_bytes_get_size (pub), ==, RH_ORG_KEY_PUBLIC_LEN);

  sig = rh_org_key_sign (key, (const guint8 *) message, strlen (message), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (sig), ==, RH_ORG_KEY_SIGNATURE_LEN);
  g_assert_true (rh_org_key_verify (key, (const guint8 *) message, strlen (message),
                                    g_bytes_get_data (sig, NULL), g_bytes_get_size (sig),
                                    &error));
  g_assert_no_error (error);

  /* Tampered data. */
  g_assert_false (rh_org_key_verify (key, (const guint8 *) message, strlen (message) - 1,
                                     g_bytes_get_data (sig, NULL), g_bytes_get_size (sig),
                                     &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CARD_SIGNATURE);
  g_clear_error (&error);
  bad = g_memdup2 (message, sizeof message);
  bad[0] ^= 0x20;
  g_assert_false (rh_org_key_verify (key, bad, strlen (message),
                                     g_bytes_get_data (sig, NULL), g_bytes_get_size (sig),
                                     &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CARD_SIGNATURE);
  g_clear_error (&error);
  g_clear_pointer (&bad, g_free);

  /* Tampered signature: every byte, and wrong lengths. */
  bad = g_bytes_unref_to_data (g_bytes_ref (sig), &sig_len);
  for (gsize i = 0; i < sig_len; i++)
    {
      bad[i] ^= 0x01;
      g_assert_false (rh_org_key_verify (key, (const guint8 *) message, strlen (message),
                                         bad, sig_len, &error));
      g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CARD_SIGNATURE);
      g_clear_error (&error);
      bad[i] ^= 0x01;
    }
  g_assert_false (rh_org_key_verify (key, (const guint8 *) message, strlen (message),
                                     bad, sig_len - 1, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CARD_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (rh_org_key_verify (key, (const guint8 *) message, strlen (message),
                                     NULL, 0, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CARD_SIGNATURE);
  g_clear_error (&error);

  /* Empty messages can be signed too. */
  empty_sig = rh_org_key_sign (key, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_true (rh_org_key_verify (key, NULL, 0, g_bytes_get_data (empty_sig, NULL),
                                    g_bytes_get_size (empty_sig), &error));
  g_assert_no_error (error);
}

static void
test_other_key_rejected (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RhOrgKey) one = rh_org_key_generate (&error);
  g_autoptr(RhOrgKey) two = rh_org_key_generate (&error);
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(GBytes) pub_one = rh_org_key_get_public_raw (one);
  g_autoptr(GBytes) pub_two = rh_org_key_get_public_raw (two);

  g_assert_no_error (error);
  g_assert_false (g_bytes_equal (pub_one, pub_two));

  sig = rh_org_key_sign (one, (const guint8 *) "card", 4, &error);
  g_assert_no_error (error);
  g_assert_false (rh_org_key_verify (two, (const guint8 *) "card", 4,
                                     g_bytes_get_data (sig, NULL), g_bytes_get_size (sig),
                                     &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CARD_SIGNATURE);
}

static void
test_public_from_raw (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RhOrgKey) key = rh_org_key_generate (&error);
  g_autoptr(RhOrgKey) pub = NULL;
  g_autoptr(GBytes) raw = rh_org_key_get_public_raw (key);
  g_autoptr(GBytes) raw_again = NULL;
  g_autoptr(GBytes) sig = NULL;
  guint8 fp_key[32], fp_pub[32];

  g_assert_no_error (error);
  pub = rh_org_key_new_public (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), &error);
  g_assert_no_error (error);
  g_assert_false (rh_org_key_has_private (pub));

  raw_again = rh_org_key_get_public_raw (pub);
  g_assert_true (g_bytes_equal (raw, raw_again));
  rh_org_key_get_fingerprint (key, fp_key);
  rh_org_key_get_fingerprint (pub, fp_pub);
  g_assert_cmpmem (fp_key, 32, fp_pub, 32);

  sig = rh_org_key_sign (key, (const guint8 *) "card", 4, &error);
  g_assert_no_error (error);
  g_assert_true (rh_org_key_verify (pub, (const guint8 *) "card", 4,
                                    g_bytes_get_data (sig, NULL), g_bytes_get_size (sig),
                                    &error));
  g_assert_no_error (error);
  g_assert_false (rh_org_key_verify (pub, (const guint8 *) "cars", 4,
                                     g_bytes_get_data (sig, NULL), g_bytes_get_size (sig),
                                     &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CARD_SIGNATURE);
  g_clear_error (&error);

  /* A public key cannot sign. */
  g_assert_null (rh_org_key_sign (pub, (const guint8 *) "card", 4, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO);
  g_clear_error (&error);

  /* Wrong lengths. */
  g_assert_null (rh_org_key_new_public (g_bytes_get_data (raw, NULL), 31, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO);
  g_clear_error (&error);
  g_assert_null (rh_org_key_new_public (NULL, 0, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO);
}

/* RFC 8032 section 7.1, TEST 2: checks we speak plain Ed25519 (not ph or ctx). */
#define KAT_FINGERPRINT "39f713d0a644253f04529421b9f51b9b08979d08295959c4f3990ee617f5139f"

static void
test_rfc8032 (void)
{
  g_autoptr(GBytes) pub_raw =
    hex_decode ("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  g_autoptr(GBytes) sig =
    hex_decode ("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
  static const guint8 message[] = { 0x72 };
  g_autoptr(GError) error = NULL;
  g_autoptr(RhOrgKey) pub = NULL;
  guint8 fingerprint[32];
  g_autoptr(GString) fp_hex = g_string_new (NULL);

  pub = rh_org_key_new_public (g_bytes_get_data (pub_raw, NULL), g_bytes_get_size (pub_raw),
                               &error);
  g_assert_no_error (error);
  g_assert_true (rh_org_key_verify (pub, message, sizeof message,
                                    g_bytes_get_data (sig, NULL), g_bytes_get_size (sig),
                                    &error));
  g_assert_no_error (error);

  /* The fingerprint is SHA-256 of the raw key (value from sha256sum). */
  rh_org_key_get_fingerprint (pub, fingerprint);
  for (gsize i = 0; i < sizeof fingerprint; i++)
    g_string_append_printf (fp_hex, "%02x", fingerprint[i]);
  g_assert_cmpstr (fp_hex->str, ==, KAT_FINGERPRINT);
}

static void
test_save_load (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RhOrgKey) key = rh_org_key_generate (&error);
  g_autoptr(RhOrgKey) loaded = NULL;
  g_autoptr(RhOrgKey) replaced = NULL;
  g_autoptr(RhOrgKey) other = NULL;
  g_autoptr(GBytes) pub = NULL;
  g_autoptr(GBytes) pub_loaded = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autofree char *path = g_build_filename (f->dir, "org-key.pem", NULL);
  g_autofree char *contents = NULL;
  guint8 fp[32], fp_loaded[32];
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_true (rh_org_key_save (key, path, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "-----BEGIN PRIVATE KEY-----\n"));

  loaded = rh_org_key_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (rh_org_key_has_private (loaded));
  pub = rh_org_key_get_public_raw (key);
  pub_loaded = rh_org_key_get_public_raw (loaded);
  g_assert_true (g_bytes_equal (pub, pub_loaded));
  rh_org_key_get_fingerprint (key, fp);
  rh_org_key_get_fingerprint (loaded, fp_loaded);
  g_assert_cmpmem (fp, 32, fp_loaded, 32);

  /* The loaded private key signs for the original public key. */
  sig = rh_org_key_sign (loaded, (const guint8 *) "card", 4, &error);
  g_assert_no_error (error);
  g_assert_true (rh_org_key_verify (key, (const guint8 *) "card", 4,
                                    g_bytes_get_data (sig, NULL), g_bytes_get_size (sig),
                                    &error));
  g_assert_no_error (error);

  /* Saving over an existing, too permissive file replaces it, and tightens the mode. */
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  other = rh_org_key_generate (&error);
  g_assert_no_error (error);
  g_assert_true (rh_org_key_save (other, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  replaced = rh_org_key_load (path, &error);
  g_assert_no_error (error);
  g_clear_pointer (&pub_loaded, g_bytes_unref);
  pub_loaded = rh_org_key_get_public_raw (replaced);
  g_assert_false (g_bytes_equal (pub, pub_loaded));

  /* A verify-only key has nothing to save. */
  g_clear_object (&other);
  other = rh_org_key_new_public (g_bytes_get_data (pub, NULL), g_bytes_get_size (pub), &error);
  g_assert_no_error (error);
  g_assert_false (rh_org_key_save (other, path, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO);
}

static char *
write_file (Fixture    *f,
            const char *name,
            const char *contents,
            gssize      len)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, len, &error));
  g_assert_no_error (error);
  return path;
}

static char *
pem_of (EVP_PKEY *pkey,
        gboolean  private,
        gboolean  encrypted)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long len;
  char *out;

  if (!private)
    g_assert_cmpint (PEM_write_bio_PUBKEY (bio, pkey), ==, 1);
  else if (encrypted)
    g_assert_cmpint (PEM_write_bio_PKCS8PrivateKey (bio, pkey, EVP_aes_256_cbc (), NULL, 0,
                                                    NULL, (void *) "hunter2"), ==, 1);
  else
    g_assert_cmpint (PEM_write_bio_PKCS8PrivateKey (bio, pkey, NULL, NULL, 0, NULL, NULL),
                     ==, 1);
  len = BIO_get_mem_data (bio, &data);
  out = g_strndup (data, len);
  BIO_free (bio);
  return out;
}

static void
assert_load_fails (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RhOrgKey) key = rh_org_key_load (path, &error);

  g_assert_null (key);
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_DATA_DIR);
}

static void
test_load_bad_files (Fixture       *f,
                     gconstpointer  data)
{
  EVP_PKEY *ec = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  EVP_PKEY *x25519 = EVP_PKEY_Q_keygen (NULL, NULL, "X25519");
  EVP_PKEY *ed = EVP_PKEY_Q_keygen (NULL, NULL, "ED25519");
  g_autofree char *ec_pem = pem_of (ec, TRUE, FALSE);
  g_autofree char *x25519_pem = pem_of (x25519, TRUE, FALSE);
  g_autofree char *ed_pub_pem = pem_of (ed, FALSE, FALSE);
  g_autofree char *ed_enc_pem = pem_of (ed, TRUE, TRUE);
  g_autofree char *ed_pem = pem_of (ed, TRUE, FALSE);
  g_autofree char *truncated = g_strndup (ed_pem, strlen (ed_pem) / 2);
  g_autofree char *damaged = g_strdup (ed_pem);
  g_autofree char *path = NULL;
  g_autofree char *missing = g_build_filename (f->dir, "missing.pem", NULL);
  g_autofree char *big = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhOrgKey) good = NULL;

  /* The good one loads, so the failures below are about the files. */
  path = write_file (f, "good.pem", ed_pem, -1);
  good = rh_org_key_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (good);
  g_clear_pointer (&path, g_free);

  assert_load_fails (missing);
  assert_load_fails (f->dir); /* a directory */

  path = write_file (f, "empty.pem", "", 0);
  assert_load_fails (path);
  g_clear_pointer (&path, g_free);

  path = write_file (f, "text.pem", "this is not a key\n", -1);
  assert_load_fails (path);
  g_clear_pointer (&path, g_free);

  path = write_file (f, "binary.pem", "\x30\x82\x00\x00\xff\x00garbage", 12);
  assert_load_fails (path);
  g_clear_pointer (&path, g_free);

  path = write_file (f, "ec.pem", ec_pem, -1);
  assert_load_fails (path);
  g_clear_pointer (&path, g_free);

  path = write_file (f, "x25519.pem", x25519_pem, -1);
  assert_load_fails (path);
  g_clear_pointer (&path, g_free);

  path = write_file (f, "ed-public.pem", ed_pub_pem, -1);
  assert_load_fails (path);
  g_clear_pointer (&path, g_free);

  /* Encrypted: must fail, and must not prompt for a passphrase on the terminal. */
  path = write_file (f, "ed-encrypted.pem", ed_enc_pem, -1);
  assert_load_fails (path);
  g_clear_pointer (&path, g_free);

  path = write_file (f, "truncated.pem", truncated, -1);
  assert_load_fails (path);
  g_clear_pointer (&path, g_free);

  /* One base64 character changed inside the key body. */
  damaged[40] = damaged[40] == 'A' ? 'B' : 'A';
  path = write_file (f, "damaged.pem", damaged, -1);
  assert_load_fails (path);
  g_clear_pointer (&path, g_free);

  big = g_strnfill (1024 * 1024, 'A');
  path = write_file (f, "big.pem", big, -1);
  assert_load_fails (path);
  g_clear_pointer (&path, g_free);

  EVP_PKEY_free (ec);
  EVP_PKEY_free (x25519);
  EVP_PKEY_free (ed);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/org-key/sign-verify", test_sign_verify);
  g_test_add_func ("/org-key/other-key-rejected", test_other_key_rejected);
  g_test_add_func ("/org-key/public-from-raw", test_public_from_raw);
  g_test_add_func ("/org-key/rfc8032", test_rfc8032);
  g_test_add ("/org-key/save-load", Fixture, NULL, fixture_set_up, test_save_load,
              fixture_tear_down);
  g_test_add ("/org-key/load-bad-files", Fixture, NULL, fixture_set_up, test_load_bad_files,
              fixture_tear_down);

  return g_test_run ();
}
