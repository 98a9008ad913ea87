/* rh-test-rdp.h: collecting an RhRdpViewer's connection in tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rh-rdp-sharer.h"
#include "rh-rdp-viewer.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean done;
  gboolean ok;
  GError  *error;
} RhTestConnect;

/* The GAsyncReadyCallback of rh_rdp_viewer_connect_async; @data is an RhTestConnect. */
void rh_test_connect_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      data);
/* A signal handler (no arguments of its own) that sets the gboolean @flag. */
void rh_test_on_flag    (gpointer      instance,
                         gboolean     *flag);

/* A viewer of the started @sharer, with its one-time credentials and certificate pin. */
RhRdpViewer *rh_test_viewer_for              (RhRdpSharer *sharer,
                                              RhRdpMode    mode);
/* Connects @viewer and waits, 30 s at most in all, for the connection (its error asserted) and
 * then for the first frame (asserted). */
void         rh_test_viewer_connect_and_wait (RhRdpViewer *viewer);

G_END_DECLS
