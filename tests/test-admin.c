/* test-admin.c: roles, groups, assignments, audit, export and retention on real SQLite files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-test"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "rh-admin.h"
#include "rh-error.h"
#include "rh-settings.h"
#include "rh-store-sqlite.h"

#define DAY (24 * 60 * 60)
#define ACTOR "cli:test"

typedef struct
{
  char    *dir;
  char    *path;
  RhStore *store;
} Fixture;

static void
add_user (RhStore    *store,
          const char *login)
{
  g_autoptr(GError) error = NULL;
  RhUser user = { 0 };

  user.login = (char *) login;
  user.display_name = (char *) login;
  user.password_hash = (char *) "not-a-real-hash";
  user.created_at = 1;
  g_assert_true (rh_store_user_add (store, &user, &error));
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture      *f,
               gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  const char *const users[] = { "alice", "bob", "carol", "dave", "erin" };

  f->dir = g_dir_make_tmp ("rh-test-admin-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "server.db", NULL);
  f->store = rh_store_sqlite_new (f->path, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (users); i++)
    add_user (f->store, users[i]);
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer user_data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_clear_object (&f->store);
  dir = g_dir_open (f->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (f->dir, name, NULL);

      g_assert_cmpint (g_unlink (child), ==, 0);
    }
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->dir);
  g_free (f->path);
}

static guint
audit_count (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = rh_store_audit_list (f->store, 0, &error);

  g_assert_no_error (error);
  return list->len;
}

/* The last audit entry, parsed; checks actor and action. */
static JsonNode *
last_audit (Fixture    *f,
            const char *action)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = rh_store_audit_list (f->store, 0, &error);
  RhAuditRecord *last;

  g_assert_no_error (error);
  g_assert_cmpuint (list->len, >, 0);
  last = g_ptr_array_index (list, list->len - 1);
  g_assert_cmpstr (last->actor, ==, ACTOR);
  g_assert_cmpstr (last->action, ==, action);
  g_assert_nonnull (last->detail);
  return json_from_string (last->detail, &error);
}

static RhPermissions
effective (Fixture    *f,
           const char *helper,
           const char *sharer)
{
  g_autoptr(GError) error = NULL;
  RhPermissions permissions = 0xff;

  g_assert_true (rh_store_effective_permissions (f->store, helper, sharer, &permissions,
                                                 &error));
  g_assert_no_error (error);
  return permissions;
}

static void
test_builtin_role (Fixture      *f,
                   gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) roles = rh_admin_role_list (f->store, &error);
  const char *const view[] = { "view-screen", NULL };
  RhRole *role;
  guint before = audit_count (f);

  g_assert_no_error (error);
  g_assert_cmpuint (roles->len, ==, 1);
  role = g_ptr_array_index (roles, 0);
  g_assert_cmpstr (role->name, ==, RH_BUILTIN_ROLE_NAME);
  g_assert_true (role->builtin);
  g_assert_cmpint (role->permissions, ==, RH_PERMISSIONS_ALL);

  g_assert_false (rh_admin_role_delete (f->store, ACTOR, RH_BUILTIN_ROLE_NAME, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_BUILTIN_ROLE);
  g_clear_error (&error);
  g_assert_false (rh_admin_role_update (f->store, ACTOR, "help desk operator", NULL, NULL, view,
                                        &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_BUILTIN_ROLE);
  g_clear_error (&error);
  /* Nothing written, not even to the audit log. */
  g_assert_cmpuint (audit_count (f), ==, before);
}

static void
test_role_validation (Fixture      *f,
                      gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) roles = NULL;
  g_autofree char *long_name = g_strnfill (65, 'x');
  g_autofree char *long_description = g_strnfill (257, 'd');
  const char *const view[] = { "view-screen", NULL };
  const char *const control_only[] = { "take-full-control", NULL };
  const char *const unknown[] = { "view-screen", "reboot", NULL };
  const char *const bad_names[] = { "", " Viewer", "Viewer ", "View\ner", "Vi\x01" "ew",
                                    "\xff\xfe", long_name };
  guint before = audit_count (f);

  for (gsize i = 0; i < G_N_ELEMENTS (bad_names); i++)
    {
      g_assert_false (rh_admin_role_create (f->store, ACTOR, bad_names[i], NULL, view, &error));
      g_assert_error (error, RH_STORE_ERROR, RH_ERROR_BAD_NAME);
      g_clear_error (&error);
    }
  g_assert_false (rh_admin_role_create (f->store, ACTOR, "Viewer", long_description, view,
                                        &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_BAD_NAME);
  g_clear_error (&error);
  g_assert_false (rh_admin_role_create (f->store, ACTOR, "Viewer", NULL, unknown, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_PERMISSION);
  g_clear_error (&error);
  g_assert_false (rh_admin_role_create (f->store, ACTOR, "Viewer", NULL, control_only, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_BAD_PERMISSIONS);
  g_clear_error (&error);
  g_assert_false (rh_admin_role_create (f->store, ACTOR, "Viewer", NULL, NULL, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_BAD_PERMISSIONS);
  g_clear_error (&error);
  g_assert_cmpuint (audit_count (f), ==, before);

  g_assert_true (rh_admin_role_create (f->store, ACTOR, "Viewer", "Looks only", view, &error));
  g_assert_no_error (error);
  /* Names are unique without regard to case. */
  g_assert_false (rh_admin_role_create (f->store, ACTOR, "VIEWER", NULL, view, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_ROLE_EXISTS);
  g_clear_error (&error);
  g_assert_false (rh_admin_role_update (f->store, ACTOR, "viewer", RH_BUILTIN_ROLE_NAME, NULL,
                                        NULL, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_ROLE_EXISTS);
  g_clear_error (&error);
  g_assert_false (rh_admin_role_update (f->store, ACTOR, "nobody", NULL, NULL, view, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_ROLE);
  g_clear_error (&error);
  g_assert_false (rh_admin_role_delete (f->store, ACTOR, "nobody", &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_ROLE);
  g_clear_error (&error);

  g_assert_cmpuint (audit_count (f), ==, before + 1);
  roles = rh_admin_role_list (f->store, &error);
  g_assert_cmpuint (roles->len, ==, 2);
}

static void
test_role_audit (Fixture      *f,
                 gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) updated = NULL;
  g_autoptr(JsonNode) deleted = NULL;
  g_autoptr(RhRole) role = NULL;
  const char *const view[] = { "view-screen", NULL };
  const char *const both[] = { "take-full-control", "view-screen", NULL };
  JsonObject *before, *after;
  JsonArray *permissions;

  g_assert_true (rh_admin_role_create (f->store, ACTOR, "Viewer", "Looks only", view, &error));
  g_assert_no_error (error);
  role = rh_store_role_get (f->store, "viewer", &error);
  g_assert_no_error (error);

  created = last_audit (f, "role.created");
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (json_node_get_object (created),
                                                               "before")));
  after = json_object_get_object_member (json_node_get_object (created), "after");
  g_assert_cmpint (json_object_get_int_member (after, "id"), ==, role->id);
  g_assert_cmpstr (json_object_get_string_member (after, "name"), ==, "Viewer");

  g_assert_true (rh_admin_role_update (f->store, ACTOR, "Viewer", "Controller", NULL, both,
                                       &error));
  g_assert_no_error (error);
  g_clear_pointer (&role, rh_role_free);
  role = rh_store_role_get (f->store, "Controller", &error);
  g_assert_no_error (error);
  g_assert_cmpint (role->permissions, ==,
                   RH_PERMISSION_VIEW_SCREEN | RH_PERMISSION_TAKE_FULL_CONTROL);
  g_assert_cmpstr (role->description, ==, "Looks only");

  updated = last_audit (f, "role.updated");
  before = json_object_get_object_member (json_node_get_object (updated), "before");
  after = json_object_get_object_member (json_node_get_object (updated), "after");
  g_assert_cmpstr (json_object_get_string_member (before, "name"), ==, "Viewer");
  g_assert_cmpstr (json_object_get_string_member (after, "name"), ==, "Controller");
  permissions = json_object_get_array_member (after, "permissions");
  g_assert_cmpuint (json_array_get_length (permissions), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (permissions, 1), ==, "take-full-control");

  g_assert_true (rh_admin_role_delete (f->store, ACTOR, "controller", &error));
  g_assert_no_error (error);
  deleted = last_audit (f, "role.deleted");
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (json_node_get_object (deleted),
                                                               "after")));
  g_assert_null (rh_store_role_get (f->store, "Controller", &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_ROLE);
}

static void
test_groups (Fixture      *f,
             gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RhGroup) group = NULL;
  g_autoptr(JsonNode) updated = NULL;
  const char *const members[] = { "bob", "alice", "bob", NULL };
  const char *const unknown[] = { "alice", "mallory", NULL };
  const char *const add[] = { "carol", NULL };
  const char *const remove[] = { "alice", NULL };
  guint before = audit_count (f);
  JsonArray *after_members;

  g_assert_false (rh_admin_group_create (f->store, ACTOR, "Helpdesk", NULL, unknown, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_USER);
  g_clear_error (&error);
  /* The group row was written before the member check failed: all of it is rolled back. */
  g_assert_null (rh_store_group_get (f->store, "Helpdesk", &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_GROUP);
  g_clear_error (&error);
  g_assert_cmpuint (audit_count (f), ==, before);

  g_assert_true (rh_admin_group_create (f->store, ACTOR, "Helpdesk", "First line", members,
                                        &error));
  g_assert_no_error (error);
  g_assert_false (rh_admin_group_create (f->store, ACTOR, "helpdesk", NULL, NULL, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_GROUP_EXISTS);
  g_clear_error (&error);

  group = rh_store_group_get (f->store, "HELPDESK", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (group->members), ==, 2);
  g_assert_cmpstr (group->members[0], ==, "alice");
  g_assert_cmpstr (group->members[1], ==, "bob");

  g_assert_true (rh_admin_group_update (f->store, ACTOR, "Helpdesk", NULL, NULL, NULL, add,
                                        remove, &error));
  g_assert_no_error (error);
  updated = last_audit (f, "group.updated");
  after_members = json_object_get_array_member (
    json_object_get_object_member (json_node_get_object (updated), "after"), "members");
  g_assert_cmpuint (json_array_get_length (after_members), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (after_members, 0), ==, "bob");
  g_assert_cmpstr (json_array_get_string_element (after_members, 1), ==, "carol");

  /* Removing a user takes it out of its groups. */
  g_assert_true (rh_store_user_remove (f->store, "carol", &error));
  g_assert_no_error (error);
  g_clear_pointer (&group, rh_group_free);
  group = rh_store_group_get (f->store, "Helpdesk", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (group->members), ==, 1);
  g_assert_cmpstr (group->members[0], ==, "bob");

  g_assert_true (rh_admin_group_delete (f->store, ACTOR, "helpdesk", &error));
  g_assert_no_error (error);
  json_node_unref (last_audit (f, "group.deleted"));
}

/* helpers: alice, bob; finance: carol; sales: dave; erin is in no group. */
static void
make_groups (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  const char *const helpers[] = { "alice", "bob", NULL };
  const char *const seniors[] = { "bob", NULL };
  const char *const finance[] = { "carol", NULL };
  const char *const sales[] = { "dave", NULL };
  const char *const view[] = { "view-screen", NULL };

  g_assert_true (rh_admin_group_create (f->store, ACTOR, "Helpers", NULL, helpers, &error));
  g_assert_true (rh_admin_group_create (f->store, ACTOR, "Seniors", NULL, seniors, &error));
  g_assert_true (rh_admin_group_create (f->store, ACTOR, "Finance", NULL, finance, &error));
  g_assert_true (rh_admin_group_create (f->store, ACTOR, "Sales", NULL, sales, &error));
  g_assert_true (rh_admin_role_create (f->store, ACTOR, "Viewer", NULL, view, &error));
  g_assert_no_error (error);
}

static void
test_assignments (Fixture      *f,
                  gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RhAssignment) assignment = NULL;
  g_autoptr(JsonNode) created = NULL;
  const char *const finance[] = { "Finance", NULL };
  const char *const sales_finance[] = { "Sales", "finance", NULL };
  const char *const unknown[] = { "Finance", "Nowhere", NULL };
  gint64 viewer_id = 0, operator_id = 0;
  guint before;

  make_groups (f);
  before = audit_count (f);

  /* Nobody may help anyone until an assignment says so. */
  g_assert_cmpint (effective (f, "alice", NULL), ==, RH_PERMISSION_NONE);
  g_assert_cmpint (effective (f, "alice", "carol"), ==, RH_PERMISSION_NONE);

  g_assert_false (rh_admin_assignment_create (f->store, ACTOR, "Nobody", "Helpers",
                                              RH_ADMIN_SCOPE_GROUPS, finance, NULL, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_ROLE);
  g_clear_error (&error);
  g_assert_false (rh_admin_assignment_create (f->store, ACTOR, "Viewer", "Nobody",
                                              RH_ADMIN_SCOPE_GROUPS, finance, NULL, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_GROUP);
  g_clear_error (&error);
  g_assert_false (rh_admin_assignment_create (f->store, ACTOR, "Viewer", "Helpers",
                                              RH_ADMIN_SCOPE_GROUPS, unknown, NULL, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_GROUP);
  g_clear_error (&error);
  g_assert_false (rh_admin_assignment_create (f->store, ACTOR, "Viewer", "Helpers",
                                              RH_ADMIN_SCOPE_GROUPS, NULL, NULL, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_BAD_SCOPE);
  g_clear_error (&error);
  g_assert_false (rh_admin_assignment_create (f->store, ACTOR, "Viewer", "Helpers",
                                              RH_ADMIN_SCOPE_ALL_USERS, finance, NULL, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_BAD_SCOPE);
  g_clear_error (&error);
  g_assert_cmpuint (audit_count (f), ==, before);
  g_assert_cmpuint (rh_store_assignment_list (f->store, NULL)->len, ==, 0);

  /* Helpers may view Finance; Seniors (bob) may fully help Sales and Finance. */
  g_assert_true (rh_admin_assignment_create (f->store, ACTOR, "viewer", "helpers",
                                             RH_ADMIN_SCOPE_GROUPS, finance, &viewer_id,
                                             &error));
  g_assert_no_error (error);
  created = last_audit (f, "assignment.created");
  g_assert_cmpint (json_object_get_int_member (
                     json_object_get_object_member (json_node_get_object (created), "after"),
                     "id"), ==, viewer_id);
  /* The audit names what is stored, not how the administrator happened to spell it. */
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (json_node_get_object (created), "after"),
                     "role"), ==, "Viewer");
  g_assert_true (rh_admin_assignment_create (f->store, ACTOR, RH_BUILTIN_ROLE_NAME, "Seniors",
                                             RH_ADMIN_SCOPE_GROUPS, sales_finance,
                                             &operator_id, &error));
  g_assert_no_error (error);

  assignment = rh_store_assignment_get (f->store, operator_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (assignment->role, ==, RH_BUILTIN_ROLE_NAME);
  g_assert_cmpuint (g_strv_length (assignment->scope_groups), ==, 2);
  g_assert_cmpstr (assignment->scope_groups[0], ==, "Finance");
  g_assert_cmpstr (assignment->scope_groups[1], ==, "Sales");

  g_assert_cmpint (effective (f, "alice", "carol"), ==, RH_PERMISSION_VIEW_SCREEN);
  g_assert_cmpint (effective (f, "alice", "dave"), ==, RH_PERMISSION_NONE);
  g_assert_cmpint (effective (f, "alice", "erin"), ==, RH_PERMISSION_NONE);
  g_assert_cmpint (effective (f, "alice", NULL), ==, RH_PERMISSION_VIEW_SCREEN);
  /* bob is in both helper groups: the union. */
  g_assert_cmpint (effective (f, "bob", "carol"), ==, RH_PERMISSIONS_ALL);
  g_assert_cmpint (effective (f, "bob", "dave"), ==, RH_PERMISSIONS_ALL);
  g_assert_cmpint (effective (f, "carol", "dave"), ==, RH_PERMISSION_NONE);
  g_assert_cmpint (effective (f, "carol", NULL), ==, RH_PERMISSION_NONE);
  g_assert_cmpint (effective (f, "nobody", "carol"), ==, RH_PERMISSION_NONE);

  /* In use: neither the role nor the groups can go. */
  g_assert_false (rh_admin_role_delete (f->store, ACTOR, "Viewer", &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_IN_USE);
  g_clear_error (&error);
  g_assert_false (rh_admin_group_delete (f->store, ACTOR, "Finance", &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_IN_USE);
  g_clear_error (&error);
  g_assert_false (rh_admin_group_delete (f->store, ACTOR, "Helpers", &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_IN_USE);
  g_clear_error (&error);

  /* All users: alice now views erin too. */
  g_assert_true (rh_admin_assignment_update (f->store, ACTOR, viewer_id, NULL, NULL,
                                             RH_ADMIN_SCOPE_ALL_USERS, NULL, &error));
  g_assert_no_error (error);
  json_node_unref (last_audit (f, "assignment.updated"));
  g_assert_cmpint (effective (f, "alice", "erin"), ==, RH_PERMISSION_VIEW_SCREEN);
  g_assert_true (rh_admin_group_delete (f->store, ACTOR, "Finance", &error) == FALSE);
  g_clear_error (&error);

  g_assert_false (rh_admin_assignment_update (f->store, ACTOR, 9999, NULL, NULL,
                                              RH_ADMIN_SCOPE_KEEP, NULL, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_ASSIGNMENT);
  g_clear_error (&error);

  g_assert_true (rh_admin_assignment_delete (f->store, ACTOR, viewer_id, &error));
  g_assert_no_error (error);
  json_node_unref (last_audit (f, "assignment.deleted"));
  g_assert_cmpint (effective (f, "alice", "erin"), ==, RH_PERMISSION_NONE);
  g_assert_true (rh_admin_role_delete (f->store, ACTOR, "Viewer", &error));
  g_assert_no_error (error);
  g_assert_false (rh_admin_assignment_delete (f->store, ACTOR, viewer_id, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_ASSIGNMENT);
}

static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static void
test_retention (Fixture      *f,
                gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  g_autoptr(GPtrArray) audit = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 old_ended, old_live, young;
  sqlite3 *db;
  int days = 0;
  RhAuditRecord *last;

  /* Settings: defaults and validation. */
  g_assert_true (rh_settings_get_int (f->store, RH_SETTING_SESSION_RETENTION_DAYS, &days,
                                      &error));
  g_assert_cmpint (days, ==, 30);
  g_assert_true (rh_settings_get_int (f->store, RH_SETTING_CHAT_RETENTION_DAYS, &days, &error));
  g_assert_cmpint (days, ==, 90);
  for (guint i = 0; i < 4; i++)
    {
      const char *bad[] = { "0", "3651", "ten", "-1" };

      g_assert_false (rh_admin_setting_set (f->store, ACTOR, RH_SETTING_AUDIT_RETENTION_DAYS,
                                            bad[i], &error));
      g_assert_error (error, RH_STORE_ERROR, RH_ERROR_BAD_SETTING_VALUE);
      g_clear_error (&error);
    }
  g_assert_true (rh_admin_setting_set (f->store, ACTOR, RH_SETTING_AUDIT_RETENTION_DAYS, "10",
                                       &error));
  g_assert_no_error (error);

  /* An old ended session, an old one still running, a young one; audit entries 40, 20 and 0
   * days old. */
  g_assert_true (rh_store_session_start (f->store, "p1", "alice", "carol", NULL, "view",
                                         now - 40 * DAY, &old_ended, &error));
  g_assert_true (rh_store_session_end (f->store, old_ended, now - 40 * DAY + 60, 5, "ended",
                                       &error));
  g_assert_true (rh_store_session_start (f->store, "p2", "alice", "carol", NULL, "view",
                                         now - 40 * DAY, &old_live, &error));
  g_assert_true (rh_store_session_start (f->store, "p3", "alice", "carol", NULL, "view",
                                         now - 20 * DAY, &young, &error));
  g_assert_true (rh_store_session_end (f->store, young, now - 20 * DAY + 60, 5, "ended",
                                       &error));
  g_assert_true (rh_store_audit_append (f->store, now - 40 * DAY, "x", "old", NULL, &error));
  g_assert_true (rh_store_audit_append (f->store, now - 20 * DAY, "x", "middle", NULL, &error));
  g_assert_no_error (error);

  /* The database itself refuses to delete young audit rows, and old ones outside a purge. */
  db = raw_open (f->path);
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM audit WHERE action = 'middle'", NULL, NULL,
                                 NULL), !=, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM audit WHERE action = 'old'", NULL, NULL,
                                 NULL), !=, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE audit_purge SET horizon = unixepoch () + 1000;"
                                 " DELETE FROM audit WHERE action = 'setting.changed'",
                                 NULL, NULL, NULL), !=, SQLITE_OK);
  sqlite3_exec (db, "UPDATE audit_purge SET horizon = 0", NULL, NULL, NULL);
  sqlite3_close (db);

  g_assert_true (rh_admin_purge_history (f->store, now, &error));
  g_assert_no_error (error);

  sessions = rh_store_session_list (f->store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sessions->len, ==, 2);
  g_assert_cmpint (((RhSessionRecord *) g_ptr_array_index (sessions, 0))->id, ==, old_live);
  g_assert_cmpint (((RhSessionRecord *) g_ptr_array_index (sessions, 1))->id, ==, young);

  audit = rh_store_audit_list (f->store, 0, &error);
  g_assert_no_error (error);
  /* "middle" (20 days) went with the 10-day setting; the change itself and the purge stay. */
  for (guint i = 0; i < audit->len; i++)
    {
      RhAuditRecord *r = g_ptr_array_index (audit, i);

      g_assert_cmpstr (r->action, !=, "old");
      g_assert_cmpstr (r->action, !=, "middle");
    }
  last = g_ptr_array_index (audit, audit->len - 1);
  g_assert_cmpstr (last->action, ==, "retention.purged");
  g_assert_cmpstr (last->actor, ==, "server");
  g_assert_nonnull (strstr (last->detail, "\"sessions\":1"));
  g_assert_nonnull (strstr (last->detail, "\"audit_entries\":2"));

  /* The horizon is closed again after the purge. */
  db = raw_open (f->path);
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM audit", NULL, NULL, NULL), !=, SQLITE_OK);
  sqlite3_close (db);
}

static void
test_export (Fixture      *f,
             gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *json = NULL;
  g_autofree char *audit_csv = NULL;
  g_autoptr(JsonNode) parsed = NULL;
  JsonObject *first;
  RhExportFormat format;
  gint64 id;

  g_assert_true (rh_store_session_start (f->store, "p1", "alice", "carol", "=HYPERLINK(\"x\")",
                                         "view", 1000, &id, &error));
  g_assert_true (rh_store_session_add_mode (f->store, id, "control", FALSE, &error));
  g_assert_true (rh_store_session_add_mode (f->store, id, "view", FALSE, &error));
  g_assert_true (rh_store_session_end (f->store, id, 1090, 1234, "helper ended", &error));
  g_assert_no_error (error);

  g_assert_false (rh_admin_export_format_parse ("xml", &format, &error));
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_USAGE);
  g_clear_error (&error);
  g_assert_true (rh_admin_export_format_parse ("csv", &format, &error));

  csv = rh_admin_export_sessions (f->store, RH_EXPORT_CSV, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (csv, ==,
                   "id,helper,sharer,device,started_at,ended_at,duration_seconds,active,mode,"
                   "modes,elevation_used,end_reason,bytes_relayed,elevation_tools,elevation_end\r\n"
                   "\"1\",\"alice\",\"carol\",\"'=HYPERLINK(\"\"x\"\")\",\"1970-01-01T00:16:40Z\","
                   "\"1970-01-01T00:18:10Z\",\"90\",\"false\",\"view\",\"view,control\","
                   "\"false\",\"helper ended\",\"1234\",\"\",\"\"\r\n");

  json = rh_admin_export_sessions (f->store, RH_EXPORT_JSON, 0, &error);
  g_assert_no_error (error);
  parsed = json_from_string (json, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (parsed)), ==, 1);
  first = json_array_get_object_element (json_node_get_array (parsed), 0);
  g_assert_cmpint (json_object_get_int_member (first, "duration_seconds"), ==, 90);
  g_assert_cmpstr (json_object_get_string_member (first, "device"), ==, "=HYPERLINK(\"x\")");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (first, "modes")), ==, 2);
  g_assert_false (json_object_get_boolean_member (first, "active"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (first,
                                                                         "elevation_tools")),
                    ==, 0);
  g_assert_true (json_object_get_null_member (first, "elevation_end"));

  /* Since: nothing after the session. */
  g_clear_pointer (&json, g_free);
  json = rh_admin_export_sessions (f->store, RH_EXPORT_JSON, 2000, &error);
  g_assert_cmpstr (g_strstrip (json), ==, "[]");

  g_assert_true (rh_admin_setting_set (f->store, ACTOR, "chat-disabled", "yes", &error));
  audit_csv = rh_admin_export_audit (f->store, RH_EXPORT_CSV, 0, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (audit_csv, "id,at,actor,action,detail\r\n"));
  g_assert_nonnull (strstr (audit_csv, "\"cli:test\",\"setting.changed\",\"{\"\"key\"\":"));
}

/* A relay-started record: mode unknown and no device until the sharer's report. */
static void
test_session_report (Fixture      *f,
                     gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  RhSessionRecord *s;
  gint64 id;

  g_assert_true (rh_store_session_start (f->store, "p9", "alice", "carol", NULL, "unknown",
                                         1000, &id, &error));
  g_assert_true (rh_store_session_add_mode (f->store, id, "view", FALSE, &error));
  g_assert_true (rh_store_session_set_device (f->store, id, "pc-1", &error));
  g_assert_true (rh_store_session_set_device (f->store, id, "pc-2", &error));
  g_assert_true (rh_store_session_add_mode (f->store, id, "control", TRUE, &error));
  g_assert_no_error (error);
  g_assert_false (rh_store_session_add_mode (f->store, id + 1, "view", FALSE, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_STORE);
  g_clear_error (&error);

  sessions = rh_store_session_list (f->store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sessions->len, ==, 1);
  s = g_ptr_array_index (sessions, 0);
  g_assert_cmpstr (s->mode, ==, "view");
  g_assert_cmpstr (s->modes, ==, "view,control");
  g_assert_cmpstr (s->device, ==, "pc-1");
  g_assert_true (s->elevation_used);
  g_assert_cmpint (s->ended_at, ==, 0);
}

/* Administrator access (issue #6) in the exports. */
static void
test_export_elevation (Fixture      *f,
                       gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  g_autoptr(JsonNode) parsed = NULL;
  g_autoptr(JsonNode) tools = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *json = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *text = NULL;
  JsonObject *first;
  JsonArray *array;
  sqlite3 *db;
  gint64 id, plain, odd;

  g_assert_true (rh_store_session_start (f->store, "p1", "alice", "carol", "pc", "control", 1000,
                                         &id, &error));
  g_assert_true (rh_store_session_add_mode (f->store, id, "elevation", TRUE, &error));
  g_assert_true (rh_store_session_add_elevation_tool (f->store, id, "Terminal", TRUE, NULL,
                                                      &error));
  g_assert_true (rh_store_session_add_elevation_tool (f->store, id, "=Disk", FALSE,
                                                      "not \"authorised\"", &error));
  g_assert_true (rh_store_session_set_elevation_end (f->store, id, "sign-out: failed — sudo: x",
                                                     TRUE, &error));
  g_assert_true (rh_store_session_start (f->store, "p2", "alice", "carol", "pc", "control", 1001,
                                         &plain, &error));
  g_assert_true (rh_store_session_start (f->store, "p3", "alice", "carol", "pc", "control", 1002,
                                         &odd, &error));
  g_assert_true (rh_store_session_add_mode (f->store, odd, "elevation", TRUE, &error));
  g_assert_no_error (error);

  /* A row someone edited by hand: still a JSON array, but not of the store's shape. */
  db = raw_open (f->path);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE sessions SET elevation_tools ="
                                     " '[1, {\"tool\": 5}, {\"tool\": \"X\", \"ok\": \"yes\","
                                     " \"error\": 7}, null]', elevation_end = 'lock: ok'"
                                     " WHERE pairing = 'p3'", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  csv = rh_admin_export_sessions (f->store, RH_EXPORT_CSV, 0, &error);
  g_assert_no_error (error);
  g_test_message ("%s", csv);
  g_assert_nonnull (strstr (csv, "\"true\",\"\",\"0\",\"Terminal; =Disk (failed: not "
                                 "\"\"authorised\"\")\",\"sign-out: failed — sudo: x\"\r\n"));
  g_assert_nonnull (strstr (csv, "\"false\",\"\",\"0\",\"\",\"\"\r\n"));
  g_assert_nonnull (strstr (csv, "\"true\",\"\",\"0\",\"X (failed)\",\"lock: ok\"\r\n"));

  json = rh_admin_export_sessions (f->store, RH_EXPORT_JSON, 0, &error);
  g_assert_no_error (error);
  parsed = json_from_string (json, &error);
  g_assert_no_error (error);
  first = json_array_get_object_element (json_node_get_array (parsed), 0);
  g_assert_true (json_object_get_boolean_member (first, "elevation_used"));
  g_assert_cmpstr (json_object_get_string_member (first, "elevation_end"), ==,
                   "sign-out: failed — sudo: x");
  array = json_object_get_array_member (first, "elevation_tools");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 1),
                                                  "error"), ==, "not \"authorised\"");
  g_assert_false (json_object_get_boolean_member (json_array_get_object_element (array, 1),
                                                  "ok"));

  sessions = rh_store_session_list (f->store, 0, &error);
  g_assert_no_error (error);
  summary = rh_admin_session_elevation_summary (g_ptr_array_index (sessions, 0));
  g_assert_cmpstr (summary, ==, "Terminal, =Disk (failed) · sign-out failed");
  g_clear_pointer (&summary, g_free);
  g_assert_null (rh_admin_session_elevation_summary (g_ptr_array_index (sessions, 1)));
  summary = rh_admin_session_elevation_summary (g_ptr_array_index (sessions, 2));
  g_assert_cmpstr (summary, ==, "X (failed) · lock ok");
  g_clear_pointer (&summary, g_free);
  tools = rh_admin_session_elevation_tools (g_ptr_array_index (sessions, 2));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (tools)), ==, 1);
  text = rh_admin_session_elevation_text (g_ptr_array_index (sessions, 1));
  g_assert_cmpstr (text, ==, "");

  /* Granted, and nothing more happened (yet). */
  g_assert_true (rh_store_session_add_mode (f->store, plain, "elevation", TRUE, &error));
  g_clear_pointer (&sessions, g_ptr_array_unref);
  sessions = rh_store_session_list (f->store, 0, &error);
  summary = rh_admin_session_elevation_summary (g_ptr_array_index (sessions, 1));
  g_assert_cmpstr (summary, ==, "granted");
  g_clear_pointer (&summary, g_free);
  g_assert_true (rh_store_session_set_elevation_end (f->store, plain, "lock: started", FALSE,
                                                     &error));
  g_clear_pointer (&sessions, g_ptr_array_unref);
  sessions = rh_store_session_list (f->store, 0, &error);
  summary = rh_admin_session_elevation_summary (g_ptr_array_index (sessions, 1));
  g_assert_cmpstr (summary, ==, "lock started");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/admin/role/builtin", test_builtin_role);
  ADD ("/admin/role/validation", test_role_validation);
  ADD ("/admin/role/audit", test_role_audit);
  ADD ("/admin/group", test_groups);
  ADD ("/admin/assignment", test_assignments);
  ADD ("/admin/retention", test_retention);
  ADD ("/admin/export", test_export);
  ADD ("/admin/session-report", test_session_report);
  ADD ("/admin/export/elevation", test_export_elevation);
#undef ADD

  return g_test_run ();
}
