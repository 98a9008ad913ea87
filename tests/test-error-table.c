/* test-error-table.c: the RH- code table, its formatting, and README's copy of it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "rh-error.h"

static const RhErrorInfo *
get_table (gsize *n)
{
  const RhErrorInfo *table = rh_error_info_table (n);

  g_assert_nonnull (table);
  g_assert_cmpuint (*n, >, 0);
  return table;
}

static char *
read_source_file (const char *relative,
                  GError    **error)
{
  const char *srcdir = g_getenv ("RH_TEST_SRCDIR");
  g_autofree char *path = NULL;
  char *contents = NULL;

  g_assert_nonnull (srcdir);
  path = g_build_filename (srcdir, relative, NULL);
  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;
  return contents;
}

/* The table */

/* Codes have four digits, and the thousands digit is one of the categories rh-error.h names in
 * a comment such as "1xxx: local configuration and command line". */
static void
test_table_entries (void)
{
  gsize n;
  const RhErrorInfo *table = get_table (&n);
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *header = read_source_file ("protocol/rh-error.h", &error);

  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    {
      int code = (int) table[i].code;
      g_autofree char *category = g_strdup_printf ("/* %dxxx: ", code / 1000);

      g_assert_cmpint (code, >=, 1000);
      g_assert_cmpint (code, <=, 9999);
      if (strstr (header, category) == NULL)
        g_error ("RH-%04d is in no category: rh-error.h has no “%s…” comment", code, category);
      g_assert_false (g_hash_table_contains (seen, GINT_TO_POINTER (code)));
      g_hash_table_add (seen, GINT_TO_POINTER (code));

      g_assert_nonnull (table[i].summary);
      g_assert_nonnull (table[i].cause);
      g_assert_nonnull (table[i].fix);
      {
        g_autofree char *summary = g_strstrip (g_strdup (table[i].summary));
        g_autofree char *cause = g_strstrip (g_strdup (table[i].cause));
        g_autofree char *fix = g_strstrip (g_strdup (table[i].fix));

        g_assert_cmpstr (summary, !=, "");
        g_assert_cmpstr (cause, !=, "");
        g_assert_cmpstr (fix, !=, "");
      }
      g_assert_false (g_ascii_isspace (table[i].summary[0]));
      g_assert_false (g_ascii_isspace (table[i].cause[0]));
      g_assert_false (g_ascii_isspace (table[i].fix[0]));
      g_assert_true (g_utf8_validate (table[i].summary, -1, NULL));
      g_assert_true (g_utf8_validate (table[i].cause, -1, NULL));
      g_assert_true (g_utf8_validate (table[i].fix, -1, NULL));

      g_assert_true (rh_error_info_lookup (code) == &table[i]);
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, n);
}

static void
test_table_lookup (void)
{
  g_assert_null (rh_error_info_lookup (0));
  g_assert_null (rh_error_info_lookup (-4001));
  g_assert_null (rh_error_info_lookup (999));
  g_assert_null (rh_error_info_lookup (4999));
  g_assert_null (rh_error_info_lookup (7000));
  g_assert_nonnull (rh_error_info_lookup (RH_ERROR_CODE_INVALID));
  g_assert_cmpstr (rh_error_info_lookup (RH_ERROR_CODE_INVALID)->summary, ==,
                   "Security code not valid");
  g_assert_cmpstr (rh_error_info_lookup (RH_ERROR_INTERNAL)->summary, ==, "Internal error");
}

/* Every RhErrorCode in rh-error.h has a table entry: a new code cannot be added to the enum
 * without its summary, cause and fix. */
static void
test_table_covers_enum (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *header = read_source_file ("protocol/rh-error.h", &error);
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  guint count = 0;
  gsize n;

  g_assert_no_error (error);
  get_table (&n);
  regex = g_regex_new ("\\b(RH_ERROR_[A-Z0-9_]+)\\s*=\\s*([0-9]+)\\s*,", 0, 0, &error);
  g_assert_no_error (error);

  g_regex_match (regex, header, 0, &match);
  while (g_match_info_matches (match))
    {
      g_autofree char *name = g_match_info_fetch (match, 1);
      g_autofree char *value = g_match_info_fetch (match, 2);
      int code = atoi (value);

      if (rh_error_info_lookup (code) == NULL)
        g_error ("%s = %d in rh-error.h has no entry in the table in rh-error.c", name, code);
      count++;
      g_match_info_next (match, NULL);
    }
  g_assert_cmpuint (count, ==, n);
}

/* rh_error_format and rh_error_is_rh */

static void
test_format (void)
{
  g_autoptr(GError) code = g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_CODE_INVALID,
                                                "try again");
  g_autoptr(GError) store = g_error_new_literal (RH_STORE_ERROR, RH_ERROR_UNKNOWN_SETTING,
                                                 "no such thing");
  g_autoptr(GError) config = g_error_new_literal (RH_CONFIG_ERROR, RH_ERROR_BAD_FINGERPRINT,
                                                  "“zz” is not hex");
  g_autoptr(GError) crypto = g_error_new_literal (RH_CRYPTO_ERROR, RH_ERROR_CARD_SIGNATURE,
                                                  "");
  g_autofree char *code_text = rh_error_format (code);
  g_autofree char *store_text = rh_error_format (store);
  g_autofree char *config_text = rh_error_format (config);
  g_autofree char *crypto_text = rh_error_format (crypto);

  g_assert_cmpstr (code_text, ==, "RH-4001: Security code not valid: try again");
  g_assert_cmpstr (store_text, ==, "RH-6001: Unknown setting: no such thing");
  g_assert_cmpstr (config_text, ==, "RH-1003: Server fingerprint is invalid: “zz” is not hex");
  g_assert_cmpstr (crypto_text, ==, "RH-4006: Helper identity could not be verified: ");
}

static void
test_format_every_code (void)
{
  const GQuark domains[] = {
    RH_PROTOCOL_ERROR, RH_CRYPTO_ERROR, RH_STORE_ERROR, RH_CONFIG_ERROR
  };
  gsize n;
  const RhErrorInfo *table = get_table (&n);

  for (gsize i = 0; i < n; i++)
    for (gsize d = 0; d < G_N_ELEMENTS (domains); d++)
      {
        g_autoptr(GError) error = g_error_new (domains[d], table[i].code, "m%" G_GSIZE_FORMAT, i);
        g_autofree char *text = rh_error_format (error);
        g_autofree char *expected = g_strdup_printf ("RH-%04d: %s: m%" G_GSIZE_FORMAT,
                                                     (int) table[i].code, table[i].summary, i);

        g_assert_true (rh_error_is_rh (error));
        g_assert_cmpstr (text, ==, expected);
      }
}

static void
test_format_foreign (void)
{
  g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");
  g_autoptr(GError) file = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_ACCES, "denied");
  /* Our domain, but a number that is not in the table. */
  g_autoptr(GError) stray = g_error_new_literal (RH_PROTOCOL_ERROR, 4999, "stray");
  /* A table number in someone else's domain. */
  g_autoptr(GError) borrowed = g_error_new_literal (G_IO_ERROR, RH_ERROR_CODE_INVALID, "b");
  g_autofree char *io_text = rh_error_format (io);
  g_autofree char *file_text = rh_error_format (file);
  g_autofree char *stray_text = rh_error_format (stray);
  g_autofree char *borrowed_text = rh_error_format (borrowed);

  g_assert_false (rh_error_is_rh (io));
  g_assert_false (rh_error_is_rh (stray));
  g_assert_false (rh_error_is_rh (borrowed));
  g_assert_false (rh_error_is_rh (NULL));

  g_assert_cmpstr (io_text, ==, "RH-5006: Internal error: gone");
  g_assert_cmpstr (file_text, ==, "RH-5006: Internal error: denied");
  g_assert_cmpstr (stray_text, ==, "RH-5006: Internal error: stray");
  g_assert_cmpstr (borrowed_text, ==, "RH-5006: Internal error: b");
}

/* README */

typedef struct
{
  GHashTable *rows;      /* code → the table row's text */
  GHashTable *mentions;  /* every "RH-<digits>" anywhere → line number of first mention */
} Readme;

static void
readme_free (Readme *readme)
{
  g_clear_pointer (&readme->rows, g_hash_table_unref);
  g_clear_pointer (&readme->mentions, g_hash_table_unref);
  g_free (readme);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Readme, readme_free)

static Readme *
load_readme (void)
{
  const char *srcdir = g_getenv ("RH_TEST_SRCDIR");
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) row_regex = NULL;
  g_autoptr(GRegex) mention_regex = NULL;
  g_auto(GStrv) lines = NULL;
  Readme *readme;

  g_assert_nonnull (srcdir);
  path = g_build_filename (srcdir, "README.md", NULL);
  if (!g_file_get_contents (path, &contents, NULL, &error))
    {
      /* Not a skip: the README's error table is what users look codes up in. */
      g_test_message ("%s is missing: README.md must have the RH- error table "
                      "(tools/rh-error-table.py --header prints it; tools/error-table.md "
                      "has a copy).", path);
      g_assert_no_error (error);
    }
  g_assert_true (g_utf8_validate (contents, -1, NULL));

  /* A table row whose first cell is the code: "| RH-4001 | …", the code possibly in `…`. */
  row_regex = g_regex_new ("^\\s*\\|\\s*`?(RH-[0-9]+)`?\\s*\\|", 0, 0, &error);
  g_assert_no_error (error);
  mention_regex = g_regex_new ("\\bRH-[0-9]+\\b", 0, 0, &error);
  g_assert_no_error (error);

  readme = g_new0 (Readme, 1);
  readme->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  readme->mentions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GMatchInfo) row = NULL;
      g_autoptr(GMatchInfo) mention = NULL;

      if (g_regex_match (row_regex, lines[i], 0, &row))
        {
          g_autofree char *code = g_match_info_fetch (row, 1);

          if (g_hash_table_contains (readme->rows, code))
            g_error ("README.md line %u: %s has a second table row", i + 1, code);
          g_hash_table_insert (readme->rows, g_steal_pointer (&code), g_strdup (lines[i]));
        }

      g_regex_match (mention_regex, lines[i], 0, &mention);
      while (g_match_info_matches (mention))
        {
          char *code = g_match_info_fetch (mention, 0);

          if (!g_hash_table_contains (readme->mentions, code))
            g_hash_table_insert (readme->mentions, code, GUINT_TO_POINTER (i + 1));
          else
            g_free (code);
          g_match_info_next (mention, NULL);
        }
    }
  return readme;
}

static void
test_readme_has_every_code (void)
{
  g_autoptr(Readme) readme = load_readme ();
  gsize n;
  const RhErrorInfo *table = get_table (&n);
  g_autoptr(GString) missing = g_string_new (NULL);

  for (gsize i = 0; i < n; i++)
    {
      g_autofree char *code = g_strdup_printf ("RH-%04d", (int) table[i].code);

      if (!g_hash_table_contains (readme->rows, code))
        g_string_append_printf (missing, " %s", code);
    }
  if (missing->len > 0)
    g_error ("README.md's error table has no row for:%s (run tools/rh-error-table.py)",
             missing->str);
}

static void
test_readme_mentions_are_in_table (void)
{
  g_autoptr(Readme) readme = load_readme ();
  GHashTableIter iter;
  gpointer key, value;

  /* Every code README mentions, in prose or examples, has a row... */
  g_hash_table_iter_init (&iter, readme->mentions);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (readme->rows, key))
      g_error ("README.md line %u mentions %s, which is not in its error table",
               GPOINTER_TO_UINT (value), (const char *) key);

  /* ...and every row is a code the program really has. */
  g_hash_table_iter_init (&iter, readme->rows);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *code = key;
      int number = atoi (code + 3);

      if (strlen (code) != 7 || rh_error_info_lookup (number) == NULL)
        g_error ("README.md's error table has %s, which rh-error.c does not define", code);
    }
}

/* The row says what the program says: the summary users see next to the code. */
static void
test_readme_summaries (void)
{
  g_autoptr(Readme) readme = load_readme ();
  gsize n;
  const RhErrorInfo *table = get_table (&n);

  for (gsize i = 0; i < n; i++)
    {
      g_autofree char *code = g_strdup_printf ("RH-%04d", (int) table[i].code);
      const char *row = g_hash_table_lookup (readme->rows, code);

      if (row == NULL)
        continue;  /* reported by /error-table/readme/every-code */
      if (strstr (row, table[i].summary) == NULL)
        g_error ("README.md's row for %s does not have the summary “%s”: %s", code,
                 table[i].summary, row);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/error-table/entries", test_table_entries);
  g_test_add_func ("/error-table/lookup", test_table_lookup);
  g_test_add_func ("/error-table/covers-enum", test_table_covers_enum);
  g_test_add_func ("/error-table/format", test_format);
  g_test_add_func ("/error-table/format/every-code", test_format_every_code);
  g_test_add_func ("/error-table/format/foreign", test_format_foreign);
  g_test_add_func ("/error-table/readme/every-code", test_readme_has_every_code);
  g_test_add_func ("/error-table/readme/mentions", test_readme_mentions_are_in_table);
  g_test_add_func ("/error-table/readme/summaries", test_readme_summaries);

  return g_test_run ();
}
