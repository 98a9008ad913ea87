/* test-store.c: the SQLite store on real database files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-store"

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "rh-error.h"
#include "rh-store-sqlite.h"

#define DAY (24 * 60 * 60)

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture      *fixture,
               gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("rh-test-store-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "server.db", NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      g_assert_cmpint (g_rmdir (path), ==, 0);
    }
  else
    {
      g_assert_cmpint (g_unlink (path), ==, 0);
    }
}

static void
fixture_teardown (Fixture      *fixture,
                  gconstpointer user_data)
{
  remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

static RhStore *
open_store (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  RhStore *store = rh_store_sqlite_new (fixture->path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

/* A connection of the test's own, as another process (the admin CLI, or someone inspecting the
 * file with sqlite3) would have. */
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

static char *
raw_text (sqlite3    *db,
          const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
}

static void
raw_exec (sqlite3    *db,
          const char *sql)
{
  char *message = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static RhUser *
make_user (const char *login,
           const char *display_name)
{
  RhUser *user = g_new0 (RhUser, 1);

  user->login = g_strdup (login);
  user->display_name = g_strdup (display_name);
  user->job_title = g_strdup ("Support engineer");
  user->company = g_strdup ("Example Ltd");
  user->domain = g_strdup ("example.org");
  user->password_hash = g_strdup ("$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA");
  user->created_at = 1700000000;
  return user;
}

static void
add_user (RhStore    *store,
          const char *login)
{
  g_autoptr(RhUser) user = make_user (login, login);
  g_autoptr(GError) error = NULL;

  g_assert_true (rh_store_user_add (store, user, &error));
  g_assert_no_error (error);
}

static void
fill_hash (guint8 hash[RH_STORE_TOKEN_HASH_LEN],
           guint8 seed)
{
  for (guint i = 0; i < RH_STORE_TOKEN_HASH_LEN; i++)
    hash[i] = (guint8) (seed + i * 7);
}

static char *
lookup (RhStore      *store,
        const guint8 *hash,
        gint64        now)
{
  g_autoptr(GError) error = NULL;
  char *login = (char *) 0x1;

  g_assert_true (rh_store_token_lookup (store, hash, now, &login, &error));
  g_assert_no_error (error);
  return login;
}

static void
assert_bytes_equal (GBytes *a,
                    GBytes *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpmem (g_bytes_get_data (a, NULL), g_bytes_get_size (a),
                   g_bytes_get_data (b, NULL), g_bytes_get_size (b));
}

static void
assert_users_equal (const RhUser *a,
                    const RhUser *b)
{
  g_assert_cmpstr (a->login, ==, b->login);
  g_assert_cmpstr (a->display_name, ==, b->display_name);
  g_assert_cmpstr (a->job_title, ==, b->job_title);
  g_assert_cmpstr (a->company, ==, b->company);
  g_assert_cmpstr (a->domain, ==, b->domain);
  g_assert_cmpstr (a->password_hash, ==, b->password_hash);
  g_assert_cmpint (a->disabled, ==, b->disabled);
  g_assert_cmpint (a->admin, ==, b->admin);
  g_assert_cmpint (a->created_at, ==, b->created_at);
  if (a->photo == NULL || b->photo == NULL)
    g_assert_true (a->photo == b->photo);
  else
    assert_bytes_equal (a->photo, b->photo);
}

/* The store's own connection is private; SQLite hands every new connection in the process to
 * registered auto-extensions, which lets the test look at the one the store opened. */
static sqlite3 *captured_db;

static int
capture_connection (sqlite3                           *db,
                    const char                       **message,
                    const struct sqlite3_api_routines *api)
{
  captured_db = db;
  return SQLITE_OK;
}

static void
test_open_pragmas (Fixture      *fixture,
                   gconstpointer user_data)
{
  g_autoptr(RhStore) store = NULL;
  g_autofree char *mode = NULL;
  sqlite3 *db;

  captured_db = NULL;
  sqlite3_auto_extension ((void (*) (void)) capture_connection);
  store = open_store (fixture);
  sqlite3_cancel_auto_extension ((void (*) (void)) capture_connection);
  g_assert_nonnull (captured_db);

  /* Per-connection settings, so only the store's own connection can show them. */
  g_assert_cmpint (raw_int (captured_db, "PRAGMA synchronous"), ==, 2 /* FULL */);
  g_assert_cmpint (raw_int (captured_db, "PRAGMA foreign_keys"), ==, 1);
  g_assert_cmpint (raw_int (captured_db, "PRAGMA busy_timeout"), ==, 5000);

  /* WAL mode and the schema version are in the file: any other opener sees them. */
  db = raw_open (fixture->path);
  mode = raw_text (db, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, 5);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND"
                                " name IN ('users', 'settings', 'tokens', 'slots', 'backoff',"
                                " 'audit', 'sessions')"), ==, 7);
  sqlite3_close (db);
}

static void
assert_private (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
}

static void
test_open_file_mode (Fixture      *fixture,
                     gconstpointer user_data)
{
  g_autoptr(RhStore) store = NULL;
  g_autoptr(RhStore) again = NULL;
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  g_autoptr(GError) error = NULL;
  mode_t old_umask;

  /* Even with a permissive umask. */
  old_umask = umask (0);
  store = open_store (fixture);
  umask (old_umask);
  assert_private (fixture->path);

  g_assert_true (rh_store_setting_set (store, "k", "v", &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  assert_private (wal);
  g_clear_object (&store);

  /* A file that someone made world-readable is tightened when it is opened. */
  g_assert_cmpint (g_chmod (fixture->path, 0644), ==, 0);
  again = open_store (fixture);
  assert_private (fixture->path);
}

static void
test_open_garbage (Fixture      *fixture,
                   gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autofree char *after = NULL;
  guint8 garbage[8192];
  gsize len;

  for (gsize i = 0; i < sizeof garbage; i++)
    garbage[i] = (guint8) g_random_int_range (0, 256);
  g_assert_true (g_file_set_contents (fixture->path, (const char *) garbage, sizeof garbage,
                                      &error));
  g_assert_no_error (error);

  store = rh_store_sqlite_new (fixture->path, &error);
  g_assert_null (store);
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_STORE);
  g_assert_nonnull (strstr (error->message, fixture->path));
  g_test_message ("%s", error->message);

  /* Whatever the file was, the store did not overwrite it. */
  g_assert_true (g_file_get_contents (fixture->path, &after, &len, NULL));
  g_assert_cmpmem (after, len, garbage, sizeof garbage);
}

static void
test_open_missing_dir (Fixture      *fixture,
                       gconstpointer user_data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "missing", "server.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhStore) store = rh_store_sqlite_new (path, &error);

  g_assert_null (store);
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_STORE);
}

static void
test_open_newer_schema (Fixture      *fixture,
                        gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RhStore) store = open_store (fixture);
  sqlite3 *db;

  g_clear_object (&store);
  db = raw_open (fixture->path);
  raw_exec (db, "PRAGMA user_version = 99");
  sqlite3_close (db);

  store = rh_store_sqlite_new (fixture->path, &error);
  g_assert_null (store);
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_STORE);
}

static void
test_users (Fixture      *fixture,
            gconstpointer user_data)
{
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(RhUser) alice = make_user ("alice", "Alice Example");
  g_autoptr(RhUser) bare = g_new0 (RhUser, 1);
  g_autoptr(RhUser) got = NULL;
  g_autoptr(RhUser) copy = NULL;
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GError) error = NULL;

  alice->admin = TRUE;
  g_assert_true (rh_store_user_add (store, alice, &error));
  g_assert_no_error (error);

  got = rh_store_user_get (store, "alice", &error);
  g_assert_no_error (error);
  assert_users_equal (got, alice);
  g_clear_pointer (&got, rh_user_free);

  g_assert_false (rh_store_user_add (store, alice, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_USER_EXISTS);
  g_clear_error (&error);

  /* Logins are compared exactly. */
  g_assert_null (rh_store_user_get (store, "Alice", &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_USER);
  g_clear_error (&error);

  /* Optional fields stay absent rather than becoming empty strings. */
  bare->login = g_strdup ("bare");
  bare->password_hash = g_strdup ("hash");
  g_assert_true (rh_store_user_add (store, bare, &error));
  g_assert_no_error (error);
  got = rh_store_user_get (store, "bare", &error);
  g_assert_no_error (error);
  assert_users_equal (got, bare);
  g_assert_null (got->display_name);
  g_assert_null (got->photo);
  g_clear_pointer (&got, rh_user_free);

  add_user (store, "carol");
  add_user (store, "bob");
  users = rh_store_user_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (users->len, ==, 4);
  g_assert_cmpstr (((RhUser *) users->pdata[0])->login, ==, "alice");
  g_assert_cmpstr (((RhUser *) users->pdata[1])->login, ==, "bare");
  g_assert_cmpstr (((RhUser *) users->pdata[2])->login, ==, "bob");
  g_assert_cmpstr (((RhUser *) users->pdata[3])->login, ==, "carol");
  assert_users_equal (users->pdata[0], alice);

  g_assert_true (rh_store_user_set_password (store, "bob", "new-hash", &error));
  g_assert_no_error (error);
  got = rh_store_user_get (store, "bob", &error);
  g_assert_cmpstr (got->password_hash, ==, "new-hash");
  g_clear_pointer (&got, rh_user_free);
  g_assert_false (rh_store_user_set_password (store, "nobody", "x", &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_USER);
  g_clear_error (&error);

  g_assert_true (rh_store_user_set_disabled (store, "bob", TRUE, &error));
  g_assert_no_error (error);
  /* Setting the same value again is not an "unknown user". */
  g_assert_true (rh_store_user_set_disabled (store, "bob", TRUE, &error));
  g_assert_no_error (error);
  got = rh_store_user_get (store, "bob", &error);
  g_assert_true (got->disabled);
  g_clear_pointer (&got, rh_user_free);
  g_assert_true (rh_store_user_set_disabled (store, "bob", FALSE, &error));
  got = rh_store_user_get (store, "bob", &error);
  g_assert_false (got->disabled);
  g_clear_pointer (&got, rh_user_free);
  g_assert_false (rh_store_user_set_disabled (store, "nobody", TRUE, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_USER);
  g_clear_error (&error);

  g_assert_true (rh_store_user_remove (store, "bob", &error));
  g_assert_no_error (error);
  g_assert_null (rh_store_user_get (store, "bob", &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_USER);
  g_clear_error (&error);
  g_assert_false (rh_store_user_remove (store, "bob", &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_USER);
  g_clear_error (&error);

  /* The login is free again. */
  add_user (store, "bob");

  copy = g_boxed_copy (RH_TYPE_USER, alice);
  assert_users_equal (copy, alice);
}

static void
test_users_photo_unicode (Fixture      *fixture,
                          gconstpointer user_data)
{
  static const char * const names[] = { "李小龙", "محمد", "Zoë Ångström", "😀 emoji" };
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func ((GDestroyNotify) rh_user_free);
  g_autoptr(GByteArray) photo = g_byte_array_new ();
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GError) error = NULL;

  /* Every byte value, NULs included, with a PNG signature in front. */
  g_byte_array_append (photo, (const guint8 *) "\x89PNG\r\n\x1a\n", 8);
  for (guint i = 0; i < 24 * 1024; i++)
    {
      guint8 b = (guint8) (i * 31 + (i >> 8));

      g_byte_array_append (photo, &b, 1);
    }

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *login = g_strdup_printf ("user%u", i);
      RhUser *user = make_user (login, names[i]);

      user->job_title = (g_free (user->job_title), g_strdup ("Ingénieure réseau"));
      user->company = (g_free (user->company), g_strdup ("شركة المثال"));
      if (i == 0)
        user->photo = g_bytes_new (photo->data, photo->len);
      else if (i == 1)
        user->photo = g_bytes_new (NULL, 0);
      g_assert_true (rh_store_user_add (store, user, &error));
      g_assert_no_error (error);
      g_ptr_array_add (added, user);
    }

  /* Byte-exact after the data went through the file, not only through the cache. */
  g_clear_object (&store);
  store = open_store (fixture);

  for (guint i = 0; i < added->len; i++)
    {
      const RhUser *want = added->pdata[i];
      g_autoptr(RhUser) got = rh_store_user_get (store, want->login, &error);

      g_assert_no_error (error);
      assert_users_equal (got, want);
    }
  users = rh_store_user_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (users->len, ==, G_N_ELEMENTS (names));
  g_assert_cmpstr (((RhUser *) users->pdata[0])->display_name, ==, "李小龙");
  g_assert_cmpuint (g_bytes_get_size (((RhUser *) users->pdata[0])->photo), ==, photo->len);
  g_assert_cmpuint (g_bytes_get_size (((RhUser *) users->pdata[1])->photo), ==, 0);
}

static void
test_settings (Fixture      *fixture,
               gconstpointer user_data)
{
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  char *value = (char *) 0x1;

  g_assert_true (rh_store_setting_get (store, "remote-help-enabled", &value, &error));
  g_assert_no_error (error);
  g_assert_null (value);

  g_assert_true (rh_store_setting_set (store, "remote-help-enabled", "false", &error));
  g_assert_no_error (error);
  g_assert_true (rh_store_setting_get (store, "remote-help-enabled", &value, &error));
  g_assert_cmpstr (value, ==, "false");
  g_clear_pointer (&value, g_free);

  g_assert_true (rh_store_setting_set (store, "remote-help-enabled", "true", &error));
  g_assert_true (rh_store_setting_get (store, "remote-help-enabled", &value, &error));
  g_assert_cmpstr (value, ==, "true");
  g_clear_pointer (&value, g_free);

  /* An empty value is a value, not "never set". */
  g_assert_true (rh_store_setting_set (store, "motd", "", &error));
  g_assert_true (rh_store_setting_get (store, "motd", &value, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "");
  g_clear_pointer (&value, g_free);
}

static void
test_tokens (Fixture      *fixture,
             gconstpointer user_data)
{
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  guint8 t1[RH_STORE_TOKEN_HASH_LEN], t2[RH_STORE_TOKEN_HASH_LEN];
  guint8 t3[RH_STORE_TOKEN_HASH_LEN], t4[RH_STORE_TOKEN_HASH_LEN];
  guint8 unknown[RH_STORE_TOKEN_HASH_LEN];
  char *login;
  sqlite3 *db;

  fill_hash (t1, 1);
  fill_hash (t2, 2);
  fill_hash (t3, 3);
  fill_hash (t4, 4);
  fill_hash (unknown, 99);

  g_assert_false (rh_store_token_add (store, t1, "nobody", 2000, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_USER);
  g_clear_error (&error);

  add_user (store, "alice");
  add_user (store, "bob");
  g_assert_true (rh_store_token_add (store, t1, "alice", 2000, &error));
  g_assert_no_error (error);
  g_assert_true (rh_store_token_add (store, t2, "alice", 5000, &error));
  g_assert_true (rh_store_token_add (store, t3, "bob", 5000, &error));
  g_assert_no_error (error);

  /* Valid up to, not including, expires_at. */
  login = lookup (store, t1, 1000);
  g_assert_cmpstr (login, ==, "alice");
  g_free (login);
  login = lookup (store, t1, 1999);
  g_assert_cmpstr (login, ==, "alice");
  g_free (login);
  g_assert_null (lookup (store, t1, 2000));
  g_assert_null (lookup (store, t1, 3000));
  g_assert_null (lookup (store, unknown, 1000));

  g_assert_true (rh_store_token_revoke (store, t2, &error));
  g_assert_no_error (error);
  g_assert_null (lookup (store, t2, 1000));
  g_assert_true (rh_store_token_revoke (store, t2, &error));
  g_assert_true (rh_store_token_revoke (store, unknown, &error));
  g_assert_no_error (error);

  /* Disabling revokes for good: enabling again does not revive the old session. */
  login = lookup (store, t3, 1000);
  g_assert_cmpstr (login, ==, "bob");
  g_free (login);
  g_assert_true (rh_store_user_set_disabled (store, "bob", TRUE, &error));
  g_assert_no_error (error);
  g_assert_null (lookup (store, t3, 1000));
  g_assert_true (rh_store_user_set_disabled (store, "bob", FALSE, &error));
  g_assert_null (lookup (store, t3, 1000));
  g_assert_true (rh_store_token_add (store, t4, "bob", 5000, &error));
  g_assert_no_error (error);
  login = lookup (store, t4, 1000);
  g_assert_cmpstr (login, ==, "bob");
  g_free (login);

  /* A token added while the user is disabled (a race with the admin) does not work either. */
  g_assert_true (rh_store_user_set_disabled (store, "bob", TRUE, &error));
  fill_hash (t4, 5);
  g_assert_true (rh_store_token_add (store, t4, "bob", 5000, &error));
  g_assert_null (lookup (store, t4, 1000));

  db = raw_open (fixture->path);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM tokens WHERE login = 'bob'"), ==, 3);
  g_assert_true (rh_store_user_remove (store, "bob", &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM tokens WHERE login = 'bob'"), ==, 0);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM tokens WHERE login = 'alice'"), ==, 2);
  sqlite3_close (db);
}

static RhSlot *
get_slot (RhStore    *store,
          const char *slot)
{
  g_autoptr(GError) error = NULL;
  RhSlot *result = rh_store_slot_get (store, slot, &error);

  g_assert_no_error (error);
  return result;
}

static gboolean
create_slot (RhStore    *store,
             const char *slot,
             const char *helper,
             gint64      now,
             gint64      expires_at)
{
  g_autoptr(GError) error = NULL;
  gboolean created = -1;

  g_assert_true (rh_store_slot_create (store, slot, helper, now, expires_at, &created, &error));
  g_assert_no_error (error);
  return created;
}

static void
test_slots (Fixture      *fixture,
            gconstpointer user_data)
{
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhSlot) slot = NULL;
  int failures = -1;

  g_assert_null (get_slot (store, "ABC"));

  g_assert_true (create_slot (store, "ABC", "alice", 1000, 1600));
  slot = get_slot (store, "ABC");
  g_assert_cmpstr (slot->slot, ==, "ABC");
  g_assert_cmpstr (slot->helper_login, ==, "alice");
  g_assert_cmpint (slot->created_at, ==, 1000);
  g_assert_cmpint (slot->expires_at, ==, 1600);
  g_assert_cmpint (slot->failures, ==, 0);
  g_assert_cmpint (slot->state, ==, RH_SLOT_STATE_LIVE);
  g_clear_pointer (&slot, rh_slot_free);

  /* Refused while live and unexpired, and the live row is left alone. */
  g_assert_false (create_slot (store, "ABC", "bob", 1100, 1700));
  g_assert_false (create_slot (store, "ABC", "bob", 1599, 2200));
  slot = get_slot (store, "ABC");
  g_assert_cmpstr (slot->helper_login, ==, "alice");
  g_assert_cmpint (slot->expires_at, ==, 1600);
  g_clear_pointer (&slot, rh_slot_free);

  /* Burned on the third failure; further failures still count but it stays burned. */
  g_assert_true (rh_store_slot_add_failure (store, "ABC", 3, &failures, &error));
  g_assert_no_error (error);
  g_assert_cmpint (failures, ==, 1);
  g_assert_true (rh_store_slot_add_failure (store, "ABC", 3, &failures, &error));
  g_assert_cmpint (failures, ==, 2);
  slot = get_slot (store, "ABC");
  g_assert_cmpint (slot->state, ==, RH_SLOT_STATE_LIVE);
  g_clear_pointer (&slot, rh_slot_free);
  g_assert_true (rh_store_slot_add_failure (store, "ABC", 3, &failures, &error));
  g_assert_no_error (error);
  g_assert_cmpint (failures, ==, 3);
  slot = get_slot (store, "ABC");
  g_assert_cmpint (slot->state, ==, RH_SLOT_STATE_BURNED);
  g_assert_cmpint (slot->failures, ==, 3);
  g_clear_pointer (&slot, rh_slot_free);
  g_assert_true (rh_store_slot_add_failure (store, "ABC", 3, NULL, &error));
  g_assert_no_error (error);

  /* A burned slot can be issued again, fresh. */
  g_assert_true (create_slot (store, "ABC", "bob", 1200, 1800));
  slot = get_slot (store, "ABC");
  g_assert_cmpstr (slot->helper_login, ==, "bob");
  g_assert_cmpint (slot->created_at, ==, 1200);
  g_assert_cmpint (slot->failures, ==, 0);
  g_assert_cmpint (slot->state, ==, RH_SLOT_STATE_LIVE);
  g_clear_pointer (&slot, rh_slot_free);

  /* Consumed: not live any more, failures do not turn it into burned, and it can be reissued. */
  g_assert_true (rh_store_slot_set_state (store, "ABC", RH_SLOT_STATE_CONSUMED, &error));
  g_assert_no_error (error);
  g_assert_true (rh_store_slot_add_failure (store, "ABC", 1, &failures, &error));
  g_assert_cmpint (failures, ==, 1);
  slot = get_slot (store, "ABC");
  g_assert_cmpint (slot->state, ==, RH_SLOT_STATE_CONSUMED);
  g_clear_pointer (&slot, rh_slot_free);
  g_assert_true (create_slot (store, "ABC", "carol", 1300, 1900));

  /* Expired while live: reissued from expires_at on. */
  g_assert_false (create_slot (store, "ABC", "dave", 1899, 2500));
  g_assert_true (create_slot (store, "ABC", "dave", 1900, 2500));
  slot = get_slot (store, "ABC");
  g_assert_cmpstr (slot->helper_login, ==, "dave");
  g_clear_pointer (&slot, rh_slot_free);

  g_assert_true (rh_store_slot_set_state (store, "ABC", RH_SLOT_STATE_CANCELLED, &error));
  slot = get_slot (store, "ABC");
  g_assert_cmpint (slot->state, ==, RH_SLOT_STATE_CANCELLED);
  g_clear_pointer (&slot, rh_slot_free);
  g_assert_true (create_slot (store, "ABC", "erin", 2000, 2600));

  /* Other slots are independent. */
  g_assert_true (create_slot (store, "XYZ", "alice", 2000, 2600));

  g_assert_false (rh_store_slot_add_failure (store, "NOPE", 3, &failures, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_CODE_INVALID);
  g_clear_error (&error);
  g_assert_false (rh_store_slot_set_state (store, "NOPE", RH_SLOT_STATE_CONSUMED, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_CODE_INVALID);
  g_clear_error (&error);
  g_assert_null (get_slot (store, "NOPE"));
}

static void
test_backoff (Fixture      *fixture,
              gconstpointer user_data)
{
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  gint64 blocked_until = -1;
  int failures = -1;

  g_assert_true (rh_store_backoff_get (store, "pair:127.0.0.1", &failures, &blocked_until,
                                       &error));
  g_assert_no_error (error);
  g_assert_cmpint (failures, ==, 0);
  g_assert_cmpint (blocked_until, ==, 0);

  g_assert_true (rh_store_backoff_put (store, "pair:127.0.0.1", 3, 1060, 1000, &error));
  g_assert_no_error (error);
  g_assert_true (rh_store_backoff_put (store, "login:alice", 1, 0, 1000, &error));
  g_assert_true (rh_store_backoff_get (store, "pair:127.0.0.1", &failures, &blocked_until,
                                       &error));
  g_assert_cmpint (failures, ==, 3);
  g_assert_cmpint (blocked_until, ==, 1060);

  g_assert_true (rh_store_backoff_put (store, "pair:127.0.0.1", 4, 1200, 1070, &error));
  g_assert_true (rh_store_backoff_get (store, "pair:127.0.0.1", &failures, &blocked_until,
                                       &error));
  g_assert_cmpint (failures, ==, 4);
  g_assert_cmpint (blocked_until, ==, 1200);

  g_assert_true (rh_store_backoff_clear (store, "pair:127.0.0.1", &error));
  g_assert_no_error (error);
  g_assert_true (rh_store_backoff_get (store, "pair:127.0.0.1", &failures, &blocked_until,
                                       &error));
  g_assert_cmpint (failures, ==, 0);
  g_assert_cmpint (blocked_until, ==, 0);
  g_assert_true (rh_store_backoff_clear (store, "pair:127.0.0.1", &error));
  g_assert_no_error (error);

  g_assert_true (rh_store_backoff_get (store, "login:alice", &failures, NULL, &error));
  g_assert_cmpint (failures, ==, 1);
}

static void
test_audit (Fixture      *fixture,
            gconstpointer user_data)
{
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db;

  g_assert_true (rh_store_audit_append (store, 1000, "admin", "user-add",
                                        "{\"login\":\"李小龙\"}", &error));
  g_assert_no_error (error);
  g_assert_true (rh_store_audit_append (store, 1001, "alice", "sign-in", NULL, &error));
  g_assert_no_error (error);

  db = raw_open (fixture->path);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT id, at, actor, action, detail FROM audit"
                                           " ORDER BY id", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 1), ==, 1000);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, "admin");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 3), ==, "user-add");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 4), ==, "{\"login\":\"李小龙\"}");
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 1), ==, 1001);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, "alice");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 3), ==, "sign-in");
  g_assert_cmpint (sqlite3_column_type (stmt, 4), ==, SQLITE_NULL);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);

  /* Append-only, even for someone with the file. */
  g_assert_cmpint (sqlite3_exec (db, "UPDATE audit SET actor = 'mallory'", NULL, NULL, NULL),
                   ==, SQLITE_CONSTRAINT);
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM audit", NULL, NULL, NULL),
                   ==, SQLITE_CONSTRAINT);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM audit WHERE actor = 'admin'"), ==, 1);
  sqlite3_close (db);
}

static void
test_sessions (Fixture      *fixture,
               gconstpointer user_data)
{
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *mode = NULL;
  gint64 id = 0, id2 = 0;
  sqlite3 *db;

  g_assert_true (rh_store_session_start (store, "00112233445566778899aabbccddeeff", "helen",
                                         "sam", NULL, "unknown", 1000, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  g_assert_true (rh_store_session_start (store, "ffeeddccbbaa99887766554433221100", "helen",
                                         "李小龙", "laptop-7", "view", 1001, &id2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id2, !=, id);

  g_assert_true (rh_store_session_update (store, id, 4096, &error));
  g_assert_no_error (error);

  db = raw_open (fixture->path);
  g_assert_cmpint (raw_int (db, "SELECT bytes_relayed FROM sessions WHERE pairing ="
                                " '00112233445566778899aabbccddeeff'"), ==, 4096);
  g_assert_cmpint (raw_int (db, "SELECT ended_at IS NULL AND end_reason IS NULL AND device IS NULL"
                                " FROM sessions WHERE pairing ="
                                " '00112233445566778899aabbccddeeff'"), ==, 1);
  mode = raw_text (db, "SELECT mode FROM sessions WHERE sharer_login = '李小龙'");
  g_assert_cmpstr (mode, ==, "view");

  g_assert_true (rh_store_session_end (store, id, 1060, G_GUINT64_CONSTANT (11000000000),
                                       "helper-closed", &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (db, "SELECT ended_at FROM sessions WHERE id = 1"), ==, 1060);
  g_assert_cmpint (raw_int (db, "SELECT bytes_relayed FROM sessions WHERE id = 1"), ==,
                   G_GINT64_CONSTANT (11000000000));
  reason = raw_text (db, "SELECT end_reason FROM sessions WHERE id = 1");
  g_assert_cmpstr (reason, ==, "helper-closed");

  /* Ended once: a second ending or a late update fails and changes nothing. */
  g_assert_false (rh_store_session_end (store, id, 2000, 1, "again", &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_STORE);
  g_clear_error (&error);
  g_assert_false (rh_store_session_update (store, id, 1, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_STORE);
  g_clear_error (&error);
  g_assert_false (rh_store_session_update (store, 9999, 1, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_STORE);
  g_clear_error (&error);
  g_assert_cmpint (raw_int (db, "SELECT ended_at FROM sessions WHERE id = 1"), ==, 1060);

  /* Purging leaves session records alone. */
  g_assert_true (rh_store_purge (store, 100 * DAY, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sessions"), ==, 2);
  sqlite3_close (db);
}

static void
test_purge (Fixture      *fixture,
            gconstpointer user_data)
{
  const gint64 now = 10 * DAY;
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  guint8 valid[RH_STORE_TOKEN_HASH_LEN], expired[RH_STORE_TOKEN_HASH_LEN];
  guint8 revoked[RH_STORE_TOKEN_HASH_LEN];
  g_autofree char *login = NULL;
  gint64 blocked_until;
  int failures;
  sqlite3 *db;

  add_user (store, "alice");
  fill_hash (valid, 1);
  fill_hash (expired, 2);
  fill_hash (revoked, 3);
  g_assert_true (rh_store_token_add (store, valid, "alice", now + 60, &error));
  g_assert_true (rh_store_token_add (store, expired, "alice", now, &error));
  g_assert_true (rh_store_token_add (store, revoked, "alice", now + 60, &error));
  g_assert_true (rh_store_token_revoke (store, revoked, &error));
  g_assert_no_error (error);

  /* Live and current; consumed an hour ago; expired an hour ago; dead for more than a day. */
  g_assert_true (create_slot (store, "LIVE", "alice", now - 60, now + 600));
  g_assert_true (create_slot (store, "USED", "alice", now - 3600, now - 3000));
  g_assert_true (rh_store_slot_set_state (store, "USED", RH_SLOT_STATE_CONSUMED, &error));
  g_assert_true (create_slot (store, "LAPSED", "alice", now - 3600, now - 3000));
  g_assert_true (create_slot (store, "OLDLIVE", "alice", now - DAY - 700, now - DAY - 100));
  g_assert_true (create_slot (store, "OLDBURNT", "alice", now - 2 * DAY, now - 2 * DAY + 600));
  g_assert_true (rh_store_slot_add_failure (store, "OLDBURNT", 1, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (rh_store_backoff_put (store, "recent", 2, 0, now - 3600, &error));
  g_assert_true (rh_store_backoff_put (store, "idle", 2, now - DAY - 100, now - DAY - 160,
                                       &error));
  g_assert_true (rh_store_backoff_put (store, "long-block", 9, now + DAY, now - 2 * DAY,
                                       &error));
  g_assert_no_error (error);

  g_assert_true (rh_store_audit_append (store, 1, "admin", "ancient", NULL, &error));
  g_assert_true (rh_store_audit_append (store, now, "admin", "recent", NULL, &error));
  g_assert_no_error (error);

  g_assert_true (rh_store_purge (store, now, &error));
  g_assert_no_error (error);

  db = raw_open (fixture->path);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM tokens"), ==, 1);
  login = lookup (store, valid, now);
  g_assert_cmpstr (login, ==, "alice");

  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM slots"), ==, 3);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM slots WHERE slot IN"
                                " ('LIVE', 'USED', 'LAPSED')"), ==, 3);

  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM backoff"), ==, 2);
  g_assert_true (rh_store_backoff_get (store, "long-block", &failures, &blocked_until, &error));
  g_assert_cmpint (failures, ==, 9);
  g_assert_cmpint (blocked_until, ==, now + DAY);
  g_assert_true (rh_store_backoff_get (store, "recent", &failures, NULL, &error));
  g_assert_cmpint (failures, ==, 2);

  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM audit"), ==, 2);

  /* A day later the recently dead slots go too, and purge is idempotent. */
  g_assert_true (rh_store_purge (store, now + DAY, &error));
  g_assert_true (rh_store_purge (store, now + DAY, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM slots"), ==, 1);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM slots WHERE slot = 'LIVE'"), ==, 1);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM audit"), ==, 2);
  sqlite3_close (db);
}

static void
test_chat (Fixture      *fixture,
           gconstpointer user_data)
{
  const char *pairing = "00112233445566778899aabbccddeeff";
  const gint64 now = 200 * DAY;
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) thread = NULL;
  g_autoptr(GPtrArray) none = NULL;
  RhChatEntry *entry;
  gint64 id1 = 0, id2 = 0, id3 = 0, id4 = 0;
  sqlite3 *db;

  g_assert_true (rh_store_chat_append (store, pairing, "helen", "helper", now - 100 * DAY,
                                       "Hello, can you see my screen?", &id1, &error));
  g_assert_no_error (error);
  g_assert_true (rh_store_chat_append (store, pairing, "sam", "sharer", now - 10,
                                       "مرحبا، نعم أراها", &id2, &error));
  g_assert_true (rh_store_chat_append (store, pairing, "helen", "helper", now,
                                       "好的，请打开设置。\n第二行", &id3, &error));
  g_assert_true (rh_store_chat_append (store, "ffeeddccbbaa99887766554433221100", "helen",
                                       "helper", now, "another session", &id4, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id1, <, id2);
  g_assert_cmpint (id2, <, id3);

  thread = rh_store_chat_list (store, pairing, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (thread->len, ==, 3);
  entry = thread->pdata[1];
  g_assert_cmpint (entry->id, ==, id2);
  g_assert_cmpstr (entry->pairing, ==, pairing);
  g_assert_cmpstr (entry->sender_login, ==, "sam");
  g_assert_cmpstr (entry->sender_role, ==, "sharer");
  g_assert_cmpint (entry->sent_at, ==, now - 10);
  g_assert_cmpstr (entry->body, ==, "مرحبا، نعم أراها");
  g_assert_cmpstr (((RhChatEntry *) thread->pdata[2])->body, ==, "好的，请打开设置。\n第二行");

  none = rh_store_chat_list (store, "0123456789abcdef0123456789abcdef", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);

  /* The schema refuses what the server should never send it, and nothing is half-written. */
  g_assert_false (rh_store_chat_append (store, pairing, "helen", "admin", now, "x", &id1,
                                        &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_STORE);
  g_clear_error (&error);
  g_assert_false (rh_store_chat_append (store, pairing, "helen", "helper", now, "", &id1,
                                        &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_STORE);
  g_clear_error (&error);

  db = raw_open (fixture->path);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM chat"), ==, 4);

  /* Default retention: 90 days, so the message from 100 days ago goes. */
  g_assert_true (rh_store_purge (store, now, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM chat"), ==, 3);

  /* A retention that is not a positive number of days keeps the default. */
  g_assert_true (rh_store_setting_set (store, "chat-retention-days", "0", &error));
  g_assert_true (rh_store_purge (store, now, &error));
  g_assert_true (rh_store_setting_set (store, "chat-retention-days", "many", &error));
  g_assert_true (rh_store_purge (store, now, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM chat"), ==, 3);

  /* A shorter retention, set by an administrator, is honoured. */
  g_assert_true (rh_store_setting_set (store, "chat-retention-days", "1", &error));
  g_assert_true (rh_store_purge (store, now + DAY - 5, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM chat"), ==, 2);
  g_assert_true (rh_store_purge (store, now + DAY + 1, &error));
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM chat"), ==, 0);
  sqlite3_close (db);
}

static void
test_persistence (Fixture      *fixture,
                  gconstpointer user_data)
{
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhUser) user = NULL;
  g_autoptr(RhSlot) slot = NULL;
  g_autofree char *value = NULL;
  g_autofree char *login = NULL;
  guint8 hash[RH_STORE_TOKEN_HASH_LEN];
  gint64 blocked_until;
  int failures;
  sqlite3 *db;

  fill_hash (hash, 42);
  add_user (store, "alice");
  g_assert_true (rh_store_setting_set (store, "chat-disabled", "true", &error));
  g_assert_true (rh_store_token_add (store, hash, "alice", 5000, &error));
  g_assert_true (create_slot (store, "ABC", "alice", 1000, 1600));
  g_assert_true (rh_store_slot_add_failure (store, "ABC", 3, NULL, &error));
  g_assert_true (rh_store_backoff_put (store, "pair:10.0.0.1", 2, 1300, 1000, &error));
  g_assert_true (rh_store_audit_append (store, 1000, "admin", "user-add", NULL, &error));
  g_assert_no_error (error);

  g_clear_object (&store);
  store = open_store (fixture);

  user = rh_store_user_get (store, "alice", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->display_name, ==, "alice");
  g_assert_true (rh_store_setting_get (store, "chat-disabled", &value, &error));
  g_assert_cmpstr (value, ==, "true");
  login = lookup (store, hash, 1000);
  g_assert_cmpstr (login, ==, "alice");
  slot = get_slot (store, "ABC");
  g_assert_nonnull (slot);
  g_assert_cmpint (slot->failures, ==, 1);
  g_assert_true (rh_store_backoff_get (store, "pair:10.0.0.1", &failures, &blocked_until,
                                       &error));
  g_assert_cmpint (failures, ==, 2);
  g_assert_cmpint (blocked_until, ==, 1300);
  g_assert_no_error (error);

  /* Reopening does not run the migrations again. */
  db = raw_open (fixture->path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, 5);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM audit"), ==, 1);
  sqlite3_close (db);
}

/* The running server and an admin command each have their own store on the same file. */
static void
test_two_stores (Fixture      *fixture,
                 gconstpointer user_data)
{
  g_autoptr(RhStore) server = open_store (fixture);
  g_autoptr(RhStore) admin = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhUser) user = NULL;
  g_autoptr(RhUser) dup = make_user ("alice", "Alice");
  g_autoptr(GTimer) timer = NULL;
  g_autofree char *login = NULL;
  guint8 hash[RH_STORE_TOKEN_HASH_LEN];
  char *value = NULL;

  add_user (admin, "alice");
  user = rh_store_user_get (server, "alice", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->login, ==, "alice");

  g_assert_true (rh_store_setting_set (admin, "remote-help-enabled", "false", &error));
  g_assert_true (rh_store_setting_get (server, "remote-help-enabled", &value, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, "false");
  g_clear_pointer (&value, g_free);

  g_assert_true (rh_store_setting_set (server, "chat-disabled", "true", &error));
  g_assert_true (rh_store_setting_get (admin, "chat-disabled", &value, &error));
  g_assert_cmpstr (value, ==, "true");
  g_clear_pointer (&value, g_free);

  /* The server signs alice in; the admin disables her; the server stops accepting her. */
  fill_hash (hash, 7);
  g_assert_true (rh_store_token_add (server, hash, "alice", 5000, &error));
  login = lookup (server, hash, 1000);
  g_assert_cmpstr (login, ==, "alice");
  g_assert_true (rh_store_user_set_disabled (admin, "alice", TRUE, &error));
  g_assert_no_error (error);
  g_assert_null (lookup (server, hash, 1000));

  /* A failed call leaves no transaction open behind it: the other side writes at once instead
   * of waiting out the busy timeout. */
  g_assert_false (rh_store_user_add (admin, dup, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_USER_EXISTS);
  g_clear_error (&error);
  timer = g_timer_new ();
  for (int i = 0; i < 50; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%d", i);

      g_assert_true (rh_store_setting_set (i % 2 ? server : admin, key, "v", &error));
      g_assert_no_error (error);
    }
  g_assert_cmpfloat (g_timer_elapsed (timer, NULL), <, 4.0);
  g_assert_true (rh_store_setting_get (server, "k48", &value, &error));
  g_assert_cmpstr (value, ==, "v");
  g_clear_pointer (&value, g_free);
}

typedef struct
{
  const char *path;
  GMutex mutex;
  GCond cond;
  gboolean locked;
} LockHolder;

static gpointer
hold_write_lock (gpointer data)
{
  LockHolder *holder = data;
  sqlite3 *db = raw_open (holder->path);

  raw_exec (db, "BEGIN IMMEDIATE");
  raw_exec (db, "INSERT INTO settings (key, value) VALUES ('held', 'yes')");
  g_mutex_lock (&holder->mutex);
  holder->locked = TRUE;
  g_cond_signal (&holder->cond);
  g_mutex_unlock (&holder->mutex);

  g_usleep (300 * 1000);
  raw_exec (db, "COMMIT");
  sqlite3_close (db);
  return NULL;
}

/* A writer that finds the database locked waits for the lock instead of failing. */
static void
test_busy_wait (Fixture      *fixture,
                gconstpointer user_data)
{
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimer) timer = NULL;
  g_autofree char *value = NULL;
  LockHolder holder = { .path = fixture->path };
  GThread *thread;

  g_mutex_init (&holder.mutex);
  g_cond_init (&holder.cond);
  thread = g_thread_new ("lock-holder", hold_write_lock, &holder);
  g_mutex_lock (&holder.mutex);
  while (!holder.locked)
    g_cond_wait (&holder.cond, &holder.mutex);
  g_mutex_unlock (&holder.mutex);

  timer = g_timer_new ();
  g_assert_true (rh_store_setting_set (store, "after", "lock", &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (g_timer_elapsed (timer, NULL), >=, 0.1);
  g_thread_join (thread);

  g_assert_true (rh_store_setting_get (store, "held", &value, &error));
  g_assert_cmpstr (value, ==, "yes");
  g_mutex_clear (&holder.mutex);
  g_cond_clear (&holder.cond);
}

static int opener_count;

static gpointer
open_in_thread (gpointer data)
{
  const char *path = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhStore) store = rh_store_sqlite_new (path, &error);
  g_autofree char *login = g_strdup_printf ("user%d", g_atomic_int_add (&opener_count, 1));

  g_assert_no_error (error);
  add_user (store, login);
  return NULL;
}

/* The server and an admin command started at the same moment on a fresh data directory both
 * create and migrate the file; exactly one of them runs the migration. */
static void
test_first_open_race (Fixture      *fixture,
                      gconstpointer user_data)
{
  GThread *threads[4];
  g_autoptr(RhStore) store = NULL;
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("opener", open_in_thread, fixture->path);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  store = open_store (fixture);
  users = rh_store_user_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (users->len, ==, G_N_ELEMENTS (threads));
  db = raw_open (fixture->path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, 5);
  sqlite3_close (db);
}

/* A method that fails half-way leaves nothing of what it did before the failure. */
static void
test_rollback (Fixture      *fixture,
               gconstpointer user_data)
{
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhUser) user = NULL;
  g_autofree char *login = NULL;
  guint8 hash[RH_STORE_TOKEN_HASH_LEN];
  sqlite3 *db;

  add_user (store, "alice");
  fill_hash (hash, 9);
  g_assert_true (rh_store_token_add (store, hash, "alice", 5000, &error));
  g_assert_no_error (error);

  /* Disabling updates the user, then the tokens: make the second step fail. */
  db = raw_open (fixture->path);
  raw_exec (db, "CREATE TRIGGER fail_tokens BEFORE UPDATE ON tokens"
                " BEGIN SELECT RAISE (ABORT, 'injected failure'); END");

  g_assert_false (rh_store_user_set_disabled (store, "alice", TRUE, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_STORE);
  g_assert_nonnull (strstr (error->message, "injected failure"));
  g_clear_error (&error);

  user = rh_store_user_get (store, "alice", &error);
  g_assert_no_error (error);
  g_assert_false (user->disabled);
  g_assert_cmpint (raw_int (db, "SELECT disabled FROM users WHERE login = 'alice'"), ==, 0);

  /* And the store is usable afterwards, with no transaction left open. */
  g_assert_true (rh_store_setting_set (store, "k", "v", &error));
  g_assert_no_error (error);
  raw_exec (db, "DROP TRIGGER fail_tokens");
  g_assert_true (rh_store_user_set_disabled (store, "alice", TRUE, &error));
  g_assert_no_error (error);
  sqlite3_close (db);
}

static gint64
start_session (RhStore    *store,
               const char *helper,
               const char *sharer,
               const char *device,
               gint64      started_at,
               gint64      ended_at,
               const char *reason)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pairing = g_strdup_printf ("%032" G_GINT64_MODIFIER "x", started_at);
  gint64 id = 0;

  g_assert_true (rh_store_session_start (store, pairing, helper, sharer, device, "view",
                                         started_at, &id, &error));
  g_assert_no_error (error);
  if (ended_at > 0)
    {
      g_assert_true (rh_store_session_end (store, id, ended_at, (guint64) started_at, reason,
                                           &error));
      g_assert_no_error (error);
    }
  return id;
}

static void
test_session_queries (Fixture      *fixture,
                      gconstpointer user_data)
{
  const gint64 now = 40 * DAY + 5000;
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GArray) days = NULL;
  RhSessionQuery query = { 0 };
  RhSessionRecord *record;
  guint active;
  double average;

  /* Nothing yet: zeros, not errors. */
  g_assert_true (rh_store_session_stats (store, now - 30 * DAY, &active, &days, &average,
                                         &error));
  g_assert_no_error (error);
  g_assert_cmpuint (active, ==, 0);
  g_assert_cmpuint (days->len, ==, 0);
  g_assert_cmpfloat (average, ==, 0);
  g_clear_pointer (&days, g_array_unref);

  /* Too old for the 30 days; two on one day (100 s and 300 s); one on the next (active). */
  start_session (store, "helen", "sam", "old-pc", now - 35 * DAY, now - 35 * DAY + 50, "ended");
  start_session (store, "helen", "Zoë", "Laptop-7", 39 * DAY + 10, 39 * DAY + 110, "ended");
  start_session (store, "bob", "sam", NULL, 39 * DAY + 20, 39 * DAY + 320, "peer-left");
  start_session (store, "bob", "carol", "desk-3", 40 * DAY + 30, 0, NULL);

  g_assert_true (rh_store_session_stats (store, now - 30 * DAY, &active, &days, &average,
                                         &error));
  g_assert_no_error (error);
  g_assert_cmpuint (active, ==, 1);
  g_assert_cmpfloat (average, ==, 200);
  g_assert_cmpuint (days->len, ==, 2);
  g_assert_cmpint (g_array_index (days, RhSessionDay, 0).day, ==, 39 * DAY);
  g_assert_cmpuint (g_array_index (days, RhSessionDay, 0).count, ==, 2);
  g_assert_cmpint (g_array_index (days, RhSessionDay, 1).day, ==, 40 * DAY);
  g_assert_cmpuint (g_array_index (days, RhSessionDay, 1).count, ==, 1);

  /* Newest first by default order of the caller's choice; search is case-insensitive. */
  query.sort = RH_SESSION_SORT_STARTED;
  query.descending = TRUE;
  list = rh_store_session_query (store, &query, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 4);
  record = list->pdata[0];
  g_assert_cmpstr (record->sharer_login, ==, "carol");
  g_assert_cmpint (record->ended_at, ==, 0);
  g_assert_null (record->end_reason);
  record = list->pdata[3];
  g_assert_cmpstr (record->device, ==, "old-pc");
  g_clear_pointer (&list, g_ptr_array_unref);

  query.search = "LAPTOP";
  list = rh_store_session_query (store, &query, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((RhSessionRecord *) list->pdata[0])->sharer_login, ==, "Zoë");
  g_clear_pointer (&list, g_ptr_array_unref);

  /* No wildcard meaning: "%" matches nothing here. */
  query.search = "%";
  list = rh_store_session_query (store, &query, &error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  query.search = "sam";
  query.sort = RH_SESSION_SORT_DURATION;
  query.descending = FALSE;
  list = rh_store_session_query (store, &query, &error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((RhSessionRecord *) list->pdata[0])->device, ==, "old-pc");
  g_assert_cmpstr (((RhSessionRecord *) list->pdata[1])->helper_login, ==, "bob");
  g_clear_pointer (&list, g_ptr_array_unref);

  query.search = NULL;
  query.sort = RH_SESSION_SORT_HELPER;
  query.limit = 3;
  list = rh_store_session_query (store, &query, &error);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_cmpstr (((RhSessionRecord *) list->pdata[0])->helper_login, ==, "bob");
  g_assert_cmpstr (((RhSessionRecord *) list->pdata[2])->helper_login, ==, "helen");
}

static void
test_audit_query (Fixture      *fixture,
                 gconstpointer user_data)
{
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  RhAuditRecord *entry;

  list = rh_store_audit_query (store, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  g_assert_true (rh_store_audit_append (store, 100, "admin", "setting-set",
                                        "{\"key\":\"chat-disabled\"}", &error));
  g_assert_true (rh_store_audit_append (store, 200, "Ann", "user-add", NULL, &error));
  g_assert_true (rh_store_audit_append (store, 150, "admin", "user-remove", NULL, &error));
  g_assert_no_error (error);

  /* Newest entry first (by insertion, whatever the clock said). */
  list = rh_store_audit_query (store, NULL, 0, &error);
  g_assert_cmpuint (list->len, ==, 3);
  entry = list->pdata[0];
  g_assert_cmpstr (entry->action, ==, "user-remove");
  g_assert_cmpint (entry->at, ==, 150);
  g_assert_null (entry->detail);
  entry = list->pdata[2];
  g_assert_cmpstr (entry->detail, ==, "{\"key\":\"chat-disabled\"}");
  g_clear_pointer (&list, g_ptr_array_unref);

  list = rh_store_audit_query (store, "CHAT", 0, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = rh_store_audit_query (store, "ann", 0, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = rh_store_audit_query (store, NULL, 2, &error);
  g_assert_cmpuint (list->len, ==, 2);
}

/* Administrator access (issue #6) */

static RhSessionRecord *
session_by_id (RhStore *store,
               gint64   id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = rh_store_session_list (store, 0, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    {
      RhSessionRecord *record = g_ptr_array_index (list, i);

      if (record->id == id)
        return g_ptr_array_steal_index (list, i);
    }
  g_assert_not_reached ();
}

static void
test_session_elevation (Fixture      *fixture,
                        gconstpointer user_data)
{
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhSessionRecord) record = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  RhSessionQuery query = { 0 };
  JsonArray *tools;
  gint64 id = 0, other = 0;

  g_assert_true (rh_store_session_start (store, "00112233445566778899aabbccddeeff", "helen",
                                         "sam", "pc-1", "control", 1000, &id, &error));
  g_assert_true (rh_store_session_start (store, "ffeeddccbbaa99887766554433221100", "helen",
                                         "zoe", "pc-2", "control", 1001, &other, &error));
  g_assert_no_error (error);

  /* A new session: no tools, no end. */
  record = session_by_id (store, id);
  g_assert_cmpstr (record->elevation_tools, ==, "[]");
  g_assert_null (record->elevation_end);
  g_assert_false (record->elevation_used);
  g_clear_pointer (&record, rh_session_record_free);

  g_assert_true (rh_store_session_add_mode (store, id, "elevation", TRUE, &error));
  /* Quotes, a backslash, a line break and non-ASCII go through JSON intact. */
  g_assert_true (rh_store_session_add_elevation_tool (store, id, "Terminal", TRUE, NULL,
                                                      &error));
  g_assert_true (rh_store_session_add_elevation_tool (store, id, "Disk \"Usage\" \\ é", FALSE,
                                                      "pkexec: not authorised\nby polkit",
                                                      &error));
  g_assert_no_error (error);
  /* "started" is only a mark: it never hides an outcome, and the outcome replaces it. */
  g_assert_true (rh_store_session_set_elevation_end (store, id, "sign-out: started", FALSE,
                                                     &error));
  g_assert_true (rh_store_session_end (store, id, 1200, 10, "sharer-left", &error));
  g_assert_no_error (error);
  /* Late reports after the session ended still belong to it. */
  g_assert_true (rh_store_session_set_elevation_end (store, id, "sign-out: ok", TRUE, &error));
  g_assert_true (rh_store_session_set_elevation_end (store, id, "sign-out: started", FALSE,
                                                     &error));
  g_assert_no_error (error);

  /* Unknown sessions fail and change nothing. */
  g_assert_false (rh_store_session_add_elevation_tool (store, 9999, "Terminal", TRUE, NULL,
                                                       &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_STORE);
  g_clear_error (&error);
  g_assert_false (rh_store_session_set_elevation_end (store, 9999, "lock: ok", TRUE, &error));
  g_assert_error (error, RH_STORE_ERROR, RH_ERROR_STORE);
  g_clear_error (&error);

  /* Reopened: the fields round-trip. */
  g_clear_object (&store);
  store = open_store (fixture);
  record = session_by_id (store, id);
  g_assert_true (record->elevation_used);
  g_assert_cmpstr (record->modes, ==, "control,elevation");
  g_assert_cmpstr (record->mode, ==, "control");
  g_assert_cmpstr (record->elevation_end, ==, "sign-out: ok");
  g_assert_true (json_parser_load_from_data (parser, record->elevation_tools, -1, &error));
  g_assert_no_error (error);
  tools = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (tools), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tools, 0),
                                                  "tool"), ==, "Terminal");
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (tools, 0), "ok"));
  g_assert_false (json_object_has_member (json_array_get_object_element (tools, 0), "error"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tools, 1),
                                                  "tool"), ==, "Disk \"Usage\" \\ é");
  g_assert_false (json_object_get_boolean_member (json_array_get_object_element (tools, 1),
                                                  "ok"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tools, 1),
                                                  "error"), ==,
                   "pkexec: not authorised\nby polkit");
  g_clear_pointer (&record, rh_session_record_free);

  /* The other session was not touched. */
  record = session_by_id (store, other);
  g_assert_cmpstr (record->elevation_tools, ==, "[]");
  g_assert_null (record->elevation_end);
  g_assert_false (record->elevation_used);
  g_clear_pointer (&record, rh_session_record_free);

  /* The console's search finds sessions by tool and by end. */
  query.search = "disk \"usage";
  found = rh_store_session_query (store, &query, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpint (((RhSessionRecord *) g_ptr_array_index (found, 0))->id, ==, id);
  g_assert_cmpstr (((RhSessionRecord *) g_ptr_array_index (found, 0))->elevation_end, ==,
                   "sign-out: ok");
  g_clear_pointer (&found, g_ptr_array_unref);
  query.search = "SIGN-OUT: OK";
  found = rh_store_session_query (store, &query, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_pointer (&found, g_ptr_array_unref);

  /* A runaway app cannot grow a record without bound: the list stops at the cap. */
  for (int i = 0; i < RH_STORE_MAX_ELEVATION_TOOLS + 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("tool %d", i);

      g_assert_true (rh_store_session_add_elevation_tool (store, other, name, TRUE, NULL,
                                                          &error));
      g_assert_no_error (error);
    }
  record = session_by_id (store, other);
  g_assert_true (json_parser_load_from_data (parser, record->elevation_tools, -1, &error));
  tools = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (tools), ==, RH_STORE_MAX_ELEVATION_TOOLS);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tools, 99),
                                                  "tool"), ==, "tool 99");
}

/* A database made by a server of schema 4 (before administrator access) keeps its sessions and
 * gains the new fields with their empty values. */
static void
test_migration_from_4 (Fixture      *fixture,
                       gconstpointer user_data)
{
  g_autoptr(RhStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *schema = NULL;
  RhSessionRecord *record;
  sqlite3 *db;

  add_user (store, "helen");
  g_clear_object (&store);

  /* Schema 5 only added two columns: without them, and at version 4, the file is what a
   * schema-4 server left. */
  db = raw_open (fixture->path);
  raw_exec (db, "ALTER TABLE sessions DROP COLUMN elevation_tools");
  raw_exec (db, "ALTER TABLE sessions DROP COLUMN elevation_end");
  raw_exec (db, "PRAGMA user_version = 4");
  raw_exec (db, "INSERT INTO sessions (pairing, helper_login, sharer_login, device, mode,"
                " started_at, ended_at, bytes_relayed, end_reason, modes, elevation_used)"
                " VALUES ('aa', 'helen', 'sam', 'pc-1', 'view', 1000, 1100, 77, 'helper-left',"
                " 'view,control', 1), ('bb', 'helen', 'zoe', NULL, 'unknown', 2000, NULL, 0, NULL,"
                " '', 0)");
  raw_exec (db, "INSERT INTO audit (at, actor, action, detail) VALUES (1000, 'helen',"
                " 'pairing.paired', '{\"pairing\":\"aa\"}')");
  sqlite3_close (db);

  store = open_store (fixture);
  db = raw_open (fixture->path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, 5);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM audit"), ==, 1);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM users"), ==, 1);
  /* The constraint holds for rows written by other paths too. */
  g_assert_cmpint (sqlite3_exec (db, "UPDATE sessions SET elevation_tools = 'x'", NULL, NULL,
                                 NULL), ==, SQLITE_CONSTRAINT);
  schema = raw_text (db, "SELECT sql FROM sqlite_schema WHERE name = 'sessions'");
  g_assert_nonnull (strstr (schema, "elevation_end"));
  sqlite3_close (db);

  list = rh_store_session_list (store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  record = g_ptr_array_index (list, 0);
  g_assert_cmpstr (record->pairing, ==, "aa");
  g_assert_cmpstr (record->device, ==, "pc-1");
  g_assert_cmpstr (record->modes, ==, "view,control");
  g_assert_true (record->elevation_used);
  g_assert_cmpint (record->ended_at, ==, 1100);
  g_assert_cmpuint (record->bytes_relayed, ==, 77);
  g_assert_cmpstr (record->end_reason, ==, "helper-left");
  g_assert_cmpstr (record->elevation_tools, ==, "[]");
  g_assert_null (record->elevation_end);
  record = g_ptr_array_index (list, 1);
  g_assert_cmpstr (record->pairing, ==, "bb");
  g_assert_cmpint (record->ended_at, ==, 0);

  /* And the migrated rows take the new fields. */
  g_assert_true (rh_store_session_add_elevation_tool (store, record->id, "Terminal", TRUE, NULL,
                                                      &error));
  g_assert_true (rh_store_session_set_elevation_end (store, record->id, "lock: ok", TRUE,
                                                     &error));
  g_assert_no_error (error);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = rh_store_session_list (store, 0, &error);
  record = g_ptr_array_index (list, 1);
  g_assert_cmpstr (record->elevation_tools, ==, "[{\"tool\":\"Terminal\",\"ok\":true}]");
  g_assert_cmpstr (record->elevation_end, ==, "lock: ok");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/store/open/pragmas", test_open_pragmas);
  ADD ("/store/open/file-mode", test_open_file_mode);
  ADD ("/store/open/garbage", test_open_garbage);
  ADD ("/store/open/missing-dir", test_open_missing_dir);
  ADD ("/store/open/newer-schema", test_open_newer_schema);
  ADD ("/store/users", test_users);
  ADD ("/store/users/photo-unicode", test_users_photo_unicode);
  ADD ("/store/settings", test_settings);
  ADD ("/store/tokens", test_tokens);
  ADD ("/store/slots", test_slots);
  ADD ("/store/backoff", test_backoff);
  ADD ("/store/audit", test_audit);
  ADD ("/store/sessions", test_sessions);
  ADD ("/store/purge", test_purge);
  ADD ("/store/chat", test_chat);
  ADD ("/store/persistence", test_persistence);
  ADD ("/store/concurrency/two-stores", test_two_stores);
  ADD ("/store/concurrency/busy-wait", test_busy_wait);
  ADD ("/store/concurrency/first-open", test_first_open_race);
  ADD ("/store/rollback", test_rollback);
  ADD ("/store/sessions/query", test_session_queries);
  ADD ("/store/audit/query", test_audit_query);
  ADD ("/store/sessions/elevation", test_session_elevation);
  ADD ("/store/migration/from-4", test_migration_from_4);

#undef ADD

  return g_test_run ();
}
