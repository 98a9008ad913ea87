/* test-rdp-viewer.c: the helper's RDP client against a real RDP server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Peer: the stock FreeRDP shadow server (freerdp-shadow-cli) on an Xvfb display that this test
 * starts, listening on a Unix socket with NLA and a SAM file, PAM off. Every process gets
 * PR_SET_PDEATHSIG and is killed in teardown. Then the same checks against our own sharer
 * (RhRdpSharer, the embedded shadow server) in this process.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <X11/Xlib.h>

#include <cairo.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "rh-error.h"
#include "rh-rdp-viewer.h"
#include "rh-test-proc.h"
#include "rh-test-rdp.h"

#define TEST_USER     "rhhelper"
#define TEST_PASSWORD "Correct-Horse-7"
#define SCREEN_W      1024
#define SCREEN_H      768
/* #3366cc */
#define COLOUR_R      0x33
#define COLOUR_G      0x66
#define COLOUR_B      0xcc

static char *xvfb_display;        /* ":N" */
static GSubprocess *xvfb;
static char *test_home;           /* the test's own HOME: nothing may appear in it */
static char *test_runtime_dir;    /* XDG_RUNTIME_DIR for the sharer */

typedef struct
{
  char *dir;
  char *socket_path;
  GSubprocess *shadow;
  GBytes *pin;
} Fixture;

/* ---- Processes ---- */

static void
start_xvfb (void)
{
  xvfb = rh_test_xvfb_spawn ("1024x768x24", &xvfb_display);
  g_test_message ("Xvfb on %s", xvfb_display);
}

/* Runs a short command on the Xvfb display; returns its stdout. */
static char *
run_x_command (const char * const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, rh_test_die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "DISPLAY", xvfb_display, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
  return g_steal_pointer (&out);
}

static GBytes *
sha256_of_pem_file (const char *path)
{
  FILE *f = fopen (path, "r");
  X509 *cert;
  unsigned char *der = NULL;
  int der_len;
  guint8 digest[32];
  unsigned int digest_len = 0;

  g_assert_nonnull (f);
  cert = PEM_read_X509 (f, NULL, NULL, NULL);
  fclose (f);
  g_assert_nonnull (cert);
  der_len = i2d_X509 (cert, &der);
  g_assert_cmpint (der_len, >, 0);
  g_assert_true (EVP_Digest (der, (size_t) der_len, digest, &digest_len, EVP_sha256 (), NULL));
  g_assert_cmpuint (digest_len, ==, 32);
  OPENSSL_free (der);
  X509_free (cert);
  return g_bytes_new (digest, sizeof digest);
}

static void
start_shadow (Fixture *fixture)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *home = g_build_filename (fixture->dir, "shadow-home", NULL);
  g_autofree char *sam = g_build_filename (fixture->dir, "sam", NULL);
  g_autofree char *sam_line = NULL;
  g_autofree char *log = g_build_filename (fixture->dir, "shadow.log", NULL);
  g_autofree char *cert = g_build_filename (home, ".config", "freerdp", "shadow", "shadow.crt",
                                            NULL);
  g_autofree char *socket_arg = NULL;
  g_autofree char *sam_arg = NULL;
  const char *hash_argv[] = { "winpr-hash", "-u", TEST_USER, "-p", TEST_PASSWORD, "-f", "sam",
                              NULL };
  gint64 deadline;

  g_assert_no_errno (g_mkdir_with_parents (home, 0700));
  sam_line = run_x_command (hash_argv);
  g_assert_true (g_file_set_contents (sam, sam_line, -1, &error));
  g_assert_no_error (error);

  fixture->socket_path = g_build_filename (fixture->dir, "rdp.sock", NULL);
  socket_arg = g_strdup_printf ("/ipc-socket:%s", fixture->socket_path);
  sam_arg = g_strdup_printf ("/sam-file:%s", sam);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_child_setup (launcher, rh_test_die_with_parent, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "DISPLAY", xvfb_display, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "XDG_CONFIG_HOME");
  fixture->shadow = g_subprocess_launcher_spawn (launcher, &error, "freerdp-shadow-cli",
                                                 socket_arg, "/sec:nla", "-auth", sam_arg,
                                                 NULL);
  g_assert_no_error (error);

  /* The server writes its certificate, then listens. */
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (!(g_file_test (fixture->socket_path, G_FILE_TEST_EXISTS) &&
           g_file_test (cert, G_FILE_TEST_EXISTS)))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("freerdp-shadow-cli did not start; see %s", log);
      rh_test_sleep_ms (50);
    }
  fixture->pin = sha256_of_pem_file (cert);
}

/* ---- Fixture ---- */

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *xsetroot[] = { "xsetroot", "-solid", "#3366cc", NULL };

  (void) data;
  fixture->dir = g_dir_make_tmp ("rh-test-rdp-viewer-XXXXXX", &error);
  g_assert_no_error (error);
  g_free (run_x_command (xsetroot));
  start_shadow (fixture);
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  (void) data;
  rh_test_proc_kill (&fixture->shadow);
  g_clear_pointer (&fixture->pin, g_bytes_unref);
  if (!g_test_failed ())
    remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->socket_path);
}

/* ---- Viewer helpers ---- */

static gboolean
connect_viewer (RhRdpViewer *viewer,
                GError     **error)
{
  RhTestConnect res = { 0 };

  rh_rdp_viewer_connect_async (viewer, NULL, rh_test_connect_cb, &res);
  g_assert_true (rh_test_spin_flag (&res.done, 30000));
  if (!res.ok)
    g_propagate_error (error, res.error);
  return res.ok;
}

typedef struct
{
  gboolean first_frame;
  guint n_updates;
  gboolean disconnected;
  GError *disconnect_error;
} Events;

static void
on_first_frame (RhRdpViewer *viewer,
                gpointer     data)
{
  Events *events = data;

  (void) viewer;
  g_assert_false (events->first_frame);
  events->first_frame = TRUE;
}

static void
on_frame_updated (RhRdpViewer *viewer,
                  int          x,
                  int          y,
                  int          width,
                  int          height,
                  gpointer     data)
{
  Events *events = data;

  (void) viewer;
  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);
  g_assert_cmpint (x + width, <=, SCREEN_W);
  g_assert_cmpint (y + height, <=, SCREEN_H);
  events->n_updates++;
}

static void
on_disconnected (RhRdpViewer *viewer,
                 GError      *error,
                 gpointer     data)
{
  Events *events = data;

  (void) viewer;
  events->disconnected = TRUE;
  g_clear_error (&events->disconnect_error);
  events->disconnect_error = error ? g_error_copy (error) : NULL;
}

static void
watch_events (RhRdpViewer *viewer,
              Events      *events)
{
  g_signal_connect (viewer, "first-frame", G_CALLBACK (on_first_frame), events);
  g_signal_connect (viewer, "frame-updated", G_CALLBACK (on_frame_updated), events);
  g_signal_connect (viewer, "disconnected", G_CALLBACK (on_disconnected), events);
}

static RhRdpViewer *
connect_and_wait_first_frame (Fixture  *fixture,
                              RhRdpMode mode,
                              Events   *events)
{
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  viewer = rh_rdp_viewer_new (fixture->socket_path, TEST_USER, TEST_PASSWORD, fixture->pin, mode);
  watch_events (viewer, events);
  g_assert_true (connect_viewer (viewer, &error));
  g_assert_no_error (error);
  g_test_message ("connected after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);
  g_assert_true (rh_test_spin_flag (&events->first_frame, 20000));
  g_test_message ("first frame after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);
  return g_steal_pointer (&viewer);
}

static void
assert_colour (const guint8 *bgra,
               guint8        r,
               guint8        g,
               guint8        b)
{
  g_assert_cmpint (ABS ((int) bgra[0] - b), <=, 4);
  g_assert_cmpint (ABS ((int) bgra[1] - g), <=, 4);
  g_assert_cmpint (ABS ((int) bgra[2] - r), <=, 4);
}

/* ---- Tests ---- */

static void
test_first_frame (Fixture      *fixture,
                  gconstpointer data)
{
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GBytes) frame = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *png = g_build_filename (fixture->dir, "snapshot.png", NULL);
  Events events = { 0 };
  cairo_surface_t *surface;
  const guint8 *pixels;
  gsize size;
  int width = 0, height = 0;

  (void) data;
  viewer = connect_and_wait_first_frame (fixture, RH_RDP_MODE_VIEW, &events);
  g_assert_cmpuint (events.n_updates, >, 0);

  frame = rh_rdp_viewer_get_frame (viewer, &width, &height);
  g_assert_nonnull (frame);
  g_assert_cmpint (width, ==, SCREEN_W);
  g_assert_cmpint (height, ==, SCREEN_H);
  pixels = g_bytes_get_data (frame, &size);
  g_assert_cmpuint (size, ==, (gsize) width * height * 4);
  assert_colour (pixels + ((gsize) (height / 2) * width + width / 2) * 4,
                 COLOUR_R, COLOUR_G, COLOUR_B);
  assert_colour (pixels, COLOUR_R, COLOUR_G, COLOUR_B);

  /* The snapshot */
  g_assert_true (rh_rdp_viewer_save_png (viewer, png, &error));
  g_assert_no_error (error);
  surface = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (surface), ==, SCREEN_W);
  g_assert_cmpint (cairo_image_surface_get_height (surface), ==, SCREEN_H);
  {
    const guint8 *data_png = cairo_image_surface_get_data (surface);
    int stride = cairo_image_surface_get_stride (surface);
    guint32 px = *(const guint32 *) (gconstpointer) (data_png + (SCREEN_H / 2) * stride +
                                                     (SCREEN_W / 2) * 4);

    g_assert_cmphex (px >> 24, ==, 0xff);
    g_assert_cmpint (ABS ((int) ((px >> 16) & 0xff) - COLOUR_R), <=, 4);
    g_assert_cmpint (ABS ((int) ((px >> 8) & 0xff) - COLOUR_G), <=, 4);
    g_assert_cmpint (ABS ((int) (px & 0xff) - COLOUR_B), <=, 4);
  }
  cairo_surface_destroy (surface);

  /* A snapshot that cannot be written */
  g_assert_false (rh_rdp_viewer_save_png (viewer, "/nonexistent-dir/x.png", &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_SNAPSHOT);
  g_clear_error (&error);

  /* A change on the sharer's screen reaches us */
  {
    const char *xsetroot[] = { "xsetroot", "-solid", "#cc3300", NULL };
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    gboolean changed = FALSE;

    g_free (run_x_command (xsetroot));
    while (!changed && g_get_monotonic_time () < deadline)
      {
        g_autoptr (GBytes) now = NULL;
        const guint8 *p;

        rh_test_sleep_ms (100);
        now = rh_rdp_viewer_get_frame (viewer, &width, &height);
        p = (const guint8 *) g_bytes_get_data (now, NULL) + ((gsize) (height / 2) * width + width / 2) * 4;
        changed = ABS ((int) p[2] - 0xcc) <= 4 && ABS ((int) p[1] - 0x33) <= 4 &&
                  ABS ((int) p[0] - 0x00) <= 4;
      }
    g_assert_true (changed);
  }

  rh_rdp_viewer_disconnect (viewer);
  g_assert_false (events.disconnected);
  g_clear_error (&events.disconnect_error);
}

static void
test_snapshot_before_frame (void)
{
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GBytes) pin = g_bytes_new_static ("0123456789abcdef0123456789abcdef", 32);
  g_autoptr (GError) error = NULL;
  int width = -1, height = -1;

  viewer = rh_rdp_viewer_new ("/nonexistent/rdp.sock", TEST_USER, TEST_PASSWORD, pin,
                              RH_RDP_MODE_CONTROL);
  g_assert_null (rh_rdp_viewer_get_frame (viewer, &width, &height));
  g_assert_cmpint (width, ==, 0);
  g_assert_cmpint (height, ==, 0);
  g_assert_false (rh_rdp_viewer_save_png (viewer, "/tmp/never.png", &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_SNAPSHOT);
  g_clear_error (&error);
  /* Not connected: nothing to send to */
  g_assert_false (rh_rdp_viewer_send_pointer (viewer, 1, 1, 0, FALSE, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_RDP_DISCONNECTED);
}

static void
test_no_server (void)
{
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GBytes) pin = g_bytes_new_static ("0123456789abcdef0123456789abcdef", 32);
  g_autoptr (GError) error = NULL;

  viewer = rh_rdp_viewer_new ("/nonexistent/rdp.sock", TEST_USER, TEST_PASSWORD, pin,
                              RH_RDP_MODE_VIEW);
  g_assert_false (connect_viewer (viewer, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_RDP_CONNECT);
}

static void
test_wrong_pin (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) pin = NULL;
  guint8 wrong[32];

  (void) data;
  memcpy (wrong, g_bytes_get_data (fixture->pin, NULL), sizeof wrong);
  wrong[31] ^= 1;
  pin = g_bytes_new (wrong, sizeof wrong);

  viewer = rh_rdp_viewer_new (fixture->socket_path, TEST_USER, TEST_PASSWORD, pin,
                              RH_RDP_MODE_VIEW);
  g_assert_false (connect_viewer (viewer, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_RDP_CERTIFICATE);
}

static void
test_wrong_password (Fixture      *fixture,
                     gconstpointer data)
{
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GError) error = NULL;

  (void) data;
  viewer = rh_rdp_viewer_new (fixture->socket_path, TEST_USER, "Wrong-Horse-7", fixture->pin,
                              RH_RDP_MODE_VIEW);
  g_assert_false (connect_viewer (viewer, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_RDP_AUTH);
  g_clear_error (&error);
  g_clear_object (&viewer);

  /* A wrong user name as well */
  viewer = rh_rdp_viewer_new (fixture->socket_path, "someoneelse", TEST_PASSWORD, fixture->pin,
                              RH_RDP_MODE_VIEW);
  g_assert_false (connect_viewer (viewer, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_RDP_AUTH);
}

static void
test_view_only (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GError) error = NULL;
  Events events = { 0 };

  (void) data;
  viewer = connect_and_wait_first_frame (fixture, RH_RDP_MODE_VIEW, &events);
  g_assert_false (rh_rdp_viewer_send_pointer (viewer, 100, 200, 0, FALSE, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_VIEW_ONLY);
  g_clear_error (&error);
  g_assert_false (rh_rdp_viewer_send_pointer (viewer, 100, 200, 1, TRUE, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_VIEW_ONLY);
  g_clear_error (&error);
  g_assert_false (rh_rdp_viewer_send_text (viewer, "hello", &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_VIEW_ONLY);
  g_clear_error (&error);
}

static gboolean
pointer_at (int x,
            int y)
{
  const char *argv[] = { "xdotool", "getmouselocation", "--shell", NULL };
  g_autofree char *out = run_x_command (argv);
  g_autofree char *want = g_strdup_printf ("X=%d\nY=%d\n", x, y);

  return g_str_has_prefix (out, want);
}

static gboolean
wait_pointer_at (int   x,
                 int   y,
                 guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      if (pointer_at (x, y))
        return TRUE;
      rh_test_sleep_ms (50);
    }
  return pointer_at (x, y);
}

/* Starts xev on the root window and waits until it reports a key pressed with xdotool. */
static GSubprocess *
start_key_watch (const char *log)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  GSubprocess *xev;
  const char *marker[] = { "xdotool", "key", "F12", NULL };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, rh_test_die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "DISPLAY", xvfb_display, TRUE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  xev = g_subprocess_launcher_spawn (launcher, &error, "xev", "-root", "-event", "keyboard",
                                     NULL);
  g_assert_no_error (error);
  for (;;)
    {
      g_autofree char *text = NULL;

      g_free (run_x_command (marker));
      rh_test_sleep_ms (100);
      if (g_file_get_contents (log, &text, NULL, NULL) && strstr (text, "F12") != NULL)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  return xev;
}

/* Types through the viewer and checks the key presses the X server saw. */
static void
check_typing (RhRdpViewer *viewer,
              const char  *dir)
{
  g_autofree char *log = g_build_filename (dir, "xev.log", NULL);
  g_autoptr (GError) error = NULL;
  GSubprocess *xev = start_key_watch (log);
  const char *expected[] = { "keysym 0x68, h", "keysym 0x49, I", "keysym 0x21, exclam",
                             "keysym 0xff0d, Return" };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gboolean all = FALSE;

  g_assert_true (rh_rdp_viewer_send_text (viewer, "hI!\n", &error));
  g_assert_no_error (error);
  while (!all && g_get_monotonic_time () < deadline)
    {
      g_autofree char *text = NULL;
      const char *at;

      rh_test_sleep_ms (100);
      g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
      at = strstr (text, "F12");
      all = TRUE;
      for (gsize i = 0; i < G_N_ELEMENTS (expected) && all; i++)
        {
          at = strstr (at, expected[i]);
          all = at != NULL;
        }
    }
  rh_test_proc_kill (&xev);
  g_assert_true (all);
}

static void
test_control_pointer (Fixture      *fixture,
                      gconstpointer data)
{
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GError) error = NULL;
  const char *park[] = { "xdotool", "mousemove", "10", "10", NULL };
  Events events = { 0 };

  (void) data;
  g_free (run_x_command (park));
  g_assert_true (pointer_at (10, 10));

  viewer = connect_and_wait_first_frame (fixture, RH_RDP_MODE_CONTROL, &events);
  g_assert_true (rh_rdp_viewer_send_pointer (viewer, 100, 200, 0, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (wait_pointer_at (100, 200, 10000));

  /* Switched to view: refused, and nothing moves */
  rh_rdp_viewer_set_mode (viewer, RH_RDP_MODE_VIEW);
  g_assert_false (rh_rdp_viewer_send_pointer (viewer, 300, 300, 0, FALSE, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_VIEW_ONLY);
  g_clear_error (&error);
  rh_test_sleep_ms (300);
  g_assert_true (pointer_at (100, 200));

  /* And back */
  rh_rdp_viewer_set_mode (viewer, RH_RDP_MODE_CONTROL);
  g_assert_true (rh_rdp_viewer_send_pointer (viewer, 321, 123, 0, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (wait_pointer_at (321, 123, 10000));

  /* Typing: ASCII goes as scancodes (the X11 shadow ignores Unicode key events) */
  check_typing (viewer, fixture->dir);
  g_assert_true (rh_rdp_viewer_send_text (viewer, "é€😀", &error));
  g_assert_no_error (error);
  g_assert_false (rh_rdp_viewer_send_text (viewer, "\xff", &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_INTERNAL);
  g_clear_error (&error);
  rh_test_sleep_ms (200);
  g_assert_false (events.disconnected);
}

static void
test_server_killed (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GError) error = NULL;
  Events events = { 0 };
  gint64 start;

  (void) data;
  viewer = connect_and_wait_first_frame (fixture, RH_RDP_MODE_CONTROL, &events);

  start = g_get_monotonic_time ();
  rh_test_proc_kill (&fixture->shadow);
  g_assert_true (rh_test_spin_flag (&events.disconnected, 10000));
  g_test_message ("disconnected %" G_GINT64_FORMAT " ms after the kill",
                  (g_get_monotonic_time () - start) / 1000);
  g_assert_error (events.disconnect_error, RH_RDP_ERROR, RH_ERROR_RDP_DISCONNECTED);
  g_clear_error (&events.disconnect_error);

  /* Input after the loss fails cleanly */
  g_assert_false (rh_rdp_viewer_send_pointer (viewer, 1, 1, 0, FALSE, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_RDP_DISCONNECTED);
  /* The last frame stays available */
  g_bytes_unref (rh_rdp_viewer_get_frame (viewer, NULL, NULL));
}

static void
test_dispose_while_connected (Fixture      *fixture,
                              gconstpointer data)
{
  RhRdpViewer *viewer;
  Events events = { 0 };

  (void) data;
  viewer = connect_and_wait_first_frame (fixture, RH_RDP_MODE_VIEW, &events);
  /* Dispose stops and joins the FreeRDP thread; pending messages are dropped. */
  g_object_unref (viewer);
  rh_test_sleep_ms (200);
  g_assert_false (events.disconnected);
}

static void
test_cancel (Fixture      *fixture,
             gconstpointer data)
{
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  RhTestConnect res = { 0 };
  Events events = { 0 };

  (void) data;
  viewer = rh_rdp_viewer_new (fixture->socket_path, TEST_USER, TEST_PASSWORD, fixture->pin,
                              RH_RDP_MODE_VIEW);

  /* Cancelled before it starts */
  g_cancellable_cancel (cancellable);
  rh_rdp_viewer_connect_async (viewer, cancellable, rh_test_connect_cb, &res);
  g_assert_true (rh_test_spin_flag (&res.done, 30000));
  g_assert_false (res.ok);
  g_assert_error (res.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&res.error);

  /* Cancelled while connecting */
  g_clear_object (&cancellable);
  cancellable = g_cancellable_new ();
  res = (RhTestConnect) { 0 };
  rh_rdp_viewer_connect_async (viewer, cancellable, rh_test_connect_cb, &res);
  rh_test_sleep_ms (50);
  g_cancellable_cancel (cancellable);
  g_assert_true (rh_test_spin_flag (&res.done, 30000));
  g_assert_false (res.ok);
  g_assert_error (res.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&res.error);

  /* Disconnected while connecting */
  res = (RhTestConnect) { 0 };
  rh_rdp_viewer_connect_async (viewer, NULL, rh_test_connect_cb, &res);
  rh_rdp_viewer_disconnect (viewer);
  g_assert_true (rh_test_spin_flag (&res.done, 30000));
  g_assert_false (res.ok);
  g_assert_error (res.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&res.error);

  /* And the same object still connects afterwards */
  watch_events (viewer, &events);
  g_assert_true (connect_viewer (viewer, &error));
  g_assert_no_error (error);
  g_assert_true (rh_test_spin_flag (&events.first_frame, 20000));
  rh_rdp_viewer_disconnect (viewer);
  rh_test_sleep_ms (100);
  g_assert_false (events.disconnected);
}

static void
test_home_untouched (void)
{
  g_autoptr (GDir) dir = g_dir_open (test_home, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  name = g_dir_read_name (dir);
  if (name != NULL)
    g_error ("The viewer wrote %s into HOME", name);
}

/* ---- Against our own sharer ---- */

static RhRdpSharer *
start_sharer (RhRdpMode mode)
{
  g_autoptr (RhRdpSharer) sharer = rh_rdp_sharer_new (xvfb_display, mode);
  g_autoptr (GError) error = NULL;
  const char *xsetroot[] = { "xsetroot", "-solid", "#3366cc", NULL };

  g_free (run_x_command (xsetroot));
  g_assert_true (rh_rdp_sharer_start (sharer, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&sharer);
}

static RhRdpViewer *
connect_to_sharer (RhRdpSharer *sharer,
                   RhRdpMode    mode,
                   Events      *events)
{
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GBytes) pin = rh_rdp_sharer_get_certificate_sha256 (sharer);
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (pin);
  viewer = rh_rdp_viewer_new (rh_rdp_sharer_get_socket_path (sharer),
                              rh_rdp_sharer_get_username (sharer),
                              rh_rdp_sharer_get_password (sharer), pin, mode);
  watch_events (viewer, events);
  g_assert_true (connect_viewer (viewer, &error));
  g_assert_no_error (error);
  g_assert_true (rh_test_spin_flag (&events->first_frame, 20000));
  return g_steal_pointer (&viewer);
}

static void
test_sharer_control (void)
{
  g_autoptr (RhRdpSharer) sharer = start_sharer (RH_RDP_MODE_CONTROL);
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GBytes) frame = NULL;
  g_autoptr (GError) error = NULL;
  const char *park[] = { "xdotool", "mousemove", "10", "10", NULL };
  Events events = { 0 };
  int width = 0, height = 0;

  g_free (run_x_command (park));
  viewer = connect_to_sharer (sharer, RH_RDP_MODE_CONTROL, &events);

  frame = rh_rdp_viewer_get_frame (viewer, &width, &height);
  g_assert_cmpint (width, ==, SCREEN_W);
  g_assert_cmpint (height, ==, SCREEN_H);
  assert_colour ((const guint8 *) g_bytes_get_data (frame, NULL) +
                 ((gsize) (height / 2) * width + width / 2) * 4,
                 COLOUR_R, COLOUR_G, COLOUR_B);

  g_assert_true (rh_rdp_viewer_send_pointer (viewer, 100, 200, 0, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (wait_pointer_at (100, 200, 10000));
  check_typing (viewer, test_runtime_dir);

  rh_rdp_viewer_disconnect (viewer);
  rh_rdp_sharer_stop (sharer);
  g_assert_false (events.disconnected);
}

static void
test_sharer_view (void)
{
  g_autoptr (RhRdpSharer) sharer = start_sharer (RH_RDP_MODE_VIEW);
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GError) error = NULL;
  const char *park[] = { "xdotool", "mousemove", "10", "10", NULL };
  Events events = { 0 };

  g_free (run_x_command (park));
  /* A viewer that believes it may control: the sharer still drops its input. */
  viewer = connect_to_sharer (sharer, RH_RDP_MODE_CONTROL, &events);
  g_assert_true (rh_rdp_viewer_send_pointer (viewer, 100, 200, 0, FALSE, &error));
  g_assert_no_error (error);
  rh_test_sleep_ms (1000);
  g_assert_true (pointer_at (10, 10));

  /* The sharer stops: the viewer hears about it */
  rh_rdp_sharer_stop (sharer);
  g_assert_true (rh_test_spin_flag (&events.disconnected, 10000));
  g_assert_error (events.disconnect_error, RH_RDP_ERROR, RH_ERROR_RDP_DISCONNECTED);
  g_clear_error (&events.disconnect_error);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  int status;

  /* The sharer embeds the X11 shadow subsystem in this process. */
  XInitThreads ();
  g_test_init (&argc, &argv, NULL);

  /* FreeRDP must not write into the real (or any) HOME. */
  test_home = g_dir_make_tmp ("rh-test-rdp-viewer-home-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("HOME", test_home, TRUE);
  g_unsetenv ("XDG_CONFIG_HOME");
  test_runtime_dir = g_dir_make_tmp ("rh-test-rdp-viewer-run-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_RUNTIME_DIR", test_runtime_dir, TRUE);

  start_xvfb ();

  g_test_add_func ("/rdp-viewer/snapshot-before-frame", test_snapshot_before_frame);
  g_test_add_func ("/rdp-viewer/no-server", test_no_server);
  g_test_add ("/rdp-viewer/first-frame", Fixture, NULL, fixture_set_up, test_first_frame,
              fixture_tear_down);
  g_test_add ("/rdp-viewer/wrong-pin", Fixture, NULL, fixture_set_up, test_wrong_pin,
              fixture_tear_down);
  g_test_add ("/rdp-viewer/wrong-password", Fixture, NULL, fixture_set_up, test_wrong_password,
              fixture_tear_down);
  g_test_add ("/rdp-viewer/view-only", Fixture, NULL, fixture_set_up, test_view_only,
              fixture_tear_down);
  g_test_add ("/rdp-viewer/control-pointer", Fixture, NULL, fixture_set_up,
              test_control_pointer, fixture_tear_down);
  g_test_add ("/rdp-viewer/server-killed", Fixture, NULL, fixture_set_up, test_server_killed,
              fixture_tear_down);
  g_test_add ("/rdp-viewer/dispose-while-connected", Fixture, NULL, fixture_set_up,
              test_dispose_while_connected, fixture_tear_down);
  g_test_add ("/rdp-viewer/cancel", Fixture, NULL, fixture_set_up, test_cancel,
              fixture_tear_down);
  g_test_add_func ("/rdp-viewer/home-untouched", test_home_untouched);
  g_test_add_func ("/rdp-viewer/sharer/control", test_sharer_control);
  g_test_add_func ("/rdp-viewer/sharer/view", test_sharer_view);

  status = g_test_run ();

  rh_test_proc_kill (&xvfb);
  if (status == 0)
    {
      remove_tree (test_home);
      remove_tree (test_runtime_dir);
    }
  g_free (test_home);
  g_free (test_runtime_dir);
  g_free (xvfb_display);
  return status;
}
