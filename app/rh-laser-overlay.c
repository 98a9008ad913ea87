/* rh-laser-overlay.c: the helper's laser pointer on the sharer's screen (issue #6)
 *
 * One override-redirect window over the shared area, on its own X connection, with an empty
 * input region (XFixes): clicks and pointer motion go to whatever is below, and nothing here
 * ever moves the pointer or sends input. With a compositing manager the window is ARGB and the
 * trail fades in alpha. Without one (Xvfb, plain X sessions) an ARGB window would show black
 * where it should be transparent, so the window is instead cut down with XShape to the dots
 * themselves; there the trail "fades" by shrinking dots, which reads the same at a glance.
 * The screen under the dots is never dimmed or covered.
 *
 * The window is moved and resized to the dots' bounding box each frame. Moves only record a
 * point; a frame timer (while visible) draws at most ~30 times a second, which is also what
 * rate-limits a flood of positions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-app"

#include "config.h"

#include <math.h>
#include <string.h>

#include <cairo-xlib.h>
#include <cairo.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xfixes.h>
#include <X11/extensions/shape.h>

#include "rh-error.h"
#include "rh-laser-overlay.h"

#define DOT_RADIUS     9.0
#define RIM            2.0
#define TRAIL_POINTS   24
#define TRAIL_MS       300      /* how long a point stays in the trail */
#define IDLE_MS        1500     /* then the dot fades… */
#define FADE_MS        400      /* …over this long, and the window is unmapped */
#define FRAME_MS       33
#define MIN_POINT_MS   8        /* closer moves replace the last point instead of adding one */

typedef struct
{
  double x, y;     /* window coordinates */
  gint64 time;     /* monotonic µs */
} Point;

struct _RhLaserOverlay
{
  Display         *display;
  Window           window;
  Visual          *visual;
  Colormap         colormap;
  RhLaserArea      area;
  RhLaserMode      mode;
  cairo_surface_t *surface;
  Point            points[TRAIL_POINTS];
  guint            n_points;   /* newest last */
  gint64           last_move;
  gboolean         mapped;
  gboolean         dirty;
  guint            frame_source;
  guint            fd_source;
};

static gboolean
has_compositor (Display *display,
                int      screen)
{
  g_autofree char *name = g_strdup_printf ("_NET_WM_CM_S%d", screen);
  Atom atom = XInternAtom (display, name, False);

  return XGetSelectionOwner (display, atom) != None;
}

static gboolean
find_argb_visual (Display      *display,
                  int           screen,
                  XVisualInfo  *info)
{
  return XMatchVisualInfo (display, screen, 32, TrueColor, info) != 0;
}

static void
set_empty_input_region (RhLaserOverlay *self)
{
  XserverRegion region = XFixesCreateRegion (self->display, NULL, 0);

  XFixesSetWindowShapeRegion (self->display, self->window, ShapeInput, 0, 0, region);
  XFixesDestroyRegion (self->display, region);
}

static gboolean
on_x_events (int          fd,
             GIOCondition condition,
             gpointer     user_data)
{
  RhLaserOverlay *self = user_data;

  if (condition & (G_IO_HUP | G_IO_ERR))
    {
      self->fd_source = 0;
      return G_SOURCE_REMOVE;
    }
  while (XPending (self->display) > 0)
    {
      XEvent event;

      XNextEvent (self->display, &event);
      if (event.type == Expose && event.xexpose.window == self->window)
        self->dirty = TRUE;
      /* Windows mapped later stack above ours: go back on top. */
      else if (event.type == MapNotify && event.xmap.window != self->window && self->mapped)
        XRaiseWindow (self->display, self->window);
    }
  XFlush (self->display);
  return G_SOURCE_CONTINUE;
}

RhLaserOverlay *
rh_laser_overlay_new (const char         *display_name,
                      const RhLaserArea  *area,
                      RhLaserMode         mode,
                      GError            **error)
{
  RhLaserOverlay *self;
  Display *display;
  XSetWindowAttributes attrs = { 0 };
  unsigned long mask = CWOverrideRedirect | CWBackPixmap | CWBorderPixel | CWEventMask;
  XVisualInfo argb;
  int screen, sw, sh, event_base, error_base;
  int depth;
  RhLaserArea a;
  XClassHint hint = { (char *) "remote-help-laser", (char *) "Remote-help-laser" };

  display = XOpenDisplay (display_name);
  if (display == NULL)
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_OVERLAY, _("Cannot open the display %s"),
                   display_name != NULL ? display_name : g_getenv ("DISPLAY"));
      return NULL;
    }
  screen = DefaultScreen (display);
  sw = DisplayWidth (display, screen);
  sh = DisplayHeight (display, screen);
  a = area != NULL ? *area : (RhLaserArea) { 0, 0, sw, sh };
  if (a.width <= 0 || a.height <= 0 || a.x < 0 || a.y < 0 ||
      a.width > sw - a.x || a.height > sh - a.y)
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_OVERLAY,
                   _("The shared area %dx%d+%d+%d is not within the %dx%d screen"),
                   a.width, a.height, a.x, a.y, sw, sh);
      XCloseDisplay (display);
      return NULL;
    }
  if (!XShapeQueryExtension (display, &event_base, &error_base) ||
      !XFixesQueryExtension (display, &event_base, &error_base))
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_OVERLAY,
                   _("The display has no SHAPE or XFIXES extension"));
      XCloseDisplay (display);
      return NULL;
    }

  if (mode == RH_LASER_MODE_AUTO)
    mode = has_compositor (display, screen) && find_argb_visual (display, screen, &argb)
           ? RH_LASER_MODE_ARGB : RH_LASER_MODE_SHAPED;

  self = g_new0 (RhLaserOverlay, 1);
  self->display = display;
  self->area = a;
  self->mode = mode;

  attrs.override_redirect = True;
  attrs.background_pixmap = None;
  attrs.border_pixel = 0;
  attrs.event_mask = ExposureMask;
  if (mode == RH_LASER_MODE_ARGB && find_argb_visual (display, screen, &argb))
    {
      self->visual = argb.visual;
      depth = 32;
      self->colormap = XCreateColormap (display, RootWindow (display, screen), argb.visual,
                                        AllocNone);
      attrs.colormap = self->colormap;
      mask |= CWColormap;
    }
  else
    {
      self->mode = RH_LASER_MODE_SHAPED;
      self->visual = DefaultVisual (display, screen);
      depth = DefaultDepth (display, screen);
    }
  self->window = XCreateWindow (display, RootWindow (display, screen), a.x, a.y,
                                (unsigned) a.width, (unsigned) a.height, 0, depth, InputOutput,
                                self->visual, mask, &attrs);
  XSetClassHint (display, self->window, &hint);
  XStoreName (display, self->window, "Remote Help laser pointer");
  set_empty_input_region (self);
  self->surface = cairo_xlib_surface_create (display, self->window, self->visual, a.width,
                                             a.height);
  XSelectInput (display, RootWindow (display, screen), SubstructureNotifyMask);
  XFlush (display);
  self->fd_source = g_unix_fd_add (ConnectionNumber (display), G_IO_IN | G_IO_HUP | G_IO_ERR,
                                   on_x_events, self);
  g_debug ("Laser overlay %dx%d+%d+%d, %s", a.width, a.height, a.x, a.y,
           self->mode == RH_LASER_MODE_ARGB ? "ARGB" : "shaped");
  return self;
}

/* 1 while moving, down to 0 at the end of the idle fade. */
static double
fade_factor (RhLaserOverlay *self,
             gint64          now)
{
  gint64 idle_ms = (now - self->last_move) / 1000;

  if (idle_ms <= IDLE_MS)
    return 1.0;
  return CLAMP (1.0 - (double) (idle_ms - IDLE_MS) / FADE_MS, 0.0, 1.0);
}

static void
draw_dots (RhLaserOverlay *self,
           cairo_t        *cr,
           gint64          now,
           gboolean        shape_only)
{
  double fade = fade_factor (self, now);
  gboolean argb = self->mode == RH_LASER_MODE_ARGB;

  /* Oldest first, so that the dot itself ends on top. */
  for (guint i = 0; i < self->n_points; i++)
    {
      const Point *p = &self->points[i];
      gboolean head = i + 1 == self->n_points;
      double age = head ? 0.0 : CLAMP ((double) (now - p->time) / (TRAIL_MS * 1000), 0.0, 1.0);
      double alpha = argb ? (1.0 - age) * fade : 1.0;
      double radius = DOT_RADIUS * (head ? 1.0 : 0.75 * (1.0 - 0.7 * age));

      if (!argb)
        radius *= fade;
      if (age >= 1.0 || radius < 1.0 || alpha <= 0.0)
        continue;
      if (head)
        {
          cairo_arc (cr, p->x, p->y, radius + RIM, 0, 2 * G_PI);
          cairo_set_source_rgba (cr, 1, 1, 1, alpha);
          cairo_fill (cr);
        }
      if (shape_only)
        cairo_set_source_rgba (cr, 1, 1, 1, 1);
      else
        cairo_set_source_rgba (cr, ((RH_LASER_DOT_RGB >> 16) & 0xff) / 255.0,
                               ((RH_LASER_DOT_RGB >> 8) & 0xff) / 255.0,
                               (RH_LASER_DOT_RGB & 0xff) / 255.0, alpha);
      /* A stroke to the next point, so a fast move leaves a line rather than loose dots. */
      if (!head)
        {
          const Point *next = &self->points[i + 1];

          cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
          cairo_set_line_width (cr, 2 * radius);
          cairo_move_to (cr, p->x, p->y);
          cairo_line_to (cr, next->x, next->y);
          cairo_stroke (cr);
          continue;
        }
      cairo_arc (cr, p->x, p->y, radius, 0, 2 * G_PI);
      cairo_fill (cr);
    }
}

/* The window only covers the dots' bounding box (in area coordinates, clipped to the area):
 * shaping or clearing the whole area thirty times a second costs the X server far more. */
static gboolean
dots_extents (RhLaserOverlay    *self,
              cairo_rectangle_int_t *box)
{
  int x0 = G_MAXINT, y0 = G_MAXINT, x1 = G_MININT, y1 = G_MININT;
  int margin = (int) ceil (DOT_RADIUS + RIM) + 2;

  for (guint i = 0; i < self->n_points; i++)
    {
      x0 = MIN (x0, (int) self->points[i].x - margin);
      y0 = MIN (y0, (int) self->points[i].y - margin);
      x1 = MAX (x1, (int) self->points[i].x + margin + 1);
      y1 = MAX (y1, (int) self->points[i].y + margin + 1);
    }
  x0 = MAX (x0, 0);
  y0 = MAX (y0, 0);
  x1 = MIN (x1, self->area.width);
  y1 = MIN (y1, self->area.height);
  if (self->n_points == 0 || x1 <= x0 || y1 <= y0)
    return FALSE;
  *box = (cairo_rectangle_int_t) { x0, y0, x1 - x0, y1 - y0 };
  return TRUE;
}

static void
redraw (RhLaserOverlay *self,
        gint64          now)
{
  cairo_rectangle_int_t box;
  cairo_t *cr;

  if (!dots_extents (self, &box))
    return;

  if (self->mode == RH_LASER_MODE_SHAPED)
    {
      /* The shape first: a 1-bit copy of exactly the pixels drawn below (no antialiasing in
       * either), so no stray pixel of the window shows around a dot. */
      Pixmap mask = XCreatePixmap (self->display, self->window, (unsigned) box.width,
                                   (unsigned) box.height, 1);
      cairo_surface_t *mask_surface =
        cairo_xlib_surface_create_for_bitmap (self->display, mask,
                                              DefaultScreenOfDisplay (self->display),
                                              box.width, box.height);

      cr = cairo_create (mask_surface);
      cairo_set_antialias (cr, CAIRO_ANTIALIAS_NONE);
      cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
      cairo_set_source_rgba (cr, 0, 0, 0, 0);
      cairo_paint (cr);
      cairo_translate (cr, -box.x, -box.y);
      draw_dots (self, cr, now, TRUE);
      cairo_destroy (cr);
      cairo_surface_flush (mask_surface);
      cairo_surface_destroy (mask_surface);
      XShapeCombineMask (self->display, self->window, ShapeBounding, 0, 0, mask, ShapeSet);
      XFreePixmap (self->display, mask);
    }
  XMoveResizeWindow (self->display, self->window, self->area.x + box.x, self->area.y + box.y,
                     (unsigned) box.width, (unsigned) box.height);
  cairo_xlib_surface_set_size (self->surface, box.width, box.height);

  cr = cairo_create (self->surface);
  if (self->mode == RH_LASER_MODE_SHAPED)
    cairo_set_antialias (cr, CAIRO_ANTIALIAS_NONE);
  else
    {
      cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
      cairo_set_source_rgba (cr, 0, 0, 0, 0);
      cairo_paint (cr);
      cairo_set_operator (cr, CAIRO_OPERATOR_OVER);
    }
  cairo_translate (cr, -box.x, -box.y);
  draw_dots (self, cr, now, FALSE);
  cairo_destroy (cr);
  cairo_surface_flush (self->surface);
  XFlush (self->display);
  self->dirty = FALSE;
}

static void
unmap (RhLaserOverlay *self)
{
  g_clear_handle_id (&self->frame_source, g_source_remove);
  self->n_points = 0;
  if (self->mapped)
    {
      XUnmapWindow (self->display, self->window);
      XFlush (self->display);
      self->mapped = FALSE;
    }
}

static gboolean
on_frame (gpointer user_data)
{
  RhLaserOverlay *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean trail = self->n_points > 1;
  double fade = fade_factor (self, now);

  if (fade <= 0.0)
    {
      self->frame_source = 0;
      unmap (self);
      return G_SOURCE_REMOVE;
    }
  /* Points that have aged out of the trail are dropped; the head always stays. */
  while (self->n_points > 1 && now - self->points[0].time > TRAIL_MS * 1000)
    {
      memmove (self->points, self->points + 1, (self->n_points - 1) * sizeof (Point));
      self->n_points--;
    }
  if (self->dirty || trail || fade < 1.0)
    redraw (self, now);
  return G_SOURCE_CONTINUE;
}

gboolean
rh_laser_overlay_move (RhLaserOverlay *self,
                       double          x,
                       double          y)
{
  gint64 now = g_get_monotonic_time ();
  Point p;

  g_return_val_if_fail (self != NULL, FALSE);

  /* !(a >= 0 && a <= 1) is also true for NaN. */
  if (!(x >= 0.0 && x <= 1.0) || !(y >= 0.0 && y <= 1.0))
    return FALSE;

  p.x = round (x * (self->area.width - 1));
  p.y = round (y * (self->area.height - 1));
  p.time = now;
  if (self->n_points > 0 && now - self->points[self->n_points - 1].time < MIN_POINT_MS * 1000)
    self->points[self->n_points - 1] = p;
  else
    {
      if (self->n_points == TRAIL_POINTS)
        {
          memmove (self->points, self->points + 1, (TRAIL_POINTS - 1) * sizeof (Point));
          self->n_points--;
        }
      self->points[self->n_points++] = p;
    }
  self->last_move = now;
  self->dirty = TRUE;

  if (!self->mapped)
    {
      /* Drawn before mapping, so it never appears as an unshaped rectangle. */
      redraw (self, now);
      XMapRaised (self->display, self->window);
      XFlush (self->display);
      self->mapped = TRUE;
      self->dirty = TRUE;
    }
  if (self->frame_source == 0)
    self->frame_source = g_timeout_add (FRAME_MS, on_frame, self);
  return TRUE;
}

void
rh_laser_overlay_hide (RhLaserOverlay *self)
{
  g_return_if_fail (self != NULL);
  unmap (self);
}

gboolean
rh_laser_overlay_is_visible (RhLaserOverlay *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->mapped;
}

RhLaserMode
rh_laser_overlay_get_mode (RhLaserOverlay *self)
{
  g_return_val_if_fail (self != NULL, RH_LASER_MODE_SHAPED);
  return self->mode;
}

gulong
rh_laser_overlay_get_xid (RhLaserOverlay *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->window;
}

void
rh_laser_overlay_free (RhLaserOverlay *self)
{
  if (self == NULL)
    return;
  unmap (self);
  g_clear_handle_id (&self->fd_source, g_source_remove);
  g_clear_pointer (&self->surface, cairo_surface_destroy);
  XDestroyWindow (self->display, self->window);
  if (self->colormap != None)
    XFreeColormap (self->display, self->colormap);
  XCloseDisplay (self->display);
  g_free (self);
}
