/* test-tls-cert.c: the server's self-signed certificate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-test"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-tls-cert.h"

typedef struct
{
  char *dir;
  char *cert;
  char *key;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("rh-tls-cert-XXXXXX", &error);
  g_assert_no_error (error);
  f->cert = g_build_filename (f->dir, "server.crt", NULL);
  f->key = g_build_filename (f->dir, "server.key", NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_unlink (f->cert);
  g_unlink (f->key);
  g_rmdir (f->dir);
  g_free (f->cert);
  g_free (f->key);
  g_free (f->dir);
}

static X509 *
load_cert (const char *path)
{
  FILE *fp = fopen (path, "r");
  X509 *cert;

  g_assert_nonnull (fp);
  cert = PEM_read_X509 (fp, NULL, NULL, NULL);
  fclose (fp);
  g_assert_nonnull (cert);
  return cert;
}

static EVP_PKEY *
load_key (const char *path)
{
  FILE *fp = fopen (path, "r");
  EVP_PKEY *key;

  g_assert_nonnull (fp);
  key = PEM_read_PrivateKey (fp, NULL, NULL, NULL);
  fclose (fp);
  g_assert_nonnull (key);
  return key;
}

static void
der_sha256 (X509   *cert,
            guint8  out[32])
{
  unsigned char *der = NULL;
  unsigned int len = 32;
  int der_len = i2d_X509 (cert, &der);

  g_assert_cmpint (der_len, >, 0);
  g_assert_true (EVP_Digest (der, (size_t) der_len, out, &len, EVP_sha256 (), NULL));
  g_assert_cmpuint (len, ==, 32);
  OPENSSL_free (der);
}

static void
test_generate (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GStatBuf st;
  X509 *cert;
  EVP_PKEY *key;
  char group[64] = "";
  int days = 0, secs = 0;

  g_assert_true (rh_tls_cert_generate (f->cert, f->key, "rh-test-host", &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (f->key, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (f->cert, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0077 & ~0044, ==, 0);

  cert = load_cert (f->cert);
  key = load_key (f->key);

  /* EC P-256, and the certificate holds its public half. */
  g_assert_cmpint (EVP_PKEY_get_base_id (key), ==, EVP_PKEY_EC);
  g_assert_true (EVP_PKEY_get_group_name (key, group, sizeof group, NULL));
  g_assert_cmpstr (group, ==, "prime256v1");
  g_assert_true (X509_check_private_key (cert, key));

  /* X.509 v3, ECDSA with SHA-256, self-issued, positive serial. */
  g_assert_cmpint (X509_get_version (cert), ==, X509_VERSION_3);
  g_assert_cmpint (X509_get_signature_nid (cert), ==, NID_ecdsa_with_SHA256);
  g_assert_cmpint (X509_NAME_cmp (X509_get_subject_name (cert), X509_get_issuer_name (cert)),
                   ==, 0);
  g_assert_cmpint (X509_verify (cert, key), ==, 1);
  {
    BIGNUM *bn = ASN1_INTEGER_to_BN (X509_get0_serialNumber (cert), NULL);
    g_assert_false (BN_is_negative (bn));
    g_assert_false (BN_is_zero (bn));
    BN_free (bn);
  }

  /* Valid now, for about five years. */
  g_assert_cmpint (X509_cmp_current_time (X509_get0_notBefore (cert)), <, 0);
  g_assert_true (ASN1_TIME_diff (&days, &secs, NULL, X509_get0_notAfter (cert)));
  g_assert_cmpint (days, >=, 5 * 365 - 1);
  g_assert_cmpint (days, <=, 5 * 366);

  EVP_PKEY_free (key);
  X509_free (cert);
}

static void
test_san (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GENERAL_NAMES *names;
  gboolean dns_localhost = FALSE, dns_host = FALSE, ip4 = FALSE, ip6 = FALSE;
  X509 *cert;

  g_assert_true (rh_tls_cert_generate (f->cert, f->key, "rh-test-host", &error));
  g_assert_no_error (error);
  cert = load_cert (f->cert);

  names = X509_get_ext_d2i (cert, NID_subject_alt_name, NULL, NULL);
  g_assert_nonnull (names);
  for (int i = 0; i < sk_GENERAL_NAME_num (names); i++)
    {
      const GENERAL_NAME *gn = sk_GENERAL_NAME_value (names, i);
      int type;
      void *value = GENERAL_NAME_get0_value (gn, &type);

      if (type == GEN_DNS)
        {
          const char *s = (const char *) ASN1_STRING_get0_data (value);

          if (g_strcmp0 (s, "localhost") == 0)
            dns_localhost = TRUE;
          else if (g_strcmp0 (s, "rh-test-host") == 0)
            dns_host = TRUE;
          else
            g_assert_not_reached ();
        }
      else if (type == GEN_IPADD)
        {
          static const guint8 lo4[4] = { 127, 0, 0, 1 };
          static const guint8 lo6[16] = { [15] = 1 };
          const guint8 *b = ASN1_STRING_get0_data (value);
          int len = ASN1_STRING_length (value);

          if (len == 4 && memcmp (b, lo4, 4) == 0)
            ip4 = TRUE;
          else if (len == 16 && memcmp (b, lo6, 16) == 0)
            ip6 = TRUE;
          else
            g_assert_not_reached ();
        }
      else
        g_assert_not_reached ();
    }
  GENERAL_NAMES_free (names);
  g_assert_true (dns_localhost && dns_host && ip4 && ip6);

  /* The names are checked the way a TLS client checks them. */
  g_assert_cmpint (X509_check_host (cert, "localhost", 0, 0, NULL), ==, 1);
  g_assert_cmpint (X509_check_host (cert, "rh-test-host", 0, 0, NULL), ==, 1);
  g_assert_cmpint (X509_check_host (cert, "example.org", 0, 0, NULL), ==, 0);
  g_assert_cmpint (X509_check_ip_asc (cert, "127.0.0.1", 0), ==, 1);
  g_assert_cmpint (X509_check_ip_asc (cert, "::1", 0), ==, 1);
  g_assert_cmpint (X509_check_ip_asc (cert, "127.0.0.2", 0), ==, 0);

  X509_free (cert);
}

/* A client using the certificate file as its only CA accepts it (normal verification). */
static void
test_trust_anchor (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  X509_STORE *store;
  X509_STORE_CTX *ctx;
  X509 *cert;

  g_assert_true (rh_tls_cert_generate (f->cert, f->key, NULL, &error));
  g_assert_no_error (error);
  cert = load_cert (f->cert);

  store = X509_STORE_new ();
  g_assert_cmpint (X509_STORE_load_file (store, f->cert), ==, 1);
  ctx = X509_STORE_CTX_new ();
  g_assert_true (X509_STORE_CTX_init (ctx, store, cert, NULL));
  X509_STORE_CTX_set_purpose (ctx, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set1_host (X509_STORE_CTX_get0_param (ctx), "localhost", 0);
  X509_VERIFY_PARAM_set_auth_level (X509_STORE_CTX_get0_param (ctx), 2);
  g_assert_cmpint (X509_verify_cert (ctx), ==, 1);
  g_assert_cmpint (X509_STORE_CTX_get_error (ctx), ==, X509_V_OK);
  X509_STORE_CTX_free (ctx);

  /* Another host name is refused. */
  ctx = X509_STORE_CTX_new ();
  g_assert_true (X509_STORE_CTX_init (ctx, store, cert, NULL));
  X509_VERIFY_PARAM_set1_host (X509_STORE_CTX_get0_param (ctx), "example.org", 0);
  g_assert_cmpint (X509_verify_cert (ctx), !=, 1);
  g_assert_cmpint (X509_STORE_CTX_get_error (ctx), ==, X509_V_ERR_HOSTNAME_MISMATCH);
  X509_STORE_CTX_free (ctx);

  X509_STORE_free (store);
  X509_free (cert);
}

static void
test_fingerprint (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint8 fp[RH_FINGERPRINT_LEN], expected[32], again[RH_FINGERPRINT_LEN];
  X509 *cert;

  g_assert_true (rh_tls_cert_generate (f->cert, f->key, "rh-test-host", &error));
  g_assert_no_error (error);
  g_assert_true (rh_tls_cert_fingerprint (f->cert, fp, &error));
  g_assert_no_error (error);

  cert = load_cert (f->cert);
  der_sha256 (cert, expected);
  X509_free (cert);
  g_assert_cmpmem (fp, sizeof fp, expected, sizeof expected);

  /* Regenerating gives a new key and certificate. */
  g_assert_true (rh_tls_cert_generate (f->cert, f->key, "rh-test-host", &error));
  g_assert_no_error (error);
  g_assert_true (rh_tls_cert_fingerprint (f->cert, again, &error));
  g_assert_no_error (error);
  g_assert_true (memcmp (fp, again, sizeof fp) != 0);
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing_dir = g_build_filename (f->dir, "missing", "server.key", NULL);
  guint8 fp[RH_FINGERPRINT_LEN];

  /* No such file. */
  g_assert_false (rh_tls_cert_fingerprint (f->cert, fp, &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_DATA_DIR);
  g_clear_error (&error);
  g_assert_false (rh_tls_cert_fingerprint (f->cert, fp, NULL));

  /* Not a certificate. */
  g_assert_true (g_file_set_contents (f->cert, "hello\n", -1, NULL));
  g_assert_false (rh_tls_cert_fingerprint (f->cert, fp, &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_DATA_DIR);
  g_clear_error (&error);

  /* Unwritable location. */
  g_assert_false (rh_tls_cert_generate (f->cert, missing_dir, NULL, &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_DATA_DIR);
  g_clear_error (&error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/tls-cert/generate", Fixture, NULL, fixture_set_up, test_generate,
              fixture_tear_down);
  g_test_add ("/tls-cert/san", Fixture, NULL, fixture_set_up, test_san, fixture_tear_down);
  g_test_add ("/tls-cert/trust-anchor", Fixture, NULL, fixture_set_up, test_trust_anchor,
              fixture_tear_down);
  g_test_add ("/tls-cert/fingerprint", Fixture, NULL, fixture_set_up, test_fingerprint,
              fixture_tear_down);
  g_test_add ("/tls-cert/errors", Fixture, NULL, fixture_set_up, test_errors,
              fixture_tear_down);

  return g_test_run ();
}
