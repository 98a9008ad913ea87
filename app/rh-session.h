/* rh-session.h: consent, then the screen over RDP through the relay, for both sides
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rh-config.h"
#include "rh-rdp-sharer.h"
#include "rh-rdp-viewer.h"
#include "rh-rendezvous-client.h"

G_BEGIN_DECLS

typedef enum
{
  RH_SESSION_ALLOW_DENY,
  RH_SESSION_ALLOW_VIEW,
  RH_SESSION_ALLOW_CONTROL,
  RH_SESSION_ALLOW_ASK,     /* emit "consent-requested" and wait for rh_session_answer() */
} RhSessionAllow;

typedef enum
{
  RH_SESSION_PATH_AUTO,    /* direct when the sharer is reachable, else the relay */
  RH_SESSION_PATH_RELAY,
  RH_SESSION_PATH_DIRECT,
} RhSessionPath;

/* The sharer's answer to a request for administrator access (issue #6). */
typedef enum
{
  RH_SESSION_ELEVATION_DENY,   /* the default: refused without asking */
  RH_SESSION_ELEVATION_ASK,    /* emit "elevation-requested", wait for rh_session_answer_elevation() */
  RH_SESSION_ELEVATION_ALLOW,  /* headless --allow-elevation: the person said yes beforehand */
} RhSessionElevation;

typedef struct
{
  /* helper */
  RhSessionPath   path;
  RhRdpMode       requested_mode;
  const char     *snapshot_path;
  guint           duration_s;      /* 0: end right after the snapshot and input */
  const char     *type_text;
  gboolean        click;
  int             click_x;
  int             click_y;
  gboolean        laser;           /* point the laser at (laser_x, laser_y) before the snapshot */
  double          laser_x;
  double          laser_y;
  const char     *elevated_tool;   /* ask for administrator access, then start this tool */
  gboolean        select_monitor;  /* share this monitor before the snapshot (headless) */
  int             monitor;         /* RH_RDP_MONITOR_ALL or a monitor index */
  /* sharer: the person's explicit answer (headless: --allow) */
  RhSessionAllow  allow;
  const char     *display;
  int             direct_addresses; /* an RhDirectAddresses */
  RhSessionElevation elevation;
} RhSessionOptions;

/* How long the helper tries the sharer's direct addresses before using the relay. */
#define RH_SESSION_DIRECT_TIMEOUT_MS 3000

/* How long a request may go unanswered before it expires (both sides enforce it). */
#define RH_SESSION_CONSENT_TIMEOUT_S 300

#define RH_TYPE_SESSION (rh_session_get_type ())
G_DECLARE_FINAL_TYPE (RhSession, rh_session, RH, SESSION, GObject)

/* Signals:
 *   "status" (const char *key, const char *value): what happens, for people and scripts
 *            ("requested", "mode", "path", "first-frame", "snapshot", "input", "sharing",
 *            "upgrade", "ended").
 *   "consent-requested" (const char *mode): sharer with RH_SESSION_ALLOW_ASK: the helper asks
 *            for "view" or "control"; answer with rh_session_answer() within 5 minutes, or the
 *            request expires (declined). Emitted again when a helper with view asks for
 *            control during the session (rh_session_request_control()).
 *   "viewer-ready" (RhRdpViewer *viewer): helper: the viewer exists and is about to connect;
 *            a window may show it (the session keeps its own reference).
 *   "chat-message" (RhChatMessage *message): a new message of the session's chat thread, from
 *            either side (our own arrive once the service kept them).
 *   "elevation-requested" (): sharer with RH_SESSION_ELEVATION_ASK: the helper asks for
 *            administrator access; answer with rh_session_answer_elevation() within 5 minutes,
 *            or the request expires (denied).
 *
 * Administrator access shows as status "elevation" ("requested", "asked", "granted",
 * "denied: REASON", "refused: TEXT", "ending: sign-out|lock", "ended: …") and
 * "elevated-tool" ("NAME: started", "NAME: failed: TEXT") on both sides. */
RhSession *rh_session_new        (RhRendezvousClient      *client,
                                  RhConfig                *config,
                                  gboolean                 is_helper,
                                  const RhSessionOptions  *options);
/* Completes when the session is over: TRUE when it ran (or the sharer declined on
 * purpose), else the RH- error that ended it. */
void       rh_session_run_async  (RhSession               *self,
                                  GCancellable            *cancellable,
                                  GAsyncReadyCallback      callback,
                                  gpointer                 user_data);
gboolean   rh_session_run_finish (RhSession               *self,
                                  GAsyncResult            *result,
                                  GError                 **error);
/* The mode the session runs in (view until the sharer has answered). */
RhRdpMode  rh_session_get_mode   (RhSession               *self);
/* What the helper's role allows in this session (issue #5), as the server signed it into the
 * helper's card. The sharer's side enforces it whatever the helper asks: no control without
 * take-full-control, no session without view-screen; the UI should offer nothing more. */
RhPermissions rh_session_get_helper_permissions (RhSession *self);
/* Ends a running session on purpose: the other side is told, and the run completes. */
void       rh_session_leave      (RhSession               *self);
/* Helper, in a view-only session: asks the sharer for control again, without a restart.
 * The answer comes as status "mode" ("control") or "upgrade" ("declined"). */
void       rh_session_request_control (RhSession          *self);
/* The sharer's answer to "consent-requested": it can only lower what was asked for. */
void       rh_session_answer     (RhSession               *self,
                                  RhSessionAllow           allow);
/* Helper: shows the laser pointer on the sharer's screen at (x, y), each 0..1 of the shared
 * screen (view-only and control alike; it never clicks). Sent at most 30 times a second, the
 * newest position winning. */
void       rh_session_point_laser (RhSession              *self,
                                   double                  x,
                                   double                  y);
/* Helper: removes the laser pointer from the sharer's screen. */
void       rh_session_laser_off  (RhSession               *self);
/* Whether the organisation allows chat (the service refuses it otherwise, so hide it). */
gboolean   rh_session_get_chat_enabled (RhSession         *self);
/* The thread so far, oldest first (RhChatMessage; owned by the session). */
GPtrArray *rh_session_get_chat   (RhSession               *self);
/* Sends a chat message; it appears in the thread ("chat-message") once the service kept it. */
void       rh_session_send_chat_async  (RhSession           *self,
                                        const char          *text,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean   rh_session_send_chat_finish (RhSession           *self,
                                        GAsyncResult        *result,
                                        GError             **error);

/* Administrator access (issue #6). Helper: in a full-control session, with the elevation
 * permission, asks the service and then the sharer. */
void       rh_session_request_elevation (RhSession        *self);
/* Sharer: the person's answer to "elevation-requested". */
void       rh_session_answer_elevation  (RhSession        *self,
                                         gboolean          allow);
/* Both: whether administrator access is granted now. */
gboolean   rh_session_get_elevation_granted (RhSession    *self);
/* Helper: the sharer's tool menu once granted (NULL before). */
const char * const *rh_session_get_elevated_tools (RhSession *self);
/* Helper: starts a tool of that menu elevated on the sharer's desktop (the system's
 * authentication prompt appears there). */
void       rh_session_start_elevated_tool (RhSession      *self,
                                           const char     *name);
/* Both: "sign-out" or "lock", what ends the sharer's desktop session when this session ends,
 * once administrator access was granted; NULL while it was not. */
const char *rh_session_get_elevation_end_action (RhSession *self);
/* Tests: the sharer uses @elevation (taken) instead of pkexec, the system bus and sudo. */
struct _RhElevation;
void       rh_session_set_elevation_for_testing (RhSession           *self,
                                                 struct _RhElevation *elevation);

/* Monitors (issue #6), allowed in view-only and control sessions. Both sides show the shared
 * part as status "monitor" ("all" or "2/2 1280x1024", 1-based) whenever it is set or changes;
 * a refused choice as status "monitor-refused" (the RH- error). Both: the sharer's monitors
 * (RhRdpMonitor, left to right; owned by the session, NULL until the sharer listed them) and
 * the shared one (RH_RDP_MONITOR_ALL: all). */
GArray    *rh_session_get_monitors   (RhSession               *self,
                                      int                     *selected);
/* Helper: asks the sharer to share one monitor (an index of get_monitors()) or all. */
void       rh_session_select_monitor (RhSession               *self,
                                      int                      index);

G_END_DECLS
