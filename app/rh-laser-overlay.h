/* rh-laser-overlay.h: the helper's laser pointer on the sharer's screen (issue #6)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The colour of the dot's centre (0xRRGGBB); a white rim keeps it visible on red. */
#define RH_LASER_DOT_RGB 0xff2a2aU

typedef struct
{
  int x, y, width, height;   /* root coordinates of the shared area (a monitor, or all) */
} RhLaserArea;

typedef enum
{
  RH_LASER_MODE_AUTO,     /* ARGB when a compositing manager runs, else SHAPED */
  RH_LASER_MODE_SHAPED,   /* opaque dots cut out with XShape: no compositor needed */
  RH_LASER_MODE_ARGB,     /* translucent trail; needs a compositor to look right */
} RhLaserMode;

typedef struct _RhLaserOverlay RhLaserOverlay;

/* Opens its own connection to @display_name (NULL: $DISPLAY) and prepares an override-redirect,
 * input-transparent window over @area (NULL: the whole screen; it must lie within the screen).
 * Nothing is shown until the first move. Driven by the default main context. RH-7201 on
 * failure. */
RhLaserOverlay *rh_laser_overlay_new           (const char         *display_name,
                                                const RhLaserArea  *area,
                                                RhLaserMode         mode,
                                                GError            **error);
/* Shows the dot at (@x, @y), each in [0, 1] of the area, with a short trail behind it. NaN,
 * infinities and values outside [0, 1] are dropped (FALSE) and change nothing. Any rate is
 * fine: moves are coalesced into at most one redraw per frame. After ~1.5 s without a move the
 * dot fades out and the window is unmapped. */
gboolean        rh_laser_overlay_move          (RhLaserOverlay     *self,
                                                double              x,
                                                double              y);
/* Removes the dot now (the helper turned the laser off). */
void            rh_laser_overlay_hide          (RhLaserOverlay     *self);
gboolean        rh_laser_overlay_is_visible    (RhLaserOverlay     *self);
RhLaserMode     rh_laser_overlay_get_mode      (RhLaserOverlay     *self);
/* The X window, so the caller can leave it out of what it treats as the desktop's windows. */
gulong          rh_laser_overlay_get_xid       (RhLaserOverlay     *self);
void            rh_laser_overlay_free          (RhLaserOverlay     *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhLaserOverlay, rh_laser_overlay_free)

G_END_DECLS
