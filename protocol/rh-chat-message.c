/* rh-chat-message.c: one message of a session's chat thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rh-chat-message.h"
#include "rh-error.h"
#include "rh-message.h"

G_DEFINE_BOXED_TYPE (RhChatMessage, rh_chat_message, rh_chat_message_copy, rh_chat_message_free)

RhChatMessage *
rh_chat_message_from_event (JsonObject  *event,
                            GError     **error)
{
  g_autoptr(RhChatMessage) message = g_new0 (RhChatMessage, 1);
  const char *from, *name, *role, *text;

  if (!rh_message_get_int (event, "seq", 1, G_MAXINT64, &message->seq, error) ||
      !rh_message_get_int (event, "at", 0, G_MAXINT64, &message->at, error) ||
      (from = rh_message_get_string (event, "from", 256, error)) == NULL ||
      (name = rh_message_get_string (event, "name", 1024, error)) == NULL ||
      (role = rh_message_get_string (event, "role", 16, error)) == NULL ||
      (text = rh_message_get_string (event, "text", 64 * 1024, error)) == NULL)
    return NULL;
  if (!g_str_equal (role, "helper") && !g_str_equal (role, "sharer"))
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                           "A chat message came from neither the helper nor the sharer");
      return NULL;
    }

  message->from = g_strdup (from);
  message->name = g_strdup (name);
  message->role = g_strdup (role);
  message->text = g_strdup (text);
  return g_steal_pointer (&message);
}

RhChatMessage *
rh_chat_message_copy (const RhChatMessage *message)
{
  RhChatMessage *copy = g_new0 (RhChatMessage, 1);

  copy->seq = message->seq;
  copy->from = g_strdup (message->from);
  copy->name = g_strdup (message->name);
  copy->role = g_strdup (message->role);
  copy->at = message->at;
  copy->text = g_strdup (message->text);
  return copy;
}

void
rh_chat_message_free (RhChatMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->from);
  g_free (message->name);
  g_free (message->role);
  g_free (message->text);
  g_free (message);
}
