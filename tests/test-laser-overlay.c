/* test-laser-overlay.c: the laser-pointer overlay on a private Xvfb
 *
 * A white "application" window lies under the shared area and records clicks. The test reads
 * the screen with XGetImage on the root, clicks with XTest at the dot, and checks that the
 * overlay never moved the pointer, let the click through, disappears when hidden or idle, and
 * ignores bad coordinates. Xvfb has no compositor, so AUTO picks the shaped window; ARGB is
 * forced once to check its drawing too.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XTest.h>

#include "rh-error.h"
#include "rh-laser-overlay.h"
#include "rh-test-xvfb.h"

#define WHITE 0xffffffU
static char *display_name;

static void
pump (int ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2 * 1000);
    }
}

static guint32
pixel_at (Display *dpy,
          int      x,
          int      y)
{
  XImage *image = XGetImage (dpy, DefaultRootWindow (dpy), x, y, 1, 1, AllPlanes, ZPixmap);
  guint32 value;

  g_assert_nonnull (image);
  value = (guint32) XGetPixel (image, 0, 0) & 0xffffff;
  XDestroyImage (image);
  return value;
}

/* Runs the main loop until the pixel has (or, with @equal FALSE, no longer has) @rgb. */
static void
wait_pixel (Display *dpy,
            int      x,
            int      y,
            guint32  rgb,
            gboolean equal)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint32 got;

  while (((got = pixel_at (dpy, x, y)) == rgb) != equal)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Pixel (%d,%d) is %06x, expected %s%06x", x, y, got, equal ? "" : "not ", rgb);
      pump (10);
    }
}

typedef struct
{
  Display *dpy;
  Window   window;
} TestApp;

/* A white window over the whole screen that listens for clicks, like any application. */
static TestApp
below_new (void)
{
  TestApp b;
  XSetWindowAttributes attrs = { .background_pixel = WHITE, .override_redirect = True,
                                 .event_mask = ButtonPressMask | ButtonReleaseMask };
  Display *dpy = XOpenDisplay (display_name);

  g_assert_nonnull (dpy);
  b.dpy = dpy;
  b.window = XCreateWindow (dpy, DefaultRootWindow (dpy), 0, 0,
                            DisplayWidth (dpy, 0), DisplayHeight (dpy, 0), 0, CopyFromParent,
                            InputOutput, CopyFromParent,
                            CWBackPixel | CWOverrideRedirect | CWEventMask, &attrs);
  XMapRaised (dpy, b.window);
  XSync (dpy, False);
  wait_pixel (dpy, 5, 5, WHITE, TRUE);
  return b;
}

static void
below_free (TestApp *b)
{
  XDestroyWindow (b->dpy, b->window);
  XCloseDisplay (b->dpy);
}

static void
pointer (Display *dpy,
         int     *x,
         int     *y)
{
  Window root, child;
  int wx, wy;
  unsigned int mask;

  g_assert_true (XQueryPointer (dpy, DefaultRootWindow (dpy), &root, &child, x, y, &wx, &wy,
                                &mask));
}

static void
test_bad_setup (void)
{
  g_autoptr(GError) error = NULL;
  RhLaserArea outside = { 600, 400, 500, 500 };
  RhLaserArea empty = { 0, 0, 0, 100 };
  RhLaserArea negative = { -10, 0, 100, 100 };
  RhLaserArea huge = { 1, 1, G_MAXINT, G_MAXINT };

  g_assert_null (rh_laser_overlay_new (":65000", NULL, RH_LASER_MODE_AUTO, &error));
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_OVERLAY);
  g_clear_error (&error);
  g_assert_null (rh_laser_overlay_new (display_name, &outside, RH_LASER_MODE_AUTO, &error));
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_OVERLAY);
  g_clear_error (&error);
  g_assert_null (rh_laser_overlay_new (display_name, &empty, RH_LASER_MODE_AUTO, &error));
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_OVERLAY);
  g_clear_error (&error);
  g_assert_null (rh_laser_overlay_new (display_name, &negative, RH_LASER_MODE_AUTO, &error));
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_OVERLAY);
  g_clear_error (&error);
  g_assert_null (rh_laser_overlay_new (display_name, &huge, RH_LASER_MODE_AUTO, &error));
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_OVERLAY);
}

static void
test_dot_and_click (void)
{
  TestApp below = below_new ();
  Display *dpy = below.dpy;
  RhLaserArea area = { 100, 50, 401, 301 };   /* a "monitor" inside the screen */
  g_autoptr(RhLaserOverlay) laser = NULL;
  g_autoptr(GError) error = NULL;
  int px0, py0, px, py;
  int dx = 100 + 200, dy = 50 + 75;           /* (0.5, 0.25) of the area */
  gboolean clicked = FALSE;
  gint64 deadline;

  /* Park the pointer somewhere known, away from the dot. */
  XTestFakeMotionEvent (dpy, 0, 620, 460, CurrentTime);
  XSync (dpy, False);
  pointer (dpy, &px0, &py0);

  laser = rh_laser_overlay_new (display_name, &area, RH_LASER_MODE_AUTO, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rh_laser_overlay_get_mode (laser), ==, RH_LASER_MODE_SHAPED);  /* no WM */
  g_assert_false (rh_laser_overlay_is_visible (laser));

  g_assert_true (rh_laser_overlay_move (laser, 0.5, 0.25));
  g_assert_true (rh_laser_overlay_is_visible (laser));
  wait_pixel (dpy, dx, dy, RH_LASER_DOT_RGB, TRUE);
  /* Only the dot: a few pixels beside it, and the rest of the area, stay as they were. */
  g_assert_cmpuint (pixel_at (dpy, dx + 30, dy), ==, WHITE);
  g_assert_cmpuint (pixel_at (dpy, 100 + 5, 50 + 5), ==, WHITE);
  g_assert_cmpuint (pixel_at (dpy, 100 + 395, 50 + 295), ==, WHITE);

  /* The overlay never moved the pointer. */
  pointer (dpy, &px, &py);
  g_assert_cmpint (px, ==, px0);
  g_assert_cmpint (py, ==, py0);

  /* A window mapped later covers the dot: the overlay goes back on top of it. */
  {
    XSetWindowAttributes attrs = { .background_pixel = 0x0000ff, .override_redirect = True };
    Window cover = XCreateWindow (dpy, DefaultRootWindow (dpy), dx - 50, dy - 50, 100, 100, 0,
                                  CopyFromParent, InputOutput, CopyFromParent,
                                  CWBackPixel | CWOverrideRedirect, &attrs);

    XMapRaised (dpy, cover);
    XSync (dpy, False);
    g_assert_true (rh_laser_overlay_move (laser, 0.5, 0.25));
    wait_pixel (dpy, dx + 30, dy, 0x0000ff, TRUE);
    wait_pixel (dpy, dx, dy, RH_LASER_DOT_RGB, TRUE);
    XDestroyWindow (dpy, cover);
    XSync (dpy, False);
    wait_pixel (dpy, dx + 30, dy, WHITE, TRUE);
  }

  /* A click on the dot reaches the window below, at the dot's position. */
  XTestFakeMotionEvent (dpy, 0, dx, dy, CurrentTime);
  XTestFakeButtonEvent (dpy, 1, True, CurrentTime);
  XTestFakeButtonEvent (dpy, 1, False, CurrentTime);
  XSync (dpy, False);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!clicked && g_get_monotonic_time () < deadline)
    {
      while (XPending (dpy) > 0)
        {
          XEvent event;

          XNextEvent (dpy, &event);
          if (event.type == ButtonPress && event.xbutton.window == below.window)
            {
              g_assert_cmpint (event.xbutton.x, ==, dx);
              g_assert_cmpint (event.xbutton.y, ==, dy);
              clicked = TRUE;
            }
        }
      pump (10);
    }
  g_assert_true (clicked);
  g_assert_true (rh_laser_overlay_is_visible (laser));

  /* Corners of the area map to its corner pixels. */
  g_assert_true (rh_laser_overlay_move (laser, 1.0, 1.0));
  wait_pixel (dpy, 100 + 400, 50 + 300, RH_LASER_DOT_RGB, TRUE);
  g_assert_true (rh_laser_overlay_move (laser, 0.0, 0.0));
  wait_pixel (dpy, 100, 50, RH_LASER_DOT_RGB, TRUE);
  /* The earlier positions fade out of the trail. */
  wait_pixel (dpy, dx, dy, WHITE, TRUE);
  wait_pixel (dpy, 100 + 400, 50 + 300, WHITE, TRUE);

  /* Bad coordinates are dropped and move nothing. */
  g_assert_true (rh_laser_overlay_move (laser, 0.0, 0.0));
  {
    const double bad[][2] = { { NAN, 0.5 }, { 0.5, NAN }, { INFINITY, 0.5 }, { 0.5, -INFINITY },
                              { -0.01, 0.5 }, { 0.5, 1.01 }, { 2, 2 }, { -1e300, 1e300 } };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      g_assert_false (rh_laser_overlay_move (laser, bad[i][0], bad[i][1]));
    pump (100);
    g_assert_cmpuint (pixel_at (dpy, 100, 50), ==, RH_LASER_DOT_RGB);
  }

  /* Hidden: gone now, and bad input does not bring it back. */
  rh_laser_overlay_hide (laser);
  g_assert_false (rh_laser_overlay_is_visible (laser));
  wait_pixel (dpy, 100, 50, WHITE, TRUE);
  g_assert_false (rh_laser_overlay_move (laser, NAN, NAN));
  g_assert_false (rh_laser_overlay_is_visible (laser));

  /* Idle: it fades out by itself. */
  g_assert_true (rh_laser_overlay_move (laser, 0.5, 0.5));
  wait_pixel (dpy, 100 + 200, 50 + 150, RH_LASER_DOT_RGB, TRUE);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (rh_laser_overlay_is_visible (laser) && g_get_monotonic_time () < deadline)
    pump (20);
  g_assert_false (rh_laser_overlay_is_visible (laser));
  wait_pixel (dpy, 100 + 200, 50 + 150, WHITE, TRUE);

  pointer (dpy, &px, &py);
  g_assert_cmpint (px, ==, dx);   /* where the test's own click left it */
  g_assert_cmpint (py, ==, dy);
  below_free (&below);
}

/* A flood of positions is coalesced: it neither blocks nor grows anything; the last one wins.
 * How long it takes is printed, not asserted. */
static void
test_flood (void)
{
  TestApp below = below_new ();
  g_autoptr(RhLaserOverlay) laser = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;
  const int n = 100000;

  laser = rh_laser_overlay_new (display_name, NULL, RH_LASER_MODE_AUTO, &error);
  g_assert_no_error (error);
  start = g_get_monotonic_time ();
  for (int i = 0; i < n; i++)
    g_assert_true (rh_laser_overlay_move (laser, (i % 1000) / 999.0, 0.5));
  g_test_message ("%d moves in %.1f ms", n, (g_get_monotonic_time () - start) / 1000.0);
  g_assert_true (rh_laser_overlay_move (laser, 0.25, 0.75));
  wait_pixel (below.dpy, (int) round (0.25 * (DisplayWidth (below.dpy, 0) - 1)),
              (int) round (0.75 * (DisplayHeight (below.dpy, 0) - 1)), RH_LASER_DOT_RGB, TRUE);
  rh_laser_overlay_hide (laser);
  below_free (&below);
}

/* ARGB forced on a display without compositor: the dot's pixels are still the dot colour and a
 * click still goes through (what a compositor would blend is not checked here). */
static void
test_argb (void)
{
  TestApp below = below_new ();
  g_autoptr(RhLaserOverlay) laser = NULL;
  g_autoptr(GError) error = NULL;
  gboolean clicked = FALSE;
  gint64 deadline;

  laser = rh_laser_overlay_new (display_name, NULL, RH_LASER_MODE_ARGB, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rh_laser_overlay_get_mode (laser), ==, RH_LASER_MODE_ARGB);
  g_assert_true (rh_laser_overlay_move (laser, 0.0, 0.0));
  wait_pixel (below.dpy, 0, 0, RH_LASER_DOT_RGB, TRUE);
  XTestFakeMotionEvent (below.dpy, 0, 200, 200, CurrentTime);
  XTestFakeButtonEvent (below.dpy, 1, True, CurrentTime);
  XTestFakeButtonEvent (below.dpy, 1, False, CurrentTime);
  XSync (below.dpy, False);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!clicked && g_get_monotonic_time () < deadline)
    {
      while (XPending (below.dpy) > 0)
        {
          XEvent event;

          XNextEvent (below.dpy, &event);
          clicked = clicked || (event.type == ButtonPress && event.xbutton.window == below.window);
        }
      pump (10);
    }
  g_assert_true (clicked);
  rh_laser_overlay_hide (laser);
  wait_pixel (below.dpy, 0, 0, WHITE, TRUE);
  below_free (&below);
}

int
main (int   argc,
      char *argv[])
{
  GPid xvfb = 0;
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  display_name = rh_test_xvfb_start ("640x480x24", &xvfb);
  g_test_message ("Xvfb on %s", display_name);

  g_test_add_func ("/laser-overlay/bad-setup", test_bad_setup);
  g_test_add_func ("/laser-overlay/dot-and-click", test_dot_and_click);
  g_test_add_func ("/laser-overlay/flood", test_flood);
  g_test_add_func ("/laser-overlay/argb", test_argb);
  status = g_test_run ();
  rh_test_xvfb_stop (xvfb);
  return status;
}
