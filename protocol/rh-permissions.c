/* rh-permissions.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include "rh-error.h"
#include "rh-permissions.h"

static const struct
{
  RhPermissions permission;
  const char   *name;
} permission_names[] = {
  { RH_PERMISSION_VIEW_SCREEN, "view-screen" },
  { RH_PERMISSION_TAKE_FULL_CONTROL, "take-full-control" },
  { RH_PERMISSION_ELEVATION, "elevation" },
};

const char *
rh_permission_to_string (RhPermissions permission)
{
  for (gsize i = 0; i < G_N_ELEMENTS (permission_names); i++)
    if (permission_names[i].permission == permission)
      return permission_names[i].name;
  return NULL;
}

RhPermissions
rh_permission_from_string (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (permission_names); i++)
    if (g_strcmp0 (permission_names[i].name, name) == 0)
      return permission_names[i].permission;
  return RH_PERMISSION_NONE;
}

GStrv
rh_permissions_to_strv (RhPermissions permissions)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (permission_names); i++)
    if ((permissions & permission_names[i].permission) != 0)
      g_strv_builder_add (builder, permission_names[i].name);
  return g_strv_builder_end (builder);
}

char *
rh_permissions_to_string (RhPermissions permissions)
{
  g_auto(GStrv) names = rh_permissions_to_strv (permissions);

  return g_strjoinv (",", names);
}

static gboolean
add_name (const char    *name,
          RhPermissions *permissions,
          GError       **error)
{
  RhPermissions one = rh_permission_from_string (name);

  if (one == RH_PERMISSION_NONE)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_PERMISSION,
                   "Unknown permission “%.64s”; known permissions: view-screen, "
                   "take-full-control, elevation", name);
      return FALSE;
    }
  *permissions |= one;
  return TRUE;
}

gboolean
rh_permissions_parse (const char    *text,
                      RhPermissions *out_permissions,
                      GError       **error)
{
  g_auto(GStrv) parts = NULL;
  RhPermissions permissions = RH_PERMISSION_NONE;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out_permissions != NULL, FALSE);

  parts = g_strsplit_set (text, ", \t", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == '\0')
        continue;
      if (!add_name (parts[i], &permissions, error))
        return FALSE;
    }
  *out_permissions = permissions;
  return TRUE;
}

gboolean
rh_permissions_parse_strv (const char *const *names,
                           RhPermissions     *out_permissions,
                           GError           **error)
{
  RhPermissions permissions = RH_PERMISSION_NONE;

  g_return_val_if_fail (out_permissions != NULL, FALSE);

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    if (!add_name (names[i], &permissions, error))
      return FALSE;
  *out_permissions = permissions;
  return TRUE;
}
