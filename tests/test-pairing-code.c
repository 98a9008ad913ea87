/* test-pairing-code.c: the security code the helper reads out over the phone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include "rh-error.h"
#include "rh-pairing-code.h"

#define ALPHABET_LEN ((int) (sizeof (RH_PAIRING_ALPHABET) - 1))

static void
test_alphabet (void)
{
  const char *look_alikes = "0O1IL5S8B";

  g_assert_cmpint (ALPHABET_LEN, ==, 27);
  g_assert_cmpint (RH_PAIRING_CODE_LEN, ==, 9);
  for (int i = 0; i < ALPHABET_LEN; i++)
    {
      char c = RH_PAIRING_ALPHABET[i];

      g_assert_true (g_ascii_isupper (c) || g_ascii_isdigit (c));
      g_assert_null (strchr (look_alikes, c));
      g_assert_true (strchr (RH_PAIRING_ALPHABET, c) == RH_PAIRING_ALPHABET + i);
    }
}

static void
test_random_lengths (void)
{
  static const gsize lengths[] = { 0, 1, 4, 5, 9, 31, 32, 33, 100 };

  for (gsize i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      gsize len = lengths[i];
      g_autofree char *buf = g_malloc (len + 2);

      memset (buf, '#', len + 2);
      rh_pairing_code_random (buf, len);
      g_assert_cmpuint (strlen (buf), ==, len);
      g_assert_cmpint (buf[len], ==, '\0');
      g_assert_cmpint (buf[len + 1], ==, '#');
      for (gsize j = 0; j < len; j++)
        g_assert_nonnull (strchr (RH_PAIRING_ALPHABET, buf[j]));
    }
}

static void
test_random_slot_and_secret (void)
{
  for (int round = 0; round < 100; round++)
    {
      RhPairingCode code;
      RhPairingCode back;
      g_autofree char *text = NULL;
      g_autoptr(GError) error = NULL;

      rh_pairing_code_random (code.slot, RH_PAIRING_SLOT_LEN);
      rh_pairing_code_random (code.secret, RH_PAIRING_SECRET_LEN);
      g_assert_true (rh_pairing_code_is_valid_slot (code.slot));
      g_assert_cmpuint (strlen (code.secret), ==, RH_PAIRING_SECRET_LEN);

      text = rh_pairing_code_format (&code);
      g_assert_cmpuint (strlen (text), ==, 11);
      g_assert_true (rh_pairing_code_parse (text, &back, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (back.slot, ==, code.slot);
      g_assert_cmpstr (back.secret, ==, code.secret);
    }
}

/* Pearson's chi-square over the 27 characters of 270,000 draws (26 degrees of freedom, mean 26,
 * standard deviation 7.2). A uniform generator exceeds 100 with probability below 1e-9; taking
 * bytes modulo 27 without rejection (first 13 characters 10/9 as likely) scores about 750. */
static void
test_random_uniform (void)
{
  const gsize per_char = 10000;
  const gsize total = per_char * ALPHABET_LEN;
  const gsize chunk = 1000;
  g_autofree char *buf = g_malloc (chunk + 1);
  gsize counts[ALPHABET_LEN];
  double chi2 = 0;

  memset (counts, 0, sizeof counts);
  for (gsize done = 0; done < total; done += chunk)
    {
      rh_pairing_code_random (buf, chunk);
      for (gsize i = 0; i < chunk; i++)
        {
          const char *p = strchr (RH_PAIRING_ALPHABET, buf[i]);

          g_assert_nonnull (p);
          g_assert_cmpint (buf[i], !=, '\0');
          counts[p - RH_PAIRING_ALPHABET]++;
        }
    }

  for (int i = 0; i < ALPHABET_LEN; i++)
    {
      double d = (double) counts[i] - (double) per_char;

      /* Every character occurs, and none is wildly off (over 10 standard deviations). */
      g_assert_cmpuint (counts[i], >, per_char - 1000);
      g_assert_cmpuint (counts[i], <, per_char + 1000);
      chi2 += d * d / (double) per_char;
    }
  g_test_message ("chi-square over %" G_GSIZE_FORMAT " characters: %.1f", total, chi2);
  g_assert_cmpfloat (chi2, <, 100.0);
}

static void
test_format (void)
{
  RhPairingCode code = { "K7P4", "XQM2R" };
  RhPairingCode other = { "AAAA", "ZZZZZ" };
  g_autofree char *text = rh_pairing_code_format (&code);
  g_autofree char *other_text = rh_pairing_code_format (&other);

  g_assert_cmpstr (text, ==, "K7P-4XQ-M2R");
  g_assert_cmpstr (other_text, ==, "AAA-AZZ-ZZZ");
}

static void
assert_parses (const char *text,
               const char *slot,
               const char *secret)
{
  g_autoptr(GError) error = NULL;
  RhPairingCode code;

  memset (&code, 'x', sizeof code);
  g_assert_true (rh_pairing_code_parse (text, &code, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (code.slot, ==, slot);
  g_assert_cmpstr (code.secret, ==, secret);
}

static void
test_parse_tolerant (void)
{
  assert_parses ("K7P-4XQ-M2R", "K7P4", "XQM2R");
  assert_parses ("k7p-4xq-m2r", "K7P4", "XQM2R");
  assert_parses ("K7p4xQm2R", "K7P4", "XQM2R");
  assert_parses ("K7P 4XQ M2R", "K7P4", "XQM2R");
  assert_parses ("  K7P4XQM2R  ", "K7P4", "XQM2R");
  assert_parses ("K7P.4XQ.M2R", "K7P4", "XQM2R");
  assert_parses ("K7P4-XQM2R", "K7P4", "XQM2R");
  assert_parses ("k 7 p - 4 x q . m 2 r", "K7P4", "XQM2R");
  assert_parses ("--K7P--4XQ--M2R--", "K7P4", "XQM2R");
  assert_parses ("K7P\t4XQ\tM2R", "K7P4", "XQM2R");
  assert_parses ("234-679-ACD", "2346", "79ACD");
  assert_parses ("hjk-mnp-qrt", "HJKM", "NPQRT");
}

/* The error must not echo the text: it may be most of a valid code, and errors get logged. */
static void
assert_rejected (const char *text)
{
  g_autoptr(GError) error = NULL;
  RhPairingCode code;

  g_assert_false (rh_pairing_code_parse (text, &code, &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CODE_FORMAT);
  g_assert_cmpstr (error->message, !=, "");

  if (text != NULL)
    {
      g_autofree char *upper = g_ascii_strup (text, -1);
      g_autofree char *message_upper = g_ascii_strup (error->message, -1);

      if (strlen (text) >= 3)
        {
          g_assert_null (strstr (error->message, text));
          g_assert_null (strstr (message_upper, upper));
        }
      /* The test inputs are built from these groups; none may appear in the message. */
      g_assert_null (strstr (message_upper, "HJK"));
      g_assert_null (strstr (message_upper, "MNP"));
      g_assert_null (strstr (message_upper, "QRT"));
    }
}

static void
test_parse_wrong_length (void)
{
  assert_rejected ("HJK-MNP-QR");
  assert_rejected ("HJK-MNP-QRTW");
  assert_rejected ("HJKMNPQR");
  assert_rejected ("HJKMNPQRTW");
  assert_rejected ("HJK");
  assert_rejected ("H");
}

static void
test_parse_look_alikes (void)
{
  const char *look_alikes = "0O1IL5S8Bolisb";

  for (const char *c = look_alikes; *c != '\0'; c++)
    {
      for (int pos = 0; pos < 11; pos++)
        {
          g_autofree char *text = g_strdup ("HJK-MNP-QRT");

          if (text[pos] == '-')
            continue;
          text[pos] = *c;
          assert_rejected (text);
        }
    }
}

static void
test_parse_punctuation (void)
{
  const char *others = "_/\\,;:+*#!?'\"()[]{}<>=|~`@$%&^";

  for (const char *c = others; *c != '\0'; c++)
    {
      g_autofree char *between = g_strdup_printf ("HJK%cMNP%cQRT", *c, *c);
      g_autofree char *trailing = g_strdup_printf ("HJK-MNP-QRT%c", *c);
      g_autofree char *leading = g_strdup_printf ("%cHJKMNPQRT", *c);

      assert_rejected (between);
      assert_rejected (trailing);
      assert_rejected (leading);
    }
  /* Newlines and other control characters, non-ASCII letters. */
  assert_rejected ("HJK\nMNP\nQRT");
  assert_rejected ("HJK\rMNP-QRT");
  assert_rejected ("HJK\x01MNP-QRT");
  assert_rejected ("HJK-MNP-QRT\xc3\xa9");
  assert_rejected ("\xc3\x84HJKMNPQRT");
}

static void
test_parse_empty (void)
{
  assert_rejected (NULL);
  assert_rejected ("");
  assert_rejected (" ");
  assert_rejected ("---");
  assert_rejected (" - . ");
}

static void
test_parse_too_long (void)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (int i = 0; i < 200; i++)
    g_string_append (text, "HJK-MNP-QRT");
  assert_rejected (text->str);

  /* Nine valid characters followed by a tenth after a lot of padding. */
  g_string_assign (text, "HJK-MNP-QRT");
  for (int i = 0; i < 500; i++)
    g_string_append_c (text, ' ');
  g_string_append_c (text, 'W');
  assert_rejected (text->str);
}

static void
test_parse_no_error (void)
{
  RhPairingCode code;

  g_assert_false (rh_pairing_code_parse ("nope", &code, NULL));
  g_assert_true (rh_pairing_code_parse ("HJK-MNP-QRT", &code, NULL));
  g_assert_cmpstr (code.slot, ==, "HJKM");
}

static void
test_is_valid_slot (void)
{
  g_assert_true (rh_pairing_code_is_valid_slot ("K7P4"));
  g_assert_true (rh_pairing_code_is_valid_slot ("2222"));
  g_assert_true (rh_pairing_code_is_valid_slot ("ZZZZ"));
  for (int i = 0; i < ALPHABET_LEN; i++)
    {
      char slot[] = "AAAA";

      slot[2] = RH_PAIRING_ALPHABET[i];
      g_assert_true (rh_pairing_code_is_valid_slot (slot));
    }

  g_assert_false (rh_pairing_code_is_valid_slot (NULL));
  g_assert_false (rh_pairing_code_is_valid_slot (""));
  g_assert_false (rh_pairing_code_is_valid_slot ("K7P"));
  g_assert_false (rh_pairing_code_is_valid_slot ("K7P44"));
  g_assert_false (rh_pairing_code_is_valid_slot ("K7P4XQM2R"));
  /* Slots on the wire are in canonical form: upper case, no separators. */
  g_assert_false (rh_pairing_code_is_valid_slot ("k7p4"));
  g_assert_false (rh_pairing_code_is_valid_slot ("K7P-"));
  g_assert_false (rh_pairing_code_is_valid_slot ("K7 4"));
  g_assert_false (rh_pairing_code_is_valid_slot ("K7P0"));
  g_assert_false (rh_pairing_code_is_valid_slot ("K7PO"));
  g_assert_false (rh_pairing_code_is_valid_slot ("K7PB"));
  g_assert_false (rh_pairing_code_is_valid_slot ("K7P\xc3\xa9"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pairing-code/alphabet", test_alphabet);
  g_test_add_func ("/pairing-code/random/lengths", test_random_lengths);
  g_test_add_func ("/pairing-code/random/slot-and-secret", test_random_slot_and_secret);
  g_test_add_func ("/pairing-code/random/uniform", test_random_uniform);
  g_test_add_func ("/pairing-code/format", test_format);
  g_test_add_func ("/pairing-code/parse/tolerant", test_parse_tolerant);
  g_test_add_func ("/pairing-code/parse/wrong-length", test_parse_wrong_length);
  g_test_add_func ("/pairing-code/parse/look-alikes", test_parse_look_alikes);
  g_test_add_func ("/pairing-code/parse/punctuation", test_parse_punctuation);
  g_test_add_func ("/pairing-code/parse/empty", test_parse_empty);
  g_test_add_func ("/pairing-code/parse/too-long", test_parse_too_long);
  g_test_add_func ("/pairing-code/parse/no-error", test_parse_no_error);
  g_test_add_func ("/pairing-code/is-valid-slot", test_is_valid_slot);

  return g_test_run ();
}
