/* rh-message.h: encoding and checking of the JSON messages on the wire
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Every message is one JSON object with a string "type". Requests carry an integer "id" that
 * the reply repeats; errors are {"type":"error","id":N,"code":"RH-NNNN","message":"…"}. */
#define RH_PROTOCOL_VERSION 1
#define RH_SUBPROTOCOL "remote-help.v1"

/* Parses and checks the envelope: RH_ERROR_MALFORMED_MESSAGE when the text is not a JSON
 * object with a string "type" (or is over max_len, RH_ERROR_MESSAGE_TOO_LARGE). */
JsonObject *rh_message_parse        (const char   *text,
                                     gsize         len,
                                     gsize         max_len,
                                     GError      **error);
const char *rh_message_get_type     (JsonObject   *msg);
/* -1 when the message has no usable id. */
gint64      rh_message_get_id       (JsonObject   *msg);

/* Field getters; each fails with RH_ERROR_MALFORMED_MESSAGE naming the field. */
const char *rh_message_get_string   (JsonObject   *msg,
                                     const char   *field,
                                     gsize         max_len,
                                     GError      **error);
const char *rh_message_get_string_or_null (JsonObject *msg,
                                           const char *field,
                                           gsize       max_len,
                                           GError    **error);
gboolean    rh_message_get_int      (JsonObject   *msg,
                                     const char   *field,
                                     gint64        min,
                                     gint64        max,
                                     gint64       *out,
                                     GError      **error);
gboolean    rh_message_get_bool     (JsonObject   *msg,
                                     const char   *field,
                                     gboolean     *out,
                                     GError      **error);
/* base64 field decoded; exact_len > 0 demands that length, else at most max_len bytes. */
GBytes     *rh_message_get_bytes    (JsonObject   *msg,
                                     const char   *field,
                                     gsize         exact_len,
                                     gsize         max_len,
                                     GError      **error);

JsonObject *rh_message_new          (const char   *type);
void        rh_message_set_bytes    (JsonObject   *msg,
                                     const char   *field,
                                     const guint8 *data,
                                     gsize         len);
char       *rh_message_to_string    (JsonObject   *msg);
/* {"type":"error","id":id,"code":"RH-NNNN","message":…} from an RH GError. */
JsonObject *rh_message_new_error    (gint64        id,
                                     const GError *error);
/* The reverse: turns an error message into a GError in RH_PROTOCOL_ERROR. */
GError     *rh_message_to_error     (JsonObject   *msg);

G_END_DECLS
