/* rh-test-rdp.h: collecting an RhRdpViewer's connection in tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

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

G_END_DECLS
