/* test-roles.c: roles and scopes enforced by a real server and real headless apps, the sharer
 * on an Xvfb display started here
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The organisation: helen is an operator (built-in role) for Finance (sam); vic is a viewer
 * (view-screen only) for Finance; olga is in Sales and may help no one. The tests' default
 * blanket assignment is deleted first.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-message.h"
#include "rh-test-proc.h"
#include "rh-test-server.h"

#define WAIT_MS 15000

typedef struct
{
  RhTestServer *server;
  GSubprocess  *xvfb;
  char         *display;
  char         *runtime_dir;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = rh_test_server_new ();
  rh_test_server_add_user (f->server, "vic", "Vic Viewer", "vic-password");
  rh_test_server_add_user (f->server, "olga", "Olga Outsider", "olga-password");
  /* From here on, only what this organisation says. */
  rh_test_server_admin_ok (f->server, "assignment", "delete", "1", NULL);
  rh_test_server_admin_ok (f->server, "group", "create", "Operators", "--member", "helen", NULL);
  rh_test_server_admin_ok (f->server, "group", "create", "Viewers", "--member", "vic", NULL);
  rh_test_server_admin_ok (f->server, "group", "create", "Finance", "--member", "sam", NULL);
  rh_test_server_admin_ok (f->server, "group", "create", "Sales", "--member", "olga", NULL);
  rh_test_server_admin_ok (f->server, "role", "create", "Viewer", "--permissions", "view-screen",
                           NULL);
  rh_test_server_admin_ok (f->server, "assignment", "create", "--role", "Help Desk Operator",
                           "--helpers", "Operators", "--scope", "Finance", NULL);
  rh_test_server_admin_ok (f->server, "assignment", "create", "--role", "Viewer", "--helpers",
                           "Viewers", "--scope", "Finance", NULL);
  rh_test_server_start (f->server, NULL);

  if (data != NULL)
    f->xvfb = rh_test_xvfb_spawn ("640x480x24", &f->display);
  f->runtime_dir = g_build_filename (f->server->tmpdir, "run", NULL);
  g_assert_cmpint (g_mkdir (f->runtime_dir, 0700), ==, 0);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  rh_test_proc_kill (&f->xvfb);
  g_clear_pointer (&f->server, rh_test_server_free);
  g_free (f->display);
  g_free (f->runtime_dir);
}

/* remote-help give-help|get-help … --headless with this server, as `login`. */
static GSubprocess *
spawn_app (Fixture    *f,
           const char *login,
           ...)
{
  g_autofree char *pw_name = g_strdup_printf ("%s.pw", login);
  g_autofree char *pw = g_build_filename (f->server->tmpdir, pw_name, NULL);
  g_autofree char *password = g_strdup_printf ("%s-password\n", login);
  const char *extra[] = { "--user", login, "--password-file", pw, NULL };
  GSubprocess *proc;
  const char *first;
  va_list ap;

  rh_test_write_file (pw, password);
  va_start (ap, login);
  first = va_arg (ap, const char *);
  proc = rh_test_server_spawn_client_valist (f->server, f->runtime_dir, f->display, extra, first,
                                             ap);
  va_end (ap);
  return proc;
}

/* The audit actions, in order, joined with spaces. */
static char *
audit_actions (Fixture *f)
{
  g_autoptr(GString) out = g_string_new (NULL);
  sqlite3 *conn = rh_test_server_open_db (f->server, FALSE);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (conn, "SELECT action FROM audit ORDER BY id", -1, &stmt,
                                       NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (out, "%s ", sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (conn);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* "mode|modes" of the newest session record, or NULL. */
static char *
last_session_modes (Fixture *f)
{
  sqlite3 *conn = rh_test_server_open_db (f->server, FALSE);
  sqlite3_stmt *stmt = NULL;
  char *row = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (conn, "SELECT mode, modes FROM sessions ORDER BY id DESC"
                                       " LIMIT 1", -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    row = g_strdup_printf ("%s|%s", sqlite3_column_text (stmt, 0), sqlite3_column_text (stmt, 1));
  sqlite3_finalize (stmt);
  sqlite3_close (conn);
  return row;
}

/* In-process pairing of two signed-in clients; the cards come back verified. */
static void
pair (Fixture             *f,
      RhRendezvousClient  *helper,
      RhRendezvousClient  *sharer,
      GError             **out_error)
{
  g_autoptr(RhIdentityCard) helper_card = NULL;
  g_autoptr(RhIdentityCard) sharer_card = NULL;

  rh_test_pair (helper, sharer, WAIT_MS, &helper_card, &sharer_card, out_error);
  if (helper_card != NULL)
    {
      g_assert_nonnull (sharer_card);
      /* The server signed the helper's permissions for this sharer into its card. */
      g_assert_true (helper_card->has_permissions);
      g_assert_cmpstr (helper_card->sharer, ==, rh_rendezvous_client_get_login (sharer));
    }
}

static gboolean
request_mode (RhRendezvousClient  *helper,
              const char          *mode,
              GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  rh_rendezvous_client_request_mode_async (helper, mode, NULL, rh_test_store_result, &result);
  return rh_rendezvous_client_request_mode_finish (helper,
                                                   rh_test_wait_result (&result, WAIT_MS),
                                                   error);
}

/* Tests */

static void
test_not_assigned (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GSubprocess) olga = spawn_app (f, "olga", "give-help", NULL);
  g_auto(RhTestResult) r = { 0 };
  g_autofree char *actions = NULL;

  rh_test_collect (olga, NULL, &r);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_null (strstr (r.out, "code: "));
  g_assert_nonnull (strstr (r.err, "RH-4101"));
  actions = audit_actions (f);
  g_assert_nonnull (strstr (actions, "code.refused"));
  g_assert_null (strstr (actions, "code.issued"));
}

static void
test_out_of_scope (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GSubprocess) helen = spawn_app (f, "helen", "give-help", NULL);
  g_autoptr(GSubprocess) olga = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *code = rh_test_read_code (helen, &in);
  g_autofree char *actions = NULL;
  g_auto(RhTestResult) helper = { 0 };
  g_auto(RhTestResult) sharer = { 0 };

  /* Olga is not in Finance: both are told, with the same code. */
  olga = spawn_app (f, "olga", "get-help", code, NULL);
  rh_test_collect (olga, NULL, &sharer);
  rh_test_collect (helen, in, &helper);
  g_assert_cmpint (sharer.status, ==, 1);
  g_assert_nonnull (strstr (sharer.err, "RH-4102"));
  g_assert_null (strstr (sharer.out, "paired: yes"));
  g_assert_cmpint (helper.status, ==, 1);
  g_assert_nonnull (strstr (helper.err, "RH-4102"));
  g_assert_null (strstr (helper.out, "paired: yes"));
  actions = audit_actions (f);
  g_assert_nonnull (strstr (actions, "pairing.refused"));
  g_assert_null (strstr (actions, "pairing.paired"));
}

/* View-only: asking for control is refused by the server before the sharer is asked. */
static void
test_view_only_headless (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GSubprocess) vic = spawn_app (f, "vic", "give-help", "--mode", "control", NULL);
  g_autoptr(GSubprocess) sam = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *code = rh_test_read_code (vic, &in);
  g_autofree char *actions = NULL;
  g_auto(RhTestResult) helper = { 0 };
  g_auto(RhTestResult) sharer = { 0 };

  sam = spawn_app (f, "sam", "get-help", code, "--allow", "control", "--display", f->display,
                   NULL);
  rh_test_collect (vic, in, &helper);
  rh_test_collect (sam, NULL, &sharer);
  g_assert_cmpint (helper.status, ==, 1);
  g_assert_nonnull (strstr (helper.out, "permissions: view-screen\n"));
  g_assert_nonnull (strstr (helper.err, "RH-4103"));
  g_assert_null (strstr (helper.out, "mode: control"));
  g_assert_null (strstr (sharer.out, "mode: control"));
  g_assert_null (strstr (sharer.out, "sharing:"));
  actions = audit_actions (f);
  g_assert_nonnull (strstr (actions, "mode.refused"));
  g_assert_null (strstr (actions, "session.started"));
}

static void
on_peer_message (RhRendezvousClient *client,
                 JsonObject         *msg,
                 gpointer            user_data)
{
  g_ptr_array_add (user_data, json_object_ref (msg));
}

/* A helper app that skips the server's check and asks the sharer for control directly over
 * the encrypted channel: the sharer's app answers view, at the start and on an upgrade, and
 * never asks the person for control. */
static void
test_modified_helper (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(RhRendezvousClient) vic = rh_test_server_signed_in (f->server, "vic",
                                                                "vic-password");
  g_autoptr(GAsyncResult) code_result = NULL;
  g_autoptr(GAsyncResult) wait = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhIdentityCard) card = NULL;
  g_autoptr(GSubprocess) sam = NULL;
  g_autoptr(JsonObject) request = rh_message_new ("session-request");
  g_autoptr(JsonObject) upgrade = rh_message_new ("session-request");
  g_autofree char *code = NULL;
  g_autofree char *modes = NULL;
  g_autofree char *actions = NULL;
  g_auto(RhTestResult) sharer = { 0 };
  g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  gulong handler;

  rh_rendezvous_client_request_code_async (vic, NULL, rh_test_store_result, &code_result);
  code = rh_rendezvous_client_request_code_finish (vic, rh_test_wait_result (&code_result,
                                                                             WAIT_MS),
                                                   NULL, &error);
  g_assert_no_error (error);
  rh_rendezvous_client_wait_for_sharer_async (vic, NULL, rh_test_store_result, &wait);
  sam = spawn_app (f, "sam", "get-help", code, "--allow", "control", "--display", f->display,
                   "--direct", "off", NULL);
  card = rh_rendezvous_client_wait_for_sharer_finish (vic, rh_test_wait_result (&wait, 30000),
                                                      &error);
  g_assert_no_error (error);
  g_assert_cmpint (rh_rendezvous_client_get_helper_permissions (vic), ==,
                   RH_PERMISSION_VIEW_SCREEN);

  handler = g_signal_connect (vic, "peer-message", G_CALLBACK (on_peer_message), answers);
  /* Straight to the sharer, no mode-request to the server. */
  json_object_set_string_member (request, "mode", "control");
  g_assert_true (rh_rendezvous_client_send_peer (vic, request, &error));
  g_assert_no_error (error);
  {
    gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
    gboolean answered = FALSE;

    while (!answered && g_get_monotonic_time () < deadline)
      {
        g_main_context_iteration (NULL, FALSE);
        for (guint i = 0; i < answers->len; i++)
          if (g_str_equal (rh_message_get_type (g_ptr_array_index (answers, i)),
                           "session-answer"))
            {
              g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (answers, i),
                                                              "mode"), ==, "view");
              answered = TRUE;
            }
        g_usleep (10000);
      }
    g_assert_true (answered);
  }
  g_ptr_array_set_size (answers, 0);

  /* And again during the session, as an upgrade. */
  json_object_set_string_member (upgrade, "mode", "control");
  g_assert_true (rh_rendezvous_client_send_peer (vic, upgrade, &error));
  {
    gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
    gboolean answered = FALSE;

    while (!answered && g_get_monotonic_time () < deadline)
      {
        g_main_context_iteration (NULL, FALSE);
        for (guint i = 0; i < answers->len; i++)
          if (g_str_equal (rh_message_get_type (g_ptr_array_index (answers, i)),
                           "session-answer"))
            {
              g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (answers, i),
                                                              "mode"), ==, "view");
              answered = TRUE;
            }
        g_usleep (10000);
      }
    g_assert_true (answered);
  }
  g_signal_handler_disconnect (vic, handler);

  rh_rendezvous_client_leave (vic, "done");
  rh_test_collect (sam, NULL, &sharer);
  g_assert_cmpint (sharer.status, ==, 0);
  g_assert_nonnull (strstr (sharer.out, "permissions: view-screen\n"));
  g_assert_nonnull (strstr (sharer.out, "requested: control\n"));
  g_assert_nonnull (strstr (sharer.out, "permitted: view\n"));
  g_assert_nonnull (strstr (sharer.out, "mode: view\n"));
  g_assert_nonnull (strstr (sharer.out, "refused: control: not permitted"));
  g_assert_null (strstr (sharer.out, "mode: control"));

  modes = last_session_modes (f);
  g_assert_cmpstr (modes, ==, "view|view");
  actions = audit_actions (f);
  g_assert_nonnull (strstr (actions, "consent.given"));
  g_assert_null (strstr (actions, "mode.changed"));
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

/* A sharer app that reports more than the helper's role allows: the server ends the pairing
 * and tells both apps. */
static void
test_report_beyond_role (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(RhRendezvousClient) vic = rh_test_server_signed_in (f->server, "vic",
                                                                "vic-password");
  g_autoptr(RhRendezvousClient) sam = rh_test_server_signed_in (f->server, "sam",
                                                                "sam-password");
  g_autoptr(JsonObject) report = rh_message_new ("session-report");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *actions = NULL;
  gboolean helper_told = FALSE;

  pair (f, vic, sam, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rh_rendezvous_client_get_helper_permissions (sam), ==,
                   RH_PERMISSION_VIEW_SCREEN);

  g_signal_connect (vic, "peer-left", G_CALLBACK (on_peer_left), &helper_told);
  json_object_set_string_member (report, "pairing", rh_rendezvous_client_get_pairing_id (sam));
  json_object_set_string_member (report, "mode", "control");
  json_object_set_string_member (report, "device", "test");
  rh_rendezvous_client_request_async (sam, g_steal_pointer (&report), NULL,
                                      rh_test_store_result, &result);
  reply = rh_rendezvous_client_request_finish (sam, rh_test_wait_result (&result, WAIT_MS),
                                               &error);
  g_assert_null (reply);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MODE_NOT_PERMITTED);
  g_assert_true (rh_test_wait_flag (&helper_told, WAIT_MS));
  actions = audit_actions (f);
  g_assert_nonnull (strstr (actions, "session.refused"));
  g_assert_nonnull (strstr (actions, "pairing.ended"));
}

/* The union of assignments, and an administrator's change taking effect at the next step. */
static void
test_union (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(RhRendezvousClient) vic = rh_test_server_signed_in (f->server, "vic",
                                                                "vic-password");
  g_autoptr(RhRendezvousClient) sam = rh_test_server_signed_in (f->server, "sam",
                                                                "sam-password");
  g_autoptr(GError) error = NULL;

  pair (f, vic, sam, &error);
  g_assert_no_error (error);
  g_assert_true (request_mode (vic, "view", &error));
  g_assert_no_error (error);
  g_assert_false (request_mode (vic, "control", &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MODE_NOT_PERMITTED);
  g_clear_error (&error);

  /* A second assignment for Viewers, towards everyone, with control. */
  rh_test_server_admin_ok (f->server, "role", "create", "Controller", "--permissions",
                           "view-screen,take-full-control", NULL);
  rh_test_server_admin_ok (f->server, "assignment", "create", "--role", "Controller", "--helpers",
                           "Viewers", "--scope-all", NULL);
  g_assert_true (request_mode (vic, "control", &error));
  g_assert_no_error (error);
  rh_rendezvous_client_leave (vic, "done");
  g_clear_object (&vic);
  g_clear_object (&sam);

  /* A new pairing carries the union in the signed card; olga is now in scope too. */
  vic = rh_test_server_signed_in (f->server, "vic", "vic-password");
  sam = rh_test_server_signed_in (f->server, "olga", "olga-password");
  pair (f, vic, sam, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rh_rendezvous_client_get_helper_permissions (sam), ==,
                   RH_PERMISSION_VIEW_SCREEN | RH_PERMISSION_TAKE_FULL_CONTROL);
  g_assert_cmpint (rh_rendezvous_client_get_helper_permissions (vic), ==,
                   RH_PERMISSION_VIEW_SCREEN | RH_PERMISSION_TAKE_FULL_CONTROL);

  /* Taken away again: the next request is refused. */
  rh_test_server_admin_ok (f->server, "assignment", "delete", "4", NULL);
  g_assert_false (request_mode (vic, "view", &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MODE_NOT_PERMITTED);
}

/* The permission matrix: each kind of helper towards a sharer in and out of its scope, for
 * each step the server checks. Helpers: helen (operator, Finance), vic (viewer, Finance),
 * carl (controller, all users), olga (nothing); sharers: sam (Finance), olga (Sales). */
static void
test_matrix (Fixture       *f,
             gconstpointer  data)
{
  static const struct
  {
    const char *helper;
    const char *sharer;
    gboolean    code;
    gboolean    pair;
    gboolean    view;
    gboolean    control;
  } rows[] = {
    { "helen", "sam",  TRUE,  TRUE,  TRUE,  TRUE },
    { "helen", "olga", TRUE,  FALSE, FALSE, FALSE },
    { "vic",   "sam",  TRUE,  TRUE,  TRUE,  FALSE },
    { "vic",   "olga", TRUE,  FALSE, FALSE, FALSE },
    { "carl",  "sam",  TRUE,  TRUE,  TRUE,  TRUE },
    { "carl",  "olga", TRUE,  TRUE,  TRUE,  TRUE },
    { "olga",  "sam",  FALSE, FALSE, FALSE, FALSE },
  };

  rh_test_server_add_user (f->server, "carl", "Carl Controller", "carl-password");
  rh_test_server_admin_ok (f->server, "group", "update", RH_TEST_HELPERS_GROUP, "--members", "",
                           NULL);
  rh_test_server_admin_ok (f->server, "group", "create", "Controllers", "--member", "carl", NULL);
  rh_test_server_admin_ok (f->server, "role", "create", "Controller", "--permissions",
                           "view-screen,take-full-control", NULL);
  rh_test_server_admin_ok (f->server, "assignment", "create", "--role", "Controller", "--helpers",
                           "Controllers", "--scope-all", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *helper_pw = g_strdup_printf ("%s-password", rows[i].helper);
      g_autofree char *sharer_pw = g_strdup_printf ("%s-password", rows[i].sharer);
      g_autoptr(RhRendezvousClient) helper = rh_test_server_signed_in (f->server, rows[i].helper,
                                                                       helper_pw);
      g_autoptr(RhRendezvousClient) sharer = rh_test_server_signed_in (f->server, rows[i].sharer,
                                                                       sharer_pw);
      g_autoptr(GAsyncResult) code_result = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *code = NULL;

      g_test_message ("%s → %s", rows[i].helper, rows[i].sharer);
      rh_rendezvous_client_request_code_async (helper, NULL, rh_test_store_result,
                                               &code_result);
      code = rh_rendezvous_client_request_code_finish (helper,
                                                       rh_test_wait_result (&code_result,
                                                                            WAIT_MS),
                                                       NULL, &error);
      if (!rows[i].code)
        {
          g_assert_null (code);
          g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_NOT_ASSIGNED);
          continue;
        }
      g_assert_no_error (error);

      {
        g_autoptr(GAsyncResult) wait = NULL;
        g_autoptr(GAsyncResult) redeem = NULL;
        g_autoptr(GError) helper_error = NULL;
        g_autoptr(RhIdentityCard) helper_card = NULL;
        g_autoptr(RhIdentityCard) sharer_card = NULL;

        rh_rendezvous_client_wait_for_sharer_async (helper, NULL, rh_test_store_result, &wait);
        rh_rendezvous_client_redeem_code_async (sharer, code, NULL, rh_test_store_result,
                                                &redeem);
        helper_card = rh_rendezvous_client_redeem_code_finish (
          sharer, rh_test_wait_result (&redeem, WAIT_MS), &error);
        sharer_card = rh_rendezvous_client_wait_for_sharer_finish (
          helper, rh_test_wait_result (&wait, WAIT_MS), &helper_error);
        if (!rows[i].pair)
          {
            g_assert_null (helper_card);
            g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_OUT_OF_SCOPE);
            g_assert_null (sharer_card);
            g_assert_error (helper_error, RH_PROTOCOL_ERROR, RH_ERROR_OUT_OF_SCOPE);
            continue;
          }
        g_assert_no_error (error);
        g_assert_no_error (helper_error);
        /* What the sharer's app will enforce, signed by the organisation. */
        g_assert_cmpint (helper_card->permissions & RH_PERMISSION_VIEW_SCREEN, ==,
                         rows[i].view ? RH_PERMISSION_VIEW_SCREEN : 0);
        g_assert_cmpint (helper_card->permissions & RH_PERMISSION_TAKE_FULL_CONTROL, ==,
                         rows[i].control ? RH_PERMISSION_TAKE_FULL_CONTROL : 0);
      }

      g_assert_true (request_mode (helper, "view", &error) == rows[i].view);
      if (!rows[i].view)
        g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MODE_NOT_PERMITTED);
      g_clear_error (&error);
      /* Control at the start and as an upgrade are the same request to the server. */
      for (int attempt = 0; attempt < 2; attempt++)
        {
          g_assert_true (request_mode (helper, "control", &error) == rows[i].control);
          if (!rows[i].control)
            g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MODE_NOT_PERMITTED);
          g_clear_error (&error);
        }
      rh_rendezvous_client_leave (helper, "done");
    }
}

static void
raw_exec (Fixture    *f,
          const char *sql)
{
  sqlite3 *conn = rh_test_server_open_db (f->server, TRUE);
  char *message = NULL;

  if (sqlite3_exec (conn, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  sqlite3_close (conn);
}

static gint64
raw_count (Fixture    *f,
           const char *sql)
{
  sqlite3 *conn = rh_test_server_open_db (f->server, FALSE);
  sqlite3_stmt *stmt = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_prepare_v2 (conn, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (conn);
  return n;
}

/* The running server purges old records by the retention settings, on its own. */
static void
test_retention_purge (Fixture       *f,
                      gconstpointer  data)
{
  gint64 deadline;

  rh_test_server_stop (f->server);
  rh_test_server_admin_ok (f->server, "settings", "set", "audit-retention-days", "7", NULL);
  raw_exec (f, "INSERT INTO audit (at, actor, action) VALUES"
               " (unixepoch () - 8 * 86400, 'x', 'test.old'),"
               " (unixepoch () - 6 * 86400, 'x', 'test.young');"
               "INSERT INTO sessions (pairing, helper_login, sharer_login, mode, started_at,"
               " ended_at, end_reason) VALUES"
               " ('p1', 'helen', 'sam', 'view', unixepoch () - 31 * 86400,"
               "  unixepoch () - 31 * 86400 + 60, 'done'),"
               " ('p2', 'helen', 'sam', 'view', unixepoch () - 29 * 86400,"
               "  unixepoch () - 29 * 86400 + 60, 'done');");
  rh_test_server_start (f->server, NULL);

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (raw_count (f, "SELECT count(*) FROM audit WHERE action = 'retention.purged'") == 0 &&
         g_get_monotonic_time () < deadline)
    g_usleep (100000);
  g_assert_cmpint (raw_count (f, "SELECT count(*) FROM audit WHERE action = 'test.old'"), ==, 0);
  g_assert_cmpint (raw_count (f, "SELECT count(*) FROM audit WHERE action = 'test.young'"), ==,
                   1);
  g_assert_cmpint (raw_count (f, "SELECT count(*) FROM sessions WHERE pairing = 'p1'"), ==, 0);
  g_assert_cmpint (raw_count (f, "SELECT count(*) FROM sessions WHERE pairing = 'p2'"), ==, 1);
  g_assert_cmpint (raw_count (f, "SELECT count(*) FROM audit WHERE action = 'retention.purged'"),
                   ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* Non-NULL data: the test needs an X display for the sharer. */
  g_test_add ("/roles/not-assigned", Fixture, NULL, fixture_setup, test_not_assigned,
              fixture_teardown);
  g_test_add ("/roles/out-of-scope", Fixture, NULL, fixture_setup, test_out_of_scope,
              fixture_teardown);
  g_test_add ("/roles/view-only/headless", Fixture, "x", fixture_setup,
              test_view_only_headless, fixture_teardown);
  g_test_add ("/roles/view-only/modified-helper", Fixture, "x", fixture_setup,
              test_modified_helper, fixture_teardown);
  g_test_add ("/roles/view-only/report-beyond-role", Fixture, NULL, fixture_setup,
              test_report_beyond_role, fixture_teardown);
  g_test_add ("/roles/union", Fixture, NULL, fixture_setup, test_union, fixture_teardown);
  g_test_add ("/roles/matrix", Fixture, NULL, fixture_setup, test_matrix, fixture_teardown);
  g_test_add ("/roles/retention-purge", Fixture, NULL, fixture_setup, test_retention_purge,
              fixture_teardown);

  return g_test_run ();
}
