/* test-rdp-sharer.c: the embedded FreeRDP shadow server against a real Xvfb and a stock xfreerdp
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts its own Xvfb (display number chosen by Xvfb through -displayfd), paints the root window
 * red, and points XDG_RUNTIME_DIR, HOME and XDG_CONFIG_HOME at fresh 0700 directories. Xvfb and
 * every xfreerdp get PR_SET_PDEATHSIG, so they die with the test even when an assertion aborts
 * it; the normal end kills and reaps them with bounded waits.
 */
#define G_LOG_DOMAIN "rh-test"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <poll.h>

#include <glib/gstdio.h>
#include <X11/Xlib.h>

#include "rh-error.h"
#include "rh-rdp-sharer.h"
#include "rh-test-proc.h"
#include "rh-test-xvfb.h"
#include "rh-tls-cert.h"

static char *display_name;     /* ":N" of the Xvfb we share */
static GPid xvfb_pid;
static char *viewer_display;   /* ":N" of a second Xvfb, where xfreerdp shows its window */
static GPid viewer_xvfb_pid;
static char *runtime_dir;
static char *home_dir;

/* Waits up to timeout_ms for pid; TRUE if it exited, with its wait status. */
static gboolean
wait_pid (GPid  pid,
          int   timeout_ms,
          int  *status)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      pid_t r = waitpid (pid, status, WNOHANG);

      if (r == pid)
        return TRUE;
      if (r < 0 && errno != EINTR)
        return FALSE;
      g_usleep (20 * 1000);
    }
  return FALSE;
}

static void
kill_and_reap (GPid pid)
{
  int status;

  if (pid <= 0)
    return;
  kill (pid, SIGTERM);
  if (!wait_pid (pid, 5000, &status))
    {
      kill (pid, SIGKILL);
      wait_pid (pid, 5000, &status);
    }
}

static char *
start_xvfb (GPid *pid)
{
  char *display = rh_test_xvfb_start ("1024x768x24", pid);

  g_test_message ("Xvfb on %s", display);
  return display;
}

static void
rm_rf (const char *path)
{
  const char *argv[] = { "rm", "-rf", path, NULL };

  if (path)
    rh_test_run_ok (argv);
}

static guint
mode_of (const char *path)
{
  GStatBuf st;

  g_assert_no_errno (g_lstat (path, &st));
  return st.st_mode;
}

/* TCP listening sockets owned by this process, as `ss` sees them. */
static char *
tcp_listeners_of_this_process (void)
{
  const char *argv[] = { "ss", "-ltnpH", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *needle = g_strdup_printf ("pid=%d,", (int) getpid ());
  g_auto(GStrv) lines = NULL;
  GString *mine = g_string_new (NULL);
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (strstr (lines[i], needle))
      g_string_append_printf (mine, "%s\n", lines[i]);
  return g_string_free (mine, FALSE);
}

static char *
find_sam_file (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)))
    if (g_str_has_prefix (name, "sam-"))
      return g_build_filename (dir, name, NULL);
  return NULL;
}

typedef struct
{
  guint connected;
  guint disconnected;
} Counts;

static void
on_connected (RhRdpSharer *sharer,
              Counts      *counts)
{
  counts->connected++;
}

static void
on_disconnected (RhRdpSharer *sharer,
                 Counts      *counts)
{
  counts->disconnected++;
}

/* Iterates the default main context until *value reaches want (bounded). */
static void
wait_count (guint *value,
            guint  want)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (*value < want && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (10 * 1000);
    }
  g_assert_cmpuint (*value, ==, want);
}

static gboolean
is_alnum_string (const char *s)
{
  for (; *s; s++)
    if (!g_ascii_isalnum (*s))
      return FALSE;
  return TRUE;
}

/* Runs `xfreerdp /v:<socket> /u: /p: /cert:ignore +auth-only` and returns its exit status. */
static int
xfreerdp_run (const char *socket_path,
              const char *user,
              const char *password,
              const char *sec,
              const char *cert)
{
  g_autofree char *v = g_strdup_printf ("/v:%s", socket_path);
  g_autofree char *u = g_strdup_printf ("/u:%s", user);
  g_autofree char *p = g_strdup_printf ("/p:%s", password);
  const char *argv[] = { "xfreerdp", v, u, p, cert, "+auth-only", sec, NULL };
  g_autoptr(GError) error = NULL;
  GPid pid;
  int status = -1;

  g_spawn_async (NULL, (char **) argv, NULL,
                 G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                 G_SPAWN_STDERR_TO_DEV_NULL,
                 rh_test_die_with_parent, NULL, &pid, &error);
  g_assert_no_error (error);
  if (!wait_pid (pid, 60000, &status))
    {
      kill_and_reap (pid);
      g_assert_not_reached ();
    }
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static int
xfreerdp_auth_only (const char *socket_path,
                    const char *user,
                    const char *password)
{
  return xfreerdp_run (socket_path, user, password, "/sec:nla", "/cert:ignore");
}

static void
test_start_files_and_auth (void)
{
  g_autoptr(RhRdpSharer) sharer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *sam = NULL;
  g_autofree char *sam_text = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *freerdp_config = NULL;
  g_autoptr(GBytes) pin = NULL;
  guint8 fingerprint[32];
  g_autofree char *socket_path = NULL;
  g_autofree char *wrong = NULL;
  const char *user;
  const char *password;
  gboolean ok;

  Counts counts = { 0, 0 };

  /* The ss check can see a TCP listener of ours (so its silence below means something). */
  {
    g_autoptr(GSocketListener) probe = g_socket_listener_new ();
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
    g_autofree char *seen = NULL;

    g_socket_listener_add_address (probe, any_port, G_SOCKET_TYPE_STREAM,
                                   G_SOCKET_PROTOCOL_TCP, NULL, NULL, &error);
    g_assert_no_error (error);
    seen = tcp_listeners_of_this_process ();
    g_assert_cmpstr (seen, !=, "");
    g_socket_listener_close (probe);
  }
  before = tcp_listeners_of_this_process ();

  sharer = rh_rdp_sharer_new (display_name, RH_RDP_MODE_VIEW);
  g_signal_connect (sharer, "client-connected", G_CALLBACK (on_connected), &counts);
  g_signal_connect (sharer, "client-disconnected", G_CALLBACK (on_disconnected), &counts);
  ok = rh_rdp_sharer_start (sharer, &error);
  g_assert_no_error (error);
  g_assert_true (ok);

  /* The socket, in a fresh 0700 directory under $XDG_RUNTIME_DIR/remote-help (0700). */
  socket_path = g_strdup (rh_rdp_sharer_get_socket_path (sharer));
  g_assert_nonnull (socket_path);
  g_assert_true (S_ISSOCK (mode_of (socket_path)));
  dir = g_path_get_dirname (socket_path);
  parent = g_build_filename (runtime_dir, "remote-help", NULL);
  g_assert_cmpstr (g_path_get_dirname (dir), ==, parent);
  g_assert_true (g_str_has_prefix (dir + strlen (parent), "/rdp-"));
  g_assert_cmpuint (mode_of (dir) & 07777, ==, 0700);
  g_assert_cmpuint (mode_of (parent) & 07777, ==, 0700);

  /* One-time credentials: 16 random letters and digits each. */
  user = rh_rdp_sharer_get_username (sharer);
  password = rh_rdp_sharer_get_password (sharer);
  g_assert_cmpuint (strlen (user), ==, 16);
  g_assert_cmpuint (strlen (password), ==, 16);
  g_assert_true (is_alnum_string (user));
  g_assert_true (is_alnum_string (password));
  g_assert_cmpstr (user, !=, password);

  /* SAM file 0600, the winpr-hash line for the user, and no password in clear. */
  sam = find_sam_file (dir);
  g_assert_nonnull (sam);
  g_assert_cmpuint (mode_of (sam) & 07777, ==, 0600);
  g_assert_true (g_file_get_contents (sam, &sam_text, NULL, NULL));
  {
    g_autofree char *prefix = g_strdup_printf ("%s:::", user);

    g_assert_true (g_str_has_prefix (sam_text, prefix));
    g_assert_null (strstr (sam_text, password));
  }

  /* Our certificate and key, 0600, in <dir>/shadow; the pin is the SHA-256 of the DER. */
  cert = g_build_filename (dir, "shadow", "shadow.crt", NULL);
  key = g_build_filename (dir, "shadow", "shadow.key", NULL);
  g_assert_cmpuint (mode_of (key) & 07777, ==, 0600);
  g_assert_cmpuint (mode_of (cert) & 07777, ==, 0600);
  g_assert_cmpuint (mode_of (g_build_filename (dir, "shadow", NULL)) & 07777, ==, 0700);
  g_assert_true (rh_tls_cert_fingerprint (cert, fingerprint, &error));
  g_assert_no_error (error);
  pin = rh_rdp_sharer_get_certificate_sha256 (sharer);
  g_assert_nonnull (pin);
  g_assert_cmpmem (g_bytes_get_data (pin, NULL), g_bytes_get_size (pin), fingerprint, 32);

  /* FreeRDP wrote nothing under the usual config path (where makecert's key would be 0644). */
  freerdp_config = g_build_filename (g_getenv ("XDG_CONFIG_HOME"), "freerdp", NULL);
  g_assert_false (g_file_test (freerdp_config, G_FILE_TEST_EXISTS));

  /* Nothing listening on TCP that belongs to us. */
  after = tcp_listeners_of_this_process ();
  g_assert_cmpstr (before, ==, "");
  g_assert_cmpstr (after, ==, "");

  /* The stock client authenticates over the Unix socket with the one-time credentials
   * (FreeRDP 2.11's +auth-only still goes through activation, so the signals fire)... */
  g_assert_cmpint (xfreerdp_auth_only (socket_path, user, password), ==, 0);
  wait_count (&counts.connected, 1);
  wait_count (&counts.disconnected, 1);
  /* ...and not with a wrong password or a wrong user. */
  wrong = g_strdup (password);
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  g_assert_cmpint (xfreerdp_auth_only (socket_path, user, wrong), !=, 0);
  g_assert_cmpint (xfreerdp_auth_only (socket_path, "root", password), !=, 0);
  g_assert_cmpint (xfreerdp_auth_only (socket_path, user, ""), !=, 0);
  /* NLA is the only security protocol offered: TLS-only and RDP Security clients are refused
   * even with the right credentials. */
  g_assert_cmpint (xfreerdp_run (socket_path, user, password, "/sec:tls", "/cert:ignore"), !=, 0);
  g_assert_cmpint (xfreerdp_run (socket_path, user, password, "/sec:rdp", "/cert:ignore"), !=, 0);
  /* The server presents our certificate: xfreerdp's trust-on-first-use records its SHA-256
   * fingerprint ("host port aa:bb:... subject issuer" in known_hosts2), which is the pin. */
  g_assert_cmpint (xfreerdp_run (socket_path, user, password, "/sec:nla", "/cert:tofu"), ==, 0);
  {
    g_autofree char *known = g_build_filename (g_getenv ("XDG_CONFIG_HOME"), "freerdp",
                                               "known_hosts2", NULL);
    g_autofree char *text = NULL;
    g_auto(GStrv) fields = NULL;
    GString *hex = g_string_new (NULL);
    g_autofree char *expected = NULL;

    g_assert_true (g_file_get_contents (known, &text, NULL, NULL));
    fields = g_strsplit (text, " ", -1);
    g_assert_cmpuint (g_strv_length (fields), >=, 3);
    g_assert_cmpint (g_ascii_strcasecmp (fields[0], socket_path), ==, 0);  /* stored lowercased */
    for (guint i = 0; i < 32; i++)
      g_string_append_printf (hex, "%s%02x", i ? ":" : "", fingerprint[i]);
    expected = g_string_free (hex, FALSE);
    g_assert_cmpint (g_ascii_strcasecmp (fields[2], expected), ==, 0);
  }
  wait_count (&counts.connected, 2);
  wait_count (&counts.disconnected, 2);
  /* The right one still works (the server survived the failures). */
  g_assert_cmpint (xfreerdp_auth_only (socket_path, user, password), ==, 0);
  wait_count (&counts.connected, 3);
  wait_count (&counts.disconnected, 3);

  /* stop() removes the socket, the files and the directory; a second stop() is harmless. */
  rh_rdp_sharer_stop (sharer);
  g_assert_false (g_file_test (socket_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (sam, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (key, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  g_assert_null (rh_rdp_sharer_get_socket_path (sharer));
  g_assert_null (rh_rdp_sharer_get_password (sharer));
  rh_rdp_sharer_stop (sharer);
}

static void
test_no_display (void)
{
  g_autoptr(RhRdpSharer) sharer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *parent = g_build_filename (runtime_dir, "remote-help", NULL);
  guint entries_before = 0;
  guint entries_after = 0;
  g_autoptr(GDir) d = NULL;

  d = g_dir_open (parent, 0, NULL);
  while (d && g_dir_read_name (d))
    entries_before++;
  g_clear_pointer (&d, g_dir_close);

  /* A display number nothing listens on (Xvfb listens only on its own, no TCP). */
  sharer = rh_rdp_sharer_new (":65000", RH_RDP_MODE_CONTROL);
  g_assert_false (rh_rdp_sharer_start (sharer, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_RDP_NO_DISPLAY);
  g_assert_null (rh_rdp_sharer_get_socket_path (sharer));

  /* No display given and no $DISPLAY: the same error, rather than FreeRDP's fallback to :0. */
  g_clear_object (&sharer);
  g_clear_error (&error);
  g_unsetenv ("DISPLAY");
  sharer = rh_rdp_sharer_new (NULL, RH_RDP_MODE_VIEW);
  g_assert_false (rh_rdp_sharer_start (sharer, &error));
  g_setenv ("DISPLAY", display_name, TRUE);
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_RDP_NO_DISPLAY);

  d = g_dir_open (parent, 0, NULL);
  while (d && g_dir_read_name (d))
    entries_after++;
  g_assert_cmpuint (entries_after, ==, entries_before);
}

static void
test_mode (void)
{
  /* NULL: the display in $DISPLAY (ours, set by main). */
  g_autoptr(RhRdpSharer) sharer = rh_rdp_sharer_new (NULL, RH_RDP_MODE_VIEW);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_assert_cmpint (rh_rdp_sharer_get_mode (sharer), ==, RH_RDP_MODE_VIEW);
  rh_rdp_sharer_set_mode (sharer, RH_RDP_MODE_CONTROL);   /* before start: remembered */
  g_assert_cmpint (rh_rdp_sharer_get_mode (sharer), ==, RH_RDP_MODE_CONTROL);
  ok = rh_rdp_sharer_start (sharer, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  rh_rdp_sharer_set_mode (sharer, RH_RDP_MODE_VIEW);
  g_assert_cmpint (rh_rdp_sharer_get_mode (sharer), ==, RH_RDP_MODE_VIEW);
  /* dispose stops it */
}

/* Runs xdotool on display and returns its stdout. */
static char *
xdotool (const char         *display,
         const char * const *args)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "DISPLAY", display, TRUE);
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status;

  g_strv_builder_add (builder, "xdotool");
  g_strv_builder_addv (builder, (const char **) args);
  argv = g_strv_builder_end (builder);
  g_spawn_sync (NULL, argv, envp, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
  return out;
}

static void
move_pointer (const char *display,
              int         x,
              int         y)
{
  g_autofree char *xs = g_strdup_printf ("%d", x);
  g_autofree char *ys = g_strdup_printf ("%d", y);
  const char *args[] = { "mousemove", "--sync", xs, ys, NULL };

  g_free (xdotool (display, args));
}

/* "X,Y" of the pointer on display. */
static char *
pointer_of (const char *display)
{
  const char *args[] = { "getmouselocation", NULL };
  g_autofree char *out = xdotool (display, args);
  int x = -1, y = -1;

  g_assert_cmpint (sscanf (out, "x:%d y:%d", &x, &y), ==, 2);
  return g_strdup_printf ("%d,%d", x, y);
}

/* Waits (iterating the main context) up to ms for the shared pointer to leave `from`. */
static char *
wait_pointer_moves (const char *from,
                    int         ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;
  char *now = NULL;

  do
    {
      g_free (now);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (100 * 1000);
      now = pointer_of (display_name);
    }
  while (g_strcmp0 (now, from) == 0 && g_get_monotonic_time () < deadline);
  return now;
}

/* Waits (iterating the main context) up to ms for the shared pointer to stay put for a whole
 * second: whatever input was still in flight has landed. Returns where it settled. */
static char *
wait_pointer_settles (int ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;
  gint64 since = g_get_monotonic_time ();
  char *last = pointer_of (display_name);

  while (g_get_monotonic_time () < deadline &&
         g_get_monotonic_time () - since < G_USEC_PER_SEC)
    {
      g_autofree char *now = NULL;

      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (100 * 1000);
      now = pointer_of (display_name);
      if (g_strcmp0 (now, last) != 0)
        {
          g_free (last);
          last = g_steal_pointer (&now);
          since = g_get_monotonic_time ();
        }
    }
  return last;
}

/* Starts xfreerdp on the viewer's display, connected to sharer. */
static GPid
spawn_viewer (RhRdpSharer *sharer)
{
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "DISPLAY", viewer_display, TRUE);
  g_autofree char *v = g_strdup_printf ("/v:%s", rh_rdp_sharer_get_socket_path (sharer));
  g_autofree char *u = g_strdup_printf ("/u:%s", rh_rdp_sharer_get_username (sharer));
  g_autofree char *p = g_strdup_printf ("/p:%s", rh_rdp_sharer_get_password (sharer));
  const char *argv[] = { "xfreerdp", v, u, p, "/cert:ignore", "/sec:nla", "/size:800x600",
                         "-grab-keyboard", NULL };
  g_autoptr(GError) error = NULL;
  GPid pid;

  g_spawn_async (NULL, (char **) argv, envp,
                 G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                 G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                 rh_test_die_with_parent, NULL, &pid, &error);
  g_assert_no_error (error);
  return pid;
}

/* Starts `xev -root` (keys and buttons) on the shared display, logging to log, and waits until
 * it reports an F12 pressed there directly with xdotool: from then on it sees what arrives.
 * *seen is how much of the log that took. */
static GPid
start_input_watch (const char *log,
                   gsize      *seen)
{
  g_autofree char *command = g_strdup_printf ("exec xev -display %s -root -event keyboard "
                                              "-event button > %s", display_name, log);
  const char *argv[] = { "sh", "-c", command, NULL };
  const char *marker[] = { "key", "F12", NULL };
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  GPid pid;

  g_spawn_async (NULL, (char **) argv, NULL,
                 G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                 rh_test_die_with_parent, NULL, &pid, &error);
  g_assert_no_error (error);
  for (;;)
    {
      g_autofree char *text = NULL;

      g_free (xdotool (display_name, marker));
      g_usleep (100 * 1000);
      if (g_file_get_contents (log, &text, seen, NULL) && strstr (text, "F12"))
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  return pid;
}

static guint
count_of (const char *haystack,
          const char *needle)
{
  guint n = 0;

  for (const char *at = strstr (haystack, needle); at; at = strstr (at + 1, needle))
    n++;
  return n;
}

/* Input from a real xfreerdp reaches the shared display only while the mode is CONTROL, and
 * set_mode() takes effect during the session. xfreerdp runs on the second Xvfb; xdotool moves
 * the pointer there (inside its window), which xfreerdp sends as RDP input. */
static void
test_input_follows_mode (void)
{
  g_autoptr(RhRdpSharer) sharer = rh_rdp_sharer_new (display_name, RH_RDP_MODE_CONTROL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "DISPLAY", viewer_display, TRUE);
  g_autofree char *v = NULL;
  g_autofree char *u = NULL;
  g_autofree char *p = NULL;
  g_autofree char *start = NULL;
  g_autofree char *moved = NULL;
  g_autofree char *still = NULL;
  g_autofree char *again = NULL;
  Counts counts = { 0, 0 };
  GPid client;
  gboolean ok;

  g_signal_connect (sharer, "client-connected", G_CALLBACK (on_connected), &counts);
  g_signal_connect (sharer, "client-disconnected", G_CALLBACK (on_disconnected), &counts);
  ok = rh_rdp_sharer_start (sharer, &error);
  g_assert_no_error (error);
  g_assert_true (ok);

  move_pointer (display_name, 5, 5);
  start = pointer_of (display_name);
  g_assert_cmpstr (start, ==, "5,5");

  v = g_strdup_printf ("/v:%s", rh_rdp_sharer_get_socket_path (sharer));
  u = g_strdup_printf ("/u:%s", rh_rdp_sharer_get_username (sharer));
  p = g_strdup_printf ("/p:%s", rh_rdp_sharer_get_password (sharer));
  {
    const char *argv[] = { "xfreerdp", v, u, p, "/cert:ignore", "/sec:nla", "/size:800x600",
                           "-grab-keyboard", NULL };

    g_spawn_async (NULL, (char **) argv, envp,
                   G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                   G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                   rh_test_die_with_parent, NULL, &client, &error);
    g_assert_no_error (error);
  }
  wait_count (&counts.connected, 1);
  g_usleep (G_USEC_PER_SEC);   /* let the window map */

  /* CONTROL: moving over the viewer's window moves the shared pointer. */
  move_pointer (viewer_display, 300, 200);
  g_free (wait_pointer_moves (start, 10000));
  /* Let anything still in flight land before switching. */
  moved = wait_pointer_settles (10000);
  g_assert_cmpstr (moved, ==, "300,200");

  /* VIEW, switched live: the same kind of input is dropped. */
  rh_rdp_sharer_set_mode (sharer, RH_RDP_MODE_VIEW);
  move_pointer (viewer_display, 400, 300);
  still = wait_pointer_moves (moved, 3000);
  g_assert_cmpstr (still, ==, moved);

  /* CONTROL again: input flows again in the same session. */
  rh_rdp_sharer_set_mode (sharer, RH_RDP_MODE_CONTROL);
  move_pointer (viewer_display, 200, 100);
  again = wait_pointer_moves (moved, 10000);
  g_assert_cmpstr (again, !=, moved);

  g_test_message ("shared pointer: %s, control %s, view %s, control %s", start, moved, still,
                  again);
  kill_and_reap (client);
  wait_count (&counts.disconnected, 1);
  g_assert_cmpuint (counts.connected, ==, 1);
}

/* A sharer started in VIEW mode (no live switch): nothing a real xfreerdp sends reaches the
 * shared display: pointer moves, clicks, keys, nor Ctrl+Alt+C (xfreerdp's hotkey that asks an
 * ENCOMSP server for control). xev on the shared root window records keys and buttons. Switching
 * to CONTROL at the end proves the same input path was live all along. */
static void
test_view_only_from_start (void)
{
  g_autoptr(RhRdpSharer) sharer = rh_rdp_sharer_new (display_name, RH_RDP_MODE_VIEW);
  g_autoptr(GError) error = NULL;
  g_autofree char *log = g_build_filename (home_dir, "xev-view-only.log", NULL);
  g_autofree char *start = NULL;
  g_autofree char *text = NULL;
  g_autofree char *again = NULL;
  const char *click[] = { "click", "1", NULL };
  const char *keys[] = { "key", "a", "Return", NULL };
  const char *hotkey[] = { "key", "ctrl+alt+c", NULL };
  const char *type[] = { "type", "xyz", NULL };
  const struct { int x, y; } moves[] = { { 300, 200 }, { 400, 300 }, { 120, 80 } };
  Counts counts = { 0, 0 };
  GPid client;
  GPid xev;
  gsize seen = 0;
  gsize len = 0;
  gboolean ok;

  g_signal_connect (sharer, "client-connected", G_CALLBACK (on_connected), &counts);
  g_signal_connect (sharer, "client-disconnected", G_CALLBACK (on_disconnected), &counts);
  ok = rh_rdp_sharer_start (sharer, &error);
  g_assert_no_error (error);
  g_assert_true (ok);

  move_pointer (display_name, 5, 5);
  start = pointer_of (display_name);
  g_assert_cmpstr (start, ==, "5,5");
  xev = start_input_watch (log, &seen);
  g_usleep (G_USEC_PER_SEC / 2);   /* the marker's release */
  g_assert_true (g_file_get_contents (log, &text, &seen, NULL));
  g_clear_pointer (&text, g_free);

  client = spawn_viewer (sharer);
  wait_count (&counts.connected, 1);
  g_usleep (G_USEC_PER_SEC);   /* let the window map */

  for (guint i = 0; i < G_N_ELEMENTS (moves); i++)
    {
      g_autofree char *still = NULL;

      move_pointer (viewer_display, moves[i].x, moves[i].y);
      g_free (xdotool (viewer_display, click));
      if (i == 0)
        {
          g_free (xdotool (viewer_display, hotkey));
          g_free (xdotool (viewer_display, keys));
        }
      g_free (xdotool (viewer_display, type));
      still = wait_pointer_moves (start, 1500);
      g_assert_cmpstr (still, ==, start);
    }
  g_free (wait_pointer_moves (start, 2000));
  g_assert_cmpstr (pointer_of (display_name), ==, start);
  /* Nothing pressed on the shared display since the marker. */
  g_assert_true (g_file_get_contents (log, &text, &len, NULL));
  g_assert_cmpuint (len, >=, seen);
  g_assert_cmpuint (count_of (text + seen, "KeyPress event"), ==, 0);
  g_assert_cmpuint (count_of (text + seen, "ButtonPress event"), ==, 0);
  g_assert_cmpuint (rh_rdp_sharer_get_mode (sharer), ==, RH_RDP_MODE_VIEW);

  /* The same viewer, once allowed, does reach the display. */
  rh_rdp_sharer_set_mode (sharer, RH_RDP_MODE_CONTROL);
  move_pointer (viewer_display, 200, 100);
  again = wait_pointer_moves (start, 10000);
  g_assert_cmpstr (again, !=, start);
  /* ...and xev would have seen its clicks and keys. */
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    gboolean clicked = FALSE;
    gboolean typed = FALSE;

    g_free (xdotool (viewer_display, click));
    g_free (xdotool (viewer_display, keys));
    while (!(clicked && typed) && g_get_monotonic_time () < deadline)
      {
        g_usleep (100 * 1000);
        g_clear_pointer (&text, g_free);
        g_assert_true (g_file_get_contents (log, &text, &len, NULL));
        clicked = count_of (text + seen, "ButtonPress event") > 0;
        typed = count_of (text + seen, "KeyPress event") > 0;
      }
    g_assert_true (clicked);
    g_assert_true (typed);
  }

  kill_and_reap (xev);
  kill_and_reap (client);
  wait_count (&counts.disconnected, 1);
  g_assert_cmpuint (counts.connected, ==, 1);
}

/* stop() with a viewer connected: bounded, the viewer is dropped and told, and everything is
 * removed. */
static void
test_stop_with_viewer (void)
{
  g_autoptr(RhRdpSharer) sharer = rh_rdp_sharer_new (display_name, RH_RDP_MODE_VIEW);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "DISPLAY", viewer_display, TRUE);
  g_autofree char *v = NULL;
  g_autofree char *u = NULL;
  g_autofree char *p = NULL;
  g_autofree char *dir = NULL;
  Counts counts = { 0, 0 };
  GPid client;
  gint64 t0;
  int status;
  gboolean ok;

  g_signal_connect (sharer, "client-connected", G_CALLBACK (on_connected), &counts);
  g_signal_connect (sharer, "client-disconnected", G_CALLBACK (on_disconnected), &counts);
  ok = rh_rdp_sharer_start (sharer, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  dir = g_path_get_dirname (rh_rdp_sharer_get_socket_path (sharer));

  v = g_strdup_printf ("/v:%s", rh_rdp_sharer_get_socket_path (sharer));
  u = g_strdup_printf ("/u:%s", rh_rdp_sharer_get_username (sharer));
  p = g_strdup_printf ("/p:%s", rh_rdp_sharer_get_password (sharer));
  {
    const char *argv[] = { "xfreerdp", v, u, p, "/cert:ignore", "/sec:nla", "/size:640x480",
                           "-grab-keyboard", NULL };

    g_spawn_async (NULL, (char **) argv, envp,
                   G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                   G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                   rh_test_die_with_parent, NULL, &client, &error);
    g_assert_no_error (error);
  }
  wait_count (&counts.connected, 1);

  t0 = g_get_monotonic_time ();
  rh_rdp_sharer_stop (sharer);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 15 * G_USEC_PER_SEC);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  wait_count (&counts.disconnected, 1);

  /* The viewer sees the server go away and exits by itself. */
  ok = wait_pid (client, 20000, &status);
  if (!ok)
    kill_and_reap (client);
  g_assert_true (ok);
}

/* A stopped sharer can start again, with a new directory and new credentials. */
static void
test_restart (void)
{
  g_autoptr(RhRdpSharer) sharer = rh_rdp_sharer_new (display_name, RH_RDP_MODE_VIEW);
  g_autoptr(GError) error = NULL;
  g_autofree char *path1 = NULL;
  g_autofree char *user1 = NULL;
  g_autofree char *password1 = NULL;
  Counts counts = { 0, 0 };
  gboolean ok;

  g_signal_connect (sharer, "client-connected", G_CALLBACK (on_connected), &counts);
  g_signal_connect (sharer, "client-disconnected", G_CALLBACK (on_disconnected), &counts);
  ok = rh_rdp_sharer_start (sharer, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_false (rh_rdp_sharer_start (sharer, &error));   /* already running */
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_RDP_START);
  g_clear_error (&error);
  path1 = g_strdup (rh_rdp_sharer_get_socket_path (sharer));
  user1 = g_strdup (rh_rdp_sharer_get_username (sharer));
  password1 = g_strdup (rh_rdp_sharer_get_password (sharer));
  rh_rdp_sharer_stop (sharer);

  ok = rh_rdp_sharer_start (sharer, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpstr (rh_rdp_sharer_get_socket_path (sharer), !=, path1);
  g_assert_cmpstr (rh_rdp_sharer_get_username (sharer), !=, user1);
  g_assert_cmpstr (rh_rdp_sharer_get_password (sharer), !=, password1);
  g_assert_false (g_file_test (path1, G_FILE_TEST_EXISTS));
  g_assert_cmpint (xfreerdp_auth_only (rh_rdp_sharer_get_socket_path (sharer), user1,
                                       password1), !=, 0);
  g_assert_cmpint (xfreerdp_auth_only (rh_rdp_sharer_get_socket_path (sharer),
                                       rh_rdp_sharer_get_username (sharer),
                                       rh_rdp_sharer_get_password (sharer)), ==, 0);
  /* Only the new credentials got in; wait for both signals so that no emission (which holds
   * a reference) outlives the test. */
  wait_count (&counts.connected, 1);
  wait_count (&counts.disconnected, 1);
}

/* Dropping the last reference stops the server and deletes its directory. */
static void
test_dispose_cleans_up (void)
{
  RhRdpSharer *sharer = rh_rdp_sharer_new (display_name, RH_RDP_MODE_VIEW);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  gboolean ok;

  ok = rh_rdp_sharer_start (sharer, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  dir = g_path_get_dirname (rh_rdp_sharer_get_socket_path (sharer));
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  g_object_unref (sharer);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

int
main (int    argc,
      char **argv)
{
  int ret;

  XInitThreads ();
  g_test_init (&argc, &argv, NULL);

  /* scripts/deps.sh installs all of them: a missing one is a broken setup, not a skip. */
  {
    const char *tools[] = { "Xvfb", "xsetroot", "xdotool", "xfreerdp", "ss", NULL };

    for (guint i = 0; tools[i]; i++)
      if (!g_find_program_in_path (tools[i]))
        {
          g_printerr ("%s is not installed (see scripts/deps.sh)\n", tools[i]);
          return 1;
        }
  }

  rh_test_private_home (&runtime_dir, &home_dir);
  g_unsetenv ("DISPLAY");

  display_name = start_xvfb (&xvfb_pid);
  viewer_display = start_xvfb (&viewer_xvfb_pid);
  {
    const char *xsetroot[] = { "xsetroot", "-display", display_name, "-solid", "red", NULL };

    rh_test_run_ok (xsetroot);
  }
  /* xfreerdp needs an X display even with +auth-only; it gets ours. */
  g_setenv ("DISPLAY", display_name, TRUE);

  g_test_add_func ("/rdp-sharer/start-files-and-auth", test_start_files_and_auth);
  g_test_add_func ("/rdp-sharer/no-display", test_no_display);
  g_test_add_func ("/rdp-sharer/mode", test_mode);
  g_test_add_func ("/rdp-sharer/input-follows-mode", test_input_follows_mode);
  g_test_add_func ("/rdp-sharer/view-only-from-start", test_view_only_from_start);
  g_test_add_func ("/rdp-sharer/dispose-cleans-up", test_dispose_cleans_up);
  g_test_add_func ("/rdp-sharer/stop-with-viewer", test_stop_with_viewer);
  g_test_add_func ("/rdp-sharer/restart", test_restart);
  ret = g_test_run ();

  kill_and_reap (xvfb_pid);
  kill_and_reap (viewer_xvfb_pid);
  rm_rf (runtime_dir);
  rm_rf (home_dir);
  return ret;
}
