/* rh-store.h: every piece of server state goes through this interface
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "rh-permissions.h"

G_BEGIN_DECLS

/* The server keeps all state behind RhStore so that a PostgreSQL backend can replace the
 * embedded SQLite one (RhStoreSqlite) for organisations running several server nodes. Every
 * call that changes something is one transaction: it happens completely or not at all. */

typedef struct
{
  char    *login;
  char    *display_name;
  char    *job_title;
  char    *company;
  char    *domain;
  GBytes  *photo;          /* PNG/JPEG bytes, or NULL */
  char    *password_hash;  /* rh_password_hash() encoding */
  gboolean disabled;
  gboolean admin;
  gint64   created_at;     /* unix seconds */
} RhUser;

#define RH_TYPE_USER (rh_user_get_type ())

GType   rh_user_get_type (void);
RhUser *rh_user_copy     (const RhUser *user);
void    rh_user_free     (RhUser       *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhUser, rh_user_free)

typedef enum
{
  RH_SLOT_STATE_LIVE,      /* issued, waiting for the sharer */
  RH_SLOT_STATE_CONSUMED,  /* paired once; never valid again */
  RH_SLOT_STATE_BURNED,    /* too many failed attempts */
  RH_SLOT_STATE_CANCELLED, /* the helper gave it up or left */
} RhSlotState;

typedef struct
{
  char        *slot;
  char        *helper_login;
  gint64       created_at;
  gint64       expires_at;
  int          failures;
  RhSlotState  state;
} RhSlot;

void rh_slot_free (RhSlot *slot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhSlot, rh_slot_free)

/* One message of a pairing's chat thread. */
typedef struct
{
  gint64  id;            /* increases with every message the store keeps */
  char   *pairing;
  char   *sender_login;
  char   *sender_role;   /* "helper" or "sharer" */
  gint64  sent_at;       /* unix seconds, the server's clock */
  char   *body;
} RhChatEntry;

void rh_chat_entry_free (RhChatEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhChatEntry, rh_chat_entry_free)

/* Days a chat thread is kept when the setting chat-retention-days is not a positive number. */
#define RH_STORE_CHAT_RETENTION_DAYS 90

/* Roles, groups and assignments (issue #5). Names are unique without regard to case. */
#define RH_BUILTIN_ROLE_NAME "Help Desk Operator"

typedef struct
{
  gint64         id;
  char          *name;
  char          *description;   /* "" when none */
  RhPermissions  permissions;
  gboolean       builtin;       /* the built-in role can be neither changed nor deleted */
} RhRole;

void    rh_role_free (RhRole *role);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhRole, rh_role_free)

typedef struct
{
  gint64  id;
  char   *name;
  char   *description;  /* "" when none */
  GStrv   members;      /* logins, sorted; never NULL */
} RhGroup;

void    rh_group_free (RhGroup *group);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhGroup, rh_group_free)

/* Lets the members of helper_group help the members of the scope groups (or everyone, when
 * all_users) with the role's permissions. */
typedef struct
{
  gint64    id;
  char     *role;          /* role name */
  char     *helper_group;  /* group name */
  gboolean  all_users;
  GStrv     scope_groups;  /* group names, sorted; empty (never NULL) when all_users */
  gint64    created_at;
} RhAssignment;

void    rh_assignment_free (RhAssignment *assignment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhAssignment, rh_assignment_free)

/* Written in the same transaction as the change it describes: a change that cannot be
 * audited does not happen. detail_json may be NULL. */
typedef struct
{
  const char *actor;
  const char *action;
  const char *detail_json;
} RhAuditNote;

typedef struct
{
  gint64  id;
  gint64  at;
  char   *actor;
  char   *action;
  char   *detail;  /* JSON or NULL */
} RhAuditRecord;

void    rh_audit_record_free (RhAuditRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhAuditRecord, rh_audit_record_free)

typedef struct
{
  gint64    id;
  char     *pairing;
  char     *helper_login;
  char     *sharer_login;
  char     *device;         /* NULL when unknown */
  char     *mode;           /* the first mode negotiated */
  char     *modes;          /* every mode used, comma-separated in order of first use */
  gboolean  elevation_used;
  gint64    started_at;
  gint64    ended_at;       /* 0 while the session is active */
  guint64   bytes_relayed;
  char     *end_reason;     /* NULL while active */
  /* Administrator access (issue #6): the tools the sharer's app started, as a JSON array of
   * {"tool": name, "ok": bool, "error": text (only when one was given)} in the order started,
   * "[]" when none; and how it ended ("sign-out: ok", "lock: failed — STEPS", or
   * "sign-out: started" while the end is under way), NULL when it never ended. */
  char     *elevation_tools;
  char     *elevation_end;
} RhSessionRecord;

void    rh_session_record_free (RhSessionRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhSessionRecord, rh_session_record_free)

#define RH_TYPE_STORE (rh_store_get_type ())
G_DECLARE_INTERFACE (RhStore, rh_store, RH, STORE, GObject)

struct _RhSessionQuery;

struct _RhStoreInterface
{
  GTypeInterface parent_iface;

  gboolean  (*user_add)          (RhStore *self, const RhUser *user, GError **error);
  RhUser   *(*user_get)          (RhStore *self, const char *login, GError **error);
  GPtrArray*(*user_list)         (RhStore *self, GError **error);
  gboolean  (*user_set_disabled) (RhStore *self, const char *login, gboolean disabled,
                                  GError **error);
  gboolean  (*user_set_password) (RhStore *self, const char *login, const char *password_hash,
                                  GError **error);
  gboolean  (*user_remove)       (RhStore *self, const char *login, GError **error);

  gboolean  (*setting_get)       (RhStore *self, const char *key, char **out_value,
                                  GError **error);
  gboolean  (*setting_set)       (RhStore *self, const char *key, const char *value,
                                  GError **error);

  gboolean  (*token_add)         (RhStore *self, const guint8 *token_hash, const char *login,
                                  gint64 expires_at, GError **error);
  gboolean  (*token_lookup)      (RhStore *self, const guint8 *token_hash, gint64 now,
                                  char **out_login, GError **error);
  gboolean  (*token_revoke)      (RhStore *self, const guint8 *token_hash, GError **error);

  gboolean  (*slot_create)       (RhStore *self, const char *slot, const char *helper_login,
                                  gint64 now, gint64 expires_at, gboolean *out_created,
                                  GError **error);
  RhSlot   *(*slot_get)          (RhStore *self, const char *slot, GError **error);
  gboolean  (*slot_add_failure)  (RhStore *self, const char *slot, int max_failures,
                                  int *out_failures, GError **error);
  gboolean  (*slot_set_state)    (RhStore *self, const char *slot, RhSlotState state,
                                  GError **error);

  gboolean  (*backoff_get)       (RhStore *self, const char *key, int *out_failures,
                                  gint64 *out_blocked_until, GError **error);
  gboolean  (*backoff_put)       (RhStore *self, const char *key, int failures,
                                  gint64 blocked_until, gint64 now, GError **error);
  gboolean  (*backoff_clear)     (RhStore *self, const char *key, GError **error);

  gboolean  (*audit_append)      (RhStore *self, gint64 when, const char *actor,
                                  const char *action, const char *detail_json, GError **error);
  gboolean  (*purge)             (RhStore *self, gint64 now, GError **error);

  gboolean  (*session_start)     (RhStore *self, const char *pairing, const char *helper_login,
                                  const char *sharer_login, const char *device, const char *mode,
                                  gint64 started_at, gint64 *out_id, GError **error);
  gboolean  (*session_update)    (RhStore *self, gint64 id, guint64 bytes_relayed,
                                  GError **error);
  gboolean  (*session_end)       (RhStore *self, gint64 id, gint64 ended_at,
                                  guint64 bytes_relayed, const char *end_reason, GError **error);
  gboolean  (*chat_append)       (RhStore *self, const char *pairing, const char *sender_login,
                                  const char *sender_role, gint64 sent_at, const char *body,
                                  gint64 *out_id, GError **error);
  GPtrArray*(*chat_list)         (RhStore *self, const char *pairing, GError **error);

  /* Roles, groups, assignments, reports and retention (issue #5). */
  gboolean  (*role_create)       (RhStore *self, const RhRole *role, const RhAuditNote *audit,
                                  gint64 *out_id, GError **error);
  RhRole   *(*role_get)          (RhStore *self, const char *name, GError **error);
  GPtrArray*(*role_list)         (RhStore *self, GError **error);
  gboolean  (*role_update)       (RhStore *self, const char *name, const RhRole *role,
                                  const RhAuditNote *audit, GError **error);
  gboolean  (*role_delete)       (RhStore *self, const char *name, const RhAuditNote *audit,
                                  GError **error);
  gboolean  (*group_create)      (RhStore *self, const RhGroup *group, const RhAuditNote *audit,
                                  gint64 *out_id, GError **error);
  RhGroup  *(*group_get)         (RhStore *self, const char *name, GError **error);
  GPtrArray*(*group_list)        (RhStore *self, GError **error);
  gboolean  (*group_update)      (RhStore *self, const char *name, const RhGroup *group,
                                  const RhAuditNote *audit, GError **error);
  gboolean  (*group_delete)      (RhStore *self, const char *name, const RhAuditNote *audit,
                                  GError **error);
  gboolean  (*assignment_create) (RhStore *self, const RhAssignment *assignment,
                                  const RhAuditNote *audit, gint64 *out_id, GError **error);
  RhAssignment *(*assignment_get) (RhStore *self, gint64 id, GError **error);
  GPtrArray*(*assignment_list)   (RhStore *self, GError **error);
  gboolean  (*assignment_update) (RhStore *self, gint64 id, const RhAssignment *assignment,
                                  const RhAuditNote *audit, GError **error);
  gboolean  (*assignment_delete) (RhStore *self, gint64 id, const RhAuditNote *audit,
                                  GError **error);
  gboolean  (*effective_permissions) (RhStore *self, const char *helper_login,
                                      const char *sharer_login, RhPermissions *out_permissions,
                                      GError **error);
  gboolean  (*setting_set_audited) (RhStore *self, const char *key, const char *value,
                                    const RhAuditNote *audit, GError **error);
  GPtrArray*(*audit_list)        (RhStore *self, gint64 since, GError **error);
  GPtrArray*(*session_list)      (RhStore *self, gint64 since, GError **error);
  gboolean  (*session_add_mode)  (RhStore *self, gint64 id, const char *mode,
                                  gboolean elevation, GError **error);
  gboolean  (*purge_history)     (RhStore *self, gint64 sessions_before, gint64 audit_before,
                                  int *out_sessions, int *out_audit, GError **error);
  gboolean  (*session_set_device) (RhStore *self, gint64 id, const char *device,
                                   GError **error);

  /* The admin console's queries. */
  GPtrArray*(*session_query)     (RhStore *self, const struct _RhSessionQuery *query,
                                  GError **error);
  gboolean  (*session_stats)     (RhStore *self, gint64 since, guint *out_active,
                                  GArray **out_days, double *out_average_duration,
                                  GError **error);
  GPtrArray*(*audit_query)       (RhStore *self, const char *search, guint limit,
                                  GError **error);

  /* Administrator access in a session (issue #6). */
  gboolean  (*session_add_elevation_tool) (RhStore *self, gint64 id, const char *tool,
                                           gboolean ok, const char *error_text,
                                           GError **error);
  gboolean  (*session_set_elevation_end)  (RhStore *self, gint64 id, const char *end,
                                           gboolean replace, GError **error);
};

/* Adds a user; RH_ERROR_USER_EXISTS if the login is taken. */
gboolean   rh_store_user_add          (RhStore *self, const RhUser *user, GError **error);
/* RH_ERROR_UNKNOWN_USER if there is no such login. */
RhUser    *rh_store_user_get          (RhStore *self, const char *login, GError **error);
/* Array of RhUser (freed with the array), sorted by login. */
GPtrArray *rh_store_user_list         (RhStore *self, GError **error);
/* Disabling also revokes all of the user's tokens. RH_ERROR_UNKNOWN_USER. */
gboolean   rh_store_user_set_disabled (RhStore *self, const char *login, gboolean disabled,
                                       GError **error);
gboolean   rh_store_user_set_password (RhStore *self, const char *login,
                                       const char *password_hash, GError **error);
/* Removes the user and its tokens. RH_ERROR_UNKNOWN_USER. */
gboolean   rh_store_user_remove       (RhStore *self, const char *login, GError **error);

/* *out_value is NULL when the key was never set (the caller applies its default). */
gboolean   rh_store_setting_get       (RhStore *self, const char *key, char **out_value,
                                       GError **error);
gboolean   rh_store_setting_set       (RhStore *self, const char *key, const char *value,
                                       GError **error);

/* Tokens are stored only as their SHA-256 (RH_STORE_TOKEN_HASH_LEN bytes). Adding a token for
 * a login that does not exist fails with RH_ERROR_UNKNOWN_USER. */
#define RH_STORE_TOKEN_HASH_LEN 32

gboolean   rh_store_token_add         (RhStore *self, const guint8 *token_hash, const char *login,
                                       gint64 expires_at, GError **error);
/* *out_login is NULL when the token is unknown, expired, revoked, or its user disabled. */
gboolean   rh_store_token_lookup      (RhStore *self, const guint8 *token_hash, gint64 now,
                                       char **out_login, GError **error);
/* Revoking an unknown token succeeds: signing out twice is not an error. */
gboolean   rh_store_token_revoke      (RhStore *self, const guint8 *token_hash, GError **error);

/* Creates the slot unless a LIVE, unexpired one exists (then *out_created = FALSE); dead rows
 * for the same slot are replaced. */
gboolean   rh_store_slot_create       (RhStore *self, const char *slot, const char *helper_login,
                                       gint64 now, gint64 expires_at, gboolean *out_created,
                                       GError **error);
/* NULL without error when the slot does not exist. */
RhSlot    *rh_store_slot_get          (RhStore *self, const char *slot, GError **error);
/* Counts a failed attempt; a LIVE slot becomes BURNED when failures reach max_failures.
 * This and slot_set_state fail with RH_ERROR_CODE_INVALID when the slot does not exist. */
gboolean   rh_store_slot_add_failure  (RhStore *self, const char *slot, int max_failures,
                                       int *out_failures, GError **error);
gboolean   rh_store_slot_set_state    (RhStore *self, const char *slot, RhSlotState state,
                                       GError **error);

/* Failed attempts per source (e.g. "pair:127.0.0.1"); zeros when the key is unknown. */
gboolean   rh_store_backoff_get       (RhStore *self, const char *key, int *out_failures,
                                       gint64 *out_blocked_until, GError **error);
gboolean   rh_store_backoff_put       (RhStore *self, const char *key, int failures,
                                       gint64 blocked_until, gint64 now, GError **error);
gboolean   rh_store_backoff_clear     (RhStore *self, const char *key, GError **error);

/* Append-only; detail_json may be NULL. */
gboolean   rh_store_audit_append      (RhStore *self, gint64 when, const char *actor,
                                       const char *action, const char *detail_json,
                                       GError **error);
/* Deletes expired or revoked tokens, slots that have been dead (expired, or no longer LIVE)
 * for more than a day, backoff rows idle for a day whose block is over, and chat messages
 * older than the setting chat-retention-days (RH_STORE_CHAT_RETENTION_DAYS when unset).
 * Audit rows stay. */
gboolean   rh_store_purge             (RhStore *self, gint64 now, GError **error);

/* Sessions: one row per relayed screen-sharing session, kept like the audit (purge leaves
 * them). device may be NULL (not known yet); mode is what the two apps negotiated, "unknown"
 * until they negotiate one. *out_id names the row for the calls below. */
gboolean   rh_store_session_start     (RhStore *self, const char *pairing,
                                       const char *helper_login, const char *sharer_login,
                                       const char *device, const char *mode, gint64 started_at,
                                       gint64 *out_id, GError **error);
/* Records the bytes relayed so far; RH_ERROR_STORE when the session is unknown or ended. */
gboolean   rh_store_session_update    (RhStore *self, gint64 id, guint64 bytes_relayed,
                                       GError **error);
/* Ends a session once; ending an unknown or already ended one fails with RH_ERROR_STORE. */
gboolean   rh_store_session_end       (RhStore *self, gint64 id, gint64 ended_at,
                                       guint64 bytes_relayed, const char *end_reason,
                                       GError **error);

/* Chat: keeps one message of a pairing's thread (the caller validated it); *out_id orders the
 * thread. */
gboolean   rh_store_chat_append       (RhStore *self, const char *pairing,
                                       const char *sender_login, const char *sender_role,
                                       gint64 sent_at, const char *body, gint64 *out_id,
                                       GError **error);
/* Array of RhChatEntry (freed with the array), oldest first; empty for an unknown pairing. */
GPtrArray *rh_store_chat_list         (RhStore *self, const char *pairing, GError **error);

/* Roles. RH_ERROR_ROLE_EXISTS for a taken name; role->id and role->builtin are ignored (only
 * the built-in role, created by the schema, is built in). Arrays are sorted by name. */
gboolean   rh_store_role_create       (RhStore *self, const RhRole *role,
                                       const RhAuditNote *audit, gint64 *out_id,
                                       GError **error);
/* RH_ERROR_UNKNOWN_ROLE when there is none of that name. */
RhRole    *rh_store_role_get          (RhStore *self, const char *name, GError **error);
GPtrArray *rh_store_role_list         (RhStore *self, GError **error);
/* Replaces name, description and permissions of the role called name; RH_ERROR_BUILTIN_ROLE
 * for the built-in one, RH_ERROR_ROLE_EXISTS when renamed onto another role's name. */
gboolean   rh_store_role_update       (RhStore *self, const char *name, const RhRole *role,
                                       const RhAuditNote *audit, GError **error);
/* RH_ERROR_BUILTIN_ROLE, RH_ERROR_IN_USE while an assignment uses it. */
gboolean   rh_store_role_delete       (RhStore *self, const char *name,
                                       const RhAuditNote *audit, GError **error);

/* Groups of users. Members must be existing logins (RH_ERROR_UNKNOWN_USER); removing a user
 * removes it from its groups. */
gboolean   rh_store_group_create      (RhStore *self, const RhGroup *group,
                                       const RhAuditNote *audit, gint64 *out_id,
                                       GError **error);
RhGroup   *rh_store_group_get         (RhStore *self, const char *name, GError **error);
GPtrArray *rh_store_group_list        (RhStore *self, GError **error);
/* Replaces name, description and the whole member list. */
gboolean   rh_store_group_update      (RhStore *self, const char *name, const RhGroup *group,
                                       const RhAuditNote *audit, GError **error);
/* RH_ERROR_IN_USE while an assignment names it. */
gboolean   rh_store_group_delete      (RhStore *self, const char *name,
                                       const RhAuditNote *audit, GError **error);

/* Assignments name their role and groups; unknown ones fail with RH_ERROR_UNKNOWN_ROLE or
 * RH_ERROR_UNKNOWN_GROUP, a scope that is neither all users nor some groups with
 * RH_ERROR_BAD_SCOPE. Arrays are sorted by id. */
gboolean   rh_store_assignment_create (RhStore *self, const RhAssignment *assignment,
                                       const RhAuditNote *audit, gint64 *out_id,
                                       GError **error);
/* RH_ERROR_UNKNOWN_ASSIGNMENT. */
RhAssignment *rh_store_assignment_get (RhStore *self, gint64 id, GError **error);
GPtrArray *rh_store_assignment_list   (RhStore *self, GError **error);
gboolean   rh_store_assignment_update (RhStore *self, gint64 id,
                                       const RhAssignment *assignment,
                                       const RhAuditNote *audit, GError **error);
gboolean   rh_store_assignment_delete (RhStore *self, gint64 id, const RhAuditNote *audit,
                                       GError **error);

/* The union of the permissions of every assignment whose helper group has helper_login and
 * whose scope has sharer_login (or is all users). With sharer_login NULL: the union over all
 * of the helper's assignments, whatever their scope (may this account help anyone at all?).
 * RH_PERMISSION_NONE, not an error, for a helper without assignments or unknown logins. */
gboolean   rh_store_effective_permissions (RhStore *self, const char *helper_login,
                                           const char *sharer_login,
                                           RhPermissions *out_permissions, GError **error);

/* rh_store_setting_set and the audit entry in one transaction. */
gboolean   rh_store_setting_set_audited (RhStore *self, const char *key, const char *value,
                                         const RhAuditNote *audit, GError **error);

/* Audit entries and sessions (RhAuditRecord, RhSessionRecord) at or after since, oldest first. */
GPtrArray *rh_store_audit_list        (RhStore *self, gint64 since, GError **error);
GPtrArray *rh_store_session_list      (RhStore *self, gint64 since, GError **error);
/* Adds mode to the session's modes used (once), and marks elevation used when asked. Works on
 * ended sessions too: a late report still belongs to the record. */
gboolean   rh_store_session_add_mode  (RhStore *self, gint64 id, const char *mode,
                                       gboolean elevation, GError **error);
/* Names the device of a session that has none yet (the relay may start the record before the
 * sharer's report says which device it is); a known device is kept. */
gboolean   rh_store_session_set_device (RhStore *self, gint64 id, const char *device,
                                        GError **error);
/* Retention: deletes ended sessions that started before sessions_before and audit entries
 * older than audit_before (the only way audit rows ever go; the database refuses to delete
 * rows younger than a day whatever the caller asks). Counts are optional. */
gboolean   rh_store_purge_history     (RhStore *self, gint64 sessions_before,
                                       gint64 audit_before, int *out_sessions, int *out_audit,
                                       GError **error);

/* Querying sessions and the audit log for the admin console. */
typedef enum
{
  RH_SESSION_SORT_STARTED,
  RH_SESSION_SORT_ENDED,
  RH_SESSION_SORT_DURATION,
  RH_SESSION_SORT_HELPER,
  RH_SESSION_SORT_SHARER,
  RH_SESSION_SORT_DEVICE,
  RH_SESSION_SORT_MODE,
  RH_SESSION_SORT_BYTES,
  RH_SESSION_SORT_END_REASON,
} RhSessionSort;

typedef struct _RhSessionQuery
{
  const char    *search;      /* case-insensitive substring of helper, sharer, device, modes or
                               * end reason; NULL or "": every session */
  RhSessionSort  sort;
  gboolean       descending;
  guint          limit;       /* 0: no limit */
} RhSessionQuery;

typedef struct
{
  gint64 day;                 /* unix seconds of 00:00 UTC */
  guint  count;               /* sessions started that day */
} RhSessionDay;

/* Array of RhSessionRecord; ties are broken by id in the same direction. */
GPtrArray *rh_store_session_query     (RhStore *self, const RhSessionQuery *query,
                                       GError **error);
/* Sessions still active (never ended); per UTC day, the sessions started at or after since
 * (only days that have some, oldest first); the mean duration in seconds of the ended ones
 * among them (0 when none has ended). */
gboolean   rh_store_session_stats     (RhStore *self, gint64 since, guint *out_active,
                                       GArray **out_days, double *out_average_duration,
                                       GError **error);
/* Array of RhAuditRecord, newest first; search is a case-insensitive substring of actor,
 * action or detail (NULL: all). */
GPtrArray *rh_store_audit_query       (RhStore *self, const char *search, guint limit,
                                       GError **error);

/* Administrator access (issue #6). Both work on ended sessions too (the end of administrator
 * access is often reported after the relay closed) and fail with RH_ERROR_STORE for an
 * unknown session. A session keeps at most RH_STORE_MAX_ELEVATION_TOOLS tools: later ones
 * succeed without being added (the audit log still has them). error_text may be NULL. */
#define RH_STORE_MAX_ELEVATION_TOOLS 100

gboolean   rh_store_session_add_elevation_tool (RhStore *self, gint64 id, const char *tool,
                                                gboolean ok, const char *error_text,
                                                GError **error);
/* Sets how administrator access ended; with replace FALSE only when nothing was set yet (the
 * "started" mark never hides a reported outcome). */
gboolean   rh_store_session_set_elevation_end  (RhStore *self, gint64 id, const char *end,
                                                gboolean replace, GError **error);

G_END_DECLS
