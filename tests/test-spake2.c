/* test-spake2.c: SPAKE2 against the RFC 9382 vectors, and its failure modes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "rh-error.h"
#include "rh-spake2.h"

static const char * const vector_keys[] = {
  "A", "B", "w", "x", "X", "y", "Y", "K", "TT", "Ke", "Ka", "KcA", "KcB", "MAC_A", "MAC_B",
};

static GBytes *
hex_decode (const char *hex)
{
  gsize len = strlen (hex);
  g_autofree guint8 *out = NULL;

  g_assert_cmpuint (len % 2, ==, 0);
  out = g_malloc (len / 2 + 1);
  for (gsize i = 0; i < len / 2; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      g_assert_cmpint (hi, >=, 0);
      g_assert_cmpint (lo, >=, 0);
      out[i] = (guint8) (hi << 4 | lo);
    }
  return g_bytes_new_take (g_steal_pointer (&out), len / 2);
}

static char *
hex_encode (GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%02x", data[i]);
  return g_string_free (s, FALSE);
}

/* Compares in hex so that a failure shows both values. */
static void
assert_bytes_hex (GBytes     *actual,
                  const char *expected_hex,
                  const char *what)
{
  g_autofree char *actual_hex = NULL;

  g_assert_nonnull (actual);
  actual_hex = hex_encode (actual);
  if (g_strcmp0 (actual_hex, expected_hex) != 0)
    g_error ("%s: got %s, expected %s", what, actual_hex, expected_hex);
}

/* Returns the vector sets as hash tables name → value, plus the file-wide M and N. */
static GPtrArray *
load_vectors (GHashTable **out_globals)
{
  const char *dir = g_getenv ("RH_VECTORS");
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_autoptr(GHashTable) globals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTable *current = globals;

  if (dir == NULL)
    g_error ("RH_VECTORS is not set; run this test through meson");
  path = g_build_filename (dir, "spake2-p256-sha256.txt", NULL);
  if (!g_file_get_contents (path, &contents, NULL, &error))
    g_error ("cannot read the SPAKE2 vectors: %s", error->message);

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = lines[i];
      char *hash = strchr (line, '#');
      char *eq;

      if (hash != NULL)
        *hash = '\0';
      g_strstrip (line);
      if (*line == '\0')
        continue;

      if (g_str_has_prefix (line, "[vector ") && g_str_has_suffix (line, "]"))
        {
          current = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
          g_hash_table_insert (current, g_strdup ("name"), g_strdup (line));
          g_ptr_array_add (sets, current);
          continue;
        }

      eq = strchr (line, '=');
      if (eq == NULL)
        g_error ("%s:%u: not a 'name = value' line: %s", path, i + 1, line);
      *eq = '\0';
      g_hash_table_insert (current, g_strdup (g_strstrip (line)), g_strdup (g_strstrip (eq + 1)));
    }

  *out_globals = g_steal_pointer (&globals);
  return g_steal_pointer (&sets);
}

static void
test_vectors (void)
{
  g_autoptr(GHashTable) globals = NULL;
  g_autoptr(GPtrArray) sets = load_vectors (&globals);

  g_assert_nonnull (g_hash_table_lookup (globals, "M"));
  g_assert_nonnull (g_hash_table_lookup (globals, "N"));
  g_assert_cmpuint (sets->len, >=, 1);

  for (guint i = 0; i < sets->len; i++)
    {
      GHashTable *v = sets->pdata[i];
      const char *name = g_hash_table_lookup (v, "name");
      g_autoptr(GBytes) w = NULL;
      g_autoptr(GBytes) x = NULL;
      g_autoptr(GBytes) y = NULL;
      g_autoptr(RhSpake2) a = NULL;
      g_autoptr(RhSpake2) b = NULL;
      g_autoptr(GBytes) msg_a = NULL;
      g_autoptr(GBytes) msg_b = NULL;
      g_autoptr(GBytes) conf_a = NULL;
      g_autoptr(GBytes) conf_b = NULL;
      g_autoptr(GBytes) key_a = NULL;
      g_autoptr(GBytes) key_b = NULL;
      g_autoptr(GError) error = NULL;
      static const char * const intermediates[] = { "K", "TT", "Ke", "Ka", "KcA", "KcB",
                                                    "MAC_A", "MAC_B" };

      g_test_message ("checking %s", name);
      for (gsize k = 0; k < G_N_ELEMENTS (vector_keys); k++)
        if (!g_hash_table_contains (v, vector_keys[k]))
          g_error ("%s has no value %s", name, vector_keys[k]);

      w = hex_decode (g_hash_table_lookup (v, "w"));
      x = hex_decode (g_hash_table_lookup (v, "x"));
      y = hex_decode (g_hash_table_lookup (v, "y"));

      a = rh_spake2_new (RH_SPAKE2_ROLE_A, g_hash_table_lookup (v, "A"),
                         g_hash_table_lookup (v, "B"), g_bytes_get_data (w, NULL),
                         g_bytes_get_size (w), &error);
      g_assert_no_error (error);
      b = rh_spake2_new (RH_SPAKE2_ROLE_B, g_hash_table_lookup (v, "A"),
                         g_hash_table_lookup (v, "B"), g_bytes_get_data (w, NULL),
                         g_bytes_get_size (w), &error);
      g_assert_no_error (error);

      g_assert_true (rh_spake2_set_scalar_for_testing (a, g_bytes_get_data (x, NULL),
                                                       g_bytes_get_size (x), &error));
      g_assert_no_error (error);
      g_assert_true (rh_spake2_set_scalar_for_testing (b, g_bytes_get_data (y, NULL),
                                                       g_bytes_get_size (y), &error));
      g_assert_no_error (error);

      msg_a = rh_spake2_get_message (a);
      msg_b = rh_spake2_get_message (b);
      assert_bytes_hex (msg_a, g_hash_table_lookup (v, "X"), "X");
      assert_bytes_hex (msg_b, g_hash_table_lookup (v, "Y"), "Y");

      g_assert_null (rh_spake2_get_confirmation (a));
      g_assert_null (rh_spake2_get_value_for_testing (a, "K"));

      g_assert_true (rh_spake2_process (a, g_bytes_get_data (msg_b, NULL),
                                        g_bytes_get_size (msg_b), &error));
      g_assert_no_error (error);
      g_assert_true (rh_spake2_process (b, g_bytes_get_data (msg_a, NULL),
                                        g_bytes_get_size (msg_a), &error));
      g_assert_no_error (error);

      for (gsize k = 0; k < G_N_ELEMENTS (intermediates); k++)
        {
          const char *expected = g_hash_table_lookup (v, intermediates[k]);
          g_autoptr(GBytes) from_a = rh_spake2_get_value_for_testing (a, intermediates[k]);
          g_autoptr(GBytes) from_b = rh_spake2_get_value_for_testing (b, intermediates[k]);

          assert_bytes_hex (from_a, expected, intermediates[k]);
          assert_bytes_hex (from_b, expected, intermediates[k]);
        }

      conf_a = rh_spake2_get_confirmation (a);
      conf_b = rh_spake2_get_confirmation (b);
      assert_bytes_hex (conf_a, g_hash_table_lookup (v, "MAC_A"), "MAC_A");
      assert_bytes_hex (conf_b, g_hash_table_lookup (v, "MAC_B"), "MAC_B");

      g_assert_null (rh_spake2_get_shared_key (a));
      g_assert_null (rh_spake2_get_shared_key (b));

      g_assert_true (rh_spake2_verify_confirmation (a, g_bytes_get_data (conf_b, NULL),
                                                    g_bytes_get_size (conf_b), &error));
      g_assert_no_error (error);
      g_assert_true (rh_spake2_verify_confirmation (b, g_bytes_get_data (conf_a, NULL),
                                                    g_bytes_get_size (conf_a), &error));
      g_assert_no_error (error);

      key_a = rh_spake2_get_shared_key (a);
      key_b = rh_spake2_get_shared_key (b);
      assert_bytes_hex (key_a, g_hash_table_lookup (v, "Ke"), "Ke (A)");
      assert_bytes_hex (key_b, g_hash_table_lookup (v, "Ke"), "Ke (B)");
    }
}

typedef struct
{
  gboolean ok_a;
  gboolean ok_b;
  GError *error_a;
  GError *error_b;
} Exchange;

static void
exchange_clear (Exchange *ex)
{
  g_clear_error (&ex->error_a);
  g_clear_error (&ex->error_b);
}

/* Runs the whole exchange; both processes must succeed, the confirmations may not. */
static void
run_exchange (RhSpake2 *a,
              RhSpake2 *b,
              Exchange *ex)
{
  g_autoptr(GBytes) msg_a = rh_spake2_get_message (a);
  g_autoptr(GBytes) msg_b = rh_spake2_get_message (b);
  g_autoptr(GBytes) conf_a = NULL;
  g_autoptr(GBytes) conf_b = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (g_bytes_get_size (msg_a), ==, RH_SPAKE2_MESSAGE_LEN);
  g_assert_cmpuint (g_bytes_get_size (msg_b), ==, RH_SPAKE2_MESSAGE_LEN);

  g_assert_true (rh_spake2_process (b, g_bytes_get_data (msg_a, NULL),
                                    g_bytes_get_size (msg_a), &error));
  g_assert_no_error (error);
  g_assert_true (rh_spake2_process (a, g_bytes_get_data (msg_b, NULL),
                                    g_bytes_get_size (msg_b), &error));
  g_assert_no_error (error);

  conf_a = rh_spake2_get_confirmation (a);
  conf_b = rh_spake2_get_confirmation (b);
  g_assert_cmpuint (g_bytes_get_size (conf_a), ==, RH_SPAKE2_MAC_LEN);
  g_assert_cmpuint (g_bytes_get_size (conf_b), ==, RH_SPAKE2_MAC_LEN);

  ex->ok_b = rh_spake2_verify_confirmation (b, g_bytes_get_data (conf_a, NULL),
                                            g_bytes_get_size (conf_a), &ex->error_b);
  ex->ok_a = rh_spake2_verify_confirmation (a, g_bytes_get_data (conf_b, NULL),
                                            g_bytes_get_size (conf_b), &ex->error_a);
}

static void
test_random_exchange (void)
{
  g_autoptr(RhSpake2) a = NULL;
  g_autoptr(RhSpake2) b = NULL;
  g_autoptr(RhSpake2) a2 = NULL;
  g_autoptr(GBytes) key_a = NULL;
  g_autoptr(GBytes) key_b = NULL;
  g_autoptr(GBytes) msg_a = NULL;
  g_autoptr(GBytes) msg_a2 = NULL;
  g_autoptr(GError) error = NULL;
  Exchange ex = { 0 };

  a = rh_spake2_new_from_password (RH_SPAKE2_ROLE_A, "sharer", "helper", "rh pairing v1",
                                   "482-913", &error);
  g_assert_no_error (error);
  b = rh_spake2_new_from_password (RH_SPAKE2_ROLE_B, "sharer", "helper", "rh pairing v1",
                                   "482-913", &error);
  g_assert_no_error (error);

  /* The ephemeral scalar is random, so two runs with one password give different shares. */
  a2 = rh_spake2_new_from_password (RH_SPAKE2_ROLE_A, "sharer", "helper", "rh pairing v1",
                                    "482-913", &error);
  g_assert_no_error (error);
  msg_a = rh_spake2_get_message (a);
  msg_a2 = rh_spake2_get_message (a2);
  g_assert_false (g_bytes_equal (msg_a, msg_a2));

  run_exchange (a, b, &ex);
  g_assert_no_error (ex.error_a);
  g_assert_no_error (ex.error_b);
  g_assert_true (ex.ok_a);
  g_assert_true (ex.ok_b);

  key_a = rh_spake2_get_shared_key (a);
  key_b = rh_spake2_get_shared_key (b);
  g_assert_nonnull (key_a);
  g_assert_cmpuint (g_bytes_get_size (key_a), ==, RH_SPAKE2_KEY_LEN);
  g_assert_true (g_bytes_equal (key_a, key_b));
  exchange_clear (&ex);
}

static void
assert_confirmation_fails (RhSpake2 *a,
                           RhSpake2 *b)
{
  Exchange ex = { 0 };

  run_exchange (a, b, &ex);
  g_assert_false (ex.ok_a);
  g_assert_false (ex.ok_b);
  g_assert_error (ex.error_a, RH_CRYPTO_ERROR, RH_ERROR_KEY_CONFIRMATION);
  g_assert_error (ex.error_b, RH_CRYPTO_ERROR, RH_ERROR_KEY_CONFIRMATION);
  g_assert_null (rh_spake2_get_shared_key (a));
  g_assert_null (rh_spake2_get_shared_key (b));
  exchange_clear (&ex);
}

static void
test_wrong_password (void)
{
  g_autoptr(RhSpake2) a = NULL;
  g_autoptr(RhSpake2) b = NULL;
  g_autoptr(GBytes) conf_b = NULL;
  g_autoptr(GError) error = NULL;

  a = rh_spake2_new_from_password (RH_SPAKE2_ROLE_A, "sharer", "helper", "rh pairing v1",
                                   "482-913", &error);
  g_assert_no_error (error);
  b = rh_spake2_new_from_password (RH_SPAKE2_ROLE_B, "sharer", "helper", "rh pairing v1",
                                   "482-914", &error);
  g_assert_no_error (error);
  assert_confirmation_fails (a, b);

  /* A failed exchange stays failed: no second chance with another MAC, not even B's real one. */
  conf_b = rh_spake2_get_confirmation (b);
  g_assert_false (rh_spake2_verify_confirmation (a, g_bytes_get_data (conf_b, NULL),
                                                 g_bytes_get_size (conf_b), &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_KEY_CONFIRMATION);
  g_assert_null (rh_spake2_get_shared_key (a));
}

static void
test_wrong_context (void)
{
  g_autoptr(RhSpake2) a = NULL;
  g_autoptr(RhSpake2) b = NULL;
  g_autoptr(GError) error = NULL;

  a = rh_spake2_new_from_password (RH_SPAKE2_ROLE_A, "sharer", "helper", "rh pairing v1",
                                   "482-913", &error);
  g_assert_no_error (error);
  b = rh_spake2_new_from_password (RH_SPAKE2_ROLE_B, "sharer", "helper", "rh pairing v2",
                                   "482-913", &error);
  g_assert_no_error (error);
  assert_confirmation_fails (a, b);
}

static void
test_identity_mismatch (void)
{
  g_autoptr(RhSpake2) a = NULL;
  g_autoptr(RhSpake2) b = NULL;
  g_autoptr(GError) error = NULL;

  a = rh_spake2_new_from_password (RH_SPAKE2_ROLE_A, "sharer", "helper", "rh pairing v1",
                                   "482-913", &error);
  g_assert_no_error (error);
  b = rh_spake2_new_from_password (RH_SPAKE2_ROLE_B, "mallory", "helper", "rh pairing v1",
                                   "482-913", &error);
  g_assert_no_error (error);
  assert_confirmation_fails (a, b);
}

static void
test_wrong_mac_length (void)
{
  g_autoptr(RhSpake2) a = NULL;
  g_autoptr(RhSpake2) b = NULL;
  g_autoptr(GBytes) msg_a = NULL;
  g_autoptr(GBytes) msg_b = NULL;
  g_autoptr(GBytes) conf_b = NULL;
  g_autoptr(GError) error = NULL;

  a = rh_spake2_new_from_password (RH_SPAKE2_ROLE_A, "a", "b", "ctx", "pw", &error);
  g_assert_no_error (error);
  b = rh_spake2_new_from_password (RH_SPAKE2_ROLE_B, "a", "b", "ctx", "pw", &error);
  g_assert_no_error (error);

  /* Before process() there is nothing to confirm. */
  g_assert_false (rh_spake2_verify_confirmation (a, (const guint8 *) "x", 1, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO);
  g_clear_error (&error);

  msg_a = rh_spake2_get_message (a);
  msg_b = rh_spake2_get_message (b);
  g_assert_true (rh_spake2_process (a, g_bytes_get_data (msg_b, NULL), 65, &error));
  g_assert_true (rh_spake2_process (b, g_bytes_get_data (msg_a, NULL), 65, &error));
  g_assert_no_error (error);

  /* A truncated but otherwise right MAC must not pass. */
  conf_b = rh_spake2_get_confirmation (b);
  g_assert_false (rh_spake2_verify_confirmation (a, g_bytes_get_data (conf_b, NULL), 16,
                                                 &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_KEY_CONFIRMATION);
  g_assert_null (rh_spake2_get_shared_key (a));
}

static void
assert_rejected (RhSpake2     *self,
                 const guint8 *data,
                 gsize         len)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (rh_spake2_process (self, data, len, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO);
  g_assert_null (rh_spake2_get_confirmation (self));
}

static void
test_invalid_peer_messages (void)
{
  g_autoptr(RhSpake2) a = NULL;
  g_autoptr(RhSpake2) b = NULL;
  g_autoptr(GBytes) msg_b = NULL;
  g_autoptr(GError) error = NULL;
  guint8 buf[RH_SPAKE2_MESSAGE_LEN + 1];
  const guint8 *good;

  a = rh_spake2_new_from_password (RH_SPAKE2_ROLE_A, "a", "b", "ctx", "pw", &error);
  g_assert_no_error (error);
  b = rh_spake2_new_from_password (RH_SPAKE2_ROLE_B, "a", "b", "ctx", "pw", &error);
  g_assert_no_error (error);
  msg_b = rh_spake2_get_message (b);
  good = g_bytes_get_data (msg_b, NULL);

  /* Wrong lengths. */
  assert_rejected (a, good, 0);
  assert_rejected (a, good, 33);
  assert_rejected (a, good, 64);
  memcpy (buf, good, 65);
  buf[65] = 0;
  assert_rejected (a, buf, 66);

  /* The compressed form of the same point, and its prefix on a full-length buffer. */
  memcpy (buf, good, 33);
  buf[0] = 0x02 | (good[64] & 1);
  assert_rejected (a, buf, 33);
  memcpy (buf, good, 65);
  buf[0] = 0x02;
  assert_rejected (a, buf, 65);
  buf[0] = 0x06; /* hybrid form */
  assert_rejected (a, buf, 65);

  /* Off the curve: y changed by one. */
  memcpy (buf, good, 65);
  buf[64] ^= 0x01;
  assert_rejected (a, buf, 65);

  /* All zero, and 0x04 followed by zeros (not on the curve either). */
  memset (buf, 0, sizeof buf);
  assert_rejected (a, buf, 65);
  buf[0] = 0x04;
  assert_rejected (a, buf, 65);

  /* Coordinates not below p. */
  memset (buf, 0xff, sizeof buf);
  buf[0] = 0x04;
  assert_rejected (a, buf, 65);

  /* None of this consumed the exchange: the genuine share still works. */
  g_assert_true (rh_spake2_process (a, good, 65, &error));
  g_assert_no_error (error);

  /* And a second share is refused. */
  g_assert_false (rh_spake2_process (a, good, 65, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO);
}

/* A share equal to w*N makes A's K the point at infinity; it must be refused. */
static void
test_share_yields_infinity (void)
{
  static const guint8 w[32] = { [31] = 7 };
  static const guint8 n_compressed[33] = {
    0x03, 0xd8, 0xbb, 0xd6, 0xc6, 0x39, 0xc6, 0x29, 0x37, 0xb0, 0x4d, 0x99, 0x7f, 0x38, 0xc3,
    0x77, 0x07, 0x19, 0xc6, 0x29, 0xd7, 0x01, 0x4d, 0x49, 0xa2, 0x4b, 0x4f, 0x98, 0xba, 0xa1,
    0x29, 0x2b, 0x49,
  };
  g_autoptr(RhSpake2) a = NULL;
  g_autoptr(GError) error = NULL;
  EC_GROUP *group;
  EC_POINT *n, *wn;
  BIGNUM *bw;
  guint8 buf[RH_SPAKE2_MESSAGE_LEN];

  group = EC_GROUP_new_by_curve_name (NID_X9_62_prime256v1);
  n = EC_POINT_new (group);
  wn = EC_POINT_new (group);
  bw = BN_bin2bn (w, sizeof w, NULL);
  g_assert_cmpint (EC_POINT_oct2point (group, n, n_compressed, 33, NULL), ==, 1);
  g_assert_cmpint (EC_POINT_mul (group, wn, NULL, n, bw, NULL), ==, 1);
  g_assert_cmpuint (EC_POINT_point2oct (group, wn, POINT_CONVERSION_UNCOMPRESSED, buf,
                                        sizeof buf, NULL), ==, sizeof buf);

  a = rh_spake2_new (RH_SPAKE2_ROLE_A, "a", "b", w, sizeof w, &error);
  g_assert_no_error (error);
  assert_rejected (a, buf, sizeof buf);

  BN_free (bw);
  EC_POINT_free (wn);
  EC_POINT_free (n);
  EC_GROUP_free (group);
}

static void
test_bad_scalars (void)
{
  static const guint8 zero[32] = { 0 };
  guint8 big[32];
  g_autoptr(RhSpake2) a = NULL;
  g_autoptr(GError) error = NULL;

  memset (big, 0xff, sizeof big);

  /* w must be exactly 32 bytes and below n. */
  g_assert_null (rh_spake2_new (RH_SPAKE2_ROLE_A, "a", "b", zero, 31, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO);
  g_clear_error (&error);
  g_assert_null (rh_spake2_new (RH_SPAKE2_ROLE_A, "a", "b", big, 32, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO);
  g_clear_error (&error);

  a = rh_spake2_new (RH_SPAKE2_ROLE_A, NULL, NULL, zero, 32, &error);
  g_assert_no_error (error);
  g_assert_false (rh_spake2_set_scalar_for_testing (a, zero, 32, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO);
  g_clear_error (&error);
  g_assert_false (rh_spake2_set_scalar_for_testing (a, big, 32, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO);
  g_clear_error (&error);
  g_assert_false (rh_spake2_set_scalar_for_testing (a, big, 16, &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/spake2/rfc9382-vectors", test_vectors);
  g_test_add_func ("/spake2/random-exchange", test_random_exchange);
  g_test_add_func ("/spake2/wrong-password", test_wrong_password);
  g_test_add_func ("/spake2/wrong-context", test_wrong_context);
  g_test_add_func ("/spake2/identity-mismatch", test_identity_mismatch);
  g_test_add_func ("/spake2/wrong-mac-length", test_wrong_mac_length);
  g_test_add_func ("/spake2/invalid-peer-messages", test_invalid_peer_messages);
  g_test_add_func ("/spake2/share-yields-infinity", test_share_yields_infinity);
  g_test_add_func ("/spake2/bad-scalars", test_bad_scalars);

  return g_test_run ();
}
