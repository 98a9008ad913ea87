/* rh-test-server.h: a real remote-help-server for integration tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

#include "rh-rendezvous-client.h"

G_BEGIN_DECLS

typedef struct
{
  char        *tmpdir;
  char        *data_dir;
  GSubprocess *proc;
  char        *url;
  char        *tls_fingerprint;
  char        *org_fingerprint;
  int          port;
} RhTestServer;

/* A temporary data directory with Remote Help enabled and two users:
 * helen (helper, password "helen-password") and sam (sharer, "sam-password").
 * Every user added here joins the group RH_TEST_HELPERS_GROUP, which assignment 1 gives the
 * built-in role towards all users: a fresh server would let nobody help anyone. */
#define RH_TEST_HELPERS_GROUP "Test helpers"

RhTestServer       *rh_test_server_new       (void);
void                rh_test_server_free      (RhTestServer       *server);
/* Runs `remote-help-server --data-dir … admin ARGS…`; returns the exit status. */
int                 rh_test_server_admin     (RhTestServer       *server,
                                              char              **out_stdout,
                                              char              **out_stderr,
                                              ...) G_GNUC_NULL_TERMINATED;
/* The same, asserting success (the error says which command and what it printed). */
void                rh_test_server_admin_ok  (RhTestServer       *server,
                                              ...) G_GNUC_NULL_TERMINATED;
void                rh_test_server_add_user  (RhTestServer       *server,
                                              const char         *login,
                                              const char         *display_name,
                                              const char         *password);
/* Starts it on 127.0.0.1 with a free port; extra arguments NULL-terminated. */
void                rh_test_server_start     (RhTestServer       *server,
                                              ...) G_GNUC_NULL_TERMINATED;
/* SIGTERM; asserts a clean exit within 10 s. */
void                rh_test_server_stop      (RhTestServer       *server);
RhRendezvousClient *rh_test_server_client    (RhTestServer       *server);
/* A connected and signed-in client (asserts success). */
RhRendezvousClient *rh_test_server_signed_in (RhTestServer       *server,
                                              const char         *login,
                                              const char         *password);
/* Spins the default main context until *flag is set or timeout_ms pass; FALSE on timeout. */
gboolean            rh_test_wait_flag        (const gboolean     *flag,
                                              guint               timeout_ms);
/* Runs an async call's result collection: stores the GAsyncResult. */
void                rh_test_store_result     (GObject            *source,
                                              GAsyncResult       *result,
                                              gpointer            user_data);
GAsyncResult       *rh_test_wait_result      (GAsyncResult      **slot,
                                              guint               timeout_ms);
void                rh_test_write_file       (const char         *path,
                                              const char         *contents);
/* What headless clients need: tmpdir/run (0700) for XDG_RUNTIME_DIR, and helen's and sam's
 * password files. */
void                rh_test_server_client_files (RhTestServer       *server,
                                                 char              **runtime_dir,
                                                 char              **helper_pw,
                                                 char              **sharer_pw);
/* The server's database (asserted), read-only unless @writable, waiting up to 5 s for the
 * server's locks. sqlite3_close it. */
sqlite3            *rh_test_server_open_db   (RhTestServer       *server,
                                              gboolean            writable);
/* Pairs two signed-in clients in-process (the code request is asserted); FALSE with @error
 * when redeeming or waiting for the sharer fails. The cards, if wanted, come back verified. */
gboolean            rh_test_pair             (RhRendezvousClient *helper,
                                              RhRendezvousClient *sharer,
                                              guint               timeout_ms,
                                              RhIdentityCard    **out_helper_card,
                                              RhIdentityCard    **out_sharer_card,
                                              GError            **error);
/* Spawns $RH_CLIENT_BIN FIRST… (the NULL-terminated rest in @ap), then @extra (NULL-terminated,
 * may be NULL), then --headless with this server's URL and fingerprints; stdout and stderr
 * piped; HOME and XDG_CONFIG_HOME in tmpdir/home, XDG_RUNTIME_DIR @runtime_dir, a system policy
 * that accepted the terms, DISPLAY @display unless NULL. The client dies with the test. */
GSubprocess        *rh_test_server_spawn_client_valist (RhTestServer       *server,
                                                        const char         *runtime_dir,
                                                        const char         *display,
                                                        const char *const  *extra,
                                                        const char         *first,
                                                        va_list             ap);
/* The same, with the rest of the arguments given directly (NULL-terminated). */
GSubprocess        *rh_test_server_spawn_client (RhTestServer       *server,
                                                 const char         *runtime_dir,
                                                 const char         *display,
                                                 const char         *first,
                                                 ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
