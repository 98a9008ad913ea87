/* rh-permissions.h: what a role lets a helper do
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Flags, so that the effective permissions of several assignments are their bitwise union.
 * Stored as this number in the database and signed as names in the helper's card. */
typedef enum
{
  RH_PERMISSION_NONE              = 0,
  RH_PERMISSION_VIEW_SCREEN       = 1 << 0,
  RH_PERMISSION_TAKE_FULL_CONTROL = 1 << 1,
  RH_PERMISSION_ELEVATION         = 1 << 2,
} RhPermissions;

#define RH_PERMISSIONS_ALL \
  (RH_PERMISSION_VIEW_SCREEN | RH_PERMISSION_TAKE_FULL_CONTROL | RH_PERMISSION_ELEVATION)

/* "view-screen", "take-full-control", "elevation"; NULL for anything but one flag. */
const char    *rh_permission_to_string  (RhPermissions   permission);
/* Parses one name; RH_PERMISSION_NONE when unknown. */
RhPermissions  rh_permission_from_string (const char     *name);
/* "view-screen,take-full-control" in flag order; "" for none. */
char          *rh_permissions_to_string (RhPermissions   permissions);
/* NULL-terminated names in flag order. */
GStrv          rh_permissions_to_strv   (RhPermissions   permissions);
/* Names separated by commas and/or spaces, each known (RH_ERROR_UNKNOWN_PERMISSION
 * otherwise); duplicates are fine. */
gboolean       rh_permissions_parse     (const char     *text,
                                         RhPermissions  *out_permissions,
                                         GError        **error);
gboolean       rh_permissions_parse_strv (const char *const *names,
                                          RhPermissions     *out_permissions,
                                          GError           **error);

G_END_DECLS
