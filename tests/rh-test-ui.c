/* rh-test-ui.c: screenshots and X windows of GTK widgets, for the UI tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gdk/x11/gdkx.h>

#include "rh-test-proc.h"
#include "rh-test-ui.h"

void
rh_test_shot_free (RhTestShot *shot)
{
  g_free (shot->pixels);
  g_free (shot);
}

RhTestShot *
rh_test_shot_take (const char *display,
                   const char *dir,
                   const char *window_id,
                   const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  const char *argv[] = { "import", "-window", window_id, path, NULL };
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  RhTestShot *shot = g_new0 (RhTestShot, 1);

  g_free (rh_test_run_x (display, argv));
  texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  shot->width = gdk_texture_get_width (texture);
  shot->height = gdk_texture_get_height (texture);
  shot->stride = (gsize) shot->width * 4;
  shot->pixels = g_malloc (shot->stride * (gsize) shot->height);
  gdk_texture_download (texture, shot->pixels, shot->stride);
  g_test_message ("screenshot %s (%dx%d)", path, shot->width, shot->height);
  return shot;
}

guint32
rh_test_shot_pixel (RhTestShot *shot,
                    int         x,
                    int         y)
{
  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (x, <, shot->width);
  g_assert_cmpint (y, <, shot->height);
  return *(const guint32 *) (gconstpointer) (shot->pixels + (gsize) y * shot->stride +
                                             (gsize) x * 4) & 0xffffff;
}

char *
rh_test_window_xid (GtkWidget *widget)
{
  GdkSurface *surface = gtk_native_get_surface (gtk_widget_get_native (widget));

  return g_strdup_printf ("%lu", (unsigned long) gdk_x11_surface_get_xid (surface));
}

void
rh_test_widget_to_surface (GtkWidget *widget,
                           double     x,
                           double     y,
                           int       *sx,
                           int       *sy)
{
  GtkNative *native = gtk_widget_get_native (widget);
  graphene_point_t p;
  double nx, ny;

  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native),
                                           &GRAPHENE_POINT_INIT ((float) x, (float) y), &p));
  gtk_native_get_surface_transform (native, &nx, &ny);
  *sx = (int) (p.x + nx);
  *sy = (int) (p.y + ny);
}

void
rh_test_wait_mapped (GtkWidget *widget)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!gtk_widget_get_mapped (widget) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (gtk_widget_get_mapped (widget));
  rh_test_sleep_ms (300);
}

char *
rh_test_ui_env (const char  *home_template,
                char       **screenshot_dir)
{
  const char *builddir = g_getenv ("RH_TEST_BUILDDIR");
  char *home = g_dir_make_tmp (home_template, NULL);
  g_autofree char *runtime = g_build_filename (home, "runtime", NULL);

  g_assert_no_errno (g_mkdir_with_parents (runtime, 0700));
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);
  g_unsetenv ("XDG_CONFIG_HOME");
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_setenv ("NO_AT_BRIDGE", "1", TRUE);

  *screenshot_dir = g_build_filename (builddir != NULL ? builddir : ".", "screenshots", NULL);
  g_assert_no_errno (g_mkdir_with_parents (*screenshot_dir, 0755));
  return home;
}
