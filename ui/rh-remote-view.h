/* rh-remote-view.h: the sharer's screen, as the helper sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "rh-rdp-viewer.h"

G_BEGIN_DECLS

#define RH_TYPE_REMOTE_VIEW (rh_remote_view_get_type ())
G_DECLARE_FINAL_TYPE (RhRemoteView, rh_remote_view, RH, REMOTE_VIEW, GtkWidget)

/* Properties: "viewer" (RhRdpViewer), "mode" (RhRdpMode as int), "fit" (gboolean: scale to
 * fit keeping the aspect ratio; FALSE: 1:1, put it in a GtkScrolledWindow).
 *
 * The view repaints only the tiles that a "frame-updated" rectangle touches. Input goes to the
 * viewer only in RH_RDP_MODE_CONTROL; in view mode nothing is sent and the tooltip says so. */
GtkWidget   *rh_remote_view_new           (void);
void         rh_remote_view_set_viewer    (RhRemoteView *self,
                                           RhRdpViewer  *viewer);
RhRdpViewer *rh_remote_view_get_viewer    (RhRemoteView *self);
void         rh_remote_view_set_mode      (RhRemoteView *self,
                                           RhRdpMode     mode);
RhRdpMode    rh_remote_view_get_mode      (RhRemoteView *self);
void         rh_remote_view_set_fit       (RhRemoteView *self,
                                           gboolean      fit);
gboolean     rh_remote_view_get_fit       (RhRemoteView *self);

/* Feeds a frame directly (what the "frame-updated" handler does): pixels are BGRA32 with
 * stride width * 4; only the damaged rectangle is read. */
void         rh_remote_view_update        (RhRemoteView *self,
                                           const guint8 *pixels,
                                           int           width,
                                           int           height,
                                           int           damage_x,
                                           int           damage_y,
                                           int           damage_width,
                                           int           damage_height);
/* Maps a point in widget coordinates to remote pixels; FALSE outside the remote screen or
 * before the first frame. */
gboolean     rh_remote_view_widget_to_remote (RhRemoteView *self,
                                              double        widget_x,
                                              double        widget_y,
                                              int          *remote_x,
                                              int          *remote_y);
/* Where the remote screen is drawn, in widget coordinates. */
gboolean     rh_remote_view_get_screen_area (RhRemoteView   *self,
                                             graphene_rect_t *area);

/* For measurements: TRUE (the default) keeps 256x256 tile textures and replaces the damaged
 * ones; FALSE builds one texture of the whole frame per update. */
void         rh_remote_view_set_tiled     (RhRemoteView *self,
                                           gboolean      tiled);

/* X11 hardware keycode (evdev code + 8, what GDK reports) to the RDP set-1 scancode; FALSE
 * for keys without one. Layout-independent: the sharer's keyboard layout applies. */
gboolean     rh_keycode_to_rdp_scancode   (guint         hardware_keycode,
                                           guint32      *scancode,
                                           gboolean     *extended);

G_END_DECLS
