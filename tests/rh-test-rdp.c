/* rh-test-rdp.c: collecting an RhRdpViewer's connection in tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rh-test-rdp.h"

void
rh_test_connect_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  RhTestConnect *res = data;

  res->ok = rh_rdp_viewer_connect_finish (RH_RDP_VIEWER (source), result, &res->error);
  res->done = TRUE;
}

void
rh_test_on_flag (gpointer  instance,
                 gboolean *flag)
{
  *flag = TRUE;
}
