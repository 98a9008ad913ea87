/* rh-shadow-x11.h: our X11 subsystem for FreeRDP 2's shadow server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Private to rdp/: rh-rdp-sharer.c registers it with shadow_subsystem_set_entry().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* FreeRDP's RDP_SHADOW_ENTRY_POINTS, named without its header so that tests can read the
 * counters below without FreeRDP. */
struct _RDP_SHADOW_ENTRY_POINTS;

/* The entry point to pass to shadow_subsystem_set_entry(). */
int  rh_shadow_x11_entry           (struct _RDP_SHADOW_ENTRY_POINTS *entry_points);

/* Which part of the display the next server shares: -1 (the default) is the whole X screen,
 * 0..n-1 one monitor of rh_shadow_x11_list_monitors(). Read when the subsystem is created. */
void rh_shadow_x11_select_monitor  (int                      monitor);

/* The monitors of display_name (NULL: $DISPLAY) as RhRdpMonitor (rh-rdp-sharer.h), left to
 * right then top to bottom: RandR 1.5 monitors, else Xinerama screens, else the whole screen.
 * NULL when the display cannot be opened. */
GArray *rh_shadow_x11_list_monitors (const char             *display_name);

/* Switches a running subsystem (ours: FreeRDP's rdpShadowSubsystem) to another monitor, or -1
 * for the whole screen; its capture thread resizes the shared surface, which makes every
 * client get a desktop resize and a full repaint. */
struct rdp_shadow_subsystem;
gboolean rh_shadow_x11_switch_monitor (struct rdp_shadow_subsystem *subsystem,
                                       int                          monitor);

/* Counters since the subsystem started (any thread): for tests and measurements. */
typedef struct
{
  guint64 damage_events;     /* XDamage notifications handled */
  guint64 frames;            /* frames handed to the shadow server's clients */
  guint64 updates;           /* rectangles published (one shadow frame update each) */
  guint64 pixels;            /* pixels captured */
  guint64 cursor_updates;    /* cursor shapes sent */
  guint64 deferred;          /* frames put off because a client had too many unacknowledged */
  guint64 remotefx_updates;  /* rectangles sent with RemoteFX to some client (lossy) */
  guint64 masked_frames;     /* paused frames published with private areas covered */
  guint64 guard_trips;       /* captures thrown away: a guarded window mapped meanwhile */
} RhShadowX11Stats;

void rh_shadow_x11_get_stats       (RhShadowX11Stats       *stats);

/* The authentication-prompt guard (any thread; rh-rdp-sharer.c calls these on its running
 * subsystem). rects are root coordinates (x, y, width, height each); n = 0 clears. */
struct rdp_shadow_subsystem;

void     rh_shadow_x11_set_private        (struct rdp_shadow_subsystem *subsystem,
                                           const int                   *xywh,
                                           guint                        n);
/* Window classes (WM_CLASS name or class, any case) the capture thread itself looks for when
 * a window maps; NULL or empty: none. */
void     rh_shadow_x11_set_guard_classes  (struct rdp_shadow_subsystem *subsystem,
                                           const char * const          *classes);
void     rh_shadow_x11_set_notice         (struct rdp_shadow_subsystem *subsystem,
                                           const char                  *notice);
/* TRUE while any area is private (the sharer's or our own detection): input must be dropped. */
gboolean rh_shadow_x11_is_masked          (struct rdp_shadow_subsystem *subsystem);

G_END_DECLS
