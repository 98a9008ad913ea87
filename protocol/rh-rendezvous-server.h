/* rh-rendezvous-server.h: sign-in, security codes, PAKE relay and pairing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "rh-org-key.h"
#include "rh-store.h"

G_BEGIN_DECLS

typedef struct
{
  const char *address;          /* numeric listen address */
  int         port;             /* 0: any free port */
  const char *tls_cert;
  const char *tls_key;
  guint       code_lifetime;    /* seconds a code lives unused (600) */
  guint       token_lifetime;   /* seconds a sign-in lasts (43200) */
  guint       pake_timeout;     /* seconds a pairing attempt may take (30) */
  guint       auth_timeout;     /* seconds before an unauthenticated connection is dropped (30) */
  const char *console_dir;      /* admin web console files; NULL: no console (404) */
} RhRendezvousServerOptions;

#define RH_CODE_MAX_FAILURES     3
#define RH_BACKOFF_THRESHOLD     5
#define RH_BACKOFF_BASE_SECONDS  10
#define RH_BACKOFF_MAX_SECONDS   600

#define RH_TYPE_RENDEZVOUS_SERVER (rh_rendezvous_server_get_type ())
G_DECLARE_FINAL_TYPE (RhRendezvousServer, rh_rendezvous_server, RH, RENDEZVOUS_SERVER, GObject)

void                rh_rendezvous_server_options_init (RhRendezvousServerOptions *options);
RhRendezvousServer *rh_rendezvous_server_new  (RhStore                          *store,
                                               RhOrgKey                         *org_key,
                                               const RhRendezvousServerOptions  *options,
                                               GError                          **error);
int                 rh_rendezvous_server_get_port (RhRendezvousServer *self);
/* Serves until SIGINT/SIGTERM or rh_rendezvous_server_stop(). */
gboolean            rh_rendezvous_server_run  (RhRendezvousServer               *self,
                                               GError                          **error);
void                rh_rendezvous_server_stop (RhRendezvousServer               *self);

/* Seconds a source is blocked after its n-th consecutive failure (0 below the threshold):
 * 10 s at the 5th, doubling, capped at 10 minutes. */
guint               rh_backoff_delay          (int                               failures);

G_END_DECLS
