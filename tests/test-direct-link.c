/* test-direct-link.c: candidate parsing, and the direct path's token gate on loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "rh-direct-link.h"
#include "rh-error.h"

static void
test_parse (void)
{
  const struct { const char *text; const char *addr; guint16 port; } good[] = {
    { "127.0.0.1:5", "127.0.0.1", 5 },
    { "192.0.2.10:65535", "192.0.2.10", 65535 },
    { "[::1]:3389", "::1", 3389 },
    { "[2001:db8::7]:40000", "2001:db8::7", 40000 },
  };
  const char *bad[] = {
    NULL, "", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1",
    "127.0.0.1:80x", "127.0.0.1: 80", "localhost:80", "example.com:443", "::1:80",
    "[127.0.0.1]:80", "[::1]80", "[::1", "1.2.3:4", "999.1.1.1:5", "[::1]:+5",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GInetSocketAddress) sa = rh_direct_parse_candidate (good[i].text, &error);
      g_autofree char *addr = NULL;

      g_assert_no_error (error);
      addr = g_inet_address_to_string (g_inet_socket_address_get_address (sa));
      g_assert_cmpstr (addr, ==, good[i].addr);
      g_assert_cmpuint (g_inet_socket_address_get_port (sa), ==, good[i].port);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GInetSocketAddress) sa = rh_direct_parse_candidate (bad[i], &error);

      g_test_message ("%s", bad[i] ? bad[i] : "(null)");
      g_assert_null (sa);
      g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE);
    }
}

/* A local "RDP server": echoes what it receives. */
static gboolean
on_echo_incoming (GSocketService    *service,
                  GSocketConnection *conn,
                  GObject           *source,
                  gpointer           user_data)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));

  g_object_set_data_full (G_OBJECT (service), "conn", g_object_ref (conn), g_object_unref);
  g_output_stream_splice_async (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT,
                                NULL, NULL, NULL);
  return TRUE;
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static void
spin_until (gpointer *slot)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (*slot == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static GIOStream *
connect_unix (const char *path)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address),
                                                     NULL, &error);

  g_assert_no_error (error);
  return G_IO_STREAM (conn);
}

static void
test_link (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("rh-direct-XXXXXX", &error);
  g_autofree char *echo_path = g_build_filename (dir, "echo.sock", NULL);
  g_autoptr(GSocketService) echo = g_socket_service_new ();
  g_autoptr(GSocketAddress) echo_addr = g_unix_socket_address_new (echo_path);
  g_autoptr(RhDirectListener) listener = NULL;
  g_autoptr(GBytes) token = NULL;
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(RhDirectLink) link = NULL;
  g_autoptr(RhDirectLink) none = NULL;
  g_autoptr(GIOStream) viewer = NULL;
  guint8 wrong[RH_DIRECT_TOKEN_LEN] = { 0 };
  g_autoptr(GBytes) wrong_token = g_bytes_new (wrong, sizeof wrong);
  const char *const *candidates;
  char buf[64] = { 0 };
  gsize n = 0;

  g_assert_no_error (error);
  g_setenv ("XDG_RUNTIME_DIR", dir, TRUE);
  g_socket_listener_add_address (G_SOCKET_LISTENER (echo), echo_addr, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (echo, "incoming", G_CALLBACK (on_echo_incoming), NULL);

  listener = rh_direct_listener_new (echo_path, RH_DIRECT_ADDRESSES_LOOPBACK);
  g_assert_true (rh_direct_listener_start (listener, &error));
  candidates = rh_direct_listener_get_candidates (listener);
  g_assert_nonnull (candidates[0]);
  g_assert_true (g_str_has_prefix (candidates[0], "127.0.0.1:"));
  g_assert_null (candidates[1]);
  token = rh_direct_listener_get_token (listener);

  /* Someone without the token gets nothing (the helper gives up within the timeout). */
  rh_direct_link_connect_async (candidates, wrong_token, 1500, NULL, store_result, &r1);
  spin_until ((gpointer *) &r1);
  none = rh_direct_link_connect_finish (r1, &error);
  g_assert_null (none);
  g_assert_error (error, RH_RDP_ERROR, RH_ERROR_RDP_CONNECT);
  g_clear_error (&error);

  /* With it, bytes flow both ways between the viewer's socket and the sharer's server. */
  rh_direct_link_connect_async (candidates, token, 3000, NULL, store_result, &r2);
  spin_until ((gpointer *) &r2);
  link = rh_direct_link_connect_finish (r2, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (rh_direct_link_get_socket_path (link), dir));
  viewer = connect_unix (rh_direct_link_get_socket_path (link));
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (viewer), "hello rdp",
                                            9, NULL, NULL, &error));
  g_assert_no_error (error);
  while (n < 9)
    {
      GPollableInputStream *in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (viewer));
      gssize got = g_pollable_input_stream_read_nonblocking (in, buf + n, sizeof buf - 1 - n,
                                                             NULL, NULL);

      if (got > 0)
        n += got;
      else
        g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpstr (buf, ==, "hello rdp");

  /* One helper, once: the listener is gone now. */
  {
    g_autoptr(GAsyncResult) r3 = NULL;
    g_autoptr(RhDirectLink) second = NULL;

    rh_direct_link_connect_async (candidates, token, 1500, NULL, store_result, &r3);
    spin_until ((gpointer *) &r3);
    second = rh_direct_link_connect_finish (r3, &error);
    g_assert_null (second);
    g_assert_error (error, RH_RDP_ERROR, RH_ERROR_RDP_CONNECT);
    g_clear_error (&error);
  }

  g_io_stream_close (viewer, NULL, NULL);
  rh_direct_link_close (link);
  rh_direct_listener_stop (listener);
  g_socket_service_stop (echo);
  g_socket_listener_close (G_SOCKET_LISTENER (echo));
  g_unlink (echo_path);
  {
    g_autofree char *rh = g_build_filename (dir, "remote-help", NULL);

    g_rmdir (rh);
  }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/direct-link/parse-candidate", test_parse);
  g_test_add_func ("/direct-link/token-gate", test_link);

  return g_test_run ();
}
