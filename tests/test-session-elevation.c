/* test-session-elevation.c: administrator access in a real session, end to end
 *
 * A real remote-help-server on 127.0.0.1, a real Xvfb for the sharer's screen, real FreeRDP
 * through the relay, helper and sharer RhSessions in this process. Mock polkit and logind
 * (python3-dbusmock) on a private bus play the system bus; tools start through the real
 * remote-help-elevated launcher without pkexec in front, and sudo is a script that records its
 * arguments, so the test can check that everything started is gone and every end step ran.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <X11/Xlib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "rh-elevation.h"
#include "rh-error.h"
#include "rh-message.h"
#include "rh-session.h"
#include "rh-test-dbusmock.h"
#include "rh-test-server.h"
#include "rh-test-xvfb.h"

#define WAIT_MS 30000

typedef struct
{
  GPtrArray *lines;   /* "key: value" */
  gboolean   done;
  GError    *error;
} Side;

typedef struct
{
  RhTestServer       *server;
  GPid                xvfb;
  char               *display;
  char               *workdir;
  char               *pidfile;
  char               *sudo_log;
  RhConfig           *config;
  RhRendezvousClient *helper_client;
  RhRendezvousClient *sharer_client;
  RhSession          *helper;
  RhSession          *sharer;
  Side                h, s;
  RhTestCallLog      *log;
  GSubprocess        *prompt;
  guint               asked;
  gboolean            answer;
} Fixture;

static char *launcher_path;

static void
on_status (RhSession  *session,
           const char *key,
           const char *value,
           gpointer    user_data)
{
  Side *side = user_data;

  g_test_message ("%s %s: %s", side->lines->len ? "" : "", key, value);
  g_ptr_array_add (side->lines, g_strdup_printf ("%s: %s", key, value));
}

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Side *side = user_data;

  rh_session_run_finish (RH_SESSION (source), result, &side->error);
  side->done = TRUE;
}

static gboolean
has_line (Side       *side,
          const char *prefix)
{
  for (guint i = 0; i < side->lines->len; i++)
    if (g_str_has_prefix (side->lines->pdata[i], prefix))
      return TRUE;
  return FALSE;
}

static Side *other_sides[2];

static void
wait_line (Side       *side,
           const char *prefix)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  while (!has_line (side, prefix))
    {
      if (g_get_monotonic_time () > deadline)
        {
          for (guint i = 0; i < side->lines->len; i++)
            g_printerr ("  seen: %s\n", (char *) side->lines->pdata[i]);
          for (guint i = 0; i < 2; i++)
            if (other_sides[i] && other_sides[i]->error)
              g_printerr ("  side %u ended: %s\n", i, other_sides[i]->error->message);
          g_error ("No status line “%s” within %d s", prefix, WAIT_MS / 1000);
        }
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
wait_done (Side *side)
{
  g_assert_true (rh_test_wait_flag (&side->done, WAIT_MS));
}

static void
on_elevation_requested (RhSession *sharer,
                        gpointer   user_data)
{
  Fixture *f = user_data;

  f->asked++;
  rh_session_answer_elevation (sharer, f->answer);
}

/* The audit actions of elevation, in order, joined with spaces. */
static char *
elevation_audit (Fixture *f)
{
  g_autoptr(GString) out = g_string_new (NULL);
  sqlite3 *conn = rh_test_server_open_db (f->server, FALSE);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (conn, "SELECT action FROM audit WHERE action LIKE "
                                       "'elevation.%' ORDER BY id", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (out, "%s%s", out->len ? " " : "", sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (conn);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static int
elevation_used (Fixture *f)
{
  sqlite3 *conn = rh_test_server_open_db (f->server, FALSE);
  sqlite3_stmt *stmt = NULL;
  int used = -1;

  g_assert_cmpint (sqlite3_prepare_v2 (conn, "SELECT elevation_used FROM sessions ORDER BY id "
                                       "DESC LIMIT 1", -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    used = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (conn);
  return used;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tools = NULL;

  f->h.lines = g_ptr_array_new_with_free_func (g_free);
  f->s.lines = g_ptr_array_new_with_free_func (g_free);
  f->workdir = g_dir_make_tmp ("rh-session-elevation-XXXXXX", &error);
  g_assert_no_error (error);
  f->pidfile = g_build_filename (f->workdir, "probe.pid", NULL);
  f->sudo_log = g_build_filename (f->workdir, "sudo.log", NULL);

  f->display = rh_test_xvfb_start ("800x600x24", &f->xvfb);
  f->server = rh_test_server_new ();
  if (data != NULL)
    {
      /* A helper whose role has control but not elevation. */
      rh_test_server_add_user (f->server, "carl", "Carl Controller", "carl-password");
      g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "group", "update",
                                             "Test helpers", "--remove-member", "carl", NULL),
                       ==, 0);
      g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "role", "create",
                                             "Controller", "--permissions",
                                             "view-screen,take-full-control", NULL), ==, 0);
      g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "group", "create",
                                             "Controllers", "--member", "carl", NULL), ==, 0);
      g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "assignment", "create",
                                             "--role", "Controller", "--helpers", "Controllers",
                                             "--scope-all", NULL), ==, 0);
    }
  rh_test_server_start (f->server, NULL);
  rh_test_dbusmock_start (TRUE);
  f->log = rh_test_call_log_new ();

  f->config = rh_config_new ();
  g_assert_true (rh_config_set_server (f->config, f->server->url, &error));
  g_assert_true (rh_config_set_server_fingerprint (f->config, f->server->tls_fingerprint,
                                                   &error));
  g_assert_true (rh_config_set_org_key (f->config, f->server->org_fingerprint, &error));
  g_assert_no_error (error);
  /* A tool that says it ran and then waits to be ended (';' separates menu entries). */
  tools = g_strdup_printf ("Probe=/bin/sh -c 'exec >/dev/null 2>&1 && echo $$ > \"$0\" && "
                           "exec /bin/sleep 600' %s", f->pidfile);
  g_ptr_array_unref (f->config->elevated_tools);
  f->config->elevated_tools = rh_elevated_tools_parse (tools, &error);
  g_assert_no_error (error);

  f->helper_client = rh_test_server_signed_in (f->server, data ? "carl" : "helen",
                                              data ? "carl-password" : "helen-password");
  f->sharer_client = rh_test_server_signed_in (f->server, "sam", "sam-password");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->helper)
    rh_session_leave (f->helper);
  if (f->sharer)
    rh_session_leave (f->sharer);
  if (f->sharer && !f->s.done)
    wait_done (&f->s);
  g_clear_object (&f->helper);
  g_clear_object (&f->sharer);
  g_clear_object (&f->helper_client);
  g_clear_object (&f->sharer_client);
  /* Let the sessions' idle clean-ups run. */
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  if (f->prompt)
    {
      g_subprocess_force_exit (f->prompt);
      g_subprocess_wait (f->prompt, NULL, NULL);
      g_clear_object (&f->prompt);
    }
  g_clear_pointer (&f->log, rh_test_call_log_free);
  rh_test_dbusmock_stop ();
  rh_test_server_stop (f->server);
  g_clear_pointer (&f->server, rh_test_server_free);
  rh_test_xvfb_stop (f->xvfb);
  g_free (f->display);
  g_clear_pointer (&f->config, rh_config_free);
  g_clear_pointer (&f->h.lines, g_ptr_array_unref);
  g_clear_pointer (&f->s.lines, g_ptr_array_unref);
  g_clear_error (&f->h.error);
  g_clear_error (&f->s.error);
  g_remove (f->pidfile);
  g_remove (f->sudo_log);
  g_rmdir (f->workdir);
  g_free (f->pidfile);
  g_free (f->sudo_log);
  g_free (f->workdir);
}

static void
pair (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  rh_test_pair (f->helper_client, f->sharer_client, WAIT_MS, NULL, NULL, &error);
  g_assert_no_error (error);
}

static RhElevation *
test_elevation (Fixture *f)
{
  RhElevation *elevation = rh_elevation_new ();
  const char *launcher[] = { launcher_path, NULL };
  g_autofree char *sudo_script = g_strdup_printf ("echo \"$@\" >> '%s'", f->sudo_log);
  const char *sudo[] = { "/bin/sh", "-c", sudo_script, "sudo", "-K", NULL };

  rh_elevation_set_launcher (elevation, launcher);
  rh_elevation_set_sudo_argv (elevation, sudo);
  rh_elevation_set_session_id (elevation, RH_TEST_SESSION_ID);
  rh_elevation_set_grace_ms (elevation, 500);
  return elevation;
}

/* Pairs and runs both sides until the helper has the first frame. */
static void
start_session (Fixture            *f,
               RhRdpMode           mode,
               RhSessionElevation  elevation)
{
  RhSessionOptions helper = { 0 }, sharer = { 0 };

  other_sides[0] = &f->h;
  other_sides[1] = &f->s;
  pair (f);
  helper.path = RH_SESSION_PATH_RELAY;
  helper.requested_mode = mode;
  helper.duration_s = 120;   /* the test ends it earlier */
  sharer.allow = RH_SESSION_ALLOW_CONTROL;
  sharer.display = f->display;
  sharer.direct_addresses = 0;
  sharer.elevation = elevation;
  f->helper = rh_session_new (f->helper_client, f->config, TRUE, &helper);
  f->sharer = rh_session_new (f->sharer_client, f->config, FALSE, &sharer);
  rh_session_set_elevation_for_testing (f->sharer, test_elevation (f));
  g_signal_connect (f->helper, "status", G_CALLBACK (on_status), &f->h);
  g_signal_connect (f->sharer, "status", G_CALLBACK (on_status), &f->s);
  g_signal_connect (f->sharer, "elevation-requested", G_CALLBACK (on_elevation_requested), f);
  rh_session_run_async (f->sharer, NULL, on_run_done, &f->s);
  rh_session_run_async (f->helper, NULL, on_run_done, &f->h);
  wait_line (&f->h, "first-frame: ");
}

static GPid
wait_pidfile (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  g_autofree char *text = NULL;

  while (!g_file_get_contents (f->pidfile, &text, NULL, NULL) || strchr (text, '\n') == NULL)
    {
      g_clear_pointer (&text, g_free);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (20 * 1000);
    }
  return atoi (text);
}

static void
wait_gone (GPid pid)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (kill (pid, 0) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (20 * 1000);
    }
}

/* Allow → the tool menu → a tool runs elevated → the helper leaves → the tool is ended, polkit
 * and sudo are cleared, the desktop session is signed out, and all of it is in the audit log
 * and the session record. */
static void
test_granted (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *audit = NULL;
  g_autofree char *sudo_text = NULL;
  const char * const *tools;
  GPid pid;

  start_session (f, RH_RDP_MODE_CONTROL, RH_SESSION_ELEVATION_ASK);
  wait_line (&f->h, "mode: control");
  g_assert_null (rh_session_get_elevation_end_action (f->sharer));

  /* A polkit agent's window: masked for the helper until administrator access is granted,
   * then the helper sees it (they type the administrator password there). */
  {
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
    g_autoptr(GError) error = NULL;

    g_subprocess_launcher_setenv (launcher, "DISPLAY", f->display, TRUE);
    f->prompt = g_subprocess_launcher_spawn (launcher, &error, "xmessage", "-name",
                                             "polkit-gnome-authentication-agent-1",
                                             "-geometry", "300x120+100+100",
                                             "Authentication is needed", NULL);
    g_assert_no_error (error);
  }
  wait_line (&f->h, "auth-prompt: masked");
  g_assert_true (has_line (&f->s, "auth-prompt: masked"));

  f->answer = TRUE;
  rh_session_request_elevation (f->helper);
  wait_line (&f->h, "elevation: granted");
  wait_line (&f->h, "auth-prompt: clear");
  g_subprocess_force_exit (f->prompt);
  g_assert_cmpuint (f->asked, ==, 1);
  g_assert_true (has_line (&f->s, "elevation: granted"));
  g_assert_true (rh_session_get_elevation_granted (f->helper));
  g_assert_true (rh_session_get_elevation_granted (f->sharer));
  g_assert_cmpstr (rh_session_get_elevation_end_action (f->helper), ==, "sign-out");
  g_assert_cmpstr (rh_session_get_elevation_end_action (f->sharer), ==, "sign-out");
  tools = rh_session_get_elevated_tools (f->helper);
  g_assert_nonnull (tools);
  g_assert_true (g_strv_contains (tools, "Probe"));

  /* A name not in the menu is never sent; one the sharer does not know fails there. */
  rh_session_start_elevated_tool (f->helper, "Probe");
  wait_line (&f->h, "elevated-tool: Probe: started");
  g_assert_true (has_line (&f->s, "elevated-tool: Probe: started"));
  pid = wait_pidfile (f);
  g_assert_cmpint (kill (pid, 0), ==, 0);

  /* A second start right away is refused: prompts must not flood the person's screen. */
  {
    g_autoptr(JsonObject) again = rh_message_new ("elevated-tool");

    json_object_set_string_member (again, "name", "Probe");
    g_assert_true (rh_rendezvous_client_send_peer (f->helper_client, again, NULL));
    wait_line (&f->h, "elevated-tool: Probe: failed: RH-3006");
  }

  /* The helper leaves: the sharer's end runs before its session completes. */
  rh_session_leave (f->helper);
  wait_done (&f->h);
  wait_done (&f->s);
  g_assert_no_error (f->s.error);
  g_assert_true (has_line (&f->s, "elevation: ending: sign-out"));
  g_assert_true (has_line (&f->s, "elevation: cleaned-up: terminate-tools: ok"));
  g_assert_true (has_line (&f->s, "elevation: ended: sign-out"));
  wait_gone (pid);
  g_assert_true (g_file_get_contents (f->sudo_log, &sudo_text, NULL, NULL));
  g_assert_cmpstr (sudo_text, ==, "-K\n");
  g_assert_true (rh_test_call_log_wait (f->log, RH_TEST_SESSION_PATH " Terminate"));
  g_assert_cmpuint (rh_test_call_log_index (f->log,
                                            RH_TEST_POLKIT_PATH " RevokeTemporaryAuthorizations"),
                    <, rh_test_call_log_index (f->log, RH_TEST_SESSION_PATH " Terminate"));
  g_assert_cmpuint (rh_test_call_log_index (f->log, RH_TEST_SESSION_PATH " Lock"), ==,
                    G_MAXUINT);

  audit = elevation_audit (f);
  g_test_message ("audit: %s", audit);
  g_assert_cmpstr (audit, ==, "elevation.requested elevation.granted elevation.tool-started "
                              "elevation.tool-started elevation.ending elevation.ended");
  g_assert_cmpint (elevation_used (f), ==, 1);
}

/* Deny: nothing can be started, even by a helper app that sends the message anyway, and the
 * end neither signs out nor locks. */
static void
test_declined (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonObject) raw = rh_message_new ("elevated-tool");
  g_autofree char *audit = NULL;

  start_session (f, RH_RDP_MODE_CONTROL, RH_SESSION_ELEVATION_ASK);
  wait_line (&f->h, "mode: control");
  f->answer = FALSE;
  rh_session_request_elevation (f->helper);
  wait_line (&f->h, "elevation: denied: declined");
  g_assert_cmpuint (f->asked, ==, 1);
  g_assert_false (rh_session_get_elevation_granted (f->helper));
  g_assert_null (rh_session_get_elevated_tools (f->helper));

  json_object_set_string_member (raw, "name", "Probe");
  g_assert_true (rh_rendezvous_client_send_peer (f->helper_client, raw, NULL));
  wait_line (&f->h, "elevated-tool: Probe: failed: RH-7203");
  g_assert_false (g_file_test (f->pidfile, G_FILE_TEST_EXISTS));

  rh_session_leave (f->helper);
  wait_done (&f->h);
  wait_done (&f->s);
  g_assert_no_error (f->s.error);
  g_assert_false (has_line (&f->s, "elevation: ending"));
  g_assert_cmpuint (rh_test_call_log_index (f->log, RH_TEST_SESSION_PATH " Terminate"), ==,
                    G_MAXUINT);
  audit = elevation_audit (f);
  g_assert_cmpstr (audit, ==, "elevation.requested elevation.denied");
  g_assert_cmpint (elevation_used (f), ==, 0);
}

/* View only: the service refuses the helper's request; a helper app that asks the sharer
 * directly is refused there too, without the person being asked. */
static void
test_view_only (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) raw = rh_message_new ("elevation-request");
  g_autofree char *audit = NULL;

  start_session (f, RH_RDP_MODE_VIEW, RH_SESSION_ELEVATION_ALLOW);
  rh_session_request_elevation (f->helper);
  wait_line (&f->h, "elevation: refused: RH-4104");
  g_assert_false (has_line (&f->s, "elevation: requested"));

  g_assert_true (rh_rendezvous_client_send_peer (f->helper_client, raw, NULL));
  wait_line (&f->s, "elevation: denied: not-in-control");
  g_assert_cmpuint (f->asked, ==, 0);
  g_assert_false (rh_session_get_elevation_granted (f->sharer));

  rh_session_leave (f->helper);
  wait_done (&f->h);
  wait_done (&f->s);
  audit = elevation_audit (f);
  g_assert_cmpstr (audit, ==, "elevation.refused elevation.denied");
}

/* Headless defaults: without --allow-elevation the sharer refuses without asking. */
static void
test_deny_by_default (Fixture       *f,
                      gconstpointer  data)
{
  start_session (f, RH_RDP_MODE_CONTROL, RH_SESSION_ELEVATION_DENY);
  wait_line (&f->h, "mode: control");
  rh_session_request_elevation (f->helper);
  wait_line (&f->h, "elevation: denied: declined");
  g_assert_cmpuint (f->asked, ==, 0);
}

/* A helper whose role lacks elevation: the service refuses, and a helper app that asks the
 * sharer directly is refused there, without the person being asked. */
static void
test_not_permitted (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) raw = rh_message_new ("elevation-request");
  g_autofree char *audit = NULL;

  start_session (f, RH_RDP_MODE_CONTROL, RH_SESSION_ELEVATION_ASK);
  wait_line (&f->h, "mode: control");
  rh_session_request_elevation (f->helper);
  wait_line (&f->h, "elevation: refused: RH-4103");
  g_assert_true (rh_rendezvous_client_send_peer (f->helper_client, raw, NULL));
  wait_line (&f->s, "elevation: denied: not-permitted");
  g_assert_cmpuint (f->asked, ==, 0);
  rh_session_leave (f->helper);
  wait_done (&f->h);
  wait_done (&f->s);
  audit = elevation_audit (f);
  g_assert_cmpstr (audit, ==, "elevation.refused elevation.denied");
}

/* The policy says lock: the sharer stops sharing (no tool was started — a grant counts as
 * use), the helper is told, and logind locks the session instead of ending it. */
static void
test_lock (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *audit = NULL;

  f->config->elevated_end = RH_ELEVATED_END_LOCK;
  start_session (f, RH_RDP_MODE_CONTROL, RH_SESSION_ELEVATION_ALLOW);
  wait_line (&f->h, "mode: control");
  rh_session_request_elevation (f->helper);
  wait_line (&f->h, "elevation: granted");
  g_assert_cmpstr (rh_session_get_elevation_end_action (f->helper), ==, "lock");
  g_assert_cmpstr (rh_session_get_elevation_end_action (f->sharer), ==, "lock");

  rh_session_leave (f->sharer);
  wait_line (&f->h, "elevation: ending: lock");
  wait_done (&f->s);
  g_assert_no_error (f->s.error);
  g_assert_true (has_line (&f->s, "elevation: ended: lock"));
  g_assert_true (rh_test_call_log_wait (f->log, RH_TEST_SESSION_PATH " Lock"));
  g_assert_cmpuint (rh_test_call_log_index (f->log, RH_TEST_SESSION_PATH " Terminate"), ==,
                    G_MAXUINT);
  wait_done (&f->h);
  audit = elevation_audit (f);
  g_assert_cmpstr (audit, ==, "elevation.requested elevation.granted elevation.ending "
                              "elevation.ended");
}

int
main (int   argc,
      char *argv[])
{
  rh_test_dbusmock_enter_private_bus (argc, argv);
  g_autofree char *runtime_dir = NULL;

  XInitThreads ();
  g_test_init (&argc, &argv, NULL);
  /* The sharer's RDP socket lives under XDG_RUNTIME_DIR; a Unix socket path has ~108 bytes. */
  runtime_dir = g_dir_make_tmp ("rh-XXXXXX", NULL);
  g_assert_nonnull (runtime_dir);
  g_setenv ("XDG_RUNTIME_DIR", runtime_dir, TRUE);
  launcher_path = g_build_filename (g_getenv ("RH_TEST_BUILDDIR"), "app", "remote-help-elevated",
                                    NULL);
  g_assert_true (g_file_test (launcher_path, G_FILE_TEST_IS_EXECUTABLE));

  g_test_add ("/session-elevation/granted", Fixture, NULL, fixture_setup, test_granted,
              fixture_teardown);
  g_test_add ("/session-elevation/lock", Fixture, NULL, fixture_setup, test_lock,
              fixture_teardown);
  g_test_add ("/session-elevation/declined", Fixture, NULL, fixture_setup, test_declined,
              fixture_teardown);
  g_test_add ("/session-elevation/view-only", Fixture, NULL, fixture_setup, test_view_only,
              fixture_teardown);
  g_test_add ("/session-elevation/not-permitted", Fixture, "carl", fixture_setup,
              test_not_permitted, fixture_teardown);
  g_test_add ("/session-elevation/deny-by-default", Fixture, NULL, fixture_setup,
              test_deny_by_default, fixture_teardown);
  {
    int status = g_test_run ();

    g_rmdir (runtime_dir);
    return status;
  }
}
