/* rh-rdp-viewer.h: the helper's RDP client (libfreerdp, software GDI, BGRA32)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "rh-rdp-sharer.h"

G_BEGIN_DECLS

#define RH_TYPE_RDP_VIEWER (rh_rdp_viewer_get_type ())
G_DECLARE_FINAL_TYPE (RhRdpViewer, rh_rdp_viewer, RH, RDP_VIEWER, GObject)

/* Signals (on the main context of the creating thread; FreeRDP runs on its own thread):
 *   "frame-updated" (int x, int y, int width, int height)  a damaged rectangle
 *   "first-frame"   ()  the first complete frame arrived
 *   "disconnected"  (GError *error)  NULL when we disconnected
 *   "pointer-changed" (int hot_x, int hot_y, int width, int height)  the sharer's cursor shape
 *                   (0x0: hidden, or the UI's own); get_pointer() has the image
 *   "pointer-moved" (int x, int y)  where the sharer's pointer is, when the sharer says
 *
 * Connects to socket_path (a Unix socket that the app bridges to the relay or to a direct
 * connection). The server certificate must have SHA-256 cert_sha256 (sent over the encrypted
 * pairing channel): anything else aborts with RH_ERROR_RDP_CERTIFICATE, no prompt, nothing
 * written to known_hosts. */
RhRdpViewer *rh_rdp_viewer_new             (const char    *socket_path,
                                            const char    *username,
                                            const char    *password,
                                            GBytes        *cert_sha256,
                                            RhRdpMode      mode);
void         rh_rdp_viewer_connect_async   (RhRdpViewer   *self,
                                            GCancellable  *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer       user_data);
gboolean     rh_rdp_viewer_connect_finish  (RhRdpViewer   *self,
                                            GAsyncResult  *result,
                                            GError       **error);
void         rh_rdp_viewer_disconnect      (RhRdpViewer   *self);
/* A copy of the current frame (BGRA32, stride = width * 4); NULL before the first frame. */
GBytes      *rh_rdp_viewer_get_frame       (RhRdpViewer   *self,
                                            int           *width,
                                            int           *height);
/* The sharer's cursor (it is not in the frames): BGRA32, stride = width * 4, with its hot spot
 * and last known position (-1 when unknown); NULL when hidden or not known yet. */
GBytes      *rh_rdp_viewer_get_pointer     (RhRdpViewer   *self,
                                            int           *width,
                                            int           *height,
                                            int           *hot_x,
                                            int           *hot_y,
                                            int           *x,
                                            int           *y);
gboolean     rh_rdp_viewer_save_png        (RhRdpViewer   *self,
                                            const char    *path,
                                            GError       **error);
/* Input: RH_ERROR_VIEW_ONLY in a view-only session (nothing is sent). */
gboolean     rh_rdp_viewer_send_pointer    (RhRdpViewer   *self,
                                            int            x,
                                            int            y,
                                            guint          button,   /* 0: move only; 1-3 */
                                            gboolean       pressed,
                                            GError       **error);
gboolean     rh_rdp_viewer_send_text       (RhRdpViewer   *self,
                                            const char    *utf8,
                                            GError       **error);
/* A physical key: rdp_scancode is the set-1 scancode (without the 0xE0 prefix, which is
 * `extended`), as the keyboard would send it, so the sharer's layout applies. */
gboolean     rh_rdp_viewer_send_key        (RhRdpViewer   *self,
                                            guint32        rdp_scancode,
                                            gboolean       extended,
                                            gboolean       pressed,
                                            GError       **error);
/* Wheel notches at the last pointer position: dy > 0 scrolls down, dx > 0 scrolls right. */
gboolean     rh_rdp_viewer_send_scroll     (RhRdpViewer   *self,
                                            int            dx,
                                            int            dy,
                                            GError       **error);
void         rh_rdp_viewer_set_mode        (RhRdpViewer   *self,
                                            RhRdpMode      mode);

/* For measurements (bench/): called on FreeRDP's thread at every EndPaint, right after the
 * painted rectangle (x, y, w, h) was copied into the frame, with the frame (BGRA32, stride =
 * width * 4) readable for the duration of the call; `first` is TRUE once, for the paint that
 * completed the first full frame. Arrival times taken here do not wait for the main loop.
 * Set it before connect_async(); the hook must be quick and must not call the viewer. */
typedef void (*RhRdpViewerPaintHook) (const guint8 *frame,
                                      int           width,
                                      int           height,
                                      int           x,
                                      int           y,
                                      int           w,
                                      int           h,
                                      gboolean      first,
                                      gpointer      user_data);
void         rh_rdp_viewer_set_paint_hook  (RhRdpViewer          *self,
                                            RhRdpViewerPaintHook  hook,
                                            gpointer              user_data);

G_END_DECLS
