/* rh-test-ui.h: screenshots and X windows of GTK widgets, for the UI tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct
{
  guint8 *pixels;   /* B, G, R, A (premultiplied, native endian as cairo) */
  int     width;
  int     height;
  gsize   stride;
} RhTestShot;

void        rh_test_shot_free      (RhTestShot *shot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhTestShot, rh_test_shot_free)

/* `import -window WINDOW_ID` on @display into @dir/@name (kept for people to look at). */
RhTestShot *rh_test_shot_take      (const char *display,
                                    const char *dir,
                                    const char *window_id,
                                    const char *name);
/* 0xRRGGBB at (x, y); asserts the point is in the shot. */
guint32     rh_test_shot_pixel     (RhTestShot *shot,
                                    int         x,
                                    int         y);
/* The X window id of the widget's surface, in decimal. */
char       *rh_test_window_xid     (GtkWidget  *widget);
/* A point in widget coordinates to the coordinates of its X window. */
void        rh_test_widget_to_surface (GtkWidget *widget,
                                       double     x,
                                       double     y,
                                       int       *sx,
                                       int       *sy);
/* Waits (10 s at most, asserted) for the widget to be mapped, then 300 ms for it to be drawn. */
void        rh_test_wait_mapped    (GtkWidget  *widget);

/* The UI tests' environment: a temporary HOME from @home_template with a 0700 runtime
 * directory in it, no XDG_CONFIG_HOME, GSettings in memory, GDK on X11 without accessibility
 * bus; *screenshot_dir is $RH_TEST_BUILDDIR/screenshots (made). Returns HOME. */
char       *rh_test_ui_env         (const char *home_template,
                                    char      **screenshot_dir);

G_END_DECLS
