/* rh-monitor-list.h: the sharer's monitors on the peer channel (issue #6)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pure encoding and checking of the two peer messages, so that hostile input is tested
 * without a session:
 *   sharer -> helper  {"type":"monitors","list":[{"x","y","width","height","primary"}…],
 *                      "selected":-1|0..n-1[,"refused":"RH-NNNN: text"]}
 *   helper -> sharer  {"type":"select-monitor","index":-1|0..n-1}
 */
#pragma once

#include <json-glib/json-glib.h>

#include "rh-rdp-sharer.h"

G_BEGIN_DECLS

#define RH_MONITOR_LIST_MAX 16

/* monitors: RhRdpMonitor; refusal: why the last selection was refused (NULL: it was not). */
JsonObject *rh_monitor_list_to_message   (GArray        *monitors,
                                          int            selected,
                                          const GError  *refusal);
/* The helper's side: the list (RhRdpMonitor), the selection and the refusal text (or NULL).
 * RH_ERROR_MALFORMED_MESSAGE for anything but 1..16 monitors of sane geometry and a
 * selection in range. */
GArray     *rh_monitor_list_from_message (JsonObject    *msg,
                                          int           *selected,
                                          char         **refusal,
                                          GError       **error);
JsonObject *rh_monitor_select_message    (int            index);
/* The sharer's side: RH_ERROR_MALFORMED_MESSAGE when "index" is not an integer,
 * RH_ERROR_MONITOR_INVALID when it is not -1 or a monitor of n_monitors. */
gboolean    rh_monitor_parse_select      (JsonObject    *msg,
                                          guint          n_monitors,
                                          int           *index,
                                          GError       **error);
/* For status lines: "all" or "2/2 1280x1024" (1-based). */
char       *rh_monitor_describe          (GArray        *monitors,
                                          int            selected);
/* The command line's choice: "all" -> -1, "N" (1-based) -> N-1; FALSE for anything else. */
gboolean    rh_monitor_parse_choice      (const char    *text,
                                          int           *index);

G_END_DECLS
