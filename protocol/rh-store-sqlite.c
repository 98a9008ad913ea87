/* rh-store-sqlite.c: the embedded SQLite store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "rh-error.h"
#include "rh-store-sqlite.h"
#include "rh-store.h"

/* How long a writer waits for another process (the admin CLI next to the running server, or
 * the other way round) before giving up with an error. */
#define BUSY_TIMEOUT_MS 5000

#define DAY_SECONDS (24 * 60 * 60)

/* Entry i migrates the schema from user_version i to i + 1, in one transaction, and must end by
 * setting user_version. Only ever append: deployed databases have run the existing entries. */
static const char * const migrations[] = {
  /* 1: users, settings, tokens, slots, backoff and audit. */
  "CREATE TABLE users ("
  "  login         TEXT    NOT NULL PRIMARY KEY,"
  "  display_name  TEXT,"
  "  job_title     TEXT,"
  "  company       TEXT,"
  "  domain        TEXT,"
  "  photo         BLOB,"
  "  password_hash TEXT    NOT NULL,"
  "  disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
  "  admin         INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),"
  "  created_at    INTEGER NOT NULL"
  ") STRICT;"
  "CREATE TABLE settings ("
  "  key   TEXT NOT NULL PRIMARY KEY,"
  "  value TEXT NOT NULL"
  ") STRICT;"
  "CREATE TABLE tokens ("
  "  hash       BLOB    NOT NULL PRIMARY KEY CHECK (length (hash) = 32),"
  "  login      TEXT    NOT NULL REFERENCES users (login) ON DELETE CASCADE ON UPDATE CASCADE,"
  "  expires_at INTEGER NOT NULL,"
  "  revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))"
  ") STRICT;"
  /* Without it, deleting or disabling a user scans every token. */
  "CREATE INDEX tokens_login ON tokens (login);"
  "CREATE TABLE slots ("
  "  slot         TEXT    NOT NULL PRIMARY KEY,"
  "  helper_login TEXT    NOT NULL,"
  "  created_at   INTEGER NOT NULL,"
  "  expires_at   INTEGER NOT NULL,"
  "  failures     INTEGER NOT NULL DEFAULT 0,"
  "  state        TEXT    NOT NULL CHECK (state IN ('live', 'consumed', 'burned', 'cancelled'))"
  ") STRICT;"
  "CREATE TABLE backoff ("
  "  key           TEXT    NOT NULL PRIMARY KEY,"
  "  failures      INTEGER NOT NULL,"
  "  blocked_until INTEGER NOT NULL,"
  "  updated_at    INTEGER NOT NULL"
  ") STRICT;"
  "CREATE TABLE audit ("
  "  id     INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  at     INTEGER NOT NULL,"
  "  actor  TEXT    NOT NULL,"
  "  action TEXT    NOT NULL,"
  "  detail TEXT"
  ") STRICT;"
  "CREATE INDEX audit_at ON audit (at);"
  /* The audit trail is evidence: refuse edits from any code path, including a mistaken one.
   * The migration that adds retention will replace the delete trigger with one that only lets
   * old rows go. */
  "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
  "  BEGIN SELECT RAISE (ABORT, 'audit rows cannot be changed'); END;"
  "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
  "  BEGIN SELECT RAISE (ABORT, 'audit rows cannot be deleted'); END;"
  "PRAGMA user_version = 1;",

  /* 2: sessions, one row per relayed screen-sharing session. */
  "CREATE TABLE sessions ("
  "  id            INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  pairing       TEXT    NOT NULL,"
  "  helper_login  TEXT    NOT NULL,"
  "  sharer_login  TEXT    NOT NULL,"
  "  device        TEXT,"
  "  mode          TEXT    NOT NULL,"
  "  started_at    INTEGER NOT NULL,"
  "  ended_at      INTEGER,"
  "  bytes_relayed INTEGER NOT NULL DEFAULT 0 CHECK (bytes_relayed >= 0),"
  "  end_reason    TEXT"
  ") STRICT;"
  "CREATE INDEX sessions_started_at ON sessions (started_at);"
  "CREATE INDEX sessions_pairing ON sessions (pairing);"
  "PRAGMA user_version = 2;",

  /* 3: chat, the thread of each pairing, kept for the organisation (not end-to-end: the
   * server must be able to refuse chat and keep the thread; the terms say so). */
  "CREATE TABLE chat ("
  "  id           INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  pairing      TEXT    NOT NULL,"
  "  sender_login TEXT    NOT NULL,"
  "  sender_role  TEXT    NOT NULL CHECK (sender_role IN ('helper', 'sharer')),"
  "  sent_at      INTEGER NOT NULL,"
  "  body         TEXT    NOT NULL CHECK (length (body) > 0)"
  ") STRICT;"
  "CREATE INDEX chat_pairing ON chat (pairing, id);"
  "CREATE INDEX chat_sent_at ON chat (sent_at);"
  "PRAGMA user_version = 3;",

  /* 4: roles, groups and assignments; modes used per session; audit retention. "groups" is
   * a keyword in window clauses, hence user_groups. */
  "CREATE TABLE roles ("
  "  id          INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  name        TEXT    NOT NULL UNIQUE COLLATE NOCASE,"
  "  description TEXT    NOT NULL DEFAULT '',"
  "  permissions INTEGER NOT NULL CHECK (permissions BETWEEN 0 AND 7),"
  "  builtin     INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1))"
  ") STRICT;"
  "INSERT INTO roles (name, description, permissions, builtin) VALUES"
  "  ('" RH_BUILTIN_ROLE_NAME "', 'View the screen, take full control and use elevation', 7, 1);"
  /* The code refuses too, with a clearer message; this keeps any other path honest. */
  "CREATE TRIGGER roles_builtin_no_update BEFORE UPDATE ON roles WHEN old.builtin = 1"
  "  BEGIN SELECT RAISE (ABORT, 'the built-in role cannot be changed'); END;"
  "CREATE TRIGGER roles_builtin_no_delete BEFORE DELETE ON roles WHEN old.builtin = 1"
  "  BEGIN SELECT RAISE (ABORT, 'the built-in role cannot be deleted'); END;"
  "CREATE TABLE user_groups ("
  "  id          INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  name        TEXT    NOT NULL UNIQUE COLLATE NOCASE,"
  "  description TEXT    NOT NULL DEFAULT ''"
  ") STRICT;"
  "CREATE TABLE group_members ("
  "  group_id INTEGER NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,"
  "  login    TEXT    NOT NULL REFERENCES users (login) ON DELETE CASCADE ON UPDATE CASCADE,"
  "  PRIMARY KEY (group_id, login)"
  ") STRICT, WITHOUT ROWID;"
  /* Every pairing looks the helper and the sharer up by login. */
  "CREATE INDEX group_members_login ON group_members (login, group_id);"
  "CREATE TABLE assignments ("
  "  id              INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  role_id         INTEGER NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,"
  "  helper_group_id INTEGER NOT NULL REFERENCES user_groups (id) ON DELETE RESTRICT,"
  "  all_users       INTEGER NOT NULL CHECK (all_users IN (0, 1)),"
  "  created_at      INTEGER NOT NULL"
  ") STRICT;"
  "CREATE INDEX assignments_helper_group ON assignments (helper_group_id);"
  "CREATE INDEX assignments_role ON assignments (role_id);"
  "CREATE TABLE assignment_scopes ("
  "  assignment_id INTEGER NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,"
  "  group_id      INTEGER NOT NULL REFERENCES user_groups (id) ON DELETE RESTRICT,"
  "  PRIMARY KEY (assignment_id, group_id)"
  ") STRICT, WITHOUT ROWID;"
  "CREATE INDEX assignment_scopes_group ON assignment_scopes (group_id);"
  "ALTER TABLE sessions ADD COLUMN modes TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE sessions ADD COLUMN elevation_used INTEGER NOT NULL DEFAULT 0"
  "  CHECK (elevation_used IN (0, 1));"
  "UPDATE sessions SET modes = mode WHERE mode <> 'unknown';"
  /* Audit rows may now go, but only through purge, which raises the horizon for the length of
   * its transaction, and never rows younger than a day whatever the horizon says. */
  "CREATE TABLE audit_purge (horizon INTEGER NOT NULL) STRICT;"
  "INSERT INTO audit_purge (horizon) VALUES (0);"
  "DROP TRIGGER audit_no_delete;"
  "CREATE TRIGGER audit_delete_only_old BEFORE DELETE ON audit"
  "  WHEN old.at >= (SELECT horizon FROM audit_purge) OR old.at >= unixepoch () - 86400"
  "  BEGIN SELECT RAISE (ABORT, 'audit rows can only be deleted by the retention purge'); END;"
  "PRAGMA user_version = 4;",

  /* 5: administrator access in a session (issue #6): the tools started, a JSON array of
   * {"tool", "ok", "error"?} objects, and how it ended ("sign-out: ok", "lock: failed — …"). */
  "ALTER TABLE sessions ADD COLUMN elevation_tools TEXT NOT NULL DEFAULT '[]'"
  "  CHECK (json_valid (elevation_tools) AND json_type (elevation_tools) = 'array');"
  "ALTER TABLE sessions ADD COLUMN elevation_end TEXT;"
  "PRAGMA user_version = 5;",
};

typedef enum
{
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_USER_EXISTS,
  STMT_USER_INSERT,
  STMT_USER_GET,
  STMT_USER_LIST,
  STMT_USER_SET_DISABLED,
  STMT_USER_REVOKE_TOKENS,
  STMT_USER_SET_PASSWORD,
  STMT_USER_DELETE,
  STMT_SETTING_GET,
  STMT_SETTING_SET,
  STMT_TOKEN_INSERT,
  STMT_TOKEN_LOOKUP,
  STMT_TOKEN_REVOKE,
  STMT_SLOT_CREATE,
  STMT_SLOT_GET,
  STMT_SLOT_ADD_FAILURE,
  STMT_SLOT_SET_STATE,
  STMT_BACKOFF_GET,
  STMT_BACKOFF_PUT,
  STMT_BACKOFF_CLEAR,
  STMT_AUDIT_INSERT,
  STMT_AUDIT_INSERT_WITH_ID,
  STMT_SESSION_INSERT,
  STMT_SESSION_UPDATE,
  STMT_SESSION_END,
  STMT_PURGE_TOKENS,
  STMT_PURGE_SLOTS,
  STMT_PURGE_BACKOFF,
  STMT_CHAT_INSERT,
  STMT_CHAT_LIST,
  STMT_PURGE_CHAT,
  STMT_ROLE_GET,
  STMT_ROLE_LIST,
  STMT_ROLE_INSERT,
  STMT_ROLE_UPDATE,
  STMT_ROLE_DELETE,
  STMT_ROLE_IN_USE,
  STMT_GROUP_GET,
  STMT_GROUP_LIST,
  STMT_GROUP_MEMBERS,
  STMT_GROUP_INSERT,
  STMT_GROUP_UPDATE,
  STMT_GROUP_DELETE,
  STMT_GROUP_IN_USE,
  STMT_GROUP_CLEAR_MEMBERS,
  STMT_GROUP_ADD_MEMBER,
  STMT_ASSIGNMENT_GET,
  STMT_ASSIGNMENT_LIST,
  STMT_ASSIGNMENT_SCOPES,
  STMT_ASSIGNMENT_INSERT,
  STMT_ASSIGNMENT_UPDATE,
  STMT_ASSIGNMENT_DELETE,
  STMT_ASSIGNMENT_CLEAR_SCOPES,
  STMT_ASSIGNMENT_ADD_SCOPE,
  STMT_EFFECTIVE_PERMISSIONS,
  STMT_AUDIT_LIST,
  STMT_SESSION_LIST,
  STMT_SESSION_ADD_MODE,
  STMT_PURGE_SESSIONS,
  STMT_AUDIT_HORIZON,
  STMT_PURGE_AUDIT,
  STMT_SESSION_SET_DEVICE,
  STMT_SESSION_ADD_ELEVATION_TOOL,
  STMT_SESSION_SET_ELEVATION_END,
  N_STMTS
} StmtId;

#define USER_COLUMNS \
  "login, display_name, job_title, company, domain, photo, password_hash, disabled, admin, " \
  "created_at"

static const char * const stmt_sql[N_STMTS] = {
  /* IMMEDIATE takes the write lock up front, waiting through the busy timeout; a deferred
   * transaction that reads first could fail to upgrade without waiting. */
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",

  [STMT_USER_EXISTS] = "SELECT 1 FROM users WHERE login = ?1",
  [STMT_USER_INSERT] =
    "INSERT INTO users (" USER_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
  [STMT_USER_GET] = "SELECT " USER_COLUMNS " FROM users WHERE login = ?1",
  [STMT_USER_LIST] = "SELECT " USER_COLUMNS " FROM users ORDER BY login",
  [STMT_USER_SET_DISABLED] = "UPDATE users SET disabled = ?2 WHERE login = ?1",
  [STMT_USER_REVOKE_TOKENS] = "UPDATE tokens SET revoked = 1 WHERE login = ?1",
  [STMT_USER_SET_PASSWORD] = "UPDATE users SET password_hash = ?2 WHERE login = ?1",
  [STMT_USER_DELETE] = "DELETE FROM users WHERE login = ?1",

  [STMT_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
  [STMT_SETTING_SET] =
    "INSERT INTO settings (key, value) VALUES (?1, ?2)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",

  [STMT_TOKEN_INSERT] =
    "INSERT INTO tokens (hash, login, expires_at, revoked) VALUES (?1, ?2, ?3, 0)",
  [STMT_TOKEN_LOOKUP] =
    "SELECT t.login FROM tokens t JOIN users u ON u.login = t.login"
    " WHERE t.hash = ?1 AND t.revoked = 0 AND t.expires_at > ?2 AND u.disabled = 0",
  [STMT_TOKEN_REVOKE] = "UPDATE tokens SET revoked = 1 WHERE hash = ?1",

  /* One statement decides and writes, so two servers (or a retry) cannot both get the slot. */
  [STMT_SLOT_CREATE] =
    "INSERT INTO slots (slot, helper_login, created_at, expires_at, failures, state)"
    " VALUES (?1, ?2, ?3, ?4, 0, 'live')"
    " ON CONFLICT (slot) DO UPDATE SET helper_login = excluded.helper_login,"
    "   created_at = excluded.created_at, expires_at = excluded.expires_at,"
    "   failures = 0, state = 'live'"
    " WHERE slots.state <> 'live' OR slots.expires_at <= excluded.created_at",
  [STMT_SLOT_GET] =
    "SELECT slot, helper_login, created_at, expires_at, failures, state FROM slots"
    " WHERE slot = ?1",
  /* Only a LIVE slot burns: a consumed or cancelled one keeps the state that explains it. */
  [STMT_SLOT_ADD_FAILURE] =
    "UPDATE slots SET failures = failures + 1,"
    "   state = CASE WHEN state = 'live' AND failures + 1 >= ?2 THEN 'burned' ELSE state END"
    " WHERE slot = ?1 RETURNING failures",
  [STMT_SLOT_SET_STATE] = "UPDATE slots SET state = ?2 WHERE slot = ?1",

  [STMT_BACKOFF_GET] = "SELECT failures, blocked_until FROM backoff WHERE key = ?1",
  [STMT_BACKOFF_PUT] =
    "INSERT INTO backoff (key, failures, blocked_until, updated_at) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,"
    "   blocked_until = excluded.blocked_until, updated_at = excluded.updated_at",
  [STMT_BACKOFF_CLEAR] = "DELETE FROM backoff WHERE key = ?1",

  [STMT_AUDIT_INSERT] = "INSERT INTO audit (at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
  /* A creation's audit entry learns the new row's id here, inside the same transaction. */
  [STMT_AUDIT_INSERT_WITH_ID] =
    "INSERT INTO audit (at, actor, action, detail) VALUES (?1, ?2, ?3,"
    " CASE WHEN json_valid (?4) AND json_type (?4, '$.after') = 'object'"
    "   THEN json_set (?4, '$.after.id', ?5) ELSE ?4 END)",

  [STMT_SESSION_INSERT] =
    "INSERT INTO sessions (pairing, helper_login, sharer_login, device, mode, started_at, modes)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?5 = 'unknown' THEN '' ELSE ?5 END)",
  [STMT_SESSION_UPDATE] =
    "UPDATE sessions SET bytes_relayed = ?2 WHERE id = ?1 AND ended_at IS NULL",
  /* An ended session keeps its first ending: a late second report changes nothing. */
  [STMT_SESSION_END] =
    "UPDATE sessions SET ended_at = ?2, bytes_relayed = ?3, end_reason = ?4"
    " WHERE id = ?1 AND ended_at IS NULL",

  [STMT_PURGE_TOKENS] = "DELETE FROM tokens WHERE revoked = 1 OR expires_at <= ?1",
  /* A slot dies at the latest when it expires, so a row expired for a day has been dead for a
   * day whatever its state. */
  [STMT_PURGE_SLOTS] = "DELETE FROM slots WHERE expires_at < ?1",
  /* A block that outlasts a day of silence must not be lifted by forgetting it. */
  [STMT_PURGE_BACKOFF] = "DELETE FROM backoff WHERE updated_at < ?1 AND blocked_until <= ?2",

  [STMT_CHAT_INSERT] =
    "INSERT INTO chat (pairing, sender_login, sender_role, sent_at, body)"
    " VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_CHAT_LIST] =
    "SELECT id, pairing, sender_login, sender_role, sent_at, body FROM chat"
    " WHERE pairing = ?1 ORDER BY id",
  /* The retention is a setting administrators change; a value that is not a positive number
   * of days keeps the default rather than deleting everything. */
  [STMT_PURGE_CHAT] =
    "DELETE FROM chat WHERE sent_at < ?1 - 86400 * COALESCE ("
    "  (SELECT CAST (value AS INTEGER) FROM settings"
    "   WHERE key = 'chat-retention-days' AND CAST (value AS INTEGER) > 0), ?2)",
  [STMT_ROLE_GET] =
    "SELECT id, name, description, permissions, builtin FROM roles WHERE name = ?1",
  [STMT_ROLE_LIST] =
    "SELECT id, name, description, permissions, builtin FROM roles ORDER BY name, id",
  [STMT_ROLE_INSERT] =
    "INSERT INTO roles (name, description, permissions, builtin) VALUES (?1, ?2, ?3, 0)",
  [STMT_ROLE_UPDATE] =
    "UPDATE roles SET name = ?2, description = ?3, permissions = ?4 WHERE id = ?1",
  [STMT_ROLE_DELETE] = "DELETE FROM roles WHERE id = ?1",
  [STMT_ROLE_IN_USE] = "SELECT count(*) FROM assignments WHERE role_id = ?1",

  [STMT_GROUP_GET] = "SELECT id, name, description FROM user_groups WHERE name = ?1",
  [STMT_GROUP_LIST] = "SELECT id, name, description FROM user_groups ORDER BY name, id",
  [STMT_GROUP_MEMBERS] = "SELECT login FROM group_members WHERE group_id = ?1 ORDER BY login",
  [STMT_GROUP_INSERT] = "INSERT INTO user_groups (name, description) VALUES (?1, ?2)",
  [STMT_GROUP_UPDATE] = "UPDATE user_groups SET name = ?2, description = ?3 WHERE id = ?1",
  [STMT_GROUP_DELETE] = "DELETE FROM user_groups WHERE id = ?1",
  [STMT_GROUP_IN_USE] =
    "SELECT (SELECT count(*) FROM assignments WHERE helper_group_id = ?1)"
    "     + (SELECT count(*) FROM assignment_scopes WHERE group_id = ?1)",
  [STMT_GROUP_CLEAR_MEMBERS] = "DELETE FROM group_members WHERE group_id = ?1",
  [STMT_GROUP_ADD_MEMBER] =
    "INSERT OR IGNORE INTO group_members (group_id, login) VALUES (?1, ?2)",

#define ASSIGNMENT_SELECT \
  "SELECT a.id, r.name, g.name, a.all_users, a.created_at FROM assignments a" \
  " JOIN roles r ON r.id = a.role_id JOIN user_groups g ON g.id = a.helper_group_id"
  [STMT_ASSIGNMENT_GET] = ASSIGNMENT_SELECT " WHERE a.id = ?1",
  [STMT_ASSIGNMENT_LIST] = ASSIGNMENT_SELECT " ORDER BY a.id",
  [STMT_ASSIGNMENT_SCOPES] =
    "SELECT g.name FROM assignment_scopes s JOIN user_groups g ON g.id = s.group_id"
    " WHERE s.assignment_id = ?1 ORDER BY g.name",
  [STMT_ASSIGNMENT_INSERT] =
    "INSERT INTO assignments (role_id, helper_group_id, all_users, created_at)"
    " VALUES (?1, ?2, ?3, ?4)",
  [STMT_ASSIGNMENT_UPDATE] =
    "UPDATE assignments SET role_id = ?2, helper_group_id = ?3, all_users = ?4 WHERE id = ?1",
  [STMT_ASSIGNMENT_DELETE] = "DELETE FROM assignments WHERE id = ?1",
  [STMT_ASSIGNMENT_CLEAR_SCOPES] = "DELETE FROM assignment_scopes WHERE assignment_id = ?1",
  [STMT_ASSIGNMENT_ADD_SCOPE] =
    "INSERT OR IGNORE INTO assignment_scopes (assignment_id, group_id) VALUES (?1, ?2)",

  /* ?2 NULL: any scope. One row per matching assignment; the caller ORs them. */
  [STMT_EFFECTIVE_PERMISSIONS] =
    "SELECT r.permissions FROM assignments a"
    " JOIN roles r ON r.id = a.role_id"
    " JOIN group_members hm ON hm.group_id = a.helper_group_id AND hm.login = ?1"
    " WHERE ?2 IS NULL OR a.all_users = 1 OR EXISTS ("
    "   SELECT 1 FROM assignment_scopes s"
    "   JOIN group_members sm ON sm.group_id = s.group_id AND sm.login = ?2"
    "   WHERE s.assignment_id = a.id)",

  [STMT_AUDIT_LIST] =
    "SELECT id, at, actor, action, detail FROM audit WHERE at >= ?1 ORDER BY at, id",
  [STMT_SESSION_LIST] =
    "SELECT id, pairing, helper_login, sharer_login, device, mode, modes, elevation_used,"
    "  started_at, ended_at, bytes_relayed, end_reason, elevation_tools, elevation_end"
    " FROM sessions WHERE started_at >= ?1"
    " ORDER BY started_at, id",
  [STMT_SESSION_ADD_MODE] =
    "UPDATE sessions SET"
    "  mode = CASE WHEN mode = 'unknown' THEN ?2 ELSE mode END,"
    "  modes = CASE WHEN modes = '' THEN ?2"
    "    WHEN instr (',' || modes || ',', ',' || ?2 || ',') > 0 THEN modes"
    "    ELSE modes || ',' || ?2 END,"
    "  elevation_used = max (elevation_used, ?3)"
    " WHERE id = ?1",
  /* A live session stays however old: it is still being accounted. */
  [STMT_PURGE_SESSIONS] =
    "DELETE FROM sessions WHERE ended_at IS NOT NULL AND started_at < ?1",
  [STMT_AUDIT_HORIZON] = "UPDATE audit_purge SET horizon = ?1",
  [STMT_PURGE_AUDIT] = "DELETE FROM audit WHERE at < ?1",
  [STMT_SESSION_SET_DEVICE] = "UPDATE sessions SET device = ?2 WHERE id = ?1 AND device IS NULL",
  /* The row is matched whatever the cap, so that a full list is not mistaken for an unknown
   * session. */
  [STMT_SESSION_ADD_ELEVATION_TOOL] =
    "UPDATE sessions SET elevation_tools = CASE"
    "  WHEN json_array_length (elevation_tools) >= ?5 THEN elevation_tools"
    "  WHEN ?4 IS NULL THEN json_insert (elevation_tools, '$[#]',"
    "    json_object ('tool', ?2, 'ok', json (CASE WHEN ?3 THEN 'true' ELSE 'false' END)))"
    "  ELSE json_insert (elevation_tools, '$[#]',"
    "    json_object ('tool', ?2, 'ok', json (CASE WHEN ?3 THEN 'true' ELSE 'false' END),"
    "                 'error', ?4)) END"
    " WHERE id = ?1",
  [STMT_SESSION_SET_ELEVATION_END] =
    "UPDATE sessions SET elevation_end = CASE WHEN ?3 OR elevation_end IS NULL THEN ?2"
    "  ELSE elevation_end END WHERE id = ?1",
};

static const char * const slot_state_names[] = {
  [RH_SLOT_STATE_LIVE] = "live",
  [RH_SLOT_STATE_CONSUMED] = "consumed",
  [RH_SLOT_STATE_BURNED] = "burned",
  [RH_SLOT_STATE_CANCELLED] = "cancelled",
};

struct _RhStoreSqlite
{
  GObject parent_instance;

  char *path;
  sqlite3 *db;
  /* Prepared on first use, finalized in dispose. */
  sqlite3_stmt *stmts[N_STMTS];
};

static void rh_store_sqlite_iface_init (RhStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RhStoreSqlite, rh_store_sqlite, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (RH_TYPE_STORE, rh_store_sqlite_iface_init))

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* A cached statement is lent to a caller, never owned: leaving the scope resets it, so that no
 * half-read SELECT keeps a WAL snapshot open (hiding the other process's writes and holding back
 * checkpoints), and clears its bindings, which point into the caller's memory. */
typedef sqlite3_stmt BorrowedStmt;

static void
borrowed_stmt_release (BorrowedStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BorrowedStmt, borrowed_stmt_release)

static gboolean
set_db_error (RhStoreSqlite *self,
              GError       **error,
              const char    *what)
{
  g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE, "%s: %s", what, sqlite3_errmsg (self->db));
  return FALSE;
}

static BorrowedStmt *
borrow_stmt (RhStoreSqlite *self,
             StmtId         id,
             GError       **error)
{
  if (self->stmts[id] == NULL)
    {
      int rc = sqlite3_prepare_v3 (self->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                   &self->stmts[id], NULL);

      if (rc != SQLITE_OK)
        {
          set_db_error (self, error, "Cannot prepare a database statement");
          g_clear_pointer (&self->stmts[id], sqlite3_finalize);
          return NULL;
        }
    }

  return self->stmts[id];
}

static gboolean
bind_text (RhStoreSqlite *self,
           sqlite3_stmt  *stmt,
           int            index,
           const char    *value,
           GError       **error)
{
  int rc;

  /* SQLITE_STATIC: the binding is cleared before the caller's string can go away. */
  if (value == NULL)
    rc = sqlite3_bind_null (stmt, index);
  else
    rc = sqlite3_bind_text (stmt, index, value, -1, SQLITE_STATIC);
  if (rc != SQLITE_OK)
    return set_db_error (self, error, "Cannot bind a text value");
  return TRUE;
}

static gboolean
bind_int64 (RhStoreSqlite *self,
            sqlite3_stmt  *stmt,
            int            index,
            gint64         value,
            GError       **error)
{
  if (sqlite3_bind_int64 (stmt, index, value) != SQLITE_OK)
    return set_db_error (self, error, "Cannot bind an integer value");
  return TRUE;
}

static gboolean
bind_blob (RhStoreSqlite *self,
           sqlite3_stmt  *stmt,
           int            index,
           gconstpointer  data,
           gsize          len,
           GError       **error)
{
  int rc;

  if (data == NULL)
    rc = sqlite3_bind_null (stmt, index);
  else
    rc = sqlite3_bind_blob64 (stmt, index, data, len, SQLITE_STATIC);
  if (rc != SQLITE_OK)
    return set_db_error (self, error, "Cannot bind a binary value");
  return TRUE;
}

/* For statements that return no rows. */
static gboolean
stmt_run (RhStoreSqlite *self,
          sqlite3_stmt  *stmt,
          const char    *what,
          GError       **error)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, what);
  return TRUE;
}

/* Steps a query; *out_row tells whether a row is there to be read. */
static gboolean
stmt_next (RhStoreSqlite *self,
           sqlite3_stmt  *stmt,
           gboolean      *out_row,
           const char    *what,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  *out_row = rc == SQLITE_ROW;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_db_error (self, error, what);
  return TRUE;
}

static gboolean
tx_begin (RhStoreSqlite *self,
          GError       **error)
{
  g_autoptr(BorrowedStmt) stmt = borrow_stmt (self, STMT_BEGIN, error);

  return stmt != NULL && stmt_run (self, stmt, "Cannot start a database transaction", error);
}

/* Always returns FALSE, so that a failing method can end with "return tx_abort (self);". */
static gboolean
tx_abort (RhStoreSqlite *self)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(BorrowedStmt) stmt = NULL;

  /* After disk-full, I/O and some other errors SQLite has already rolled back by itself. */
  if (sqlite3_get_autocommit (self->db))
    return FALSE;

  stmt = borrow_stmt (self, STMT_ROLLBACK, &local_error);
  if (stmt == NULL || !stmt_run (self, stmt, "Cannot roll back", &local_error))
    g_warning ("%s", local_error->message);
  return FALSE;
}

static gboolean
tx_commit (RhStoreSqlite *self,
           GError       **error)
{
  g_autoptr(BorrowedStmt) stmt = borrow_stmt (self, STMT_COMMIT, error);

  if (stmt != NULL && stmt_run (self, stmt, "Cannot commit to the database", error))
    return TRUE;
  return tx_abort (self);
}

/* A value for one "?N" of a statement, so that a call can bind all of them in one line. */
typedef enum
{
  STMT_ARG_TEXT,
  STMT_ARG_INT64,
  STMT_ARG_BLOB,
} StmtArgKind;

typedef struct
{
  StmtArgKind kind;
  const char *text;
  gint64 int64;
  gconstpointer blob;
  gsize len;
} StmtArg;

#define ARG_TEXT(v) ((StmtArg) { .kind = STMT_ARG_TEXT, .text = (v) })
#define ARG_INT(v) ((StmtArg) { .kind = STMT_ARG_INT64, .int64 = (v) })
#define ARG_BLOB(d, n) ((StmtArg) { .kind = STMT_ARG_BLOB, .blob = (d), .len = (n) })
/* Expands to "array, length"; sizeof does not evaluate the arguments a second time. */
#define ARGS(...) \
  (const StmtArg[]) { __VA_ARGS__ }, G_N_ELEMENTS (((const StmtArg[]) { __VA_ARGS__ }))
#define NO_ARGS NULL, 0

/* Binds args[i] to ?(i+1). */
static gboolean
bind_args (RhStoreSqlite  *self,
           sqlite3_stmt   *stmt,
           const StmtArg  *args,
           gsize           n_args,
           GError        **error)
{
  for (gsize i = 0; i < n_args; i++)
    {
      int index = (int) i + 1;
      gboolean ok = FALSE;

      switch (args[i].kind)
        {
        case STMT_ARG_TEXT:
          ok = bind_text (self, stmt, index, args[i].text, error);
          break;
        case STMT_ARG_INT64:
          ok = bind_int64 (self, stmt, index, args[i].int64, error);
          break;
        case STMT_ARG_BLOB:
          ok = bind_blob (self, stmt, index, args[i].blob, args[i].len, error);
          break;
        }
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

/* Borrows a cached statement with its parameters bound; NULL with the error set otherwise. */
static BorrowedStmt *
borrow_bound (RhStoreSqlite  *self,
              StmtId          id,
              GError        **error,
              const StmtArg  *args,
              gsize           n_args)
{
  g_autoptr(BorrowedStmt) stmt = borrow_stmt (self, id, error);

  if (stmt == NULL || !bind_args (self, stmt, args, n_args, error))
    return NULL;
  return g_steal_pointer (&stmt);
}

/* Runs a cached statement that returns no rows; sqlite3_changes() and
 * sqlite3_last_insert_rowid() still tell its effect afterwards. */
static gboolean
exec_stmt (RhStoreSqlite  *self,
           StmtId          id,
           const char     *what,
           GError        **error,
           const StmtArg  *args,
           gsize           n_args)
{
  g_autoptr(BorrowedStmt) stmt = borrow_bound (self, id, error, args, n_args);

  return stmt != NULL && stmt_run (self, stmt, what, error);
}

/* exec_stmt() as a transaction of its own. */
static gboolean
exec_in_tx (RhStoreSqlite  *self,
            StmtId          id,
            const char     *what,
            GError        **error,
            const StmtArg  *args,
            gsize           n_args)
{
  if (!tx_begin (self, error))
    return FALSE;
  if (!exec_stmt (self, id, what, error, args, n_args))
    return tx_abort (self);
  return tx_commit (self, error);
}

/* Borrows a bound query stepped to its first row; *out_row tells whether there is one. */
static BorrowedStmt *
borrow_first_row (RhStoreSqlite  *self,
                  StmtId          id,
                  gboolean       *out_row,
                  const char     *what,
                  GError        **error,
                  const StmtArg  *args,
                  gsize           n_args)
{
  g_autoptr(BorrowedStmt) stmt = borrow_bound (self, id, error, args, n_args);

  if (stmt == NULL || !stmt_next (self, stmt, out_row, what, error))
    return NULL;
  return g_steal_pointer (&stmt);
}

/* The row as a newly allocated value. The readers return gpointer themselves: calling a
 * function through a pointer of another type is undefined behaviour. */
typedef gpointer (*RowReader) (sqlite3_stmt *stmt);

/* Reads every row of a query into a new array; NULL with the error set on failure. */
static GPtrArray *
list_rows (RhStoreSqlite   *self,
           StmtId           id,
           RowReader        read_row,
           GDestroyNotify   free_row,
           const char      *what,
           GError         **error,
           const StmtArg   *args,
           gsize            n_args)
{
  g_autoptr(BorrowedStmt) stmt = borrow_bound (self, id, error, args, n_args);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_row);
  gboolean row;

  if (stmt == NULL)
    return NULL;
  for (;;)
    {
      if (!stmt_next (self, stmt, &row, what, error))
        return NULL;
      if (!row)
        break;
      g_ptr_array_add (rows, read_row (stmt));
    }
  return g_steal_pointer (&rows);
}

static gboolean
user_exists (RhStoreSqlite *self,
             const char    *login,
             gboolean      *out_exists,
             GError       **error)
{
  g_autoptr(BorrowedStmt) stmt = borrow_first_row (self, STMT_USER_EXISTS, out_exists,
                                                   "Cannot look up a user", error,
                                                   ARGS (ARG_TEXT (login)));

  return stmt != NULL;
}

static gboolean
set_unknown_user (GError    **error,
                  const char *login)
{
  g_set_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_USER, "No user “%s”", login);
  return FALSE;
}

static gboolean
set_unknown_slot (GError **error)
{
  /* The slot name is part of a security code: keep it out of messages. */
  g_set_error_literal (error, RH_STORE_ERROR, RH_ERROR_CODE_INVALID, "No such security code slot");
  return FALSE;
}

static char *
column_strdup (sqlite3_stmt *stmt,
               int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static gpointer
user_from_row (sqlite3_stmt *stmt)
{
  g_autoptr(RhUser) user = g_new0 (RhUser, 1);

  user->login = column_strdup (stmt, 0);
  user->display_name = column_strdup (stmt, 1);
  user->job_title = column_strdup (stmt, 2);
  user->company = column_strdup (stmt, 3);
  user->domain = column_strdup (stmt, 4);
  if (sqlite3_column_type (stmt, 5) != SQLITE_NULL)
    {
      /* Blob before bytes, as SQLite documents: the length is of the converted value. */
      gconstpointer data = sqlite3_column_blob (stmt, 5);
      int len = sqlite3_column_bytes (stmt, 5);

      user->photo = g_bytes_new (data, len);
    }
  user->password_hash = column_strdup (stmt, 6);
  user->disabled = sqlite3_column_int (stmt, 7) != 0;
  user->admin = sqlite3_column_int (stmt, 8) != 0;
  user->created_at = sqlite3_column_int64 (stmt, 9);
  return g_steal_pointer (&user);
}

static gboolean
rh_store_sqlite_user_add (RhStore      *store,
                          const RhUser *user,
                          GError      **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  gconstpointer photo = NULL;
  gsize photo_len = 0;
  gboolean exists;

  if (!tx_begin (self, error))
    return FALSE;

  if (!user_exists (self, user->login, &exists, error))
    return tx_abort (self);
  if (exists)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_USER_EXISTS, "User “%s” exists already",
                   user->login);
      return tx_abort (self);
    }

  /* g_bytes_get_data() gives NULL for an empty GBytes, which would store "no photo". */
  if (user->photo != NULL)
    {
      photo = g_bytes_get_data (user->photo, &photo_len);
      if (photo == NULL)
        photo = "";
    }

  if (!exec_stmt (self, STMT_USER_INSERT, "Cannot add a user", error,
                  ARGS (ARG_TEXT (user->login), ARG_TEXT (user->display_name),
                        ARG_TEXT (user->job_title), ARG_TEXT (user->company),
                        ARG_TEXT (user->domain), ARG_BLOB (photo, photo_len),
                        ARG_TEXT (user->password_hash), ARG_INT (user->disabled ? 1 : 0),
                        ARG_INT (user->admin ? 1 : 0), ARG_INT (user->created_at))))
    return tx_abort (self);

  return tx_commit (self, error);
}

static RhUser *
rh_store_sqlite_user_get (RhStore    *store,
                          const char *login,
                          GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  gboolean row;
  g_autoptr(BorrowedStmt) stmt = borrow_first_row (self, STMT_USER_GET, &row,
                                                   "Cannot read a user", error,
                                                   ARGS (ARG_TEXT (login)));

  if (stmt == NULL)
    return NULL;
  if (!row)
    {
      set_unknown_user (error, login);
      return NULL;
    }
  return user_from_row (stmt);
}

static GPtrArray *
rh_store_sqlite_user_list (RhStore *store,
                           GError **error)
{
  return list_rows (RH_STORE_SQLITE (store), STMT_USER_LIST, user_from_row,
                    (GDestroyNotify) rh_user_free, "Cannot list users", error, NO_ARGS);
}

static gboolean
user_change (RhStoreSqlite  *self,
             StmtId          id,
             const char     *login,
             const char     *what,
             GError        **error,
             const StmtArg  *args,
             gsize           n_args)
{
  /* Begins the transaction the caller commits; on failure it is already rolled back. */
  if (!tx_begin (self, error))
    return FALSE;
  if (!exec_stmt (self, id, what, error, args, n_args))
    return tx_abort (self);
  if (sqlite3_changes (self->db) == 0)
    {
      set_unknown_user (error, login);
      return tx_abort (self);
    }
  return TRUE;
}

static gboolean
rh_store_sqlite_user_set_disabled (RhStore    *store,
                                   const char *login,
                                   gboolean    disabled,
                                   GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  if (!user_change (self, STMT_USER_SET_DISABLED, login, "Cannot change a user", error,
                    ARGS (ARG_TEXT (login), ARG_INT (disabled ? 1 : 0))))
    return FALSE;

  /* Revoked rather than merely hidden by the disabled flag, so that enabling the account again
   * does not bring back sessions that may have been the reason for disabling it. */
  if (disabled &&
      !exec_stmt (self, STMT_USER_REVOKE_TOKENS, "Cannot revoke a user's tokens", error,
                  ARGS (ARG_TEXT (login))))
    return tx_abort (self);

  return tx_commit (self, error);
}

static gboolean
rh_store_sqlite_user_set_password (RhStore    *store,
                                   const char *login,
                                   const char *password_hash,
                                   GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  return user_change (self, STMT_USER_SET_PASSWORD, login, "Cannot change a user's password",
                      error, ARGS (ARG_TEXT (login), ARG_TEXT (password_hash))) &&
         tx_commit (self, error);
}

static gboolean
rh_store_sqlite_user_remove (RhStore    *store,
                             const char *login,
                             GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  /* The user's tokens go with it through ON DELETE CASCADE. */
  return user_change (self, STMT_USER_DELETE, login, "Cannot remove a user", error,
                      ARGS (ARG_TEXT (login))) &&
         tx_commit (self, error);
}

static gboolean
rh_store_sqlite_setting_get (RhStore    *store,
                             const char *key,
                             char      **out_value,
                             GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  gboolean row;
  g_autoptr(BorrowedStmt) stmt = NULL;

  *out_value = NULL;
  stmt = borrow_first_row (self, STMT_SETTING_GET, &row, "Cannot read a setting", error,
                           ARGS (ARG_TEXT (key)));
  if (stmt == NULL)
    return FALSE;
  if (row)
    *out_value = column_strdup (stmt, 0);
  return TRUE;
}

static gboolean
rh_store_sqlite_setting_set (RhStore    *store,
                             const char *key,
                             const char *value,
                             GError    **error)
{
  return exec_in_tx (RH_STORE_SQLITE (store), STMT_SETTING_SET, "Cannot change a setting",
                     error, ARGS (ARG_TEXT (key), ARG_TEXT (value)));
}

static gboolean
rh_store_sqlite_token_add (RhStore      *store,
                           const guint8 *token_hash,
                           const char   *login,
                           gint64        expires_at,
                           GError      **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  gboolean exists;

  if (!tx_begin (self, error))
    return FALSE;

  /* Checked here rather than read from the foreign key failure, whose message names no cause. */
  if (!user_exists (self, login, &exists, error))
    return tx_abort (self);
  if (!exists)
    {
      set_unknown_user (error, login);
      return tx_abort (self);
    }

  if (!exec_stmt (self, STMT_TOKEN_INSERT, "Cannot add a token", error,
                  ARGS (ARG_BLOB (token_hash, RH_STORE_TOKEN_HASH_LEN), ARG_TEXT (login),
                        ARG_INT (expires_at))))
    return tx_abort (self);

  return tx_commit (self, error);
}

static gboolean
rh_store_sqlite_token_lookup (RhStore      *store,
                              const guint8 *token_hash,
                              gint64        now,
                              char        **out_login,
                              GError      **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  gboolean row;
  g_autoptr(BorrowedStmt) stmt = NULL;

  *out_login = NULL;
  stmt = borrow_first_row (self, STMT_TOKEN_LOOKUP, &row, "Cannot look up a token", error,
                           ARGS (ARG_BLOB (token_hash, RH_STORE_TOKEN_HASH_LEN),
                                 ARG_INT (now)));
  if (stmt == NULL)
    return FALSE;
  if (row)
    *out_login = column_strdup (stmt, 0);
  return TRUE;
}

static gboolean
rh_store_sqlite_token_revoke (RhStore      *store,
                              const guint8 *token_hash,
                              GError      **error)
{
  return exec_in_tx (RH_STORE_SQLITE (store), STMT_TOKEN_REVOKE, "Cannot revoke a token", error,
                     ARGS (ARG_BLOB (token_hash, RH_STORE_TOKEN_HASH_LEN)));
}

static gboolean
rh_store_sqlite_slot_create (RhStore    *store,
                             const char *slot,
                             const char *helper_login,
                             gint64      now,
                             gint64      expires_at,
                             gboolean   *out_created,
                             GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  gboolean created;

  *out_created = FALSE;
  if (!tx_begin (self, error))
    return FALSE;

  if (!exec_stmt (self, STMT_SLOT_CREATE, "Cannot create a slot", error,
                  ARGS (ARG_TEXT (slot), ARG_TEXT (helper_login), ARG_INT (now),
                        ARG_INT (expires_at))))
    return tx_abort (self);
  created = sqlite3_changes (self->db) > 0;

  if (!tx_commit (self, error))
    return FALSE;
  *out_created = created;
  return TRUE;
}

static RhSlot *
rh_store_sqlite_slot_get (RhStore    *store,
                          const char *slot,
                          GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  gboolean row;
  g_autoptr(BorrowedStmt) stmt = borrow_first_row (self, STMT_SLOT_GET, &row,
                                                   "Cannot read a slot", error,
                                                   ARGS (ARG_TEXT (slot)));
  g_autoptr(RhSlot) result = NULL;
  const char *state;

  if (stmt == NULL || !row)
    return NULL;

  result = g_new0 (RhSlot, 1);
  result->slot = column_strdup (stmt, 0);
  result->helper_login = column_strdup (stmt, 1);
  result->created_at = sqlite3_column_int64 (stmt, 2);
  result->expires_at = sqlite3_column_int64 (stmt, 3);
  result->failures = sqlite3_column_int (stmt, 4);

  state = (const char *) sqlite3_column_text (stmt, 5);
  for (guint i = 0; i < G_N_ELEMENTS (slot_state_names); i++)
    if (g_strcmp0 (state, slot_state_names[i]) == 0)
      {
        result->state = (RhSlotState) i;
        return g_steal_pointer (&result);
      }

  /* The CHECK constraint makes this reachable only by editing the file by hand. */
  g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE, "Slot has an unknown state “%s”",
               state != NULL ? state : "");
  return NULL;
}

static gboolean
rh_store_sqlite_slot_add_failure (RhStore    *store,
                                  const char *slot,
                                  int         max_failures,
                                  int        *out_failures,
                                  GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autoptr(BorrowedStmt) stmt = NULL;
  gboolean row, more;
  int failures;

  if (!tx_begin (self, error))
    return FALSE;

  stmt = borrow_first_row (self, STMT_SLOT_ADD_FAILURE, &row, "Cannot count a failed attempt",
                           error, ARGS (ARG_TEXT (slot), ARG_INT (max_failures)));
  if (stmt == NULL)
    return tx_abort (self);
  if (!row)
    {
      set_unknown_slot (error);
      return tx_abort (self);
    }
  failures = sqlite3_column_int (stmt, 0);

  /* Run the statement to its end so that it is no longer active when the transaction commits. */
  if (!stmt_next (self, stmt, &more, "Cannot count a failed attempt", error))
    return tx_abort (self);
  g_assert (!more);

  if (!tx_commit (self, error))
    return FALSE;
  *out_failures = failures;
  return TRUE;
}

static gboolean
rh_store_sqlite_slot_set_state (RhStore     *store,
                                const char  *slot,
                                RhSlotState  state,
                                GError     **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  if (!tx_begin (self, error))
    return FALSE;

  if (!exec_stmt (self, STMT_SLOT_SET_STATE, "Cannot change a slot", error,
                  ARGS (ARG_TEXT (slot), ARG_TEXT (slot_state_names[state]))))
    return tx_abort (self);
  if (sqlite3_changes (self->db) == 0)
    {
      set_unknown_slot (error);
      return tx_abort (self);
    }

  return tx_commit (self, error);
}

static gboolean
rh_store_sqlite_backoff_get (RhStore    *store,
                             const char *key,
                             int        *out_failures,
                             gint64     *out_blocked_until,
                             GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  gboolean row;
  g_autoptr(BorrowedStmt) stmt = NULL;

  *out_failures = 0;
  *out_blocked_until = 0;
  stmt = borrow_first_row (self, STMT_BACKOFF_GET, &row, "Cannot read a backoff entry", error,
                           ARGS (ARG_TEXT (key)));
  if (stmt == NULL)
    return FALSE;
  if (row)
    {
      *out_failures = sqlite3_column_int (stmt, 0);
      *out_blocked_until = sqlite3_column_int64 (stmt, 1);
    }
  return TRUE;
}

static gboolean
rh_store_sqlite_backoff_put (RhStore    *store,
                             const char *key,
                             int         failures,
                             gint64      blocked_until,
                             gint64      now,
                             GError    **error)
{
  return exec_in_tx (RH_STORE_SQLITE (store), STMT_BACKOFF_PUT, "Cannot write a backoff entry",
                     error,
                     ARGS (ARG_TEXT (key), ARG_INT (failures), ARG_INT (blocked_until),
                           ARG_INT (now)));
}

static gboolean
rh_store_sqlite_backoff_clear (RhStore    *store,
                               const char *key,
                               GError    **error)
{
  return exec_in_tx (RH_STORE_SQLITE (store), STMT_BACKOFF_CLEAR, "Cannot clear a backoff entry",
                     error, ARGS (ARG_TEXT (key)));
}

static gboolean
rh_store_sqlite_audit_append (RhStore    *store,
                              gint64      when,
                              const char *actor,
                              const char *action,
                              const char *detail_json,
                              GError    **error)
{
  return exec_in_tx (RH_STORE_SQLITE (store), STMT_AUDIT_INSERT,
                     "Cannot append to the audit log", error,
                     ARGS (ARG_INT (when), ARG_TEXT (actor), ARG_TEXT (action),
                           ARG_TEXT (detail_json)));
}

static gboolean
rh_store_sqlite_session_start (RhStore    *store,
                               const char *pairing,
                               const char *helper_login,
                               const char *sharer_login,
                               const char *device,
                               const char *mode,
                               gint64      started_at,
                               gint64     *out_id,
                               GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  *out_id = 0;
  if (!exec_in_tx (self, STMT_SESSION_INSERT, "Cannot record a session", error,
                   ARGS (ARG_TEXT (pairing), ARG_TEXT (helper_login), ARG_TEXT (sharer_login),
                         ARG_TEXT (device), ARG_TEXT (mode), ARG_INT (started_at))))
    return FALSE;
  *out_id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

static gboolean
session_changed (RhStoreSqlite *self,
                 GError       **error)
{
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error_literal (error, RH_STORE_ERROR, RH_ERROR_STORE,
                           "No such session, or it has already ended");
      return FALSE;
    }
  return TRUE;
}

static gboolean
rh_store_sqlite_session_update (RhStore *store,
                                gint64   id,
                                guint64  bytes_relayed,
                                GError **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  if (!tx_begin (self, error))
    return FALSE;

  if (!exec_stmt (self, STMT_SESSION_UPDATE, "Cannot update a session", error,
                  ARGS (ARG_INT (id),
                        ARG_INT ((gint64) MIN (bytes_relayed, (guint64) G_MAXINT64)))) ||
      !session_changed (self, error))
    return tx_abort (self);

  return tx_commit (self, error);
}

static gboolean
rh_store_sqlite_session_end (RhStore    *store,
                             gint64      id,
                             gint64      ended_at,
                             guint64     bytes_relayed,
                             const char *end_reason,
                             GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  if (!tx_begin (self, error))
    return FALSE;

  if (!exec_stmt (self, STMT_SESSION_END, "Cannot end a session", error,
                  ARGS (ARG_INT (id), ARG_INT (ended_at),
                        ARG_INT ((gint64) MIN (bytes_relayed, (guint64) G_MAXINT64)),
                        ARG_TEXT (end_reason))) ||
      !session_changed (self, error))
    return tx_abort (self);

  return tx_commit (self, error);
}

static gboolean
rh_store_sqlite_chat_append (RhStore    *store,
                             const char *pairing,
                             const char *sender_login,
                             const char *sender_role,
                             gint64      sent_at,
                             const char *body,
                             gint64     *out_id,
                             GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  *out_id = 0;
  if (!exec_in_tx (self, STMT_CHAT_INSERT, "Cannot keep a chat message", error,
                   ARGS (ARG_TEXT (pairing), ARG_TEXT (sender_login), ARG_TEXT (sender_role),
                         ARG_INT (sent_at), ARG_TEXT (body))))
    return FALSE;
  *out_id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

static gpointer
chat_entry_from_row (sqlite3_stmt *stmt)
{
  RhChatEntry *entry = g_new0 (RhChatEntry, 1);

  entry->id = sqlite3_column_int64 (stmt, 0);
  entry->pairing = column_strdup (stmt, 1);
  entry->sender_login = column_strdup (stmt, 2);
  entry->sender_role = column_strdup (stmt, 3);
  entry->sent_at = sqlite3_column_int64 (stmt, 4);
  entry->body = column_strdup (stmt, 5);
  return entry;
}

static GPtrArray *
rh_store_sqlite_chat_list (RhStore    *store,
                           const char *pairing,
                           GError    **error)
{
  return list_rows (RH_STORE_SQLITE (store), STMT_CHAT_LIST, chat_entry_from_row,
                    (GDestroyNotify) rh_chat_entry_free, "Cannot read the chat thread", error,
                    ARGS (ARG_TEXT (pairing)));
}

static gboolean
rh_store_sqlite_purge (RhStore *store,
                       gint64   now,
                       GError **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  int n_tokens, n_slots, n_backoff, n_chat;

  if (!tx_begin (self, error))
    return FALSE;

  if (!exec_stmt (self, STMT_PURGE_TOKENS, "Cannot purge tokens", error,
                  ARGS (ARG_INT (now))))
    return tx_abort (self);
  n_tokens = sqlite3_changes (self->db);

  if (!exec_stmt (self, STMT_PURGE_SLOTS, "Cannot purge slots", error,
                  ARGS (ARG_INT (now - DAY_SECONDS))))
    return tx_abort (self);
  n_slots = sqlite3_changes (self->db);

  if (!exec_stmt (self, STMT_PURGE_BACKOFF, "Cannot purge backoff entries", error,
                  ARGS (ARG_INT (now - DAY_SECONDS), ARG_INT (now))))
    return tx_abort (self);
  n_backoff = sqlite3_changes (self->db);

  if (!exec_stmt (self, STMT_PURGE_CHAT, "Cannot purge chat messages", error,
                  ARGS (ARG_INT (now), ARG_INT (RH_STORE_CHAT_RETENTION_DAYS))))
    return tx_abort (self);
  n_chat = sqlite3_changes (self->db);

  if (!tx_commit (self, error))
    return FALSE;

  g_debug ("Purged %d tokens, %d slots, %d backoff entries and %d chat messages", n_tokens,
           n_slots, n_backoff, n_chat);
  return TRUE;
}

/* Roles, groups, assignments, reports and retention (issue #5) */

/* new_id > 0: the entry is about a row just created, whose id goes into detail's after. */
static gboolean
audit_note_insert_full (RhStoreSqlite     *self,
                        const RhAuditNote *audit,
                        gint64             new_id,
                        GError           **error)
{
  if (audit == NULL)
    return TRUE;

  /* ?5, the new id, exists only in STMT_AUDIT_INSERT_WITH_ID. */
  const StmtArg args[] = {
    ARG_INT (g_get_real_time () / G_USEC_PER_SEC),
    ARG_TEXT (audit->actor != NULL ? audit->actor : "-"),
    ARG_TEXT (audit->action),
    ARG_TEXT (audit->detail_json),
    ARG_INT (new_id),
  };

  return exec_stmt (self, new_id > 0 ? STMT_AUDIT_INSERT_WITH_ID : STMT_AUDIT_INSERT,
                    "Cannot write the audit log", error, args,
                    new_id > 0 ? G_N_ELEMENTS (args) : G_N_ELEMENTS (args) - 1);
}

static gboolean
audit_note_insert (RhStoreSqlite     *self,
                   const RhAuditNote *audit,
                   GError           **error)
{
  return audit_note_insert_full (self, audit, 0, error);
}

/* Runs a statement already bound; a UNIQUE violation becomes exists_code. */
static gboolean
stmt_run_unique (RhStoreSqlite *self,
                 sqlite3_stmt  *stmt,
                 int            exists_code,
                 const char    *name,
                 const char    *what,
                 GError       **error)
{
  if (sqlite3_step (stmt) == SQLITE_DONE)
    return TRUE;
  if (sqlite3_extended_errcode (self->db) == SQLITE_CONSTRAINT_UNIQUE)
    {
      g_set_error (error, RH_STORE_ERROR, exists_code, "“%s” exists already", name);
      return FALSE;
    }
  return set_db_error (self, error, what);
}

static gboolean
exec_unique (RhStoreSqlite  *self,
             StmtId          id,
             int             exists_code,
             const char     *name,
             const char     *what,
             GError        **error,
             const StmtArg  *args,
             gsize           n_args)
{
  g_autoptr(BorrowedStmt) stmt = borrow_bound (self, id, error, args, n_args);

  return stmt != NULL && stmt_run_unique (self, stmt, exists_code, name, what, error);
}

static gboolean
query_count (RhStoreSqlite *self,
             StmtId         id,
             gint64         arg,
             gint64        *out_count,
             GError       **error)
{
  gboolean row;
  g_autoptr(BorrowedStmt) stmt = borrow_first_row (self, id, &row, "Cannot count references",
                                                   error, ARGS (ARG_INT (arg)));

  if (stmt == NULL)
    return FALSE;
  *out_count = row ? sqlite3_column_int64 (stmt, 0) : 0;
  return TRUE;
}

static gpointer
role_from_row (sqlite3_stmt *stmt)
{
  RhRole *role = g_new0 (RhRole, 1);

  role->id = sqlite3_column_int64 (stmt, 0);
  role->name = column_strdup (stmt, 1);
  role->description = column_strdup (stmt, 2);
  role->permissions = (RhPermissions) (sqlite3_column_int (stmt, 3) & RH_PERMISSIONS_ALL);
  role->builtin = sqlite3_column_int (stmt, 4) != 0;
  return role;
}

/* NULL and no error when there is no such role. */
static RhRole *
role_find (RhStoreSqlite *self,
           const char    *name,
           GError       **error)
{
  gboolean row;
  g_autoptr(BorrowedStmt) stmt = borrow_first_row (self, STMT_ROLE_GET, &row,
                                                   "Cannot read a role", error,
                                                   ARGS (ARG_TEXT (name)));

  if (stmt == NULL || !row)
    return NULL;
  return role_from_row (stmt);
}

static gboolean
set_unknown_role (GError    **error,
                  const char *name)
{
  g_set_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_ROLE, "No role “%s”", name);
  return FALSE;
}

static gboolean
set_unknown_group (GError    **error,
                   const char *name)
{
  g_set_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_GROUP, "No group “%s”", name);
  return FALSE;
}

static gboolean
set_builtin (GError    **error,
             const char *name)
{
  g_set_error (error, RH_STORE_ERROR, RH_ERROR_BUILTIN_ROLE,
               "“%s” is the built-in role: it cannot be changed or deleted", name);
  return FALSE;
}

/* Looks a role up (also inside a transaction): unknown → error. */
static RhRole *
role_require (RhStoreSqlite *self,
              const char    *name,
              GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  RhRole *role = role_find (self, name, &local_error);

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else if (role == NULL)
    set_unknown_role (error, name);
  return role;
}

static gboolean
rh_store_sqlite_role_create (RhStore           *store,
                             const RhRole      *role,
                             const RhAuditNote *audit,
                             gint64            *out_id,
                             GError           **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  if (!tx_begin (self, error))
    return FALSE;

  if (!exec_unique (self, STMT_ROLE_INSERT, RH_ERROR_ROLE_EXISTS, role->name,
                    "Cannot add a role", error,
                    ARGS (ARG_TEXT (role->name),
                          ARG_TEXT (role->description != NULL ? role->description : ""),
                          ARG_INT (role->permissions & RH_PERMISSIONS_ALL))))
    return tx_abort (self);
  *out_id = sqlite3_last_insert_rowid (self->db);

  if (!audit_note_insert_full (self, audit, *out_id, error))
    return tx_abort (self);
  return tx_commit (self, error);
}

static RhRole *
rh_store_sqlite_role_get (RhStore    *store,
                          const char *name,
                          GError    **error)
{
  return role_require (RH_STORE_SQLITE (store), name, error);
}

static GPtrArray *
rh_store_sqlite_role_list (RhStore *store,
                           GError **error)
{
  return list_rows (RH_STORE_SQLITE (store), STMT_ROLE_LIST, role_from_row,
                    (GDestroyNotify) rh_role_free, "Cannot list roles", error, NO_ARGS);
}

static gboolean
rh_store_sqlite_role_update (RhStore           *store,
                             const char        *name,
                             const RhRole      *role,
                             const RhAuditNote *audit,
                             GError           **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autoptr(RhRole) current = NULL;

  if (!tx_begin (self, error))
    return FALSE;

  current = role_require (self, name, error);
  if (current == NULL)
    return tx_abort (self);
  if (current->builtin)
    {
      set_builtin (error, current->name);
      return tx_abort (self);
    }

  if (!exec_unique (self, STMT_ROLE_UPDATE, RH_ERROR_ROLE_EXISTS, role->name,
                    "Cannot change a role", error,
                    ARGS (ARG_INT (current->id), ARG_TEXT (role->name),
                          ARG_TEXT (role->description != NULL ? role->description : ""),
                          ARG_INT (role->permissions & RH_PERMISSIONS_ALL))) ||
      !audit_note_insert (self, audit, error))
    return tx_abort (self);
  return tx_commit (self, error);
}

static gboolean
set_in_use (GError    **error,
            const char *what,
            const char *name,
            gint64      count)
{
  g_set_error (error, RH_STORE_ERROR, RH_ERROR_IN_USE,
               "%s “%s” is used by %" G_GINT64_FORMAT " assignment(s)", what, name, count);
  return FALSE;
}

static gboolean
delete_unused (RhStoreSqlite     *self,
               StmtId             in_use,
               StmtId             delete_id,
               const char        *kind,
               gint64             id,
               const char        *name,
               const char        *what,
               const RhAuditNote *audit,
               GError           **error)
{
  /* For roles and groups, inside the caller's transaction: one that an assignment still names
   * is refused with RH_ERROR_IN_USE, not deleted. */
  gint64 uses;

  if (!query_count (self, in_use, id, &uses, error))
    return FALSE;
  if (uses > 0)
    return set_in_use (error, kind, name, uses);
  return exec_stmt (self, delete_id, what, error, ARGS (ARG_INT (id))) &&
         audit_note_insert (self, audit, error);
}

static gboolean
rh_store_sqlite_role_delete (RhStore           *store,
                             const char        *name,
                             const RhAuditNote *audit,
                             GError           **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autoptr(RhRole) current = NULL;

  if (!tx_begin (self, error))
    return FALSE;

  current = role_require (self, name, error);
  if (current == NULL)
    return tx_abort (self);
  if (current->builtin)
    {
      set_builtin (error, current->name);
      return tx_abort (self);
    }
  if (!delete_unused (self, STMT_ROLE_IN_USE, STMT_ROLE_DELETE, "Role", current->id,
                      current->name, "Cannot delete a role", audit, error))
    return tx_abort (self);
  return tx_commit (self, error);
}

static gpointer
name_from_row (sqlite3_stmt *stmt)
{
  return column_strdup (stmt, 0);
}

static GStrv
read_names (RhStoreSqlite *self,
            StmtId         id,
            gint64         arg,
            GError       **error)
{
  GPtrArray *names = list_rows (self, id, name_from_row, g_free,
                                "Cannot read a list of names", error, ARGS (ARG_INT (arg)));

  if (names == NULL)
    return NULL;
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (names, FALSE);
}

/* Reads the rows of a group query; members filled in by the caller. NULL without error when
 * there is no row. */
static gpointer
group_from_row (sqlite3_stmt *stmt)
{
  RhGroup *group = g_new0 (RhGroup, 1);

  group->id = sqlite3_column_int64 (stmt, 0);
  group->name = column_strdup (stmt, 1);
  group->description = column_strdup (stmt, 2);
  return group;
}

static RhGroup *
group_find (RhStoreSqlite *self,
            const char    *name,
            gboolean       with_members,
            GError       **error)
{
  g_autoptr(RhGroup) group = NULL;

  {
    gboolean row;
    g_autoptr(BorrowedStmt) stmt = borrow_first_row (self, STMT_GROUP_GET, &row,
                                                     "Cannot read a group", error,
                                                     ARGS (ARG_TEXT (name)));

    if (stmt == NULL || !row)
      return NULL;
    group = group_from_row (stmt);
  }

  if (with_members)
    {
      group->members = read_names (self, STMT_GROUP_MEMBERS, group->id, error);
      if (group->members == NULL)
        return NULL;
    }
  else
    group->members = g_new0 (char *, 1);
  return g_steal_pointer (&group);
}

static RhGroup *
group_require (RhStoreSqlite *self,
               const char    *name,
               gboolean       with_members,
               GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  RhGroup *group = group_find (self, name, with_members, &local_error);

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else if (group == NULL)
    set_unknown_group (error, name);
  return group;
}

static gboolean
group_set_members (RhStoreSqlite      *self,
                   gint64              group_id,
                   const char *const  *members,
                   GError            **error)
{
  if (!exec_stmt (self, STMT_GROUP_CLEAR_MEMBERS, "Cannot change a group's members", error,
                  ARGS (ARG_INT (group_id))))
    return FALSE;

  for (guint i = 0; members != NULL && members[i] != NULL; i++)
    {
      gboolean exists;

      if (!user_exists (self, members[i], &exists, error))
        return FALSE;
      if (!exists)
        return set_unknown_user (error, members[i]);

      if (!exec_stmt (self, STMT_GROUP_ADD_MEMBER, "Cannot add a group member", error,
                      ARGS (ARG_INT (group_id), ARG_TEXT (members[i]))))
        return FALSE;
    }
  return TRUE;
}

static gboolean
rh_store_sqlite_group_create (RhStore           *store,
                              const RhGroup     *group,
                              const RhAuditNote *audit,
                              gint64            *out_id,
                              GError           **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  if (!tx_begin (self, error))
    return FALSE;

  if (!exec_unique (self, STMT_GROUP_INSERT, RH_ERROR_GROUP_EXISTS, group->name,
                    "Cannot add a group", error,
                    ARGS (ARG_TEXT (group->name),
                          ARG_TEXT (group->description != NULL ? group->description : ""))))
    return tx_abort (self);
  *out_id = sqlite3_last_insert_rowid (self->db);

  if (!group_set_members (self, *out_id, (const char *const *) group->members, error) ||
      !audit_note_insert_full (self, audit, *out_id, error))
    return tx_abort (self);
  return tx_commit (self, error);
}

static RhGroup *
rh_store_sqlite_group_get (RhStore    *store,
                           const char *name,
                           GError    **error)
{
  return group_require (RH_STORE_SQLITE (store), name, TRUE, error);
}

static GPtrArray *
rh_store_sqlite_group_list (RhStore *store,
                            GError **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autoptr(GPtrArray) groups = list_rows (self, STMT_GROUP_LIST, group_from_row,
                                           (GDestroyNotify) rh_group_free,
                                           "Cannot list groups", error, NO_ARGS);

  if (groups == NULL)
    return NULL;
  for (guint i = 0; i < groups->len; i++)
    {
      RhGroup *group = g_ptr_array_index (groups, i);

      group->members = read_names (self, STMT_GROUP_MEMBERS, group->id, error);
      if (group->members == NULL)
        return NULL;
    }
  return g_steal_pointer (&groups);
}

static gboolean
rh_store_sqlite_group_update (RhStore           *store,
                              const char        *name,
                              const RhGroup     *group,
                              const RhAuditNote *audit,
                              GError           **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autoptr(RhGroup) current = NULL;

  if (!tx_begin (self, error))
    return FALSE;

  current = group_require (self, name, FALSE, error);
  if (current == NULL)
    return tx_abort (self);

  if (!exec_unique (self, STMT_GROUP_UPDATE, RH_ERROR_GROUP_EXISTS, group->name,
                    "Cannot change a group", error,
                    ARGS (ARG_INT (current->id), ARG_TEXT (group->name),
                          ARG_TEXT (group->description != NULL ? group->description : ""))) ||
      !group_set_members (self, current->id, (const char *const *) group->members, error) ||
      !audit_note_insert (self, audit, error))
    return tx_abort (self);
  return tx_commit (self, error);
}

static gboolean
rh_store_sqlite_group_delete (RhStore           *store,
                              const char        *name,
                              const RhAuditNote *audit,
                              GError           **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autoptr(RhGroup) current = NULL;

  if (!tx_begin (self, error))
    return FALSE;

  current = group_require (self, name, FALSE, error);
  if (current == NULL)
    return tx_abort (self);
  /* Members go with it through ON DELETE CASCADE. */
  if (!delete_unused (self, STMT_GROUP_IN_USE, STMT_GROUP_DELETE, "Group", current->id,
                      current->name, "Cannot delete a group", audit, error))
    return tx_abort (self);
  return tx_commit (self, error);
}

static gpointer
assignment_from_row (sqlite3_stmt *stmt)
{
  RhAssignment *assignment = g_new0 (RhAssignment, 1);

  assignment->id = sqlite3_column_int64 (stmt, 0);
  assignment->role = column_strdup (stmt, 1);
  assignment->helper_group = column_strdup (stmt, 2);
  assignment->all_users = sqlite3_column_int (stmt, 3) != 0;
  assignment->created_at = sqlite3_column_int64 (stmt, 4);
  return assignment;
}

static gboolean
set_unknown_assignment (GError **error,
                        gint64   id)
{
  g_set_error (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_ASSIGNMENT,
               "No assignment %" G_GINT64_FORMAT, id);
  return FALSE;
}

static RhAssignment *
rh_store_sqlite_assignment_get (RhStore *store,
                                gint64   id,
                                GError **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autoptr(RhAssignment) assignment = NULL;

  {
    gboolean row;
    g_autoptr(BorrowedStmt) stmt = borrow_first_row (self, STMT_ASSIGNMENT_GET, &row,
                                                     "Cannot read an assignment", error,
                                                     ARGS (ARG_INT (id)));

    if (stmt == NULL)
      return NULL;
    if (!row)
      {
        set_unknown_assignment (error, id);
        return NULL;
      }
    assignment = assignment_from_row (stmt);
  }

  assignment->scope_groups = read_names (self, STMT_ASSIGNMENT_SCOPES, id, error);
  if (assignment->scope_groups == NULL)
    return NULL;
  return g_steal_pointer (&assignment);
}

static GPtrArray *
rh_store_sqlite_assignment_list (RhStore *store,
                                 GError **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autoptr(GPtrArray) list = list_rows (self, STMT_ASSIGNMENT_LIST,
                                         assignment_from_row,
                                         (GDestroyNotify) rh_assignment_free,
                                         "Cannot list assignments", error, NO_ARGS);

  if (list == NULL)
    return NULL;
  for (guint i = 0; i < list->len; i++)
    {
      RhAssignment *assignment = g_ptr_array_index (list, i);

      assignment->scope_groups = read_names (self, STMT_ASSIGNMENT_SCOPES, assignment->id,
                                             error);
      if (assignment->scope_groups == NULL)
        return NULL;
    }
  return g_steal_pointer (&list);
}

static gboolean
check_scope (const RhAssignment *assignment,
             GError            **error)
{
  gboolean has_groups = assignment->scope_groups != NULL && assignment->scope_groups[0] != NULL;

  if (assignment->all_users == has_groups)
    {
      g_set_error_literal (error, RH_STORE_ERROR, RH_ERROR_BAD_SCOPE,
                           assignment->all_users
                             ? "An assignment to all users cannot also name scope groups"
                             : "An assignment needs a scope: all users, or some groups");
      return FALSE;
    }
  return TRUE;
}

/* Resolves the names of an assignment and writes its row (id 0: a new one) and scopes. */
static gboolean
assignment_write (RhStoreSqlite      *self,
                  gint64              id,
                  const RhAssignment *assignment,
                  gint64             *out_id,
                  GError            **error)
{
  g_autoptr(RhRole) role = NULL;
  g_autoptr(RhGroup) helpers = NULL;
  g_autoptr(GArray) scope_ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  if (!check_scope (assignment, error))
    return FALSE;
  role = role_require (self, assignment->role, error);
  if (role == NULL)
    return FALSE;
  helpers = group_require (self, assignment->helper_group, FALSE, error);
  if (helpers == NULL)
    return FALSE;
  for (guint i = 0; assignment->scope_groups != NULL && assignment->scope_groups[i] != NULL; i++)
    {
      g_autoptr(RhGroup) scope = group_require (self, assignment->scope_groups[i], FALSE, error);

      if (scope == NULL)
        return FALSE;
      g_array_append_val (scope_ids, scope->id);
    }

  if (id == 0)
    {
      if (!exec_stmt (self, STMT_ASSIGNMENT_INSERT, "Cannot add an assignment", error,
                      ARGS (ARG_INT (role->id), ARG_INT (helpers->id),
                            ARG_INT (assignment->all_users ? 1 : 0),
                            ARG_INT (g_get_real_time () / G_USEC_PER_SEC))))
        return FALSE;
      id = sqlite3_last_insert_rowid (self->db);
    }
  else
    {
      if (!exec_stmt (self, STMT_ASSIGNMENT_UPDATE, "Cannot change an assignment", error,
                      ARGS (ARG_INT (id), ARG_INT (role->id), ARG_INT (helpers->id),
                            ARG_INT (assignment->all_users ? 1 : 0))))
        return FALSE;
      if (sqlite3_changes (self->db) == 0)
        return set_unknown_assignment (error, id);
    }

  if (!exec_stmt (self, STMT_ASSIGNMENT_CLEAR_SCOPES, "Cannot change an assignment's scope",
                  error, ARGS (ARG_INT (id))))
    return FALSE;
  for (guint i = 0; i < scope_ids->len; i++)
    if (!exec_stmt (self, STMT_ASSIGNMENT_ADD_SCOPE, "Cannot change an assignment's scope",
                    error, ARGS (ARG_INT (id), ARG_INT (g_array_index (scope_ids, gint64, i)))))
      return FALSE;

  if (out_id != NULL)
    *out_id = id;
  return TRUE;
}

static gboolean
rh_store_sqlite_assignment_create (RhStore            *store,
                                   const RhAssignment *assignment,
                                   const RhAuditNote  *audit,
                                   gint64             *out_id,
                                   GError            **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  if (!tx_begin (self, error))
    return FALSE;
  if (!assignment_write (self, 0, assignment, out_id, error) ||
      !audit_note_insert_full (self, audit, *out_id, error))
    return tx_abort (self);
  return tx_commit (self, error);
}

static gboolean
rh_store_sqlite_assignment_update (RhStore            *store,
                                   gint64              id,
                                   const RhAssignment *assignment,
                                   const RhAuditNote  *audit,
                                   GError            **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  if (id <= 0)
    return set_unknown_assignment (error, id);
  if (!tx_begin (self, error))
    return FALSE;
  if (!assignment_write (self, id, assignment, NULL, error) ||
      !audit_note_insert (self, audit, error))
    return tx_abort (self);
  return tx_commit (self, error);
}

static gboolean
rh_store_sqlite_assignment_delete (RhStore           *store,
                                   gint64             id,
                                   const RhAuditNote *audit,
                                   GError           **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  if (!tx_begin (self, error))
    return FALSE;

  /* Scopes go with it through ON DELETE CASCADE. */
  if (!exec_stmt (self, STMT_ASSIGNMENT_DELETE, "Cannot delete an assignment", error,
                  ARGS (ARG_INT (id))))
    return tx_abort (self);
  if (sqlite3_changes (self->db) == 0)
    {
      set_unknown_assignment (error, id);
      return tx_abort (self);
    }
  if (!audit_note_insert (self, audit, error))
    return tx_abort (self);
  return tx_commit (self, error);
}

static gboolean
rh_store_sqlite_effective_permissions (RhStore       *store,
                                       const char    *helper_login,
                                       const char    *sharer_login,
                                       RhPermissions *out_permissions,
                                       GError       **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autoptr(BorrowedStmt) stmt = borrow_bound (self, STMT_EFFECTIVE_PERMISSIONS, error,
                                               ARGS (ARG_TEXT (helper_login),
                                                     ARG_TEXT (sharer_login)));
  RhPermissions permissions = RH_PERMISSION_NONE;
  gboolean row;

  if (stmt == NULL)
    return FALSE;
  for (;;)
    {
      if (!stmt_next (self, stmt, &row, "Cannot read permissions", error))
        return FALSE;
      if (!row)
        break;
      permissions |= sqlite3_column_int (stmt, 0) & RH_PERMISSIONS_ALL;
    }
  *out_permissions = permissions;
  return TRUE;
}

static gboolean
rh_store_sqlite_setting_set_audited (RhStore           *store,
                                     const char        *key,
                                     const char        *value,
                                     const RhAuditNote *audit,
                                     GError           **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  if (!tx_begin (self, error))
    return FALSE;

  if (!exec_stmt (self, STMT_SETTING_SET, "Cannot change a setting", error,
                  ARGS (ARG_TEXT (key), ARG_TEXT (value))) ||
      !audit_note_insert (self, audit, error))
    return tx_abort (self);
  return tx_commit (self, error);
}

static gpointer
audit_record_from_row (sqlite3_stmt *stmt)
{
  RhAuditRecord *record = g_new0 (RhAuditRecord, 1);

  record->id = sqlite3_column_int64 (stmt, 0);
  record->at = sqlite3_column_int64 (stmt, 1);
  record->actor = column_strdup (stmt, 2);
  record->action = column_strdup (stmt, 3);
  record->detail = column_strdup (stmt, 4);
  return record;
}

static GPtrArray *
rh_store_sqlite_audit_list (RhStore *store,
                            gint64   since,
                            GError **error)
{
  return list_rows (RH_STORE_SQLITE (store), STMT_AUDIT_LIST, audit_record_from_row,
                    (GDestroyNotify) rh_audit_record_free, "Cannot read the audit log", error,
                    ARGS (ARG_INT (since)));
}

static gpointer
session_record_from_row (sqlite3_stmt *stmt)
{
  RhSessionRecord *record = g_new0 (RhSessionRecord, 1);

  record->id = sqlite3_column_int64 (stmt, 0);
  record->pairing = column_strdup (stmt, 1);
  record->helper_login = column_strdup (stmt, 2);
  record->sharer_login = column_strdup (stmt, 3);
  record->device = column_strdup (stmt, 4);
  record->mode = column_strdup (stmt, 5);
  record->modes = column_strdup (stmt, 6);
  record->elevation_used = sqlite3_column_int (stmt, 7) != 0;
  record->started_at = sqlite3_column_int64 (stmt, 8);
  record->ended_at = sqlite3_column_int64 (stmt, 9);
  record->bytes_relayed = (guint64) sqlite3_column_int64 (stmt, 10);
  record->end_reason = column_strdup (stmt, 11);
  record->elevation_tools = column_strdup (stmt, 12);
  record->elevation_end = column_strdup (stmt, 13);
  return record;
}

static GPtrArray *
rh_store_sqlite_session_list (RhStore *store,
                              gint64   since,
                              GError **error)
{
  return list_rows (RH_STORE_SQLITE (store), STMT_SESSION_LIST,
                    session_record_from_row,
                    (GDestroyNotify) rh_session_record_free, "Cannot read the sessions", error,
                    ARGS (ARG_INT (since)));
}

/* Runs a bound session statement (NULL: it could not be bound, the error is set) and ends the
 * transaction: a session id that matches no record is an error, not a silent no-op. */
static gboolean
run_session_change (RhStoreSqlite *self,
                    BorrowedStmt  *stmt,
                    const char    *what,
                    GError       **error)
{
  if (stmt == NULL || !stmt_run (self, stmt, what, error))
    return tx_abort (self);
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error_literal (error, RH_STORE_ERROR, RH_ERROR_STORE, "No such session");
      return tx_abort (self);
    }
  return tx_commit (self, error);
}

static gboolean
rh_store_sqlite_session_add_mode (RhStore    *store,
                                  gint64      id,
                                  const char *mode,
                                  gboolean    elevation,
                                  GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autoptr(BorrowedStmt) stmt = NULL;

  if (!tx_begin (self, error))
    return FALSE;

  stmt = borrow_bound (self, STMT_SESSION_ADD_MODE, error,
                       ARGS (ARG_INT (id), ARG_TEXT (mode), ARG_INT (elevation ? 1 : 0)));
  return run_session_change (self, stmt, "Cannot record a session mode", error);
}

static gboolean
rh_store_sqlite_session_set_device (RhStore    *store,
                                    gint64      id,
                                    const char *device,
                                    GError    **error)
{
  return exec_in_tx (RH_STORE_SQLITE (store), STMT_SESSION_SET_DEVICE,
                     "Cannot record a session's device", error,
                     ARGS (ARG_INT (id), ARG_TEXT (device)));
}

static gboolean
rh_store_sqlite_session_add_elevation_tool (RhStore    *store,
                                            gint64      id,
                                            const char *tool,
                                            gboolean    ok,
                                            const char *error_text,
                                            GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autoptr(BorrowedStmt) stmt = NULL;

  if (!tx_begin (self, error))
    return FALSE;

  stmt = borrow_bound (self, STMT_SESSION_ADD_ELEVATION_TOOL, error,
                       ARGS (ARG_INT (id), ARG_TEXT (tool), ARG_INT (ok ? 1 : 0),
                             ARG_TEXT (error_text), ARG_INT (RH_STORE_MAX_ELEVATION_TOOLS)));
  return run_session_change (self, stmt, "Cannot record an administrator tool", error);
}

static gboolean
rh_store_sqlite_session_set_elevation_end (RhStore    *store,
                                           gint64      id,
                                           const char *end,
                                           gboolean    replace,
                                           GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autoptr(BorrowedStmt) stmt = NULL;

  if (!tx_begin (self, error))
    return FALSE;

  stmt = borrow_bound (self, STMT_SESSION_SET_ELEVATION_END, error,
                       ARGS (ARG_INT (id), ARG_TEXT (end), ARG_INT (replace ? 1 : 0)));
  return run_session_change (self, stmt, "Cannot record the end of administrator access",
                             error);
}

static gboolean
rh_store_sqlite_purge_history (RhStore *store,
                               gint64   sessions_before,
                               gint64   audit_before,
                               int     *out_sessions,
                               int     *out_audit,
                               GError **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);

  if (!tx_begin (self, error))
    return FALSE;

  if (!exec_stmt (self, STMT_PURGE_SESSIONS, "Cannot purge sessions", error,
                  ARGS (ARG_INT (sessions_before))))
    return tx_abort (self);
  *out_sessions = sqlite3_changes (self->db);

  if (!exec_stmt (self, STMT_AUDIT_HORIZON, "Cannot purge the audit log", error,
                  ARGS (ARG_INT (audit_before))) ||
      !exec_stmt (self, STMT_PURGE_AUDIT, "Cannot purge the audit log", error,
                  ARGS (ARG_INT (audit_before))))
    return tx_abort (self);
  *out_audit = sqlite3_changes (self->db);
  if (!exec_stmt (self, STMT_AUDIT_HORIZON, "Cannot purge the audit log", error,
                  ARGS (ARG_INT (0))))
    return tx_abort (self);

  return tx_commit (self, error);
}

/* Creates the file before SQLite does, which would use the umask's mode: the database holds
 * password hashes. SQLite gives its -wal and -shm files the mode of the database. */
static gboolean
create_private_file (const char *path,
                     GError    **error)
{
  struct stat st;
  int saved_errno;
  int fd;

  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE, "Cannot open database %s: %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }

  if (fstat (fd, &st) != 0)
    {
      saved_errno = errno;
      g_close (fd, NULL);
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE, "Cannot open database %s: %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_close (fd, NULL);
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE,
                   "Cannot open database %s: not a regular file", path);
      return FALSE;
    }
  /* An existing file made readable by someone else is tightened rather than refused: the
   * server's own data directory is already 0700, so this only closes a gap. */
  if ((st.st_mode & 07077) != 0 && fchmod (fd, 0600) != 0)
    {
      saved_errno = errno;
      g_close (fd, NULL);
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE,
                   "Cannot make database %s private (mode 0600): %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }

  g_close (fd, NULL);
  return TRUE;
}

/* Runs a one-off query, such as a pragma at open time, that returns one row. */
static sqlite3_stmt *
query_row (RhStoreSqlite *self,
           const char    *sql,
           const char    *what,
           GError       **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_db_error (self, error, what);
      return NULL;
    }

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE, "%s: “%s” returned nothing", what, sql);
      return NULL;
    }
  if (rc != SQLITE_ROW)
    {
      set_db_error (self, error, what);
      return NULL;
    }

  return g_steal_pointer (&stmt);
}

static gboolean
query_int (RhStoreSqlite *self,
           const char    *sql,
           const char    *what,
           gint64        *out_value,
           GError       **error)
{
  g_autoptr(sqlite3_stmt) stmt = query_row (self, sql, what, error);

  if (stmt == NULL)
    return FALSE;
  *out_value = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

static gboolean
exec_sql (RhStoreSqlite *self,
          const char    *sql,
          const char    *what,
          GError       **error)
{
  char *message = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE, "%s: %s", what,
                   message != NULL ? message : sqlite3_errmsg (self->db));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

/* WAL lets the admin CLI write while the server reads. The switch needs an exclusive lock that
 * SQLite tries once, without the busy handler, so two processes opening a new file at the same
 * moment would fail: wait here as the busy timeout would. This is also the first read of the
 * file, where a damaged one is noticed. */
static gboolean
switch_to_wal (RhStoreSqlite *self,
               const char    *what,
               GError       **error)
{
  gint64 deadline = g_get_monotonic_time () + BUSY_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  const char *mode;
  int rc;

  for (;;)
    {
      g_clear_pointer (&stmt, sqlite3_finalize);
      rc = sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
      if (rc == SQLITE_OK)
        rc = sqlite3_step (stmt);
      if ((rc & 0xff) != SQLITE_BUSY || g_get_monotonic_time () >= deadline)
        break;
      g_usleep (10 * G_TIME_SPAN_MILLISECOND);
    }
  if (rc != SQLITE_ROW)
    return set_db_error (self, error, what);

  /* The pragma answers with the mode it ended up in, the old one if the switch was refused. */
  mode = (const char *) sqlite3_column_text (stmt, 0);
  if (g_ascii_strcasecmp (mode != NULL ? mode : "", "wal") != 0)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE,
                   "%s: cannot switch to write-ahead logging (journal mode is %s)", what,
                   mode != NULL ? mode : "unknown");
      return FALSE;
    }

  return TRUE;
}

static gboolean
configure_connection (RhStoreSqlite *self,
                      GError       **error)
{
  g_autofree char *what = g_strdup_printf ("Cannot open database %s", self->path);
  gint64 value;
  int rc;

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE, "%s: %s", what,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);

  if (!switch_to_wal (self, what, error))
    return FALSE;

  /* FULL, not WAL's usual NORMAL: a token revocation or a disabled account must survive a
   * power cut that follows the admin's confirmation. */
  if (!exec_sql (self, "PRAGMA synchronous = FULL", what, error) ||
      !query_int (self, "PRAGMA synchronous", what, &value, error))
    return FALSE;
  if (value != 2)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE, "%s: cannot set synchronous=FULL",
                   what);
      return FALSE;
    }

  /* Removing a user relies on the cascade to remove its tokens. */
  if (!exec_sql (self, "PRAGMA foreign_keys = ON", what, error) ||
      !query_int (self, "PRAGMA foreign_keys", what, &value, error))
    return FALSE;
  if (value != 1)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE,
                   "%s: this SQLite does not enforce foreign keys", what);
      return FALSE;
    }

  return TRUE;
}

static gboolean
migrate (RhStoreSqlite *self,
         GError       **error)
{
  const gint64 latest = G_N_ELEMENTS (migrations);
  g_autofree char *what = g_strdup_printf ("Cannot update the schema of database %s",
                                           self->path);
  gint64 version;

  if (!query_int (self, "PRAGMA user_version", what, &version, error))
    return FALSE;

  while (version >= 0 && version < latest)
    {
      gint64 new_version;

      if (!tx_begin (self, error))
        return FALSE;

      /* Another process opening the same file may have migrated while we waited for the lock. */
      if (!query_int (self, "PRAGMA user_version", what, &version, error))
        return tx_abort (self);
      if (version < 0 || version >= latest)
        {
          tx_abort (self);
          break;
        }

      if (!exec_sql (self, migrations[version], what, error) ||
          !query_int (self, "PRAGMA user_version", what, &new_version, error))
        return tx_abort (self);
      if (new_version != version + 1)
        {
          g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE,
                       "%s: migration %" G_GINT64_FORMAT " did not set the schema version",
                       what, version + 1);
          return tx_abort (self);
        }

      if (!tx_commit (self, error))
        return FALSE;
      g_debug ("Database %s now has schema version %" G_GINT64_FORMAT, self->path, new_version);
      version = new_version;
    }

  if (version != latest)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_STORE,
                   "Database %s has schema version %" G_GINT64_FORMAT ", but this program knows "
                   "only versions up to %" G_GINT64_FORMAT "; use a newer remote-help-server",
                   self->path, version, latest);
      return FALSE;
    }

  return TRUE;
}

static void
rh_store_sqlite_dispose (GObject *object)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (object);

  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);

  if (self->db != NULL)
    {
      /* The last connection to close checkpoints the WAL into the database file. */
      if (sqlite3_close_v2 (self->db) != SQLITE_OK)
        g_warning ("Cannot close database %s: %s", self->path, sqlite3_errmsg (self->db));
      self->db = NULL;
    }

  G_OBJECT_CLASS (rh_store_sqlite_parent_class)->dispose (object);
}

static void
rh_store_sqlite_finalize (GObject *object)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (object);

  g_free (self->path);

  G_OBJECT_CLASS (rh_store_sqlite_parent_class)->finalize (object);
}

static void
rh_store_sqlite_class_init (RhStoreSqliteClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rh_store_sqlite_dispose;
  object_class->finalize = rh_store_sqlite_finalize;
}

static void
rh_store_sqlite_init (RhStoreSqlite *self)
{
}

/* Console queries: built per call from fixed pieces (the sort column comes from a table,
 * never from the caller), so they are prepared each time rather than cached. */
static sqlite3_stmt *
prepare_once (RhStoreSqlite *self,
              const char    *sql,
              GError       **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_db_error (self, error, "Cannot prepare a database statement");
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

static GPtrArray *
rh_store_sqlite_session_query (RhStore              *store,
                              const RhSessionQuery *query,
                              GError              **error)
{
  static const char * const sort_columns[] = {
    [RH_SESSION_SORT_STARTED] = "started_at",
    [RH_SESSION_SORT_ENDED] = "ended_at",
    /* An active session has lasted until now. */
    [RH_SESSION_SORT_DURATION] = "coalesce (ended_at, unixepoch ()) - started_at",
    [RH_SESSION_SORT_HELPER] = "helper_login",
    [RH_SESSION_SORT_SHARER] = "sharer_login",
    [RH_SESSION_SORT_DEVICE] = "device",
    [RH_SESSION_SORT_MODE] = "mode",
    [RH_SESSION_SORT_BYTES] = "bytes_relayed",
    [RH_SESSION_SORT_END_REASON] = "end_reason",
  };
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  const char *order = query->descending ? "DESC" : "ASC";
  g_autofree char *sql = NULL;
  g_autofree char *search = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) records =
    g_ptr_array_new_with_free_func ((GDestroyNotify) rh_session_record_free);
  gboolean row;

  /* instr() on lower(): a plain substring test, with no LIKE wildcards to escape. */
  sql = g_strdup_printf ("SELECT id, pairing, helper_login, sharer_login, device, mode, modes,"
                         " elevation_used, started_at, ended_at, bytes_relayed, end_reason,"
                         " elevation_tools, elevation_end"
                         " FROM sessions"
                         " WHERE ?1 IS NULL OR instr (lower (helper_login), ?1) > 0"
                         "  OR instr (lower (sharer_login), ?1) > 0"
                         "  OR instr (lower (coalesce (device, '')), ?1) > 0"
                         "  OR instr (lower (mode), ?1) > 0 OR instr (lower (modes), ?1) > 0"
                         "  OR instr (lower (coalesce (end_reason, '')), ?1) > 0"
                         /* The names, not the JSON text, whose escapes a search would
                          * not match. */
                         "  OR EXISTS (SELECT 1 FROM json_each (elevation_tools) t"
                         "   WHERE instr (lower (t.value ->> 'tool'), ?1) > 0)"
                         "  OR instr (lower (coalesce (elevation_end, '')), ?1) > 0"
                         " ORDER BY %s %s, id %s LIMIT ?2",
                         sort_columns[query->sort], order, order);
  if (query->search != NULL && query->search[0] != '\0')
    search = g_utf8_strdown (query->search, -1);

  stmt = prepare_once (self, sql, error);
  if (stmt == NULL ||
      !bind_text (self, stmt, 1, search, error) ||
      !bind_int64 (self, stmt, 2, query->limit > 0 ? (gint64) query->limit : -1, error))
    return NULL;

  for (;;)
    {
      RhSessionRecord *record;

      if (!stmt_next (self, stmt, &row, "Cannot list sessions", error))
        return NULL;
      if (!row)
        break;
      record = g_new0 (RhSessionRecord, 1);
      record->id = sqlite3_column_int64 (stmt, 0);
      record->pairing = column_strdup (stmt, 1);
      record->helper_login = column_strdup (stmt, 2);
      record->sharer_login = column_strdup (stmt, 3);
      record->device = column_strdup (stmt, 4);
      record->mode = column_strdup (stmt, 5);
      record->modes = column_strdup (stmt, 6);
      record->elevation_used = sqlite3_column_int (stmt, 7) != 0;
      record->started_at = sqlite3_column_int64 (stmt, 8);
      record->ended_at = sqlite3_column_int64 (stmt, 9);
      record->bytes_relayed = (guint64) sqlite3_column_int64 (stmt, 10);
      record->end_reason = column_strdup (stmt, 11);
      record->elevation_tools = column_strdup (stmt, 12);
      record->elevation_end = column_strdup (stmt, 13);
      g_ptr_array_add (records, record);
    }
  return g_steal_pointer (&records);
}

static gboolean
rh_store_sqlite_session_stats (RhStore  *store,
                               gint64    since,
                               guint    *out_active,
                               GArray  **out_days,
                               double   *out_average_duration,
                               GError  **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autoptr(sqlite3_stmt) totals = NULL;
  g_autoptr(sqlite3_stmt) days = NULL;
  g_autoptr(GArray) result = g_array_new (FALSE, FALSE, sizeof (RhSessionDay));
  gboolean row;

  *out_active = 0;
  *out_days = NULL;
  *out_average_duration = 0;

  totals = prepare_once (self,
                         "SELECT (SELECT count (*) FROM sessions WHERE ended_at IS NULL),"
                         " (SELECT avg (ended_at - started_at) FROM sessions"
                         "  WHERE started_at >= ?1 AND ended_at IS NOT NULL)", error);
  if (totals == NULL ||
      !bind_int64 (self, totals, 1, since, error) ||
      !stmt_next (self, totals, &row, "Cannot count sessions", error))
    return FALSE;
  if (row)
    {
      *out_active = (guint) sqlite3_column_int64 (totals, 0);
      *out_average_duration = sqlite3_column_double (totals, 1);
    }

  days = prepare_once (self,
                       "SELECT started_at - started_at % 86400 AS day, count (*) FROM sessions"
                       " WHERE started_at >= ?1 GROUP BY day ORDER BY day", error);
  if (days == NULL || !bind_int64 (self, days, 1, since, error))
    return FALSE;
  for (;;)
    {
      RhSessionDay day;

      if (!stmt_next (self, days, &row, "Cannot count sessions per day", error))
        return FALSE;
      if (!row)
        break;
      day.day = sqlite3_column_int64 (days, 0);
      day.count = (guint) sqlite3_column_int64 (days, 1);
      g_array_append_val (result, day);
    }

  *out_days = g_steal_pointer (&result);
  return TRUE;
}

static GPtrArray *
rh_store_sqlite_audit_query (RhStore    *store,
                            const char *search,
                            guint       limit,
                            GError    **error)
{
  RhStoreSqlite *self = RH_STORE_SQLITE (store);
  g_autofree char *needle = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) entries =
    g_ptr_array_new_with_free_func ((GDestroyNotify) rh_audit_record_free);
  gboolean row;

  if (search != NULL && search[0] != '\0')
    needle = g_utf8_strdown (search, -1);

  stmt = prepare_once (self,
                       "SELECT id, at, actor, action, detail FROM audit"
                       " WHERE ?1 IS NULL OR instr (lower (actor), ?1) > 0"
                       "  OR instr (lower (action), ?1) > 0"
                       "  OR instr (lower (coalesce (detail, '')), ?1) > 0"
                       " ORDER BY id DESC LIMIT ?2", error);
  if (stmt == NULL ||
      !bind_text (self, stmt, 1, needle, error) ||
      !bind_int64 (self, stmt, 2, limit > 0 ? (gint64) limit : -1, error))
    return NULL;

  for (;;)
    {
      RhAuditRecord *entry;

      if (!stmt_next (self, stmt, &row, "Cannot read the audit log", error))
        return NULL;
      if (!row)
        break;
      entry = g_new0 (RhAuditRecord, 1);
      entry->id = sqlite3_column_int64 (stmt, 0);
      entry->at = sqlite3_column_int64 (stmt, 1);
      entry->actor = column_strdup (stmt, 2);
      entry->action = column_strdup (stmt, 3);
      entry->detail = column_strdup (stmt, 4);
      g_ptr_array_add (entries, entry);
    }
  return g_steal_pointer (&entries);
}

static void
rh_store_sqlite_iface_init (RhStoreInterface *iface)
{
  iface->user_add = rh_store_sqlite_user_add;
  iface->user_get = rh_store_sqlite_user_get;
  iface->user_list = rh_store_sqlite_user_list;
  iface->user_set_disabled = rh_store_sqlite_user_set_disabled;
  iface->user_set_password = rh_store_sqlite_user_set_password;
  iface->user_remove = rh_store_sqlite_user_remove;
  iface->setting_get = rh_store_sqlite_setting_get;
  iface->setting_set = rh_store_sqlite_setting_set;
  iface->token_add = rh_store_sqlite_token_add;
  iface->token_lookup = rh_store_sqlite_token_lookup;
  iface->token_revoke = rh_store_sqlite_token_revoke;
  iface->slot_create = rh_store_sqlite_slot_create;
  iface->slot_get = rh_store_sqlite_slot_get;
  iface->slot_add_failure = rh_store_sqlite_slot_add_failure;
  iface->slot_set_state = rh_store_sqlite_slot_set_state;
  iface->backoff_get = rh_store_sqlite_backoff_get;
  iface->backoff_put = rh_store_sqlite_backoff_put;
  iface->backoff_clear = rh_store_sqlite_backoff_clear;
  iface->audit_append = rh_store_sqlite_audit_append;
  iface->session_start = rh_store_sqlite_session_start;
  iface->session_update = rh_store_sqlite_session_update;
  iface->session_end = rh_store_sqlite_session_end;
  iface->purge = rh_store_sqlite_purge;
  iface->chat_append = rh_store_sqlite_chat_append;
  iface->chat_list = rh_store_sqlite_chat_list;
  iface->role_create = rh_store_sqlite_role_create;
  iface->role_get = rh_store_sqlite_role_get;
  iface->role_list = rh_store_sqlite_role_list;
  iface->role_update = rh_store_sqlite_role_update;
  iface->role_delete = rh_store_sqlite_role_delete;
  iface->group_create = rh_store_sqlite_group_create;
  iface->group_get = rh_store_sqlite_group_get;
  iface->group_list = rh_store_sqlite_group_list;
  iface->group_update = rh_store_sqlite_group_update;
  iface->group_delete = rh_store_sqlite_group_delete;
  iface->assignment_create = rh_store_sqlite_assignment_create;
  iface->assignment_get = rh_store_sqlite_assignment_get;
  iface->assignment_list = rh_store_sqlite_assignment_list;
  iface->assignment_update = rh_store_sqlite_assignment_update;
  iface->assignment_delete = rh_store_sqlite_assignment_delete;
  iface->effective_permissions = rh_store_sqlite_effective_permissions;
  iface->setting_set_audited = rh_store_sqlite_setting_set_audited;
  iface->audit_list = rh_store_sqlite_audit_list;
  iface->session_list = rh_store_sqlite_session_list;
  iface->session_add_mode = rh_store_sqlite_session_add_mode;
  iface->purge_history = rh_store_sqlite_purge_history;
  iface->session_set_device = rh_store_sqlite_session_set_device;
  iface->session_add_elevation_tool = rh_store_sqlite_session_add_elevation_tool;
  iface->session_set_elevation_end = rh_store_sqlite_session_set_elevation_end;
  iface->session_query = rh_store_sqlite_session_query;
  iface->session_stats = rh_store_sqlite_session_stats;
  iface->audit_query = rh_store_sqlite_audit_query;
}

RhStore *
rh_store_sqlite_new (const char  *path,
                     GError     **error)
{
  g_autoptr(RhStoreSqlite) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (RH_TYPE_STORE_SQLITE, NULL);
  self->path = g_strdup (path);

  if (!create_private_file (path, error) ||
      !configure_connection (self, error) ||
      !migrate (self, error))
    return NULL;

  g_debug ("Opened database %s", path);
  return RH_STORE (g_steal_pointer (&self));
}
