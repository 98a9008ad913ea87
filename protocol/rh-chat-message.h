/* rh-chat-message.h: one message of a session's chat thread, as the service delivered it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint64  seq;    /* the service's order of the thread */
  char   *from;   /* login of the sender */
  char   *name;   /* display name of the sender */
  char   *role;   /* "helper" or "sharer" */
  gint64  at;     /* unix seconds, the service's clock */
  char   *text;   /* any Unicode; may contain line breaks */
} RhChatMessage;

#define RH_TYPE_CHAT_MESSAGE (rh_chat_message_get_type ())

GType          rh_chat_message_get_type   (void);
/* Reads a "chat" event; NULL with RH_ERROR_MALFORMED_MESSAGE when a field is missing or
 * invalid. */
RhChatMessage *rh_chat_message_from_event (JsonObject          *event,
                                           GError             **error);
RhChatMessage *rh_chat_message_copy       (const RhChatMessage *message);
void           rh_chat_message_free       (RhChatMessage       *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhChatMessage, rh_chat_message_free)

G_END_DECLS
