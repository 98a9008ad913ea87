/* rh-sharer-window.h: the sharer's small status window while the screen is shared
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "rh-identity-card.h"
#include "rh-chat-view.h"
#include "rh-rdp-sharer.h"

G_BEGIN_DECLS

#define RH_TYPE_SHARER_WINDOW (rh_sharer_window_get_type ())
G_DECLARE_FINAL_TYPE (RhSharerWindow, rh_sharer_window, RH, SHARER_WINDOW, AdwApplicationWindow)

/* States plainly who sees the screen (the helper's verified identity card) and whether they
 * can control it. Action "sharer.stop" (the button, and closing the window) emits "stop" once:
 * the session layer stops the sharer and then destroys this window.
 *
 * Keep this the app's only window while sharing: GTK 4 has no portable "always on top" on X11,
 * so a small window that nothing of ours covers is the best we can do. */
RhSharerWindow *rh_sharer_window_new      (GtkApplication       *application,
                                           const RhIdentityCard *helper,
                                           RhRdpMode             mode);
void            rh_sharer_window_set_mode (RhSharerWindow       *self,
                                           RhRdpMode             mode);
/* Which monitor the helper sees: index of count (1-based on screen), or -1 for all; shown only
 * when there are several. */
void            rh_sharer_window_set_monitor (RhSharerWindow     *self,
                                              int                 index,
                                              guint               count);
/* The chat below the status (the Chat button shows it; hidden when chat is off). */
RhChatView     *rh_sharer_window_get_chat_view     (RhSharerWindow      *self);
void            rh_sharer_window_set_chat_enabled  (RhSharerWindow      *self,
                                                    gboolean             enabled);
/* Adds to the thread; a message from the other side counts as unread while chat is hidden. */
void            rh_sharer_window_add_chat_message  (RhSharerWindow      *self,
                                                    const RhChatMessage *message);
/* Administrator access granted ("sign-out" or "lock", what the end does) or not (NULL): said
 * in the window, and Stop Sharing then warns before it stops. */
void            rh_sharer_window_set_elevation     (RhSharerWindow      *self,
                                                    const char          *end_action);

G_END_DECLS
