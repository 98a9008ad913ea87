/* rh-error.h: the RH- error codes every user-visible failure carries
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One GError domain per module; the code of every domain is an RhErrorCode, whose numeric
 * value is the number users see as "RH-NNNN". The table in rh-error.c (and README) says
 * what each one means and how to fix it. */
#define RH_PROTOCOL_ERROR (rh_protocol_error_quark ())
#define RH_CRYPTO_ERROR   (rh_crypto_error_quark ())
#define RH_STORE_ERROR    (rh_store_error_quark ())
#define RH_CONFIG_ERROR   (rh_config_error_quark ())
#define RH_RDP_ERROR      (rh_rdp_error_quark ())

typedef enum
{
  /* 1xxx: local configuration and command line */
  RH_ERROR_CONFIG_INVALID        = 1001,
  RH_ERROR_BAD_SERVER_URL        = 1002,
  RH_ERROR_BAD_FINGERPRINT       = 1003,
  RH_ERROR_PASSWORD_FILE         = 1004,
  RH_ERROR_DATA_DIR              = 1005,
  RH_ERROR_TERMS_NOT_ACCEPTED    = 1006,
  RH_ERROR_BAD_ORG_KEY           = 1007,
  RH_ERROR_USAGE                 = 1008,
  RH_ERROR_NO_TRUST              = 1009,

  /* 2xxx: reaching the service */
  RH_ERROR_CONNECT_FAILED        = 2001,
  RH_ERROR_TLS_VERIFY_FAILED     = 2002,
  RH_ERROR_CONNECTION_LOST       = 2003,
  RH_ERROR_TIMEOUT               = 2004,

  /* 3xxx: sign-in and service policy */
  RH_ERROR_SIGN_IN_FAILED        = 3001,
  RH_ERROR_TOKEN_INVALID         = 3002,
  RH_ERROR_ACCOUNT_DISABLED      = 3003,
  RH_ERROR_SERVICE_DISABLED      = 3004,
  RH_ERROR_NOT_SIGNED_IN         = 3005,
  RH_ERROR_RATE_LIMITED          = 3006,

  /* 4xxx: security codes and pairing */
  RH_ERROR_CODE_INVALID          = 4001,
  RH_ERROR_CODE_BURNED           = 4002,
  RH_ERROR_CODE_FORMAT           = 4003,
  RH_ERROR_CODE_BUSY             = 4004,
  RH_ERROR_KEY_CONFIRMATION      = 4005,
  RH_ERROR_CARD_SIGNATURE        = 4006,
  RH_ERROR_ORG_KEY_MISMATCH      = 4007,
  RH_ERROR_CARD_INVALID          = 4008,
  RH_ERROR_PEER_LEFT             = 4009,
  RH_ERROR_NO_FREE_SLOT          = 4010,
  RH_ERROR_CODE_EXPIRED          = 4011,
  RH_ERROR_DENIED                = 4012,
  RH_ERROR_CONSENT_TIMEOUT       = 4013,
  RH_ERROR_CHAT_DISABLED         = 4014,
  RH_ERROR_CHAT_INVALID          = 4015,

  /* 5xxx: protocol violations and internal faults */
  RH_ERROR_MALFORMED_MESSAGE     = 5001,
  RH_ERROR_MESSAGE_TOO_LARGE     = 5002,
  RH_ERROR_UNKNOWN_MESSAGE       = 5003,
  RH_ERROR_UNEXPECTED_MESSAGE    = 5004,
  RH_ERROR_PEER_CHANNEL          = 5005,
  RH_ERROR_INTERNAL              = 5006,
  RH_ERROR_CRYPTO                = 5007,

  /* 6xxx: administration and stored data */
  RH_ERROR_UNKNOWN_SETTING       = 6001,
  RH_ERROR_BAD_SETTING_VALUE     = 6002,
  RH_ERROR_UNKNOWN_USER          = 6003,
  RH_ERROR_USER_EXISTS           = 6004,
  RH_ERROR_BAD_LOGIN             = 6005,
  RH_ERROR_FIELD_INVALID         = 6006,
  RH_ERROR_PHOTO_INVALID         = 6007,
  RH_ERROR_PASSWORD_INVALID      = 6008,
  RH_ERROR_STORE                 = 6009,

  /* 7xxx: screen sharing (RDP) and the relay */
  RH_ERROR_RDP_START             = 7001,
  RH_ERROR_RDP_NO_DISPLAY        = 7002,
  RH_ERROR_RDP_CONNECT           = 7003,
  RH_ERROR_RDP_CERTIFICATE       = 7004,
  RH_ERROR_RDP_AUTH              = 7005,
  RH_ERROR_RDP_DISCONNECTED      = 7006,
  RH_ERROR_VIEW_ONLY             = 7007,
  RH_ERROR_RELAY                 = 7008,
  RH_ERROR_SNAPSHOT              = 7009,

  /* Roles, groups and assignments (issue #5): 61xx administration, 41xx pairing refusals */
  RH_ERROR_UNKNOWN_ROLE          = 6101,
  RH_ERROR_ROLE_EXISTS           = 6102,
  RH_ERROR_UNKNOWN_GROUP         = 6103,
  RH_ERROR_GROUP_EXISTS          = 6104,
  RH_ERROR_UNKNOWN_ASSIGNMENT    = 6105,
  RH_ERROR_BAD_NAME              = 6106,
  RH_ERROR_UNKNOWN_PERMISSION    = 6107,
  RH_ERROR_BUILTIN_ROLE          = 6108,
  RH_ERROR_IN_USE                = 6109,
  RH_ERROR_BAD_SCOPE             = 6110,
  RH_ERROR_BAD_PERMISSIONS       = 6111,
  RH_ERROR_NOT_ASSIGNED          = 4101,
  RH_ERROR_OUT_OF_SCOPE          = 4102,
  RH_ERROR_MODE_NOT_PERMITTED    = 4103,
  /* 62xx: the admin web console */
  RH_ERROR_CONSOLE_SIGN_IN       = 6201,
  RH_ERROR_CONSOLE_NO_SESSION    = 6202,
  RH_ERROR_CONSOLE_NOT_ADMIN     = 6203,
  RH_ERROR_CONSOLE_CSRF          = 6204,
  RH_ERROR_CONSOLE_BAD_REQUEST   = 6205,
  RH_ERROR_CONSOLE_TOO_LARGE     = 6206,
  RH_ERROR_CONSOLE_INVALID_VALUE = 6207,
  RH_ERROR_CONSOLE_NOT_FOUND     = 6208,
  RH_ERROR_CONSOLE_RATE_LIMITED  = 6209,
  RH_ERROR_CONSOLE_ASSETS        = 6210,

  /* Issue #6 cores: elevation, laser pointer, authentication prompts (1101-1199, 7201-7299) */
  RH_ERROR_ELEVATED_TOOLS_INVALID = 1101,
  RH_ERROR_AUTH_PROMPT_CLASSES_INVALID = 1102,
  RH_ERROR_ELEVATED_END_INVALID  = 1103,
  RH_ERROR_OVERLAY               = 7201,
  RH_ERROR_ELEVATED_TOOL_START   = 7202,
  RH_ERROR_ELEVATION_NOT_GRANTED = 7203,
  RH_ERROR_ELEVATION_CLEANUP     = 7204,
  RH_ERROR_AUTH_PROMPT_WATCH     = 7205,
  RH_ERROR_ELEVATION_DENIED      = 7206,

  /* Issue #6 server side: administrator access in a pairing (4104-4109) */
  RH_ERROR_ELEVATION_NEEDS_CONTROL = 4104,
  RH_ERROR_ELEVATION_NO_GRANT    = 4105,

  /* Authentication-prompt guard in sessions (7211-7215) */
  RH_ERROR_AUTH_PROMPT_GUARD     = 7211,

  /* Issue #6: monitor selection (7221-7225) */
  RH_ERROR_MONITOR_INVALID       = 7221,
  RH_ERROR_MONITOR_UNSUPPORTED   = 7222,
  RH_ERROR_MONITOR_LIST          = 7223,
} RhErrorCode;

typedef struct
{
  RhErrorCode code;
  const char *summary;
  const char *cause;
  const char *fix;
} RhErrorInfo;

GQuark             rh_protocol_error_quark (void);
GQuark             rh_crypto_error_quark   (void);
GQuark             rh_store_error_quark    (void);
GQuark             rh_config_error_quark   (void);
GQuark             rh_rdp_error_quark      (void);

const RhErrorInfo *rh_error_info_table     (gsize        *n_entries);
const RhErrorInfo *rh_error_info_lookup    (int           code);
gboolean           rh_error_is_rh          (const GError *error);
char              *rh_error_format         (const GError *error);

G_END_DECLS
