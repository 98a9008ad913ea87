/* test-rdp-monitors.c: sharing one monitor or all of them, switched during a session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real Xvfb of 2048x800 with two RandR 1.5 monitors set with `xrandr --setmonitor`: "L"
 * (1280x800 at 0,0, on Xvfb's output) and "R" (768x600 at 1280,100, on no output), so the two
 * differ in size and position and the corners of the screen belong to neither. Each area is
 * painted differently; an RhRdpSharer shares the display and an RhRdpViewer in this process
 * watches it. Each selection must give frames of exactly that area's size and content, and
 * the switch must happen in the running session (no reconnect). Xvfb is stopped at the end
 * (and dies with the test otherwise).
 */
#define G_LOG_DOMAIN "rh-test"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include "rh-error.h"
#include "rh-rdp-sharer.h"
#include "rh-rdp-viewer.h"
#include "rh-test-proc.h"
#include "rh-test-rdp.h"
#include "rh-test-x11.h"
#include "rh-test-xvfb.h"

#define SCREEN_W 2048
#define SCREEN_H 800

static char *display_name;
static GPid xvfb_pid;
static char *runtime_dir;
static char *home_dir;
static Display *dpy;

static const RhRdpMonitor left_monitor = { 0, 0, 1280, 800, FALSE };
static const RhRdpMonitor right_monitor = { 1280, 100, 768, 600, FALSE };

/* Each area its own colour, with a marker in its top-left corner so that an offset shows. */
static void
paint_screen (void)
{
  rh_test_x_fill (dpy, 0, 0, SCREEN_W, SCREEN_H, 0x30c040);                 /* outside both monitors */
  rh_test_x_fill (dpy, left_monitor.x, left_monitor.y, left_monitor.width, left_monitor.height, 0x2050a0);
  rh_test_x_fill (dpy, left_monitor.x, left_monitor.y, 40, 20, 0xffff00);
  rh_test_x_fill (dpy, right_monitor.x, right_monitor.y, right_monitor.width, right_monitor.height, 0xc03020);
  rh_test_x_fill (dpy, right_monitor.x, right_monitor.y, 30, 10, 0x00ffff);
  rh_test_x_fill (dpy, right_monitor.x + right_monitor.width - 7, right_monitor.y + right_monitor.height - 5,
        7, 5, 0xffffff);
}

/* ---- A session ---- */

typedef struct
{
  RhRdpSharer *sharer;
  RhRdpViewer *viewer;
  guint frames;
  gboolean disconnected;
} Session;

static void
on_frame_updated (RhRdpViewer *viewer,
                  int x, int y, int w, int h,
                  Session     *s)
{
  s->frames++;
}

static void
on_disconnected (RhRdpViewer *viewer,
                 GError      *error,
                 Session     *s)
{
  s->disconnected = TRUE;
}

static void
session_start_mode (Session      *s,
                    RhRdpCapture  capture,
                    int           monitor,
                    RhRdpMode     mode)
{
  g_autoptr(GError) error = NULL;

  memset (s, 0, sizeof *s);
  s->sharer = rh_rdp_sharer_new (display_name, mode);
  rh_rdp_sharer_set_capture (s->sharer, capture);
  g_assert_true (rh_rdp_sharer_select_monitor (s->sharer, monitor, &error));
  g_assert_no_error (error);
  g_assert_true (rh_rdp_sharer_start (s->sharer, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rh_rdp_sharer_get_capture (s->sharer), ==, capture);

  s->viewer = rh_test_viewer_for (s->sharer, mode);
  g_signal_connect (s->viewer, "frame-updated", G_CALLBACK (on_frame_updated), s);
  g_signal_connect (s->viewer, "disconnected", G_CALLBACK (on_disconnected), s);
  rh_test_viewer_connect_and_wait (s->viewer);
}

static void
session_start (Session      *s,
               RhRdpCapture  capture,
               int           monitor)
{
  session_start_mode (s, capture, monitor, RH_RDP_MODE_VIEW);
}

static void
session_stop (Session *s)
{
  g_signal_handlers_disconnect_by_data (s->viewer, s);
  rh_rdp_viewer_disconnect (s->viewer);
  g_clear_object (&s->viewer);
  rh_rdp_sharer_stop (s->sharer);
  g_clear_object (&s->sharer);
  rh_test_spin_ms (50);
}

/* Why the viewer's frame is not (yet) the area x,y w x h of the screen, or NULL. */
static char *
frame_mismatch (RhRdpViewer *viewer,
                int          x,
                int          y,
                int          w,
                int          h)
{
  g_autoptr(GBytes) frame = NULL;
  const guint8 *data;
  XImage *image;
  char *why = NULL;
  int fw = 0, fh = 0;

  frame = rh_rdp_viewer_get_frame (viewer, &fw, &fh);
  if (frame == NULL)
    return g_strdup ("no frame");
  if (fw != w || fh != h)
    return g_strdup_printf ("frame is %dx%d, not %dx%d", fw, fh, w, h);
  data = g_bytes_get_data (frame, NULL);
  image = XGetImage (dpy, DefaultRootWindow (dpy), x, y, w, h, AllPlanes, ZPixmap);
  g_assert_nonnull (image);
  for (int j = 0; j < h && !why; j++)
    for (int i = 0; i < w; i++)
      {
        const guint8 *p = data + ((gsize) j * w + i) * 4;     /* B G R A */
        guint32 want = XGetPixel (image, i, j) & 0xffffff;
        guint32 got = ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0];

        if (want != got)
          {
            why = g_strdup_printf ("pixel %d,%d is %06x, the screen has %06x", i, j, got, want);
            break;
          }
      }
  XDestroyImage (image);
  return why;
}

/* Waits until the viewer shows exactly that area of the screen. */
static void
assert_shows (Session *s,
              int      x,
              int      y,
              int      w,
              int      h)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  g_autofree char *why = NULL;

  for (;;)
    {
      guint before = s->frames;

      g_free (why);
      why = frame_mismatch (s->viewer, x, y, w, h);
      if (why == NULL)
        return;
      if (g_get_monotonic_time () > deadline)
        break;
      while (s->frames == before && g_get_monotonic_time () < deadline)
        if (!g_main_context_iteration (NULL, FALSE))
          g_usleep (2 * 1000);
    }
  g_error ("The viewer does not show %d,%d %dx%d: %s", x, y, w, h, why);
}

static void
assert_shows_monitor (Session            *s,
                      const RhRdpMonitor *m)
{
  gint64 start = g_get_monotonic_time ();

  assert_shows (s, m->x, m->y, m->width, m->height);
  /* For the report, not a target: how long until the viewer had the whole new picture. */
  g_test_message ("%dx%d shown exactly after %.0f ms", m->width, m->height,
                  (g_get_monotonic_time () - start) / 1000.0);
}

/* ---- Tests ---- */

static void
test_list (void)
{
  g_autoptr(RhRdpSharer) sharer = rh_rdp_sharer_new (display_name, RH_RDP_MODE_VIEW);
  g_autoptr(RhRdpSharer) nowhere = rh_rdp_sharer_new (":9999", RH_RDP_MODE_VIEW);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) monitors = rh_rdp_sharer_list_monitors (sharer, &error);
  g_autoptr(GArray) none = NULL;
  const RhRdpMonitor *m;

  g_assert_no_error (error);
  g_assert_nonnull (monitors);
  g_assert_cmpuint (monitors->len, ==, 2);
  /* Left to right, whatever order the server keeps them in ("R" was set last). */
  m = &g_array_index (monitors, RhRdpMonitor, 0);
  g_assert_cmpint (m->x, ==, left_monitor.x);
  g_assert_cmpint (m->y, ==, left_monitor.y);
  g_assert_cmpint (m->width, ==, left_monitor.width);
  g_assert_cmpint (m->height, ==, left_monitor.height);
  m = &g_array_index (monitors, RhRdpMonitor, 1);
  g_assert_cmpint (m->x, ==, right_monitor.x);
  g_assert_cmpint (m->y, ==, right_monitor.y);
  g_assert_cmpint (m->width, ==, right_monitor.width);
  g_assert_cmpint (m->height, ==, right_monitor.height);

  none = rh_rdp_sharer_list_monitors (nowhere, &error);
  g_assert_null (none);
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_MONITOR_LIST);
}

/* All, then each monitor, then all again, in one running session: the frames have the size
 * and content of what is selected, and later changes on the selected monitor arrive. */
static void
test_switch (void)
{
  g_autoptr(GError) error = NULL;
  Session s;

  paint_screen ();
  session_start (&s, RH_RDP_CAPTURE_BUILTIN, RH_RDP_MONITOR_ALL);
  assert_shows (&s, 0, 0, SCREEN_W, SCREEN_H);

  g_assert_true (rh_rdp_sharer_select_monitor (s.sharer, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rh_rdp_sharer_get_monitor (s.sharer), ==, 1);
  assert_shows_monitor (&s, &right_monitor);
  /* A change on the shared monitor arrives at the right place ... */
  rh_test_x_fill (dpy, right_monitor.x + 100, right_monitor.y + 50, 20, 20, 0x123456);
  assert_shows_monitor (&s, &right_monitor);

  g_assert_true (rh_rdp_sharer_select_monitor (s.sharer, 0, &error));
  g_assert_no_error (error);
  assert_shows_monitor (&s, &left_monitor);
  rh_test_x_fill (dpy, left_monitor.x + 1270, left_monitor.y + 790, 10, 10, 0xabcdef);
  assert_shows_monitor (&s, &left_monitor);

  g_assert_true (rh_rdp_sharer_select_monitor (s.sharer, RH_RDP_MONITOR_ALL, &error));
  g_assert_no_error (error);
  assert_shows (&s, 0, 0, SCREEN_W, SCREEN_H);

  /* Out of range: refused, and what is shared stays. */
  g_assert_false (rh_rdp_sharer_select_monitor (s.sharer, 2, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_MONITOR_INVALID);
  g_clear_error (&error);
  g_assert_false (rh_rdp_sharer_select_monitor (s.sharer, -2, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_MONITOR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (rh_rdp_sharer_get_monitor (s.sharer), ==, RH_RDP_MONITOR_ALL);
  rh_test_x_fill (dpy, 5, 5, 10, 10, 0x654321);
  assert_shows (&s, 0, 0, SCREEN_W, SCREEN_H);

  /* The viewer stayed connected through all of it. */
  g_assert_false (s.disconnected);
  session_stop (&s);
  paint_screen ();
}

/* Selected before the start: the first frame is already that monitor. */
static void
test_before_start (void)
{
  Session s;

  paint_screen ();
  session_start (&s, RH_RDP_CAPTURE_BUILTIN, 1);
  assert_shows_monitor (&s, &right_monitor);
  session_stop (&s);
}

/* In control, the helper's pointer lands on the shared monitor: viewer coordinates are the
 * monitor's, whichever is shared. */
static void
test_input (void)
{
  g_autoptr(GError) error = NULL;
  Session s;
  const struct { int monitor; int x, y; int want_x, want_y; } cases[] = {
    { 1, 10, 20, 1290, 120 },
    { 0, 700, 500, 700, 500 },
    { 1, 767, 599, 2047, 699 },
    { RH_RDP_MONITOR_ALL, 1500, 50, 1500, 50 },
  };

  paint_screen ();
  session_start_mode (&s, RH_RDP_CAPTURE_BUILTIN, RH_RDP_MONITOR_ALL, RH_RDP_MODE_CONTROL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
      int x = -1, y = -1;

      g_assert_true (rh_rdp_sharer_select_monitor (s.sharer, cases[i].monitor, &error));
      g_assert_no_error (error);
      if (cases[i].monitor >= 0)
        assert_shows_monitor (&s, cases[i].monitor == 0 ? &left_monitor : &right_monitor);
      else
        assert_shows (&s, 0, 0, SCREEN_W, SCREEN_H);
      g_assert_true (rh_rdp_viewer_send_pointer (s.viewer, cases[i].x, cases[i].y, 0, FALSE,
                                                 &error));
      g_assert_no_error (error);
      while (g_get_monotonic_time () < deadline)
        {
          Window root, child;
          int wx, wy;
          unsigned int mask;

          rh_test_spin_ms (50);
          XQueryPointer (dpy, DefaultRootWindow (dpy), &root, &child, &x, &y, &wx, &wy, &mask);
          if (x == cases[i].want_x && y == cases[i].want_y)
            break;
        }
      g_assert_cmpint (x, ==, cases[i].want_x);
      g_assert_cmpint (y, ==, cases[i].want_y);
    }
  session_stop (&s);
}

/* FreeRDP's stock capture picks one monitor itself (the X server's first, "L" here) and can
 * change nothing while it runs: the sharer says which, and refuses the others. */
static void
test_stock (void)
{
  g_autoptr(GError) error = NULL;
  Session s;

  paint_screen ();
  session_start (&s, RH_RDP_CAPTURE_STOCK, RH_RDP_MONITOR_ALL);
  g_assert_cmpint (rh_rdp_sharer_get_monitor (s.sharer), ==, 0);
  assert_shows_monitor (&s, &left_monitor);
  g_assert_false (rh_rdp_sharer_select_monitor (s.sharer, 1, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_MONITOR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_false (rh_rdp_sharer_select_monitor (s.sharer, RH_RDP_MONITOR_ALL, &error));
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_MONITOR_UNSUPPORTED);
  g_clear_error (&error);
  /* What it already shares is fine. */
  g_assert_true (rh_rdp_sharer_select_monitor (s.sharer, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rh_rdp_sharer_get_monitor (s.sharer), ==, 0);
  session_stop (&s);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  XInitThreads ();
  g_test_init (&argc, &argv, NULL);

  if (!g_find_program_in_path ("Xvfb") || !g_find_program_in_path ("xrandr"))
    {
      g_printerr ("Xvfb or xrandr is not installed (see scripts/deps.sh)\n");
      return 1;
    }
  rh_test_private_home (&runtime_dir, &home_dir);

  display_name = rh_test_xvfb_start ("2048x800x24", &xvfb_pid);
  g_setenv ("DISPLAY", display_name, TRUE);
  {
    /* "L" takes over Xvfb's output (so its own whole-screen monitor goes away); "R" has
     * none. */
    const char *left[] = { "xrandr", "-d", display_name, "--setmonitor", "L",
                            "1280/338x800/211+0+0", "screen", NULL };
    const char *right[] = { "xrandr", "-d", display_name, "--setmonitor", "R",
                            "768/203x600/158+1280+100", "none", NULL };

    rh_test_run_ok (left);
    rh_test_run_ok (right);
  }
  dpy = XOpenDisplay (display_name);
  g_assert_nonnull (dpy);

  g_test_add_func ("/rdp-monitors/list", test_list);
  g_test_add_func ("/rdp-monitors/switch", test_switch);
  g_test_add_func ("/rdp-monitors/before-start", test_before_start);
  g_test_add_func ("/rdp-monitors/input", test_input);
  g_test_add_func ("/rdp-monitors/stock", test_stock);
  ret = g_test_run ();

  XCloseDisplay (dpy);
  rh_test_xvfb_stop (xvfb_pid);
  {
    const char *rm[] = { "rm", "-rf", runtime_dir, home_dir, NULL };

    rh_test_run_ok (rm);
  }
  return ret;
}
