/* rh-remote-view.c: the sharer's screen, as the helper sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Frames: the viewer emits "frame-updated" on the main context with the union of what was
 * painted since the last one (at most one is in flight). We copy the frame once, then rebuild
 * only the 256x256 tile textures that the rectangle touches and draw all tiles; GSK uploads the
 * new tiles only. Measured at 1920x1080 under Xvfb (llvmpipe GL and cairo renderers, 2 cores,
 * tests/test-ui-session.c /ui-session/texture-strategy), the main thread's copy-and-texture
 * work per update is 0.2 ms with tiles against 1.5-4.4 ms for a fresh whole-frame texture on a
 * 64x64 change (0.4-0.6 ms against 1.2-5.4 ms at 400x300), and 2.6-6 ms against 1.1-4.4 ms
 * for a full-screen change; painting (dominated by rasterising the whole window in software)
 * was never slower with tiles. Desktops mostly change in small areas, so tiles it is.
 *
 * Remote pixels arrive as BGRA with an alpha byte that RDP does not define: it is forced to
 * 0xff while copying, so the textures are opaque.
 */
#define G_LOG_DOMAIN "rh-ui"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "rh-remote-view.h"

#define TILE         256
#define DEFAULT_W    640
#define DEFAULT_H    400
#define MIN_SIZE     64

struct _RhRemoteView
{
  GtkWidget parent_instance;

  RhRdpViewer *viewer;
  gulong frame_updated_id;
  gulong first_frame_id;
  gulong pointer_changed_id;
  gulong pointer_moved_id;

  /* The sharer's cursor: our capture sends it apart from the frames, so it is drawn here. */
  GdkTexture *cursor;
  int cursor_hot_x;
  int cursor_hot_y;
  int cursor_x;            /* remote pixels; -1 while unknown */
  int cursor_y;

  RhRdpMode mode;
  gboolean fit;
  gboolean tiled;

  int frame_width;
  int frame_height;
  GdkTexture **tiles;   /* cols * rows, tiled mode */
  int cols;
  int rows;
  GdkTexture *whole;    /* untiled mode */

  /* Keys and buttons we pressed on the remote side, released when focus goes elsewhere. */
  guint8 keys_down[512];   /* index: scancode | extended << 8 */
  guint buttons_down;
  int last_rx;             /* where the last pointer event went, in remote pixels */
  int last_ry;
};

enum
{
  PROP_0,
  PROP_VIEWER,
  PROP_MODE,
  PROP_FIT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (RhRemoteView, rh_remote_view, GTK_TYPE_WIDGET)

/* ---- Keyboard mapping ---- */

typedef struct
{
  guint16 evdev;
  guint8 scancode;
  gboolean extended;
} KeyMap;

/* Linux evdev codes 1-88 are the set-1 scancodes themselves (Esc 1 ... F12 88); the rest, from
 * <linux/input-event-codes.h>, need a table. */
static const KeyMap key_table[] = {
  { 89, 0x73, FALSE },   /* KEY_RO */
  { 92, 0x79, FALSE },   /* KEY_HENKAN */
  { 93, 0x70, FALSE },   /* KEY_KATAKANAHIRAGANA */
  { 94, 0x7b, FALSE },   /* KEY_MUHENKAN */
  { 96, 0x1c, TRUE },    /* KEY_KPENTER */
  { 97, 0x1d, TRUE },    /* KEY_RIGHTCTRL */
  { 98, 0x35, TRUE },    /* KEY_KPSLASH */
  { 99, 0x37, TRUE },    /* KEY_SYSRQ (Print Screen) */
  { 100, 0x38, TRUE },   /* KEY_RIGHTALT (AltGr) */
  { 102, 0x47, TRUE },   /* KEY_HOME */
  { 103, 0x48, TRUE },   /* KEY_UP */
  { 104, 0x49, TRUE },   /* KEY_PAGEUP */
  { 105, 0x4b, TRUE },   /* KEY_LEFT */
  { 106, 0x4d, TRUE },   /* KEY_RIGHT */
  { 107, 0x4f, TRUE },   /* KEY_END */
  { 108, 0x50, TRUE },   /* KEY_DOWN */
  { 109, 0x51, TRUE },   /* KEY_PAGEDOWN */
  { 110, 0x52, TRUE },   /* KEY_INSERT */
  { 111, 0x53, TRUE },   /* KEY_DELETE */
  { 113, 0x20, TRUE },   /* KEY_MUTE */
  { 114, 0x2e, TRUE },   /* KEY_VOLUMEDOWN */
  { 115, 0x30, TRUE },   /* KEY_VOLUMEUP */
  { 117, 0x59, FALSE },  /* KEY_KPEQUAL */
  { 121, 0x7e, FALSE },  /* KEY_KPCOMMA */
  { 124, 0x7d, FALSE },  /* KEY_YEN */
  { 125, 0x5b, TRUE },   /* KEY_LEFTMETA (Super) */
  { 126, 0x5c, TRUE },   /* KEY_RIGHTMETA */
  { 127, 0x5d, TRUE },   /* KEY_COMPOSE (Menu) */
};

gboolean
rh_keycode_to_rdp_scancode (guint     hardware_keycode,
                            guint32  *scancode,
                            gboolean *extended)
{
  guint evdev;

  g_return_val_if_fail (scancode != NULL, FALSE);
  g_return_val_if_fail (extended != NULL, FALSE);

  *scancode = 0;
  *extended = FALSE;
  if (hardware_keycode < 8)
    return FALSE;
  evdev = hardware_keycode - 8;

  /* 84 is unassigned; 85 (KEY_ZENKAKUHANKAKU) has no set-1 scancode of its own. */
  if (evdev >= 1 && evdev <= 88 && evdev != 84 && evdev != 85)
    {
      *scancode = evdev;
      return TRUE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (key_table); i++)
    if (key_table[i].evdev == evdev)
      {
        *scancode = key_table[i].scancode;
        *extended = key_table[i].extended;
        return TRUE;
      }
  return FALSE;
}

/* ---- Frames ---- */

static void
clear_frame (RhRemoteView *self)
{
  for (int i = 0; self->tiles != NULL && i < self->cols * self->rows; i++)
    g_clear_object (&self->tiles[i]);
  g_clear_pointer (&self->tiles, g_free);
  g_clear_object (&self->whole);
  self->cols = self->rows = 0;
  self->frame_width = self->frame_height = 0;
}

static void
on_pointer_changed (RhRdpViewer  *viewer,
                    int           hot_x,
                    int           hot_y,
                    int           width,
                    int           height,
                    RhRemoteView *self)
{
  g_autoptr(GBytes) image = NULL;
  int w = 0, h = 0, x = -1, y = -1;

  g_clear_object (&self->cursor);
  image = rh_rdp_viewer_get_pointer (viewer, &w, &h, &self->cursor_hot_x, &self->cursor_hot_y,
                                     &x, &y);
  /* Hostile input: only a sane size whose bytes are all there becomes a texture. */
  if (image != NULL && w > 0 && h > 0 && w <= 384 && h <= 384 &&
      g_bytes_get_size (image) >= (gsize) w * (gsize) h * 4)
    self->cursor = gdk_memory_texture_new (w, h, GDK_MEMORY_B8G8R8A8, image, (gsize) w * 4);
  if (x >= 0 && y >= 0)
    {
      self->cursor_x = x;
      self->cursor_y = y;
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_pointer_moved (RhRdpViewer  *viewer,
                  int           x,
                  int           y,
                  RhRemoteView *self)
{
  self->cursor_x = x;
  self->cursor_y = y;
  if (self->cursor != NULL)
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Copies a rectangle of a BGRA frame into a new opaque texture. */
static GdkTexture *
texture_from_rect (const guint8 *pixels,
                   int           frame_width,
                   int           x,
                   int           y,
                   int           width,
                   int           height)
{
  gsize stride = (gsize) width * 4;
  guint8 *data = g_malloc (stride * (gsize) height);
  g_autoptr (GBytes) bytes = NULL;

  for (int row = 0; row < height; row++)
    {
      const guint32 *src = (const guint32 *) (gconstpointer)
        (pixels + ((gsize) (y + row) * (gsize) frame_width + (gsize) x) * 4);
      guint32 *dst = (guint32 *) (gpointer) (data + (gsize) row * stride);

      /* Force the alpha byte (the fourth byte of B, G, R, A) on either endianness */
      for (int col = 0; col < width; col++)
        dst[col] = src[col] | GUINT32_FROM_LE (0xff000000u);
    }
  bytes = g_bytes_new_take (data, stride * (gsize) height);
  return gdk_memory_texture_new (width, height, GDK_MEMORY_B8G8R8A8_PREMULTIPLIED, bytes, stride);
}

void
rh_remote_view_update (RhRemoteView *self,
                       const guint8 *pixels,
                       int           width,
                       int           height,
                       int           damage_x,
                       int           damage_y,
                       int           damage_width,
                       int           damage_height)
{
  int x0, y0, x1, y1;

  g_return_if_fail (RH_IS_REMOTE_VIEW (self));
  g_return_if_fail (pixels != NULL);
  g_return_if_fail (width > 0 && height > 0);

  if (width != self->frame_width || height != self->frame_height ||
      (self->tiled ? self->tiles == NULL : self->whole == NULL))
    {
      clear_frame (self);
      self->frame_width = width;
      self->frame_height = height;
      if (self->tiled)
        {
          self->cols = (width + TILE - 1) / TILE;
          self->rows = (height + TILE - 1) / TILE;
          self->tiles = g_new0 (GdkTexture *, (gsize) self->cols * (gsize) self->rows);
        }
      damage_x = damage_y = 0;
      damage_width = width;
      damage_height = height;
      gtk_widget_queue_resize (GTK_WIDGET (self));
    }

  x0 = CLAMP (damage_x, 0, width);
  y0 = CLAMP (damage_y, 0, height);
  x1 = CLAMP ((gint64) damage_x + damage_width, 0, width);
  y1 = CLAMP ((gint64) damage_y + damage_height, 0, height);
  if (x1 <= x0 || y1 <= y0)
    return;

  if (!self->tiled)
    {
      g_clear_object (&self->whole);
      self->whole = texture_from_rect (pixels, width, 0, 0, width, height);
    }
  else
    {
      for (int row = y0 / TILE; row <= (y1 - 1) / TILE; row++)
        for (int col = x0 / TILE; col <= (x1 - 1) / TILE; col++)
          {
            int tx = col * TILE, ty = row * TILE;
            GdkTexture **tile = &self->tiles[row * self->cols + col];

            g_clear_object (tile);
            *tile = texture_from_rect (pixels, width, tx, ty, MIN (TILE, width - tx),
                                       MIN (TILE, height - ty));
          }
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
rh_remote_view_set_tiled (RhRemoteView *self,
                          gboolean      tiled)
{
  g_return_if_fail (RH_IS_REMOTE_VIEW (self));

  tiled = !!tiled;
  if (self->tiled == tiled)
    return;
  self->tiled = tiled;
  clear_frame (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_frame_updated (RhRdpViewer  *viewer,
                  int           x,
                  int           y,
                  int           width,
                  int           height,
                  RhRemoteView *self)
{
  g_autoptr (GBytes) frame = NULL;
  int frame_width = 0, frame_height = 0;

  frame = rh_rdp_viewer_get_frame (viewer, &frame_width, &frame_height);
  if (frame == NULL)
    return;
  rh_remote_view_update (self, g_bytes_get_data (frame, NULL), frame_width, frame_height,
                         x, y, width, height);
}

static void
on_first_frame (RhRdpViewer  *viewer,
                RhRemoteView *self)
{
  /* Everything, in case updates arrived before the whole screen had been painted. */
  on_frame_updated (viewer, 0, 0, G_MAXINT / 2, G_MAXINT / 2, self);
}

/* ---- Geometry ---- */

static gboolean
compute_layout (RhRemoteView *self,
                double       *scale,
                double       *offset_x,
                double       *offset_y)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));
  double s = 1.0;

  if (self->frame_width <= 0 || self->frame_height <= 0 || width <= 0 || height <= 0)
    return FALSE;
  if (self->fit)
    s = MIN ((double) width / self->frame_width, (double) height / self->frame_height);
  *scale = s;
  *offset_x = MAX (0.0, (width - self->frame_width * s) / 2.0);
  *offset_y = MAX (0.0, (height - self->frame_height * s) / 2.0);
  return TRUE;
}

gboolean
rh_remote_view_widget_to_remote (RhRemoteView *self,
                                 double        widget_x,
                                 double        widget_y,
                                 int          *remote_x,
                                 int          *remote_y)
{
  double scale, ox, oy, rx, ry;

  g_return_val_if_fail (RH_IS_REMOTE_VIEW (self), FALSE);

  if (!compute_layout (self, &scale, &ox, &oy))
    return FALSE;
  rx = (widget_x - ox) / scale;
  ry = (widget_y - oy) / scale;
  if (rx < 0 || ry < 0 || rx >= self->frame_width || ry >= self->frame_height)
    return FALSE;
  if (remote_x != NULL)
    *remote_x = (int) rx;
  if (remote_y != NULL)
    *remote_y = (int) ry;
  return TRUE;
}

gboolean
rh_remote_view_get_screen_area (RhRemoteView    *self,
                                graphene_rect_t *area)
{
  double scale, ox, oy;

  g_return_val_if_fail (RH_IS_REMOTE_VIEW (self), FALSE);
  g_return_val_if_fail (area != NULL, FALSE);

  if (!compute_layout (self, &scale, &ox, &oy))
    return FALSE;
  graphene_rect_init (area, ox, oy, self->frame_width * scale, self->frame_height * scale);
  return TRUE;
}

static void
rh_remote_view_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  RhRemoteView *self = RH_REMOTE_VIEW (widget);
  gboolean horizontal = orientation == GTK_ORIENTATION_HORIZONTAL;
  int size = horizontal ? self->frame_width : self->frame_height;

  if (size <= 0)
    size = horizontal ? DEFAULT_W : DEFAULT_H;
  /* 1:1 needs the whole frame (the scrolled window around us scrolls); fit takes any size. */
  *minimum = self->fit ? MIN_SIZE : size;
  *natural = size;
}

static void
rh_remote_view_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  RhRemoteView *self = RH_REMOTE_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double scale, ox, oy;

  gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0.12, 0.12, 0.12, 1.0 },
                             &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!compute_layout (self, &scale, &ox, &oy))
    return;

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) ox, (float) oy));
  gtk_snapshot_scale (snapshot, (float) scale, (float) scale);
  if (self->whole != NULL)
    gtk_snapshot_append_texture (snapshot, self->whole,
                                 &GRAPHENE_RECT_INIT (0, 0, self->frame_width,
                                                      self->frame_height));
  for (int row = 0; self->tiles != NULL && row < self->rows; row++)
    for (int col = 0; col < self->cols; col++)
      {
        GdkTexture *tile = self->tiles[row * self->cols + col];

        if (tile != NULL)
          gtk_snapshot_append_texture (snapshot, tile,
                                       &GRAPHENE_RECT_INIT (col * TILE, row * TILE,
                                                            gdk_texture_get_width (tile),
                                                            gdk_texture_get_height (tile)));
      }
  if (self->cursor != NULL && self->cursor_x >= 0 && self->cursor_y >= 0)
    gtk_snapshot_append_texture (snapshot, self->cursor,
                                 &GRAPHENE_RECT_INIT (self->cursor_x - self->cursor_hot_x,
                                                      self->cursor_y - self->cursor_hot_y,
                                                      gdk_texture_get_width (self->cursor),
                                                      gdk_texture_get_height (self->cursor)));
  gtk_snapshot_restore (snapshot);
}

/* ---- Input ---- */

static gboolean
may_send (RhRemoteView *self)
{
  return self->viewer != NULL && self->mode == RH_RDP_MODE_CONTROL;
}

static void
send_pointer (RhRemoteView *self,
              double        x,
              double        y,
              guint         button,
              gboolean      pressed)
{
  g_autoptr (GError) error = NULL;
  int rx, ry;

  if (!may_send (self))
    return;
  if (!rh_remote_view_widget_to_remote (self, x, y, &rx, &ry))
    {
      /* A release outside the screen still has to reach it, at the nearest edge. */
      double scale, ox, oy;

      if (button == 0 || pressed || !compute_layout (self, &scale, &ox, &oy))
        return;
      rx = CLAMP ((int) ((x - ox) / scale), 0, self->frame_width - 1);
      ry = CLAMP ((int) ((y - oy) / scale), 0, self->frame_height - 1);
    }
  self->last_rx = rx;
  self->last_ry = ry;
  if (!rh_rdp_viewer_send_pointer (self->viewer, rx, ry, button, pressed, &error))
    g_debug ("Pointer event not sent: %s", error->message);
}

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           RhRemoteView             *self)
{
  send_pointer (self, x, y, 0, FALSE);
}

/* Buttons come through a legacy controller: a click gesture would stop reporting a press that
 * turns into a drag, and the remote side needs every press and release. */
static gboolean
on_legacy_event (GtkEventControllerLegacy *controller,
                 GdkEvent                 *event,
                 RhRemoteView             *self)
{
  GdkEventType type = gdk_event_get_event_type (event);
  GtkNative *native;
  double x, y, nx, ny, wx, wy;
  guint button;
  gboolean pressed;

  if (type != GDK_BUTTON_PRESS && type != GDK_BUTTON_RELEASE)
    return FALSE;

  pressed = type == GDK_BUTTON_PRESS;
  if (pressed)
    gtk_widget_grab_focus (GTK_WIDGET (self));
  if (!may_send (self))
    return FALSE;

  button = gdk_button_event_get_button (event);
  if (button < 1 || button > 3)
    return FALSE;

  native = gtk_widget_get_native (GTK_WIDGET (self));
  if (native == NULL || !gdk_event_get_position (event, &x, &y))
    return FALSE;
  gtk_native_get_surface_transform (native, &nx, &ny);
  if (!gtk_widget_translate_coordinates (GTK_WIDGET (native), GTK_WIDGET (self), x - nx, y - ny,
                                         &wx, &wy))
    return FALSE;

  if (pressed)
    self->buttons_down |= 1u << button;
  else
    self->buttons_down &= ~(1u << button);
  send_pointer (self, wx, wy, button, pressed);
  return TRUE;
}

static gboolean
on_scroll (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           RhRemoteView             *self)
{
  g_autoptr (GError) error = NULL;

  if (!may_send (self))
    return FALSE;   /* the scrolled window around us may scroll instead */
  if (!rh_rdp_viewer_send_scroll (self->viewer, (int) dx, (int) dy, &error))
    g_debug ("Scroll event not sent: %s", error->message);
  return TRUE;
}

static gboolean
send_key (RhRemoteView *self,
          guint         keycode,
          gboolean      pressed)
{
  g_autoptr (GError) error = NULL;
  guint32 scancode;
  gboolean extended;
  guint index;

  if (!may_send (self))
    return FALSE;
  if (!rh_keycode_to_rdp_scancode (keycode, &scancode, &extended))
    {
      g_debug ("No scancode for keycode %u", keycode);
      return TRUE;   /* still ours: nothing local happens while controlling */
    }
  index = scancode | (extended ? 0x100u : 0);
  if (!pressed && !self->keys_down[index])
    return TRUE;   /* pressed before we had focus */
  self->keys_down[index] = pressed;
  if (!rh_rdp_viewer_send_key (self->viewer, scancode, extended, pressed, &error))
    g_debug ("Key event not sent: %s", error->message);
  return TRUE;
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                RhRemoteView          *self)
{
  return send_key (self, keycode, TRUE);
}

static void
on_key_released (GtkEventControllerKey *controller,
                 guint                  keyval,
                 guint                  keycode,
                 GdkModifierType        state,
                 RhRemoteView          *self)
{
  send_key (self, keycode, FALSE);
}

/* Nothing stays pressed on the remote side when our window loses the keyboard or the mode
 * goes back to view only. */
static void
release_keys (RhRemoteView *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->keys_down); i++)
    if (self->keys_down[i])
      {
        self->keys_down[i] = FALSE;
        if (may_send (self))
          rh_rdp_viewer_send_key (self->viewer, i & 0xff, (i & 0x100) != 0, FALSE, NULL);
      }
}

static void
release_all (RhRemoteView *self)
{
  release_keys (self);
  for (guint button = 1; button <= 3; button++)
    if ((self->buttons_down & (1u << button)) && may_send (self))
      rh_rdp_viewer_send_pointer (self->viewer, self->last_rx, self->last_ry, button, FALSE,
                                  NULL);
  self->buttons_down = 0;
}

static void
on_focus_leave (GtkEventControllerFocus *controller,
                RhRemoteView            *self)
{
  release_keys (self);
}

static void
update_hint (RhRemoteView *self)
{
  if (self->mode == RH_RDP_MODE_CONTROL)
    {
      gtk_widget_set_tooltip_text (GTK_WIDGET (self), NULL);
      gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "default");
    }
  else
    {
      gtk_widget_set_tooltip_text (GTK_WIDGET (self),
                                   _("View only: your mouse and keyboard stay on your computer"));
      gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "not-allowed");
    }
}

/* ---- Properties ---- */

void
rh_remote_view_set_viewer (RhRemoteView *self,
                           RhRdpViewer  *viewer)
{
  g_return_if_fail (RH_IS_REMOTE_VIEW (self));
  g_return_if_fail (viewer == NULL || RH_IS_RDP_VIEWER (viewer));

  if (self->viewer == viewer)
    return;
  if (self->viewer != NULL)
    {
      g_clear_signal_handler (&self->frame_updated_id, self->viewer);
      g_clear_signal_handler (&self->first_frame_id, self->viewer);
      g_clear_signal_handler (&self->pointer_changed_id, self->viewer);
      g_clear_signal_handler (&self->pointer_moved_id, self->viewer);
      g_clear_object (&self->cursor);
      self->cursor_x = self->cursor_y = -1;
      memset (self->keys_down, 0, sizeof self->keys_down);
      self->buttons_down = 0;
      g_clear_object (&self->viewer);
    }
  clear_frame (self);
  if (viewer != NULL)
    {
      self->viewer = g_object_ref (viewer);
      self->frame_updated_id = g_signal_connect (viewer, "frame-updated",
                                                 G_CALLBACK (on_frame_updated), self);
      self->first_frame_id = g_signal_connect (viewer, "first-frame",
                                               G_CALLBACK (on_first_frame), self);
      self->pointer_changed_id = g_signal_connect (viewer, "pointer-changed",
                                                   G_CALLBACK (on_pointer_changed), self);
      self->pointer_moved_id = g_signal_connect (viewer, "pointer-moved",
                                                 G_CALLBACK (on_pointer_moved), self);
      on_pointer_changed (viewer, 0, 0, 0, 0, self);
      /* Connected late: show what is there already */
      on_frame_updated (viewer, 0, 0, G_MAXINT / 2, G_MAXINT / 2, self);
    }
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEWER]);
}

RhRdpViewer *
rh_remote_view_get_viewer (RhRemoteView *self)
{
  g_return_val_if_fail (RH_IS_REMOTE_VIEW (self), NULL);
  return self->viewer;
}

void
rh_remote_view_set_mode (RhRemoteView *self,
                         RhRdpMode     mode)
{
  g_return_if_fail (RH_IS_REMOTE_VIEW (self));

  if (self->mode == mode)
    return;
  if (mode != RH_RDP_MODE_CONTROL)
    release_all (self);
  self->mode = mode;
  update_hint (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
}

RhRdpMode
rh_remote_view_get_mode (RhRemoteView *self)
{
  g_return_val_if_fail (RH_IS_REMOTE_VIEW (self), RH_RDP_MODE_VIEW);
  return self->mode;
}

void
rh_remote_view_set_fit (RhRemoteView *self,
                        gboolean      fit)
{
  g_return_if_fail (RH_IS_REMOTE_VIEW (self));

  fit = !!fit;
  if (self->fit == fit)
    return;
  self->fit = fit;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
}

gboolean
rh_remote_view_get_fit (RhRemoteView *self)
{
  g_return_val_if_fail (RH_IS_REMOTE_VIEW (self), FALSE);
  return self->fit;
}

static void
rh_remote_view_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  RhRemoteView *self = RH_REMOTE_VIEW (object);

  switch (prop_id)
    {
    case PROP_VIEWER:
      g_value_set_object (value, self->viewer);
      break;
    case PROP_MODE:
      g_value_set_int (value, self->mode);
      break;
    case PROP_FIT:
      g_value_set_boolean (value, self->fit);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rh_remote_view_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  RhRemoteView *self = RH_REMOTE_VIEW (object);

  switch (prop_id)
    {
    case PROP_VIEWER:
      rh_remote_view_set_viewer (self, g_value_get_object (value));
      break;
    case PROP_MODE:
      rh_remote_view_set_mode (self, g_value_get_int (value));
      break;
    case PROP_FIT:
      rh_remote_view_set_fit (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rh_remote_view_dispose (GObject *object)
{
  RhRemoteView *self = RH_REMOTE_VIEW (object);

  if (self->mode == RH_RDP_MODE_CONTROL)
    release_all (self);
  rh_remote_view_set_viewer (self, NULL);
  clear_frame (self);

  G_OBJECT_CLASS (rh_remote_view_parent_class)->dispose (object);
}

static void
rh_remote_view_class_init (RhRemoteViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rh_remote_view_dispose;
  object_class->get_property = rh_remote_view_get_property;
  object_class->set_property = rh_remote_view_set_property;
  widget_class->measure = rh_remote_view_measure;
  widget_class->snapshot = rh_remote_view_snapshot;

  properties[PROP_VIEWER] =
    g_param_spec_object ("viewer", NULL, NULL, RH_TYPE_RDP_VIEWER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODE] =
    g_param_spec_int ("mode", NULL, NULL, RH_RDP_MODE_VIEW, RH_RDP_MODE_CONTROL,
                      RH_RDP_MODE_VIEW,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FIT] =
    g_param_spec_boolean ("fit", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "rh-remote-view");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
rh_remote_view_init (RhRemoteView *self)
{
  GtkEventController *controller;

  self->mode = RH_RDP_MODE_VIEW;
  self->fit = TRUE;
  self->tiled = TRUE;
  self->cursor_x = self->cursor_y = -1;

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "motion", G_CALLBACK (on_motion), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_legacy_new ();
  g_signal_connect (controller, "event", G_CALLBACK (on_legacy_event), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES |
                                                GTK_EVENT_CONTROLLER_SCROLL_DISCRETE);
  g_signal_connect (controller, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_key_new ();
  g_signal_connect (controller, "key-pressed", G_CALLBACK (on_key_pressed), self);
  g_signal_connect (controller, "key-released", G_CALLBACK (on_key_released), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_focus_new ();
  g_signal_connect (controller, "leave", G_CALLBACK (on_focus_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Shared screen"), -1);
  update_hint (self);
}

GtkWidget *
rh_remote_view_new (void)
{
  return g_object_new (RH_TYPE_REMOTE_VIEW, NULL);
}
