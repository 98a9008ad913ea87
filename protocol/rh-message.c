/* rh-message.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include "rh-error.h"
#include "rh-message.h"

/* json-glib recurses once per nesting level with no limit of its own, so a message of
 * nothing but '[' would exhaust the stack; none of ours nests deeper than a few levels. */
#define MAX_DEPTH 16

static gboolean
nesting_ok (const char *text,
            gsize       len)
{
  gboolean in_string = FALSE;
  int depth = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > MAX_DEPTH)
            return FALSE;
        }
      else if (c == ']' || c == '}')
        depth--;
    }
  return TRUE;
}

/* json-glib decodes \u escapes without checking them, so a lone surrogate becomes invalid
 * UTF-8 inside an otherwise valid text; every string we hand out is checked again. */
static gboolean
strings_valid (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, &name, &member))
          if (!g_utf8_validate (name, -1, NULL) || !strings_valid (member))
            return FALSE;
        return TRUE;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          if (!strings_valid (json_array_get_element (array, i)))
            return FALSE;
        return TRUE;
      }
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        return g_utf8_validate (json_node_get_string (node), -1, NULL);
      return TRUE;
    case JSON_NODE_NULL:
    default:
      return TRUE;
    }
}

JsonObject *
rh_message_parse (const char  *text,
                  gsize        len,
                  gsize        max_len,
                  GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;
  JsonObject *obj;
  JsonNode *type;

  if (len > max_len)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MESSAGE_TOO_LARGE,
                   "Message of %" G_GSIZE_FORMAT " bytes exceeds %" G_GSIZE_FORMAT, len, max_len);
      return NULL;
    }
  if (!g_utf8_validate_len (text, len, NULL))
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                           "Message is not valid UTF-8");
      return NULL;
    }

  if (!nesting_ok (text, len))
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                           "Message nests too deeply");
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, (gssize) len, &local_error))
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                   "Message is not valid JSON: %s", local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                           "Message is not a JSON object");
      return NULL;
    }
  if (!strings_valid (root))
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                           "Message has a string that is not valid UTF-8");
      return NULL;
    }
  obj = json_node_get_object (root);
  type = json_object_get_member (obj, "type");
  if (type == NULL || json_node_get_value_type (type) != G_TYPE_STRING)
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                           "Message has no string “type”");
      return NULL;
    }
  return json_object_ref (obj);
}

const char *
rh_message_get_type (JsonObject *msg)
{
  return json_object_get_string_member_with_default (msg, "type", "");
}

gint64
rh_message_get_id (JsonObject *msg)
{
  JsonNode *node = json_object_get_member (msg, "id");

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  return MAX (-1, json_node_get_int (node));
}

static JsonNode *
get_member (JsonObject  *msg,
            const char  *field,
            GType        type,
            gboolean     allow_null,
            GError     **error)
{
  JsonNode *node = json_object_get_member (msg, field);

  if (node != NULL && allow_null && JSON_NODE_HOLDS_NULL (node))
    return node;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                   "Field “%s” is missing or not a %s", field,
                   type == G_TYPE_STRING ? "string" :
                   type == G_TYPE_INT64 ? "number" : "boolean");
      return NULL;
    }
  return node;
}

static const char *
get_string (JsonObject  *msg,
            const char  *field,
            gsize        max_len,
            gboolean     allow_null,
            GError     **error)
{
  JsonNode *node = get_member (msg, field, G_TYPE_STRING, allow_null, error);
  const char *s;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  s = json_node_get_string (node);
  if (!g_utf8_validate (s, -1, NULL))
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                   "Field “%s” is not valid UTF-8", field);
      return NULL;
    }
  if (strlen (s) > max_len)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                   "Field “%s” is longer than %" G_GSIZE_FORMAT " bytes", field, max_len);
      return NULL;
    }
  return s;
}

const char *
rh_message_get_string (JsonObject  *msg,
                       const char  *field,
                       gsize        max_len,
                       GError     **error)
{
  return get_string (msg, field, max_len, FALSE, error);
}

const char *
rh_message_get_string_or_null (JsonObject  *msg,
                               const char  *field,
                               gsize        max_len,
                               GError     **error)
{
  if (!json_object_has_member (msg, field))
    return NULL;
  return get_string (msg, field, max_len, TRUE, error);
}

gboolean
rh_message_get_int (JsonObject  *msg,
                    const char  *field,
                    gint64       min,
                    gint64       max,
                    gint64      *out,
                    GError     **error)
{
  JsonNode *node = get_member (msg, field, G_TYPE_INT64, FALSE, error);
  gint64 v;

  if (node == NULL)
    return FALSE;
  v = json_node_get_int (node);
  if (v < min || v > max)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                   "Field “%s” is out of range", field);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

gboolean
rh_message_get_bool (JsonObject  *msg,
                     const char  *field,
                     gboolean    *out,
                     GError     **error)
{
  JsonNode *node = get_member (msg, field, G_TYPE_BOOLEAN, FALSE, error);

  if (node == NULL)
    return FALSE;
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
is_base64 (const char *s)
{
  gsize len = strlen (s);

  if (len % 4 != 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];

      if (g_ascii_isalnum (c) || c == '+' || c == '/')
        continue;
      if (c == '=' && i >= len - 2 && (i == len - 1 || s[len - 1] == '='))
        continue;
      return FALSE;
    }
  return TRUE;
}

GBytes *
rh_message_get_bytes (JsonObject  *msg,
                      const char  *field,
                      gsize        exact_len,
                      gsize        max_len,
                      GError     **error)
{
  gsize limit = exact_len ? exact_len : max_len;
  const char *s = get_string (msg, field, (limit + 2) / 3 * 4, FALSE, error);
  guchar *data;
  gsize len;

  if (s == NULL)
    return NULL;
  /* g_base64_decode() skips characters it does not know; a strict check keeps "two encodings
   * of one value" out of signed and MACed data. */
  if (!is_base64 (s))
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                   "Field “%s” is not base64", field);
      return NULL;
    }
  data = g_base64_decode (s, &len);
  {
    /* Padding bits must be zero: exactly one encoding per value. */
    g_autofree char *again = g_base64_encode (data, len);

    if (g_strcmp0 (again, s) != 0)
      len = G_MAXSIZE;
  }
  if ((exact_len && len != exact_len) || len > limit)
    {
      g_free (data);
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                   "Field “%s” has the wrong length", field);
      return NULL;
    }
  return g_bytes_new_take (data, len);
}

JsonObject *
rh_message_new (const char *type)
{
  JsonObject *msg = json_object_new ();

  json_object_set_string_member (msg, "type", type);
  return msg;
}

void
rh_message_set_bytes (JsonObject   *msg,
                      const char   *field,
                      const guint8 *data,
                      gsize         len)
{
  g_autofree char *b64 = g_base64_encode (data, len);

  json_object_set_string_member (msg, field, b64);
}

char *
rh_message_to_string (JsonObject *msg)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), msg);

  return json_to_string (node, FALSE);
}

JsonObject *
rh_message_new_error (gint64        id,
                      const GError *error)
{
  JsonObject *msg = rh_message_new ("error");
  int code = rh_error_is_rh (error) ? error->code : RH_ERROR_INTERNAL;
  g_autofree char *code_str = g_strdup_printf ("RH-%04d", code);

  if (id >= 0)
    json_object_set_int_member (msg, "id", id);
  json_object_set_string_member (msg, "code", code_str);
  json_object_set_string_member (msg, "message",
                                 rh_error_is_rh (error) ? error->message : "Internal error");
  return msg;
}

GError *
rh_message_to_error (JsonObject *msg)
{
  const char *code = rh_message_get_string_or_null (msg, "code", 16, NULL);
  const char *message = rh_message_get_string_or_null (msg, "message", 4096, NULL);
  g_autofree char *bounded = NULL;
  int n = RH_ERROR_INTERNAL;

  /* Only the exact form "RH-NNNN" of a code we know; anything else is internal. */
  if (code != NULL && strlen (code) == 7 && g_str_has_prefix (code, "RH-") &&
      g_ascii_isdigit (code[3]) && g_ascii_isdigit (code[4]) && g_ascii_isdigit (code[5]) &&
      g_ascii_isdigit (code[6]))
    {
      int v = (int) g_ascii_strtoll (code + 3, NULL, 10);

      if (rh_error_info_lookup (v) != NULL)
        n = v;
    }
  /* Bound what a hostile server can make us print, by characters, not bytes. */
  bounded = g_utf8_substring (message ? message : "", 0,
                              MIN (200, g_utf8_strlen (message ? message : "", -1)));
  return g_error_new (RH_PROTOCOL_ERROR, n, "%s", bounded);
}
