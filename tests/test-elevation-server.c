/* test-elevation-server.c: the server's side of administrator access (issue #6) — who may ask
 * for it, what the sharer's app may report, and what ends up in the audit log and the session
 * record — with a real server and real clients on 127.0.0.1
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The organisation: helen is an operator (built-in role: view, control, elevation) for
 * Finance (sam); carl is a controller (view and control, no elevation) for Finance. The tests'
 * default blanket assignment is deleted first.
 */
#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-message.h"
#include "rh-ws-client.h"
#include "rh-test-server.h"

#define WAIT_MS 15000

typedef struct
{
  RhTestServer       *server;
  RhRendezvousClient *helper;
  RhRendezvousClient *sharer;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = rh_test_server_new ();
  rh_test_server_add_user (f->server, "carl", "Carl Controller", "carl-password");
  rh_test_server_admin_ok (f->server, "assignment", "delete", "1", NULL);
  rh_test_server_admin_ok (f->server, "group", "create", "Operators", "--member", "helen", NULL);
  rh_test_server_admin_ok (f->server, "group", "create", "Controllers", "--member", "carl", NULL);
  rh_test_server_admin_ok (f->server, "group", "create", "Finance", "--member", "sam", NULL);
  rh_test_server_admin_ok (f->server, "role", "create", "Controller", "--permissions",
                           "view-screen,take-full-control", NULL);
  rh_test_server_admin_ok (f->server, "assignment", "create", "--role", "Help Desk Operator",
                           "--helpers", "Operators", "--scope", "Finance", NULL);
  rh_test_server_admin_ok (f->server, "assignment", "create", "--role", "Controller", "--helpers",
                           "Controllers", "--scope", "Finance", NULL);
  rh_test_server_start (f->server, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->helper);
  g_clear_object (&f->sharer);
  g_clear_pointer (&f->server, rh_test_server_free);
}

/* Signs in `helper` and sam and pairs them in-process. */
static void
pair (Fixture    *f,
      const char *helper)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *password = g_strdup_printf ("%s-password", helper);

  f->helper = rh_test_server_signed_in (f->server, helper, password);
  f->sharer = rh_test_server_signed_in (f->server, "sam", "sam-password");
  g_assert_true (rh_test_pair (f->helper, f->sharer, WAIT_MS, NULL, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
request_mode (Fixture     *f,
              const char  *mode,
              GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  rh_rendezvous_client_request_mode_async (f->helper, mode, NULL, rh_test_store_result,
                                           &result);
  return rh_rendezvous_client_request_mode_finish (f->helper,
                                                   rh_test_wait_result (&result, WAIT_MS),
                                                   error);
}

/* The sharer's app reporting what the person consented to. */
static void
report_session (Fixture    *f,
                const char *mode)
{
  g_autoptr(JsonObject) report = rh_message_new ("session-report");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;

  json_object_set_string_member (report, "pairing",
                                 rh_rendezvous_client_get_pairing_id (f->sharer));
  json_object_set_string_member (report, "mode", mode);
  json_object_set_string_member (report, "device", "sam-laptop");
  rh_rendezvous_client_request_async (f->sharer, g_steal_pointer (&report), NULL,
                                      rh_test_store_result, &result);
  reply = rh_rendezvous_client_request_finish (f->sharer, rh_test_wait_result (&result, WAIT_MS),
                                               &error);
  g_assert_no_error (error);
  g_assert_nonnull (reply);
}

/* An elevation-report through the client API the sharer's app uses; `fields` is a JSON object
 * text for brevity. */
static gboolean
report (RhRendezvousClient  *client,
        const char          *fields,
        GError             **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) parse_error = NULL;

  g_assert_true (json_parser_load_from_data (parser, fields, -1, &parse_error));
  g_assert_no_error (parse_error);
  rh_rendezvous_client_report_elevation_async (client,
                                               json_node_get_object (json_parser_get_root (parser)),
                                               NULL, rh_test_store_result, &result);
  return rh_rendezvous_client_report_elevation_finish (client,
                                                       rh_test_wait_result (&result, WAIT_MS),
                                                       error);
}

static void
report_ok (Fixture    *f,
           const char *fields)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (report (f->sharer, fields, &error));
  g_assert_no_error (error);
}

static void
report_fails (Fixture     *f,
              const char  *fields,
              int          code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (report (f->sharer, fields, &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, code);
  g_test_message ("%s → %s", fields, error->message);
}

/* "actor action detail" of every elevation.* audit row, in order, one per line. */
static char *
elevation_audit (Fixture *f)
{
  g_autoptr(GString) out = g_string_new (NULL);
  sqlite3 *db = rh_test_server_open_db (f->server, FALSE);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT actor, action, detail FROM audit"
                                       " WHERE action LIKE 'elevation.%' ORDER BY id", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (out, "%s %s %s\n", sqlite3_column_text (stmt, 0),
                            sqlite3_column_text (stmt, 1), sqlite3_column_text (stmt, 2));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_test_message ("audit:\n%s", out->str);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* "mode|modes|elevation_used|elevation_tools|elevation_end" of the only session record. */
static char *
session_row (Fixture *f)
{
  sqlite3 *db = rh_test_server_open_db (f->server, FALSE);
  sqlite3_stmt *stmt = NULL;
  char *row;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*), mode, modes, elevation_used,"
                                       " elevation_tools, coalesce (elevation_end, '-')"
                                       " FROM sessions", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 1);
  row = g_strdup_printf ("%s|%s|%d|%s|%s", sqlite3_column_text (stmt, 1),
                         sqlite3_column_text (stmt, 2), sqlite3_column_int (stmt, 3),
                         sqlite3_column_text (stmt, 4), sqlite3_column_text (stmt, 5));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return row;
}

/* Tests */

/* A helper whose role lacks elevation is refused even in full control. */
static void
test_request_without_permission (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *audit = NULL;

  pair (f, "carl");
  g_assert_true (request_mode (f, "control", &error));
  g_assert_no_error (error);
  report_session (f, "control");

  g_assert_false (request_mode (f, "elevation", &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MODE_NOT_PERMITTED);
  audit = elevation_audit (f);
  g_assert_cmpstr (audit, ==,
                   "carl elevation.refused {\"reason\":\"role\",\"sharer\":\"sam\"}\n");
}

/* Before the sharer consented, and in a view-only session, the request is refused; once the
 * session is in full control it is allowed. */
static void
test_request_needs_control (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *audit = NULL;

  pair (f, "helen");
  g_assert_false (request_mode (f, "elevation", &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_ELEVATION_NEEDS_CONTROL);
  g_clear_error (&error);

  report_session (f, "view");
  g_assert_false (request_mode (f, "elevation", &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_ELEVATION_NEEDS_CONTROL);
  g_clear_error (&error);

  report_session (f, "control");
  g_assert_true (request_mode (f, "elevation", &error));
  g_assert_no_error (error);

  /* Back to view-only: no longer. */
  report_session (f, "view");
  g_assert_false (request_mode (f, "elevation", &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_ELEVATION_NEEDS_CONTROL);

  audit = elevation_audit (f);
  g_assert_cmpstr (audit, ==,
                   "helen elevation.refused {\"reason\":\"not-in-control\",\"sharer\":\"sam\"}\n"
                   "helen elevation.refused {\"reason\":\"not-in-control\",\"sharer\":\"sam\"}\n"
                   "helen elevation.requested {\"sharer\":\"sam\"}\n"
                   "helen elevation.refused {\"reason\":\"not-in-control\",\"sharer\":\"sam\"}\n");
}

/* The whole life of administrator access, as the sharer's app reports it. */
static void
test_full_sequence (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *audit = NULL;
  g_autofree char *row = NULL;

  pair (f, "helen");
  report_session (f, "control");
  g_assert_true (request_mode (f, "elevation", &error));
  g_assert_no_error (error);

  /* Nothing before the person allowed it. */
  report_fails (f, "{\"event\":\"tool-started\",\"tool\":\"Terminal\",\"ok\":true}",
                RH_ERROR_ELEVATION_NO_GRANT);
  report_fails (f, "{\"event\":\"ending\",\"action\":\"sign-out\"}", RH_ERROR_ELEVATION_NO_GRANT);
  report_fails (f, "{\"event\":\"ended\",\"action\":\"sign-out\",\"ok\":true,\"steps\":\"\"}",
                RH_ERROR_ELEVATION_NO_GRANT);
  row = session_row (f);
  g_assert_cmpstr (row, ==, "control|control|0|[]|-");
  g_clear_pointer (&row, g_free);

  report_ok (f, "{\"event\":\"granted\"}");
  row = session_row (f);
  g_assert_cmpstr (row, ==, "control|control,elevation|1|[]|-");
  g_clear_pointer (&row, g_free);
  /* The session stays in control: the helper may ask again (after a reconnect, say). */
  g_assert_true (request_mode (f, "elevation", &error));
  g_assert_no_error (error);

  report_ok (f, "{\"event\":\"tool-started\",\"tool\":\"Terminal\",\"ok\":true}");
  report_ok (f, "{\"event\":\"tool-started\",\"tool\":\"Disk usage\",\"ok\":false,"
                "\"error\":\"pkexec: Not authorized\\nby polkit\"}");
  report_ok (f, "{\"event\":\"ending\",\"action\":\"sign-out\"}");
  row = session_row (f);
  g_assert_cmpstr (row, ==, "control|control,elevation|1|"
                   "[{\"tool\":\"Terminal\",\"ok\":true},"
                   "{\"tool\":\"Disk usage\",\"ok\":false,"
                   "\"error\":\"pkexec: Not authorized\\nby polkit\"}]|sign-out: started");
  g_clear_pointer (&row, g_free);
  report_ok (f, "{\"event\":\"ended\",\"action\":\"sign-out\",\"ok\":true,"
                "\"steps\":\"tools: ok\\npolkit: ok\\nsudo: ok\\nsign-out: ok\"}");

  row = session_row (f);
  g_assert_cmpstr (row, ==, "control|control,elevation|1|"
                   "[{\"tool\":\"Terminal\",\"ok\":true},"
                   "{\"tool\":\"Disk usage\",\"ok\":false,"
                   "\"error\":\"pkexec: Not authorized\\nby polkit\"}]|sign-out: ok");
  audit = elevation_audit (f);
  g_assert_cmpstr (audit, ==,
                   "helen elevation.requested {\"sharer\":\"sam\"}\n"
                   "sam elevation.refused {\"reason\":\"not-granted\",\"event\":\"tool-started\"}\n"
                   "sam elevation.refused {\"reason\":\"not-granted\",\"event\":\"ending\"}\n"
                   "sam elevation.refused {\"reason\":\"not-granted\",\"event\":\"ended\"}\n"
                   "sam elevation.granted {\"helper\":\"helen\"}\n"
                   "helen elevation.requested {\"sharer\":\"sam\"}\n"
                   "sam elevation.tool-started {\"tool\":\"Terminal\",\"ok\":true}\n"
                   "sam elevation.tool-started {\"tool\":\"Disk usage\",\"ok\":false,"
                   "\"error\":\"pkexec: Not authorized\\nby polkit\"}\n"
                   "sam elevation.ending {\"action\":\"sign-out\"}\n"
                   "sam elevation.ended {\"action\":\"sign-out\",\"ok\":true,"
                   "\"steps\":\"tools: ok\\npolkit: ok\\nsudo: ok\\nsign-out: ok\"}\n");
}

/* A failed end names its steps in the record; the person declining is audited. */
static void
test_denied_and_failed_end (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *audit = NULL;
  g_autofree char *row = NULL;

  pair (f, "helen");
  report_session (f, "control");
  report_ok (f, "{\"event\":\"denied\",\"reason\":\"declined\"}");
  report_ok (f, "{\"event\":\"denied\",\"reason\":\"no-answer\"}");
  report_ok (f, "{\"event\":\"granted\"}");
  report_ok (f, "{\"event\":\"ending\",\"action\":\"lock\"}");
  report_ok (f, "{\"event\":\"ended\",\"action\":\"lock\",\"ok\":false,"
                "\"steps\":\"tools: ok\\nsudo: failed\"}");
  /* A late "ending" does not hide the outcome. */
  report_ok (f, "{\"event\":\"ending\",\"action\":\"lock\"}");

  row = session_row (f);
  g_assert_cmpstr (row, ==, "control|control,elevation|1|[]|lock: failed — tools: ok\nsudo: failed");
  audit = elevation_audit (f);
  g_assert_cmpstr (audit, ==,
                   "sam elevation.denied {\"reason\":\"declined\",\"helper\":\"helen\"}\n"
                   "sam elevation.denied {\"reason\":\"no-answer\",\"helper\":\"helen\"}\n"
                   "sam elevation.granted {\"helper\":\"helen\"}\n"
                   "sam elevation.ending {\"action\":\"lock\"}\n"
                   "sam elevation.ended {\"action\":\"lock\",\"ok\":false,"
                   "\"steps\":\"tools: ok\\nsudo: failed\"}\n"
                   "sam elevation.ending {\"action\":\"lock\"}\n");
}

/* Whatever the sharer's app (or the helper's) sends, the server refuses it cleanly, records
 * nothing of it, and keeps serving. */
static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) long_tool = g_string_new (NULL);
  g_autoptr(GString) max_tool = g_string_new (NULL);
  g_autoptr(GString) long_error = g_string_new (NULL);
  g_autoptr(GString) long_steps = g_string_new (NULL);
  g_autofree char *fields = NULL;
  g_autofree char *audit = NULL;
  g_autofree char *row = NULL;

  pair (f, "helen");
  /* Granting while view-only is refused too. */
  report_session (f, "view");
  report_fails (f, "{\"event\":\"granted\"}", RH_ERROR_ELEVATION_NEEDS_CONTROL);
  report_session (f, "control");

  /* Only the sharer reports. */
  g_assert_false (report (f->helper, "{\"event\":\"granted\"}", &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE);
  g_clear_error (&error);

  report_fails (f, "{}", RH_ERROR_MALFORMED_MESSAGE);
  report_fails (f, "{\"event\":\"reboot\"}", RH_ERROR_MALFORMED_MESSAGE);
  report_fails (f, "{\"event\":7}", RH_ERROR_MALFORMED_MESSAGE);
  report_fails (f, "{\"event\":\"denied\"}", RH_ERROR_MALFORMED_MESSAGE);
  report_fails (f, "{\"event\":\"denied\",\"reason\":\"whim\"}", RH_ERROR_MALFORMED_MESSAGE);
  report_ok (f, "{\"event\":\"granted\"}");

  for (int i = 0; i < 65; i++)
    g_string_append (long_tool, "x");
  /* 64 characters, 128 bytes: the limit counts characters. */
  for (int i = 0; i < 64; i++)
    g_string_append (max_tool, "é");
  for (int i = 0; i < 301; i++)
    g_string_append (long_error, "e");
  for (int i = 0; i < 2001; i++)
    g_string_append (long_steps, "s");

  fields = g_strdup_printf ("{\"event\":\"tool-started\",\"tool\":\"%s\",\"ok\":true}",
                            long_tool->str);
  report_fails (f, fields, RH_ERROR_MALFORMED_MESSAGE);
  g_clear_pointer (&fields, g_free);
  report_fails (f, "{\"event\":\"tool-started\",\"tool\":\"\",\"ok\":true}",
                RH_ERROR_MALFORMED_MESSAGE);
  report_fails (f, "{\"event\":\"tool-started\",\"tool\":\"Term\\ninal\",\"ok\":true}",
                RH_ERROR_MALFORMED_MESSAGE);
  report_fails (f, "{\"event\":\"tool-started\",\"tool\":\"Term\\u001b[2Jinal\",\"ok\":true}",
                RH_ERROR_MALFORMED_MESSAGE);
  report_fails (f, "{\"event\":\"tool-started\",\"tool\":\"Term\\u0085inal\",\"ok\":true}",
                RH_ERROR_MALFORMED_MESSAGE);
  report_fails (f, "{\"event\":\"tool-started\",\"tool\":\"Terminal\",\"ok\":\"yes\"}",
                RH_ERROR_MALFORMED_MESSAGE);
  report_fails (f, "{\"event\":\"tool-started\",\"tool\":\"Terminal\"}",
                RH_ERROR_MALFORMED_MESSAGE);
  fields = g_strdup_printf ("{\"event\":\"tool-started\",\"tool\":\"T\",\"ok\":false,"
                            "\"error\":\"%s\"}", long_error->str);
  report_fails (f, fields, RH_ERROR_MALFORMED_MESSAGE);
  g_clear_pointer (&fields, g_free);
  report_fails (f, "{\"event\":\"tool-started\",\"tool\":\"T\",\"ok\":false,"
                   "\"error\":\"tab\\there\"}", RH_ERROR_MALFORMED_MESSAGE);
  report_fails (f, "{\"event\":\"ending\",\"action\":\"reboot\"}", RH_ERROR_MALFORMED_MESSAGE);
  report_fails (f, "{\"event\":\"ending\"}", RH_ERROR_MALFORMED_MESSAGE);
  fields = g_strdup_printf ("{\"event\":\"ended\",\"action\":\"lock\",\"ok\":true,"
                            "\"steps\":\"%s\"}", long_steps->str);
  report_fails (f, fields, RH_ERROR_MALFORMED_MESSAGE);
  g_clear_pointer (&fields, g_free);
  report_fails (f, "{\"event\":\"ended\",\"action\":\"lock\",\"ok\":true,\"steps\":\"a\\rb\"}",
                RH_ERROR_MALFORMED_MESSAGE);
  report_fails (f, "{\"event\":\"ended\",\"action\":\"lock\",\"ok\":true}",
                RH_ERROR_MALFORMED_MESSAGE);

  /* Nothing of that was recorded. */
  row = session_row (f);
  g_assert_cmpstr (row, ==, "view|view,control,elevation|1|[]|-");
  g_clear_pointer (&row, g_free);

  /* The limits themselves are accepted, and the pairing still works. */
  fields = g_strdup_printf ("{\"event\":\"tool-started\",\"tool\":\"%s\",\"ok\":true}",
                            max_tool->str);
  report_ok (f, fields);
  g_clear_pointer (&fields, g_free);
  row = session_row (f);
  g_assert_nonnull (strstr (row, max_tool->str));
  g_assert_true (request_mode (f, "elevation", &error));
  g_assert_no_error (error);

  audit = elevation_audit (f);
  g_assert_null (strstr (audit, "Term"));
  g_assert_null (strstr (audit, "reboot"));
  g_assert_null (strstr (audit, "whim"));
  g_assert_nonnull (strstr (audit, "sam elevation.refused {\"reason\":\"not-in-control\","
                                   "\"helper\":\"helen\"}\n"));
}

/* The sharer's app must never report more than 30 administrator-access events in 10 s. */
static void
test_rate_limit (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 started;
  int accepted = 0;

  pair (f, "helen");
  report_session (f, "control");
  report_ok (f, "{\"event\":\"granted\"}");
  started = g_get_monotonic_time ();
  for (int i = 0; i < 40; i++)
    {
      if (report (f->sharer, "{\"event\":\"tool-started\",\"tool\":\"Terminal\",\"ok\":true}",
                  &error))
        {
          accepted++;
          continue;
        }
      g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_RATE_LIMITED);
      g_clear_error (&error);
    }
  /* For the record, not a target: a round trip with a database write, or a refusal. */
  g_test_message ("40 reports in %.1f ms", (g_get_monotonic_time () - started) / 1000.0);
  /* The grant counted too; the clock may have started a new window during the loop. */
  g_assert_cmpint (accepted, >=, 29);
  g_assert_cmpint (accepted, <, 40);
}

static void
on_peer_left (RhRendezvousClient *client,
              const char         *who,
              const char         *reason,
              gpointer            user_data)
{
  gboolean *told = user_data;

  g_assert_cmpstr (who, ==, "server");
  g_assert_cmpstr (reason, ==, "not-permitted");
  *told = TRUE;
}

/* A sharer app that grants administrator access to a helper whose role does not have it: the
 * server ends the pairing for both. */
static void
test_granted_beyond_role (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *audit = NULL;
  g_autofree char *row = NULL;
  gboolean helper_told = FALSE;

  pair (f, "carl");
  report_session (f, "control");
  g_signal_connect (f->helper, "peer-left", G_CALLBACK (on_peer_left), &helper_told);
  report_fails (f, "{\"event\":\"granted\"}", RH_ERROR_MODE_NOT_PERMITTED);
  g_assert_true (rh_test_wait_flag (&helper_told, WAIT_MS));

  /* The pairing is gone: nothing more can be reported in it. */
  g_assert_false (report (f->sharer, "{\"event\":\"granted\"}", &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE);

  row = session_row (f);
  g_assert_true (g_str_has_prefix (row, "control|control|0|[]|-"));
  audit = elevation_audit (f);
  g_assert_cmpstr (audit, ==,
                   "sam elevation.refused {\"reason\":\"role\",\"helper\":\"carl\"}\n");
  {
    sqlite3 *db = rh_test_server_open_db (f->server, FALSE);
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM audit WHERE"
                                         " action = 'pairing.ended' AND"
                                         " detail ->> 'reason' = 'not-permitted'", -1, &stmt,
                                         NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 1);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
  }
}

/* A relay end joined by hand (no RDP behind it): the server starts the session row when both
 * ends are in, and ends it when they leave. */
typedef struct
{
  gboolean ready;
  gboolean closed;
} RelayEnd;

static void
relay_message (RhWsClient *ws,
               GBytes     *data,
               gboolean    is_binary,
               gpointer    user_data)
{
  RelayEnd *end = user_data;
  g_autoptr(JsonObject) msg = NULL;
  gsize len;
  const char *text = g_bytes_get_data (data, &len);

  if (is_binary)
    return;
  msg = rh_message_parse (text, len, RH_WS_MAX_MESSAGE, NULL);
  if (msg != NULL && g_str_equal (rh_message_get_type (msg), "relay-ready"))
    end->ready = TRUE;
}

static void
relay_closed (RhWsClient   *ws,
              const GError *error,
              gpointer      user_data)
{
  ((RelayEnd *) user_data)->closed = TRUE;
}

static RhWsClient *
join_relay (Fixture            *f,
            RhRendezvousClient *client,
            RelayEnd           *end)
{
  g_autoptr(RhWsClient) ws = rh_ws_client_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pin = NULL;
  g_autoptr(JsonObject) join = rh_message_new ("relay-join");
  g_autofree char *text = NULL;
  guint8 fingerprint[RH_FINGERPRINT_LEN];
  guint8 relay_id[RH_RELAY_ID_LEN];

  g_assert_true (rh_fingerprint_parse (f->server->tls_fingerprint, fingerprint, NULL));
  pin = g_bytes_new (fingerprint, sizeof fingerprint);
  rh_ws_client_connect_async (ws, f->server->url, RH_SUBPROTOCOL, pin, NULL, NULL,
                              rh_test_store_result, &result);
  rh_ws_client_connect_finish (ws, rh_test_wait_result (&result, WAIT_MS), &error);
  g_assert_no_error (error);
  g_signal_connect (ws, "message", G_CALLBACK (relay_message), end);
  g_signal_connect (ws, "closed", G_CALLBACK (relay_closed), end);

  g_assert_true (rh_rendezvous_client_get_relay_id (client, relay_id));
  json_object_set_int_member (join, "id", 1);
  json_object_set_string_member (join, "token", rh_rendezvous_client_get_token (client));
  json_object_set_string_member (join, "pairing", rh_rendezvous_client_get_pairing_id (client));
  rh_message_set_bytes (join, "relay", relay_id, sizeof relay_id);
  text = rh_message_to_string (join);
  rh_ws_client_send_text (ws, text, -1);
  return g_steal_pointer (&ws);
}

/* The end of administrator access is often reported after the relay closed (the sign-out
 * takes the session with it): the record the relay started still gets it. */
static void
test_after_relay_closed (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(RhWsClient) helper_relay = NULL;
  g_autoptr(RhWsClient) sharer_relay = NULL;
  g_autofree char *row = NULL;
  g_autofree char *audit = NULL;
  RelayEnd helper_end = { 0 }, sharer_end = { 0 };
  sqlite3 *db;
  sqlite3_stmt *stmt = NULL;

  pair (f, "helen");
  helper_relay = join_relay (f, f->helper, &helper_end);
  sharer_relay = join_relay (f, f->sharer, &sharer_end);
  g_assert_true (rh_test_wait_flag (&helper_end.ready, WAIT_MS));
  g_assert_true (rh_test_wait_flag (&sharer_end.ready, WAIT_MS));

  report_session (f, "control");
  report_ok (f, "{\"event\":\"granted\"}");
  report_ok (f, "{\"event\":\"tool-started\",\"tool\":\"Terminal\",\"ok\":true}");
  report_ok (f, "{\"event\":\"ending\",\"action\":\"sign-out\"}");

  rh_ws_client_close (sharer_relay);
  g_assert_true (rh_test_wait_flag (&sharer_end.closed, WAIT_MS));
  g_assert_true (rh_test_wait_flag (&helper_end.closed, WAIT_MS));

  report_ok (f, "{\"event\":\"tool-started\",\"tool\":\"Files\",\"ok\":true}");
  report_ok (f, "{\"event\":\"ended\",\"action\":\"sign-out\",\"ok\":true,\"steps\":\"all ok\"}");

  /* One row, the relay's, ended by the relay and updated afterwards. */
  row = session_row (f);
  g_assert_cmpstr (row, ==, "control|control,elevation|1|"
                   "[{\"tool\":\"Terminal\",\"ok\":true},{\"tool\":\"Files\",\"ok\":true}]|"
                   "sign-out: ok");
  db = rh_test_server_open_db (f->server, FALSE);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT ended_at IS NOT NULL FROM sessions", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  audit = elevation_audit (f);
  g_assert_nonnull (strstr (audit, "sam elevation.ended {\"action\":\"sign-out\",\"ok\":true,"
                                   "\"steps\":\"all ok\"}\n"));
}

static void
on_sharer_told (RhRendezvousClient *client,
                const char         *who,
                const char         *reason,
                gpointer            user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* The helper leaving ends the pairing, and the sharer's app ends administrator access after
 * that: the service still takes those reports from the sharer (and only from the sharer,
 * and nothing that would start administrator access again). */
static void
test_after_helper_left (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(JsonObject) raw = rh_message_new ("elevation-report");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *pairing = NULL;
  g_autofree char *row = NULL;
  g_autofree char *audit = NULL;
  gboolean told = FALSE;

  pair (f, "helen");
  pairing = g_strdup (rh_rendezvous_client_get_pairing_id (f->sharer));
  report_session (f, "control");
  report_ok (f, "{\"event\":\"granted\"}");
  report_ok (f, "{\"event\":\"tool-started\",\"tool\":\"Terminal\",\"ok\":true}");

  g_signal_connect (f->sharer, "peer-left", G_CALLBACK (on_sharer_told), &told);
  rh_rendezvous_client_leave (f->helper, "done");
  g_assert_true (rh_test_wait_flag (&told, WAIT_MS));
  g_assert_null (rh_rendezvous_client_get_pairing_id (f->sharer));

  /* Starting again is over. */
  report_fails (f, "{\"event\":\"granted\"}", RH_ERROR_UNEXPECTED_MESSAGE);
  report_ok (f, "{\"event\":\"ending\",\"action\":\"sign-out\"}");
  report_ok (f, "{\"event\":\"ended\",\"action\":\"sign-out\",\"ok\":true,\"steps\":\"done\"}");
  /* Still checked as before. */
  report_fails (f, "{\"event\":\"ended\",\"action\":\"reboot\",\"ok\":true,\"steps\":\"\"}",
                RH_ERROR_MALFORMED_MESSAGE);

  /* The helper's connection has no say in it. */
  json_object_set_string_member (raw, "pairing", pairing);
  json_object_set_string_member (raw, "event", "ended");
  json_object_set_string_member (raw, "action", "lock");
  json_object_set_boolean_member (raw, "ok", FALSE);
  json_object_set_string_member (raw, "steps", "forged");
  rh_rendezvous_client_request_async (f->helper, g_steal_pointer (&raw), NULL,
                                      rh_test_store_result, &result);
  reply = rh_rendezvous_client_request_finish (f->helper, rh_test_wait_result (&result, WAIT_MS),
                                               &error);
  g_assert_null (reply);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE);

  row = session_row (f);
  g_assert_cmpstr (row, ==, "control|control,elevation|1|[{\"tool\":\"Terminal\",\"ok\":true}]|"
                   "sign-out: ok");
  audit = elevation_audit (f);
  g_assert_cmpstr (audit, ==,
                   "sam elevation.granted {\"helper\":\"helen\"}\n"
                   "sam elevation.tool-started {\"tool\":\"Terminal\",\"ok\":true}\n"
                   "sam elevation.ending {\"action\":\"sign-out\"}\n"
                   "sam elevation.ended {\"action\":\"sign-out\",\"ok\":true,\"steps\":\"done\"}\n");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/elevation-server/request/without-permission", test_request_without_permission);
  ADD ("/elevation-server/request/needs-control", test_request_needs_control);
  ADD ("/elevation-server/report/full-sequence", test_full_sequence);
  ADD ("/elevation-server/report/denied-and-failed-end", test_denied_and_failed_end);
  ADD ("/elevation-server/report/bad-input", test_bad_input);
  ADD ("/elevation-server/report/rate-limit", test_rate_limit);
  ADD ("/elevation-server/report/granted-beyond-role", test_granted_beyond_role);
  ADD ("/elevation-server/report/after-relay-closed", test_after_relay_closed);
  ADD ("/elevation-server/report/after-helper-left", test_after_helper_left);

#undef ADD

  return g_test_run ();
}
