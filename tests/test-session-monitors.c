/* test-session-monitors.c: choosing the sharer's monitor in a whole session (issue #6)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real binaries: a server on 127.0.0.1, a headless sharer on a two-monitor Xvfb (made with
 * `xrandr --setmonitor`: 1280x800 at 0,0 and 768x600 at 1280,100, painted blue and red), and a
 * headless helper with `--monitor`. The helper's snapshot must have the chosen monitor's size
 * and colour; both sides print the choice as "monitor: …"; a monitor the sharer does not have
 * is refused by the sharer with RH-7221. Also the message checks on hostile input (unit).
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>
#include <glib/gstdio.h>
#include <X11/Xlib.h>

#include "rh-error.h"
#include "rh-message.h"
#include "rh-monitor-list.h"
#include "rh-test-proc.h"
#include "rh-test-server.h"
#include "rh-test-x11.h"
#include "rh-test-xvfb.h"

#define LEFT_RGB 0x2050a0
#define RIGHT_RGB 0xc03020
#define OUTSIDE_RGB 0x30c040

typedef struct
{
  RhTestServer *server;
  GPid          xvfb;
  char         *display;
  char         *runtime_dir;
  char         *helper_pw;
  char         *sharer_pw;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  Display *dpy;

  f->server = rh_test_server_new ();
  rh_test_server_start (f->server, NULL);

  f->display = rh_test_xvfb_start ("2048x800x24", &f->xvfb);
  {
    const char *left[] = { "xrandr", "-d", f->display, "--setmonitor", "L",
                           "1280/338x800/211+0+0", "screen", NULL };
    const char *right[] = { "xrandr", "-d", f->display, "--setmonitor", "R",
                            "768/203x600/158+1280+100", "none", NULL };

    rh_test_run_ok (left);
    rh_test_run_ok (right);
  }
  /* Painted on the root window: Xvfb runs with -noreset, so it stays after we close. */
  dpy = XOpenDisplay (f->display);
  g_assert_nonnull (dpy);
  rh_test_x_fill (dpy, 0, 0, 2048, 800, OUTSIDE_RGB);
  rh_test_x_fill (dpy, 0, 0, 1280, 800, LEFT_RGB);
  rh_test_x_fill (dpy, 1280, 100, 768, 600, RIGHT_RGB);
  XCloseDisplay (dpy);

  rh_test_server_client_files (f->server, &f->runtime_dir, &f->helper_pw, &f->sharer_pw);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  rh_test_xvfb_stop (f->xvfb);
  g_clear_pointer (&f->server, rh_test_server_free);
  g_free (f->display);
  g_free (f->runtime_dir);
  g_free (f->helper_pw);
  g_free (f->sharer_pw);
}

/* The headless client with this fixture's server, runtime directory and display. */
#define spawn_client(f, ...) \
  rh_test_server_spawn_client ((f)->server, (f)->runtime_dir, (f)->display, __VA_ARGS__)

/* A view-only session in which the helper asks for `monitor` before its snapshot. */
static void
run_session_laser (Fixture      *f,
                   const char   *monitor,
                   const char   *snapshot,
                   const char   *laser,
                   RhTestResult *helper_result,
                   RhTestResult *sharer_result)
{
  g_autoptr(GSubprocess) helper = NULL;
  g_autoptr(GSubprocess) sharer = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *code = NULL;

  if (laser)
    helper = spawn_client (f, "give-help", "--user", "helen", "--password-file", f->helper_pw,
                           "--mode", "view", "--path", "relay", "--snapshot", snapshot,
                           "--monitor", monitor, "--laser", laser, NULL);
  else
    helper = spawn_client (f, "give-help", "--user", "helen", "--password-file", f->helper_pw,
                           "--mode", "view", "--path", "relay", "--snapshot", snapshot,
                           "--monitor", monitor, NULL);
  code = rh_test_read_code (helper, &in);
  sharer = spawn_client (f, "get-help", code, "--user", "sam", "--password-file", f->sharer_pw,
                         "--allow", "view", "--display", f->display, "--direct", "off", NULL);
  rh_test_collect (helper, in, helper_result);
  rh_test_collect (sharer, NULL, sharer_result);
}

static void
run_session (Fixture      *f,
             const char   *monitor,
             const char   *snapshot,
             RhTestResult *helper_result,
             RhTestResult *sharer_result)
{
  run_session_laser (f, monitor, snapshot, NULL, helper_result, sharer_result);
}

static void
assert_png (const char *path,
            int         width,
            int         height,
            int         x,
            int         y,
            guint32     rgb)
{
  cairo_surface_t *png = cairo_image_surface_create_from_png (path);
  const guint8 *data;
  guint32 pixel;

  g_assert_cmpint (cairo_surface_status (png), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (png), ==, width);
  g_assert_cmpint (cairo_image_surface_get_height (png), ==, height);
  data = cairo_image_surface_get_data (png);
  pixel = *(const guint32 *) (data + (gsize) y * cairo_image_surface_get_stride (png) + x * 4);
  g_assert_cmphex (pixel & 0xffffff, ==, rgb);
  cairo_surface_destroy (png);
}

static void
test_one (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *png = g_build_filename (f->server->tmpdir, "right.png", NULL);
  RhTestResult helper = { 0 }, sharer = { 0 };

  run_session (f, "2", png, &helper, &sharer);
  g_assert_cmpint (helper.status, ==, 0);
  g_assert_cmpint (sharer.status, ==, 0);
  /* The sharer announced all first, then the choice; the helper saw both. */
  g_assert_nonnull (strstr (sharer.out, "monitor: all\n"));
  g_assert_nonnull (strstr (sharer.out, "monitor: 2/2 768x600\n"));
  g_assert_nonnull (strstr (helper.out, "monitor: all\n"));
  g_assert_nonnull (strstr (helper.out, "monitor: 2/2 768x600\n"));
  g_assert_nonnull (strstr (helper.out, "snapshot: "));
  /* The snapshot is the right-hand monitor only, at its size, in its colour. */
  assert_png (png, 768, 600, 0, 0, RIGHT_RGB);
  assert_png (png, 768, 600, 767, 599, RIGHT_RGB);
  rh_test_result_clear (&helper);
  rh_test_result_clear (&sharer);
}

static void
test_left_then_all (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *left = g_build_filename (f->server->tmpdir, "left.png", NULL);
  g_autofree char *all = g_build_filename (f->server->tmpdir, "all.png", NULL);
  RhTestResult helper = { 0 }, sharer = { 0 };

  run_session (f, "1", left, &helper, &sharer);
  g_assert_cmpint (helper.status, ==, 0);
  g_assert_nonnull (strstr (helper.out, "monitor: 1/2 1280x800\n"));
  g_assert_nonnull (strstr (sharer.out, "monitor: 1/2 1280x800\n"));
  assert_png (left, 1280, 800, 1279, 799, LEFT_RGB);
  rh_test_result_clear (&helper);
  rh_test_result_clear (&sharer);

  /* "all" is what is shared from the start: no switch, the whole screen. */
  run_session (f, "all", all, &helper, &sharer);
  g_assert_cmpint (helper.status, ==, 0);
  g_assert_null (strstr (sharer.out, "monitor: 1/2"));
  assert_png (all, 2048, 800, 10, 10, LEFT_RGB);
  assert_png (all, 2048, 800, 1300, 300, RIGHT_RGB);
  assert_png (all, 2048, 800, 2000, 20, OUTSIDE_RGB);
  rh_test_result_clear (&helper);
  rh_test_result_clear (&sharer);
}

/* The laser follows the shared monitor: (0.5, 0.5) is the middle of monitor 2, which is where
 * the dot shows in the helper's picture of it (over the whole screen it would be off it). */
static void
test_laser (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *png = g_build_filename (f->server->tmpdir, "laser.png", NULL);
  RhTestResult helper = { 0 }, sharer = { 0 };
  cairo_surface_t *image;
  guint32 pixel;

  run_session_laser (f, "2", png, "0.5,0.5", &helper, &sharer);
  g_assert_cmpint (helper.status, ==, 0);
  g_assert_nonnull (strstr (sharer.out, "laser: shown"));
  image = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (image), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (image), ==, 768);
  pixel = *(const guint32 *) (cairo_image_surface_get_data (image) +
                              300 * cairo_image_surface_get_stride (image) + 384 * 4);
  g_test_message ("pixel at the laser: %06x", pixel & 0xffffff);
  /* The dot's centre (#ff2a2a), not the monitor's red (#c03020). */
  g_assert_cmpint ((pixel >> 16) & 0xff, >, 240);
  cairo_surface_destroy (image);
  rh_test_result_clear (&helper);
  rh_test_result_clear (&sharer);
}

/* The helper's app asks for a monitor the sharer does not have: the sharer refuses it (and
 * says so on both sides), the helper ends with RH-7221 and no snapshot. */
static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *png = g_build_filename (f->server->tmpdir, "none.png", NULL);
  RhTestResult helper = { 0 }, sharer = { 0 };

  run_session (f, "3", png, &helper, &sharer);
  g_assert_cmpint (helper.status, !=, 0);
  g_assert_nonnull (strstr (sharer.out, "monitor-refused: RH-7221"));
  g_assert_nonnull (strstr (helper.out, "monitor-refused: RH-7221"));
  g_assert_nonnull (strstr (helper.err, "RH-7221"));
  g_assert_false (g_file_test (png, G_FILE_TEST_EXISTS));
  rh_test_result_clear (&helper);
  rh_test_result_clear (&sharer);
}

/* ---- The messages, against hostile input ---- */

static JsonObject *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonObject *msg = rh_message_parse (text, strlen (text), 4096, &error);

  g_assert_no_error (error);
  return msg;
}

static void
test_messages (void)
{
  static const char *const bad_selects[] = {
    "{\"type\":\"select-monitor\"}",
    "{\"type\":\"select-monitor\",\"index\":\"1\"}",
    "{\"type\":\"select-monitor\",\"index\":1.5}",
    "{\"type\":\"select-monitor\",\"index\":null}",
    "{\"type\":\"select-monitor\",\"index\":[1]}",
    "{\"type\":\"select-monitor\",\"index\":99999999999999}",
  };
  static const char *const bad_lists[] = {
    "{\"type\":\"monitors\",\"selected\":-1}",
    "{\"type\":\"monitors\",\"list\":[],\"selected\":-1}",
    "{\"type\":\"monitors\",\"list\":[1],\"selected\":-1}",
    "{\"type\":\"monitors\",\"list\":[{\"x\":0,\"y\":0,\"width\":0,\"height\":5}],\"selected\":-1}",
    "{\"type\":\"monitors\",\"list\":[{\"x\":-1,\"y\":0,\"width\":5,\"height\":5}],\"selected\":-1}",
    "{\"type\":\"monitors\",\"list\":[{\"x\":0,\"y\":0,\"width\":5,\"height\":5}],\"selected\":1}",
    "{\"type\":\"monitors\",\"list\":[{\"x\":0,\"y\":0,\"width\":5,\"height\":5}],\"selected\":-2}",
    "{\"type\":\"monitors\",\"list\":[{\"x\":0,\"y\":0,\"width\":5,\"height\":5}]}",
    "{\"type\":\"monitors\",\"list\":[{\"x\":0,\"y\":0,\"width\":5,\"height\":5,\"primary\":1}],"
      "\"selected\":0}",
    "{\"type\":\"monitors\",\"list\":[{\"x\":0,\"y\":0,\"width\":5,\"height\":5}],\"selected\":0,"
      "\"refused\":7}",
  };
  g_autoptr(GArray) monitors = g_array_new (FALSE, TRUE, sizeof (RhRdpMonitor));
  RhRdpMonitor a = { 0, 0, 1280, 800, TRUE }, b = { 1280, 100, 768, 600, FALSE };
  int index = 42, selected = 42;

  for (guint i = 0; i < G_N_ELEMENTS (bad_selects); i++)
    {
      g_autoptr(JsonObject) msg = parse (bad_selects[i]);
      g_autoptr(GError) error = NULL;

      g_assert_false (rh_monitor_parse_select (msg, 2, &index, &error));
      g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE);
      g_assert_cmpint (index, ==, 42);
    }
  for (int v = -3; v <= 3; v++)
    {
      g_autoptr(JsonObject) msg = rh_monitor_select_message (v);
      g_autoptr(GError) error = NULL;
      gboolean ok = rh_monitor_parse_select (msg, 2, &index, &error);

      if (v >= -1 && v <= 1)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpint (index, ==, v);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, RH_RDP_ERROR, RH_ERROR_MONITOR_INVALID);
        }
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_lists); i++)
    {
      g_autoptr(JsonObject) msg = parse (bad_lists[i]);
      g_autoptr(GError) error = NULL;
      g_autofree char *refusal = NULL;
      g_autoptr(GArray) list = rh_monitor_list_from_message (msg, &selected, &refusal, &error);

      g_test_message ("%s", bad_lists[i]);
      g_assert_null (list);
      g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE);
      g_assert_cmpint (selected, ==, 42);
    }

  /* A round trip, with a refusal. */
  g_array_append_val (monitors, a);
  g_array_append_val (monitors, b);
  {
    g_autoptr(GError) why = g_error_new_literal (RH_RDP_ERROR, RH_ERROR_MONITOR_INVALID, "no");
    g_autoptr(JsonObject) msg = rh_monitor_list_to_message (monitors, 1, why);
    g_autofree char *text = rh_message_to_string (msg);
    g_autoptr(JsonObject) back = parse (text);
    g_autoptr(GError) error = NULL;
    g_autofree char *refusal = NULL;
    g_autoptr(GArray) list = rh_monitor_list_from_message (back, &selected, &refusal, &error);
    g_autofree char *described = NULL;

    g_assert_no_error (error);
    g_assert_cmpuint (list->len, ==, 2);
    g_assert_cmpint (selected, ==, 1);
    g_assert_nonnull (strstr (refusal, "RH-7221"));
    g_assert_cmpint (g_array_index (list, RhRdpMonitor, 1).x, ==, 1280);
    g_assert_cmpint (g_array_index (list, RhRdpMonitor, 1).height, ==, 600);
    g_assert_true (g_array_index (list, RhRdpMonitor, 0).primary);
    described = rh_monitor_describe (list, selected);
    g_assert_cmpstr (described, ==, "2/2 768x600");
    g_free (described);
    described = rh_monitor_describe (list, -1);
    g_assert_cmpstr (described, ==, "all");
  }

  /* The command line. */
  g_assert_true (rh_monitor_parse_choice ("all", &index));
  g_assert_cmpint (index, ==, RH_RDP_MONITOR_ALL);
  g_assert_true (rh_monitor_parse_choice ("2", &index));
  g_assert_cmpint (index, ==, 1);
  g_assert_false (rh_monitor_parse_choice ("0", &index));
  g_assert_false (rh_monitor_parse_choice ("-1", &index));
  g_assert_false (rh_monitor_parse_choice ("2x", &index));
  g_assert_false (rh_monitor_parse_choice ("", &index));
  g_assert_false (rh_monitor_parse_choice ("17", &index));
  g_assert_false (rh_monitor_parse_choice (" 1", &index));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/session-monitors/messages", test_messages);
  g_test_add ("/session-monitors/one", Fixture, NULL, fixture_setup, test_one,
              fixture_teardown);
  g_test_add ("/session-monitors/left-then-all", Fixture, NULL, fixture_setup,
              test_left_then_all, fixture_teardown);
  g_test_add ("/session-monitors/laser", Fixture, NULL, fixture_setup, test_laser,
              fixture_teardown);
  g_test_add ("/session-monitors/refused", Fixture, NULL, fixture_setup, test_refused,
              fixture_teardown);
  return g_test_run ();
}
