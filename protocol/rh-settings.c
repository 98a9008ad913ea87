/* rh-settings.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <stdlib.h>

#include <json-glib/json-glib.h>

#include "rh-error.h"
#include "rh-settings.h"

typedef struct
{
  const char *key;
  const char *default_value;
  /* Both 0 for a boolean; else the range of a whole number. */
  int         min;
  int         max;
} SettingInfo;

/* Every default fails closed: the service is off until an administrator turns it on. */
static const SettingInfo settings[] = {
  { RH_SETTING_REMOTE_HELP_ENABLED, "false" },
  { RH_SETTING_ALLOW_UNENROLLED_DEVICES, "false" },
  { RH_SETTING_CHAT_DISABLED, "false" },
  /* Retention (issue #5): the defaults; the lead's chat purge reads the last one. */
  { RH_SETTING_SESSION_RETENTION_DAYS, "30", 1, 3650 },
  { RH_SETTING_AUDIT_RETENTION_DAYS, "30", 1, 3650 },
  { RH_SETTING_CHAT_RETENTION_DAYS, "90", 1, 3650 },
};

static const char *const setting_keys[] = {
  RH_SETTING_REMOTE_HELP_ENABLED,
  RH_SETTING_ALLOW_UNENROLLED_DEVICES,
  RH_SETTING_CHAT_DISABLED,
  RH_SETTING_SESSION_RETENTION_DAYS,
  RH_SETTING_AUDIT_RETENTION_DAYS,
  RH_SETTING_CHAT_RETENTION_DAYS,
  NULL
};

const char *const *
rh_settings_list_keys (void)
{
  return setting_keys;
}

static const SettingInfo *
lookup (const char  *key,
        GError     **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (settings); i++)
    if (g_strcmp0 (settings[i].key, key) == 0)
      return &settings[i];
  {
    g_autofree char *known = g_strjoinv (", ", (char **) setting_keys);

    g_set_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_SETTING,
                 "Unknown setting “%.64s”; known settings: %s", key ? key : "", known);
  }
  return NULL;
}

const char *
rh_settings_get_default (const char *key)
{
  const SettingInfo *info = lookup (key, NULL);

  return info ? info->default_value : NULL;
}

char *
rh_settings_normalize (const char  *key,
                       const char  *value,
                       GError     **error)
{
  static const char *const yes[] = { "true", "yes", "on", "1", NULL };
  static const char *const no[] = { "false", "no", "off", "0", NULL };
  g_autofree char *lower = NULL;
  const SettingInfo *info = lookup (key, error);

  if (info == NULL)
    return NULL;

  if (info->max > 0)
    {
      guint64 number;

      if (value != NULL && g_ascii_string_to_unsigned (value, 10, info->min, info->max, &number,
                                                        NULL))
        return g_strdup_printf ("%d", (int) number);
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_BAD_SETTING_VALUE,
                   "“%.64s” is not a valid value for %s: use a whole number of days from %d "
                   "to %d", value ? value : "", key, info->min, info->max);
      return NULL;
    }

  lower = g_ascii_strdown (value ? value : "", -1);
  if (g_strv_contains (yes, lower))
    return g_strdup ("true");
  if (g_strv_contains (no, lower))
    return g_strdup ("false");

  g_set_error (error, RH_STORE_ERROR, RH_ERROR_BAD_SETTING_VALUE,
               "“%.64s” is not a valid value for %s: use true or false", value ? value : "", key);
  return NULL;
}

char *
rh_settings_get (RhStore     *store,
                 const char  *key,
                 GError     **error)
{
  const SettingInfo *info = lookup (key, error);
  char *value = NULL;

  if (info == NULL)
    return NULL;
  if (!rh_store_setting_get (store, key, &value, error))
    return NULL;
  return value ? value : g_strdup (info->default_value);
}

gboolean
rh_settings_get_boolean (RhStore     *store,
                         const char  *key,
                         gboolean    *out,
                         GError     **error)
{
  g_autofree char *value = rh_settings_get (store, key, error);

  if (value == NULL)
    return FALSE;
  *out = g_strcmp0 (value, "true") == 0;
  return TRUE;
}

gboolean
rh_settings_get_int (RhStore     *store,
                     const char  *key,
                     int         *out,
                     GError     **error)
{
  g_autofree char *value = rh_settings_get (store, key, error);
  g_autofree char *normalized = NULL;

  if (value == NULL)
    return FALSE;
  /* A value written behind our back (e.g. with sqlite3) is refused, not guessed at. */
  normalized = rh_settings_normalize (key, value, error);
  if (normalized == NULL)
    return FALSE;
  *out = atoi (normalized);
  return TRUE;
}

gboolean
rh_settings_set (RhStore     *store,
                 const char  *actor,
                 const char  *key,
                 const char  *value,
                 GError     **error)
{
  g_autofree char *normalized = rh_settings_normalize (key, value, error);
  g_autofree char *before = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) detail = NULL;
  g_autofree char *detail_json = NULL;

  if (normalized == NULL)
    return FALSE;
  before = rh_settings_get (store, key, error);
  if (before == NULL)
    return FALSE;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "key");
  json_builder_add_string_value (builder, key);
  json_builder_set_member_name (builder, "before");
  json_builder_add_string_value (builder, before);
  json_builder_set_member_name (builder, "after");
  json_builder_add_string_value (builder, normalized);
  json_builder_end_object (builder);
  detail = json_builder_get_root (builder);
  detail_json = json_to_string (detail, FALSE);

  {
    RhAuditNote note = { actor, "setting.changed", detail_json };

    return rh_store_setting_set_audited (store, key, normalized, &note, error);
  }
}
