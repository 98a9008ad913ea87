/* test-auth-prompt-guard.c: the sharer hides authentication prompts from the viewer (issue #6)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real Xvfb (1280x800) shared by an RhRdpSharer and watched by an RhRdpViewer (libfreerdp) in
 * this process. "Prompts" are windows with a polkit agent's WM_CLASS painted in a colour nothing
 * else uses; a paint hook on the viewer's FreeRDP thread looks at every rectangle the viewer
 * ever paints and counts pixels of that colour, so a single leaked frame fails the test, also
 * one sent in the moment right after the window mapped. Input is checked on the X server: the
 * pointer position and the key presses a window receives. Xvfb is stopped at the end.
 */
#define G_LOG_DOMAIN "rh-test"

#include "config.h"

#include <stdlib.h>
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
#include "rh-shadow-x11.h"
#include "rh-test-xvfb.h"

#define WIDTH 1280
#define HEIGHT 800
#define PROMPT_RGB 0x12ab34      /* the prompt's colour: nowhere else on screen */
#define PANEL_RGB 0x1e2a38       /* rh-shadow-x11.c's panel */
#define PROMPT_CLASS "polkit-gnome-authentication-agent-1"

static char *display_name;
static GPid xvfb_pid;
static char *runtime_dir;
static char *home_dir;
static Display *dpy;

static gint leaked_pixels;       /* (atomic) prompt-coloured pixels the viewer painted */
static gint paints;              /* (atomic) rectangles the viewer painted */

static gboolean
near (int a,
      int b)
{
  return ABS (a - b) <= 24;
}

static gboolean
is_prompt_colour (const guint8 *p)
{
  return near (p[2], (PROMPT_RGB >> 16) & 0xff) && near (p[1], (PROMPT_RGB >> 8) & 0xff) &&
         near (p[0], PROMPT_RGB & 0xff);
}

/* FreeRDP's thread, for every rectangle painted into the viewer's frame. */
static void
paint_hook (const guint8 *frame,
            int           width,
            int           height,
            int           x,
            int           y,
            int           w,
            int           h,
            gboolean      first,
            gpointer      user_data)
{
  int leaked = 0;

  for (int j = MAX (y, 0); j < MIN (y + h, height); j++)
    for (int i = MAX (x, 0); i < MIN (x + w, width); i++)
      if (is_prompt_colour (frame + ((gsize) j * width + i) * 4))
        leaked++;
  if (leaked)
    g_atomic_int_add (&leaked_pixels, leaked);
  g_atomic_int_inc (&paints);
}

/* ---- The shared screen ---- */

/* A window with @klass as WM_CLASS and the prompt colour as background, mapped. */
static Window
map_prompt (const char *klass,
            int         x,
            int         y,
            int         w,
            int         h)
{
  XSetWindowAttributes attrs = { .background_pixel = PROMPT_RGB, .override_redirect = True };
  XClassHint hint = { (char *) klass, (char *) klass };
  Window win = XCreateWindow (dpy, DefaultRootWindow (dpy), x, y, w, h, 0, CopyFromParent,
                              InputOutput, CopyFromParent, CWBackPixel | CWOverrideRedirect,
                              &attrs);

  XSetClassHint (dpy, win, &hint);
  XSelectInput (dpy, win, KeyPressMask | ButtonPressMask);
  XMapWindow (dpy, win);
  XSync (dpy, False);
  return win;
}

/* The screen's pixel at x,y (what uncovering a window leaves is the root's background). */
static guint32
screen_pixel (int x,
              int y)
{
  XImage *image = XGetImage (dpy, DefaultRootWindow (dpy), x, y, 1, 1, AllPlanes, ZPixmap);
  guint32 rgb;

  g_assert_nonnull (image);
  rgb = XGetPixel (image, 0, 0) & 0xffffff;
  XDestroyImage (image);
  return rgb;
}

static void
query_pointer (int *x,
               int *y)
{
  Window root, child;
  int wx, wy;
  unsigned int mask;

  XQueryPointer (dpy, DefaultRootWindow (dpy), &root, &child, x, y, &wx, &wy, &mask);
}

/* Key presses and button presses that reached @w during @ms. */
static int
events_for (Window w,
            int    ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;
  int n = 0;

  while (g_get_monotonic_time () < deadline)
    {
      rh_test_spin_ms (5);
      while (XPending (dpy))
        {
          XEvent ev;

          XNextEvent (dpy, &ev);
          if ((ev.type == KeyPress && ev.xkey.window == w) ||
              (ev.type == ButtonPress && ev.xbutton.window == w))
            n++;
        }
    }
  return n;
}

/* ---- A sharer and a viewer ---- */

typedef struct
{
  RhRdpSharer *sharer;
  RhRdpViewer *viewer;
} Session;

static void
session_start (Session      *s,
               RhRdpCapture  capture,
               const char   *klass)
{
  g_autoptr(GError) error = NULL;
  const char *classes[] = { klass, NULL };

  memset (s, 0, sizeof *s);
  s->sharer = rh_rdp_sharer_new (display_name, RH_RDP_MODE_CONTROL);
  rh_rdp_sharer_set_capture (s->sharer, capture);
  rh_rdp_sharer_set_guarded_classes (s->sharer, klass ? classes : NULL);
  rh_rdp_sharer_set_private_notice (s->sharer, "Password prompt hidden \xe2\x80\x94\n"
                                    "the person is typing privately");
  g_assert_true (rh_rdp_sharer_start (s->sharer, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rh_rdp_sharer_get_capture (s->sharer), ==, capture);

  s->viewer = rh_test_viewer_for (s->sharer, RH_RDP_MODE_CONTROL);
  rh_rdp_viewer_set_paint_hook (s->viewer, paint_hook, NULL);
  rh_test_viewer_connect_and_wait (s->viewer);
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

/* The viewer's pixel at x,y as 0xRRGGBB. */
static guint32
viewer_pixel (Session *s,
              int      x,
              int      y)
{
  g_autoptr(GBytes) frame = NULL;
  const guint8 *p;
  int w, h;

  frame = rh_rdp_viewer_get_frame (s->viewer, &w, &h);
  g_assert_nonnull (frame);
  g_assert_cmpint (w, ==, WIDTH);
  g_assert_cmpint (h, ==, HEIGHT);
  p = (const guint8 *) g_bytes_get_data (frame, NULL) + ((gsize) y * w + x) * 4;
  return ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0];
}

/* Waits until the viewer shows rgb at x,y (exactly). */
static gboolean
wait_viewer_pixel (Session *s,
                   int      x,
                   int      y,
                   guint32  rgb,
                   int      ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      if (viewer_pixel (s, x, y) == rgb)
        return TRUE;
      rh_test_spin_ms (20);
    }
  g_test_message ("viewer has %06x at %d,%d, wanted %06x", viewer_pixel (s, x, y), x, y, rgb);
  return FALSE;
}

/* Light pixels (the notice's letters) inside the panel at x,y,w,h of the viewer's frame. */
static int
notice_pixels (Session *s,
               int      x,
               int      y,
               int      w,
               int      h)
{
  g_autoptr(GBytes) frame = rh_rdp_viewer_get_frame (s->viewer, NULL, NULL);
  const guint8 *data = g_bytes_get_data (frame, NULL);
  int n = 0;

  for (int j = y + 6; j < y + h - 6; j++)
    for (int i = x + 6; i < x + w - 6; i++)
      {
        const guint8 *p = data + ((gsize) j * WIDTH + i) * 4;

        if (p[0] > 200 && p[1] > 200 && p[2] > 200)
          n++;
      }
  return n;
}

static gboolean
wait_private (Session  *s,
              gboolean  private,
              int       ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

  while (rh_rdp_sharer_is_private (s->sharer) != private && g_get_monotonic_time () < deadline)
    rh_test_spin_ms (10);
  return rh_rdp_sharer_is_private (s->sharer) == private;
}

/* Sends a pointer move, a click and text: none of it may reach the display. */
static void
assert_input_dropped (Session *s,
                      Window   target,
                      int      px,
                      int      py)
{
  g_autoptr(GError) error = NULL;
  int x, y;

  XWarpPointer (dpy, None, DefaultRootWindow (dpy), 0, 0, 0, 0, 5, 5);
  XSetInputFocus (dpy, target, RevertToParent, CurrentTime);
  XSync (dpy, False);
  g_assert_true (rh_rdp_viewer_send_pointer (s->viewer, px, py, 0, FALSE, &error));
  g_assert_true (rh_rdp_viewer_send_pointer (s->viewer, px, py, 1, TRUE, &error));
  g_assert_true (rh_rdp_viewer_send_pointer (s->viewer, px, py, 1, FALSE, &error));
  g_assert_true (rh_rdp_viewer_send_text (s->viewer, "secret", &error));
  g_assert_true (rh_rdp_viewer_send_key (s->viewer, 0x1c, FALSE, TRUE, &error));   /* Enter */
  g_assert_true (rh_rdp_viewer_send_key (s->viewer, 0x1c, FALSE, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (events_for (target, 1500), ==, 0);
  query_pointer (&x, &y);
  g_assert_cmpint (x, ==, 5);
  g_assert_cmpint (y, ==, 5);
}

static void
assert_input_reaches (Session *s,
                      int      px,
                      int      py)
{
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  int x, y;

  g_assert_true (rh_rdp_viewer_send_pointer (s->viewer, px, py, 0, FALSE, &error));
  g_assert_no_error (error);
  do
    {
      rh_test_spin_ms (20);
      query_pointer (&x, &y);
    }
  while ((x != px || y != py) && g_get_monotonic_time () < deadline);
  g_assert_cmpint (x, ==, px);
  g_assert_cmpint (y, ==, py);
}

/* ---- Tests ---- */

/* Our capture sees the prompt map by itself (the app's watcher has not said anything yet): the
 * viewer gets the paused frame with a notice panel where the prompt is and never a prompt
 * pixel; input is dropped; background changes do not go out; after the prompt goes, frames
 * resume with everything that changed meanwhile and input works again. */
static void
test_builtin_detects (void)
{
  Session s;
  Window prompt;
  RhShadowX11Stats before, after;

  rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, 0x404040);
  g_atomic_int_set (&leaked_pixels, 0);
  session_start (&s, RH_RDP_CAPTURE_BUILTIN, PROMPT_CLASS);
  g_assert_true (wait_viewer_pixel (&s, 640, 400, 0x404040, 10000));
  rh_shadow_x11_get_stats (&before);

  {
    gint64 t0 = g_get_monotonic_time ();

    prompt = map_prompt (PROMPT_CLASS, 400, 250, 480, 220);
    g_assert_true (wait_private (&s, TRUE, 5000));
    g_assert_true (wait_viewer_pixel (&s, 410, 300, PANEL_RGB, 10000));
    /* A measurement, not a target: how soon the viewer shows the notice. */
    g_test_message ("notice shown %.0f ms after the prompt mapped",
                    (g_get_monotonic_time () - t0) / 1000.0);
  }
  g_assert_true (wait_viewer_pixel (&s, 401, 251, 0xffcc00, 5000));   /* the panel's border */
  {
    int letters = notice_pixels (&s, 400, 250, 480, 220);

    g_test_message ("notice: %d light pixels", letters);
    g_assert_cmpint (letters, >, 300);
  }
  /* RH_TEST_SCREENSHOTS=dir keeps what the viewer showed, for a look at the notice. */
  if (g_getenv ("RH_TEST_SCREENSHOTS"))
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = g_build_filename (g_getenv ("RH_TEST_SCREENSHOTS"),
                                                "auth-prompt-masked.png", NULL);

      g_assert_true (rh_rdp_viewer_save_png (s.viewer, path, &error));
      g_assert_no_error (error);
    }
  /* The app's watcher would now set the same region: nothing changes for the viewer. */
  {
    RhRdpRect r = { 400, 250, 480, 220 };

    rh_rdp_sharer_set_private_regions (s.sharer, &r, 1);
  }

  /* Paused: the rest of the screen changes, the viewer keeps the old frame. */
  rh_test_x_fill (dpy, 0, 0, 200, 200, 0xc04000);
  rh_test_spin_ms (800);
  g_assert_cmpuint (viewer_pixel (&s, 100, 100), ==, 0x404040);

  assert_input_dropped (&s, prompt, 500, 300);

  XUnmapWindow (dpy, prompt);
  XSync (dpy, False);
  rh_rdp_sharer_set_private_regions (s.sharer, NULL, 0);
  g_assert_true (wait_private (&s, FALSE, 5000));
  g_assert_true (wait_viewer_pixel (&s, 100, 100, 0xc04000, 10000));
  g_assert_true (wait_viewer_pixel (&s, 410, 300, screen_pixel (410, 300), 10000));
  assert_input_reaches (&s, 600, 450);

  rh_shadow_x11_get_stats (&after);
  g_test_message ("masked frames %" G_GUINT64_FORMAT ", raced captures %" G_GUINT64_FORMAT,
                  after.masked_frames - before.masked_frames,
                  after.guard_trips - before.guard_trips);
  g_assert_cmpuint (after.masked_frames, >, before.masked_frames);
  g_assert_cmpint (g_atomic_int_get (&leaked_pixels), ==, 0);
  XDestroyWindow (dpy, prompt);
  XSync (dpy, False);
  session_stop (&s);
}

/* Prompts map and go again and again while the screen keeps changing, so captures run all the
 * time: not one prompt pixel reaches the viewer. */
static void
test_builtin_race (void)
{
  Session s;
  RhShadowX11Stats before, after;
  int leaked;

  rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, 0x303050);
  g_atomic_int_set (&leaked_pixels, 0);
  session_start (&s, RH_RDP_CAPTURE_BUILTIN, PROMPT_CLASS);
  rh_shadow_x11_get_stats (&before);
  for (int i = 0; i < 25; i++)
    {
      Window prompt;

      rh_test_x_fill (dpy, 20 * i, 600, 20, 100, i % 2 ? 0x800000 : 0x000080);
      prompt = map_prompt (PROMPT_CLASS, 100 + 30 * i, 100 + 10 * i, 300, 160);
      /* Draw into it too, as a dialog would. */
      {
        GC gc = XCreateGC (dpy, prompt, 0, NULL);

        XSetForeground (dpy, gc, PROMPT_RGB);
        XFillRectangle (dpy, prompt, gc, 0, 0, 300, 160);
        XFreeGC (dpy, gc);
        XSync (dpy, False);
      }
      rh_test_spin_ms (g_test_rand_int_range (0, 40));
      XDestroyWindow (dpy, prompt);
      XSync (dpy, False);
      rh_test_spin_ms (g_test_rand_int_range (0, 60));
    }
  g_assert_true (wait_private (&s, FALSE, 5000));
  rh_test_x_fill (dpy, 900, 100, 100, 100, 0x00c0c0);
  g_assert_true (wait_viewer_pixel (&s, 950, 150, 0x00c0c0, 10000));
  rh_shadow_x11_get_stats (&after);
  leaked = g_atomic_int_get (&leaked_pixels);
  g_test_message ("%d paints, masked frames %" G_GUINT64_FORMAT ", raced captures %"
                  G_GUINT64_FORMAT ", leaked pixels %d", g_atomic_int_get (&paints),
                  after.masked_frames - before.masked_frames,
                  after.guard_trips - before.guard_trips, leaked);
  g_assert_cmpint (leaked, ==, 0);
  session_stop (&s);
}

/* The app's path: the sharer sets a region (its watcher found a prompt, here by title, which
 * our capture does not look for). A window under the region never shows; clearing it resumes
 * normal frames, which then show it. */
static void
test_builtin_regions (void)
{
  Session s;
  Window w;
  RhRdpRect r = { 200, 150, 500, 300 };

  rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, 0x505050);
  g_atomic_int_set (&leaked_pixels, 0);
  session_start (&s, RH_RDP_CAPTURE_BUILTIN, NULL);
  rh_rdp_sharer_set_private_regions (s.sharer, &r, 1);
  g_assert_true (rh_rdp_sharer_is_private (s.sharer));
  g_assert_true (wait_viewer_pixel (&s, 210, 200, PANEL_RGB, 10000));
  w = map_prompt ("some-other-program", 250, 200, 300, 150);
  rh_test_spin_ms (1000);
  g_assert_cmpint (g_atomic_int_get (&leaked_pixels), ==, 0);
  assert_input_dropped (&s, w, 300, 250);

  /* The region moves with the window (and shrinks): the old place shows the paused frame. */
  r = (RhRdpRect) { 250, 200, 300, 150 };
  rh_rdp_sharer_set_private_regions (s.sharer, &r, 1);
  g_assert_true (wait_viewer_pixel (&s, 210, 170, 0x505050, 10000));
  g_assert_cmpuint (viewer_pixel (&s, 260, 210), ==, PANEL_RGB);
  g_assert_cmpint (g_atomic_int_get (&leaked_pixels), ==, 0);

  rh_rdp_sharer_set_private_regions (s.sharer, NULL, 0);
  /* Private until the capture thread has resumed (input stays dropped until then). */
  g_assert_true (wait_private (&s, FALSE, 5000));
  /* Not a prompt after all (as far as the guard knows): normal frames show it. */
  g_assert_true (wait_viewer_pixel (&s, 300, 250, PROMPT_RGB, 10000));
  assert_input_reaches (&s, 700, 500);
  XDestroyWindow (dpy, w);
  XSync (dpy, False);
  session_stop (&s);
}

/* Elevation granted: the guarded classes are taken away while a prompt is up, and the helper
 * sees it and may type; given back (elevation ended), the prompt already on screen is found
 * again and masked at once. */
static void
test_builtin_classes_switch (void)
{
  Session s;
  Window prompt;
  const char *classes[] = { PROMPT_CLASS, NULL };

  rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, 0x404040);
  session_start (&s, RH_RDP_CAPTURE_BUILTIN, PROMPT_CLASS);
  prompt = map_prompt (PROMPT_CLASS, 300, 200, 400, 200);
  g_assert_true (wait_private (&s, TRUE, 5000));
  g_assert_true (wait_viewer_pixel (&s, 310, 250, PANEL_RGB, 10000));

  rh_rdp_sharer_set_guarded_classes (s.sharer, NULL);
  g_assert_true (wait_private (&s, FALSE, 5000));
  g_assert_true (wait_viewer_pixel (&s, 310, 250, PROMPT_RGB, 10000));
  assert_input_reaches (&s, 500, 300);

  g_atomic_int_set (&leaked_pixels, 0);
  rh_rdp_sharer_set_guarded_classes (s.sharer, classes);
  g_assert_true (wait_private (&s, TRUE, 5000));
  g_assert_true (wait_viewer_pixel (&s, 310, 250, PANEL_RGB, 10000));
  g_assert_cmpint (g_atomic_int_get (&leaked_pixels), ==, 0);
  assert_input_dropped (&s, prompt, 400, 250);
  XDestroyWindow (dpy, prompt);
  XSync (dpy, False);
  g_assert_true (wait_private (&s, FALSE, 5000));
  session_stop (&s);
}

/* FreeRDP's capture cannot mask: while a region is set, no frame goes out at all and input is
 * dropped; cleared, frames come again (with what changed meanwhile). */
static void
test_stock_fails_closed (void)
{
  Session s;
  RhRdpRect r = { 100, 100, 300, 200 };
  Window w;
  int paints_before;
  gint64 deadline;
  gboolean seen = FALSE;

  rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, 0x000080);
  g_atomic_int_set (&leaked_pixels, 0);
  session_start (&s, RH_RDP_CAPTURE_STOCK, PROMPT_CLASS);
  rh_test_spin_ms (1500);   /* let the first frames settle */
  rh_rdp_sharer_set_private_regions (s.sharer, &r, 1);
  g_assert_true (rh_rdp_sharer_is_private (s.sharer));
  rh_test_spin_ms (300);
  paints_before = g_atomic_int_get (&paints);
  w = map_prompt (PROMPT_CLASS, 120, 120, 200, 120);
  rh_test_x_fill (dpy, 600, 400, 300, 200, 0xffff00);
  rh_test_spin_ms (2000);
  g_assert_cmpint (g_atomic_int_get (&paints), ==, paints_before);
  g_assert_cmpint (g_atomic_int_get (&leaked_pixels), ==, 0);
  assert_input_dropped (&s, w, 200, 150);
  g_assert_cmpint (g_atomic_int_get (&paints), ==, paints_before);

  XDestroyWindow (dpy, w);
  XSync (dpy, False);
  rh_rdp_sharer_set_private_regions (s.sharer, NULL, 0);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!seen && g_get_monotonic_time () < deadline)
    {
      guint32 p;

      rh_test_spin_ms (50);
      p = viewer_pixel (&s, 700, 500);
      seen = ((p >> 16) & 0xff) > 240 && ((p >> 8) & 0xff) > 240 && (p & 0xff) < 16;
    }
  g_assert_true (seen);
  g_assert_cmpint (g_atomic_int_get (&leaked_pixels), ==, 0);
  assert_input_reaches (&s, 640, 300);
  session_stop (&s);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  XInitThreads ();
  g_test_init (&argc, &argv, NULL);

  if (!g_find_program_in_path ("Xvfb"))
    {
      g_printerr ("Xvfb is not installed (see scripts/deps.sh)\n");
      return 1;
    }
  rh_test_private_home (&runtime_dir, &home_dir);

  display_name = rh_test_xvfb_start ("1280x800x24", &xvfb_pid);
  g_setenv ("DISPLAY", display_name, TRUE);
  dpy = XOpenDisplay (display_name);
  g_assert_nonnull (dpy);

  g_test_add_func ("/auth-prompt-guard/builtin-detects", test_builtin_detects);
  g_test_add_func ("/auth-prompt-guard/builtin-race", test_builtin_race);
  g_test_add_func ("/auth-prompt-guard/builtin-regions", test_builtin_regions);
  g_test_add_func ("/auth-prompt-guard/builtin-classes-switch", test_builtin_classes_switch);
  g_test_add_func ("/auth-prompt-guard/stock-fails-closed", test_stock_fails_closed);
  ret = g_test_run ();

  XCloseDisplay (dpy);
  rh_test_xvfb_stop (xvfb_pid);
  rh_test_rm_rf (runtime_dir);
  rh_test_rm_rf (home_dir);
  g_free (display_name);
  return ret;
}
