/* rh-tls-cert.c: the server's self-signed TLS certificate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-tls-cert.h"

#define VALIDITY_DAYS (5 * 365 + 1)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free_all)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GENERAL_NAMES, GENERAL_NAMES_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_EXTENSION, X509_EXTENSION_free)

static gboolean
crypto_error (GError    **error,
              const char *what)
{
  unsigned long e = ERR_get_error ();
  char buf[256] = "";

  if (e != 0)
    ERR_error_string_n (e, buf, sizeof buf);
  ERR_clear_error ();
  g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CRYPTO,
               "Could not create the TLS certificate: %s%s%s",
               what, buf[0] ? ": " : "", buf);
  return FALSE;
}

/* Takes local_error; file system failures are RH_ERROR_DATA_DIR. */
static gboolean
data_dir_error (GError    **error,
                GError     *local_error,
                const char *what)
{
  g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_DATA_DIR, "%s: %s", what,
               local_error->message);
  g_error_free (local_error);
  return FALSE;
}

static gboolean
add_dns_name (GENERAL_NAMES *names,
              const char    *dns)
{
  GENERAL_NAME *gn = GENERAL_NAME_new ();
  ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new ();

  if (gn == NULL || ia5 == NULL || !ASN1_STRING_set (ia5, dns, -1))
    {
      GENERAL_NAME_free (gn);
      ASN1_IA5STRING_free (ia5);
      return FALSE;
    }
  GENERAL_NAME_set0_value (gn, GEN_DNS, ia5);
  if (!sk_GENERAL_NAME_push (names, gn))
    {
      GENERAL_NAME_free (gn);
      return FALSE;
    }
  return TRUE;
}

static gboolean
add_ip_address (GENERAL_NAMES *names,
                const char    *ip)
{
  GENERAL_NAME *gn;
  ASN1_OCTET_STRING *os = a2i_IPADDRESS (ip);

  if (os == NULL)
    return FALSE;
  gn = GENERAL_NAME_new ();
  if (gn == NULL)
    {
      ASN1_OCTET_STRING_free (os);
      return FALSE;
    }
  GENERAL_NAME_set0_value (gn, GEN_IPADD, os);
  if (!sk_GENERAL_NAME_push (names, gn))
    {
      GENERAL_NAME_free (gn);
      return FALSE;
    }
  return TRUE;
}

/* A host name fit for a DNS subjectAltName: letters, digits, '-' and '.' only. */
static gboolean
is_dns_name (const char *name)
{
  if (name == NULL || name[0] == '\0' || strlen (name) > 253)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
add_extension (X509       *cert,
               X509V3_CTX *ctx,
               int         nid,
               const char *value)
{
  g_autoptr(X509_EXTENSION) ext = X509V3_EXT_conf_nid (NULL, ctx, nid, value);

  return ext != NULL && X509_add_ext (cert, ext, -1);
}

static char *
pem_to_string (BIO   *bio,
               gsize *len)
{
  BUF_MEM *mem = NULL;

  BIO_get_mem_ptr (bio, &mem);
  *len = mem->length;
  return g_strndup (mem->data, mem->length);
}

gboolean
rh_tls_cert_generate (const char  *cert_path,
                      const char  *key_path,
                      const char  *hostname,
                      GError     **error)
{
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509) cert = NULL;
  g_autoptr(BIGNUM) serial = NULL;
  g_autoptr(GENERAL_NAMES) names = NULL;
  g_autoptr(BIO) key_bio = NULL;
  g_autoptr(BIO) cert_bio = NULL;
  g_autofree char *ascii_host = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *cert_pem = NULL;
  GError *local_error = NULL;
  const char *cn;
  X509V3_CTX v3;
  X509_NAME *name;
  gsize key_len, cert_len;
  gboolean ok;

  g_return_val_if_fail (cert_path != NULL, FALSE);
  g_return_val_if_fail (key_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (hostname == NULL)
    hostname = g_get_host_name ();
  ascii_host = g_hostname_to_ascii (hostname);
  if (ascii_host != NULL && !is_dns_name (ascii_host))
    g_clear_pointer (&ascii_host, g_free);
  cn = ascii_host != NULL ? ascii_host : "localhost";

  ERR_clear_error ();

  key = EVP_EC_gen ("P-256");
  if (key == NULL)
    return crypto_error (error, "EC P-256 key generation failed");

  cert = X509_new ();
  serial = BN_new ();
  if (cert == NULL || serial == NULL)
    return crypto_error (error, "out of memory");

  /* Positive, at most 20 octets (RFC 5280 §4.1.2.2). */
  if (!X509_set_version (cert, X509_VERSION_3) ||
      !BN_rand (serial, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
      BN_to_ASN1_INTEGER (serial, X509_get_serialNumber (cert)) == NULL)
    return crypto_error (error, "serial number");

  if (X509_gmtime_adj (X509_getm_notBefore (cert), -60 * 60) == NULL ||
      X509_time_adj_ex (X509_getm_notAfter (cert), VALIDITY_DAYS, 0, NULL) == NULL)
    return crypto_error (error, "validity");

  name = X509_get_subject_name (cert);
  if (!X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8,
                                   (const unsigned char *) "Remote Help", -1, -1, 0) ||
      !X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8,
                                   (const unsigned char *) cn, -1, -1, 0) ||
      !X509_set_issuer_name (cert, name) ||
      !X509_set_pubkey (cert, key))
    return crypto_error (error, "subject");

  names = sk_GENERAL_NAME_new_null ();
  if (names == NULL ||
      !add_dns_name (names, "localhost") ||
      (ascii_host != NULL && g_ascii_strcasecmp (ascii_host, "localhost") != 0 &&
       !add_dns_name (names, ascii_host)) ||
      !add_ip_address (names, "127.0.0.1") ||
      !add_ip_address (names, "::1") ||
      !X509_add1_ext_i2d (cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT))
    return crypto_error (error, "subjectAltName");

  /* An end-entity certificate. Clients that use the file as their CA file still accept it:
   * OpenSSL 3 takes a self-signed certificate found in the trust store as the anchor of a
   * one-element chain without requiring CA:TRUE or keyCertSign (checked by test-tls-cert). */
  X509V3_set_ctx (&v3, cert, cert, NULL, NULL, 0);
  if (!add_extension (cert, &v3, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension (cert, &v3, NID_key_usage, "critical,digitalSignature") ||
      !add_extension (cert, &v3, NID_ext_key_usage, "serverAuth") ||
      !add_extension (cert, &v3, NID_subject_key_identifier, "hash") ||
      !add_extension (cert, &v3, NID_authority_key_identifier, "keyid:always"))
    return crypto_error (error, "extensions");

  if (X509_sign (cert, key, EVP_sha256 ()) == 0)
    return crypto_error (error, "signature");

  /* The private key only ever lives in secure memory until it is written out. */
  key_bio = BIO_new (BIO_s_secmem ());
  cert_bio = BIO_new (BIO_s_mem ());
  if (key_bio == NULL || cert_bio == NULL ||
      !PEM_write_bio_PrivateKey (key_bio, key, NULL, NULL, 0, NULL, NULL) ||
      !PEM_write_bio_X509 (cert_bio, cert))
    return crypto_error (error, "PEM encoding");

  key_pem = pem_to_string (key_bio, &key_len);
  cert_pem = pem_to_string (cert_bio, &cert_len);

  /* Written to a temporary file with the final mode, then renamed into place. */
  ok = g_file_set_contents_full (key_path, key_pem, key_len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error);
  OPENSSL_cleanse (key_pem, key_len);
  if (!ok)
    return data_dir_error (error, local_error, "Could not write the TLS key");

  if (!g_file_set_contents_full (cert_path, cert_pem, cert_len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local_error))
    return data_dir_error (error, local_error, "Could not write the TLS certificate");

  return TRUE;
}

gboolean
rh_tls_cert_fingerprint (const char  *cert_path,
                         guint8      *out,
                         GError     **error)
{
  g_autoptr(BIO) bio = NULL;
  g_autoptr(X509) cert = NULL;
  g_autofree char *contents = NULL;
  GError *local_error = NULL;
  unsigned char *der = NULL;
  gsize len = 0;
  int der_len;

  g_return_val_if_fail (cert_path != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_file_get_contents (cert_path, &contents, &len, &local_error))
    return data_dir_error (error, local_error, "Could not read the TLS certificate");

  bio = BIO_new_mem_buf (contents, (int) MIN (len, G_MAXINT));
  if (bio != NULL)
    cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  ERR_clear_error ();
  if (cert == NULL)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_DATA_DIR,
                   "“%s” does not hold a PEM certificate", cert_path);
      return FALSE;
    }

  der_len = i2d_X509 (cert, &der);
  if (der_len <= 0)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CRYPTO,
                   "The certificate in “%s” could not be encoded", cert_path);
      return FALSE;
    }
  rh_fingerprint_sha256 (der, (gsize) der_len, out);
  OPENSSL_free (der);
  return TRUE;
}
