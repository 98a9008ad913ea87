/* rh-rdp-sharer.h: the sharer's screen as an RDP server (FreeRDP shadow server, X11)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  RH_RDP_MODE_VIEW,     /* the server drops every input event */
  RH_RDP_MODE_CONTROL,
} RhRdpMode;

/* How the screen is captured (configuration key capture=builtin|stock). */
typedef enum
{
  RH_RDP_CAPTURE_BUILTIN,  /* ours (rh-shadow-x11.c): XDamage, XShm, region-aware; default */
  RH_RDP_CAPTURE_STOCK,    /* FreeRDP's X11 subsystem: polls the whole screen */
} RhRdpCapture;

#define RH_TYPE_RDP_SHARER (rh_rdp_sharer_get_type ())
G_DECLARE_FINAL_TYPE (RhRdpSharer, rh_rdp_sharer, RH, RDP_SHARER, GObject)

/* Signals (emitted on the main context of the thread that created the object):
 *   "client-connected"    ()
 *   "client-disconnected" ()
 *
 * The server never listens on a TCP port: it listens on a Unix socket inside a fresh 0700
 * directory under $XDG_RUNTIME_DIR, with a per-session certificate/key and one-time NLA
 * credentials (random user and password from the OS RNG); RDP Security and plain TLS are off.
 * stop() (and dispose) delete all of it. */
RhRdpSharer *rh_rdp_sharer_new                 (const char   *display,  /* NULL: $DISPLAY */
                                                RhRdpMode     mode);
gboolean     rh_rdp_sharer_start               (RhRdpSharer  *self,
                                                GError      **error);
void         rh_rdp_sharer_stop                (RhRdpSharer  *self);
const char  *rh_rdp_sharer_get_socket_path     (RhRdpSharer  *self);
const char  *rh_rdp_sharer_get_username        (RhRdpSharer  *self);
const char  *rh_rdp_sharer_get_password        (RhRdpSharer  *self);
/* SHA-256 of the server certificate's DER (32 bytes), for the helper to pin. */
GBytes      *rh_rdp_sharer_get_certificate_sha256 (RhRdpSharer *self);
/* Takes effect for the next input event (mayInteract is checked per event). */
void         rh_rdp_sharer_set_mode            (RhRdpSharer  *self,
                                                RhRdpMode     mode);
RhRdpMode    rh_rdp_sharer_get_mode            (RhRdpSharer  *self);
/* Before start(). When ours cannot work on the display (no XDamage, an unusual visual), start()
 * falls back to the stock one; get_capture() says which one runs. */
void         rh_rdp_sharer_set_capture         (RhRdpSharer  *self,
                                                RhRdpCapture  capture);
RhRdpCapture rh_rdp_sharer_get_capture         (RhRdpSharer  *self);
/* The authentication-prompt guard (issue #6). Call these on the thread that created the sharer
 * (safe against FreeRDP's threads, which they reach through atomics and locks); before start()
 * they apply to the next server.
 *
 * While any private region is set (root coordinates; n = 0 clears), no captured pixel of the
 * screen reaches the viewers and all their input (keys, text, pointer) is dropped:
 * - our capture pauses: the frame stays as it was, each region clipped to the shared area is
 *   covered by an opaque panel with the notice, and that frame is sent once; when cleared,
 *   capture resumes with a full refresh;
 * - FreeRDP's capture (capture=stock), which we cannot change, fails closed: no frame goes out
 *   at all (every viewer's output is suppressed, and a viewer cannot lift that) until cleared.
 * Guarded classes (WM_CLASS names, "title=" entries ignored): our capture also looks for
 * windows of these classes itself, as they map, so that a prompt is covered even before the
 * caller's watcher sets its region (see rh-shadow-x11.c). NULL: none (elevation granted). */
typedef struct
{
  int x, y, width, height;
} RhRdpRect;

void         rh_rdp_sharer_set_private_regions (RhRdpSharer       *self,
                                                const RhRdpRect   *rects,
                                                guint              n);
void         rh_rdp_sharer_set_guarded_classes (RhRdpSharer       *self,
                                                const char * const *classes);
/* The text on the panels, one line per '\n' (the caller translates it). */
void         rh_rdp_sharer_set_private_notice  (RhRdpSharer       *self,
                                                const char        *notice);
/* TRUE while input is dropped and frames are paused (regions set, or our capture found a
 * window of a guarded class). */
gboolean     rh_rdp_sharer_is_private          (RhRdpSharer       *self);

/* "builtin" or "stock"; FALSE for anything else. */
gboolean     rh_rdp_capture_from_string        (const char   *name,
                                                RhRdpCapture *capture);

/* Monitors (issue #6). A monitor in root-window coordinates of the shared X screen. */
typedef struct
{
  int      x, y, width, height;
  gboolean primary;
} RhRdpMonitor;

/* Which part of the screen is shared: every monitor (the whole X screen), or one of them. */
#define RH_RDP_MONITOR_ALL (-1)

/* The display's monitors (RhRdpMonitor), left to right then top to bottom: its RandR 1.5
 * monitors, else its Xinerama screens, else the whole screen as one. Works before start().
 * RH_ERROR_MONITOR_LIST when the display cannot be opened. */
GArray      *rh_rdp_sharer_list_monitors       (RhRdpSharer  *self,
                                                GError      **error);
/* Shares one monitor (an index into list_monitors()) or RH_RDP_MONITOR_ALL. Before start() it
 * is remembered; while running, the viewers get a desktop resize to the monitor's size and a
 * full repaint, without reconnecting. RH_ERROR_MONITOR_INVALID for an index out of range.
 * FreeRDP's stock capture picks what it shares itself at start (the X server's first RandR
 * monitor, or the whole screen without any), whatever was selected before; get_monitor() says
 * which, and any other choice while running is RH_ERROR_MONITOR_UNSUPPORTED. */
gboolean     rh_rdp_sharer_select_monitor      (RhRdpSharer  *self,
                                                int           index,
                                                GError      **error);
int          rh_rdp_sharer_get_monitor         (RhRdpSharer  *self);

G_END_DECLS
