/* test-fingerprint.c: SHA-256 fingerprints as people copy them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include "rh-error.h"
#include "rh-fingerprint.h"

/* SHA-256 ("abc"), FIPS 180-2 appendix B.1. */
#define ABC_HEX_PLAIN "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_HEX_COLONS \
  "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:" \
  "B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"

static const guint8 abc_digest[RH_FINGERPRINT_LEN] = {
  0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
  0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};

static void
assert_parses_to_abc (const char *text)
{
  g_autoptr(GError) error = NULL;
  guint8 out[RH_FINGERPRINT_LEN];

  memset (out, 0x55, sizeof out);
  g_assert_true (rh_fingerprint_parse (text, out, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out, sizeof out, abc_digest, sizeof abc_digest);
}

static void
assert_rejected (const char *text)
{
  g_autoptr(GError) error = NULL;
  guint8 out[RH_FINGERPRINT_LEN];

  g_assert_false (rh_fingerprint_parse (text, out, &error));
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_BAD_FINGERPRINT);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
}

static void
test_parse_plain (void)
{
  g_autofree char *upper = g_ascii_strup (ABC_HEX_PLAIN, -1);

  assert_parses_to_abc (ABC_HEX_PLAIN);
  assert_parses_to_abc (upper);
}

static void
test_parse_colons (void)
{
  g_autofree char *lower = g_ascii_strdown (ABC_HEX_COLONS, -1);
  g_autofree char *mixed = g_strdup (ABC_HEX_COLONS);

  /* Lower case for the first digit of each pair only: "bA:78:16:bF:…". */
  for (gsize i = 0; i < strlen (mixed); i += 3)
    mixed[i] = g_ascii_tolower (mixed[i]);

  assert_parses_to_abc (ABC_HEX_COLONS);
  assert_parses_to_abc (lower);
  assert_parses_to_abc (mixed);
}

static void
test_parse_spaces (void)
{
  g_auto(GStrv) pairs = g_strsplit (ABC_HEX_COLONS, ":", -1);
  g_autofree char *spaced = g_strjoinv (" ", pairs);
  g_autofree char *padded = g_strconcat ("  ", ABC_HEX_PLAIN, " ", NULL);
  g_autofree char *both = g_strjoinv (": ", pairs);

  assert_parses_to_abc (spaced);
  assert_parses_to_abc (padded);
  assert_parses_to_abc (both);
}

static void
test_reject_length (void)
{
  g_autofree char *short63 = g_strndup (ABC_HEX_PLAIN, 63);
  g_autofree char *long65 = g_strconcat (ABC_HEX_PLAIN, "a", NULL);
  g_autofree char *long66 = g_strconcat (ABC_HEX_PLAIN, "ab", NULL);
  g_autofree char *short62 = g_strndup (ABC_HEX_PLAIN, 62);
  g_autofree char *colons_short = g_strndup (ABC_HEX_COLONS, strlen (ABC_HEX_COLONS) - 3);
  g_autofree char *colons_long = g_strconcat (ABC_HEX_COLONS, ":00", NULL);

  assert_rejected (short63);
  assert_rejected (long65);
  assert_rejected (long66);
  assert_rejected (short62);
  assert_rejected (colons_short);
  assert_rejected (colons_long);
}

static void
test_reject_non_hex (void)
{
  const char *bad_chars = "gGzZ-_.,;/x\t\n";

  for (const char *c = bad_chars; *c != '\0'; c++)
    {
      g_autofree char *text = g_strdup (ABC_HEX_PLAIN);

      text[10] = *c;
      assert_rejected (text);
    }

  /* A "0x" prefix is not part of the format. */
  {
    g_autofree char *prefixed = g_strconcat ("0x", ABC_HEX_PLAIN, NULL);

    assert_rejected (prefixed);
  }
  /* Non-ASCII (a full-width digit) is not hex either. */
  {
    g_autofree char *text = g_strconcat ("\xef\xbc\x91", ABC_HEX_PLAIN + 1, NULL);

    assert_rejected (text);
  }
}

static void
test_reject_split_pair (void)
{
  /* "A:BC:…": the digits count to 64 but one byte is split across a separator. */
  g_autofree char *split_colon = g_strconcat ("B:A78", ABC_HEX_PLAIN + 4, NULL);
  g_autofree char *split_space = g_strconcat ("B A78", ABC_HEX_PLAIN + 4, NULL);
  g_autofree char *split_middle = g_strdup (ABC_HEX_COLONS);

  g_assert_cmpuint (strlen (split_colon), ==, 65);
  assert_rejected (split_colon);
  assert_rejected (split_space);

  /* "…:4:14:1…" instead of "…:41:41:…" */
  g_assert_cmpint (split_middle[24], ==, '4');
  g_assert_cmpint (split_middle[25], ==, '1');
  g_assert_cmpint (split_middle[26], ==, ':');
  split_middle[25] = ':';
  split_middle[26] = '1';
  assert_rejected (split_middle);
}

static void
test_reject_empty (void)
{
  assert_rejected (NULL);
  assert_rejected ("");
  assert_rejected (":");
  assert_rejected ("   ");
  assert_rejected (":::::::::::::::::::::::::::::::");
}

static void
test_parse_null_error (void)
{
  guint8 out[RH_FINGERPRINT_LEN];

  /* Callers may pass no GError. */
  g_assert_false (rh_fingerprint_parse ("nope", out, NULL));
  g_assert_true (rh_fingerprint_parse (ABC_HEX_PLAIN, out, NULL));
}

static void
test_format (void)
{
  g_autofree char *text = rh_fingerprint_format (abc_digest);
  guint8 zeros[RH_FINGERPRINT_LEN] = { 0 };
  g_autofree char *zeros_text = rh_fingerprint_format (zeros);

  g_assert_cmpstr (text, ==, ABC_HEX_COLONS);
  g_assert_cmpuint (strlen (text), ==, RH_FINGERPRINT_LEN * 3 - 1);
  g_assert_cmpstr (zeros_text, ==,
                   "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
                   "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00");
}

static void
test_format_round_trip (void)
{
  for (int round = 0; round < 200; round++)
    {
      g_autoptr(GError) error = NULL;
      guint8 digest[RH_FINGERPRINT_LEN];
      guint8 back[RH_FINGERPRINT_LEN];
      g_autofree char *text = NULL;

      for (gsize i = 0; i < sizeof digest; i++)
        digest[i] = (guint8) g_test_rand_int_range (0, 256);
      text = rh_fingerprint_format (digest);
      g_assert_true (rh_fingerprint_parse (text, back, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (back, sizeof back, digest, sizeof digest);
    }
}

static void
test_sha256 (void)
{
  guint8 out[RH_FINGERPRINT_LEN];
  g_autofree char *text = NULL;
  /* SHA-256 (""), FIPS 180-2. */
  static const guint8 empty_digest[RH_FINGERPRINT_LEN] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
  };

  rh_fingerprint_sha256 ((const guint8 *) "abc", 3, out);
  g_assert_cmpmem (out, sizeof out, abc_digest, sizeof abc_digest);
  text = rh_fingerprint_format (out);
  g_assert_cmpstr (text, ==, ABC_HEX_COLONS);

  rh_fingerprint_sha256 ((const guint8 *) "", 0, out);
  g_assert_cmpmem (out, sizeof out, empty_digest, sizeof empty_digest);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fingerprint/parse/plain", test_parse_plain);
  g_test_add_func ("/fingerprint/parse/colons", test_parse_colons);
  g_test_add_func ("/fingerprint/parse/spaces", test_parse_spaces);
  g_test_add_func ("/fingerprint/parse/null-error", test_parse_null_error);
  g_test_add_func ("/fingerprint/reject/length", test_reject_length);
  g_test_add_func ("/fingerprint/reject/non-hex", test_reject_non_hex);
  g_test_add_func ("/fingerprint/reject/split-pair", test_reject_split_pair);
  g_test_add_func ("/fingerprint/reject/empty", test_reject_empty);
  g_test_add_func ("/fingerprint/format", test_format);
  g_test_add_func ("/fingerprint/format/round-trip", test_format_round_trip);
  g_test_add_func ("/fingerprint/sha256", test_sha256);

  return g_test_run ();
}
