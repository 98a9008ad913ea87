/* test-ui-shell.c: the desktop app's windows, driven like a person would, against a real server
 *
 * Two real `remote-help` processes (helper and sharer), each on an Xvfb display of its own and
 * both on a private session bus, are driven with xdotool. The window reports each screen it
 * reaches on stdout (RH_UI_TRACE), and screenshots of every main screen are saved under
 * $RH_TEST_BUILDDIR/screenshots/ for people to look at.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "rh-test-dbusmock.h"
#include "rh-test-server.h"

#define WAIT_S 30

typedef struct
{
  const char       *name;
  GSubprocess      *xvfb;
  char             *display;
  GSubprocess      *proc;
  GDataInputStream *out;
  GString          *seen;
  char             *state_home;
  const char       *system_bus;   /* DBUS_SYSTEM_BUS_ADDRESS for the app, or NULL */
} App;

typedef struct
{
  RhTestServer *server;
  GSubprocess  *bus;
  char         *bus_address;
  GSubprocess  *notifications;  /* python3-dbusmock's notification daemon, when started */
  char         *config_path;
  char         *shots_dir;
  App           helper;
  App           sharer;
} Fixture;

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static char *
read_line_from_fd (int fd)
{
  char buf[512] = { 0 };
  gsize len = 0;
  gssize n;

  /* Read up to the newline: closing the pipe earlier can make the writer fail. */
  alarm (15);
  while (len < sizeof buf - 1 && strchr (buf, '\n') == NULL)
    {
      n = read (fd, buf + len, sizeof buf - 1 - len);
      g_assert_cmpint (n, >, 0);
      len += n;
    }
  alarm (0);
  *strchr (buf, '\n') = '\0';
  return g_strdup (buf);
}

/* Starts a program that writes one line to fd 3 when it is ready; returns that line. */
static GSubprocess *
spawn_with_ready_fd (char              **out_line,
                     const char *const  *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  GSubprocess *proc;
  int fds[2];
  int write_fd;

  g_assert_cmpint (pipe (fds), ==, 0);
  /* Keep the write end off fd 3 itself, or GLib would leave it close-on-exec. */
  write_fd = fcntl (fds[1], F_DUPFD_CLOEXEC, 10);
  g_assert_cmpint (write_fd, >=, 10);
  close (fds[1]);
  g_subprocess_launcher_take_fd (launcher, write_fd, 3);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  *out_line = read_line_from_fd (fds[0]);
  close (fds[0]);
  return proc;
}

static void
start_display (App *app)
{
  const char *argv[] = { "Xvfb", "-displayfd", "3", "-screen", "0", "1024x768x24", "-noreset",
                         "-nolisten", "tcp", NULL };
  g_autofree char *line = NULL;

  app->xvfb = spawn_with_ready_fd (&line, argv);
  app->display = g_strdup_printf (":%d", atoi (line));
}

/* Runs an X client on the app's display; asserts it succeeds and returns its stdout. */
static char *
run_x (App        *app,
       const char *first,
       ...)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  char *out = NULL;
  va_list ap;

  g_ptr_array_add (argv, (char *) first);
  va_start (ap, first);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "DISPLAY", app->display, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  alarm (30);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, &error);
  alarm (0);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (proc))
    g_error ("%s failed on %s", first, app->display);
  return out;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const char *bus_argv[] = { "dbus-daemon", "--session", "--nofork", "--print-address=3", NULL };
  g_autofree char *config = NULL;

  f->server = rh_test_server_new ();
  rh_test_server_start (f->server, NULL);

  f->bus = spawn_with_ready_fd (&f->bus_address, bus_argv);

  f->config_path = g_build_filename (f->server->tmpdir, "remote-help.conf", NULL);
  config = g_strdup_printf ("[remote-help]\nserver=%s\nserver-fingerprint=%s\norg-key=%s\n"
                            "acceptTerms=1\n",
                            f->server->url, f->server->tls_fingerprint,
                            f->server->org_fingerprint);
  rh_test_write_file (f->config_path, config);

  f->shots_dir = g_build_filename (g_getenv ("RH_TEST_BUILDDIR"), "screenshots", NULL);
  g_assert_cmpint (g_mkdir_with_parents (f->shots_dir, 0755), ==, 0);

  f->helper.name = "helper";
  f->sharer.name = "sharer";
  start_display (&f->helper);
  start_display (&f->sharer);
}

static void
app_stop (App *app)
{
  if (app->proc)
    {
      g_subprocess_send_signal (app->proc, SIGTERM);
      alarm (10);
      g_subprocess_wait (app->proc, NULL, NULL);
      alarm (0);
      g_clear_object (&app->proc);
    }
  g_clear_object (&app->out);
  if (app->xvfb)
    {
      g_subprocess_force_exit (app->xvfb);
      g_subprocess_wait (app->xvfb, NULL, NULL);
      g_clear_object (&app->xvfb);
    }
  if (app->seen)
    g_string_free (g_steal_pointer (&app->seen), TRUE);
  g_clear_pointer (&app->display, g_free);
  g_clear_pointer (&app->state_home, g_free);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  app_stop (&f->helper);
  app_stop (&f->sharer);
  if (f->notifications)
    {
      g_subprocess_force_exit (f->notifications);
      g_subprocess_wait (f->notifications, NULL, NULL);
      g_clear_object (&f->notifications);
    }
  if (f->bus)
    {
      g_subprocess_force_exit (f->bus);
      g_subprocess_wait (f->bus, NULL, NULL);
      g_clear_object (&f->bus);
    }
  g_clear_pointer (&f->server, rh_test_server_free);
  g_free (f->bus_address);
  g_free (f->config_path);
  g_free (f->shots_dir);
}

static void
app_start (Fixture    *f,
           App        *app,
           const char *config_path)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *home = g_build_filename (f->server->tmpdir, app->name, NULL);
  g_autofree char *runtime = g_build_filename (home, "run", NULL);
  g_autoptr(GError) error = NULL;
  const char *argv[] = { g_getenv ("RH_CLIENT_BIN"), NULL };

  g_mkdir_with_parents (runtime, 0700);
  app->state_home = g_build_filename (home, "state", NULL);
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", app->state_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "RH_SYSTEM_CONFIG", config_path, TRUE);
  g_subprocess_launcher_setenv (launcher, "DISPLAY", app->display, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", f->bus_address, TRUE);
  g_subprocess_launcher_setenv (launcher, "GDK_BACKEND", "x11", TRUE);
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  g_subprocess_launcher_setenv (launcher, "RH_UI_TRACE", "1", TRUE);
  if (app->system_bus != NULL)
    {
      /* Mock polkit and logind (RH_TEST_SESSION_ID) stand in for the system's. */
      g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS", app->system_bus, TRUE);
      g_subprocess_launcher_setenv (launcher, "XDG_SESSION_ID", RH_TEST_SESSION_ID, TRUE);
    }
  /* A critical in the app fails the test (it exits before the next trace line). */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-criticals", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  app->proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  app->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (app->proc));
  app->seen = g_string_new (NULL);
}

static void
store_line (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  char **slot = user_data;
  g_autoptr(GError) error = NULL;

  *slot = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                     &error);
  if (*slot == NULL)
    *slot = g_strdup ("<end of output>");
}

/* Reads the app's trace until a line "ui-KEY: VALUE" (VALUE NULL: any); returns the value. */
static char *
wait_trace (App        *app,
            const char *key,
            const char *value)
{
  g_autofree char *prefix = g_strdup_printf ("ui-%s: ", key);
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *line = NULL;

      g_data_input_stream_read_line_async (app->out, G_PRIORITY_DEFAULT, NULL, store_line,
                                           &line);
      while (line == NULL && g_get_monotonic_time () < deadline)
        {
          if (!g_main_context_iteration (NULL, FALSE))
            g_usleep (10000);
        }
      if (line == NULL)
        {
          g_autofree char *escaped = g_strescape (app->seen->str, "\n");

          g_error ("%s: no \"%s%s\" within %d s; it said:\n%s", app->name, prefix,
                   value ? value : "…", WAIT_S, escaped);
        }
      g_string_append_printf (app->seen, "%s\n", line);
      if (g_str_equal (line, "<end of output>"))
        g_error ("%s exited before \"%s%s\"; it said:\n%s", app->name, prefix,
                 value ? value : "…", app->seen->str);
      /* An error is only expected when waiting for one, or for the page that shows it. */
      if (g_str_has_prefix (line, "ui-error: ") && g_strcmp0 (key, "error") != 0 &&
          g_strcmp0 (value, "problem") != 0)
        g_error ("%s: unexpected %s", app->name, line);
      if (g_str_has_prefix (line, prefix) &&
          (value == NULL || g_str_equal (line + strlen (prefix), value)))
        return g_strdup (line + strlen (prefix));
    }
}

static void
screenshot (Fixture    *f,
            App        *app,
            const char *name)
{
  g_autofree char *path = g_build_filename (f->shots_dir, name, NULL);
  g_autofree char *out = NULL;

  /* Let the crossfade between pages finish. */
  g_usleep (700 * 1000);
  out = run_x (app, "import", "-window", "root", path, NULL);
  g_test_message ("screenshot: %s", path);
}

/* Gives the app's window the keyboard focus (there is no window manager). */
static void
focus_window_named (App        *app,
                    const char *name)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  g_autofree char *ids = NULL;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GSubprocess) proc = NULL;
      g_autofree char *out = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *display_env = g_strdup_printf ("DISPLAY=%s", app->display);

      proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                               &error, "env", display_env, "xdotool", "search", "--onlyvisible",
                               "--name", name, NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, &error);
      g_assert_no_error (error);
      if (out != NULL && *out != '\0')
        {
          ids = g_strdup (g_strstrip (out));
          break;
        }
      g_usleep (100 * 1000);
    }
  g_assert_nonnull (ids);
  if (strchr (ids, '\n'))
    *strchr (ids, '\n') = '\0';
  g_free (run_x (app, "xdotool", "windowfocus", "--sync", ids, NULL));
}

static void
focus_window (App *app)
{
  focus_window_named (app, "Remote Help");
}

static void
type_text (App        *app,
           const char *text)
{
  g_free (run_x (app, "xdotool", "type", "--delay", "30", text, NULL));
}

/* xdotool types a character outside the keymap by remapping a spare keycode for it, and a
 * busy app may read the key after the keymap was restored: characters get lost or replaced.
 * Non-ASCII text therefore goes in as a person would also do it: through the clipboard. xclip stays
 * behind as the selection owner until the display ends. */
static void
paste_text (App        *app,
            const char *text)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GSubprocessLauncher) reader =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "DISPLAY", app->display, TRUE);
  g_subprocess_launcher_setenv (reader, "DISPLAY", app->display, TRUE);
  proc = g_subprocess_launcher_spawn (launcher, &error, "xclip", "-selection", "clipboard",
                                      "-i", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, text, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (proc));
  /* xclip claims the selection from a child it forks: wait until the clipboard has the text. */
  for (int i = 0; i < 200; i++)
    {
      g_autoptr(GSubprocess) check = NULL;
      g_autofree char *now = NULL;

      /* Fails (exit 1) while nobody owns the clipboard yet: just try again. */
      check = g_subprocess_launcher_spawn (reader, &error, "xclip", "-selection", "clipboard",
                                           "-o", NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (check, NULL, NULL, &now, NULL, NULL);
      if (g_strcmp0 (now, text) == 0)
        break;
      g_usleep (50 * 1000);
    }
  /* GTK learns of the new owner and then asks it, asynchronously, which formats it offers; a
   * paste before that answer pastes nothing. Then the text itself arrives asynchronously. */
  g_usleep (G_USEC_PER_SEC);
  g_free (run_x (app, "xdotool", "key", "ctrl+v", NULL));
  g_usleep (G_USEC_PER_SEC);
}

static void
press (App        *app,
       const char *keys)
{
  g_free (run_x (app, "xdotool", "key", "--delay", "60", keys, NULL));
}

/* Notifications: python3-dbusmock's notification daemon on the fixture's bus logs every
 * Notify call; the test reads them back with its GetCalls method. */

#define NOTIFICATIONS_NAME "org.freedesktop.Notifications"

static GDBusConnection *
fixture_bus (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus;

  bus = g_dbus_connection_new_for_address_sync (f->bus_address,
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  return bus;
}

static gboolean
notifications_owned (GDBusConnection *bus)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", NOTIFICATIONS_NAME),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, 5000,
                                       NULL, NULL);
  if (reply)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
start_notifications (Fixture *f)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GDBusConnection) bus = fixture_bus (f);
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", f->bus_address, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  f->notifications = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/python3", "-m",
                                                  "dbusmock", "--template",
                                                  "notification_daemon", NULL);
  g_assert_no_error (error);
  while (!notifications_owned (bus))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The dbusmock notification daemon did not start; is python3-dbusmock there?");
      g_usleep (50 * 1000);
    }
}

/* Waits, bounded, for a Notify call with this summary and body. */
static void
wait_notification (Fixture    *f,
                   const char *summary,
                   const char *body)
{
  g_autoptr(GDBusConnection) bus = fixture_bus (f);
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GVariantIter) iter = NULL;
      g_autoptr(GError) error = NULL;
      const char *method;
      GVariant *args;
      guint64 timestamp;

      reply = g_dbus_connection_call_sync (bus, NOTIFICATIONS_NAME,
                                           "/org/freedesktop/Notifications",
                                           "org.freedesktop.DBus.Mock", "GetCalls", NULL,
                                           G_VARIANT_TYPE ("(a(tsav))"), G_DBUS_CALL_FLAGS_NONE,
                                           5000, NULL, &error);
      g_assert_no_error (error);
      g_variant_get (reply, "(a(tsav))", &iter);
      while (g_variant_iter_next (iter, "(t&s@av)", &timestamp, &method, &args))
        {
          g_autoptr(GVariant) owned = args;
          g_autoptr(GVariant) s = NULL;
          g_autoptr(GVariant) b = NULL;

          if (!g_str_equal (method, "Notify"))
            continue;
          s = g_variant_get_variant (g_variant_get_child_value (args, 3));
          b = g_variant_get_variant (g_variant_get_child_value (args, 4));
          if (g_str_equal (g_variant_get_string (s, NULL), summary) &&
              g_str_equal (g_variant_get_string (b, NULL), body))
            return;
        }
      g_usleep (100 * 1000);
    }
  g_error ("No notification “%s: %s” within %d s", summary, body, WAIT_S);
}

/* Another client's window takes the focus, so the app counts as being in the background. */
static GSubprocess *
focus_elsewhere (App *app)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  GSubprocess *other;

  g_subprocess_launcher_setenv (launcher, "DISPLAY", app->display, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  other = g_subprocess_launcher_spawn (launcher, &error, "xmessage", "-geometry", "+600+600",
                                       "-name", "rh-elsewhere", "Another application", NULL);
  g_assert_no_error (error);
  focus_window_named (app, "rh-elsewhere");
  return other;
}

static void
sign_in (App        *app,
         const char *login,
         const char *password)
{
  wait_trace (app, "state", "sign-in");
  focus_window (app);
  type_text (app, login);
  press (app, "Return");
  type_text (app, password);
  press (app, "Return");
}

/* No organisation key, no server: a clear RH- error in the window, not only in the log. */
static void
test_not_set_up (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->server->tmpdir, "empty.conf", NULL);
  g_autofree char *error = NULL;

  rh_test_write_file (path, "[remote-help]\n");
  app_start (f, &f->helper, path);
  wait_trace (&f->helper, "state", "problem");
  error = wait_trace (&f->helper, "error", NULL);
  g_assert_true (g_str_has_prefix (error, "RH-1"));
  screenshot (f, &f->helper, "not-set-up.png");
}

/* Sign-in with a wrong password shows RH-3001; the right one reaches the start page, and the
 * token saved then signs in the next run without a password. */
static void
test_sign_in (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *error = NULL;
  g_autofree char *session_path = NULL;
  struct stat st;

  app_start (f, &f->helper, f->config_path);
  sign_in (&f->helper, "helen", "wrong-password");
  error = wait_trace (&f->helper, "error", NULL);
  g_assert_true (g_str_has_prefix (error, "RH-3001"));
  wait_trace (&f->helper, "state", "sign-in");
  screenshot (f, &f->helper, "sign-in-failed.png");
  /* The login stays and the password field has the focus again. */
  type_text (&f->helper, "helen-password");
  press (&f->helper, "Return");
  wait_trace (&f->helper, "state", "start");
  screenshot (f, &f->helper, "start.png");

  session_path = g_build_filename (f->helper.state_home, "remote-help", "session", NULL);
  g_assert_cmpint (g_stat (session_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_subprocess_send_signal (f->helper.proc, SIGTERM);
  g_subprocess_wait (f->helper.proc, NULL, NULL);
  g_clear_object (&f->helper.proc);
  g_clear_object (&f->helper.out);
  g_string_free (f->helper.seen, TRUE);
  app_start (f, &f->helper, f->config_path);
  wait_trace (&f->helper, "state", "start");
}

/* A helper whose card has a photo (a small PNG made with ImageMagick). */
static void
add_user_with_photo (Fixture *f)
{
  g_autofree char *photo = g_build_filename (f->server->tmpdir, "hana.png", NULL);
  g_autofree char *pw = g_build_filename (f->server->tmpdir, "hana.pw", NULL);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "convert", "-size", "96x96",
                           "gradient:#2a7fd4-#f6d32d", photo, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (proc, NULL, &error));
  rh_test_write_file (pw, "hana-password\n");
  g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "user", "add", "hana",
                                         "--display-name", "Hana Hashimoto",
                                         "--job-title", "Service Desk Lead",
                                         "--company", "Example Corp",
                                         "--domain", "example.com",
                                         "--photo", photo,
                                         "--password-file", pw, NULL), ==, 0);
  g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "group", "update",
                                         RH_TEST_HELPERS_GROUP, "--add-member", "hana", NULL),
                   ==, 0);
}

static void
sharer_pointer (App *app,
                int *x,
                int *y)
{
  g_autofree char *out = run_x (app, "xdotool", "getmouselocation", "--shell", NULL);
  const char *px = strstr (out, "X=");
  const char *py = strstr (out, "Y=");

  g_assert_nonnull (px);
  g_assert_nonnull (py);
  *x = atoi (px + 2);
  *y = atoi (py + 2);
}

/* The whole pairing: code shown on the helper's screen, typed sloppily by the sharer, both
 * cards shown, and the sharer asked for consent when the helper asks for control. */
static void
test_pairing (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *code = NULL;
  g_autofree char *sloppy = NULL;
  g_autofree char *error = NULL;
  int x0, y0, x1, y1;

  add_user_with_photo (f);
  start_notifications (f);
  app_start (f, &f->helper, f->config_path);
  app_start (f, &f->sharer, f->config_path);
  sign_in (&f->helper, "hana", "hana-password");
  sign_in (&f->sharer, "sam", "sam-password");
  wait_trace (&f->helper, "state", "start");
  wait_trace (&f->sharer, "state", "start");

  /* Helper: Give help is the second choice; then the focused "Get a security code". */
  press (&f->helper, "Down");
  press (&f->helper, "Return");
  wait_trace (&f->helper, "state", "give-help");
  press (&f->helper, "Return");
  code = wait_trace (&f->helper, "code", NULL);
  g_assert_cmpint (strlen (code), ==, 11);
  screenshot (f, &f->helper, "give-help-code.png");

  /* Sharer: Get help is the first choice. A malformed code gets an inline error. */
  press (&f->sharer, "Return");
  wait_trace (&f->sharer, "state", "get-help");
  type_text (&f->sharer, "12");
  press (&f->sharer, "Return");
  error = wait_trace (&f->sharer, "error", NULL);
  g_assert_true (g_str_has_prefix (error, "RH-4003"));
  screenshot (f, &f->sharer, "get-help-bad-code.png");
  press (&f->sharer, "ctrl+a");
  press (&f->sharer, "BackSpace");
  /* Lower case, spaces instead of dashes. */
  sloppy = g_ascii_strdown (code, -1);
  g_strdelimit (sloppy, "-", ' ');
  type_text (&f->sharer, sloppy);
  press (&f->sharer, "Return");

  wait_trace (&f->sharer, "state", "helper-card");
  wait_trace (&f->helper, "state", "sharer-card");
  screenshot (f, &f->sharer, "get-help-helper-card.png");
  screenshot (f, &f->helper, "give-help-sharer-card.png");

  /* Helper: "Take full control" has the focus. */
  press (&f->helper, "Return");
  wait_trace (&f->sharer, "state", "consent-control");
  screenshot (f, &f->sharer, "get-help-consent.png");

  /* Sharer: nothing is pre-selected; the person picks "View only" (its mnemonic). */
  press (&f->sharer, "alt+v");
  wait_trace (&f->sharer, "session", "sharing");
  /* The helper's remote-screen window opens with the viewer, then shows the picture. */
  wait_trace (&f->helper, "state", "session-window");
  wait_trace (&f->helper, "session", "first-frame");
  wait_trace (&f->sharer, "state", "sharer-window");
  screenshot (f, &f->sharer, "get-help-sharer-window.png");
  screenshot (f, &f->helper, "give-help-session-window.png");

  /* View only: moving over the remote screen does not move the sharer's pointer. */
  sharer_pointer (&f->sharer, &x0, &y0);
  g_free (run_x (&f->helper, "xdotool", "mousemove", "500", "400", NULL));
  g_free (run_x (&f->helper, "xdotool", "mousemove", "520", "420", NULL));
  g_usleep (1000 * 1000);
  sharer_pointer (&f->sharer, &x1, &y1);
  g_assert_cmpint (x1, ==, x0);
  g_assert_cmpint (y1, ==, y0);

  /* Chat both ways while sharing: right-to-left Arabic from the sharer, Chinese back (both
   * through the clipboard, see paste_text). */
  focus_window_named (&f->sharer, ".");
  press (&f->sharer, "alt+c");
  paste_text (&f->sharer, "مرحبا، هل ترى الشاشة؟");
  press (&f->sharer, "Return");
  wait_trace (&f->sharer, "chat-sent", "yes");
  wait_trace (&f->helper, "chat", "sharer: مرحبا، هل ترى الشاشة؟");
  /* Click the helper's title (nothing there) so the session window has the keyboard. */
  g_free (run_x (&f->helper, "xdotool", "mousemove", "512", "18", "click", "1", NULL));
  press (&f->helper, "alt+c");
  paste_text (&f->helper, "是的，我看到了。请打开设置。");
  press (&f->helper, "Return");
  wait_trace (&f->helper, "chat-sent", "yes");
  wait_trace (&f->sharer, "chat", "helper: 是的，我看到了。请打开设置。");
  screenshot (f, &f->sharer, "get-help-chat.png");
  screenshot (f, &f->helper, "give-help-chat.png");

  /* With another application in front, a chat message raises a notification. */
  {
    g_autoptr(GSubprocess) other = focus_elsewhere (&f->helper);

    focus_window_named (&f->sharer, ".");
    paste_text (&f->sharer, "هل أنت هناك؟");
    press (&f->sharer, "Return");
    wait_trace (&f->helper, "chat", "sharer: هل أنت هناك؟");
    wait_notification (f, "Sam Sharer", "هل أنت هناك؟");
    g_subprocess_force_exit (other);
    g_subprocess_wait (other, NULL, NULL);
  }

  /* The helper asks for control from the header bar; the sharer's window asks again. */
  g_free (run_x (&f->helper, "xdotool", "mousemove", "512", "18", "click", "1", NULL));
  press (&f->helper, "alt+r");
  wait_trace (&f->helper, "session", "upgrade");
  wait_trace (&f->sharer, "state", "consent-upgrade");
  screenshot (f, &f->sharer, "get-help-consent-upgrade.png");
  focus_window_named (&f->sharer, "Allow Full Control");
  press (&f->sharer, "alt+a");
  wait_trace (&f->sharer, "session", "mode");
  wait_trace (&f->helper, "session", "mode");
  g_free (run_x (&f->helper, "xdotool", "mousemove", "500", "400", NULL));
  g_free (run_x (&f->helper, "xdotool", "mousemove", "520", "420", NULL));
  g_usleep (1000 * 1000);
  sharer_pointer (&f->sharer, &x1, &y1);
  g_assert_true (x1 != x0 || y1 != y0);
  screenshot (f, &f->helper, "give-help-session-control.png");

  /* The sharer stops from the small window (the only visible one): back to the start, and
   * the helper is told the session is over. */
  focus_window_named (&f->sharer, ".");
  press (&f->sharer, "alt+s");
  wait_trace (&f->sharer, "state", "start");
  wait_trace (&f->helper, "state", "session-window-ended");
  wait_trace (&f->helper, "state", "problem");
  screenshot (f, &f->helper, "give-help-ended.png");
}

/* Without acceptTerms=1 in the system policy, the terms come first, once: accepting them
 * leads to the sign-in, and the next run goes straight there. */
static void
test_terms (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->server->tmpdir, "no-terms.conf", NULL);
  g_autofree char *config = NULL;

  config = g_strdup_printf ("[remote-help]\nserver=%s\nserver-fingerprint=%s\norg-key=%s\n",
                            f->server->url, f->server->tls_fingerprint,
                            f->server->org_fingerprint);
  rh_test_write_file (path, config);
  app_start (f, &f->helper, path);
  wait_trace (&f->helper, "state", "terms");
  screenshot (f, &f->helper, "terms.png");
  focus_window (&f->helper);
  press (&f->helper, "alt+a");
  wait_trace (&f->helper, "state", "sign-in");

  g_subprocess_send_signal (f->helper.proc, SIGTERM);
  g_subprocess_wait (f->helper.proc, NULL, NULL);
  g_clear_object (&f->helper.proc);
  g_clear_object (&f->helper.out);
  g_string_free (f->helper.seen, TRUE);
  app_start (f, &f->helper, path);
  wait_trace (&f->helper, "state", "sign-in");
}

/* A saved token the service no longer accepts: the app asks for the password again. */
static void
test_token_rejected (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (f->server->tmpdir, "helper", "state", "remote-help",
                                           NULL);
  g_autofree char *path = g_build_filename (dir, "session", NULL);
  g_autofree char *error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  rh_test_write_file (path, "[session]\nlogin=helen\ntoken=revoked-or-made-up\n");
  app_start (f, &f->helper, f->config_path);
  wait_trace (&f->helper, "state", "start");
  focus_window (&f->helper);
  press (&f->helper, "Down");
  press (&f->helper, "Return");
  wait_trace (&f->helper, "state", "give-help");
  press (&f->helper, "Return");
  error = wait_trace (&f->helper, "error", NULL);
  g_assert_true (g_str_has_prefix (error, "RH-3002"));
  wait_trace (&f->helper, "state", "sign-in");
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  screenshot (f, &f->helper, "token-rejected.png");
  /* The login is kept; the password field has the focus. */
  type_text (&f->helper, "helen-password");
  press (&f->helper, "Return");
  wait_trace (&f->helper, "state", "start");
}

/* The administrator switched Remote Help off: the person is told so at sign-in. */
static void
test_service_disabled (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *error = NULL;

  g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "settings", "set",
                                         "remote-help-enabled", "false", NULL), ==, 0);
  app_start (f, &f->helper, f->config_path);
  sign_in (&f->helper, "helen", "helen-password");
  error = wait_trace (&f->helper, "error", NULL);
  g_assert_true (g_str_has_prefix (error, "RH-3004"));
  screenshot (f, &f->helper, "service-disabled.png");
}

/* A wrong secret: the sharer sees why, the helper sees how many attempts are left. */
/* A code nobody used expires: the helper is told, and the code no longer pairs. */
static void
test_code_expired (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *code = NULL;
  g_autofree char *helper_error = NULL;
  g_autofree char *sharer_error = NULL;

  g_autofree char *config = NULL;

  rh_test_server_stop (f->server);
  rh_test_server_start (f->server, "--code-lifetime", "3", NULL);
  /* Same data directory (certificate and organisation key), another port. */
  config = g_strdup_printf ("[remote-help]\nserver=%s\nserver-fingerprint=%s\norg-key=%s\n"
                            "acceptTerms=1\n",
                            f->server->url, f->server->tls_fingerprint,
                            f->server->org_fingerprint);
  rh_test_write_file (f->config_path, config);
  app_start (f, &f->helper, f->config_path);
  app_start (f, &f->sharer, f->config_path);
  sign_in (&f->helper, "helen", "helen-password");
  sign_in (&f->sharer, "sam", "sam-password");
  wait_trace (&f->helper, "state", "start");
  wait_trace (&f->sharer, "state", "start");
  press (&f->helper, "Down");
  press (&f->helper, "Return");
  wait_trace (&f->helper, "state", "give-help");
  press (&f->helper, "Return");
  code = wait_trace (&f->helper, "code", NULL);

  helper_error = wait_trace (&f->helper, "error", NULL);
  g_assert_true (g_str_has_prefix (helper_error, "RH-4011"));
  screenshot (f, &f->helper, "give-help-code-expired.png");

  press (&f->sharer, "Return");
  wait_trace (&f->sharer, "state", "get-help");
  type_text (&f->sharer, code);
  press (&f->sharer, "Return");
  sharer_error = wait_trace (&f->sharer, "error", NULL);
  g_assert_true (g_str_has_prefix (sharer_error, "RH-40"));
}

/* A helper whose role only allows viewing is not offered control, anywhere. */
static void
test_view_only_role (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *code = NULL;
  g_autofree char *permissions = NULL;

  rh_test_server_add_user (f->server, "vera", "Vera Viewer", "vera-password");
  /* The test server puts every user it adds in its all-powerful test group. */
  g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "group", "update",
                                         "Test helpers", "--remove-member", "vera", NULL), ==, 0);
  g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "role", "create", "Viewer",
                                         "--permissions", "view-screen", NULL), ==, 0);
  g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "group", "create", "Viewers",
                                         "--member", "vera", NULL), ==, 0);
  g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "assignment", "create",
                                         "--role", "Viewer", "--helpers", "Viewers",
                                         "--scope-all", NULL), ==, 0);
  app_start (f, &f->helper, f->config_path);
  app_start (f, &f->sharer, f->config_path);
  sign_in (&f->helper, "vera", "vera-password");
  sign_in (&f->sharer, "sam", "sam-password");
  wait_trace (&f->helper, "state", "start");
  wait_trace (&f->sharer, "state", "start");
  press (&f->helper, "Down");
  press (&f->helper, "Return");
  wait_trace (&f->helper, "state", "give-help");
  press (&f->helper, "Return");
  code = wait_trace (&f->helper, "code", NULL);
  press (&f->sharer, "Return");
  wait_trace (&f->sharer, "state", "get-help");
  type_text (&f->sharer, code);
  press (&f->sharer, "Return");

  permissions = wait_trace (&f->helper, "permissions", NULL);
  g_assert_cmpstr (permissions, ==, "view");
  wait_trace (&f->helper, "state", "sharer-card");
  screenshot (f, &f->helper, "give-help-view-only-role.png");

  /* "View Only" has the focus; the sharer is only asked about viewing. */
  press (&f->helper, "Return");
  wait_trace (&f->sharer, "state", "consent-view");
  screenshot (f, &f->sharer, "get-help-consent-view-role.png");
  press (&f->sharer, "alt+a");
  wait_trace (&f->helper, "state", "session-window");
  wait_trace (&f->helper, "session", "first-frame");
  screenshot (f, &f->helper, "give-help-session-view-only-role.png");

  /* The laser pointer works in a view-only session: moving over the remote screen shows a dot
   * on the sharer's screen, and the sharer's own pointer stays where it is. */
  {
    int x0, y0, x1, y1;

    sharer_pointer (&f->sharer, &x0, &y0);
    g_free (run_x (&f->helper, "xdotool", "mousemove", "512", "18", "click", "1", NULL));
    press (&f->helper, "alt+l");
    for (int i = 0; i < 10; i++)
      g_free (run_x (&f->helper, "xdotool", "mousemove", "400", g_ascii_dtostr ((char[16]) { 0 }, 16, 300 + 10 * i), NULL));
    wait_trace (&f->helper, "laser", "on");
    wait_trace (&f->sharer, "session", "laser");
    screenshot (f, &f->sharer, "get-help-laser.png");
    screenshot (f, &f->helper, "give-help-laser.png");
    sharer_pointer (&f->sharer, &x1, &y1);
    g_assert_cmpint (x1, ==, x0);
    g_assert_cmpint (y1, ==, y0);
    press (&f->helper, "alt+l");
    wait_trace (&f->helper, "laser", "off");
  }
}

static void
test_wrong_code (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *code = NULL;
  g_autofree char *error = NULL;
  g_autofree char *left = NULL;
  g_autofree char *right = NULL;

  app_start (f, &f->helper, f->config_path);
  app_start (f, &f->sharer, f->config_path);
  sign_in (&f->helper, "helen", "helen-password");
  sign_in (&f->sharer, "sam", "sam-password");
  wait_trace (&f->helper, "state", "start");
  wait_trace (&f->sharer, "state", "start");
  press (&f->helper, "Down");
  press (&f->helper, "Return");
  wait_trace (&f->helper, "state", "give-help");
  press (&f->helper, "Return");
  code = wait_trace (&f->helper, "code", NULL);

  /* Same slot, another last character. */
  right = g_strdup (code);
  code[10] = code[10] == 'Z' ? 'Y' : 'Z';
  press (&f->sharer, "Return");
  wait_trace (&f->sharer, "state", "get-help");
  type_text (&f->sharer, code);
  press (&f->sharer, "Return");
  /* Back on the code entry, with the reason inline. */
  wait_trace (&f->sharer, "state", "busy");
  wait_trace (&f->sharer, "state", "get-help");
  error = wait_trace (&f->sharer, "error", NULL);
  g_assert_true (g_str_has_prefix (error, "RH-4"));
  left = wait_trace (&f->helper, "attempts-left", NULL);
  g_assert_nonnull (strstr (left, "2 attempts left"));
  screenshot (f, &f->sharer, "get-help-wrong-code.png");
  screenshot (f, &f->helper, "give-help-attempt-failed.png");

  /* The code still works when typed right. */
  press (&f->sharer, "ctrl+a");
  press (&f->sharer, "BackSpace");
  type_text (&f->sharer, right);
  press (&f->sharer, "Return");
  wait_trace (&f->sharer, "state", "helper-card");
  wait_trace (&f->helper, "state", "sharer-card");

  /* A view-only request offers Allow / Deny; the sharer denies, and both are told. */
  press (&f->helper, "alt+v");
  wait_trace (&f->sharer, "state", "consent-view");
  screenshot (f, &f->sharer, "get-help-consent-view.png");
  press (&f->sharer, "alt+d");
  wait_trace (&f->sharer, "state", "problem");
  wait_trace (&f->helper, "state", "problem");
  g_free (error);
  error = wait_trace (&f->helper, "error", NULL);
  g_assert_true (g_str_has_prefix (error, "RH-4012"));
  screenshot (f, &f->helper, "give-help-denied.png");
  screenshot (f, &f->sharer, "get-help-denied.png");
}

/* Administrator access through both windows: the sharer is asked in words, the helper gets
 * the tools menu, and Stop Sharing warns about the sign-out and then runs the end against
 * mock polkit and logind. */
static void
test_elevation (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *code = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_path = g_build_filename (f->server->tmpdir, "elevation.conf", NULL);
  g_autoptr(RhTestCallLog) log = NULL;

  config = g_strdup_printf ("[remote-help]\nserver=%s\nserver-fingerprint=%s\norg-key=%s\n"
                            "acceptTerms=1\nelevated-tools=Disk Check=/bin/true\n",
                            f->server->url, f->server->tls_fingerprint,
                            f->server->org_fingerprint);
  rh_test_write_file (config_path, config);
  /* The fixture's private bus plays the system bus for the sharer's app and the mocks. */
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", f->bus_address, TRUE);
  rh_test_dbusmock_start (TRUE);
  log = rh_test_call_log_new ();
  f->sharer.system_bus = f->bus_address;

  app_start (f, &f->helper, config_path);
  app_start (f, &f->sharer, config_path);
  sign_in (&f->helper, "helen", "helen-password");
  sign_in (&f->sharer, "sam", "sam-password");
  wait_trace (&f->helper, "state", "start");
  wait_trace (&f->sharer, "state", "start");
  press (&f->helper, "Down");
  press (&f->helper, "Return");
  wait_trace (&f->helper, "state", "give-help");
  press (&f->helper, "Return");
  code = wait_trace (&f->helper, "code", NULL);
  press (&f->sharer, "Return");
  wait_trace (&f->sharer, "state", "get-help");
  type_text (&f->sharer, code);
  press (&f->sharer, "Return");
  wait_trace (&f->helper, "state", "sharer-card");
  press (&f->helper, "Return");
  wait_trace (&f->sharer, "state", "consent-control");
  press (&f->sharer, "alt+a");
  wait_trace (&f->helper, "state", "session-window");
  wait_trace (&f->helper, "session", "first-frame");
  wait_trace (&f->sharer, "state", "sharer-window");

  /* Helper: the request is in the header bar of a full-control session. */
  g_free (run_x (&f->helper, "xdotool", "mousemove", "512", "18", "click", "1", NULL));
  screenshot (f, &f->helper, "give-help-elevation-offer.png");
  press (&f->helper, "alt+a");
  wait_trace (&f->helper, "elevation", "requested");
  wait_trace (&f->sharer, "state", "consent-elevation");
  screenshot (f, &f->sharer, "get-help-elevation-consent.png");
  focus_window_named (&f->sharer, "Allow Administrator Access");
  press (&f->sharer, "alt+a");
  wait_trace (&f->sharer, "elevation-answer", "allow");
  wait_trace (&f->sharer, "elevation", "granted");
  wait_trace (&f->helper, "elevation", "granted");
  screenshot (f, &f->sharer, "get-help-elevation-granted.png");
  g_free (run_x (&f->helper, "xdotool", "mousemove", "512", "18", "click", "1", NULL));
  press (&f->helper, "alt+t");
  g_usleep (500 * 1000);
  screenshot (f, &f->helper, "give-help-elevation-tools.png");
  press (&f->helper, "Escape");

  /* Sharer: Stop Sharing first warns about the sign-out; Keep Sharing keeps it. */
  focus_window_named (&f->sharer, "Sharing Your Screen");
  press (&f->sharer, "alt+s");
  g_usleep (800 * 1000);
  screenshot (f, &f->sharer, "get-help-elevation-stop-warning.png");
  focus_window_named (&f->sharer, "Stop Sharing and Sign Out");
  press (&f->sharer, "alt+s");
  wait_trace (&f->sharer, "state", "ending-elevation");
  wait_trace (&f->helper, "elevation", "ending: sign-out");
  g_assert_true (rh_test_call_log_wait (log, RH_TEST_POLKIT_PATH
                                        " RevokeTemporaryAuthorizations"));
  g_assert_true (rh_test_call_log_wait (log, RH_TEST_SESSION_PATH " Terminate"));
  wait_trace (&f->sharer, "state", "ended");
  screenshot (f, &f->helper, "give-help-elevation-ended.png");
  rh_test_call_log_free (g_steal_pointer (&log));
  rh_test_dbusmock_stop ();
  g_unsetenv ("DBUS_SYSTEM_BUS_ADDRESS");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!g_find_program_in_path ("Xvfb") || !g_find_program_in_path ("xdotool") ||
      !g_find_program_in_path ("xclip") ||
      !g_find_program_in_path ("import") || !g_find_program_in_path ("dbus-daemon"))
    {
      g_printerr ("Xvfb, xdotool, xclip, imagemagick and dbus-daemon are required\n");
      /* scripts/test.sh installs them: there a missing tool is a failure, not a skip. */
      return g_getenv ("RH_TEST_STRICT") != NULL ? 1 : 77;
    }

  g_test_add ("/ui-shell/not-set-up", Fixture, NULL, fixture_setup, test_not_set_up,
              fixture_teardown);
  g_test_add ("/ui-shell/sign-in", Fixture, NULL, fixture_setup, test_sign_in,
              fixture_teardown);
  g_test_add ("/ui-shell/terms", Fixture, NULL, fixture_setup, test_terms, fixture_teardown);
  g_test_add ("/ui-shell/pairing", Fixture, NULL, fixture_setup, test_pairing,
              fixture_teardown);
  g_test_add ("/ui-shell/token-rejected", Fixture, NULL, fixture_setup, test_token_rejected,
              fixture_teardown);
  g_test_add ("/ui-shell/service-disabled", Fixture, NULL, fixture_setup, test_service_disabled,
              fixture_teardown);
  g_test_add ("/ui-shell/code-expired", Fixture, NULL, fixture_setup, test_code_expired,
              fixture_teardown);
  g_test_add ("/ui-shell/view-only-role", Fixture, NULL, fixture_setup, test_view_only_role,
              fixture_teardown);
  g_test_add ("/ui-shell/elevation", Fixture, NULL, fixture_setup, test_elevation,
              fixture_teardown);
  g_test_add ("/ui-shell/wrong-code", Fixture, NULL, fixture_setup, test_wrong_code,
              fixture_teardown);
  return g_test_run ();
}
