/* rh-test-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-test-server.h"

static const char *
server_bin (void)
{
  const char *bin = g_getenv ("RH_SERVER_BIN");

  g_assert_nonnull (bin);
  return bin;
}

void
rh_test_write_file (const char *path,
                    const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static int
run_admin_v (RhTestServer  *server,
             char         **out_stdout,
             char         **out_stderr,
             va_list        ap)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *arg;

  g_ptr_array_add (argv, (char *) server_bin ());
  g_ptr_array_add (argv, (char *) "--data-dir");
  g_ptr_array_add (argv, server->data_dir);
  g_ptr_array_add (argv, (char *) "admin");
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const char *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
                            G_SUBPROCESS_FLAGS_STDIN_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, "", NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (out_stdout)
    *out_stdout = g_steal_pointer (&out);
  if (out_stderr)
    *out_stderr = g_steal_pointer (&err);
  else if (g_subprocess_get_exit_status (proc) != 0)
    g_printerr ("admin failed: %s\n", err);
  return g_subprocess_get_exit_status (proc);
}

int
rh_test_server_admin (RhTestServer  *server,
                      char         **out_stdout,
                      char         **out_stderr,
                      ...)
{
  va_list ap;
  int status;

  va_start (ap, out_stderr);
  status = run_admin_v (server, out_stdout, out_stderr, ap);
  va_end (ap);
  return status;
}

void
rh_test_server_admin_ok (RhTestServer *server,
                         ...)
{
  g_autofree char *err = NULL;
  const char *command;
  va_list ap;
  int status;

  va_start (ap, server);
  status = run_admin_v (server, NULL, &err, ap);
  va_end (ap);
  if (status != 0)
    {
      va_start (ap, server);
      command = va_arg (ap, const char *);
      va_end (ap);
      g_error ("admin %s failed: %s", command, err);
    }
}

void
rh_test_server_add_user (RhTestServer *server,
                         const char   *login,
                         const char   *display_name,
                         const char   *password)
{
  g_autofree char *pw_file = g_build_filename (server->tmpdir, "pw", NULL);

  rh_test_write_file (pw_file, password);
  g_assert_cmpint (rh_test_server_admin (server, NULL, NULL, "user", "add", login,
                                         "--display-name", display_name,
                                         "--job-title", "IT Support",
                                         "--company", "Example Corp",
                                         "--domain", "example.com",
                                         "--password-file", pw_file, NULL), ==, 0);
  /* Every test user may help every other (see rh_test_server_new). */
  g_assert_cmpint (rh_test_server_admin (server, NULL, NULL, "group", "update",
                                         RH_TEST_HELPERS_GROUP, "--add-member", login, NULL),
                   ==, 0);
}

RhTestServer *
rh_test_server_new (void)
{
  RhTestServer *server = g_new0 (RhTestServer, 1);
  g_autoptr(GError) error = NULL;

  server->tmpdir = g_dir_make_tmp ("rh-test-XXXXXX", &error);
  g_assert_no_error (error);
  server->data_dir = g_build_filename (server->tmpdir, "data", NULL);
  g_assert_cmpint (rh_test_server_admin (server, NULL, NULL, "settings", "set",
                                         "remote-help-enabled", "true", NULL), ==, 0);
  /* A fresh server lets nobody help anyone (issue #5): the tests' users all get the built-in
   * role towards all users, through assignment 1, which a test of scopes deletes. */
  g_assert_cmpint (rh_test_server_admin (server, NULL, NULL, "group", "create",
                                         RH_TEST_HELPERS_GROUP, NULL), ==, 0);
  g_assert_cmpint (rh_test_server_admin (server, NULL, NULL, "assignment", "create",
                                         "--role", "Help Desk Operator",
                                         "--helpers", RH_TEST_HELPERS_GROUP, "--scope-all",
                                         NULL), ==, 0);
  rh_test_server_add_user (server, "helen", "Helen Helper", "helen-password");
  rh_test_server_add_user (server, "sam", "Sam Sharer", "sam-password");
  return server;
}

static char *
read_line (GDataInputStream *in)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (line);
  return line;
}

static char *
value_of (const char *line,
          const char *key)
{
  g_assert_true (g_str_has_prefix (line, key));
  g_assert_true (line[strlen (key)] == ':');
  return g_strstrip (g_strdup (line + strlen (key) + 1));
}

/* A test that aborts must not leave its server running. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

void
rh_test_server_start (RhTestServer *server,
                      ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *l1 = NULL, *l2 = NULL, *l3 = NULL;
  g_autofree char *log_path = g_build_filename (server->tmpdir, "server.log", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  const char *arg;
  const char *colon;
  va_list ap;

  g_assert_null (server->proc);
  g_ptr_array_add (argv, (char *) server_bin ());
  g_ptr_array_add (argv, (char *) "--data-dir");
  g_ptr_array_add (argv, server->data_dir);
  g_ptr_array_add (argv, (char *) "--listen");
  g_ptr_array_add (argv, (char *) "127.0.0.1:0");
  g_ptr_array_add (argv, (char *) "--verbose");
  va_start (ap, server);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server->proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata,
                                               &error);
  g_assert_no_error (error);

  /* The lines come within milliseconds; a hang must fail the test (SIGALRM), not stall CI. */
  alarm (10);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->proc));
  l1 = read_line (in);
  l2 = read_line (in);
  l3 = read_line (in);
  alarm (0);

  g_clear_pointer (&server->url, g_free);
  g_clear_pointer (&server->tls_fingerprint, g_free);
  g_clear_pointer (&server->org_fingerprint, g_free);
  server->url = value_of (l1, "listening");
  server->tls_fingerprint = value_of (l2, "tls-fingerprint");
  server->org_fingerprint = value_of (l3, "org-key");
  colon = strrchr (server->url, ':');
  g_assert_nonnull (colon);
  server->port = atoi (colon + 1);
  g_assert_cmpint (server->port, >, 0);
}

void
rh_test_server_stop (RhTestServer *server)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_assert_nonnull (server->proc);
  g_subprocess_send_signal (server->proc, SIGTERM);
  /* GLib reaps the child on its worker thread; the identifier goes NULL then. */
  while (g_subprocess_get_identifier (server->proc) != NULL)
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_subprocess_force_exit (server->proc);
          g_error ("remote-help-server did not stop within 10 s of SIGTERM");
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  g_assert_true (g_subprocess_get_if_exited (server->proc));
  g_assert_cmpint (g_subprocess_get_exit_status (server->proc), ==, 0);
  g_clear_object (&server->proc);
}

void
rh_test_server_free (RhTestServer *server)
{
  if (server->proc)
    {
      g_subprocess_force_exit (server->proc);
      g_subprocess_wait (server->proc, NULL, NULL);
      g_clear_object (&server->proc);
    }
  if (server->tmpdir && g_getenv ("RH_TEST_KEEP") == NULL)
    {
      g_autofree char *quoted = g_shell_quote (server->tmpdir);
      g_autofree char *cmd = g_strdup_printf ("rm -rf %s", quoted);

      g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
    }
  g_free (server->tmpdir);
  g_free (server->data_dir);
  g_free (server->url);
  g_free (server->tls_fingerprint);
  g_free (server->org_fingerprint);
  g_free (server);
}

RhRendezvousClient *
rh_test_server_client (RhTestServer *server)
{
  guint8 tls[RH_FINGERPRINT_LEN], org[RH_FINGERPRINT_LEN];
  g_autoptr(GBytes) tls_pin = NULL;
  g_autoptr(GBytes) org_pin = NULL;

  g_assert_true (rh_fingerprint_parse (server->tls_fingerprint, tls, NULL));
  g_assert_true (rh_fingerprint_parse (server->org_fingerprint, org, NULL));
  tls_pin = g_bytes_new (tls, sizeof tls);
  org_pin = g_bytes_new (org, sizeof org);
  return rh_rendezvous_client_new (server->url, tls_pin, NULL, org_pin);
}

void
rh_test_store_result (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

GAsyncResult *
rh_test_wait_result (GAsyncResult **slot,
                     guint          timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (*slot == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("An asynchronous call did not finish within %u ms", timeout_ms);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return *slot;
}

gboolean
rh_test_wait_flag (const gboolean *flag,
                   guint           timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!*flag)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

RhRendezvousClient *
rh_test_server_signed_in (RhTestServer *server,
                          const char   *login,
                          const char   *password)
{
  g_autoptr(RhRendezvousClient) client = rh_test_server_client (server);
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GError) error = NULL;

  rh_rendezvous_client_connect_async (client, NULL, rh_test_store_result, &r1);
  rh_rendezvous_client_connect_finish (client, rh_test_wait_result (&r1, 10000), &error);
  g_assert_no_error (error);
  rh_rendezvous_client_sign_in_async (client, login, password, NULL, rh_test_store_result, &r2);
  rh_rendezvous_client_sign_in_finish (client, rh_test_wait_result (&r2, 10000), &error);
  g_assert_no_error (error);
  return g_steal_pointer (&client);
}

GSubprocess *
rh_test_server_spawn_client_valist (RhTestServer      *server,
                                    const char        *runtime_dir,
                                    const char        *display,
                                    const char *const *extra,
                                    const char        *first,
                                    va_list            ap)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *home = g_build_filename (server->tmpdir, "home", NULL);
  /* The policy of a silent deployment: the administrator accepted the terms for everyone. */
  g_autofree char *policy = g_build_filename (server->tmpdir, "policy.conf", NULL);
  g_autoptr(GError) error = NULL;
  GSubprocess *proc;

  g_ptr_array_add (argv, (char *) g_getenv ("RH_CLIENT_BIN"));
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  for (gsize i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) extra[i]);
  g_ptr_array_add (argv, (char *) "--headless");
  g_ptr_array_add (argv, (char *) "--server");
  g_ptr_array_add (argv, server->url);
  g_ptr_array_add (argv, (char *) "--server-fingerprint");
  g_ptr_array_add (argv, server->tls_fingerprint);
  g_ptr_array_add (argv, (char *) "--org-key");
  g_ptr_array_add (argv, server->org_fingerprint);
  g_ptr_array_add (argv, NULL);

  rh_test_write_file (policy, "[remote-help]\nacceptTerms=1\n");
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "RH_SYSTEM_CONFIG", policy, TRUE);
  if (display != NULL)
    g_subprocess_launcher_setenv (launcher, "DISPLAY", display, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  return proc;
}

gboolean
rh_test_pair (RhRendezvousClient *helper,
              RhRendezvousClient *sharer,
              guint               timeout_ms,
              RhIdentityCard    **out_helper_card,
              RhIdentityCard    **out_sharer_card,
              GError            **error)
{
  g_autoptr(GAsyncResult) code_result = NULL;
  g_autoptr(GAsyncResult) wait = NULL;
  g_autoptr(GAsyncResult) redeem = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(RhIdentityCard) helper_card = NULL;
  g_autoptr(RhIdentityCard) sharer_card = NULL;
  g_autofree char *code = NULL;
  gboolean ok;

  rh_rendezvous_client_request_code_async (helper, NULL, rh_test_store_result, &code_result);
  code = rh_rendezvous_client_request_code_finish (helper,
                                                   rh_test_wait_result (&code_result,
                                                                        timeout_ms),
                                                   NULL, &local_error);
  g_assert_no_error (local_error);
  rh_rendezvous_client_wait_for_sharer_async (helper, NULL, rh_test_store_result, &wait);
  rh_rendezvous_client_redeem_code_async (sharer, code, NULL, rh_test_store_result, &redeem);
  helper_card = rh_rendezvous_client_redeem_code_finish (sharer,
                                                         rh_test_wait_result (&redeem,
                                                                              timeout_ms),
                                                         error);
  /* The helper's side is collected either way; its error only matters after a redeem. */
  sharer_card = rh_rendezvous_client_wait_for_sharer_finish (helper,
                                                             rh_test_wait_result (&wait,
                                                                                  timeout_ms),
                                                             helper_card ? error : NULL);
  ok = helper_card != NULL && sharer_card != NULL;
  if (out_helper_card)
    *out_helper_card = g_steal_pointer (&helper_card);
  if (out_sharer_card)
    *out_sharer_card = g_steal_pointer (&sharer_card);
  return ok;
}

GSubprocess *
rh_test_server_spawn_client (RhTestServer *server,
                             const char   *runtime_dir,
                             const char   *display,
                             const char   *first,
                             ...)
{
  GSubprocess *proc;
  va_list ap;

  va_start (ap, first);
  proc = rh_test_server_spawn_client_valist (server, runtime_dir, display, NULL, first, ap);
  va_end (ap);
  return proc;
}

void
rh_test_server_client_files (RhTestServer  *server,
                             char         **runtime_dir,
                             char         **helper_pw,
                             char         **sharer_pw)
{
  *runtime_dir = g_build_filename (server->tmpdir, "run", NULL);
  g_assert_cmpint (g_mkdir (*runtime_dir, 0700), ==, 0);
  *helper_pw = g_build_filename (server->tmpdir, "helen.pw", NULL);
  *sharer_pw = g_build_filename (server->tmpdir, "sam.pw", NULL);
  rh_test_write_file (*helper_pw, "helen-password\n");
  rh_test_write_file (*sharer_pw, "sam-password\n");
}

sqlite3 *
rh_test_server_open_db (RhTestServer *server,
                        gboolean      writable)
{
  g_autofree char *path = g_build_filename (server->data_dir, "remote-help.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db,
                                    writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY,
                                    NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}
