/* test-chat.c: the session's chat thread through a real remote-help-server on 127.0.0.1
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "rh-chat-message.h"
#include "rh-error.h"
#include "rh-message.h"
#include "rh-rendezvous-client.h"
#include "rh-store-sqlite.h"
#include "rh-test-server.h"

#define WAIT_MS 15000

typedef struct
{
  RhTestServer       *server;
  RhRendezvousClient *helper;
  RhRendezvousClient *sharer;
  GPtrArray          *helper_seen;  /* RhChatMessage */
  GPtrArray          *sharer_seen;
} Fixture;

static void
on_chat (RhRendezvousClient *client,
         RhChatMessage      *message,
         gpointer            user_data)
{
  g_ptr_array_add (user_data, rh_chat_message_copy (message));
}

static void
pair (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->helper = rh_test_server_signed_in (f->server, "helen", "helen-password");
  f->sharer = rh_test_server_signed_in (f->server, "sam", "sam-password");
  rh_test_pair (f->helper, f->sharer, WAIT_MS, NULL, NULL, &error);
  g_assert_no_error (error);

  g_signal_connect (f->helper, "chat-message", G_CALLBACK (on_chat), f->helper_seen);
  g_signal_connect (f->sharer, "chat-message", G_CALLBACK (on_chat), f->sharer_seen);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = rh_test_server_new ();
  f->helper_seen = g_ptr_array_new_with_free_func ((GDestroyNotify) rh_chat_message_free);
  f->sharer_seen = g_ptr_array_new_with_free_func ((GDestroyNotify) rh_chat_message_free);
  if (data != NULL)
    g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "settings", "set",
                                           "chat-disabled", "true", NULL), ==, 0);
  rh_test_server_start (f->server, NULL);
  pair (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->helper);
  g_clear_object (&f->sharer);
  g_clear_pointer (&f->helper_seen, g_ptr_array_unref);
  g_clear_pointer (&f->sharer_seen, g_ptr_array_unref);
  g_clear_pointer (&f->server, rh_test_server_free);
}

/* Returns the seq, or 0 with *error set. */
static gint64
send_chat (RhRendezvousClient *client,
           const char         *text,
           GError            **error)
{
  g_autoptr(GAsyncResult) r = NULL;

  rh_rendezvous_client_send_chat_async (client, text, NULL, rh_test_store_result, &r);
  return rh_rendezvous_client_send_chat_finish (client, rh_test_wait_result (&r, WAIT_MS),
                                                error);
}

static gboolean
wait_count (GPtrArray *seen,
            guint      count)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  while (seen->len < count && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return seen->len >= count;
}

static GPtrArray *
stored_thread (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->server->data_dir, "remote-help.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhStore) store = rh_store_sqlite_new (path, &error);
  GPtrArray *thread;

  g_assert_no_error (error);
  thread = rh_store_chat_list (store, rh_rendezvous_client_get_pairing_id (f->helper), &error);
  g_assert_no_error (error);
  return thread;
}

static int
count_audit (Fixture    *f,
             const char *action)
{
  g_autofree char *path = g_build_filename (f->server->data_dir, "remote-help.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int count;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM audit WHERE action = ?1", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, action, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return count;
}

static void
assert_message (RhChatMessage *m,
                const char    *from,
                const char    *name,
                const char    *role,
                const char    *text)
{
  g_assert_cmpstr (m->from, ==, from);
  g_assert_cmpstr (m->name, ==, name);
  g_assert_cmpstr (m->role, ==, role);
  g_assert_cmpstr (m->text, ==, text);
  g_assert_cmpint (ABS (m->at - g_get_real_time () / G_USEC_PER_SEC), <, 60);
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  const char *arabic = "مرحبا، هل ترى الشاشة؟";
  const char *chinese = "你好！\n请打开设置。";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) thread = NULL;
  gint64 seq1, seq2, seq3;

  g_assert_true (rh_rendezvous_client_get_chat_enabled (f->helper));
  g_assert_true (rh_rendezvous_client_get_chat_enabled (f->sharer));

  seq1 = send_chat (f->helper, arabic, &error);
  g_assert_no_error (error);
  /* The service trims what surrounds the text, not what is inside it. */
  seq2 = send_chat (f->sharer, "  \t你好！\n请打开设置。\n", &error);
  g_assert_no_error (error);
  seq3 = send_chat (f->helper, "OK 👍", &error);
  g_assert_no_error (error);
  g_assert_cmpint (seq1, <, seq2);
  g_assert_cmpint (seq2, <, seq3);

  /* Both sides see the same thread, in the same order, including their own messages. */
  g_assert_true (wait_count (f->helper_seen, 3));
  g_assert_true (wait_count (f->sharer_seen, 3));
  for (guint i = 0; i < 3; i++)
    {
      RhChatMessage *h = f->helper_seen->pdata[i], *s = f->sharer_seen->pdata[i];

      g_assert_cmpint (h->seq, ==, s->seq);
      g_assert_cmpstr (h->text, ==, s->text);
    }
  assert_message (f->sharer_seen->pdata[0], "helen", "Helen Helper", "helper", arabic);
  assert_message (f->helper_seen->pdata[1], "sam", "Sam Sharer", "sharer", chinese);
  g_assert_cmpint (((RhChatMessage *) f->helper_seen->pdata[1])->seq, ==, seq2);
  assert_message (f->sharer_seen->pdata[2], "helen", "Helen Helper", "helper", "OK 👍");

  /* Kept by the service as the pairing's thread. */
  thread = stored_thread (f);
  g_assert_cmpuint (thread->len, ==, 3);
  g_assert_cmpstr (((RhChatEntry *) thread->pdata[0])->body, ==, arabic);
  g_assert_cmpstr (((RhChatEntry *) thread->pdata[1])->sender_login, ==, "sam");
  g_assert_cmpstr (((RhChatEntry *) thread->pdata[1])->sender_role, ==, "sharer");
  g_assert_cmpstr (((RhChatEntry *) thread->pdata[1])->body, ==, chinese);

  /* An administrator reads it with the CLI; continuation lines are indented; reading is
   * audited. */
  {
    const char *pairing = rh_rendezvous_client_get_pairing_id (f->helper);
    g_autofree char *out = NULL;
    g_autofree char *json = NULL;
    g_autofree char *err = NULL;
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonArray *array;

    g_assert_cmpint (rh_test_server_admin (f->server, &out, NULL, "chat", "show", pairing,
                                           NULL), ==, 0);
    g_assert_nonnull (strstr (out, " helen (helper): مرحبا، هل ترى الشاشة؟\n"));
    g_assert_nonnull (strstr (out, " sam (sharer): 你好！\n    请打开设置。\n"));
    g_assert_cmpint (rh_test_server_admin (f->server, &json, NULL, "chat", "show", pairing,
                                           "--format", "json", NULL), ==, 0);
    g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
    array = json_node_get_array (json_parser_get_root (parser));
    g_assert_cmpuint (json_array_get_length (array), ==, 3);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 1),
                                                    "text"), ==, chinese);
    g_assert_cmpint (rh_test_server_admin (f->server, NULL, &err, "chat", "show", "not-a-pairing",
                                           NULL), ==, 2);
    g_assert_nonnull (strstr (err, "RH-1008"));
    g_assert_cmpint (count_audit (f, "chat.viewed"), ==, 2);
  }
}

static void
assert_refused (RhRendezvousClient *client,
                const char         *text,
                int                 code)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (send_chat (client, text, &error), ==, 0);
  g_assert_nonnull (error);
  g_assert_cmpint (error->code, ==, code);
}

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GString) longest = g_string_new (NULL);
  g_autoptr(GString) too_long = NULL;
  g_autoptr(GPtrArray) thread = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(JsonObject) other = NULL;
  g_autoptr(JsonObject) reply = NULL;

  assert_refused (f->helper, "", RH_ERROR_CHAT_INVALID);
  assert_refused (f->helper, " \n\t ", RH_ERROR_CHAT_INVALID);
  assert_refused (f->helper, "bell\a", RH_ERROR_CHAT_INVALID);
  assert_refused (f->sharer, "escape \033[2J", RH_ERROR_CHAT_INVALID);
  assert_refused (f->sharer, "c1 \xc2\x9b", RH_ERROR_CHAT_INVALID);

  /* The limit counts characters, not bytes: 4000 Chinese characters are fine. */
  for (int i = 0; i < 4000; i++)
    g_string_append (longest, "字");
  g_assert_cmpint (send_chat (f->helper, longest->str, &error), >, 0);
  g_assert_no_error (error);
  too_long = g_string_new (longest->str);
  g_string_append_c (too_long, 'x');
  assert_refused (f->helper, too_long->str, RH_ERROR_CHAT_INVALID);

  /* A pairing this connection is not part of. */
  other = rh_message_new ("chat-send");
  json_object_set_string_member (other, "pairing", "00000000000000000000000000000000");
  json_object_set_string_member (other, "text", "hello");
  rh_rendezvous_client_request_async (f->sharer, other, NULL, rh_test_store_result, &r);
  reply = rh_rendezvous_client_request_finish (f->sharer, rh_test_wait_result (&r, WAIT_MS),
                                               &error);
  g_assert_null (reply);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE);
  g_clear_error (&error);

  /* Only the valid message was kept, and both apps still work. */
  thread = stored_thread (f);
  g_assert_cmpuint (thread->len, ==, 1);
  g_assert_cmpint (send_chat (f->sharer, "still here", &error), >, 0);
  g_assert_no_error (error);
  g_assert_true (wait_count (f->helper_seen, 2));
}

static void
test_rate_limit (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GPtrArray) thread = NULL;
  int sent = 0, limited = 0;

  for (int i = 0; i < 40; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("message %d", i);

      if (send_chat (f->sharer, text, &error) > 0)
        sent++;
      else if (g_error_matches (error, RH_PROTOCOL_ERROR, RH_ERROR_RATE_LIMITED))
        limited++;
      else
        g_assert_no_error (error);
    }
  g_assert_cmpint (sent, ==, 30);
  g_assert_cmpint (limited, ==, 10);
  thread = stored_thread (f);
  g_assert_cmpuint (thread->len, ==, 30);
}

static void
test_disabled (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GPtrArray) thread = NULL;

  /* The apps are told, so they can hide chat; the service refuses it anyway. */
  g_assert_false (rh_rendezvous_client_get_chat_enabled (f->helper));
  g_assert_false (rh_rendezvous_client_get_chat_enabled (f->sharer));
  assert_refused (f->helper, "hello", RH_ERROR_CHAT_DISABLED);
  assert_refused (f->sharer, "hello", RH_ERROR_CHAT_DISABLED);
  thread = stored_thread (f);
  g_assert_cmpuint (thread->len, ==, 0);
  g_assert_cmpuint (f->helper_seen->len + f->sharer_seen->len, ==, 0);
}

static void
test_disabled_during_session (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) thread = NULL;

  g_assert_cmpint (send_chat (f->helper, "before", &error), >, 0);
  g_assert_no_error (error);
  g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "settings", "set",
                                         "chat-disabled", "true", NULL), ==, 0);
  assert_refused (f->sharer, "after", RH_ERROR_CHAT_DISABLED);
  thread = stored_thread (f);
  g_assert_cmpuint (thread->len, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func, disabled) \
  g_test_add (name, Fixture, disabled, fixture_setup, func, fixture_teardown)
  ADD ("/chat/round-trip", test_round_trip, NULL);
  ADD ("/chat/bad-input", test_bad_input, NULL);
  ADD ("/chat/rate-limit", test_rate_limit, NULL);
  ADD ("/chat/disabled", test_disabled, "disabled");
  ADD ("/chat/disabled-during-session", test_disabled_during_session, NULL);
#undef ADD

  return g_test_run ();
}
