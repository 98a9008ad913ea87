/* test-message.c: the JSON messages on the wire, as a hostile peer may send them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "rh-error.h"
#include "rh-message.h"
#include "rh-ws-client.h"

#define MAX_LEN RH_WS_MAX_MESSAGE

static JsonObject *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonObject *msg = rh_message_parse (text, strlen (text), MAX_LEN, &error);

  g_assert_no_error (error);
  g_assert_nonnull (msg);
  return msg;
}

static void
assert_parse_fails_len (const char *text,
                        gsize       len,
                        gsize       max_len,
                        int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) msg = rh_message_parse (text, len, max_len, &error);

  g_assert_null (msg);
  g_assert_error (error, RH_PROTOCOL_ERROR, code);
}

static void
assert_parse_fails (const char *text)
{
  assert_parse_fails_len (text, strlen (text), MAX_LEN, RH_ERROR_MALFORMED_MESSAGE);
}

/* Tests that show a known bug run their body in a subprocess: a failed assertion, a critical
 * (G_DEBUG=fatal-criticals) or a crash then fails that test with the child's stderr shown,
 * rather than killing the whole program (run with -k to see every result). Returns TRUE in the
 * child, which then runs the body. */
static gboolean
run_in_subprocess (void)
{
  if (g_test_subprocess ())
    return TRUE;
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  if (!g_test_trap_has_passed ())
    {
      g_test_message ("The subprocess failed (its stderr is above)");
      g_test_fail ();
    }
  return FALSE;
}

static void
test_isolated (gconstpointer data)
{
  GTestFunc func = (GTestFunc) data;

  if (run_in_subprocess ())
    func ();
}

/* parse */

static void
test_parse_valid (void)
{
  g_autoptr(JsonObject) msg = parse_ok ("{\"type\":\"hello\",\"id\":5,\"x\":[1,{\"y\":null}]}");
  g_autoptr(JsonObject) spaced = parse_ok (" \n{ \"type\" : \"\" }\t\n");
  g_autoptr(JsonObject) unicode = parse_ok ("{\"type\":\"\\u674e\xe5\xb0\x8f\"}");

  g_assert_cmpstr (rh_message_get_type (msg), ==, "hello");
  g_assert_cmpint (rh_message_get_id (msg), ==, 5);
  g_assert_true (json_object_has_member (msg, "x"));
  g_assert_cmpstr (rh_message_get_type (spaced), ==, "");
  g_assert_cmpstr (rh_message_get_type (unicode), ==, "\xe6\x9d\x8e\xe5\xb0\x8f");
}

static void
test_parse_length_is_honoured (void)
{
  const char *text = "{\"type\":\"a\"}garbage";
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) msg = rh_message_parse (text, strlen ("{\"type\":\"a\"}"), MAX_LEN,
                                                &error);

  /* Only len bytes are read: the text need not be NUL-terminated. */
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  g_assert_cmpstr (rh_message_get_type (msg), ==, "a");

  assert_parse_fails_len (text, strlen (text), MAX_LEN, RH_ERROR_MALFORMED_MESSAGE);
  /* An embedded NUL is not valid text. */
  assert_parse_fails_len ("{\"type\":\"a\"}\0", 13, MAX_LEN, RH_ERROR_MALFORMED_MESSAGE);
  assert_parse_fails_len ("{\"type\":\"a\0b\"}", 14, MAX_LEN, RH_ERROR_MALFORMED_MESSAGE);
}

static void
test_parse_not_object (void)
{
  assert_parse_fails ("");
  assert_parse_fails (" ");
  assert_parse_fails ("hello");
  assert_parse_fails ("{type: \"x\"}");
  assert_parse_fails ("{\"type\":\"x\"");
  assert_parse_fails ("{\"type\":\"x\",}");
  assert_parse_fails ("{\"type\":\"x\"}}");
  assert_parse_fails ("[]");
  assert_parse_fails ("[{\"type\":\"x\"}]");
  assert_parse_fails ("\"type\"");
  assert_parse_fails ("42");
  assert_parse_fails ("-1.5e3");
  assert_parse_fails ("true");
  assert_parse_fails ("null");
}

static void
test_parse_bad_type (void)
{
  assert_parse_fails ("{}");
  assert_parse_fails ("{\"id\":1}");
  assert_parse_fails ("{\"Type\":\"x\"}");
  assert_parse_fails ("{\"type\":5}");
  assert_parse_fails ("{\"type\":1.5}");
  assert_parse_fails ("{\"type\":true}");
  assert_parse_fails ("{\"type\":null}");
  assert_parse_fails ("{\"type\":[\"x\"]}");
  assert_parse_fails ("{\"type\":{\"x\":\"y\"}}");
}

static void
test_parse_invalid_utf8 (void)
{
  assert_parse_fails ("{\"type\":\"\xff\"}");
  assert_parse_fails ("{\"type\":\"x\",\"n\":\"\xc3\"}");
  assert_parse_fails ("{\"type\":\"\xc0\xaf\"}");          /* overlong '/' */
  assert_parse_fails ("{\"type\":\"\xed\xa0\x80\"}");      /* UTF-16 surrogate */
  assert_parse_fails ("{\"type\":\"\xf4\x90\x80\x80\"}");  /* beyond U+10FFFF */
  assert_parse_fails ("\xef\xbb\xbf\xff{\"type\":\"x\"}");
}

static void
test_parse_too_large (void)
{
  const char *text = "{\"type\":\"hello\"}";
  gsize len = strlen (text);
  g_autoptr(JsonObject) exact = NULL;
  g_autoptr(GString) big = g_string_new ("{\"type\":\"x\",\"pad\":\"");

  /* Exactly max_len is fine; one byte more is not. */
  exact = rh_message_parse (text, len, len, NULL);
  g_assert_nonnull (exact);
  assert_parse_fails_len (text, len, len - 1, RH_ERROR_MESSAGE_TOO_LARGE);
  assert_parse_fails_len (text, len, 0, RH_ERROR_MESSAGE_TOO_LARGE);

  while (big->len <= MAX_LEN)
    g_string_append_c (big, 'a');
  g_string_append (big, "\"}");
  assert_parse_fails_len (big->str, big->len, MAX_LEN, RH_ERROR_MESSAGE_TOO_LARGE);
  /* The size check comes before anything else looks at the bytes. */
  assert_parse_fails_len ("\xff\xff\xff\xff", 4, 3, RH_ERROR_MESSAGE_TOO_LARGE);
}

/* json-glib's parser recurses once per nesting level; without a depth limit of our own a peer
 * can exhaust the stack. Each case runs in a subprocess so that a crash is reported as that
 * case failing and the other tests still run. */
typedef struct
{
  const char *name;
  gsize       depth;
  gboolean    closed;
  gboolean    in_object;
} NestingCase;

static const NestingCase nesting_cases[] = {
  { "100000-unterminated", 100000, FALSE, FALSE },
  { "100000-closed", 100000, TRUE, FALSE },
  { "100000-in-object", 100000, TRUE, TRUE },
  { "max-message-in-object", MAX_LEN - 20, TRUE, TRUE },
  { "max-message-unterminated", MAX_LEN, FALSE, FALSE },
};

static void
test_parse_deep_nesting (gconstpointer data)
{
  const NestingCase *c = data;
  g_autoptr(GString) text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) msg = NULL;

  /* Fixed bug, kept as a regression test (rh-message.c, rh_message_parse): 100,000 '[' make json-glib 1.6 recurse until
   * SIGSEGV; rh_message_parse must reject deep nesting before handing the text over. */
  if (!run_in_subprocess ())
    return;

  text = g_string_new (c->in_object ? "{\"type\":\"x\",\"a\":" : "");
  for (gsize i = 0; i < c->depth; i++)
    g_string_append_c (text, '[');
  if (c->closed)
    {
      for (gsize i = 0; i < c->depth; i++)
        g_string_append_c (text, ']');
      if (c->in_object)
        g_string_append_c (text, '}');
    }

  msg = rh_message_parse (text->str, text->len, MAX (text->len, (gsize) MAX_LEN), &error);
  if (c->in_object)
    {
      /* Valid JSON: a depth limit may reject it, or it parses, and then it must also be usable
       * and freed without running out of stack. */
      if (msg == NULL)
        g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE);
      else
        g_assert_cmpstr (rh_message_get_type (msg), ==, "x");
      return;
    }
  g_assert_null (msg);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE);
}

/* get_id */

static gint64
id_of (const char *text)
{
  g_autoptr(JsonObject) msg = parse_ok (text);

  return rh_message_get_id (msg);
}

static void
test_get_id (void)
{
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":0}"), ==, 0);
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":7}"), ==, 7);
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":9223372036854775807}"), ==, G_MAXINT64);
  g_assert_cmpint (id_of ("{\"type\":\"x\"}"), ==, -1);
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":-1}"), ==, -1);
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":-5}"), ==, -1);
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":-9223372036854775807}"), ==, -1);
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":\"5\"}"), ==, -1);
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":5.0}"), ==, -1);
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":5.5}"), ==, -1);
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":5e0}"), ==, -1);
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":true}"), ==, -1);
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":null}"), ==, -1);
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":[5]}"), ==, -1);
  g_assert_cmpint (id_of ("{\"type\":\"x\",\"id\":{\"id\":5}}"), ==, -1);
}

/* get_string */

#define FIELDS_JSON \
  "{\"type\":\"t\",\"s\":\"abc\",\"e\":\"\",\"n\":5,\"f\":1.5,\"nul\":null,\"o\":{}," \
  "\"a\":[\"x\"],\"b\":true,\"u\":\"\xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x99\"}"

static void
assert_malformed_naming (GError     *error,
                         const char *field)
{
  g_autofree char *quoted = g_strdup_printf ("“%s”", field);

  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE);
  g_assert_nonnull (strstr (error->message, quoted));
}

static void
assert_string_fails (JsonObject *msg,
                     const char *field,
                     gsize       max_len)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (rh_message_get_string (msg, field, max_len, &error));
  assert_malformed_naming (error, field);
}

static void
test_get_string (void)
{
  g_autoptr(JsonObject) msg = parse_ok (FIELDS_JSON);
  g_autoptr(GError) error = NULL;
  static const char *const not_strings[] = { "n", "f", "nul", "o", "a", "b", "missing" };

  g_assert_cmpstr (rh_message_get_string (msg, "s", 3, &error), ==, "abc");
  g_assert_no_error (error);
  g_assert_cmpstr (rh_message_get_string (msg, "s", 1000, &error), ==, "abc");
  g_assert_no_error (error);
  g_assert_cmpstr (rh_message_get_string (msg, "e", 0, &error), ==, "");
  g_assert_no_error (error);
  g_assert_cmpstr (rh_message_get_string (msg, "type", 1, &error), ==, "t");
  g_assert_no_error (error);
  /* The limit counts bytes: three CJK characters are nine. */
  g_assert_cmpstr (rh_message_get_string (msg, "u", 9, &error), ==,
                   "\xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x99");
  g_assert_no_error (error);

  assert_string_fails (msg, "s", 2);
  assert_string_fails (msg, "s", 0);
  assert_string_fails (msg, "u", 8);
  assert_string_fails (msg, "u", 3);
  for (gsize i = 0; i < G_N_ELEMENTS (not_strings); i++)
    assert_string_fails (msg, not_strings[i], 1000);

  /* Callers may pass no GError. */
  g_assert_null (rh_message_get_string (msg, "n", 1000, NULL));
}

static void
test_get_string_or_null (void)
{
  g_autoptr(JsonObject) msg = parse_ok (FIELDS_JSON);
  g_autoptr(GError) error = NULL;
  static const char *const wrong[] = { "n", "f", "o", "a", "b" };

  g_assert_null (rh_message_get_string_or_null (msg, "missing", 10, &error));
  g_assert_no_error (error);
  g_assert_null (rh_message_get_string_or_null (msg, "nul", 10, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (rh_message_get_string_or_null (msg, "s", 3, &error), ==, "abc");
  g_assert_no_error (error);

  g_assert_null (rh_message_get_string_or_null (msg, "s", 2, &error));
  assert_malformed_naming (error, "s");
  g_clear_error (&error);
  for (gsize i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_assert_null (rh_message_get_string_or_null (msg, wrong[i], 10, &error));
      assert_malformed_naming (error, wrong[i]);
      g_clear_error (&error);
    }
}

/* The text is checked to be UTF-8, but JSON escapes can still spell a lone surrogate, which
 * json-glib 1.6 decodes to bytes that are not UTF-8 ("\\udc00x" becomes ED B0 80, swallowing
 * the "x"). Whatever a getter returns goes on to labels, logs and the database, so it must be
 * valid UTF-8: such a message is malformed. */
static void
test_get_string_escaped_surrogate (void)
{
  static const char *const texts[] = {
    "{\"type\":\"t\",\"s\":\"\\udc00x\"}",
    "{\"type\":\"t\",\"s\":\"K7P\\ud800xy\"}",
    "{\"type\":\"\\udfffx\"}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) msg = rh_message_parse (texts[i], strlen (texts[i]), MAX_LEN,
                                                    &error);
      const char *s;

      g_test_message ("%s", texts[i]);
      if (msg == NULL)
        {
          g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE);
          continue;
        }
      /* Fixed bug, kept as a regression test (rh-message.c, rh_message_parse and the getters): the decoded strings are not
       * checked, so a type or field that is not UTF-8 gets through. */
      g_assert_true (g_utf8_validate (rh_message_get_type (msg), -1, NULL));
      s = rh_message_get_string (msg, "s", 100, &error);
      if (s == NULL)
        g_assert_true (error == NULL ||
                       g_error_matches (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE));
      else
        g_assert_true (g_utf8_validate (s, -1, NULL));
    }
}

/* get_int */

static void
assert_int_fails (JsonObject *msg,
                  const char *field,
                  gint64      min,
                  gint64      max)
{
  g_autoptr(GError) error = NULL;
  gint64 out = 12345;

  g_assert_false (rh_message_get_int (msg, field, min, max, &out, &error));
  assert_malformed_naming (error, field);
  g_assert_cmpint (out, ==, 12345);
}

static void
assert_int_is (JsonObject *msg,
               const char *field,
               gint64      min,
               gint64      max,
               gint64      expected)
{
  g_autoptr(GError) error = NULL;
  gint64 out = 12345;

  g_assert_true (rh_message_get_int (msg, field, min, max, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpint (out, ==, expected);
}

static void
test_get_int (void)
{
  g_autoptr(JsonObject) msg = parse_ok ("{\"type\":\"t\",\"i\":42,\"neg\":-3,\"zero\":0,"
                                        "\"big\":9223372036854775807,"
                                        "\"small\":-9223372036854775808,"
                                        "\"f\":1.5,\"fi\":2.0,\"exp\":1e3,\"s\":\"42\","
                                        "\"b\":true,\"nul\":null,\"o\":{},\"a\":[42]}");
  static const char *const not_ints[] = { "f", "fi", "exp", "s", "b", "nul", "o", "a",
                                          "missing" };

  assert_int_is (msg, "i", 0, 100, 42);
  assert_int_is (msg, "i", 42, 42, 42);
  assert_int_is (msg, "neg", -3, -3, -3);
  assert_int_is (msg, "neg", G_MININT64, G_MAXINT64, -3);
  assert_int_is (msg, "zero", 0, 0, 0);
  assert_int_is (msg, "big", 0, G_MAXINT64, G_MAXINT64);
  assert_int_is (msg, "small", G_MININT64, 0, G_MININT64);

  assert_int_fails (msg, "i", 43, 100);
  assert_int_fails (msg, "i", 0, 41);
  assert_int_fails (msg, "neg", 0, G_MAXINT64);
  assert_int_fails (msg, "neg", -2, 2);
  assert_int_fails (msg, "big", 0, G_MAXINT64 - 1);
  assert_int_fails (msg, "small", G_MININT64 + 1, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (not_ints); i++)
    assert_int_fails (msg, not_ints[i], G_MININT64, G_MAXINT64);
}

/* get_bool */

static void
test_get_bool (void)
{
  g_autoptr(JsonObject) msg = parse_ok ("{\"type\":\"t\",\"t\":true,\"f\":false,\"s\":\"true\","
                                        "\"one\":1,\"zero\":0,\"nul\":null,\"o\":{},"
                                        "\"a\":[true]}");
  static const char *const not_bools[] = { "s", "one", "zero", "nul", "o", "a", "missing" };
  g_autoptr(GError) error = NULL;
  gboolean out = 7;

  g_assert_true (rh_message_get_bool (msg, "t", &out, &error));
  g_assert_no_error (error);
  g_assert_cmpint (out, ==, TRUE);
  g_assert_true (rh_message_get_bool (msg, "f", &out, &error));
  g_assert_no_error (error);
  g_assert_cmpint (out, ==, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (not_bools); i++)
    {
      out = 7;
      g_assert_false (rh_message_get_bool (msg, not_bools[i], &out, &error));
      assert_malformed_naming (error, not_bools[i]);
      g_assert_cmpint (out, ==, 7);
      g_clear_error (&error);
    }
}

/* get_bytes */

static JsonObject *
bytes_message (const char *b64)
{
  g_autoptr(JsonObject) msg = rh_message_new ("t");

  json_object_set_string_member (msg, "d", b64);
  return g_steal_pointer (&msg);
}

static void
assert_bytes_are (const char   *b64,
                  gsize         exact_len,
                  gsize         max_len,
                  const guint8 *expected,
                  gsize         expected_len)
{
  g_autoptr(JsonObject) msg = bytes_message (b64);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = rh_message_get_bytes (msg, "d", exact_len, max_len, &error);

  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                   expected, expected_len);
}

static void
assert_bytes_fail (const char *b64,
                   gsize       exact_len,
                   gsize       max_len)
{
  g_autoptr(JsonObject) msg = bytes_message (b64);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = rh_message_get_bytes (msg, "d", exact_len, max_len, &error);

  g_assert_null (bytes);
  assert_malformed_naming (error, "d");
}

static void
test_get_bytes_valid (void)
{
  static const guint8 four[] = { 0x00, 0x01, 0x02, 0x03 };
  static const guint8 five[] = { 0x00, 0x01, 0x02, 0x03, 0x04 };
  static const guint8 six[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05 };
  static const guint8 high[] = { 0xfb, 0xff, 0xbf };

  assert_bytes_are ("AAECAw==", 4, 0, four, 4);
  assert_bytes_are ("AAECAw==", 0, 4, four, 4);
  assert_bytes_are ("AAECAw==", 0, 100, four, 4);
  assert_bytes_are ("AAECAwQ=", 0, 5, five, 5);
  assert_bytes_are ("AAECAwQ=", 5, 0, five, 5);
  assert_bytes_are ("AAECAwQF", 6, 0, six, 6);
  assert_bytes_are ("AAECAwQF", 0, 6, six, 6);
  assert_bytes_are ("+/+/", 3, 0, high, 3);
  assert_bytes_are ("", 0, 10, (const guint8 *) "", 0);
}

static void
test_get_bytes_round_trip (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240601);

  for (gsize len = 0; len < 100; len++)
    {
      g_autofree guint8 *data = g_malloc (len + 1);
      g_autoptr(JsonObject) msg = rh_message_new ("t");
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) exact = NULL;
      g_autoptr(GBytes) bounded = NULL;

      for (gsize i = 0; i < len; i++)
        data[i] = (guint8) g_rand_int_range (rand, 0, 256);
      rh_message_set_bytes (msg, "d", data, len);

      bounded = rh_message_get_bytes (msg, "d", 0, len, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (bounded, NULL), g_bytes_get_size (bounded), data, len);
      if (len > 0)
        {
          exact = rh_message_get_bytes (msg, "d", len, 0, &error);
          g_assert_no_error (error);
          g_assert_cmpmem (g_bytes_get_data (exact, NULL), g_bytes_get_size (exact), data, len);

          g_assert_null (rh_message_get_bytes (msg, "d", 0, len - 1, &error));
          assert_malformed_naming (error, "d");
          g_clear_error (&error);
          g_assert_null (rh_message_get_bytes (msg, "d", len + 1, 0, &error));
          assert_malformed_naming (error, "d");
          g_clear_error (&error);
          if (len > 1)
            {
              g_assert_null (rh_message_get_bytes (msg, "d", len - 1, 0, &error));
              assert_malformed_naming (error, "d");
              g_clear_error (&error);
            }
        }
    }
}

static void
test_get_bytes_invalid (void)
{
  g_autoptr(JsonObject) msg = parse_ok ("{\"type\":\"t\",\"n\":5,\"nul\":null,\"a\":[\"AAAA\"]}");
  g_autoptr(GError) error = NULL;

  /* Characters outside the standard alphabet: g_base64_decode() alone would skip them. */
  assert_bytes_fail ("AAEC*w==", 0, 100);
  assert_bytes_fail ("AAEC\nAw==", 0, 100);
  assert_bytes_fail ("AAEC Aw=", 0, 100);
  assert_bytes_fail ("AAECAw-_", 0, 100);
  assert_bytes_fail ("AAECAw.=", 0, 100);
  assert_bytes_fail ("AAEC\xc3\xa9w=", 0, 100);
  assert_bytes_fail ("    ", 0, 100);

  /* Padding. */
  assert_bytes_fail ("AAECAw=", 0, 100);
  assert_bytes_fail ("AAECAw", 0, 100);
  assert_bytes_fail ("AAECA", 0, 100);
  assert_bytes_fail ("AAECA===", 0, 100);
  assert_bytes_fail ("AAEC====", 0, 100);
  assert_bytes_fail ("====", 0, 100);
  assert_bytes_fail ("=AAA", 0, 100);
  assert_bytes_fail ("AA=CAw==", 0, 100);
  assert_bytes_fail ("AAECAw=A", 0, 100);
  assert_bytes_fail ("AA==AAAA", 0, 100);
  assert_bytes_fail ("AAECAw===", 0, 100);
  assert_bytes_fail ("AAECAw==AAECAw==", 0, 100);

  /* Length. */
  assert_bytes_fail ("AAECAw==", 3, 0);
  assert_bytes_fail ("AAECAw==", 5, 0);
  assert_bytes_fail ("AAECAw==", 0, 3);
  assert_bytes_fail ("AAECAw==", 0, 0);
  assert_bytes_fail ("AAECAwQFBgcICQoL", 0, 4);
  assert_bytes_fail ("AAECAwQFBgcICQoL", 4, 0);
  assert_bytes_fail ("", 4, 0);

  /* Not a string. */
  g_assert_null (rh_message_get_bytes (msg, "n", 0, 100, &error));
  assert_malformed_naming (error, "n");
  g_clear_error (&error);
  g_assert_null (rh_message_get_bytes (msg, "nul", 0, 100, &error));
  assert_malformed_naming (error, "nul");
  g_clear_error (&error);
  g_assert_null (rh_message_get_bytes (msg, "a", 0, 100, &error));
  assert_malformed_naming (error, "a");
  g_clear_error (&error);
  g_assert_null (rh_message_get_bytes (msg, "missing", 0, 100, &error));
  assert_malformed_naming (error, "missing");
}

/* rh_message_get_bytes() says its strict check keeps "two encodings of one value" out of signed
 * and MACed data. Base64 with non-zero unused bits in the last character is a second encoding
 * of the same bytes ("AB==" and "AA==" both decode to 0x00). */
static void
test_get_bytes_canonical (void)
{
  static const guint8 zero[] = { 0x00 };
  static const guint8 zeros[] = { 0x00, 0x00 };

  assert_bytes_are ("AA==", 0, 10, zero, 1);
  assert_bytes_are ("AAA=", 0, 10, zeros, 2);
  /* Fixed bug, kept as a regression test (rh-message.c, is_base64): non-canonical encodings are accepted and decode to the same
   * bytes as the canonical one. */
  assert_bytes_fail ("AB==", 0, 10);
  assert_bytes_fail ("AP==", 0, 10);
  assert_bytes_fail ("AAB=", 0, 10);
  assert_bytes_fail ("AAD=", 0, 10);
}

/* Building messages */

static void
test_new_and_to_string (void)
{
  g_autoptr(JsonObject) msg = rh_message_new ("pair");
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) back = NULL;
  static const guint8 data[] = { 0xde, 0xad, 0xbe, 0xef };

  json_object_set_int_member (msg, "id", 3);
  rh_message_set_bytes (msg, "d", data, sizeof data);
  text = rh_message_to_string (msg);
  g_assert_cmpstr (text, ==, "{\"type\":\"pair\",\"id\":3,\"d\":\"3q2+7w==\"}");

  back = parse_ok (text);
  g_assert_cmpstr (rh_message_get_type (back), ==, "pair");
  g_assert_cmpint (rh_message_get_id (back), ==, 3);
}

/* Error envelope */

static GError *
error_round_trip (gint64        id,
                  const GError *error,
                  JsonObject  **out_msg)
{
  g_autoptr(JsonObject) msg = rh_message_new_error (id, error);
  g_autofree char *text = rh_message_to_string (msg);
  g_autoptr(JsonObject) back = parse_ok (text);
  GError *result;

  g_assert_cmpstr (rh_message_get_type (back), ==, "error");
  result = rh_message_to_error (back);
  g_assert_nonnull (result);
  if (out_msg != NULL)
    *out_msg = g_steal_pointer (&back);
  return result;
}

static void
test_error_round_trip (void)
{
  g_autoptr(GError) error = g_error_new (RH_PROTOCOL_ERROR, RH_ERROR_CODE_INVALID,
                                         "Code “%s” is not valid", "\xe6\x9d\x8e");
  g_autoptr(JsonObject) msg = NULL;
  g_autoptr(GError) back = error_round_trip (17, error, &msg);

  g_assert_cmpint (rh_message_get_id (msg), ==, 17);
  g_assert_cmpstr (rh_message_get_string (msg, "code", 16, NULL), ==, "RH-4001");
  g_assert_cmpstr (rh_message_get_string (msg, "message", 1000, NULL), ==,
                   "Code “\xe6\x9d\x8e” is not valid");
  g_assert_error (back, RH_PROTOCOL_ERROR, RH_ERROR_CODE_INVALID);
  g_assert_cmpstr (back->message, ==, error->message);
}

static void
test_error_round_trip_all_codes (void)
{
  const GQuark domains[] = {
    RH_PROTOCOL_ERROR, RH_CRYPTO_ERROR, RH_STORE_ERROR, RH_CONFIG_ERROR
  };
  gsize n = 0;
  const RhErrorInfo *table = rh_error_info_table (&n);

  g_assert_cmpuint (n, >, 0);
  for (gsize i = 0; i < n; i++)
    {
      GQuark domain = domains[i % G_N_ELEMENTS (domains)];
      g_autoptr(GError) error = g_error_new (domain, table[i].code, "detail %d", (int) i);
      g_autoptr(JsonObject) msg = NULL;
      g_autoptr(GError) back = error_round_trip ((gint64) i, error, &msg);
      g_autofree char *code = g_strdup_printf ("RH-%04d", table[i].code);

      g_assert_cmpstr (rh_message_get_string (msg, "code", 16, NULL), ==, code);
      g_assert_cmpint (rh_message_get_id (msg), ==, (gint64) i);
      /* Whatever the sender's domain, the receiver sees a protocol error with the same code. */
      g_assert_error (back, RH_PROTOCOL_ERROR, (int) table[i].code);
      g_assert_cmpstr (back->message, ==, error->message);
    }
}

static void
test_error_no_id (void)
{
  g_autoptr(GError) error = g_error_new_literal (RH_STORE_ERROR, RH_ERROR_STORE, "disk full");
  g_autoptr(JsonObject) msg = rh_message_new_error (-1, error);
  g_autofree char *text = rh_message_to_string (msg);

  g_assert_false (json_object_has_member (msg, "id"));
  g_assert_cmpint (rh_message_get_id (msg), ==, -1);
  g_assert_cmpstr (text, ==,
                   "{\"type\":\"error\",\"code\":\"RH-6009\",\"message\":\"disk full\"}");
}

static void
test_error_foreign (void)
{
  g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                              "/home/alice/secret.key: not found");
  /* An RH domain but a number that is not in the table. */
  g_autoptr(GError) stray = g_error_new_literal (RH_PROTOCOL_ERROR, 4999, "stray");
  g_autoptr(JsonObject) msg = NULL;
  g_autoptr(JsonObject) stray_msg = NULL;
  g_autoptr(GError) back = error_round_trip (1, io, &msg);
  g_autoptr(GError) stray_back = error_round_trip (2, stray, &stray_msg);

  /* Foreign errors are internal errors, and their text (paths, system details) stays home. */
  g_assert_cmpstr (rh_message_get_string (msg, "code", 16, NULL), ==, "RH-5006");
  g_assert_cmpstr (rh_message_get_string (msg, "message", 1000, NULL), ==, "Internal error");
  g_assert_error (back, RH_PROTOCOL_ERROR, RH_ERROR_INTERNAL);
  g_assert_null (strstr (back->message, "alice"));

  g_assert_cmpstr (rh_message_get_string (stray_msg, "code", 16, NULL), ==, "RH-5006");
  g_assert_error (stray_back, RH_PROTOCOL_ERROR, RH_ERROR_INTERNAL);
}

static GError *
error_from_json (const char *text)
{
  g_autoptr(JsonObject) msg = parse_ok (text);

  return rh_message_to_error (msg);
}

static void
test_error_unknown_code (void)
{
  static const char *const codes[] = {
    "RH-9999", "RH-0000", "RH-0", "RH-", "RH-abc", "", "4001", "rh-4001", "RH_4001", "RH-1000",
    "RH-8001", "RH--4001", "XRH-4001", " RH-4001",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"type\":\"error\",\"code\":\"%s\","
                                               "\"message\":\"m%d\"}", codes[i], (int) i);
      g_autoptr(GError) error = error_from_json (text);
      g_autofree char *message = g_strdup_printf ("m%d", (int) i);

      g_test_message ("code “%s”", codes[i]);
      g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_INTERNAL);
      g_assert_cmpstr (error->message, ==, message);
    }

  {
    g_autoptr(GError) no_code = error_from_json ("{\"type\":\"error\",\"message\":\"x\"}");
    g_autoptr(GError) no_message = error_from_json ("{\"type\":\"error\",\"code\":\"RH-4002\"}");

    g_assert_error (no_code, RH_PROTOCOL_ERROR, RH_ERROR_INTERNAL);
    g_assert_cmpstr (no_code->message, ==, "x");
    g_assert_error (no_message, RH_PROTOCOL_ERROR, RH_ERROR_CODE_BURNED);
    g_assert_cmpstr (no_message->message, ==, "");
  }
}

/* Codes that only look like table entries after lenient number parsing. */
static void
test_error_unknown_code_strict (void)
{
  static const char *const codes[] = {
    "RH-4294971297",  /* 2^32 + 4001: truncated to int it is 4001 */
    "RH-18446744073709555617",
    "RH-4001x",
    "RH-4001 ",
    "RH- 4001",
    "RH-+4001",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"type\":\"error\",\"code\":\"%s\","
                                               "\"message\":\"m\"}", codes[i]);
      g_autoptr(GError) error = error_from_json (text);

      g_test_message ("code “%s” gave RH-%04d", codes[i], error->code);
      /* Fixed bug, kept as a regression test (rh-message.c, rh_message_to_error): g_ascii_strtoll() skips white space, accepts a
       * sign and trailing junk, and the gint64 is cast to int, so these map to RH-4001. */
      g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_INTERNAL);
    }
}

/* A hostile server controls the types too. The test environment has G_DEBUG=fatal-criticals;
 * each case runs in a subprocess so that a critical is reported as that case failing. */
static const char *const wrong_type_errors[] = {
  "{\"type\":\"error\",\"code\":4001,\"message\":\"m\"}",
  "{\"type\":\"error\",\"code\":{},\"message\":\"m\"}",
  "{\"type\":\"error\",\"code\":[\"RH-4001\"],\"message\":\"m\"}",
  "{\"type\":\"error\",\"code\":null,\"message\":\"m\"}",
  "{\"type\":\"error\",\"code\":true,\"message\":\"m\"}",
  "{\"type\":\"error\",\"code\":\"RH-4001\",\"message\":7}",
  "{\"type\":\"error\",\"code\":\"RH-4001\",\"message\":{}}",
  "{\"type\":\"error\",\"code\":\"RH-4001\",\"message\":[\"m\"]}",
  "{\"type\":\"error\",\"code\":\"RH-4001\",\"message\":null}",
};
#define N_WRONG_TYPE_CODES 5  /* the first five have a bad "code" */

static void
test_error_wrong_types (gconstpointer data)
{
  gsize i = GPOINTER_TO_SIZE (data);
  g_autoptr(GError) error = NULL;

  /* Fixed bug, kept as a regression test (rh-message.c, rh_message_to_error): json_object_get_string_member_with_default()
   * returns NULL for a number or boolean (then g_str_has_prefix (NULL, …) is a critical and
   * "%.200s" is given NULL) and is itself a critical for an object or array. */
  g_test_message ("%s", wrong_type_errors[i]);
  if (!run_in_subprocess ())
    return;

  error = error_from_json (wrong_type_errors[i]);
  g_assert_nonnull (error);
  g_assert_true (error->domain == RH_PROTOCOL_ERROR);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_null (strstr (error->message, "(null)"));
  if (i < N_WRONG_TYPE_CODES)
    g_assert_cmpint (error->code, ==, RH_ERROR_INTERNAL);
  else
    g_assert_cmpint (error->code, ==, RH_ERROR_CODE_INVALID);
}

#define ERROR_PREFIX "{\"type\":\"error\",\"code\":\"RH-4001\",\"message\":\""

static void
test_error_truncated (void)
{
  g_autoptr(GString) text = g_string_new (ERROR_PREFIX);
  g_autofree char *expected = g_strnfill (200, 'a');
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) exact = NULL;

  for (int i = 0; i < 300; i++)
    g_string_append_c (text, 'a');
  g_string_append (text, "\"}");
  error = error_from_json (text->str);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CODE_INVALID);
  g_assert_cmpstr (error->message, ==, expected);

  g_string_printf (text, "{\"type\":\"error\",\"code\":\"RH-4001\",\"message\":\"%s\"}", expected);
  exact = error_from_json (text->str);
  g_assert_cmpstr (exact->message, ==, expected);
}

static void
test_error_truncated_utf8 (void)
{
  g_autoptr(GString) text = g_string_new (ERROR_PREFIX);
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  /* 300 three-byte characters. */
  for (int i = 0; i < 300; i++)
    {
      g_string_append (text, "\xe6\x9d\x8e");
      if (i < 200)
        g_string_append (expected, "\xe6\x9d\x8e");
    }
  g_string_append (text, "\"}");
  error = error_from_json (text->str);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CODE_INVALID);
  /* Fixed bug, kept as a regression test (rh-message.c, rh_message_to_error): "%.200s" counts bytes and cuts the 67th character
   * in half, so the message is not valid UTF-8 (and 66 characters, not 200). */
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_cmpint (g_utf8_strlen (error->message, -1), ==, 200);
  g_assert_cmpstr (error->message, ==, expected->str);
}

/* Fuzz: nothing a peer sends may crash the parser or a getter, and the getters keep their
 * promises on whatever parses. */

static const char *const fuzz_fields[] = {
  "type", "id", "slot", "n", "flag", "data", "opt", "nested", "code", "message", "missing", "",
};

static void
exercise_getters (JsonObject *msg)
{
  g_autofree char *text = NULL;
  const char *type = rh_message_get_type (msg);
  gint64 id = rh_message_get_id (msg);

  g_assert_nonnull (type);
  g_assert_true (g_utf8_validate (type, -1, NULL));
  g_assert_cmpint (id, >=, -1);

  for (gsize i = 0; i < G_N_ELEMENTS (fuzz_fields); i++)
    {
      const char *field = fuzz_fields[i];
      static const gsize string_limits[] = { 0, 4, 1000 };
      gint64 v = 0;
      gboolean b = FALSE;

      for (gsize j = 0; j < G_N_ELEMENTS (string_limits); j++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GError) or_null_error = NULL;
          const char *s = rh_message_get_string (msg, field, string_limits[j], &error);
          const char *t;

          if (s != NULL)
            {
              g_assert_no_error (error);
              g_assert_cmpuint (strlen (s), <=, string_limits[j]);
              /* (Valid UTF-8 is checked in /message/get-string/escaped-surrogate.) */
            }
          else
            {
              g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE);
            }
          t = rh_message_get_string_or_null (msg, field, string_limits[j], &or_null_error);
          g_assert_true (t == s);
          if (s != NULL)
            g_assert_no_error (or_null_error);
        }

      {
        g_autoptr(GError) error = NULL;

        if (rh_message_get_int (msg, field, -100, 100, &v, &error))
          {
            g_assert_no_error (error);
            g_assert_cmpint (v, >=, -100);
            g_assert_cmpint (v, <=, 100);
          }
        else
          {
            g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE);
          }
        g_clear_error (&error);
        if (!rh_message_get_int (msg, field, G_MININT64, G_MAXINT64, &v, &error))
          g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE);
      }

      {
        g_autoptr(GError) error = NULL;

        if (rh_message_get_bool (msg, field, &b, &error))
          g_assert_true (b == TRUE || b == FALSE);
        else
          g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE);
      }

      {
        static const struct { gsize exact; gsize max; } limits[] = {
          { 0, 0 }, { 0, 8 }, { 0, 1000 }, { 4, 0 }, { 8, 0 },
        };

        for (gsize j = 0; j < G_N_ELEMENTS (limits); j++)
          {
            g_autoptr(GError) error = NULL;
            g_autoptr(GBytes) bytes = rh_message_get_bytes (msg, field, limits[j].exact,
                                                            limits[j].max, &error);

            if (bytes != NULL)
              {
                g_assert_no_error (error);
                if (limits[j].exact)
                  g_assert_cmpuint (g_bytes_get_size (bytes), ==, limits[j].exact);
                else
                  g_assert_cmpuint (g_bytes_get_size (bytes), <=, limits[j].max);
              }
            else
              {
                g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE);
              }
          }
      }
    }

  /* What we parsed we can write out again. */
  text = rh_message_to_string (msg);
  g_assert_nonnull (text);
}

static guint
fuzz_one (const char *data,
          gsize       len,
          gsize       max_len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) msg = rh_message_parse (data, len, max_len, &error);

  if (msg == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == RH_PROTOCOL_ERROR);
      g_assert_true (error->code == RH_ERROR_MALFORMED_MESSAGE ||
                     error->code == RH_ERROR_MESSAGE_TOO_LARGE);
      if (error->code == RH_ERROR_MESSAGE_TOO_LARGE)
        g_assert_cmpuint (len, >, max_len);
      return 0;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (len, <=, max_len);
  exercise_getters (msg);
  return 1;
}

#define FUZZ_SEED 0x52480001
#define FUZZ_ROUNDS 10000

static const char json_bytes[] = "{}[]\":,.-+0123456789eE \\/\"ntrufalsyp=AQ\xc3\xa9\xff\x00";

static guint8
fuzz_byte (GRand *rand)
{
  if (g_rand_boolean (rand))
    return (guint8) g_rand_int_range (rand, 0, 256);
  return (guint8) json_bytes[g_rand_int_range (rand, 0, sizeof json_bytes - 1)];
}

static void
test_fuzz_random (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (FUZZ_SEED);
  guint parsed = 0;

  for (int round = 0; round < FUZZ_ROUNDS; round++)
    {
      gsize len = (gsize) g_rand_int_range (rand, 0, 300);
      g_autofree char *data = g_malloc (len + 1);

      for (gsize i = 0; i < len; i++)
        data[i] = (char) fuzz_byte (rand);
      data[len] = '\0';
      parsed += fuzz_one (data, len, 256);
    }
  g_test_message ("%u of %d random strings parsed", parsed, FUZZ_ROUNDS);
}

static const char *const fuzz_tokens[] = {
  "{", "}", "[", "]", "\"", ":", ",", "null", "true", "false", "-0", "1e400", "-1",
  "9223372036854775808", "\"type\"", "\"id\"", "\"data\":", "\"AAAA\"", "\"A===\"", "\\u0000",
  "\\ud800", "\xc3", "\xe6\x9d\x8e", "\"\":", "{\"type\":\"x\"}", "0.5", "\"RH-4001\"",
};

static void
mutate (GString *s,
        GRand   *rand)
{
  gsize pos = s->len ? (gsize) g_rand_int_range (rand, 0, (gint32) s->len + 1) : 0;

  switch (g_rand_int_range (rand, 0, 6))
    {
    case 0:
      if (pos < s->len)
        s->str[pos] = (char) fuzz_byte (rand);
      break;
    case 1:
      g_string_insert_c (s, (gssize) pos, (char) fuzz_byte (rand));
      break;
    case 2:
      if (pos < s->len)
        {
          gsize n = (gsize) g_rand_int_range (rand, 1, 8);

          g_string_erase (s, (gssize) pos, (gssize) MIN (s->len - pos, n));
        }
      break;
    case 3:
      g_string_insert (s, (gssize) pos,
                       fuzz_tokens[g_rand_int_range (rand, 0, G_N_ELEMENTS (fuzz_tokens))]);
      break;
    case 4:
      if (pos < s->len)
        {
          gsize want = (gsize) g_rand_int_range (rand, 1, 16);
          gsize n = MIN (s->len - pos, want);
          g_autofree char *copy = g_strndup (s->str + pos, n);
          gsize at = (gsize) g_rand_int_range (rand, 0, (gint32) s->len + 1);

          g_string_insert_len (s, (gssize) at, copy, (gssize) n);
        }
      break;
    default:
      if (pos < s->len)
        s->str[pos] ^= (char) (1 << g_rand_int_range (rand, 0, 8));
      break;
    }
}

static void
test_fuzz_mutations (void)
{
  const char *valid = "{\"type\":\"pair\",\"id\":42,\"slot\":\"K7P4\",\"n\":-7,\"flag\":true,"
                      "\"data\":\"AAECAwQFBgc=\",\"opt\":null,"
                      "\"nested\":{\"a\":[1,2.5,\"x\",{\"b\":[]}]},"
                      "\"code\":\"RH-4001\",\"message\":\"\xe6\x9d\x8e\"}";
  g_autoptr(GRand) rand = g_rand_new_with_seed (FUZZ_SEED + 1);
  guint parsed = 0;

  /* The starting point parses, so the mutations start from something meaningful. */
  g_assert_cmpuint (fuzz_one (valid, strlen (valid), 4096), ==, 1);

  for (int round = 0; round < FUZZ_ROUNDS; round++)
    {
      g_autoptr(GString) s = g_string_new (valid);
      int n_mutations = g_rand_int_range (rand, 1, 9);

      for (int i = 0; i < n_mutations; i++)
        mutate (s, rand);
      parsed += fuzz_one (s->str, s->len, 4096);
    }
  g_test_message ("%u of %d mutations parsed", parsed, FUZZ_ROUNDS);
  /* Some mutations keep the message valid, so the getters ran on odd but valid input too. */
  g_assert_cmpuint (parsed, >, 100);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* Added first so that they run first: without -k, GLib stops at the first failing test. */
  g_test_add_func ("/message/fuzz/random", test_fuzz_random);
  g_test_add_func ("/message/fuzz/mutations", test_fuzz_mutations);
  g_test_add_func ("/message/parse/valid", test_parse_valid);
  g_test_add_func ("/message/parse/length", test_parse_length_is_honoured);
  g_test_add_func ("/message/parse/not-object", test_parse_not_object);
  g_test_add_func ("/message/parse/bad-type", test_parse_bad_type);
  g_test_add_func ("/message/parse/invalid-utf8", test_parse_invalid_utf8);
  g_test_add_func ("/message/parse/too-large", test_parse_too_large);
  for (gsize i = 0; i < G_N_ELEMENTS (nesting_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/message/parse/deep-nesting/",
                                           nesting_cases[i].name, NULL);

      g_test_add_data_func (path, &nesting_cases[i], test_parse_deep_nesting);
    }
  g_test_add_func ("/message/get-id", test_get_id);
  g_test_add_func ("/message/get-string", test_get_string);
  g_test_add_data_func ("/message/get-string/escaped-surrogate",
                        test_get_string_escaped_surrogate, test_isolated);
  g_test_add_func ("/message/get-string-or-null", test_get_string_or_null);
  g_test_add_func ("/message/get-int", test_get_int);
  g_test_add_func ("/message/get-bool", test_get_bool);
  g_test_add_func ("/message/get-bytes/valid", test_get_bytes_valid);
  g_test_add_func ("/message/get-bytes/round-trip", test_get_bytes_round_trip);
  g_test_add_func ("/message/get-bytes/invalid", test_get_bytes_invalid);
  g_test_add_data_func ("/message/get-bytes/canonical", test_get_bytes_canonical, test_isolated);
  g_test_add_func ("/message/new/to-string", test_new_and_to_string);
  g_test_add_func ("/message/error/round-trip", test_error_round_trip);
  g_test_add_func ("/message/error/round-trip-all-codes", test_error_round_trip_all_codes);
  g_test_add_func ("/message/error/no-id", test_error_no_id);
  g_test_add_func ("/message/error/foreign", test_error_foreign);
  g_test_add_func ("/message/error/unknown-code", test_error_unknown_code);
  g_test_add_data_func ("/message/error/unknown-code-strict", test_error_unknown_code_strict,
                        test_isolated);
  for (gsize i = 0; i < G_N_ELEMENTS (wrong_type_errors); i++)
    {
      g_autofree char *path = g_strdup_printf ("/message/error/wrong-types/%" G_GSIZE_FORMAT, i);

      g_test_add_data_func (path, GSIZE_TO_POINTER (i), test_error_wrong_types);
    }
  g_test_add_func ("/message/error/truncated", test_error_truncated);
  g_test_add_data_func ("/message/error/truncated-utf8", test_error_truncated_utf8,
                        test_isolated);

  return g_test_run ();
}
