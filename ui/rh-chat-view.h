/* rh-chat-view.h: the session's chat thread and a line to write in, for both windows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "rh-chat-message.h"

G_BEGIN_DECLS

#define RH_TYPE_CHAT_VIEW (rh_chat_view_get_type ())
G_DECLARE_FINAL_TYPE (RhChatView, rh_chat_view, RH, CHAT_VIEW, GtkBox)

/* Signals:
 *   "send" (const char *text): the person sent a message; answer with
 *          rh_chat_view_send_done() once the service kept it or refused it. The entry keeps
 *          the text, insensitive, until then, so a refused message is not lost. */
GtkWidget *rh_chat_view_new          (void);
/* Ties the window's Chat toggle and the revealer holding this view: the toggle reveals it and
 * moves the focus to the entry; messages from the other side that arrive while it is hidden
 * are counted on the toggle's label; turning chat off hides the toggle. */
void       rh_chat_view_attach_toggle (RhChatView         *self,
                                       GtkToggleButton    *toggle,
                                       GtkRevealer        *revealer);
/* "helper" or "sharer": messages with this role are ours. */
void       rh_chat_view_set_own_role (RhChatView          *self,
                                      const char          *role);
void       rh_chat_view_add_message  (RhChatView          *self,
                                      const RhChatMessage *message);
/* error NULL: sent, the entry is cleared; else its RH- message shows under the entry. */
void       rh_chat_view_send_done    (RhChatView          *self,
                                      const GError        *error);
/* Off: the thread stays readable, writing is replaced by an explanation (and the attached
 * toggle is hidden). */
void       rh_chat_view_set_enabled  (RhChatView          *self,
                                      gboolean             enabled);
/* The session ended: the thread stays, nothing more can be sent. */
void       rh_chat_view_set_ended    (RhChatView          *self);
guint      rh_chat_view_get_n_messages (RhChatView        *self);
void       rh_chat_view_focus_entry  (RhChatView          *self);

G_END_DECLS
