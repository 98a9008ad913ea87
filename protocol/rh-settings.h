/* rh-settings.h: the organisation's settings, their defaults and allowed values
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rh-store.h"

G_BEGIN_DECLS

#define RH_SETTING_REMOTE_HELP_ENABLED      "remote-help-enabled"
#define RH_SETTING_ALLOW_UNENROLLED_DEVICES "allow-unenrolled-devices"
#define RH_SETTING_CHAT_DISABLED            "chat-disabled"
/* Whole days, 1 to 3650. */
#define RH_SETTING_SESSION_RETENTION_DAYS   "session-retention-days"
#define RH_SETTING_AUDIT_RETENTION_DAYS     "audit-retention-days"
#define RH_SETTING_CHAT_RETENTION_DAYS      "chat-retention-days"

const char *const *rh_settings_list_keys   (void);
const char        *rh_settings_get_default (const char  *key);
/* Canonical form of value for key ("true"/"false" for booleans; yes/no/1/0 accepted), or
 * RH_ERROR_UNKNOWN_SETTING / RH_ERROR_BAD_SETTING_VALUE. */
char              *rh_settings_normalize   (const char  *key,
                                            const char  *value,
                                            GError     **error);
/* The stored value, else the default. */
char              *rh_settings_get         (RhStore     *store,
                                            const char  *key,
                                            GError     **error);
gboolean           rh_settings_get_boolean (RhStore     *store,
                                            const char  *key,
                                            gboolean    *out,
                                            GError     **error);
/* For the day counts: the stored value, else the default. */
gboolean           rh_settings_get_int     (RhStore     *store,
                                            const char  *key,
                                            int         *out,
                                            GError     **error);
/* Validates, stores, and appends an audit entry with the old and new value, in one
 * transaction. */
gboolean           rh_settings_set         (RhStore     *store,
                                            const char  *actor,
                                            const char  *key,
                                            const char  *value,
                                            GError     **error);

G_END_DECLS
