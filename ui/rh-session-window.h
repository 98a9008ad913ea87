/* rh-session-window.h: the helper's window during a session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "rh-chat-view.h"
#include "rh-rdp-viewer.h"
#include "rh-remote-view.h"

G_BEGIN_DECLS

#define RH_TYPE_SESSION_WINDOW (rh_session_window_get_type ())
G_DECLARE_FINAL_TYPE (RhSessionWindow, rh_session_window, RH, SESSION_WINDOW,
                      AdwApplicationWindow)

/* Actions (group "session"):
 *   session.request-control  emits "request-control": the session layer asks the sharer again
 *   session.leave            asks "End the session?", then emits "leave" and closes
 *   session.fit              stateful: scale to fit / 1:1
 * Closing the window while the session runs asks the same question as session.leave.
 *
 * Signals: "request-control" (), "leave" (), "laser-moved" (double x, double y: 0..1 of the
 * remote screen, while the Laser toggle is on), "laser-off" (), "monitor-selected" (int index:
 * one of the sharer's monitors, -1 for all, chosen by the person) */
RhSessionWindow *rh_session_window_new          (GtkApplication  *application,
                                                 RhRdpViewer     *viewer,
                                                 RhRdpMode        mode,
                                                 const char      *sharer_name);
void             rh_session_window_set_mode     (RhSessionWindow *self,
                                                 RhRdpMode        mode);
RhRdpMode        rh_session_window_get_mode     (RhSessionWindow *self);
RhRemoteView    *rh_session_window_get_remote_view (RhSessionWindow *self);
/* Whether the helper's role allows control at all: without it there is nothing to request. */
void             rh_session_window_set_can_control (RhSessionWindow *self,
                                                    gboolean         can_control);
/* The chat beside the remote screen (the Chat button shows it; hidden when chat is off). */
RhChatView      *rh_session_window_get_chat_view   (RhSessionWindow *self);
void             rh_session_window_set_chat_enabled (RhSessionWindow *self,
                                                     gboolean         enabled);
/* Adds to the thread; a message from the other side counts as unread while chat is hidden. */
void             rh_session_window_add_chat_message (RhSessionWindow     *self,
                                                     const RhChatMessage *message);
/* A short notice over the remote screen (e.g. the person kept view only). */
void             rh_session_window_show_notice      (RhSessionWindow *self,
                                                     const char      *text);
/* The banner "The person is entering a password…" while the sharer's authentication prompt is
 * masked (session status auth-prompt masked/clear). */
void             rh_session_window_set_auth_prompt_masked (RhSessionWindow *self,
                                                           gboolean         masked);
gboolean         rh_session_window_get_auth_prompt_masked (RhSessionWindow *self);
/* The sharer's monitors (RhRdpMonitor) and the shared one (-1: all): the chooser shows only
 * when there are several. Setting it emits nothing. */
void             rh_session_window_set_monitors  (RhSessionWindow *self,
                                                  GArray          *monitors,
                                                  int              selected);
/* The session is over (ended elsewhere): closing no longer asks. */
void             rh_session_window_session_ended (RhSessionWindow *self);
/* Administrator access: offered in full control when the role has elevation
 * ("request-elevation" signal); once granted, @tools (NULL: not granted) fill the
 * Administrator Tools menu ("start-tool" signal with the name). */
void             rh_session_window_set_can_elevate (RhSessionWindow    *self,
                                                    gboolean            can_elevate);
void             rh_session_window_set_elevation   (RhSessionWindow    *self,
                                                    const char * const *tools);

G_END_DECLS
