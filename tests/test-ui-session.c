/* test-ui-session.c: the session windows under Xvfb, against a real sharer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two Xvfb servers, both started here (-displayfd, PR_SET_PDEATHSIG): the "helper" display
 * shows our GTK windows; the "sharer" display is shared by an RhRdpSharer in this process,
 * with a known background colour. An RhRdpViewer connects to the sharer's socket with its
 * one-time credentials and certificate pin, and an RhSessionWindow shows it. We check pixels
 * in screenshots of the helper display and where xdotool clicks land on the sharer display.
 * Runs inside dbus-run-session (see tests/meson.build). Screenshots go to
 * $RH_TEST_BUILDDIR/screenshots/.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <X11/Xlib.h>

#include "rh-error.h"
#include "rh-rdp-sharer.h"
#include "rh-rdp-viewer.h"
#include "rh-remote-view.h"
#include "rh-session-window.h"
#include "rh-sharer-window.h"
#include "rh-test-proc.h"
#include "rh-test-rdp.h"
#include "rh-test-ui.h"

#define SHARER_W 1024
#define SHARER_H 768
/* #3366cc */
#define COLOUR_R 0x33
#define COLOUR_G 0x66
#define COLOUR_B 0xcc

static char *ui_display;
static char *sharer_display;
static GSubprocess *ui_xvfb;
static GSubprocess *sharer_xvfb;
static char *screenshot_dir;

/* ---- Screenshots ---- */

static void
assert_shot_colour (RhTestShot *shot,
                    int         x,
                    int         y,
                    int         r,
                    int         g,
                    int         b)
{
  guint32 px = rh_test_shot_pixel (shot, x, y);

  if (ABS ((int) ((px >> 16) & 0xff) - r) > 6 || ABS ((int) ((px >> 8) & 0xff) - g) > 6 ||
      ABS ((int) (px & 0xff) - b) > 6)
    g_error ("pixel (%d,%d) is #%06x, expected #%02x%02x%02x", x, y, px, r, g, b);
}

/* ---- Windows ---- */

/* ---- The keyboard table ---- */

static void
test_keycodes (void)
{
  static const struct
  {
    guint keycode;      /* X11 keycode: evdev + 8 */
    guint32 scancode;
    gboolean extended;
  } cases[] = {
    { 9, 0x01, FALSE },    /* Escape */
    { 10, 0x02, FALSE },   /* 1 */
    { 22, 0x0e, FALSE },   /* BackSpace */
    { 23, 0x0f, FALSE },   /* Tab */
    { 24, 0x10, FALSE },   /* q (US) */
    { 36, 0x1c, FALSE },   /* Return */
    { 37, 0x1d, FALSE },   /* Control_L */
    { 38, 0x1e, FALSE },   /* a */
    { 50, 0x2a, FALSE },   /* Shift_L */
    { 62, 0x36, FALSE },   /* Shift_R */
    { 64, 0x38, FALSE },   /* Alt_L */
    { 65, 0x39, FALSE },   /* space */
    { 66, 0x3a, FALSE },   /* Caps_Lock */
    { 67, 0x3b, FALSE },   /* F1 */
    { 79, 0x47, FALSE },   /* KP_7 (not Home) */
    { 90, 0x52, FALSE },   /* KP_0 (not Insert) */
    { 94, 0x56, FALSE },   /* the ISO key left of Z */
    { 95, 0x57, FALSE },   /* F11 */
    { 96, 0x58, FALSE },   /* F12 */
    { 104, 0x1c, TRUE },   /* KP_Enter */
    { 105, 0x1d, TRUE },   /* Control_R */
    { 106, 0x35, TRUE },   /* KP_Divide */
    { 107, 0x37, TRUE },   /* Print */
    { 108, 0x38, TRUE },   /* Alt_R / AltGr */
    { 110, 0x47, TRUE },   /* Home */
    { 111, 0x48, TRUE },   /* Up */
    { 112, 0x49, TRUE },   /* Prior */
    { 113, 0x4b, TRUE },   /* Left */
    { 114, 0x4d, TRUE },   /* Right */
    { 115, 0x4f, TRUE },   /* End */
    { 116, 0x50, TRUE },   /* Down */
    { 117, 0x51, TRUE },   /* Next */
    { 118, 0x52, TRUE },   /* Insert */
    { 119, 0x53, TRUE },   /* Delete */
    { 133, 0x5b, TRUE },   /* Super_L */
    { 134, 0x5c, TRUE },   /* Super_R */
    { 135, 0x5d, TRUE },   /* Menu */
  };
  guint32 scancode;
  gboolean extended;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_true (rh_keycode_to_rdp_scancode (cases[i].keycode, &scancode, &extended));
      if (scancode != cases[i].scancode || extended != cases[i].extended)
        g_error ("keycode %u: got 0x%02x%s, expected 0x%02x%s", cases[i].keycode, scancode,
                 extended ? " extended" : "", cases[i].scancode,
                 cases[i].extended ? " extended" : "");
    }
  /* No scancode: below the X11 range, unassigned, and far beyond the table */
  g_assert_false (rh_keycode_to_rdp_scancode (0, &scancode, &extended));
  g_assert_false (rh_keycode_to_rdp_scancode (8, &scancode, &extended));
  g_assert_false (rh_keycode_to_rdp_scancode (84 + 8, &scancode, &extended));
  g_assert_false (rh_keycode_to_rdp_scancode (700, &scancode, &extended));
  g_assert_cmpuint (scancode, ==, 0);
}

/* ---- Texture update strategy: tiles vs one texture per frame ---- */

typedef struct
{
  gboolean painted;
  gint64 layout_start;
  gint64 paint_us;
} PaintWait;

static void
on_before_paint (GdkFrameClock *clock,
                 PaintWait     *wait)
{
  if (wait->layout_start == 0)
    wait->layout_start = g_get_monotonic_time ();
}

static void
on_after_paint (GdkFrameClock *clock,
                PaintWait     *wait)
{
  if (wait->layout_start != 0)
    wait->paint_us += g_get_monotonic_time () - wait->layout_start;
  wait->layout_start = 0;
  wait->painted = TRUE;
}

/* Returns the main thread's time per update: copying and making textures, then GTK's
 * snapshot, upload and render (before-paint to after-paint), without the wait for the next
 * frame-clock tick. */
static double
measure_updates (RhRemoteView  *view,
                 GdkFrameClock *clock,
                 guint8        *frame,
                 int            damage_w,
                 int            damage_h,
                 int            n,
                 double        *update_ms)
{
  PaintWait wait = { 0 };
  gulong id1 = g_signal_connect (clock, "before-paint", G_CALLBACK (on_before_paint), &wait);
  gulong id2 = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &wait);
  gint64 update_us = 0;

  for (int i = 0; i < n; i++)
    {
      int x = (i * 97) % (1920 - damage_w + 1), y = (i * 61) % (1080 - damage_h + 1);
      gint64 t0;

      /* Change the damaged pixels, as a real update would */
      for (int row = y; row < y + damage_h; row++)
        memset (frame + ((gsize) row * 1920 + (gsize) x) * 4, (i * 37) & 0xff,
                (gsize) damage_w * 4);
      wait.painted = FALSE;
      wait.layout_start = 0;
      t0 = g_get_monotonic_time ();
      rh_remote_view_update (view, frame, 1920, 1080, x, y, damage_w, damage_h);
      update_us += g_get_monotonic_time () - t0;
      g_assert_true (rh_test_spin_flag (&wait.painted, 5000));
    }
  g_signal_handler_disconnect (clock, id1);
  g_signal_handler_disconnect (clock, id2);
  *update_ms = update_us / 1000.0 / n;
  return (update_us + wait.paint_us) / 1000.0 / n;
}

static void
test_texture_strategy (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = rh_remote_view_new ();
  g_autofree guint8 *frame = g_malloc ((gsize) 1920 * 1080 * 4);
  GdkFrameClock *clock;
  const char *renderer;
  struct { const char *name; int w, h; } damages[] = {
    { "64x64", 64, 64 }, { "400x300", 400, 300 }, { "full", 1920, 1080 },
  };

  for (gsize i = 0; i < (gsize) 1920 * 1080; i++)
    ((guint32 *) (gpointer) frame)[i] = 0xff000000u | (guint32) (i * 2654435761u >> 8);

  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 700);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  rh_test_wait_mapped (window);
  clock = gtk_widget_get_frame_clock (view);
  renderer = G_OBJECT_TYPE_NAME (gtk_native_get_renderer (gtk_widget_get_native (view)));

  for (int tiled = 1; tiled >= 0; tiled--)
    {
      rh_remote_view_set_tiled (RH_REMOTE_VIEW (view), tiled);
      double update_ms;

      measure_updates (RH_REMOTE_VIEW (view), clock, frame, 1920, 1080, 3,
                       &update_ms);   /* warm up */
      for (gsize d = 0; d < G_N_ELEMENTS (damages); d++)
        {
          double ms = measure_updates (RH_REMOTE_VIEW (view), clock, frame, damages[d].w,
                                       damages[d].h, 40, &update_ms);

          /* Visible in the test log as a table */
          g_printerr ("texture-strategy %s %-11s damage %-8s update %6.2f ms, "
                      "update+paint %6.2f ms\n", renderer, tiled ? "tiles-256" : "whole-frame",
                      damages[d].name, update_ms, ms);
        }
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ---- The helper's window against a real sharer ---- */

static void
sharer_pointer (int *x,
                int *y)
{
  const char *argv[] = { "xdotool", "getmouselocation", "--shell", NULL };
  g_autofree char *out = rh_test_run_x (sharer_display, argv);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);

  *x = *y = -1;
  for (int i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "X="))
        *x = atoi (lines[i] + 2);
      else if (g_str_has_prefix (lines[i], "Y="))
        *y = atoi (lines[i] + 2);
    }
}

static void
park_sharer_pointer (void)
{
  const char *park[] = { "xdotool", "mousemove", "10", "10", NULL };
  int x, y;

  g_free (rh_test_run_x (sharer_display, park));
  sharer_pointer (&x, &y);
  g_assert_cmpint (x, ==, 10);
  g_assert_cmpint (y, ==, 10);
}

/* Clicks at a point of the view (widget coordinates) with xdotool on the helper's display. */
static void
click_view (GtkWidget *view,
            double     x,
            double     y)
{
  g_autofree char *xid = rh_test_window_xid (view);
  g_autofree char *sx = NULL, *sy = NULL;
  int ix, iy;

  rh_test_widget_to_surface (view, x, y, &ix, &iy);
  sx = g_strdup_printf ("%d", ix);
  sy = g_strdup_printf ("%d", iy);
  {
    const char *argv[] = { "xdotool", "mousemove", "--window", xid, sx, sy, "click", "1", NULL };

    g_free (rh_test_run_x (ui_display, argv));
  }
}

/* Starts xev on the sharer's root window and waits until it reports a key that xdotool
 * pressed there, so nothing we send later can be missed. */
static GSubprocess *
start_sharer_watch (const char *log)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  GSubprocess *xev;
  const char *marker[] = { "xdotool", "key", "F12", NULL };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, rh_test_die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "DISPLAY", sharer_display, TRUE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  xev = g_subprocess_launcher_spawn (launcher, &error, "xev", "-root", "-event", "keyboard",
                                     "-event", "button", NULL);
  g_assert_no_error (error);
  for (;;)
    {
      g_autofree char *text = NULL;

      g_free (rh_test_run_x (sharer_display, marker));
      rh_test_sleep_ms (100);
      if (g_file_get_contents (log, &text, NULL, NULL) && strstr (text, "F12") != NULL)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  return xev;
}

/* Waits until every needle is in the log. */
static void
wait_log (const char         *log,
          const char * const *needles)
{
  gint64 deadline = g_get_monotonic_time () + 8 * G_USEC_PER_SEC;
  g_autofree char *text = NULL;

  for (;;)
    {
      gboolean all = TRUE;

      g_clear_pointer (&text, g_free);
      g_file_get_contents (log, &text, NULL, NULL);
      for (int i = 0; needles[i] != NULL && all; i++)
        all = text != NULL && strstr (text, needles[i]) != NULL;
      if (all)
        return;
      if (g_get_monotonic_time () > deadline)
        break;
      rh_test_sleep_ms (100);
    }
  g_error ("the sharer's display did not receive everything; xev saw:\n%s", text);
}

static void
test_helper_window (void)
{
  g_autoptr (RhRdpSharer) sharer = rh_rdp_sharer_new (sharer_display, RH_RDP_MODE_CONTROL);
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (RhTestShot) shot = NULL;
  g_autofree char *xid = NULL;
  const char *xsetroot[] = { "xsetroot", "-solid", "#3366cc", NULL };
  RhTestConnect res = { 0 };
  gboolean first_frame = FALSE, requested = FALSE, left = FALSE;
  RhSessionWindow *window;
  GtkWidget *view;
  graphene_rect_t area;
  double vx, vy, scale;
  int expect_x, expect_y, px, py, sx, sy;
  gint64 deadline;

  const char *pointer_aside[] = { "xdotool", "mousemove", "700", "150", NULL };

  g_free (rh_test_run_x (sharer_display, xsetroot));
  /* The view draws the sharer's cursor: keep it away from the pixels sampled below. */
  g_free (rh_test_run_x (sharer_display, pointer_aside));
  g_assert_true (rh_rdp_sharer_start (sharer, &error));
  g_assert_no_error (error);
  viewer = rh_test_viewer_for (sharer, RH_RDP_MODE_CONTROL);
  g_signal_connect (viewer, "first-frame", G_CALLBACK (rh_test_on_flag), &first_frame);

  window = rh_session_window_new (NULL, viewer, RH_RDP_MODE_CONTROL, "Alice Example");
  g_signal_connect (window, "request-control", G_CALLBACK (rh_test_on_flag), &requested);
  g_signal_connect (window, "leave", G_CALLBACK (rh_test_on_flag), &left);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 640);
  gtk_window_present (GTK_WINDOW (window));
  view = GTK_WIDGET (rh_session_window_get_remote_view (window));

  rh_rdp_viewer_connect_async (viewer, NULL, rh_test_connect_cb, &res);
  g_assert_true (rh_test_spin_flag (&res.done, 30000));
  g_assert_no_error (res.error);
  g_assert_true (res.ok);
  g_assert_true (rh_test_spin_flag (&first_frame, 20000));
  rh_test_wait_mapped (GTK_WIDGET (window));
  rh_test_sleep_ms (500);

  /* The remote screen is drawn, scaled to fit, with the sharer's colour */
  g_assert_true (rh_remote_view_get_fit (RH_REMOTE_VIEW (view)));
  g_assert_true (rh_remote_view_get_screen_area (RH_REMOTE_VIEW (view), &area));
  scale = area.size.width / SHARER_W;
  g_assert_cmpfloat (ABS (area.size.height / SHARER_H - scale), <, 0.01);
  g_assert_cmpfloat (scale, <, 1.0);
  xid = rh_test_window_xid (view);
  shot = rh_test_shot_take (ui_display, screenshot_dir, xid, "session-window-control.png");
  rh_test_widget_to_surface (view, area.origin.x + area.size.width / 2,
                     area.origin.y + area.size.height / 2, &sx, &sy);
  assert_shot_colour (shot, sx, sy, COLOUR_R, COLOUR_G, COLOUR_B);
  rh_test_widget_to_surface (view, area.origin.x + 3, area.origin.y + 3, &sx, &sy);
  assert_shot_colour (shot, sx, sy, COLOUR_R, COLOUR_G, COLOUR_B);
  g_clear_pointer (&shot, rh_test_shot_free);

  /* A click in control mode lands where it was aimed on the sharer's screen */
  park_sharer_pointer ();
  vx = area.origin.x + area.size.width * 0.30;
  vy = area.origin.y + area.size.height * 0.60;
  expect_x = (int) ((vx - area.origin.x) / scale);
  expect_y = (int) ((vy - area.origin.y) / scale);
  click_view (view, vx, vy);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  do
    {
      rh_test_sleep_ms (100);
      sharer_pointer (&px, &py);
    }
  while ((ABS (px - expect_x) > 3 || ABS (py - expect_y) > 3) &&
         g_get_monotonic_time () < deadline);
  g_test_message ("clicked the view at (%.0f,%.0f): sharer pointer at (%d,%d), expected (%d,%d)",
                  vx, vy, px, py, expect_x, expect_y);
  g_assert_cmpint (ABS (px - expect_x), <=, 3);
  g_assert_cmpint (ABS (py - expect_y), <=, 3);

  /* Keys (by hardware keycode, extended ones included) and the wheel reach the sharer; the
   * click gave the view the keyboard focus. */
  {
    g_autofree char *log = g_build_filename (g_get_home_dir (), "xev.log", NULL);
    GSubprocess *xev = start_sharer_watch (log);
    const char *keys[] = { "xdotool", "key", "a", "Home", "Control_R", "KP_Divide", NULL };
    const char *wheel[] = { "xdotool", "click", "5", NULL };
    const char *expected[] = { "(keysym 0x61, a)", "Home", "Control_R", "KP_Divide",
                               "button 5", NULL };

    g_assert_true (gtk_widget_has_focus (view));
    g_free (rh_test_run_x (ui_display, keys));
    g_free (rh_test_run_x (ui_display, wheel));
    wait_log (log, expected);
    rh_test_proc_kill (&xev);
  }

  /* 1:1: the same remote point is now at its own pixel offset */
  gtk_widget_activate_action (GTK_WIDGET (window), "session.fit", NULL);
  g_assert_false (rh_remote_view_get_fit (RH_REMOTE_VIEW (view)));
  rh_test_sleep_ms (500);
  g_assert_true (rh_remote_view_get_screen_area (RH_REMOTE_VIEW (view), &area));
  g_assert_cmpfloat (area.size.width, ==, SHARER_W);
  park_sharer_pointer ();
  click_view (view, area.origin.x + 200, area.origin.y + 150);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  do
    {
      rh_test_sleep_ms (100);
      sharer_pointer (&px, &py);
    }
  while ((ABS (px - 200) > 2 || ABS (py - 150) > 2) && g_get_monotonic_time () < deadline);
  g_assert_cmpint (ABS (px - 200), <=, 2);
  g_assert_cmpint (ABS (py - 150), <=, 2);
  g_clear_pointer (&shot, rh_test_shot_free);
  shot = rh_test_shot_take (ui_display, screenshot_dir, xid, "session-window-1to1.png");
  gtk_widget_activate_action (GTK_WIDGET (window), "session.fit", NULL);
  g_assert_true (rh_remote_view_get_fit (RH_REMOTE_VIEW (view)));
  rh_test_sleep_ms (300);

  /* An authentication prompt on the sharer's screen (issue #6): the sharer covers it with its
   * notice panel, and the window shows the banner until it is gone. */
  {
    RhRdpRect prompt = { SHARER_W / 4, SHARER_H / 4, SHARER_W / 2, SHARER_H / 2 };

    g_assert_false (rh_session_window_get_auth_prompt_masked (window));
    rh_rdp_sharer_set_private_regions (sharer, &prompt, 1);
    rh_session_window_set_auth_prompt_masked (window, TRUE);
    g_assert_true (rh_session_window_get_auth_prompt_masked (window));
    rh_test_sleep_ms (1500);
    g_assert_true (rh_remote_view_get_screen_area (RH_REMOTE_VIEW (view), &area));
    g_clear_pointer (&shot, rh_test_shot_free);
    shot = rh_test_shot_take (ui_display, screenshot_dir, xid, "session-window-auth-prompt.png");
    /* Between the notice's lines: the panel's own colour. */
    rh_test_widget_to_surface (view, area.origin.x + area.size.width * 0.30,
                       area.origin.y + area.size.height * 0.30, &sx, &sy);
    assert_shot_colour (shot, sx, sy, 0x1e, 0x2a, 0x38);
    rh_rdp_sharer_set_private_regions (sharer, NULL, 0);
    rh_session_window_set_auth_prompt_masked (window, FALSE);
    g_assert_false (rh_session_window_get_auth_prompt_masked (window));
    rh_test_sleep_ms (1500);
    g_assert_true (rh_remote_view_get_screen_area (RH_REMOTE_VIEW (view), &area));
    g_clear_pointer (&shot, rh_test_shot_free);
    shot = rh_test_shot_take (ui_display, screenshot_dir, xid, "session-window-auth-prompt-clear.png");
    rh_test_widget_to_surface (view, area.origin.x + area.size.width * 0.30,
                       area.origin.y + area.size.height * 0.30, &sx, &sy);
    assert_shot_colour (shot, sx, sy, COLOUR_R, COLOUR_G, COLOUR_B);
  }

  /* View only: nothing is sent, the window says so and offers to ask for control */
  rh_session_window_set_mode (window, RH_RDP_MODE_VIEW);
  rh_rdp_viewer_set_mode (viewer, RH_RDP_MODE_VIEW);
  g_assert_cmpint (rh_remote_view_get_mode (RH_REMOTE_VIEW (view)), ==, RH_RDP_MODE_VIEW);
  g_assert_nonnull (gtk_widget_get_tooltip_text (view));
  rh_test_sleep_ms (300);
  g_clear_pointer (&shot, rh_test_shot_free);
  shot = rh_test_shot_take (ui_display, screenshot_dir, xid, "session-window-view.png");
  g_assert_true (rh_remote_view_get_screen_area (RH_REMOTE_VIEW (view), &area));
  park_sharer_pointer ();
  click_view (view, area.origin.x + area.size.width * 0.7, area.origin.y + area.size.height * 0.3);
  rh_test_sleep_ms (1000);
  sharer_pointer (&px, &py);
  g_assert_cmpint (px, ==, 10);
  g_assert_cmpint (py, ==, 10);

  gtk_widget_activate_action (GTK_WIDGET (window), "session.request-control", NULL);
  g_assert_true (requested);

  /* Leaving asks first; "Stay" keeps the session */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "session.leave", NULL));
  rh_test_sleep_ms (500);
  {
    GListModel *toplevels = gtk_window_get_toplevels ();
    AdwMessageDialog *dialog = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr (GObject) item = g_list_model_get_item (toplevels, i);

        if (ADW_IS_MESSAGE_DIALOG (item))
          dialog = ADW_MESSAGE_DIALOG (item);
      }
    g_assert_nonnull (dialog);
    g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "End the session?");
    {
      g_autofree char *dialog_xid = rh_test_window_xid (GTK_WIDGET (dialog));
      g_autoptr (RhTestShot) dialog_shot = rh_test_shot_take (ui_display, screenshot_dir, "root", "session-leave-dialog.png");

      (void) dialog_xid;
    }
    adw_message_dialog_response (dialog, "cancel");
    rh_test_sleep_ms (200);
    g_assert_false (left);

    /* Closing the window asks the same; "End Session" ends it */
    gtk_window_close (GTK_WINDOW (window));
    rh_test_sleep_ms (300);
    dialog = NULL;
    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr (GObject) item = g_list_model_get_item (toplevels, i);

        if (ADW_IS_MESSAGE_DIALOG (item))
          dialog = ADW_MESSAGE_DIALOG (item);
      }
    g_assert_nonnull (dialog);
    g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
    adw_message_dialog_response (dialog, "leave");
    rh_test_sleep_ms (200);
    g_assert_true (left);
    g_assert_null (window);
  }

  rh_rdp_viewer_disconnect (viewer);
  rh_rdp_sharer_stop (sharer);
}

static void
on_disconnected (RhRdpViewer *viewer,
                 GError      *error,
                 gboolean    *flag)
{
  *flag = TRUE;
}

/* When the sharer goes away, the window says the session ended and closes without asking. */
static void
test_helper_window_lost (void)
{
  g_autoptr (RhRdpSharer) sharer = rh_rdp_sharer_new (sharer_display, RH_RDP_MODE_CONTROL);
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (RhTestShot) shot = NULL;
  g_autofree char *xid = NULL;
  RhTestConnect res = { 0 };
  gboolean first_frame = FALSE, disconnected = FALSE, left = FALSE;
  RhSessionWindow *window;
  GtkWidget *view;

  g_assert_true (rh_rdp_sharer_start (sharer, &error));
  g_assert_no_error (error);
  viewer = rh_test_viewer_for (sharer, RH_RDP_MODE_CONTROL);
  g_signal_connect (viewer, "first-frame", G_CALLBACK (rh_test_on_flag), &first_frame);
  g_signal_connect (viewer, "disconnected", G_CALLBACK (on_disconnected), &disconnected);
  window = rh_session_window_new (NULL, viewer, RH_RDP_MODE_CONTROL, "Alice Example");
  g_signal_connect (window, "leave", G_CALLBACK (rh_test_on_flag), &left);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 640);
  gtk_window_present (GTK_WINDOW (window));
  view = GTK_WIDGET (rh_session_window_get_remote_view (window));

  rh_rdp_viewer_connect_async (viewer, NULL, rh_test_connect_cb, &res);
  g_assert_true (rh_test_spin_flag (&res.done, 30000));
  g_assert_no_error (res.error);
  g_assert_true (rh_test_spin_flag (&first_frame, 20000));
  rh_test_wait_mapped (GTK_WIDGET (window));

  rh_rdp_sharer_stop (sharer);
  g_assert_true (rh_test_spin_flag (&disconnected, 20000));
  rh_test_sleep_ms (300);
  g_assert_cmpint (rh_remote_view_get_mode (RH_REMOTE_VIEW (view)), ==, RH_RDP_MODE_VIEW);
  xid = rh_test_window_xid (view);
  shot = rh_test_shot_take (ui_display, screenshot_dir, xid, "session-window-ended.png");

  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_close (GTK_WINDOW (window));
  rh_test_sleep_ms (200);
  g_assert_null (window);
  g_assert_false (left);
}

/* ---- The sharer's window ---- */

static void
test_sharer_window (void)
{
  g_autoptr (RhIdentityCard) card = rh_identity_card_new ();
  g_autoptr (RhTestShot) shot = NULL;
  g_autofree char *xid = NULL;
  RhSharerWindow *window;
  gboolean stopped = FALSE;
  int width, height;

  card->role = g_strdup ("helper");
  card->login = g_strdup ("bob");
  card->display_name = g_strdup ("Bob Helper");
  card->job_title = g_strdup ("IT support");
  card->company = g_strdup ("Example Corp");
  card->domain = g_strdup ("example.org");

  window = rh_sharer_window_new (NULL, card, RH_RDP_MODE_CONTROL);
  g_signal_connect (window, "stop", G_CALLBACK (rh_test_on_flag), &stopped);
  gtk_window_present (GTK_WINDOW (window));
  rh_test_wait_mapped (GTK_WIDGET (window));
  width = gtk_widget_get_width (GTK_WIDGET (window));
  height = gtk_widget_get_height (GTK_WIDGET (window));
  g_test_message ("sharer window %dx%d", width, height);
  g_assert_cmpint (width, <=, 480);
  g_assert_cmpint (height, <=, 320);
  xid = rh_test_window_xid (GTK_WIDGET (window));
  shot = rh_test_shot_take (ui_display, screenshot_dir, xid, "sharer-window-control.png");

  rh_sharer_window_set_mode (window, RH_RDP_MODE_VIEW);
  rh_test_sleep_ms (300);
  g_clear_pointer (&shot, rh_test_shot_free);
  shot = rh_test_shot_take (ui_display, screenshot_dir, xid, "sharer-window-view.png");

  /* Closing stops sharing; the window stays until the session layer destroys it */
  gtk_window_close (GTK_WINDOW (window));
  rh_test_sleep_ms (100);
  g_assert_true (stopped);
  stopped = FALSE;
  gtk_widget_activate_action (GTK_WIDGET (window), "sharer.stop", NULL);
  g_assert_false (stopped);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = NULL;
  int status;

  /* The sharer embeds the X11 shadow subsystem in this process. */
  XInitThreads ();
  g_test_init (&argc, &argv, NULL);

  if (!g_find_program_in_path ("Xvfb") || !g_find_program_in_path ("xdotool") ||
      !g_find_program_in_path ("import"))
    {
      g_printerr ("Xvfb, xdotool and ImageMagick's import are needed\n");
      /* scripts/test.sh installs them: there a missing tool is a failure, not a skip. */
      return g_getenv ("RH_TEST_STRICT") != NULL ? 1 : 77;
    }

  home = rh_test_ui_env ("rh-test-ui-session-XXXXXX", &screenshot_dir);

  ui_xvfb = rh_test_xvfb_spawn ("1280x800x24", &ui_display);
  sharer_xvfb = rh_test_xvfb_spawn ("1024x768x24", &sharer_display);
  g_setenv ("DISPLAY", ui_display, TRUE);
  adw_init ();

  g_test_add_func ("/ui-session/keycodes", test_keycodes);
  g_test_add_func ("/ui-session/texture-strategy", test_texture_strategy);
  g_test_add_func ("/ui-session/helper-window", test_helper_window);
  g_test_add_func ("/ui-session/helper-window-lost", test_helper_window_lost);
  g_test_add_func ("/ui-session/sharer-window", test_sharer_window);
  status = g_test_run ();

  rh_test_proc_kill (&sharer_xvfb);
  rh_test_proc_kill (&ui_xvfb);
  return status;
}
