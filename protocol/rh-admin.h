/* rh-admin.h: the validated administration operations behind the admin CLI and web console
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "rh-store.h"

G_BEGIN_DECLS

/* Every change here validates its input first (RH_ERROR_BAD_NAME, RH_ERROR_UNKNOWN_PERMISSION,
 * RH_ERROR_BAD_PERMISSIONS, RH_ERROR_BAD_SCOPE, unknown references with RH_ERROR_UNKNOWN_*),
 * then changes the store and appends one audit entry, in one transaction: detail
 * {"before": OBJECT|null, "after": OBJECT|null} with the objects of the _to_json functions
 * below, action "role.created", "group.updated", "assignment.deleted", and so on. actor is the
 * administrator's login (or "cli:USER" for the command line). */

#define RH_ADMIN_NAME_MAX_CHARS        64
#define RH_ADMIN_DESCRIPTION_MAX_CHARS 256

/* Roles. permissions is a NULL-terminated list of names (see rh-permissions.h); each role
 * must include view-screen. For updates a NULL argument keeps the current value. */
gboolean   rh_admin_role_create       (RhStore            *store,
                                       const char         *actor,
                                       const char         *name,
                                       const char         *description,
                                       const char *const  *permissions,
                                       GError            **error);
gboolean   rh_admin_role_update       (RhStore            *store,
                                       const char         *actor,
                                       const char         *name,
                                       const char         *new_name,
                                       const char         *description,
                                       const char *const  *permissions,
                                       GError            **error);
gboolean   rh_admin_role_delete       (RhStore            *store,
                                       const char         *actor,
                                       const char         *name,
                                       GError            **error);
/* Array of RhRole sorted by name. */
GPtrArray *rh_admin_role_list         (RhStore            *store,
                                       GError            **error);

/* Groups of users; members are logins of existing users. Updates: NULL keeps; members
 * replaces the whole list, then add_members and remove_members apply. */
gboolean   rh_admin_group_create      (RhStore            *store,
                                       const char         *actor,
                                       const char         *name,
                                       const char         *description,
                                       const char *const  *members,
                                       GError            **error);
gboolean   rh_admin_group_update      (RhStore            *store,
                                       const char         *actor,
                                       const char         *name,
                                       const char         *new_name,
                                       const char         *description,
                                       const char *const  *members,
                                       const char *const  *add_members,
                                       const char *const  *remove_members,
                                       GError            **error);
gboolean   rh_admin_group_delete      (RhStore            *store,
                                       const char         *actor,
                                       const char         *name,
                                       GError            **error);
/* Array of RhGroup sorted by name. */
GPtrArray *rh_admin_group_list        (RhStore            *store,
                                       GError            **error);

/* The scope of an assignment, and for updates whether to keep it. */
typedef enum
{
  RH_ADMIN_SCOPE_KEEP,       /* updates only */
  RH_ADMIN_SCOPE_ALL_USERS,
  RH_ADMIN_SCOPE_GROUPS,     /* scope_groups: one or more group names */
} RhAdminScope;

gboolean   rh_admin_assignment_create (RhStore            *store,
                                       const char         *actor,
                                       const char         *role,
                                       const char         *helper_group,
                                       RhAdminScope        scope,
                                       const char *const  *scope_groups,
                                       gint64             *out_id,
                                       GError            **error);
gboolean   rh_admin_assignment_update (RhStore            *store,
                                       const char         *actor,
                                       gint64              id,
                                       const char         *role,
                                       const char         *helper_group,
                                       RhAdminScope        scope,
                                       const char *const  *scope_groups,
                                       GError            **error);
gboolean   rh_admin_assignment_delete (RhStore            *store,
                                       const char         *actor,
                                       gint64              id,
                                       GError            **error);
/* Array of RhAssignment sorted by id. */
GPtrArray *rh_admin_assignment_list   (RhStore            *store,
                                       GError            **error);

/* Settings (rh-settings.h), audited as "setting.changed" with before/after values. */
gboolean   rh_admin_setting_set       (RhStore            *store,
                                       const char         *actor,
                                       const char         *key,
                                       const char         *value,
                                       GError            **error);

/* The objects written to the audit log and exported: {"id", "name", "description",
 * "permissions": [names], "builtin"}, {"id", "name", "description", "members": [logins]},
 * {"id", "role", "helper_group", "scope": "all-users" | [group names], "created_at"}. */
JsonNode  *rh_admin_role_to_json       (const RhRole       *role);
JsonNode  *rh_admin_group_to_json      (const RhGroup      *group);
JsonNode  *rh_admin_assignment_to_json (const RhAssignment *assignment);
JsonNode  *rh_admin_session_to_json    (const RhSessionRecord *session);
/* detail stays a JSON value (parsed), or null. */
JsonNode  *rh_admin_audit_to_json      (const RhAuditRecord   *record);

/* Administrator access in a session record (issue #6), for the exports and the console. The
 * tools as a JSON array of {"tool", "ok", "error"?} (empty when none or unreadable); the
 * tools as text ("Terminal; Disk usage (failed: why)", "" when none); and a one-line summary
 * such as "Terminal, Disk usage (failed) · sign-out ok" ("granted" when nothing more
 * happened; NULL when administrator access was never used). */
JsonNode  *rh_admin_session_elevation_tools   (const RhSessionRecord *session);
char      *rh_admin_session_elevation_text    (const RhSessionRecord *session);
char      *rh_admin_session_elevation_summary (const RhSessionRecord *session);

typedef enum
{
  RH_EXPORT_CSV,
  RH_EXPORT_JSON,
} RhExportFormat;

/* "csv" or "json"; RH_ERROR_USAGE otherwise. */
gboolean   rh_admin_export_format_parse (const char      *name,
                                         RhExportFormat  *out_format,
                                         GError         **error);
/* Sessions or audit entries that started/happened at or after since (unix seconds; 0 for
 * all), oldest first. CSV has a header row, RFC 4180 quoting, UTC ISO 8601 times, and cells
 * that a spreadsheet would run as a formula prefixed with an apostrophe. JSON is an array of
 * the _to_json objects. */
char      *rh_admin_export_sessions   (RhStore            *store,
                                       RhExportFormat      format,
                                       gint64              since,
                                       GError            **error);
char      *rh_admin_export_audit      (RhStore            *store,
                                       RhExportFormat      format,
                                       gint64              since,
                                       GError            **error);

/* Retention: deletes ended sessions and audit entries older than the session-retention-days
 * and audit-retention-days settings; audits what it deleted (when anything) as
 * "retention.purged" by actor "server". The server calls this on a schedule. */
gboolean   rh_admin_purge_history     (RhStore            *store,
                                       gint64              now,
                                       GError            **error);

G_END_DECLS
