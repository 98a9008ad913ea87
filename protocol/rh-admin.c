/* rh-admin.c: validated administration operations, each audited in its own transaction
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include "rh-admin.h"
#include "rh-error.h"
#include "rh-settings.h"

#define DAY_SECONDS (24 * 60 * 60)

/* Validation */

static gboolean
check_text (const char  *value,
            const char  *what,
            gsize        max_chars,
            gboolean     allow_empty,
            GError     **error)
{
  const char *p;

  if (value == NULL || !g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_BAD_NAME, "The %s is not valid UTF-8 text",
                   what);
      return FALSE;
    }
  if (!allow_empty && value[0] == '\0')
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_BAD_NAME, "The %s is empty", what);
      return FALSE;
    }
  if (g_utf8_strlen (value, -1) > (glong) max_chars)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_BAD_NAME,
                   "The %s is longer than %" G_GSIZE_FORMAT " characters", what, max_chars);
      return FALSE;
    }
  for (p = value; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT ||
          c == 0x2028 || c == 0x2029)
        {
          g_set_error (error, RH_STORE_ERROR, RH_ERROR_BAD_NAME,
                       "The %s has a control character", what);
          return FALSE;
        }
    }
  if (value[0] != '\0' &&
      (g_unichar_isspace (g_utf8_get_char (value)) ||
       g_unichar_isspace (g_utf8_get_char (g_utf8_find_prev_char (value, value + strlen (value))))))
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_BAD_NAME,
                   "The %s starts or ends with a space", what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_name (const char  *name,
            GError     **error)
{
  return check_text (name, "name", RH_ADMIN_NAME_MAX_CHARS, FALSE, error);
}

static gboolean
check_description (const char  *description,
                   GError     **error)
{
  return check_text (description != NULL ? description : "", "description",
                     RH_ADMIN_DESCRIPTION_MAX_CHARS, TRUE, error);
}

static gboolean
parse_role_permissions (const char *const *names,
                        RhPermissions     *out,
                        GError           **error)
{
  if (!rh_permissions_parse_strv (names, out, error))
    return FALSE;
  if ((*out & RH_PERMISSION_VIEW_SCREEN) == 0)
    {
      g_set_error_literal (error, RH_STORE_ERROR, RH_ERROR_BAD_PERMISSIONS,
                           "A role must include view-screen: every session shows the sharer's "
                           "screen");
      return FALSE;
    }
  return TRUE;
}

/* Logins are checked for existence by the store; here only their form, so that a message
 * never echoes kilobytes of garbage. */
static gboolean
check_logins (const char *const *logins,
              GError           **error)
{
  for (guint i = 0; logins != NULL && logins[i] != NULL; i++)
    if (logins[i][0] == '\0' || strlen (logins[i]) > 64 ||
        !g_utf8_validate (logins[i], -1, NULL))
      {
        g_set_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_USER,
                     "“%.64s” is not a user's login", logins[i]);
        return FALSE;
      }
  return TRUE;
}

static gboolean
check_group_names (const char *const *names,
                   GError           **error)
{
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    if (!check_name (names[i], error))
      return FALSE;
  return TRUE;
}

/* JSON */

static void
add_strv (JsonBuilder       *builder,
          const char        *member,
          const char *const *values)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int (JsonBuilder *builder,
         const char  *member,
         gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

JsonNode *
rh_admin_role_to_json (const RhRole *role)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_auto(GStrv) permissions = rh_permissions_to_strv (role->permissions);

  json_builder_begin_object (builder);
  if (role->id > 0)
    add_int (builder, "id", role->id);
  add_string (builder, "name", role->name);
  add_string (builder, "description", role->description != NULL ? role->description : "");
  add_strv (builder, "permissions", (const char *const *) permissions);
  json_builder_set_member_name (builder, "builtin");
  json_builder_add_boolean_value (builder, role->builtin);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

JsonNode *
rh_admin_group_to_json (const RhGroup *group)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  if (group->id > 0)
    add_int (builder, "id", group->id);
  add_string (builder, "name", group->name);
  add_string (builder, "description", group->description != NULL ? group->description : "");
  add_strv (builder, "members", (const char *const *) group->members);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

JsonNode *
rh_admin_assignment_to_json (const RhAssignment *assignment)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  if (assignment->id > 0)
    add_int (builder, "id", assignment->id);
  add_string (builder, "role", assignment->role);
  add_string (builder, "helper_group", assignment->helper_group);
  if (assignment->all_users)
    add_string (builder, "scope", "all-users");
  else
    add_strv (builder, "scope", (const char *const *) assignment->scope_groups);
  if (assignment->created_at > 0)
    add_int (builder, "created_at", assignment->created_at);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

JsonNode *
rh_admin_session_to_json (const RhSessionRecord *session)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_auto(GStrv) modes = g_strsplit (session->modes != NULL ? session->modes : "", ",", -1);

  json_builder_begin_object (builder);
  add_int (builder, "id", session->id);
  add_string (builder, "helper", session->helper_login);
  add_string (builder, "sharer", session->sharer_login);
  add_string (builder, "device", session->device);
  add_int (builder, "started_at", session->started_at);
  json_builder_set_member_name (builder, "ended_at");
  if (session->ended_at > 0)
    json_builder_add_int_value (builder, session->ended_at);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "duration_seconds");
  if (session->ended_at > 0)
    json_builder_add_int_value (builder, MAX (0, session->ended_at - session->started_at));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "active");
  json_builder_add_boolean_value (builder, session->ended_at <= 0);
  add_string (builder, "mode", session->mode);
  json_builder_set_member_name (builder, "modes");
  json_builder_begin_array (builder);
  for (guint i = 0; modes[i] != NULL; i++)
    if (modes[i][0] != '\0')
      json_builder_add_string_value (builder, modes[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "elevation_used");
  json_builder_add_boolean_value (builder, session->elevation_used);
  add_string (builder, "end_reason", session->end_reason);
  json_builder_set_member_name (builder, "elevation_tools");
  json_builder_add_value (builder, rh_admin_session_elevation_tools (session));
  add_string (builder, "elevation_end", session->elevation_end);
  add_int (builder, "bytes_relayed", (gint64) MIN (session->bytes_relayed, (guint64) G_MAXINT64));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Administrator access (issue #6) */

JsonNode *
rh_admin_session_elevation_tools (const RhSessionRecord *session)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *out = json_array_new ();
  JsonNode *root;

  /* The store wrote the array; a row edited by hand could hold anything, so only well-formed
   * entries are passed on. */
  if (session->elevation_tools != NULL &&
      json_parser_load_from_data (parser, session->elevation_tools, -1, NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *tools = json_node_get_array (root);

      for (guint i = 0; i < json_array_get_length (tools); i++)
        {
          JsonNode *node = json_array_get_element (tools, i);
          JsonObject *tool = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
          JsonObject *copy;

          if (tool == NULL ||
              json_object_get_string_member_with_default (tool, "tool", NULL) == NULL)
            continue;
          copy = json_object_new ();
          json_object_set_string_member (copy, "tool",
                                         json_object_get_string_member (tool, "tool"));
          json_object_set_boolean_member (copy, "ok",
                                          json_object_get_boolean_member_with_default (tool, "ok",
                                                                                       FALSE));
          if (json_object_get_string_member_with_default (tool, "error", NULL) != NULL)
            json_object_set_string_member (copy, "error",
                                           json_object_get_string_member (tool, "error"));
          json_array_add_object_element (out, copy);
        }
    }
  root = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (root, out);
  return root;
}

static void
append_tools (GString               *out,
              const RhSessionRecord *session,
              const char            *separator,
              gboolean               with_errors)
{
  g_autoptr(JsonNode) node = rh_admin_session_elevation_tools (session);
  JsonArray *tools = json_node_get_array (node);

  for (guint i = 0; i < json_array_get_length (tools); i++)
    {
      JsonObject *tool = json_array_get_object_element (tools, i);
      const char *why = json_object_get_string_member_with_default (tool, "error", NULL);

      if (i > 0)
        g_string_append (out, separator);
      g_string_append (out, json_object_get_string_member (tool, "tool"));
      if (json_object_get_boolean_member (tool, "ok"))
        continue;
      if (with_errors && why != NULL && *why != '\0')
        g_string_append_printf (out, " (failed: %s)", why);
      else
        g_string_append (out, " (failed)");
    }
}

char *
rh_admin_session_elevation_text (const RhSessionRecord *session)
{
  GString *out = g_string_new (NULL);

  append_tools (out, session, "; ", TRUE);
  return g_string_free (out, FALSE);
}

char *
rh_admin_session_elevation_summary (const RhSessionRecord *session)
{
  GString *out;

  if (!session->elevation_used)
    return NULL;
  out = g_string_new (NULL);
  append_tools (out, session, ", ", FALSE);
  /* "sign-out: failed — steps" → "sign-out failed": the steps are in the export. */
  if (session->elevation_end != NULL && *session->elevation_end != '\0')
    {
      g_auto(GStrv) parts = g_strsplit (session->elevation_end, ": ", 2);
      g_autofree char *outcome = parts[1] != NULL ? g_strdup (parts[1]) : g_strdup ("");
      char *space = strpbrk (outcome, " \n");

      if (space != NULL)
        *space = '\0';
      if (out->len > 0)
        g_string_append (out, " · ");
      g_string_append (out, parts[0]);
      if (*outcome != '\0')
        g_string_append_printf (out, " %s", outcome);
    }
  if (out->len == 0)
    g_string_append (out, "granted");
  return g_string_free (out, FALSE);
}

JsonNode *
rh_admin_audit_to_json (const RhAuditRecord *record)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();

  json_builder_begin_object (builder);
  add_int (builder, "id", record->id);
  add_int (builder, "at", record->at);
  add_string (builder, "actor", record->actor);
  add_string (builder, "action", record->action);
  json_builder_set_member_name (builder, "detail");
  if (record->detail != NULL && json_parser_load_from_data (parser, record->detail, -1, NULL) &&
      json_parser_get_root (parser) != NULL)
    json_builder_add_value (builder, json_node_copy (json_parser_get_root (parser)));
  else if (record->detail != NULL)
    json_builder_add_string_value (builder, record->detail);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* {"before": before, "after": after}; either may be NULL (JSON null). Takes both. */
static char *
detail_json (JsonNode *before,
             JsonNode *after)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "before");
  if (before != NULL)
    json_builder_add_value (builder, before);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "after");
  if (after != NULL)
    json_builder_add_value (builder, after);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* Every change writes one audit row with the record before and after; @detail keeps the
 * text alive for the note until the caller's store call has written it. */
static RhAuditNote
audit_note (const char  *actor,
            const char  *action,
            JsonNode    *before,
            JsonNode    *after,
            char       **detail)
{
  *detail = detail_json (before, after);
  return (RhAuditNote) { actor, action, *detail };
}

/* Roles and groups are renamed and redescribed alike: each given field is checked, then
 * replaces the current one (borrowed, like the caller's copy of the record). */
static gboolean
apply_renaming (const char  *new_name,
                const char  *description,
                char       **name_field,
                char       **description_field,
                GError     **error)
{
  if (new_name != NULL)
    {
      if (!check_name (new_name, error))
        return FALSE;
      *name_field = (char *) new_name;
    }
  if (description != NULL)
    {
      if (!check_description (description, error))
        return FALSE;
      *description_field = (char *) description;
    }
  return TRUE;
}

/* Roles */

gboolean
rh_admin_role_create (RhStore            *store,
                      const char         *actor,
                      const char         *name,
                      const char         *description,
                      const char *const  *permissions,
                      GError            **error)
{
  RhRole role = { 0 };
  g_autofree char *detail = NULL;
  RhAuditNote note;

  g_return_val_if_fail (RH_IS_STORE (store), FALSE);

  if (!check_name (name, error) ||
      !check_description (description, error) ||
      !parse_role_permissions (permissions, &role.permissions, error))
    return FALSE;

  role.name = (char *) name;
  role.description = (char *) (description != NULL ? description : "");
  note = audit_note (actor, "role.created", NULL, rh_admin_role_to_json (&role), &detail);
  return rh_store_role_create (store, &role, &note, NULL, error);
}

gboolean
rh_admin_role_update (RhStore            *store,
                      const char         *actor,
                      const char         *name,
                      const char         *new_name,
                      const char         *description,
                      const char *const  *permissions,
                      GError            **error)
{
  g_autoptr(RhRole) current = NULL;
  RhRole role;
  g_autofree char *detail = NULL;
  RhAuditNote note;

  g_return_val_if_fail (RH_IS_STORE (store), FALSE);

  if (name == NULL || (current = rh_store_role_get (store, name, error)) == NULL)
    return name != NULL ? FALSE : check_name (name, error);

  role = *current;
  if (!apply_renaming (new_name, description, &role.name, &role.description, error))
    return FALSE;
  if (permissions != NULL && !parse_role_permissions (permissions, &role.permissions, error))
    return FALSE;

  note = audit_note (actor, "role.updated", rh_admin_role_to_json (current),
                     rh_admin_role_to_json (&role), &detail);
  return rh_store_role_update (store, current->name, &role, &note, error);
}

gboolean
rh_admin_role_delete (RhStore     *store,
                      const char  *actor,
                      const char  *name,
                      GError     **error)
{
  g_autoptr(RhRole) current = NULL;
  g_autofree char *detail = NULL;
  RhAuditNote note;

  g_return_val_if_fail (RH_IS_STORE (store), FALSE);

  if (name == NULL)
    return check_name (name, error);
  current = rh_store_role_get (store, name, error);
  if (current == NULL)
    return FALSE;

  note = audit_note (actor, "role.deleted", rh_admin_role_to_json (current), NULL, &detail);
  return rh_store_role_delete (store, current->name, &note, error);
}

GPtrArray *
rh_admin_role_list (RhStore  *store,
                    GError  **error)
{
  return rh_store_role_list (store, error);
}

/* Groups */

/* Sorted, without duplicates: the stored order, so that before and after compare. */
static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static GStrv
normalize_members (const char *const *members)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; members != NULL && members[i] != NULL; i++)
    g_ptr_array_add (list, (gpointer) members[i]);
  g_ptr_array_sort (list, compare_strings);
  for (guint i = 0; i < list->len; i++)
    if (i == 0 || g_strcmp0 (g_ptr_array_index (list, i), g_ptr_array_index (list, i - 1)) != 0)
      g_strv_builder_add (builder, g_ptr_array_index (list, i));
  return g_strv_builder_end (builder);
}

gboolean
rh_admin_group_create (RhStore            *store,
                       const char         *actor,
                       const char         *name,
                       const char         *description,
                       const char *const  *members,
                       GError            **error)
{
  g_auto(GStrv) sorted = NULL;
  RhGroup group = { 0 };
  g_autofree char *detail = NULL;
  RhAuditNote note;

  g_return_val_if_fail (RH_IS_STORE (store), FALSE);

  if (!check_name (name, error) ||
      !check_description (description, error) ||
      !check_logins (members, error))
    return FALSE;

  sorted = normalize_members (members);
  group.name = (char *) name;
  group.description = (char *) (description != NULL ? description : "");
  group.members = sorted;
  note = audit_note (actor, "group.created", NULL, rh_admin_group_to_json (&group), &detail);
  return rh_store_group_create (store, &group, &note, NULL, error);
}

gboolean
rh_admin_group_update (RhStore            *store,
                       const char         *actor,
                       const char         *name,
                       const char         *new_name,
                       const char         *description,
                       const char *const  *members,
                       const char *const  *add_members,
                       const char *const  *remove_members,
                       GError            **error)
{
  g_autoptr(RhGroup) current = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_auto(GStrv) sorted = NULL;
  RhGroup group;
  g_autofree char *detail = NULL;
  RhAuditNote note;
  const char *const *base;

  g_return_val_if_fail (RH_IS_STORE (store), FALSE);

  if (name == NULL)
    return check_name (name, error);
  current = rh_store_group_get (store, name, error);
  if (current == NULL)
    return FALSE;

  group = *current;
  if (!apply_renaming (new_name, description, &group.name, &group.description, error))
    return FALSE;
  if (!check_logins (members, error) || !check_logins (add_members, error) ||
      !check_logins (remove_members, error))
    return FALSE;

  base = members != NULL ? members : (const char *const *) current->members;
  for (guint i = 0; base[i] != NULL; i++)
    if (remove_members == NULL || !g_strv_contains (remove_members, base[i]))
      g_ptr_array_add (list, (gpointer) base[i]);
  for (guint i = 0; add_members != NULL && add_members[i] != NULL; i++)
    g_ptr_array_add (list, (gpointer) add_members[i]);
  g_ptr_array_add (list, NULL);
  sorted = normalize_members ((const char *const *) list->pdata);
  group.members = sorted;

  note = audit_note (actor, "group.updated", rh_admin_group_to_json (current),
                     rh_admin_group_to_json (&group), &detail);
  return rh_store_group_update (store, current->name, &group, &note, error);
}

gboolean
rh_admin_group_delete (RhStore     *store,
                       const char  *actor,
                       const char  *name,
                       GError     **error)
{
  g_autoptr(RhGroup) current = NULL;
  g_autofree char *detail = NULL;
  RhAuditNote note;

  g_return_val_if_fail (RH_IS_STORE (store), FALSE);

  if (name == NULL)
    return check_name (name, error);
  current = rh_store_group_get (store, name, error);
  if (current == NULL)
    return FALSE;

  note = audit_note (actor, "group.deleted", rh_admin_group_to_json (current), NULL, &detail);
  return rh_store_group_delete (store, current->name, &note, error);
}

GPtrArray *
rh_admin_group_list (RhStore  *store,
                     GError  **error)
{
  return rh_store_group_list (store, error);
}

/* Assignments */

/* The stored spelling of role and group names, so that the audit shows what the rows say;
 * unknown names fail here already, with the store's errors. */
static gboolean
canonical_names (RhStore       *store,
                 RhAssignment  *assignment,
                 GStrv         *storage,
                 char         **role_name,
                 char         **helper_name,
                 GError       **error)
{
  g_autoptr(RhRole) role = rh_store_role_get (store, assignment->role, error);
  g_autoptr(RhGroup) helpers = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (role == NULL)
    return FALSE;
  helpers = rh_store_group_get (store, assignment->helper_group, error);
  if (helpers == NULL)
    return FALSE;
  for (guint i = 0; assignment->scope_groups != NULL && assignment->scope_groups[i] != NULL; i++)
    {
      g_autoptr(RhGroup) scope = rh_store_group_get (store, assignment->scope_groups[i], error);

      if (scope == NULL)
        return FALSE;
      g_strv_builder_add (builder, scope->name);
    }

  *role_name = g_steal_pointer (&role->name);
  *helper_name = g_steal_pointer (&helpers->name);
  assignment->role = *role_name;
  assignment->helper_group = *helper_name;
  if (assignment->scope_groups != NULL)
    {
      g_auto(GStrv) names = g_strv_builder_end (builder);

      g_strfreev (*storage);
      *storage = normalize_members ((const char *const *) names);
      assignment->scope_groups = *storage;
    }
  return TRUE;
}

static gboolean
apply_scope (RhAssignment       *assignment,
             RhAdminScope        scope,
             const char *const  *scope_groups,
             GStrv              *out_storage,
             GError            **error)
{
  gboolean has_groups = scope_groups != NULL && scope_groups[0] != NULL;

  switch (scope)
    {
    case RH_ADMIN_SCOPE_KEEP:
      if (has_groups)
        break;
      return TRUE;
    case RH_ADMIN_SCOPE_ALL_USERS:
      if (has_groups)
        break;
      assignment->all_users = TRUE;
      *out_storage = g_new0 (char *, 1);
      assignment->scope_groups = *out_storage;
      return TRUE;
    case RH_ADMIN_SCOPE_GROUPS:
      if (!has_groups)
        break;
      if (!check_group_names (scope_groups, error))
        return FALSE;
      assignment->all_users = FALSE;
      *out_storage = normalize_members (scope_groups);
      assignment->scope_groups = *out_storage;
      return TRUE;
    default:
      break;
    }

  g_set_error_literal (error, RH_STORE_ERROR, RH_ERROR_BAD_SCOPE,
                       "An assignment's scope is either all users or one or more groups");
  return FALSE;
}

gboolean
rh_admin_assignment_create (RhStore            *store,
                            const char         *actor,
                            const char         *role,
                            const char         *helper_group,
                            RhAdminScope        scope,
                            const char *const  *scope_groups,
                            gint64             *out_id,
                            GError            **error)
{
  RhAssignment assignment = { 0 };
  g_auto(GStrv) storage = NULL;
  g_autofree char *role_name = NULL;
  g_autofree char *helper_name = NULL;
  g_autofree char *detail = NULL;
  RhAuditNote note;

  g_return_val_if_fail (RH_IS_STORE (store), FALSE);

  if (scope == RH_ADMIN_SCOPE_KEEP)
    scope = RH_ADMIN_SCOPE_GROUPS;
  if (!check_name (role, error) ||
      !check_name (helper_group, error) ||
      !apply_scope (&assignment, scope, scope_groups, &storage, error))
    return FALSE;

  assignment.role = (char *) role;
  assignment.helper_group = (char *) helper_group;
  if (!canonical_names (store, &assignment, &storage, &role_name, &helper_name, error))
    return FALSE;
  note = audit_note (actor, "assignment.created", NULL,
                     rh_admin_assignment_to_json (&assignment), &detail);
  return rh_store_assignment_create (store, &assignment, &note, out_id, error);
}

gboolean
rh_admin_assignment_update (RhStore            *store,
                            const char         *actor,
                            gint64              id,
                            const char         *role,
                            const char         *helper_group,
                            RhAdminScope        scope,
                            const char *const  *scope_groups,
                            GError            **error)
{
  g_autoptr(RhAssignment) current = NULL;
  RhAssignment assignment;
  g_auto(GStrv) storage = NULL;
  g_autofree char *role_name = NULL;
  g_autofree char *helper_name = NULL;
  g_autofree char *detail = NULL;
  RhAuditNote note;

  g_return_val_if_fail (RH_IS_STORE (store), FALSE);

  current = rh_store_assignment_get (store, id, error);
  if (current == NULL)
    return FALSE;

  assignment = *current;
  if (role != NULL)
    {
      if (!check_name (role, error))
        return FALSE;
      assignment.role = (char *) role;
    }
  if (helper_group != NULL)
    {
      if (!check_name (helper_group, error))
        return FALSE;
      assignment.helper_group = (char *) helper_group;
    }
  if (!apply_scope (&assignment, scope, scope_groups, &storage, error) ||
      !canonical_names (store, &assignment, &storage, &role_name, &helper_name, error))
    return FALSE;

  note = audit_note (actor, "assignment.updated", rh_admin_assignment_to_json (current),
                     rh_admin_assignment_to_json (&assignment), &detail);
  return rh_store_assignment_update (store, id, &assignment, &note, error);
}

gboolean
rh_admin_assignment_delete (RhStore     *store,
                            const char  *actor,
                            gint64       id,
                            GError     **error)
{
  g_autoptr(RhAssignment) current = NULL;
  g_autofree char *detail = NULL;
  RhAuditNote note;

  g_return_val_if_fail (RH_IS_STORE (store), FALSE);

  current = rh_store_assignment_get (store, id, error);
  if (current == NULL)
    return FALSE;

  note = audit_note (actor, "assignment.deleted", rh_admin_assignment_to_json (current),
                     NULL, &detail);
  return rh_store_assignment_delete (store, id, &note, error);
}

GPtrArray *
rh_admin_assignment_list (RhStore  *store,
                          GError  **error)
{
  return rh_store_assignment_list (store, error);
}

/* Settings */

gboolean
rh_admin_setting_set (RhStore     *store,
                      const char  *actor,
                      const char  *key,
                      const char  *value,
                      GError     **error)
{
  return rh_settings_set (store, actor, key, value, error);
}

/* Export */

gboolean
rh_admin_export_format_parse (const char      *name,
                              RhExportFormat  *out_format,
                              GError         **error)
{
  if (g_strcmp0 (name, "csv") == 0)
    *out_format = RH_EXPORT_CSV;
  else if (g_strcmp0 (name, "json") == 0)
    *out_format = RH_EXPORT_JSON;
  else
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_USAGE,
                   "Unknown export format “%.16s”: use csv or json", name ? name : "");
      return FALSE;
    }
  return TRUE;
}

/* RFC 4180, and no cell that a spreadsheet would evaluate: an audit detail or a device name
 * comes from users and must not become a formula in the administrator's spreadsheet. */
static void
csv_cell (GString    *out,
          const char *value,
          gboolean    last)
{
  if (value == NULL)
    value = "";
  g_string_append_c (out, '"');
  if (strchr ("=+-@\t\r", value[0]) != NULL && value[0] != '\0')
    g_string_append_c (out, '\'');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
  g_string_append (out, last ? "\r\n" : ",");
}

static char *
iso_time (gint64 seconds)
{
  g_autoptr(GDateTime) time = NULL;

  if (seconds <= 0)
    return g_strdup ("");
  time = g_date_time_new_from_unix_utc (seconds);
  return time != NULL ? g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("");
}

static char *
json_array_string (GPtrArray *nodes)
{
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
  JsonArray *array = json_array_sized_new (nodes->len);

  for (guint i = 0; i < nodes->len; i++)
    json_array_add_element (array, g_ptr_array_index (nodes, i));
  g_ptr_array_set_free_func (nodes, NULL);
  json_node_take_array (root, array);
  return json_to_string (root, TRUE);
}

char *
rh_admin_export_sessions (RhStore         *store,
                          RhExportFormat   format,
                          gint64           since,
                          GError         **error)
{
  g_autoptr(GPtrArray) sessions = rh_store_session_list (store, since, error);
  g_autoptr(GString) out = NULL;

  if (sessions == NULL)
    return NULL;

  if (format == RH_EXPORT_JSON)
    {
      g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

      for (guint i = 0; i < sessions->len; i++)
        g_ptr_array_add (nodes, rh_admin_session_to_json (g_ptr_array_index (sessions, i)));
      return json_array_string (nodes);
    }

  out = g_string_new ("id,helper,sharer,device,started_at,ended_at,duration_seconds,active,"
                      "mode,modes,elevation_used,end_reason,bytes_relayed,elevation_tools,"
                      "elevation_end\r\n");
  for (guint i = 0; i < sessions->len; i++)
    {
      RhSessionRecord *s = g_ptr_array_index (sessions, i);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, s->id);
      g_autofree char *started = iso_time (s->started_at);
      g_autofree char *ended = iso_time (s->ended_at);
      g_autofree char *duration =
        s->ended_at > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT,
                                           MAX (0, s->ended_at - s->started_at))
                        : g_strdup ("");
      g_autofree char *bytes = g_strdup_printf ("%" G_GUINT64_FORMAT, s->bytes_relayed);
      g_autofree char *tools = rh_admin_session_elevation_text (s);

      csv_cell (out, id, FALSE);
      csv_cell (out, s->helper_login, FALSE);
      csv_cell (out, s->sharer_login, FALSE);
      csv_cell (out, s->device, FALSE);
      csv_cell (out, started, FALSE);
      csv_cell (out, ended, FALSE);
      csv_cell (out, duration, FALSE);
      csv_cell (out, s->ended_at <= 0 ? "true" : "false", FALSE);
      csv_cell (out, s->mode, FALSE);
      csv_cell (out, s->modes, FALSE);
      csv_cell (out, s->elevation_used ? "true" : "false", FALSE);
      csv_cell (out, s->end_reason, FALSE);
      csv_cell (out, bytes, FALSE);
      csv_cell (out, tools, FALSE);
      csv_cell (out, s->elevation_end, TRUE);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
rh_admin_export_audit (RhStore         *store,
                       RhExportFormat   format,
                       gint64           since,
                       GError         **error)
{
  g_autoptr(GPtrArray) records = rh_store_audit_list (store, since, error);
  g_autoptr(GString) out = NULL;

  if (records == NULL)
    return NULL;

  if (format == RH_EXPORT_JSON)
    {
      g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

      for (guint i = 0; i < records->len; i++)
        g_ptr_array_add (nodes, rh_admin_audit_to_json (g_ptr_array_index (records, i)));
      return json_array_string (nodes);
    }

  out = g_string_new ("id,at,actor,action,detail\r\n");
  for (guint i = 0; i < records->len; i++)
    {
      RhAuditRecord *r = g_ptr_array_index (records, i);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, r->id);
      g_autofree char *at = iso_time (r->at);

      csv_cell (out, id, FALSE);
      csv_cell (out, at, FALSE);
      csv_cell (out, r->actor, FALSE);
      csv_cell (out, r->action, FALSE);
      csv_cell (out, r->detail, TRUE);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Retention */

gboolean
rh_admin_purge_history (RhStore  *store,
                        gint64    now,
                        GError  **error)
{
  int session_days, audit_days;
  int n_sessions = 0, n_audit = 0;

  g_return_val_if_fail (RH_IS_STORE (store), FALSE);

  if (!rh_settings_get_int (store, RH_SETTING_SESSION_RETENTION_DAYS, &session_days, error) ||
      !rh_settings_get_int (store, RH_SETTING_AUDIT_RETENTION_DAYS, &audit_days, error) ||
      !rh_store_purge_history (store, now - (gint64) session_days * DAY_SECONDS,
                               now - (gint64) audit_days * DAY_SECONDS, &n_sessions, &n_audit,
                               error))
    return FALSE;

  if (n_sessions > 0 || n_audit > 0)
    {
      g_autofree char *detail =
        g_strdup_printf ("{\"sessions\":%d,\"audit_entries\":%d,\"session_retention_days\":%d,"
                         "\"audit_retention_days\":%d}", n_sessions, n_audit, session_days,
                         audit_days);

      g_message ("Retention: deleted %d session records and %d audit entries", n_sessions,
                 n_audit);
      return rh_store_audit_append (store, now, "server", "retention.purged", detail, error);
    }
  return TRUE;
}
