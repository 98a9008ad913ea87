/* test-password.c: scrypt password hashes and damaged encodings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include "rh-error.h"
#include "rh-password.h"

static gboolean
verify (const char *password,
        const char *encoded)
{
  g_autoptr(GError) error = NULL;
  gboolean match = TRUE;

  g_assert_true (rh_password_verify (password, encoded, &match, &error));
  g_assert_no_error (error);
  return match;
}

static void
test_hash_verify (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = NULL;
  g_auto(GStrv) fields = NULL;

  encoded = rh_password_hash ("correct horse battery staple", &error);
  g_assert_no_error (error);
  g_assert_nonnull (encoded);

  fields = g_strsplit (encoded, "$", 0);
  g_assert_cmpuint (g_strv_length (fields), ==, 6);
  g_assert_cmpstr (fields[0], ==, "scrypt");
  g_assert_cmpstr (fields[1], ==, "32768");
  g_assert_cmpstr (fields[2], ==, "8");
  g_assert_cmpstr (fields[3], ==, "1");
  g_assert_cmpuint (strlen (fields[4]), ==, 24); /* 16 bytes */
  g_assert_cmpuint (strlen (fields[5]), ==, 44); /* 32 bytes */

  g_assert_true (verify ("correct horse battery staple", encoded));
  g_assert_false (verify ("correct horse battery stapl", encoded));
  g_assert_false (verify ("correct horse battery staple ", encoded));
  g_assert_false (verify ("", encoded));
}

static void
test_empty_and_unicode (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *empty = rh_password_hash ("", &error);
  g_autofree char *unicode = NULL;

  g_assert_no_error (error);
  unicode = rh_password_hash ("pässwörd ✓", &error);
  g_assert_no_error (error);

  g_assert_true (verify ("", empty));
  g_assert_false (verify ("x", empty));
  g_assert_true (verify ("pässwörd ✓", unicode));
  g_assert_false (verify ("passwort ✓", unicode));
}

static void
test_salted (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *one = rh_password_hash ("same password", &error);
  g_autofree char *two = NULL;

  g_assert_no_error (error);
  two = rh_password_hash ("same password", &error);
  g_assert_no_error (error);

  g_assert_cmpstr (one, !=, two);
  g_assert_true (verify ("same password", one));
  g_assert_true (verify ("same password", two));
}

/* A known answer with the parameters of RFC 7914's second test vector (N=1024, r=8, p=16),
 * computed with Python's hashlib.scrypt: pins the format and shows that the parameters in
 * the encoding, not the defaults, are used. */
#define KAT_ENCODED \
  "scrypt$1024$8$16$TmFDbC1yaC10ZXN0c2FsdA==$/9UDfRORiVmrgNB1Fl0JYYVDnxXYjoYKq0CaPtS1cXg="

static void
test_known_answer (void)
{
  g_assert_true (verify ("password", KAT_ENCODED));
  g_assert_false (verify ("Password", KAT_ENCODED));
}

static void
test_null_encoded (void)
{
  g_autoptr(GError) error = NULL;
  gboolean match = TRUE;

  g_assert_true (rh_password_verify ("anything", NULL, &match, &error));
  g_assert_no_error (error);
  g_assert_false (match);
}

static void
test_damaged (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *good = rh_password_hash ("secret", &error);
  g_auto(GStrv) f = NULL;
  g_autoptr(GPtrArray) bad = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  f = g_strsplit (good, "$", 0);

#define BAD(...) g_ptr_array_add (bad, g_strdup_printf (__VA_ARGS__))
  BAD ("%s", "");
  BAD ("%s", "scrypt");
  BAD ("%s", "$$$$$");
  BAD ("bcrypt$%s$%s$%s$%s$%s", f[1], f[2], f[3], f[4], f[5]);
  BAD ("SCRYPT$%s$%s$%s$%s$%s", f[1], f[2], f[3], f[4], f[5]);
  BAD ("scrypt$%s$%s$%s$%s", f[1], f[2], f[3], f[4]);          /* truncated: no hash */
  BAD ("scrypt$%s$%s$%s$%s$%s$", f[1], f[2], f[3], f[4], f[5]); /* extra field */
  BAD ("%.*s", (int) strlen (good) - 4, good);                 /* truncated hash */
  BAD ("%.*s", (int) strlen (good) / 2, good);
  /* N */
  BAD ("scrypt$32767$%s$%s$%s$%s", f[2], f[3], f[4], f[5]);
  BAD ("scrypt$30000$%s$%s$%s$%s", f[2], f[3], f[4], f[5]);
  BAD ("scrypt$0$%s$%s$%s$%s", f[2], f[3], f[4], f[5]);
  BAD ("scrypt$1$%s$%s$%s$%s", f[2], f[3], f[4], f[5]);
  BAD ("scrypt$512$%s$%s$%s$%s", f[2], f[3], f[4], f[5]);
  BAD ("scrypt$2097152$%s$%s$%s$%s", f[2], f[3], f[4], f[5]);           /* 2^21 */
  BAD ("scrypt$1073741824$%s$%s$%s$%s", f[2], f[3], f[4], f[5]);        /* 2^30 */
  BAD ("scrypt$18446744073709551616$%s$%s$%s$%s", f[2], f[3], f[4], f[5]); /* 2^64 */
  BAD ("scrypt$-32768$%s$%s$%s$%s", f[2], f[3], f[4], f[5]);
  BAD ("scrypt$+32768$%s$%s$%s$%s", f[2], f[3], f[4], f[5]);
  BAD ("scrypt$ 32768$%s$%s$%s$%s", f[2], f[3], f[4], f[5]);
  BAD ("scrypt$032768$%s$%s$%s$%s", f[2], f[3], f[4], f[5]);
  BAD ("scrypt$0x8000$%s$%s$%s$%s", f[2], f[3], f[4], f[5]);
  BAD ("scrypt$$%s$%s$%s$%s", f[2], f[3], f[4], f[5]);
  /* r and p */
  BAD ("scrypt$%s$0$%s$%s$%s", f[1], f[3], f[4], f[5]);
  BAD ("scrypt$%s$33$%s$%s$%s", f[1], f[3], f[4], f[5]);
  BAD ("scrypt$%s$4294967304$%s$%s$%s", f[1], f[3], f[4], f[5]); /* 2^32 + 8 */
  BAD ("scrypt$%s$%s$0$%s$%s", f[1], f[2], f[4], f[5]);
  BAD ("scrypt$%s$%s$17$%s$%s", f[1], f[2], f[4], f[5]);
  /* each within its bounds, but together 4 GiB of memory or far too much work */
  BAD ("scrypt$1048576$32$1$%s$%s", f[4], f[5]);
  BAD ("scrypt$1048576$8$16$%s$%s", f[4], f[5]);
  BAD ("scrypt$131072$8$16$%s$%s", f[4], f[5]);
  /* base64 */
  BAD ("scrypt$%s$%s$%s$%s$%s", f[1], f[2], f[3], "!!!!", f[5]);
  BAD ("scrypt$%s$%s$%s$%s$%s", f[1], f[2], f[3], f[4], "not*base64");
  BAD ("scrypt$%s$%s$%s$%s$%s", f[1], f[2], f[3], "", f[5]);
  BAD ("scrypt$%s$%s$%s$%s$%s", f[1], f[2], f[3], f[4], "");
  BAD ("scrypt$%s$%s$%s$%s$%s", f[1], f[2], f[3], "AAAA", f[5]);     /* salt too short */
  BAD ("scrypt$%s$%s$%s$%s$%.40s", f[1], f[2], f[3], f[4], f[5]);    /* hash too short */
  BAD ("scrypt$%s$%s$%s$%s$%sAAAA", f[1], f[2], f[3], f[4], f[5]);   /* data after padding */
  BAD ("scrypt$%s$%s$%s$%s$ %s", f[1], f[2], f[3], f[4], f[5]);
#undef BAD

  for (guint i = 0; i < bad->len; i++)
    {
      const char *encoded = bad->pdata[i];
      gboolean match = TRUE;

      g_test_message ("damaged encoding %u", i);
      g_assert_false (rh_password_verify ("secret", encoded, &match, &error));
      g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO);
      g_assert_false (match);
      g_clear_error (&error);
    }

  /* And the original still verifies: the cases above were damaged, not the code. */
  g_assert_true (verify ("secret", good));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/password/hash-verify", test_hash_verify);
  g_test_add_func ("/password/empty-and-unicode", test_empty_and_unicode);
  g_test_add_func ("/password/salted", test_salted);
  g_test_add_func ("/password/known-answer", test_known_answer);
  g_test_add_func ("/password/null-encoded", test_null_encoded);
  g_test_add_func ("/password/damaged", test_damaged);

  return g_test_run ();
}
