/* rh-store.c: the RhStore interface and the records it hands out
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-store"

#include "config.h"

#include "rh-store.h"

G_DEFINE_BOXED_TYPE (RhUser, rh_user, rh_user_copy, rh_user_free)

RhUser *
rh_user_copy (const RhUser *user)
{
  RhUser *copy;

  g_return_val_if_fail (user != NULL, NULL);

  copy = g_new0 (RhUser, 1);
  copy->login = g_strdup (user->login);
  copy->display_name = g_strdup (user->display_name);
  copy->job_title = g_strdup (user->job_title);
  copy->company = g_strdup (user->company);
  copy->domain = g_strdup (user->domain);
  copy->photo = user->photo != NULL ? g_bytes_ref (user->photo) : NULL;
  copy->password_hash = g_strdup (user->password_hash);
  copy->disabled = user->disabled;
  copy->admin = user->admin;
  copy->created_at = user->created_at;
  return copy;
}

void
rh_user_free (RhUser *user)
{
  if (user == NULL)
    return;

  g_free (user->login);
  g_free (user->display_name);
  g_free (user->job_title);
  g_free (user->company);
  g_free (user->domain);
  g_clear_pointer (&user->photo, g_bytes_unref);
  g_free (user->password_hash);
  g_free (user);
}

void
rh_slot_free (RhSlot *slot)
{
  if (slot == NULL)
    return;

  g_free (slot->slot);
  g_free (slot->helper_login);
  g_free (slot);
}

G_DEFINE_INTERFACE (RhStore, rh_store, G_TYPE_OBJECT)

static void
rh_store_default_init (RhStoreInterface *iface)
{
}

gboolean
rh_store_user_add (RhStore      *self,
                   const RhUser *user,
                   GError      **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (user != NULL, FALSE);
  g_return_val_if_fail (user->login != NULL, FALSE);
  g_return_val_if_fail (user->password_hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->user_add (self, user, error);
}

RhUser *
rh_store_user_get (RhStore    *self,
                   const char *login,
                   GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), NULL);
  g_return_val_if_fail (login != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return RH_STORE_GET_IFACE (self)->user_get (self, login, error);
}

GPtrArray *
rh_store_user_list (RhStore *self,
                    GError **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return RH_STORE_GET_IFACE (self)->user_list (self, error);
}

gboolean
rh_store_user_set_disabled (RhStore    *self,
                            const char *login,
                            gboolean    disabled,
                            GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (login != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->user_set_disabled (self, login, !!disabled, error);
}

gboolean
rh_store_user_set_password (RhStore    *self,
                            const char *login,
                            const char *password_hash,
                            GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (login != NULL, FALSE);
  g_return_val_if_fail (password_hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->user_set_password (self, login, password_hash, error);
}

gboolean
rh_store_user_remove (RhStore    *self,
                      const char *login,
                      GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (login != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->user_remove (self, login, error);
}

gboolean
rh_store_setting_get (RhStore    *self,
                      const char *key,
                      char      **out_value,
                      GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (out_value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *out_value = NULL;
  return RH_STORE_GET_IFACE (self)->setting_get (self, key, out_value, error);
}

gboolean
rh_store_setting_set (RhStore    *self,
                      const char *key,
                      const char *value,
                      GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->setting_set (self, key, value, error);
}

gboolean
rh_store_token_add (RhStore      *self,
                    const guint8 *token_hash,
                    const char   *login,
                    gint64        expires_at,
                    GError      **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);
  g_return_val_if_fail (login != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->token_add (self, token_hash, login, expires_at, error);
}

gboolean
rh_store_token_lookup (RhStore      *self,
                       const guint8 *token_hash,
                       gint64        now,
                       char        **out_login,
                       GError      **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);
  g_return_val_if_fail (out_login != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *out_login = NULL;
  return RH_STORE_GET_IFACE (self)->token_lookup (self, token_hash, now, out_login, error);
}

gboolean
rh_store_token_revoke (RhStore      *self,
                       const guint8 *token_hash,
                       GError      **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->token_revoke (self, token_hash, error);
}

gboolean
rh_store_slot_create (RhStore    *self,
                      const char *slot,
                      const char *helper_login,
                      gint64      now,
                      gint64      expires_at,
                      gboolean   *out_created,
                      GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (slot != NULL, FALSE);
  g_return_val_if_fail (helper_login != NULL, FALSE);
  g_return_val_if_fail (out_created != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *out_created = FALSE;
  return RH_STORE_GET_IFACE (self)->slot_create (self, slot, helper_login, now, expires_at,
                                                 out_created, error);
}

RhSlot *
rh_store_slot_get (RhStore    *self,
                   const char *slot,
                   GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), NULL);
  g_return_val_if_fail (slot != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return RH_STORE_GET_IFACE (self)->slot_get (self, slot, error);
}

gboolean
rh_store_slot_add_failure (RhStore    *self,
                           const char *slot,
                           int         max_failures,
                           int        *out_failures,
                           GError    **error)
{
  int failures = 0;

  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (slot != NULL, FALSE);
  g_return_val_if_fail (max_failures > 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!RH_STORE_GET_IFACE (self)->slot_add_failure (self, slot, max_failures, &failures, error))
    return FALSE;
  if (out_failures != NULL)
    *out_failures = failures;
  return TRUE;
}

gboolean
rh_store_slot_set_state (RhStore     *self,
                         const char  *slot,
                         RhSlotState  state,
                         GError     **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (slot != NULL, FALSE);
  g_return_val_if_fail ((guint) state <= RH_SLOT_STATE_CANCELLED, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->slot_set_state (self, slot, state, error);
}

gboolean
rh_store_backoff_get (RhStore    *self,
                      const char *key,
                      int        *out_failures,
                      gint64     *out_blocked_until,
                      GError    **error)
{
  int failures = 0;
  gint64 blocked_until = 0;

  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!RH_STORE_GET_IFACE (self)->backoff_get (self, key, &failures, &blocked_until, error))
    return FALSE;
  if (out_failures != NULL)
    *out_failures = failures;
  if (out_blocked_until != NULL)
    *out_blocked_until = blocked_until;
  return TRUE;
}

gboolean
rh_store_backoff_put (RhStore    *self,
                      const char *key,
                      int         failures,
                      gint64      blocked_until,
                      gint64      now,
                      GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (failures >= 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->backoff_put (self, key, failures, blocked_until, now, error);
}

gboolean
rh_store_backoff_clear (RhStore    *self,
                        const char *key,
                        GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->backoff_clear (self, key, error);
}

gboolean
rh_store_audit_append (RhStore    *self,
                       gint64      when,
                       const char *actor,
                       const char *action,
                       const char *detail_json,
                       GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (actor != NULL, FALSE);
  g_return_val_if_fail (action != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->audit_append (self, when, actor, action, detail_json, error);
}

gboolean
rh_store_purge (RhStore *self,
                gint64   now,
                GError **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->purge (self, now, error);
}

gboolean
rh_store_session_start (RhStore    *self,
                        const char *pairing,
                        const char *helper_login,
                        const char *sharer_login,
                        const char *device,
                        const char *mode,
                        gint64      started_at,
                        gint64     *out_id,
                        GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (pairing != NULL, FALSE);
  g_return_val_if_fail (helper_login != NULL, FALSE);
  g_return_val_if_fail (sharer_login != NULL, FALSE);
  g_return_val_if_fail (mode != NULL, FALSE);
  g_return_val_if_fail (out_id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->session_start (self, pairing, helper_login, sharer_login,
                                                   device, mode, started_at, out_id, error);
}

gboolean
rh_store_session_update (RhStore *self,
                         gint64   id,
                         guint64  bytes_relayed,
                         GError **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->session_update (self, id, bytes_relayed, error);
}

gboolean
rh_store_session_end (RhStore    *self,
                      gint64      id,
                      gint64      ended_at,
                      guint64     bytes_relayed,
                      const char *end_reason,
                      GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (end_reason != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->session_end (self, id, ended_at, bytes_relayed, end_reason,
                                                 error);
}

void
rh_chat_entry_free (RhChatEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->pairing);
  g_free (entry->sender_login);
  g_free (entry->sender_role);
  g_free (entry->body);
  g_free (entry);
}

gboolean
rh_store_chat_append (RhStore    *self,
                      const char *pairing,
                      const char *sender_login,
                      const char *sender_role,
                      gint64      sent_at,
                      const char *body,
                      gint64     *out_id,
                      GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (pairing != NULL, FALSE);
  g_return_val_if_fail (sender_login != NULL, FALSE);
  g_return_val_if_fail (sender_role != NULL, FALSE);
  g_return_val_if_fail (body != NULL, FALSE);
  g_return_val_if_fail (out_id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->chat_append (self, pairing, sender_login, sender_role,
                                                 sent_at, body, out_id, error);
}

GPtrArray *
rh_store_chat_list (RhStore    *self,
                    const char *pairing,
                    GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), NULL);
  g_return_val_if_fail (pairing != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return RH_STORE_GET_IFACE (self)->chat_list (self, pairing, error);
}

/* Roles, groups, assignments, reports and retention (issue #5) */

void
rh_role_free (RhRole *role)
{
  if (role == NULL)
    return;
  g_free (role->name);
  g_free (role->description);
  g_free (role);
}

void
rh_group_free (RhGroup *group)
{
  if (group == NULL)
    return;
  g_free (group->name);
  g_free (group->description);
  g_strfreev (group->members);
  g_free (group);
}

void
rh_assignment_free (RhAssignment *assignment)
{
  if (assignment == NULL)
    return;
  g_free (assignment->role);
  g_free (assignment->helper_group);
  g_strfreev (assignment->scope_groups);
  g_free (assignment);
}

void
rh_audit_record_free (RhAuditRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->actor);
  g_free (record->action);
  g_free (record->detail);
  g_free (record);
}

void
rh_session_record_free (RhSessionRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->pairing);
  g_free (record->helper_login);
  g_free (record->sharer_login);
  g_free (record->device);
  g_free (record->mode);
  g_free (record->modes);
  g_free (record->end_reason);
  g_free (record->elevation_tools);
  g_free (record->elevation_end);
  g_free (record);
}

#define CHECK_STORE(ret) \
  g_return_val_if_fail (RH_IS_STORE (self), ret); \
  g_return_val_if_fail (error == NULL || *error == NULL, ret)

gboolean
rh_store_role_create (RhStore           *self,
                      const RhRole      *role,
                      const RhAuditNote *audit,
                      gint64            *out_id,
                      GError           **error)
{
  gint64 id;

  CHECK_STORE (FALSE);
  g_return_val_if_fail (role != NULL && role->name != NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->role_create (self, role, audit, out_id ? out_id : &id,
                                                 error);
}

RhRole *
rh_store_role_get (RhStore    *self,
                   const char *name,
                   GError    **error)
{
  CHECK_STORE (NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return RH_STORE_GET_IFACE (self)->role_get (self, name, error);
}

GPtrArray *
rh_store_role_list (RhStore *self,
                    GError **error)
{
  CHECK_STORE (NULL);

  return RH_STORE_GET_IFACE (self)->role_list (self, error);
}

gboolean
rh_store_role_update (RhStore           *self,
                      const char        *name,
                      const RhRole      *role,
                      const RhAuditNote *audit,
                      GError           **error)
{
  CHECK_STORE (FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (role != NULL && role->name != NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->role_update (self, name, role, audit, error);
}

gboolean
rh_store_role_delete (RhStore           *self,
                      const char        *name,
                      const RhAuditNote *audit,
                      GError           **error)
{
  CHECK_STORE (FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->role_delete (self, name, audit, error);
}

gboolean
rh_store_group_create (RhStore           *self,
                       const RhGroup     *group,
                       const RhAuditNote *audit,
                       gint64            *out_id,
                       GError           **error)
{
  gint64 id;

  CHECK_STORE (FALSE);
  g_return_val_if_fail (group != NULL && group->name != NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->group_create (self, group, audit, out_id ? out_id : &id,
                                                  error);
}

RhGroup *
rh_store_group_get (RhStore    *self,
                    const char *name,
                    GError    **error)
{
  CHECK_STORE (NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return RH_STORE_GET_IFACE (self)->group_get (self, name, error);
}

GPtrArray *
rh_store_group_list (RhStore *self,
                     GError **error)
{
  CHECK_STORE (NULL);

  return RH_STORE_GET_IFACE (self)->group_list (self, error);
}

gboolean
rh_store_group_update (RhStore           *self,
                       const char        *name,
                       const RhGroup     *group,
                       const RhAuditNote *audit,
                       GError           **error)
{
  CHECK_STORE (FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (group != NULL && group->name != NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->group_update (self, name, group, audit, error);
}

gboolean
rh_store_group_delete (RhStore           *self,
                       const char        *name,
                       const RhAuditNote *audit,
                       GError           **error)
{
  CHECK_STORE (FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->group_delete (self, name, audit, error);
}

gboolean
rh_store_assignment_create (RhStore            *self,
                            const RhAssignment *assignment,
                            const RhAuditNote  *audit,
                            gint64             *out_id,
                            GError            **error)
{
  gint64 id;

  CHECK_STORE (FALSE);
  g_return_val_if_fail (assignment != NULL, FALSE);
  g_return_val_if_fail (assignment->role != NULL && assignment->helper_group != NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->assignment_create (self, assignment, audit,
                                                       out_id ? out_id : &id, error);
}

RhAssignment *
rh_store_assignment_get (RhStore *self,
                         gint64   id,
                         GError **error)
{
  CHECK_STORE (NULL);

  return RH_STORE_GET_IFACE (self)->assignment_get (self, id, error);
}

GPtrArray *
rh_store_assignment_list (RhStore *self,
                          GError **error)
{
  CHECK_STORE (NULL);

  return RH_STORE_GET_IFACE (self)->assignment_list (self, error);
}

gboolean
rh_store_assignment_update (RhStore            *self,
                            gint64              id,
                            const RhAssignment *assignment,
                            const RhAuditNote  *audit,
                            GError            **error)
{
  CHECK_STORE (FALSE);
  g_return_val_if_fail (assignment != NULL, FALSE);
  g_return_val_if_fail (assignment->role != NULL && assignment->helper_group != NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->assignment_update (self, id, assignment, audit, error);
}

gboolean
rh_store_assignment_delete (RhStore           *self,
                            gint64             id,
                            const RhAuditNote *audit,
                            GError           **error)
{
  CHECK_STORE (FALSE);

  return RH_STORE_GET_IFACE (self)->assignment_delete (self, id, audit, error);
}

gboolean
rh_store_effective_permissions (RhStore       *self,
                                const char    *helper_login,
                                const char    *sharer_login,
                                RhPermissions *out_permissions,
                                GError       **error)
{
  CHECK_STORE (FALSE);
  g_return_val_if_fail (helper_login != NULL, FALSE);
  g_return_val_if_fail (out_permissions != NULL, FALSE);

  *out_permissions = RH_PERMISSION_NONE;
  return RH_STORE_GET_IFACE (self)->effective_permissions (self, helper_login, sharer_login,
                                                           out_permissions, error);
}

gboolean
rh_store_setting_set_audited (RhStore           *self,
                              const char        *key,
                              const char        *value,
                              const RhAuditNote *audit,
                              GError           **error)
{
  CHECK_STORE (FALSE);
  g_return_val_if_fail (key != NULL && value != NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->setting_set_audited (self, key, value, audit, error);
}

GPtrArray *
rh_store_audit_list (RhStore *self,
                     gint64   since,
                     GError **error)
{
  CHECK_STORE (NULL);

  return RH_STORE_GET_IFACE (self)->audit_list (self, since, error);
}

GPtrArray *
rh_store_session_list (RhStore *self,
                       gint64   since,
                       GError **error)
{
  CHECK_STORE (NULL);

  return RH_STORE_GET_IFACE (self)->session_list (self, since, error);
}

gboolean
rh_store_session_add_mode (RhStore    *self,
                           gint64      id,
                           const char *mode,
                           gboolean    elevation,
                           GError    **error)
{
  CHECK_STORE (FALSE);
  g_return_val_if_fail (mode != NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->session_add_mode (self, id, mode, !!elevation, error);
}

gboolean
rh_store_purge_history (RhStore *self,
                        gint64   sessions_before,
                        gint64   audit_before,
                        int     *out_sessions,
                        int     *out_audit,
                        GError **error)
{
  int sessions, audit;

  CHECK_STORE (FALSE);

  return RH_STORE_GET_IFACE (self)->purge_history (self, sessions_before, audit_before,
                                                   out_sessions ? out_sessions : &sessions,
                                                   out_audit ? out_audit : &audit, error);
}

gboolean
rh_store_session_set_device (RhStore    *self,
                             gint64      id,
                             const char *device,
                             GError    **error)
{
  CHECK_STORE (FALSE);
  g_return_val_if_fail (device != NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->session_set_device (self, id, device, error);
}

GPtrArray *
rh_store_session_query (RhStore              *self,
                        const RhSessionQuery *query,
                        GError              **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);
  g_return_val_if_fail (query->sort <= RH_SESSION_SORT_END_REASON, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return RH_STORE_GET_IFACE (self)->session_query (self, query, error);
}

gboolean
rh_store_session_stats (RhStore  *self,
                        gint64    since,
                        guint    *out_active,
                        GArray  **out_days,
                        double   *out_average_duration,
                        GError  **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), FALSE);
  g_return_val_if_fail (out_active != NULL && out_days != NULL, FALSE);
  g_return_val_if_fail (out_average_duration != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->session_stats (self, since, out_active, out_days,
                                                   out_average_duration, error);
}

GPtrArray *
rh_store_audit_query (RhStore    *self,
                      const char *search,
                      guint       limit,
                      GError    **error)
{
  g_return_val_if_fail (RH_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return RH_STORE_GET_IFACE (self)->audit_query (self, search, limit, error);
}

gboolean
rh_store_session_add_elevation_tool (RhStore    *self,
                                     gint64      id,
                                     const char *tool,
                                     gboolean    ok,
                                     const char *error_text,
                                     GError    **error)
{
  CHECK_STORE (FALSE);
  g_return_val_if_fail (tool != NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->session_add_elevation_tool (self, id, tool, !!ok,
                                                                 error_text, error);
}

gboolean
rh_store_session_set_elevation_end (RhStore    *self,
                                    gint64      id,
                                    const char *end,
                                    gboolean    replace,
                                    GError    **error)
{
  CHECK_STORE (FALSE);
  g_return_val_if_fail (end != NULL, FALSE);

  return RH_STORE_GET_IFACE (self)->session_set_elevation_end (self, id, end, !!replace, error);
}
