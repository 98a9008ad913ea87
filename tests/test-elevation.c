/* test-elevation.c: the elevation lifecycle against mock polkit and logind on a private bus
 *
 * Re-executes itself inside dbus-run-session; that private bus stands in for the system bus
 * (DBUS_SYSTEM_BUS_ADDRESS points at it), where python3-dbusmock's polkitd and logind
 * templates run. Tools are started through the real remote-help-elevated launcher, without
 * pkexec in front (the injectable launcher prefix), so the test can check that what was started
 * is really gone afterwards. sudo is replaced by a script that records its arguments.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "rh-elevation.h"
#include "rh-error.h"
#include "rh-test-dbusmock.h"

#define POLKIT_PATH RH_TEST_POLKIT_PATH
#define SESSION_ID RH_TEST_SESSION_ID
#define SESSION_PATH RH_TEST_SESSION_PATH

static char *launcher_path;
static char *workdir;

static void
on_end (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  RhElevationResult **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = rh_elevation_end_finish (NULL, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*out);
}

static RhElevationResult *
run_end (RhElevation  *elevation,
         RhElevatedEnd end)
{
  RhElevationResult *result = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  rh_elevation_end_async (elevation, end, NULL, on_end, &result);
  while (result == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  return result;
}

static const RhElevationStep *
step (RhElevationResult *result,
      const char        *name)
{
  for (guint i = 0; i < result->steps->len; i++)
    {
      RhElevationStep *s = g_ptr_array_index (result->steps, i);

      if (g_str_equal (s->name, name))
        return s;
    }
  g_error ("No step %s in the result", name);
  return NULL;
}

static void
assert_steps (RhElevationResult *result,
              const char        *last)
{
  const char *names[] = { "terminate-tools", "revoke-polkit", "invalidate-sudo", last };

  g_assert_cmpuint (result->steps->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpstr (((RhElevationStep *) g_ptr_array_index (result->steps, i))->name, ==,
                     names[i]);
}

/* A tool that writes its PID, for the test to check it is gone. ignore_term makes it survive
 * SIGTERM, so that only the launcher's SIGKILL ends it. */
static RhElevatedTool *
pid_tool (const char *name,
          gboolean    ignore_term)
{
  g_autofree char *pidfile = g_build_filename (workdir, name, NULL);
  RhElevatedTool *tool = g_new0 (RhElevatedTool, 1);
  /* Output to /dev/null: a tool left behind by a failing test must not hold the test's pipes
   * (meson would wait for them until its timeout). */
  const char *script_term = "exec >/dev/null 2>&1; echo $$ > \"$0\"; exec /bin/sleep 600";
  const char *script_ignore = "exec >/dev/null 2>&1; trap '' TERM; echo $$ > \"$0\"; "
                              "while :; do /bin/sleep 1; done";

  g_remove (pidfile);
  tool->name = g_strdup (name);
  tool->argv = g_new0 (char *, 5);
  tool->argv[0] = g_strdup ("/bin/sh");
  tool->argv[1] = g_strdup ("-c");
  tool->argv[2] = g_strdup (ignore_term ? script_ignore : script_term);
  tool->argv[3] = g_steal_pointer (&pidfile);
  return tool;
}

static GPid
wait_pidfile (const RhElevatedTool *tool)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  g_autofree char *text = NULL;

  while (!g_file_get_contents (tool->argv[3], &text, NULL, NULL) || strchr (text, '\n') == NULL)
    {
      g_clear_pointer (&text, g_free);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
  return (GPid) g_ascii_strtoll (text, NULL, 10);
}

/* Gone means no process, or a zombie nobody has reaped yet (its parent, the launcher, exited). */
static gboolean
process_gone (GPid pid)
{
  g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char *paren;

  if (kill (pid, 0) != 0 && errno == ESRCH)
    return TRUE;
  if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
    return TRUE;
  paren = strrchr (stat, ')');
  return paren != NULL && paren[1] == ' ' && paren[2] == 'Z';
}

static void
wait_gone (GPid pid)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!process_gone (pid))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
}

static RhElevation *
new_elevation (const char *sudo_log)
{
  RhElevation *elevation = rh_elevation_new ();
  const char *launcher[] = { launcher_path, NULL };
  g_autofree char *sudo_script = g_strdup_printf ("echo \"$@\" >> '%s'", sudo_log);
  const char *sudo[] = { "/bin/sh", "-c", sudo_script, "sudo", "-K", NULL };

  rh_elevation_set_launcher (elevation, launcher);
  rh_elevation_set_sudo_argv (elevation, sudo);
  rh_elevation_set_session_id (elevation, SESSION_ID);
  rh_elevation_set_grace_ms (elevation, 500);
  return elevation;
}

static void
test_parse (void)
{
  g_autoptr(GPtrArray) tools = NULL;
  g_autoptr(GPtrArray) menu = NULL;
  g_autoptr(GError) error = NULL;
  RhElevatedEnd end = RH_ELEVATED_END_LOCK;
  const char *bad[] = {
    "Disks",                                  /* no = */
    "=/usr/bin/gnome-disks",                  /* no name */
    "Disks=gnome-disks",                      /* relative */
    "Disks=./gnome-disks",
    "Disks=/usr/bin/../../tmp/x",             /* .. */
    "Disks=",                                 /* no command */
    "Disks=/usr/bin/a 'unterminated",
    "Disks=/usr/bin/a;Disks=/usr/bin/b",      /* twice */
    "Disks=/usr/bin/a\nb",                    /* control character */
    "Disks=\xff\xfe",                         /* not UTF-8 */
  };

  tools = rh_elevated_tools_parse ("Disks=/usr/bin/gnome-disks ; Logs = /usr/bin/journal "
                                   "--follow 'a b' 'x|y' '$(rm -rf /)' ;;", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tools->len, ==, 2);
  g_assert_cmpstr (((RhElevatedTool *) tools->pdata[0])->name, ==, "Disks");
  g_assert_cmpstr (((RhElevatedTool *) tools->pdata[1])->name, ==, "Logs");
  {
    const char *expected[] = { "/usr/bin/journal", "--follow", "a b", "x|y", "$(rm -rf /)",
                               NULL };

    g_assert_true (g_strv_equal ((const char * const *) ((RhElevatedTool *) tools->pdata[1])->argv,
                                 expected));
  }
  g_clear_pointer (&tools, g_ptr_array_unref);

  tools = rh_elevated_tools_parse (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tools->len, ==, 0);
  g_clear_pointer (&tools, g_ptr_array_unref);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      tools = rh_elevated_tools_parse (bad[i], &error);
      g_assert_null (tools);
      g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOLS_INVALID);
      g_clear_error (&error);
    }
  {
    g_autoptr(GString) many = g_string_new (NULL);

    for (int i = 0; i < 40; i++)
      g_string_append_printf (many, "T%d=/bin/true;", i);
    tools = rh_elevated_tools_parse (many->str, &error);
    g_assert_null (tools);
    g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOLS_INVALID);
    g_clear_error (&error);
  }

  g_assert_true (rh_elevated_end_parse (NULL, &end, &error));
  g_assert_cmpint (end, ==, RH_ELEVATED_END_SIGN_OUT);
  g_assert_true (rh_elevated_end_parse ("lock", &end, &error));
  g_assert_cmpint (end, ==, RH_ELEVATED_END_LOCK);
  g_assert_true (rh_elevated_end_parse ("sign-out", &end, &error));
  g_assert_cmpint (end, ==, RH_ELEVATED_END_SIGN_OUT);
  g_assert_false (rh_elevated_end_parse ("reboot", &end, &error));
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_END_INVALID);
  g_clear_error (&error);

  /* The built-in terminal comes first when one is installed; a configured entry may not take
   * its name. PATH is set to a directory holding a fake "xterm". */
  {
    g_autofree char *bin = g_build_filename (workdir, "bin", NULL);
    g_autofree char *xterm = g_build_filename (bin, "xterm", NULL);
    g_autofree char *old_path = g_strdup (g_getenv ("PATH"));

    g_assert_no_errno (g_mkdir_with_parents (bin, 0700));
    g_assert_true (g_file_set_contents (xterm, "#!/bin/sh\n", -1, NULL));
    g_assert_no_errno (g_chmod (xterm, 0755));
    g_setenv ("PATH", bin, TRUE);
    tools = rh_elevated_tools_parse ("Terminal=/bin/true;Disks=/bin/true", &error);
    g_assert_no_error (error);
    g_test_expect_message ("rh-app", G_LOG_LEVEL_WARNING, "*built-in terminal*");
    menu = rh_elevated_tools_menu (tools);
    g_test_assert_expected_messages ();
    g_setenv ("PATH", old_path, TRUE);
    g_assert_cmpuint (menu->len, ==, 2);
    g_assert_cmpstr (((RhElevatedTool *) menu->pdata[0])->argv[0], ==, xterm);
    g_assert_cmpstr (((RhElevatedTool *) menu->pdata[1])->name, ==, "Disks");
  }
}

/* Nothing starts before Allow, and nothing after the end began. */
static void
test_not_granted (void)
{
  g_autofree char *sudo_log = g_build_filename (workdir, "sudo-not-granted.log", NULL);
  g_autoptr(RhElevation) elevation = new_elevation (sudo_log);
  g_autoptr(RhElevatedTool) tool = pid_tool ("never", FALSE);
  g_autoptr(RhElevatedTool) missing = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhElevationResult) result = NULL;

  g_assert_false (rh_elevation_is_granted (elevation));
  g_assert_cmpint (rh_elevation_start_tool (elevation, tool, &error), ==, 0);
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATION_NOT_GRANTED);
  g_clear_error (&error);
  g_assert_false (g_file_test (tool->argv[3], G_FILE_TEST_EXISTS));

  rh_elevation_grant (elevation);
  missing = g_new0 (RhElevatedTool, 1);
  missing->name = g_strdup ("Missing");
  missing->argv = g_strsplit ("/nonexistent/tool", " ", -1);
  g_assert_cmpint (rh_elevation_start_tool (elevation, missing, &error), ==, 0);
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOL_START);
  g_clear_error (&error);
  /* Granted counts as used even without a tool: the helper could answer any system prompt. */
  g_assert_true (rh_elevation_was_used (elevation));

  /* Without polkit and logind on the bus the end still runs every step and says which failed
   * (each failure is logged as a warning, which is the point here, not a test failure). */
  {
    GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

    result = run_end (elevation, RH_ELEVATED_END_SIGN_OUT);
    g_log_set_always_fatal (fatal);
  }
  assert_steps (result, "sign-out");
  g_assert_false (result->ok);
  g_assert_false (step (result, "revoke-polkit")->ok);
  g_assert_true (step (result, "invalidate-sudo")->ok);
  g_assert_false (step (result, "sign-out")->ok);      /* no logind on the bus */
  error = rh_elevation_result_to_error (result);
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATION_CLEANUP);
  g_clear_error (&error);

  rh_elevation_grant (elevation);
  g_assert_false (rh_elevation_is_granted (elevation));
  g_assert_cmpint (rh_elevation_start_tool (elevation, tool, &error), ==, 0);
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATION_NOT_GRANTED);
}

static void
run_lifecycle (RhElevatedEnd end)
{
  g_autofree char *sudo_log = g_build_filename (workdir, "sudo.log", NULL);
  g_autoptr(RhElevation) elevation = new_elevation (sudo_log);
  g_autoptr(RhElevatedTool) polite = pid_tool ("polite", FALSE);
  g_autoptr(RhElevatedTool) stubborn = pid_tool ("stubborn", TRUE);
  g_autoptr(RhElevationResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sudo_text = NULL;
  g_autoptr(RhTestCallLog) log = NULL;
  const char *session_call = end == RH_ELEVATED_END_LOCK ? SESSION_PATH " Lock"
                                                         : SESSION_PATH " Terminate";
  const char *other_call = end == RH_ELEVATED_END_LOCK ? SESSION_PATH " Terminate"
                                                       : SESSION_PATH " Lock";
  GPid launchers[2], tools[2];
  guint revoke_at, session_at;
  const char *kind = NULL, *session_id = NULL;
  g_autoptr(GVariant) details = NULL;

  g_remove (sudo_log);
  rh_test_dbusmock_start (TRUE);
  log = rh_test_call_log_new ();

  rh_elevation_grant (elevation);
  launchers[0] = rh_elevation_start_tool (elevation, polite, &error);
  g_assert_no_error (error);
  launchers[1] = rh_elevation_start_tool (elevation, stubborn, &error);
  g_assert_no_error (error);
  tools[0] = wait_pidfile (polite);
  tools[1] = wait_pidfile (stubborn);
  g_assert_cmpuint (rh_elevation_n_running (elevation), ==, 2);
  g_assert_true (rh_elevation_was_used (elevation));

  result = run_end (elevation, end);
  for (guint i = 0; i < result->steps->len; i++)
    {
      RhElevationStep *s = g_ptr_array_index (result->steps, i);
      g_test_message ("%s: %s (%s)", s->name, s->ok ? "ok" : "FAILED", s->detail);
    }
  assert_steps (result, rh_elevated_end_to_string (end));
  g_assert_true (result->ok);
  g_assert_null (rh_elevation_result_to_error (result));
  g_assert_cmpuint (result->tools_started, ==, 2);
  g_assert_cmpuint (result->tools_killed, ==, 1);   /* the one that ignores SIGTERM */
  g_assert_cmpuint (rh_elevation_n_running (elevation), ==, 0);
  g_assert_false (rh_elevation_is_granted (elevation));

  /* Everything started is gone: launchers (reaped by the end) and the tools themselves,
   * including the one that ignores SIGTERM. */
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpint (kill (launchers[i], 0), ==, -1);
      wait_gone (tools[i]);
    }

  g_assert_true (g_file_get_contents (sudo_log, &sudo_text, NULL, NULL));
  g_assert_cmpstr (sudo_text, ==, "-K\n");

  /* Let the signals still in flight arrive. */
  rh_test_call_log_wait (log, session_call);
  for (guint i = 0; i < log->calls->len; i++)
    g_test_message ("call %u: %s", i, (char *) log->calls->pdata[i]);
  revoke_at = rh_test_call_log_index (log, POLKIT_PATH " RevokeTemporaryAuthorizations");
  session_at = rh_test_call_log_index (log, session_call);
  g_assert_cmpuint (revoke_at, !=, G_MAXUINT);
  g_assert_cmpuint (session_at, !=, G_MAXUINT);
  g_assert_cmpuint (revoke_at, <, session_at);
  g_assert_cmpuint (rh_test_call_log_index (log, other_call), ==, G_MAXUINT);

  /* The polkit subject is the sharer's logind session. */
  g_assert_nonnull (log->revoke_subject);
  g_variant_get (log->revoke_subject, "(&s@a{sv})", &kind, &details);
  g_assert_cmpstr (kind, ==, "unix-session");
  g_assert_true (g_variant_lookup (details, "session-id", "&s", &session_id));
  g_assert_cmpstr (session_id, ==, SESSION_ID);

  rh_test_dbusmock_stop ();
}

static void
test_sign_out (void)
{
  run_lifecycle (RH_ELEVATED_END_SIGN_OUT);
}

static void
test_lock (void)
{
  run_lifecycle (RH_ELEVATED_END_LOCK);
}

static RhElevationResult *
run_half (RhElevation   *elevation,
          RhElevatedEnd  end,
          gboolean       clean_up)
{
  RhElevationResult *result = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  if (clean_up)
    rh_elevation_clean_up_async (elevation, end, NULL, on_end, &result);
  else
    rh_elevation_close_session_async (elevation, end, NULL, on_end, &result);
  while (result == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  return result;
}

/* The session runs the end in two halves so it can report the clean-up before the sign-out
 * ends it: the first half never signs out, the second does nothing else. */
static void
test_two_halves (void)
{
  g_autofree char *sudo_log = g_build_filename (workdir, "sudo-halves.log", NULL);
  g_autoptr(RhElevation) elevation = new_elevation (sudo_log);
  g_autoptr(RhElevation) never = new_elevation (sudo_log);
  g_autoptr(RhElevatedTool) tool = pid_tool ("halves", FALSE);
  g_autoptr(RhElevationResult) first = NULL;
  g_autoptr(RhElevationResult) second = NULL;
  g_autoptr(RhElevationResult) skipped = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhTestCallLog) log = NULL;
  GPid pid;

  rh_test_dbusmock_start (TRUE);
  log = rh_test_call_log_new ();
  rh_elevation_grant (elevation);
  rh_elevation_start_tool (elevation, tool, &error);
  g_assert_no_error (error);
  pid = wait_pidfile (tool);

  first = run_half (elevation, RH_ELEVATED_END_SIGN_OUT, TRUE);
  g_assert_cmpuint (first->steps->len, ==, 3);
  g_assert_true (first->ok);
  g_assert_cmpstr (((RhElevationStep *) g_ptr_array_index (first->steps, 2))->name, ==,
                   "invalidate-sudo");
  wait_gone (pid);
  rh_test_call_log_wait (log, POLKIT_PATH " RevokeTemporaryAuthorizations");
  g_assert_cmpuint (rh_test_call_log_index (log, POLKIT_PATH " RevokeTemporaryAuthorizations"), !=,
                    G_MAXUINT);
  g_assert_cmpuint (rh_test_call_log_index (log, SESSION_PATH " Terminate"), ==, G_MAXUINT);
  g_assert_false (rh_elevation_is_granted (elevation));

  second = run_half (elevation, RH_ELEVATED_END_SIGN_OUT, FALSE);
  g_assert_cmpuint (second->steps->len, ==, 1);
  g_assert_true (second->ok);
  g_assert_false (step (second, "sign-out")->skipped);
  rh_test_call_log_wait (log, SESSION_PATH " Terminate");
  g_assert_cmpuint (rh_test_call_log_index (log, SESSION_PATH " Terminate"), !=, G_MAXUINT);

  /* Never granted: nothing to sign out for. */
  skipped = run_half (never, RH_ELEVATED_END_LOCK, FALSE);
  g_assert_cmpuint (skipped->steps->len, ==, 1);
  g_assert_true (step (skipped, "lock")->skipped);

  rh_test_dbusmock_stop ();
}

/* The app dying (here: freeing the object) closes the pipes, and the launcher ends the tool. */
static void
test_app_gone (void)
{
  g_autofree char *sudo_log = g_build_filename (workdir, "sudo-gone.log", NULL);
  RhElevation *elevation = new_elevation (sudo_log);
  g_autoptr(RhElevatedTool) tool = pid_tool ("orphan", FALSE);
  g_autoptr(GError) error = NULL;
  GPid launcher, pid;

  rh_elevation_grant (elevation);
  launcher = rh_elevation_start_tool (elevation, tool, &error);
  g_assert_no_error (error);
  pid = wait_pidfile (tool);
  rh_elevation_free (elevation);
  wait_gone (pid);
  wait_gone (launcher);
  g_assert_false (g_file_test (sudo_log, G_FILE_TEST_EXISTS));
}

/* The launcher refuses what it was not designed for. */
static void
test_launcher_usage (void)
{
  const char *cases[][5] = {
    { "--grace-ms=100", "--", "relative/prog", NULL },
    { "--grace-ms=x", "--", "/bin/true", NULL },
    { "--grace-ms=-1", "--", "/bin/true", NULL },
    { "--grace=100", "--", "/bin/true", NULL },
    { "--grace-ms=100", "/bin/true", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();
      int status = 0;
      g_autoptr(GError) error = NULL;

      g_ptr_array_add (argv, launcher_path);
      for (guint j = 0; cases[i][j] != NULL; j++)
        g_ptr_array_add (argv, (char *) cases[i][j]);
      g_ptr_array_add (argv, NULL);
      g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                    NULL, NULL, &status, &error);
      g_assert_no_error (error);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 2);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  rh_test_dbusmock_enter_private_bus (argc, argv);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  launcher_path = g_build_filename (g_getenv ("RH_TEST_BUILDDIR"), "app", "remote-help-elevated",
                                    NULL);
  g_assert_true (g_file_test (launcher_path, G_FILE_TEST_IS_EXECUTABLE));
  workdir = g_dir_make_tmp ("rh-elevation-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/elevation/parse", test_parse);
  g_test_add_func ("/elevation/launcher-usage", test_launcher_usage);
  g_test_add_func ("/elevation/not-granted", test_not_granted);
  g_test_add_func ("/elevation/sign-out", test_sign_out);
  g_test_add_func ("/elevation/lock", test_lock);
  g_test_add_func ("/elevation/app-gone", test_app_gone);
  g_test_add_func ("/elevation/two-halves", test_two_halves);
  status = g_test_run ();
  rh_test_dbusmock_stop ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", workdir);
    (void) system (cmd);
  }
  return status;
}
