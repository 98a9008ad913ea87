/* test-settings.c: organisation settings on a real SQLite store, and the back-off schedule
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "rh-error.h"
#include "rh-rendezvous-server.h"
#include "rh-settings.h"
#include "rh-store-sqlite.h"

static const char *const all_keys[] = {
  RH_SETTING_REMOTE_HELP_ENABLED,
  RH_SETTING_ALLOW_UNENROLLED_DEVICES,
  RH_SETTING_CHAT_DISABLED,
};

typedef struct
{
  char    *dir;
  char    *path;
  RhStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("rh-test-settings-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "server.db", NULL);
  f->store = rh_store_sqlite_new (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_clear_object (&f->store);
  dir = g_dir_open (f->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);

      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->dir);
  g_free (f->path);
}

/* The database as another process (the admin CLI, or someone with sqlite3) sees it. */
static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static gint64
raw_int (sqlite3    *db,
         const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static void
raw_exec (sqlite3    *db,
          const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

typedef struct
{
  gint64  at;
  char   *actor;
  char   *action;
  char   *detail;
} AuditRow;

static void
audit_row_free (AuditRow *row)
{
  g_free (row->actor);
  g_free (row->action);
  g_free (row->detail);
  g_free (row);
}

/* All audit rows, oldest first. */
static GPtrArray *
read_audit (const char *path)
{
  sqlite3 *db = raw_open (path);
  sqlite3_stmt *stmt = NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) audit_row_free);
  int rc;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT at, actor, action, detail FROM audit"
                                           " ORDER BY id", -1, &stmt, NULL), ==, SQLITE_OK);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      AuditRow *row = g_new0 (AuditRow, 1);

      row->at = sqlite3_column_int64 (stmt, 0);
      row->actor = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      row->action = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      row->detail = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      g_ptr_array_add (rows, row);
    }
  g_assert_cmpint (rc, ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return rows;
}

static void
assert_audit_row (const AuditRow *row,
                  gint64          not_before,
                  gint64          not_after,
                  const char     *actor,
                  const char     *key,
                  const char     *before,
                  const char     *after)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *detail;

  g_assert_cmpint (row->at, >=, not_before);
  g_assert_cmpint (row->at, <=, not_after);
  g_assert_cmpstr (row->actor, ==, actor);
  g_assert_cmpstr (row->action, ==, "setting.changed");
  g_assert_nonnull (row->detail);

  g_assert_true (json_parser_load_from_data (parser, row->detail, -1, &error));
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  detail = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpuint (json_object_get_size (detail), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (detail, "key"), ==, key);
  g_assert_cmpstr (json_object_get_string_member (detail, "before"), ==, before);
  g_assert_cmpstr (json_object_get_string_member (detail, "after"), ==, after);
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Keys and defaults */

static void
test_list_keys (void)
{
  const char *const *keys = rh_settings_list_keys ();

  g_assert_nonnull (keys);
  /* all_keys are the booleans; the three retention day counts are tested in test-admin. */
  g_assert_cmpuint (g_strv_length ((char **) keys), ==, G_N_ELEMENTS (all_keys) + 3);
  g_assert_true (g_strv_contains (keys, RH_SETTING_SESSION_RETENTION_DAYS));
  g_assert_true (g_strv_contains (keys, RH_SETTING_AUDIT_RETENTION_DAYS));
  g_assert_true (g_strv_contains (keys, RH_SETTING_CHAT_RETENTION_DAYS));
  for (gsize i = 0; i < G_N_ELEMENTS (all_keys); i++)
    g_assert_true (g_strv_contains (keys, all_keys[i]));
  g_assert_cmpstr (RH_SETTING_REMOTE_HELP_ENABLED, ==, "remote-help-enabled");
  g_assert_cmpstr (RH_SETTING_ALLOW_UNENROLLED_DEVICES, ==, "allow-unenrolled-devices");
  g_assert_cmpstr (RH_SETTING_CHAT_DISABLED, ==, "chat-disabled");
}

static void
test_defaults (void)
{
  /* Every default fails closed. */
  for (gsize i = 0; i < G_N_ELEMENTS (all_keys); i++)
    g_assert_cmpstr (rh_settings_get_default (all_keys[i]), ==, "false");
  g_assert_null (rh_settings_get_default ("no-such-setting"));
  g_assert_null (rh_settings_get_default (""));
  g_assert_null (rh_settings_get_default (NULL));
}

static void
test_defaults_from_store (Fixture       *f,
                          gconstpointer  data)
{
  for (gsize i = 0; i < G_N_ELEMENTS (all_keys); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *value = rh_settings_get (f->store, all_keys[i], &error);
      gboolean b = TRUE;

      g_assert_no_error (error);
      g_assert_cmpstr (value, ==, "false");
      g_assert_true (rh_settings_get_boolean (f->store, all_keys[i], &b, &error));
      g_assert_no_error (error);
      g_assert_false (b);
    }
}

/* normalize */

static void
assert_normalizes (const char *value,
                   const char *expected)
{
  for (gsize i = 0; i < G_N_ELEMENTS (all_keys); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *result = rh_settings_normalize (all_keys[i], value, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (result, ==, expected);
    }
}

static void
test_normalize_accepts (void)
{
  static const char *const yes[] = {
    "true", "TRUE", "True", "tRuE", "yes", "YES", "Yes", "on", "ON", "On", "1",
  };
  static const char *const no[] = {
    "false", "FALSE", "False", "fAlSe", "no", "NO", "No", "off", "OFF", "Off", "0",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (yes); i++)
    assert_normalizes (yes[i], "true");
  for (gsize i = 0; i < G_N_ELEMENTS (no); i++)
    assert_normalizes (no[i], "false");
}

static void
test_normalize_rejects (void)
{
  static const char *const bad[] = {
    "", " ", "true ", " true", "yes\n", "truex", "tru", "t", "f", "y", "n", "2", "-1", "01",
    "00", "1.0", "enabled", "disabled", "none", "null", "ja", "\xd0\xb4\xd0\xb0",
    "\"true\"",
  };

  for (gsize k = 0; k < G_N_ELEMENTS (all_keys); k++)
    {
      for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *result = rh_settings_normalize (all_keys[k], bad[i], &error);

          g_assert_null (result);
          g_assert_error (error, RH_STORE_ERROR, RH_ERROR_BAD_SETTING_VALUE);
        }

      {
        g_autoptr(GError) error = NULL;
        g_autofree char *result = rh_settings_normalize (all_keys[k], NULL, &error);

        g_assert_null (result);
        g_assert_error (error, RH_STORE_ERROR, RH_ERROR_BAD_SETTING_VALUE);
      }
    }
}

static void
test_normalize_unknown_key (void)
{
  static const char *const keys[] = {
    "no-such-setting", "", "REMOTE-HELP-ENABLED", "remote-help-enabled ", "remote_help_enabled",
    "remote-help", "chat",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr(GError) error = NULL;
      /* The key is checked first, even when the value is fine. */
      g_autofree char *result = rh_settings_normalize (keys[i], "true", &error);

      g_assert_null (result);
      g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_SETTING);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autofree char *result = rh_settings_normalize (NULL, "true", &error);

    g_assert_null (result);
    g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_SETTING);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *result = rh_settings_normalize ("no-such-setting", "maybe", &error);

    g_assert_null (result);
    g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_SETTING);
  }
}

/* set and get on the store */

static void
assert_setting (RhStore    *store,
                const char *key,
                const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *value = rh_settings_get (store, key, &error);
  gboolean b = !g_str_equal (expected, "true");

  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, expected);
  g_assert_true (rh_settings_get_boolean (store, key, &b, &error));
  g_assert_no_error (error);
  g_assert_cmpint (b, ==, g_str_equal (expected, "true"));
}

static void
test_set_and_get (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (rh_settings_set (f->store, "admin", RH_SETTING_REMOTE_HELP_ENABLED, "YES",
                                  &error));
  g_assert_no_error (error);
  assert_setting (f->store, RH_SETTING_REMOTE_HELP_ENABLED, "true");
  /* The others keep their defaults. */
  assert_setting (f->store, RH_SETTING_ALLOW_UNENROLLED_DEVICES, "false");
  assert_setting (f->store, RH_SETTING_CHAT_DISABLED, "false");

  g_assert_true (rh_settings_set (f->store, "admin", RH_SETTING_CHAT_DISABLED, "on", &error));
  g_assert_no_error (error);
  assert_setting (f->store, RH_SETTING_CHAT_DISABLED, "true");

  g_assert_true (rh_settings_set (f->store, "admin", RH_SETTING_REMOTE_HELP_ENABLED, "0",
                                  &error));
  g_assert_no_error (error);
  assert_setting (f->store, RH_SETTING_REMOTE_HELP_ENABLED, "false");
  assert_setting (f->store, RH_SETTING_CHAT_DISABLED, "true");

  /* What is stored is the canonical form. */
  {
    sqlite3 *db = raw_open (f->path);

    g_assert_cmpint (raw_int (db, "SELECT count(*) FROM settings"
                                  " WHERE key = 'chat-disabled' AND value = 'true'"), ==, 1);
    sqlite3_close (db);
  }
}

static void
test_set_persists (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (rh_settings_set (f->store, "admin", RH_SETTING_ALLOW_UNENROLLED_DEVICES,
                                  "True", &error));
  g_assert_no_error (error);

  g_clear_object (&f->store);
  f->store = rh_store_sqlite_new (f->path, &error);
  g_assert_no_error (error);
  assert_setting (f->store, RH_SETTING_ALLOW_UNENROLLED_DEVICES, "true");
  assert_setting (f->store, RH_SETTING_REMOTE_HELP_ENABLED, "false");
}

static void
test_set_rejects (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *value = NULL;

  g_assert_true (rh_settings_set (f->store, "admin", RH_SETTING_REMOTE_HELP_ENABLED, "true",
                                  &error));
  g_assert_no_error (error);

  g_assert_false (rh_settings_set (f->store, "admin", RH_SETTING_REMOTE_HELP_ENABLED, "maybe",
                                   &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_BAD_SETTING_VALUE);
  g_clear_error (&error);
  g_assert_false (rh_settings_set (f->store, "admin", RH_SETTING_REMOTE_HELP_ENABLED, "",
                                   &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_BAD_SETTING_VALUE);
  g_clear_error (&error);
  g_assert_false (rh_settings_set (f->store, "admin", "no-such-setting", "true", &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_SETTING);
  g_clear_error (&error);

  /* Nothing changed, nothing stored under the unknown key, and only the good change audited. */
  assert_setting (f->store, RH_SETTING_REMOTE_HELP_ENABLED, "true");
  value = rh_settings_get (f->store, "no-such-setting", &error);
  g_assert_null (value);
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_SETTING);
  {
    sqlite3 *db = raw_open (f->path);

    g_assert_cmpint (raw_int (db, "SELECT count(*) FROM settings"
                                  " WHERE key = 'no-such-setting'"), ==, 0);
    sqlite3_close (db);
  }
  rows = read_audit (f->path);
  g_assert_cmpuint (rows->len, ==, 1);
}

static void
test_get_unknown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gboolean b = TRUE;
  g_autofree char *value = rh_settings_get (f->store, "no-such-setting", &error);

  g_assert_null (value);
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_SETTING);
  g_clear_error (&error);
  g_assert_false (rh_settings_get_boolean (f->store, "no-such-setting", &b, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_SETTING);
  g_assert_true (b);
}

/* Audit */

static void
test_set_audits (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  gint64 t0 = now_seconds ();
  gint64 t1;

  g_assert_true (rh_settings_set (f->store, "alice@example.org",
                                  RH_SETTING_REMOTE_HELP_ENABLED, "yes", &error));
  g_assert_no_error (error);
  g_assert_true (rh_settings_set (f->store, "bob", RH_SETTING_REMOTE_HELP_ENABLED, "OFF",
                                  &error));
  g_assert_no_error (error);
  g_assert_true (rh_settings_set (f->store, "carol", RH_SETTING_CHAT_DISABLED, "1", &error));
  g_assert_no_error (error);
  /* Setting the value it already has is still an administrator's action. */
  g_assert_true (rh_settings_set (f->store, "dave", RH_SETTING_CHAT_DISABLED, "true", &error));
  g_assert_no_error (error);
  t1 = now_seconds ();

  rows = read_audit (f->path);
  g_assert_cmpuint (rows->len, ==, 4);
  assert_audit_row (rows->pdata[0], t0, t1, "alice@example.org", "remote-help-enabled",
                    "false", "true");
  assert_audit_row (rows->pdata[1], t0, t1, "bob", "remote-help-enabled", "true", "false");
  assert_audit_row (rows->pdata[2], t0, t1, "carol", "chat-disabled", "false", "true");
  assert_audit_row (rows->pdata[3], t0, t1, "dave", "chat-disabled", "true", "true");
}

/* A change and its audit entry go together: the settings change must not stay in effect when
 * the audit entry cannot be written (disk full, locked database, …). Simulated with a trigger,
 * added from another connection, that refuses new audit rows. */
static void
test_set_audit_failure (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) get_error = NULL;
  g_autofree char *value = NULL;
  sqlite3 *db = raw_open (f->path);
  gboolean ok;

  raw_exec (db, "CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit"
                "  BEGIN SELECT RAISE (ABORT, 'audit refused by the test'); END;");
  sqlite3_close (db);

  ok = rh_settings_set (f->store, "admin", RH_SETTING_REMOTE_HELP_ENABLED, "true", &error);
  g_assert_false (ok);
  g_assert_nonnull (error);
  g_assert_true (error->domain == RH_STORE_ERROR);
  g_assert_cmpint (error->code, ==, RH_ERROR_STORE);

  rows = read_audit (f->path);
  g_assert_cmpuint (rows->len, ==, 0);

  value = rh_settings_get (f->store, RH_SETTING_REMOTE_HELP_ENABLED, &get_error);
  g_assert_no_error (get_error);
  /* Fixed bug, kept as a regression test (rh-settings.c, rh_settings_set): rh_store_setting_set() and rh_store_audit_append()
   * are two transactions, so the service is now enabled with no audit entry saying who did
   * it. (g_test_fail rather than an assertion, so that the fixture still removes its files.) */
  if (g_strcmp0 (value, "false") != 0)
    {
      g_test_message ("rh_settings_set() failed but left %s = %s without an audit entry",
                      RH_SETTING_REMOTE_HELP_ENABLED, value);
      g_test_fail ();
    }
}

/* Back-off */

static void
test_backoff_delay (void)
{
  static const struct
  {
    int   failures;
    guint delay;
  } cases[] = {
    { G_MININT, 0 }, { -1, 0 }, { 0, 0 }, { 1, 0 }, { 2, 0 }, { 3, 0 }, { 4, 0 },
    { 5, 10 }, { 6, 20 }, { 7, 40 }, { 8, 80 }, { 9, 160 }, { 10, 320 }, { 11, 600 },
    { 12, 600 }, { 13, 600 }, { 50, 600 }, { 1000, 600 }, { G_MAXINT, 600 },
  };
  guint previous = 0;

  g_assert_cmpint (RH_BACKOFF_THRESHOLD, ==, 5);
  g_assert_cmpint (RH_BACKOFF_BASE_SECONDS, ==, 10);
  g_assert_cmpint (RH_BACKOFF_MAX_SECONDS, ==, 600);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      if (rh_backoff_delay (cases[i].failures) != cases[i].delay)
        g_error ("rh_backoff_delay (%d) is %u, expected %u", cases[i].failures,
                 rh_backoff_delay (cases[i].failures), cases[i].delay);
    }

  for (int n = 0; n <= 200; n++)
    {
      guint delay = rh_backoff_delay (n);

      g_assert_cmpuint (delay, >=, previous);
      g_assert_cmpuint (delay, <=, RH_BACKOFF_MAX_SECONDS);
      previous = delay;
    }
}

#define ADD(path, func) \
  g_test_add ("/settings/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/settings/list-keys", test_list_keys);
  g_test_add_func ("/settings/defaults", test_defaults);
  ADD ("defaults-from-store", test_defaults_from_store);
  g_test_add_func ("/settings/normalize/accepts", test_normalize_accepts);
  g_test_add_func ("/settings/normalize/rejects", test_normalize_rejects);
  g_test_add_func ("/settings/normalize/unknown-key", test_normalize_unknown_key);
  ADD ("store/set-and-get", test_set_and_get);
  ADD ("store/persists", test_set_persists);
  ADD ("store/rejects", test_set_rejects);
  ADD ("store/get-unknown", test_get_unknown);
  ADD ("store/audit", test_set_audits);
  g_test_add_func ("/settings/backoff-delay", test_backoff_delay);
  ADD ("store/audit-failure", test_set_audit_failure);

  return g_test_run ();
}
