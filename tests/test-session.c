/* test-session.c: a whole session with the real binaries: server, sharer on an Xvfb display,
 * helper saving what it sees
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

#include <cairo.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "rh-test-proc.h"
#include "rh-test-server.h"

#define BG_COLOUR "#3366cc"

typedef struct
{
  RhTestServer *server;
  GSubprocess  *xvfb;
  char         *display;
  char         *runtime_dir;
  char         *helper_pw;
  char         *sharer_pw;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = rh_test_server_new ();
  rh_test_server_start (f->server, NULL);

  f->xvfb = rh_test_xvfb_spawn ("1024x768x24", &f->display);

  {
    const char *argv[] = { "xsetroot", "-solid", BG_COLOUR, NULL };
    g_autofree char *out = rh_test_run_x (f->display, argv);
  }

  rh_test_server_client_files (f->server, &f->runtime_dir, &f->helper_pw, &f->sharer_pw);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  rh_test_proc_kill (&f->xvfb);
  g_clear_pointer (&f->server, rh_test_server_free);
  g_free (f->display);
  g_free (f->runtime_dir);
  g_free (f->helper_pw);
  g_free (f->sharer_pw);
}

/* The headless client with this fixture's server, runtime directory and display. */
#define spawn_client(f, ...) \
  rh_test_server_spawn_client ((f)->server, (f)->runtime_dir, (f)->display, __VA_ARGS__)

static void
pointer_location (Fixture *f,
                  int     *x,
                  int     *y)
{
  const char *argv[] = { "xdotool", "getmouselocation", "--shell", NULL };
  g_autofree char *out = rh_test_run_x (f->display, argv);
  const char *px = strstr (out, "X=");
  const char *py = strstr (out, "Y=");

  g_assert_nonnull (px);
  g_assert_nonnull (py);
  *x = atoi (px + 2);
  *y = atoi (py + 2);
}

static void
run_session (Fixture      *f,
             const char   *mode,
             const char   *allow,
             const char   *path,
             const char   *snapshot,
             const char   *click,
             RhTestResult *helper_result,
             RhTestResult *sharer_result)
{
  g_autoptr(GSubprocess) helper = NULL;
  g_autoptr(GSubprocess) sharer = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *code = NULL;

  if (click)
    helper = spawn_client (f, "give-help", "--user", "helen", "--password-file", f->helper_pw,
                           "--mode", mode, "--path", path, "--snapshot", snapshot,
                           "--click", click, NULL);
  else
    helper = spawn_client (f, "give-help", "--user", "helen", "--password-file", f->helper_pw,
                           "--mode", mode, "--path", path, "--snapshot", snapshot, NULL);
  code = rh_test_read_code (helper, &in);
  /* Direct candidates on loopback only: tests send nothing to other addresses. */
  sharer = spawn_client (f, "get-help", code, "--user", "sam", "--password-file", f->sharer_pw,
                         "--allow", allow, "--display", f->display, "--direct", "loopback",
                         NULL);
  rh_test_collect (helper, in, helper_result);
  rh_test_collect (sharer, NULL, sharer_result);
}

static void
assert_png_colour (const char *path,
                   guint32     rgb)
{
  cairo_surface_t *png = cairo_image_surface_create_from_png (path);
  const guint8 *data;
  int stride, w, h;
  guint32 pixel;

  g_assert_cmpint (cairo_surface_status (png), ==, CAIRO_STATUS_SUCCESS);
  w = cairo_image_surface_get_width (png);
  h = cairo_image_surface_get_height (png);
  g_assert_cmpint (w, ==, 1024);
  g_assert_cmpint (h, ==, 768);
  data = cairo_image_surface_get_data (png);
  stride = cairo_image_surface_get_stride (png);
  /* Sample away from the corner, where the cursor may be drawn. */
  pixel = *(const guint32 *) (data + (h / 2) * stride + (w / 2) * 4);
  for (int shift = 0; shift < 24; shift += 8)
    {
      int got = (pixel >> shift) & 0xff;
      int want = (rgb >> shift) & 0xff;

      g_assert_cmpint (ABS (got - want), <=, 8);
    }
  cairo_surface_destroy (png);
}

static void
assert_nothing_left (Fixture *f)
{
  g_autofree char *dir = g_build_filename (f->runtime_dir, "remote-help", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);

  /* The sharer's RDP directory (socket, SAM file, key) is gone. */
  if (d != NULL)
    g_assert_null (g_dir_read_name (d));
}

/* The newest session record, as "mode|device|ended|bytes|reason". */
static char *
last_session (Fixture *f)
{
  g_autofree char *db = g_build_filename (f->server->data_dir, "remote-help.db", NULL);
  sqlite3 *conn = NULL;
  sqlite3_stmt *stmt = NULL;
  char *row = NULL;

  g_assert_cmpint (sqlite3_open_v2 (db, &conn, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (conn,
                                       "SELECT mode, coalesce(device, ''), ended_at IS NOT NULL,"
                                       " bytes_relayed, coalesce(end_reason, '') FROM sessions"
                                       " ORDER BY id DESC LIMIT 1", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    row = g_strdup_printf ("%s|%s|%d|%lld|%s", sqlite3_column_text (stmt, 0),
                           sqlite3_column_text (stmt, 1), sqlite3_column_int (stmt, 2),
                           (long long) sqlite3_column_int64 (stmt, 3),
                           sqlite3_column_text (stmt, 4));
  sqlite3_finalize (stmt);
  sqlite3_close (conn);
  return row;
}

/* The server ends the record once it noticed the end; give it a moment. */
static char *
wait_session_ended (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  char *row = NULL;

  do
    {
      g_free (row);
      row = last_session (f);
      if (row && strstr (row, "|1|") != NULL)
        return row;
      g_usleep (100000);
    }
  while (g_get_monotonic_time () < deadline);
  return row;
}

static void
test_view (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *png = g_build_filename (f->server->tmpdir, "view.png", NULL);
  RhTestResult helper = { 0 }, sharer = { 0 };
  int x0, y0, x1, y1;

  pointer_location (f, &x0, &y0);
  /* Control asked for, only view allowed: the helper gets view-only, its click is not sent. */
  run_session (f, "control", "view", "relay", png, "100,200", &helper, &sharer);
  g_assert_cmpint (helper.status, ==, 0);
  g_assert_nonnull (strstr (helper.out, "mode: view"));
  g_assert_nonnull (strstr (helper.out, "path: relay"));
  g_assert_nonnull (strstr (helper.out, "first-frame: 1024x768"));
  g_assert_nonnull (strstr (helper.out, "RH-7007"));
  assert_png_colour (png, 0x3366cc);
  pointer_location (f, &x1, &y1);
  g_assert_cmpint (x1, ==, x0);
  g_assert_cmpint (y1, ==, y0);
  g_assert_cmpint (sharer.status, ==, 0);
  g_assert_nonnull (strstr (sharer.out, "mode: view"));
  assert_nothing_left (f);
  {
    g_autofree char *row = wait_session_ended (f);
    g_auto(GStrv) cols = NULL;

    /* Recorded by the server: what the sharer allowed, from which device, relayed bytes. */
    g_assert_nonnull (row);
    g_test_message ("session: %s", row);
    cols = g_strsplit (row, "|", -1);
    g_assert_cmpstr (cols[0], ==, "view");
    g_assert_cmpstr (cols[1], ==, g_get_host_name ());
    g_assert_cmpstr (cols[2], ==, "1");
    g_assert_cmpint (g_ascii_strtoll (cols[3], NULL, 10), >, 1000);
    g_assert_cmpstr (cols[4], ==, "helper-done");
  }
  rh_test_result_clear (&helper);
  rh_test_result_clear (&sharer);
}

static void
test_control (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *png = g_build_filename (f->server->tmpdir, "control.png", NULL);
  RhTestResult helper = { 0 }, sharer = { 0 };
  int x, y;

  run_session (f, "control", "control", "direct", png, "100,200", &helper, &sharer);
  g_assert_cmpint (helper.status, ==, 0);
  g_assert_nonnull (strstr (helper.out, "mode: control"));
  g_assert_nonnull (strstr (helper.out, "path: direct"));
  g_assert_nonnull (strstr (helper.out, "input: sent"));
  assert_png_colour (png, 0x3366cc);
  pointer_location (f, &x, &y);
  g_assert_cmpint (x, ==, 100);
  g_assert_cmpint (y, ==, 200);
  g_assert_cmpint (sharer.status, ==, 0);
  assert_nothing_left (f);
  {
    g_autofree char *row = wait_session_ended (f);

    /* A direct session is recorded too, with nothing relayed. */
    g_test_message ("session: %s", row);
    g_assert_nonnull (row);
    g_assert_true (g_str_has_prefix (row, "control|"));
    g_assert_true (g_str_has_suffix (row, "|1|0|helper-done"));
  }
  rh_test_result_clear (&helper);
  rh_test_result_clear (&sharer);
}

static void
test_chat (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *png = g_build_filename (f->server->tmpdir, "chat.png", NULL);
  g_autoptr(GSubprocess) helper = NULL;
  g_autoptr(GSubprocess) sharer = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *code = NULL;
  RhTestResult helper_result = { 0 }, sharer_result = { 0 };

  /* Both headless apps chat once the screen is shared; each prints the whole thread, its own
   * message included, as the service delivered it. */
  helper = spawn_client (f, "give-help", "--user", "helen", "--password-file", f->helper_pw,
                         "--mode", "view", "--path", "relay", "--snapshot", png,
                         "--duration", "3", "--chat", "مرحبا، أرى شاشتك", NULL);
  code = rh_test_read_code (helper, &in);
  sharer = spawn_client (f, "get-help", code, "--user", "sam", "--password-file", f->sharer_pw,
                         "--allow", "view", "--display", f->display, "--direct", "off",
                         "--chat", "你好\n第二行", NULL);
  rh_test_collect (helper, in, &helper_result);
  rh_test_collect (sharer, NULL, &sharer_result);

  g_test_message ("helper:\n%s\nsharer:\n%s", helper_result.out, sharer_result.out);
  g_assert_cmpint (helper_result.status, ==, 0);
  g_assert_cmpint (sharer_result.status, ==, 0);
  for (int i = 0; i < 2; i++)
    {
      const char *out = i == 0 ? helper_result.out : sharer_result.out;

      g_assert_nonnull (strstr (out, "chat-sent: yes"));
      g_assert_nonnull (strstr (out, "chat: Helen Helper (helper): مرحبا، أرى شاشتك\n"));
      g_assert_nonnull (strstr (out, "chat: Sam Sharer (sharer): 你好\\n第二行\n"));
    }
  rh_test_result_clear (&helper_result);
  rh_test_result_clear (&sharer_result);
}

/* The laser pointer travels over the peer channel in a view-only session, is drawn on the
 * sharer's screen, comes back to the helper in the stream, and never moves the pointer. */
static void
test_laser (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *png = g_build_filename (f->server->tmpdir, "laser.png", NULL);
  g_autoptr(GSubprocess) helper = NULL;
  g_autoptr(GSubprocess) sharer = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *code = NULL;
  RhTestResult helper_result = { 0 }, sharer_result = { 0 };
  cairo_surface_t *image;
  const guint8 *data_px;
  guint32 pixel;
  int x0, y0, x1, y1, stride;

  pointer_location (f, &x0, &y0);
  helper = spawn_client (f, "give-help", "--user", "helen", "--password-file", f->helper_pw,
                         "--mode", "view", "--path", "relay", "--snapshot", png,
                         "--laser", "0.25,0.75", NULL);
  code = rh_test_read_code (helper, &in);
  sharer = spawn_client (f, "get-help", code, "--user", "sam", "--password-file", f->sharer_pw,
                         "--allow", "view", "--display", f->display, "--direct", "off", NULL);
  rh_test_collect (helper, in, &helper_result);
  rh_test_collect (sharer, NULL, &sharer_result);
  g_test_message ("helper:\n%s\nsharer:\n%s", helper_result.out, sharer_result.out);
  g_assert_cmpint (helper_result.status, ==, 0);
  g_assert_cmpint (sharer_result.status, ==, 0);
  g_assert_nonnull (strstr (sharer_result.out, "laser: shown"));

  /* The dot's centre, at a quarter of the width and three quarters of the height. */
  image = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (image), ==, CAIRO_STATUS_SUCCESS);
  data_px = cairo_image_surface_get_data (image);
  stride = cairo_image_surface_get_stride (image);
  pixel = *(const guint32 *) (data_px + 576 * stride + 256 * 4);
  g_test_message ("pixel at the laser: %06x", pixel & 0xffffff);
  g_assert_cmpint ((pixel >> 16) & 0xff, >, 200);
  g_assert_cmpint ((pixel >> 8) & 0xff, <, 120);
  g_assert_cmpint (pixel & 0xff, <, 120);
  /* Away from it, the desktop as it was. */
  pixel = *(const guint32 *) (data_px + 200 * stride + 800 * 4);
  g_assert_cmpint (ABS ((int) ((pixel >> 16) & 0xff) - 0x33), <=, 8);
  cairo_surface_destroy (image);

  pointer_location (f, &x1, &y1);
  g_assert_cmpint (x1, ==, x0);
  g_assert_cmpint (y1, ==, y0);
  rh_test_result_clear (&helper_result);
  rh_test_result_clear (&sharer_result);
}

static void
test_deny (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *png = g_build_filename (f->server->tmpdir, "deny.png", NULL);
  RhTestResult helper = { 0 }, sharer = { 0 };

  run_session (f, "view", "deny", "auto", png, NULL, &helper, &sharer);
  g_assert_cmpint (helper.status, ==, 1);
  g_assert_nonnull (strstr (helper.err, "RH-4012"));
  g_assert_false (g_file_test (png, G_FILE_TEST_EXISTS));
  g_assert_cmpint (sharer.status, ==, 0);
  g_assert_nonnull (strstr (sharer.out, "ended: declined"));
  assert_nothing_left (f);
  rh_test_result_clear (&helper);
  rh_test_result_clear (&sharer);
}

static void
test_server_dies (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GSubprocess) helper = NULL;
  g_autoptr(GSubprocess) sharer = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *line = NULL;
  g_autofree char *ss = NULL;
  g_autofree char *sharer_out = NULL;
  g_autofree char *sharer_err = NULL;
  gint64 killed_at;
  RhTestResult helper_result = { 0 };
  const char *ss_argv[] = { "ss", "-lxn", NULL };

  helper = spawn_client (f, "give-help", "--user", "helen", "--password-file", f->helper_pw,
                         "--mode", "view", "--path", "relay", "--duration", "120", NULL);
  code = rh_test_read_code (helper, &in);
  sharer = spawn_client (f, "get-help", code, "--user", "sam", "--password-file", f->sharer_pw,
                         "--allow", "view", "--display", f->display, "--direct", "loopback",
                         NULL);
  alarm (30);
  do
    {
      g_free (line);
      line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (line);
    }
  while (!g_str_has_prefix (line, "first-frame: "));
  alarm (0);

  /* The service vanishes mid-session. */
  g_subprocess_force_exit (f->server->proc);
  g_subprocess_wait (f->server->proc, NULL, NULL);
  g_clear_object (&f->server->proc);
  killed_at = g_get_monotonic_time ();

  rh_test_collect (helper, in, &helper_result);
  g_assert_cmpint (helper_result.status, ==, 1);
  g_assert_nonnull (strstr (helper_result.err, "RH-"));
  alarm (40);
  g_subprocess_communicate_utf8 (sharer, NULL, NULL, &sharer_out, &sharer_err, &error);
  alarm (0);
  g_assert_no_error (error);
  g_test_message ("sharer: %s %s", sharer_out, sharer_err);
  g_assert_cmpint (g_subprocess_get_exit_status (sharer), ==, 1);
  g_assert_nonnull (strstr (sharer_err, "RH-"));
  /* Both noticed within 30 s. */
  g_assert_cmpint (g_get_monotonic_time () - killed_at, <, 30 * G_USEC_PER_SEC);

  /* Nothing of the sharer's RDP server is left, and nothing listens for it. */
  assert_nothing_left (f);
  ss = rh_test_run_x (f->display, ss_argv);
  g_assert_null (strstr (ss, f->runtime_dir));
  rh_test_result_clear (&helper_result);
}

/* ---- Authentication-prompt guard (issue #6) ---- */

#define PROMPT_RGB 0x12ab34
#define PANEL_RGB 0x1e2a38

/* Pixels of the prompt's colour in a helper's snapshot (what the helper saw). */
static int
count_prompt_pixels (const char *path,
                     guint32    *centre)
{
  cairo_surface_t *png = cairo_image_surface_create_from_png (path);
  const guint8 *data;
  int stride, w, h, n = 0;

  g_assert_cmpint (cairo_surface_status (png), ==, CAIRO_STATUS_SUCCESS);
  w = cairo_image_surface_get_width (png);
  h = cairo_image_surface_get_height (png);
  data = cairo_image_surface_get_data (png);
  stride = cairo_image_surface_get_stride (png);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint32 p = *(const guint32 *) (data + y * stride + x * 4);

        if (ABS ((int) ((p >> 16) & 0xff) - 0x12) <= 24 &&
            ABS ((int) ((p >> 8) & 0xff) - 0xab) <= 24 && ABS ((int) (p & 0xff) - 0x34) <= 24)
          n++;
      }
  *centre = *(const guint32 *) (data + 350 * stride + 500 * 4) & 0xffffff;
  cairo_surface_destroy (png);
  return n;
}

/* A polkit agent's window (xmessage with the agent's class name) is on the sharer's screen: the
 * helper's frames show the notice and none of the prompt, its click is dropped, both sides say
 * "auth-prompt: masked"; the window goes, both say "clear", and the helper sees the desktop
 * again. */
static void
test_auth_prompt (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *png = g_build_filename (f->server->tmpdir, "prompt.png", NULL);
  g_autofree char *png_clear = g_build_filename (f->server->tmpdir, "prompt-clear.png", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSubprocess) prompt = NULL;
  g_autoptr(GSubprocess) helper = NULL;
  g_autoptr(GSubprocess) sharer = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  RhTestResult helper_result = { 0 }, sharer_result = { 0 };
  gint64 deadline;
  guint32 centre = 0;
  int x0, y0, x1, y1;

  g_subprocess_launcher_setenv (launcher, "DISPLAY", f->display, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, rh_test_die_with_parent, NULL, NULL);
  prompt = g_subprocess_launcher_spawn (launcher, &error, "xmessage", "-name",
                                        "polkit-gnome-authentication-agent-1", "-bg", "#12ab34",
                                        "-fg", "#12ab34", "-geometry", "400x200+300+250",
                                        "Authentication is needed", NULL);
  g_assert_no_error (error);
  /* Mapped before the session starts. */
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  for (;;)
    {
      const char *argv[] = { "xdotool", "search", "--classname",
                             "polkit-gnome-authentication-agent-1", NULL };
      g_autoptr(GSubprocess) search = g_subprocess_launcher_spawnv (launcher, argv, &error);

      g_assert_no_error (error);
      g_subprocess_wait (search, NULL, NULL);
      if (g_subprocess_get_successful (search))
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
  pointer_location (f, &x0, &y0);

  helper = spawn_client (f, "give-help", "--user", "helen", "--password-file", f->helper_pw,
                         "--mode", "control", "--path", "relay", "--snapshot", png,
                         "--click", "500,350", "--duration", "8", NULL);
  code = rh_test_read_code (helper, &in);
  sharer = spawn_client (f, "get-help", code, "--user", "sam", "--password-file", f->sharer_pw,
                         "--allow", "control", "--display", f->display, "--direct", "off",
                         NULL);
  /* The first snapshot is written with the first frame; the click follows it. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!g_file_test (png, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
  g_usleep (2500 * 1000);
  pointer_location (f, &x1, &y1);
  g_subprocess_send_signal (prompt, SIGTERM);
  g_subprocess_wait (prompt, NULL, NULL);

  rh_test_collect (helper, in, &helper_result);
  rh_test_collect (sharer, NULL, &sharer_result);
  g_assert_cmpint (helper_result.status, ==, 0);
  g_assert_cmpint (sharer_result.status, ==, 0);
  g_assert_nonnull (strstr (helper_result.out, "mode: control"));
  g_assert_nonnull (strstr (helper_result.out, "input: sent"));
  for (int i = 0; i < 2; i++)
    {
      const char *out = i == 0 ? helper_result.out : sharer_result.out;
      const char *masked = strstr (out, "auth-prompt: masked\n");

      g_assert_nonnull (masked);
      g_assert_nonnull (strstr (masked, "auth-prompt: clear\n"));
    }
  /* The click never reached the display. */
  g_assert_cmpint (x1, ==, x0);
  g_assert_cmpint (y1, ==, y0);

  /* Masked: not one pixel of the prompt, the notice panel where it is. */
  g_assert_cmpint (count_prompt_pixels (png, &centre), ==, 0);
  g_test_message ("masked snapshot: %06x where the prompt is", centre);
  g_assert_cmpuint (centre, ==, PANEL_RGB);
  /* Cleared: frames resumed and show the desktop where the prompt was. */
  g_assert_nonnull (strstr (helper_result.out, "snapshot-clear: "));
  g_assert_cmpint (count_prompt_pixels (png_clear, &centre), ==, 0);
  g_assert_cmpint (ABS ((int) ((centre >> 16) & 0xff) - 0x33), <=, 8);
  g_assert_cmpint (ABS ((int) ((centre >> 8) & 0xff) - 0x66), <=, 8);
  g_assert_cmpint (ABS ((int) (centre & 0xff) - 0xcc), <=, 8);
  assert_nothing_left (f);
  rh_test_result_clear (&helper_result);
  rh_test_result_clear (&sharer_result);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!g_find_program_in_path ("Xvfb") || !g_find_program_in_path ("xdotool"))
    {
      /* scripts/test.sh installs both; a machine without them cannot run this suite. */
      g_printerr ("Xvfb and xdotool are required (Debian packages xvfb, xdotool)\n");
      return 1;
    }

  g_test_add ("/session/view-only", Fixture, NULL, fixture_setup, test_view, fixture_teardown);
  g_test_add ("/session/control", Fixture, NULL, fixture_setup, test_control, fixture_teardown);
  g_test_add ("/session/deny", Fixture, NULL, fixture_setup, test_deny, fixture_teardown);
  g_test_add ("/session/chat", Fixture, NULL, fixture_setup, test_chat, fixture_teardown);
  g_test_add ("/session/laser", Fixture, NULL, fixture_setup, test_laser, fixture_teardown);
  g_test_add ("/session/server-dies", Fixture, NULL, fixture_setup, test_server_dies,
              fixture_teardown);
  g_test_add ("/session/auth-prompt", Fixture, NULL, fixture_setup, test_auth_prompt,
              fixture_teardown);

  return g_test_run ();
}
