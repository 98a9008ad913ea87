/* rh-server-admin.h: the server's data directory and the `admin` commands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "rh-org-key.h"
#include "rh-store.h"

G_BEGIN_DECLS

#define RH_SERVER_DB_FILE       "remote-help.db"
#define RH_SERVER_ORG_KEY_FILE  "org-key.pem"
#define RH_SERVER_TLS_CERT_FILE "tls-cert.pem"
#define RH_SERVER_TLS_KEY_FILE  "tls-key.pem"

/* Creates the data directory with mode 0700 when it is missing; refuses one that group or
 * others can access (RH_ERROR_DATA_DIR). */
gboolean  rh_server_data_dir_prepare  (const char  *data_dir,
                                       GError     **error);
/* remote-help.db in the data directory. */
RhStore  *rh_server_open_store        (const char  *data_dir,
                                       GError     **error);
/* org-key.pem, generated and saved on first use. */
RhOrgKey *rh_server_open_org_key      (const char  *data_dir,
                                       GError     **error);
/* tls-cert.pem and tls-key.pem, generated for this host name on first use. */
gboolean  rh_server_ensure_tls_cert   (const char  *data_dir,
                                       char       **out_cert_path,
                                       char       **out_key_path,
                                       GError     **error);

/* Runs `admin` with argv[0] == "admin"; returns the exit status (0 ok, 1 error, 2 usage). */
int       rh_server_admin_run         (const char  *data_dir,
                                       int          argc,
                                       char       **argv);

G_END_DECLS
