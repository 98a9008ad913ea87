/* rh-test-rdp.c: collecting an RhRdpViewer's connection in tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rh-error.h"
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

RhRdpViewer *
rh_test_viewer_for (RhRdpSharer *sharer,
                    RhRdpMode    mode)
{
  g_autoptr(GBytes) pin = rh_rdp_sharer_get_certificate_sha256 (sharer);

  return rh_rdp_viewer_new (rh_rdp_sharer_get_socket_path (sharer),
                            rh_rdp_sharer_get_username (sharer),
                            rh_rdp_sharer_get_password (sharer), pin, mode);
}

typedef struct
{
  gboolean connected;
  gboolean first_frame;
  GError  *error;
} Waiting;

static void
on_waiting_connected (GObject      *source,
                      GAsyncResult *result,
                      gpointer      data)
{
  Waiting *w = data;

  w->connected = rh_rdp_viewer_connect_finish (RH_RDP_VIEWER (source), result, &w->error);
  if (!w->connected && !w->error)
    w->error = g_error_new_literal (RH_RDP_ERROR, RH_ERROR_INTERNAL, "no error");
}

void
rh_test_viewer_connect_and_wait (RhRdpViewer *viewer)
{
  Waiting w = { 0 };
  gulong handler = g_signal_connect (viewer, "first-frame", G_CALLBACK (rh_test_on_flag),
                                     &w.first_frame);
  gint64 deadline;

  rh_rdp_viewer_connect_async (viewer, NULL, on_waiting_connected, &w);
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!w.connected && !w.error && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  g_assert_no_error (w.error);
  g_assert_true (w.connected);
  while (!w.first_frame && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  g_signal_handler_disconnect (viewer, handler);
  g_assert_true (w.first_frame);
}
