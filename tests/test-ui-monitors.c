/* test-ui-monitors.c: the monitor chooser and the sharer's "Sharing monitor N of M" (issue #6)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two Xvfb servers started here (-displayfd, killed at the end and with the test): the "helper"
 * display shows our GTK windows; the "sharer" display is 2048x800 with two RandR monitors made
 * with `xrandr --setmonitor` (1280x800 at 0,0 painted blue, 768x600 at 1280,100 painted red),
 * shared by an RhRdpSharer in this process and watched by an RhRdpViewer in an RhSessionWindow.
 * The chooser is hidden until the sharer has several monitors; picking "Monitor 2" with a real
 * click (xdotool) emits "monitor-selected", which the test passes to the sharer as the session
 * layer would; the remote view then shows the red monitor alone. Runs inside dbus-run-session.
 * Screenshots go to $RH_TEST_BUILDDIR/screenshots/.
 */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <X11/Xlib.h>

#include "rh-identity-card.h"
#include "rh-rdp-sharer.h"
#include "rh-rdp-viewer.h"
#include "rh-remote-view.h"
#include "rh-session-window.h"
#include "rh-sharer-window.h"
#include "rh-test-proc.h"
#include "rh-test-rdp.h"
#include "rh-test-ui.h"
#include "rh-test-x11.h"

static char *ui_display;
static char *sharer_display;
static GSubprocess *ui_xvfb;
static GSubprocess *sharer_xvfb;
static char *screenshot_dir;

/* ---- Screenshots and widgets ---- */

static gboolean
near_colour (guint32 px,
             guint32 rgb)
{
  return ABS ((int) ((px >> 16) & 0xff) - (int) ((rgb >> 16) & 0xff)) <= 6 &&
         ABS ((int) ((px >> 8) & 0xff) - (int) ((rgb >> 8) & 0xff)) <= 6 &&
         ABS ((int) (px & 0xff) - (int) (rgb & 0xff)) <= 6;
}

/* A real click in the middle of a widget, on whatever surface it is in. */
static void
click_widget (GtkWidget *widget)
{
  g_autofree char *xid = rh_test_window_xid (widget);
  g_autofree char *sx = NULL, *sy = NULL;
  int ix, iy;

  rh_test_widget_to_surface (widget, gtk_widget_get_width (widget) / 2.0,
                     gtk_widget_get_height (widget) / 2.0, &ix, &iy);
  sx = g_strdup_printf ("%d", ix);
  sy = g_strdup_printf ("%d", iy);
  {
    const char *argv[] = { "xdotool", "mousemove", "--window", xid, sx, sy, "click", "1", NULL };

    g_free (rh_test_run_x (ui_display, argv));
  }
}

static void
find_widgets (GtkWidget *root,
              GType      type,
              GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    g_ptr_array_add (found, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    find_widgets (child, type, found);
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
  g_autoptr (GPtrArray) found = g_ptr_array_new ();

  find_widgets (root, type, found);
  g_assert_cmpuint (found->len, ==, 1);
  return found->pdata[0];
}

/* The label of the list row (in the drop-down's popover) that says `text`. */
static GtkWidget *
find_label (GtkWidget  *root,
            const char *text)
{
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();

  find_widgets (root, GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    if (gtk_widget_get_mapped (labels->pdata[i]) &&
        g_strcmp0 (gtk_label_get_label (labels->pdata[i]), text) == 0)
      return labels->pdata[i];
  return NULL;
}

/* ---- The test ---- */

static void
on_monitor_selected (RhSessionWindow *window,
                     int              index,
                     int             *out)
{
  *out = index;
}

/* Waits until the remote screen as drawn in the window has colour `rgb` at (fx, fy), fractions
 * of its width and height. */
static gboolean
view_shows (RhSessionWindow *window,
            double           fx,
            double           fy,
            guint32          rgb,
            const char      *name)
{
  GtkWidget *view = GTK_WIDGET (rh_session_window_get_remote_view (window));
  g_autofree char *xid = rh_test_window_xid (view);
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  guint32 px = 0;

  do
    {
      g_autoptr (RhTestShot) shot = NULL;
      graphene_rect_t area;
      int sx, sy;

      rh_test_sleep_ms (300);
      if (!rh_remote_view_get_screen_area (RH_REMOTE_VIEW (view), &area))
        continue;
      shot = rh_test_shot_take (ui_display, screenshot_dir, xid, name);
      rh_test_widget_to_surface (view, area.origin.x + area.size.width * fx,
                         area.origin.y + area.size.height * fy, &sx, &sy);
      px = rh_test_shot_pixel (shot, sx, sy);
      if (near_colour (px, rgb))
        return TRUE;
    }
  while (g_get_monotonic_time () < deadline);
  g_test_message ("the view shows #%06x, not #%06x", px, rgb);
  return FALSE;
}

static void
test_chooser (void)
{
  g_autoptr (RhRdpSharer) sharer = rh_rdp_sharer_new (sharer_display, RH_RDP_MODE_VIEW);
  g_autoptr (RhRdpViewer) viewer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) monitors = NULL;
  g_autoptr (GArray) one = g_array_new (FALSE, TRUE, sizeof (RhRdpMonitor));
  RhTestConnect res = { 0 };
  gboolean first_frame = FALSE;
  int chosen = -2, width = 0, height = 0;
  RhSessionWindow *window;
  GtkWidget *chooser, *row;
  GListModel *model;

  g_assert_true (rh_rdp_sharer_start (sharer, &error));
  g_assert_no_error (error);
  monitors = rh_rdp_sharer_list_monitors (sharer, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (monitors->len, ==, 2);
  viewer = rh_test_viewer_for (sharer, RH_RDP_MODE_VIEW);
  g_signal_connect (viewer, "first-frame", G_CALLBACK (rh_test_on_flag), &first_frame);
  window = rh_session_window_new (NULL, viewer, RH_RDP_MODE_VIEW, "Alice Example");
  g_signal_connect (window, "monitor-selected", G_CALLBACK (on_monitor_selected), &chosen);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 640);
  gtk_window_present (GTK_WINDOW (window));
  rh_rdp_viewer_connect_async (viewer, NULL, rh_test_connect_cb, &res);
  g_assert_true (rh_test_spin_flag (&res.done, 30000));
  g_assert_no_error (res.error);
  g_assert_true (rh_test_spin_flag (&first_frame, 20000));
  rh_test_wait_mapped (GTK_WIDGET (window));

  /* Before the sharer's list, and with one monitor: no chooser. */
  chooser = find_widget (GTK_WIDGET (window), GTK_TYPE_DROP_DOWN);
  g_assert_false (gtk_widget_get_visible (chooser));
  g_array_append_val (one, g_array_index (monitors, RhRdpMonitor, 0));
  rh_session_window_set_monitors (window, one, RH_RDP_MONITOR_ALL);
  g_assert_false (gtk_widget_get_visible (chooser));

  /* Two monitors, all shared: the chooser says so; setting it emitted nothing. */
  rh_session_window_set_monitors (window, monitors, RH_RDP_MONITOR_ALL);
  g_assert_true (gtk_widget_get_visible (chooser));
  g_assert_cmpint (chosen, ==, -2);
  model = gtk_drop_down_get_model (GTK_DROP_DOWN (chooser));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), 0), ==,
                   "All Monitors");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), 1), ==,
                   "Monitor 1 (1280×800)");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), 2), ==,
                   "Monitor 2 (768×600)");
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (chooser)), ==, 0);
  /* The whole screen: blue on the left, red on the right, green beside them. */
  g_assert_true (view_shows (window, 0.1, 0.1, 0x2050a0, "monitors-all.png"));
  g_assert_true (view_shows (window, 0.75, 0.75, 0xc03020, "monitors-all.png"));
  g_assert_true (view_shows (window, 0.97, 0.04, 0x30c040, "monitors-all.png"));

  /* The person opens the chooser and clicks "Monitor 2". */
  rh_test_sleep_ms (300);
  click_widget (chooser);
  row = NULL;
  for (int i = 0; i < 50 && row == NULL; i++)
    {
      rh_test_sleep_ms (100);
      row = find_label (chooser, "Monitor 2 (768×600)");
    }
  g_assert_nonnull (row);
  {
    /* The popover is a window of its own: the whole screen shows both. */
    g_autoptr (RhTestShot) open = rh_test_shot_take (ui_display, screenshot_dir, "root", "monitors-chooser-open.png");
  }
  click_widget (row);
  for (int i = 0; i < 50 && chosen == -2; i++)
    rh_test_sleep_ms (100);
  g_assert_cmpint (chosen, ==, 1);

  /* What the session layer does: the sharer switches, the list comes back. */
  g_assert_true (rh_rdp_sharer_select_monitor (sharer, chosen, &error));
  g_assert_no_error (error);
  rh_session_window_set_monitors (window, monitors, chosen);
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (chooser)), ==, 2);
  /* The red monitor alone, at its size: red in every corner. */
  g_assert_true (view_shows (window, 0.05, 0.05, 0xc03020, "monitors-one.png"));
  {
    g_autoptr (GBytes) frame = NULL;
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    do
      {
        g_clear_pointer (&frame, g_bytes_unref);
        rh_test_sleep_ms (100);
        frame = rh_rdp_viewer_get_frame (viewer, &width, &height);
      }
    while ((width != 768 || height != 600) && g_get_monotonic_time () < deadline);
  }
  g_assert_cmpint (width, ==, 768);
  g_assert_cmpint (height, ==, 600);
  g_assert_true (view_shows (window, 0.95, 0.95, 0xc03020, "monitors-one.png"));
  g_assert_true (view_shows (window, 0.95, 0.05, 0xc03020, "monitors-one.png"));

  rh_rdp_viewer_disconnect (viewer);
  gtk_window_destroy (GTK_WINDOW (window));
  rh_rdp_sharer_stop (sharer);
  rh_test_sleep_ms (100);
}

static void
test_sharer_window (void)
{
  g_autoptr (RhIdentityCard) card = rh_identity_card_new ();
  g_autoptr (RhTestShot) shot = NULL;
  g_autofree char *xid = NULL;
  RhSharerWindow *window;
  GtkWidget *label;

  card->role = g_strdup ("helper");
  card->login = g_strdup ("bob");
  card->display_name = g_strdup ("Bob Helper");
  window = rh_sharer_window_new (NULL, card, RH_RDP_MODE_VIEW);
  gtk_window_present (GTK_WINDOW (window));
  rh_test_wait_mapped (GTK_WIDGET (window));

  rh_sharer_window_set_monitor (window, RH_RDP_MONITOR_ALL, 1);
  g_assert_null (find_label (GTK_WIDGET (window), "Sharing all monitors"));
  rh_sharer_window_set_monitor (window, RH_RDP_MONITOR_ALL, 2);
  rh_test_sleep_ms (200);
  g_assert_nonnull (find_label (GTK_WIDGET (window), "Sharing all monitors"));
  rh_sharer_window_set_monitor (window, 1, 2);
  rh_test_sleep_ms (300);
  label = find_label (GTK_WIDGET (window), "Sharing monitor 2 of 2");
  g_assert_nonnull (label);
  xid = rh_test_window_xid (GTK_WIDGET (window));
  shot = rh_test_shot_take (ui_display, screenshot_dir, xid, "sharer-window-monitor.png");
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = NULL;
  Display *dpy;
  int status;

  XInitThreads ();
  g_test_init (&argc, &argv, NULL);

  if (!g_find_program_in_path ("Xvfb") || !g_find_program_in_path ("xdotool") ||
      !g_find_program_in_path ("import") || !g_find_program_in_path ("xrandr"))
    {
      g_printerr ("Xvfb, xrandr, xdotool and ImageMagick's import are needed\n");
      return g_getenv ("RH_TEST_STRICT") != NULL ? 1 : 77;
    }

  home = rh_test_ui_env ("rh-test-ui-monitors-XXXXXX", &screenshot_dir);
  g_setenv ("LANGUAGE", "C", TRUE);

  ui_xvfb = rh_test_xvfb_spawn ("1280x800x24", &ui_display);
  sharer_xvfb = rh_test_xvfb_spawn ("2048x800x24", &sharer_display);
  {
    const char *left[] = { "xrandr", "--setmonitor", "L", "1280/338x800/211+0+0", "screen",
                           NULL };
    const char *right[] = { "xrandr", "--setmonitor", "R", "768/203x600/158+1280+100", "none",
                            NULL };

    g_free (rh_test_run_x (sharer_display, left));
    g_free (rh_test_run_x (sharer_display, right));
  }
  dpy = XOpenDisplay (sharer_display);
  g_assert_nonnull (dpy);
  rh_test_x_fill (dpy, 0, 0, 2048, 800, 0x30c040);
  rh_test_x_fill (dpy, 0, 0, 1280, 800, 0x2050a0);
  rh_test_x_fill (dpy, 1280, 100, 768, 600, 0xc03020);
  XCloseDisplay (dpy);
  g_setenv ("DISPLAY", ui_display, TRUE);
  adw_init ();

  g_test_add_func ("/ui-monitors/chooser", test_chooser);
  g_test_add_func ("/ui-monitors/sharer-window", test_sharer_window);
  status = g_test_run ();

  rh_test_proc_kill (&sharer_xvfb);
  rh_test_proc_kill (&ui_xvfb);
  rh_test_rm_rf (home);
  return status;
}
