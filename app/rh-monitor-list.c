/* rh-monitor-list.c: the sharer's monitors on the peer channel (issue #6)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-app"

#include "config.h"

#include <stdlib.h>

#include <glib/gi18n.h>

#include "rh-error.h"
#include "rh-message.h"
#include "rh-monitor-list.h"

/* X11 coordinates are 16-bit; anything larger is not a monitor. */
#define MAX_COORD 32767
#define MAX_REFUSAL 512

JsonObject *
rh_monitor_list_to_message (GArray       *monitors,
                            int           selected,
                            const GError *refusal)
{
  JsonObject *msg = rh_message_new ("monitors");
  JsonArray *list = json_array_new ();

  g_return_val_if_fail (monitors != NULL, msg);

  for (guint i = 0; i < monitors->len && i < RH_MONITOR_LIST_MAX; i++)
    {
      const RhRdpMonitor *m = &g_array_index (monitors, RhRdpMonitor, i);
      JsonObject *o = json_object_new ();

      json_object_set_int_member (o, "x", m->x);
      json_object_set_int_member (o, "y", m->y);
      json_object_set_int_member (o, "width", m->width);
      json_object_set_int_member (o, "height", m->height);
      json_object_set_boolean_member (o, "primary", m->primary);
      json_array_add_object_element (list, o);
    }
  json_object_set_array_member (msg, "list", list);
  json_object_set_int_member (msg, "selected", selected);
  if (refusal != NULL)
    {
      g_autofree char *text = rh_error_format (refusal);

      json_object_set_string_member (msg, "refused", text);
    }
  return msg;
}

static GArray *
malformed (GError    **error,
           const char *what)
{
  g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
               "Malformed monitor list: %s", what);
  return NULL;
}

GArray *
rh_monitor_list_from_message (JsonObject  *msg,
                              int         *selected,
                              char       **refusal,
                              GError     **error)
{
  g_autoptr(GArray) out = g_array_new (FALSE, TRUE, sizeof (RhRdpMonitor));
  JsonNode *node = json_object_get_member (msg, "list");
  JsonArray *list;
  gint64 sel = -1;
  const char *text = NULL;

  g_return_val_if_fail (selected != NULL && refusal != NULL, NULL);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return malformed (error, "no list");
  list = json_node_get_array (node);
  if (json_array_get_length (list) == 0 || json_array_get_length (list) > RH_MONITOR_LIST_MAX)
    return malformed (error, "wrong number of monitors");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *element = json_array_get_element (list, i);
      JsonObject *o;
      gint64 x, y, w, h;
      gboolean primary = FALSE;
      RhRdpMonitor m;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return malformed (error, "a monitor is not an object");
      o = json_node_get_object (element);
      if (!rh_message_get_int (o, "x", 0, MAX_COORD, &x, error) ||
          !rh_message_get_int (o, "y", 0, MAX_COORD, &y, error) ||
          !rh_message_get_int (o, "width", 1, MAX_COORD, &w, error) ||
          !rh_message_get_int (o, "height", 1, MAX_COORD, &h, error))
        return NULL;
      if (json_object_has_member (o, "primary") &&
          !rh_message_get_bool (o, "primary", &primary, error))
        return NULL;
      m = (RhRdpMonitor) { (int) x, (int) y, (int) w, (int) h, primary };
      g_array_append_val (out, m);
    }
  if (!rh_message_get_int (msg, "selected", -1, (gint64) out->len - 1, &sel, error))
    return NULL;
  if (json_object_has_member (msg, "refused") &&
      !(text = rh_message_get_string (msg, "refused", MAX_REFUSAL, error)))
    return NULL;
  *selected = (int) sel;
  *refusal = g_strdup (text);
  return g_steal_pointer (&out);
}

JsonObject *
rh_monitor_select_message (int index)
{
  JsonObject *msg = rh_message_new ("select-monitor");

  json_object_set_int_member (msg, "index", index);
  return msg;
}

gboolean
rh_monitor_parse_select (JsonObject *msg,
                         guint       n_monitors,
                         int        *index,
                         GError    **error)
{
  gint64 value;

  if (!rh_message_get_int (msg, "index", G_MININT32, G_MAXINT32, &value, error))
    return FALSE;
  if (value < -1 || value >= (gint64) n_monitors)
    {
      g_set_error (error, RH_RDP_ERROR, RH_ERROR_MONITOR_INVALID,
                   _("There is no monitor %" G_GINT64_FORMAT "; the screen has %u"),
                   value + 1, n_monitors);
      return FALSE;
    }
  *index = (int) value;
  return TRUE;
}

char *
rh_monitor_describe (GArray *monitors,
                     int     selected)
{
  const RhRdpMonitor *m;

  if (monitors == NULL || selected < 0 || (guint) selected >= monitors->len)
    return g_strdup ("all");
  m = &g_array_index (monitors, RhRdpMonitor, selected);
  return g_strdup_printf ("%d/%u %dx%d", selected + 1, monitors->len, m->width, m->height);
}

gboolean
rh_monitor_parse_choice (const char *text,
                         int        *index)
{
  char *end = NULL;
  gint64 n;

  if (text == NULL)
    return FALSE;
  if (g_str_equal (text, "all"))
    {
      *index = RH_RDP_MONITOR_ALL;
      return TRUE;
    }
  if (!g_ascii_isdigit (text[0]))
    return FALSE;
  n = g_ascii_strtoll (text, &end, 10);
  if (end == NULL || *end != '\0' || n < 1 || n > RH_MONITOR_LIST_MAX)
    return FALSE;
  *index = (int) n - 1;
  return TRUE;
}
