/* rh-direct-link.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "rh-direct-link.h"
#include "rh-error.h"

#define ACK_BYTE            'R'
#define LISTEN_LIFETIME_S   60
#define HANDSHAKE_TIMEOUT_S 5

/* Shared: bridging two connections */

static void
on_spliced (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GObject) owner = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_io_stream_splice_finish (result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Direct connection ended: %s", error->message);
  g_signal_emit_by_name (owner, "closed", NULL);
}

static void
bridge (GObject      *owner,
        GIOStream    *a,
        GIOStream    *b,
        GCancellable *cancellable)
{
  g_io_stream_splice_async (a, b,
                            G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                            G_PRIORITY_DEFAULT, cancellable, on_spliced, g_object_ref (owner));
}

/* Candidates */

GInetSocketAddress *
rh_direct_parse_candidate (const char  *text,
                           GError     **error)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) addr = NULL;
  const char *colon;
  char *end = NULL;
  guint64 port;

  if (text == NULL)
    goto bad;
  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');

      if (close == NULL || close[1] != ':')
        goto bad;
      host = g_strndup (text + 1, close - text - 1);
      colon = close + 1;
    }
  else
    {
      colon = strrchr (text, ':');
      if (colon == NULL)
        goto bad;
      host = g_strndup (text, colon - text);
    }
  if (colon[1] == '\0' || !g_ascii_isdigit (colon[1]))
    goto bad;
  port = g_ascii_strtoull (colon + 1, &end, 10);
  if (*end != '\0' || port == 0 || port > 65535)
    goto bad;
  /* Numeric only: a candidate must never make us resolve a name. */
  addr = g_inet_address_new_from_string (host);
  if (addr == NULL ||
      (text[0] == '[') != (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6))
    goto bad;
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (addr, (guint16) port));

bad:
  g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
               "“%.64s” is not a direct-connection candidate (ADDRESS:PORT)", text ? text : "");
  return NULL;
}

static char *
format_candidate (GInetAddress *addr,
                  guint16       port)
{
  g_autofree char *s = g_inet_address_to_string (addr);

  if (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", s, port);
  return g_strdup_printf ("%s:%u", s, port);
}

/* Sharer: the listener */

struct _RhDirectListener
{
  GObject            parent_instance;

  char              *target;
  RhDirectAddresses  addresses;
  GSocketService    *service;
  guint8             token[RH_DIRECT_TOKEN_LEN];
  GStrv              candidates;
  GCancellable      *cancellable;
  guint              lifetime_timer;
  gboolean           connected;
};

G_DEFINE_FINAL_TYPE (RhDirectListener, rh_direct_listener, G_TYPE_OBJECT)

typedef struct
{
  RhDirectListener  *self;
  GSocketConnection *conn;
  guint8             buf[RH_DIRECT_TOKEN_LEN];
  guint              timeout;
} Handshake;

static void
handshake_free (Handshake *h)
{
  g_clear_handle_id (&h->timeout, g_source_remove);
  g_clear_object (&h->self);
  g_clear_object (&h->conn);
  explicit_bzero (h->buf, sizeof h->buf);
  g_free (h);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Handshake, handshake_free)

static void
stop_listening (RhDirectListener *self)
{
  g_clear_handle_id (&self->lifetime_timer, g_source_remove);
  if (self->service)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);
    }
}

static void
on_target_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(Handshake) h = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) target = NULL;

  target = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (target == NULL)
    {
      g_message ("Direct connection: the RDP server is not reachable: %s", error->message);
      g_signal_emit_by_name (h->self, "closed", error);
      return;
    }
  g_signal_emit_by_name (h->self, "connected");
  bridge (G_OBJECT (h->self), G_IO_STREAM (h->conn), G_IO_STREAM (target),
          h->self->cancellable);
}

static void
on_ack_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Handshake) h = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  GCancellable *cancellable = h->self->cancellable;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    return;

  client = g_socket_client_new ();
  address = g_unix_socket_address_new (h->self->target);
  /* Arguments are evaluated in no set order: nothing may read h after it is stolen. */
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), cancellable,
                                 on_target_connected, g_steal_pointer (&h));
}

static void
on_token_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Handshake) h = user_data;
  g_autoptr(GError) error = NULL;
  RhDirectListener *self = h->self;
  GOutputStream *out;
  gsize n = 0;
  static const guint8 ack = ACK_BYTE;

  g_clear_handle_id (&h->timeout, g_source_remove);
  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &n, &error) ||
      n != RH_DIRECT_TOKEN_LEN || CRYPTO_memcmp (h->buf, self->token, sizeof self->token) != 0 ||
      self->connected)
    {
      g_info ("Refused a direct connection without the session's token");
      g_io_stream_close (G_IO_STREAM (h->conn), NULL, NULL);
      return;
    }

  /* One helper, once: nobody else gets in after it. */
  self->connected = TRUE;
  stop_listening (self);
  out = g_io_stream_get_output_stream (G_IO_STREAM (h->conn));
  g_output_stream_write_all_async (out, &ack, 1, G_PRIORITY_DEFAULT, self->cancellable,
                                   on_ack_written, g_steal_pointer (&h));
}

static gboolean
on_handshake_timeout (gpointer user_data)
{
  Handshake *h = user_data;

  h->timeout = 0;
  g_io_stream_close (G_IO_STREAM (h->conn), NULL, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *conn,
             GObject           *source_object,
             gpointer           user_data)
{
  RhDirectListener *self = user_data;
  Handshake *h = g_new0 (Handshake, 1);

  h->self = g_object_ref (self);
  h->conn = g_object_ref (conn);
  h->timeout = g_timeout_add_seconds (HANDSHAKE_TIMEOUT_S, on_handshake_timeout, h);
  g_input_stream_read_all_async (g_io_stream_get_input_stream (G_IO_STREAM (conn)), h->buf,
                                 sizeof h->buf, G_PRIORITY_DEFAULT, self->cancellable,
                                 on_token_read, h);
  return TRUE;
}

static gboolean
on_lifetime_over (gpointer user_data)
{
  RhDirectListener *self = user_data;

  self->lifetime_timer = 0;
  stop_listening (self);
  return G_SOURCE_REMOVE;
}

static GPtrArray *
interface_candidates (guint16 port)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  struct ifaddrs *ifa = NULL;

  if (getifaddrs (&ifa) != 0)
    return out;
  for (struct ifaddrs *i = ifa; i; i = i->ifa_next)
    {
      g_autoptr(GSocketAddress) sa = NULL;
      GInetAddress *addr;

      if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK) ||
          (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
        continue;
      sa = g_socket_address_new_from_native (i->ifa_addr,
                                             i->ifa_addr->sa_family == AF_INET
                                               ? sizeof (struct sockaddr_in)
                                               : sizeof (struct sockaddr_in6));
      if (sa == NULL)
        continue;
      addr = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa));
      /* Link-local addresses need a scope the other machine cannot know. */
      if (g_inet_address_get_is_link_local (addr))
        continue;
      g_ptr_array_add (out, format_candidate (addr, port));
    }
  freeifaddrs (ifa);
  return out;
}

gboolean
rh_direct_listener_start (RhDirectListener  *self,
                          GError           **error)
{
  g_autoptr(GPtrArray) candidates = NULL;
  g_autoptr(GError) local_error = NULL;
  guint16 port = 0;

  g_return_val_if_fail (RH_IS_DIRECT_LISTENER (self), FALSE);
  g_return_val_if_fail (self->service == NULL, FALSE);

  if (RAND_bytes (self->token, sizeof self->token) != 1)
    {
      g_set_error_literal (error, RH_CRYPTO_ERROR, RH_ERROR_CRYPTO, "No random numbers");
      return FALSE;
    }
  if (self->addresses == RH_DIRECT_ADDRESSES_OFF)
    {
      self->candidates = g_new0 (char *, 1);
      return TRUE;
    }

  self->service = g_socket_service_new ();
  if (self->addresses == RH_DIRECT_ADDRESSES_LOOPBACK)
    {
      g_autoptr(GSocketAddress) want = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
      g_autoptr(GSocketAddress) got = NULL;

      if (g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), want,
                                         G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                         &got, &local_error))
        port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (got));
      candidates = g_ptr_array_new_with_free_func (g_free);
      if (port)
        g_ptr_array_add (candidates, g_strdup_printf ("127.0.0.1:%u", port));
    }
  else
    {
      port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (self->service), NULL,
                                                  &local_error);
      candidates = port ? interface_candidates (port) : g_ptr_array_new ();
    }
  if (port == 0)
    {
      g_set_error (error, RH_RDP_ERROR, RH_ERROR_RDP_START,
                   "Could not listen for a direct connection: %s", local_error->message);
      g_clear_object (&self->service);
      return FALSE;
    }

  g_ptr_array_add (candidates, NULL);
  self->candidates = (GStrv) g_ptr_array_steal (candidates, NULL);
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (self->service);
  self->lifetime_timer = g_timeout_add_seconds (LISTEN_LIFETIME_S, on_lifetime_over, self);
  return TRUE;
}

const char *const *
rh_direct_listener_get_candidates (RhDirectListener *self)
{
  g_return_val_if_fail (RH_IS_DIRECT_LISTENER (self), NULL);

  return (const char *const *) self->candidates;
}

GBytes *
rh_direct_listener_get_token (RhDirectListener *self)
{
  g_return_val_if_fail (RH_IS_DIRECT_LISTENER (self), NULL);

  return g_bytes_new (self->token, sizeof self->token);
}

void
rh_direct_listener_stop (RhDirectListener *self)
{
  g_return_if_fail (RH_IS_DIRECT_LISTENER (self));

  stop_listening (self);
  g_cancellable_cancel (self->cancellable);
}

static void
rh_direct_listener_dispose (GObject *object)
{
  RhDirectListener *self = RH_DIRECT_LISTENER (object);

  stop_listening (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (rh_direct_listener_parent_class)->dispose (object);
}

static void
rh_direct_listener_finalize (GObject *object)
{
  RhDirectListener *self = RH_DIRECT_LISTENER (object);

  g_free (self->target);
  g_strfreev (self->candidates);
  explicit_bzero (self->token, sizeof self->token);

  G_OBJECT_CLASS (rh_direct_listener_parent_class)->finalize (object);
}

static void
rh_direct_listener_class_init (RhDirectListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rh_direct_listener_dispose;
  object_class->finalize = rh_direct_listener_finalize;

  g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 0);
  g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
rh_direct_listener_init (RhDirectListener *self)
{
  self->cancellable = g_cancellable_new ();
}

RhDirectListener *
rh_direct_listener_new (const char        *target_socket_path,
                        RhDirectAddresses  addresses)
{
  RhDirectListener *self;

  g_return_val_if_fail (target_socket_path != NULL, NULL);

  self = g_object_new (RH_TYPE_DIRECT_LISTENER, NULL);
  self->target = g_strdup (target_socket_path);
  self->addresses = addresses;
  return self;
}

/* Helper: the link */

struct _RhDirectLink
{
  GObject            parent_instance;

  GSocketConnection *tcp;
  GSocketService    *service;
  char              *dir;
  char              *socket_path;
  GCancellable      *cancellable;
};

G_DEFINE_FINAL_TYPE (RhDirectLink, rh_direct_link, G_TYPE_OBJECT)

typedef struct
{
  GStrv         candidates;
  guint         next;
  GBytes       *token;
  GCancellable *attempt;
  guint         deadline_timer;
  gboolean      timed_out;
  GSocketConnection *conn;
  guint8        ack;
} Connect;

static void
connect_free (Connect *c)
{
  g_clear_handle_id (&c->deadline_timer, g_source_remove);
  g_strfreev (c->candidates);
  g_clear_pointer (&c->token, g_bytes_unref);
  g_clear_object (&c->attempt);
  g_clear_object (&c->conn);
  g_free (c);
}

static void try_next (GTask *task);

static void
attempt_failed (GTask        *task,
                const GError *error)
{
  Connect *c = g_task_get_task_data (task);

  if (error)
    g_debug ("Direct candidate failed: %s", error->message);
  g_clear_object (&c->conn);
  try_next (task);
}

static gboolean
on_link_incoming (GSocketService    *service,
                  GSocketConnection *conn,
                  GObject           *source_object,
                  gpointer           user_data)
{
  RhDirectLink *self = user_data;

  /* Exactly one local client: the viewer. */
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  bridge (G_OBJECT (self), G_IO_STREAM (conn), G_IO_STREAM (self->tcp), self->cancellable);
  return TRUE;
}

static void
on_ack_read (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Connect *c = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhDirectLink) link = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *base = NULL;
  gsize n = 0;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &n, &error) || n != 1 ||
      c->ack != ACK_BYTE)
    {
      attempt_failed (task, error);
      return;
    }

  link = g_object_new (RH_TYPE_DIRECT_LINK, NULL);
  link->tcp = g_steal_pointer (&c->conn);
  base = g_build_filename (g_get_user_runtime_dir (), "remote-help", NULL);
  g_mkdir_with_parents (base, 0700);
  link->dir = g_build_filename (base, "direct-XXXXXX", NULL);
  if (g_mkdtemp_full (link->dir, 0700) == NULL)
    {
      g_task_return_new_error (task, RH_RDP_ERROR, RH_ERROR_RDP_CONNECT,
                               "Could not create a private directory in %s", base);
      return;
    }
  link->socket_path = g_build_filename (link->dir, "rdp.sock", NULL);
  link->service = g_socket_service_new ();
  address = g_unix_socket_address_new (link->socket_path);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (link->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL,
                                      &error))
    {
      g_task_return_new_error (task, RH_RDP_ERROR, RH_ERROR_RDP_CONNECT,
                               "Could not listen on %s: %s", link->socket_path, error->message);
      return;
    }
  g_signal_connect (link->service, "incoming", G_CALLBACK (on_link_incoming), link);
  g_socket_service_start (link->service);
  g_task_return_pointer (task, g_steal_pointer (&link), g_object_unref);
}

static void
on_token_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  Connect *c = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      attempt_failed (task, error);
      g_object_unref (task);
      return;
    }
  g_input_stream_read_all_async (g_io_stream_get_input_stream (G_IO_STREAM (c->conn)), &c->ack,
                                 1, G_PRIORITY_DEFAULT, c->attempt, on_ack_read, task);
}

static void
on_tcp_connected (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  Connect *c = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  c->conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (c->conn == NULL)
    {
      attempt_failed (task, error);
      g_object_unref (task);
      return;
    }
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (c->conn)),
                                   g_bytes_get_data (c->token, NULL),
                                   g_bytes_get_size (c->token), G_PRIORITY_DEFAULT, c->attempt,
                                   on_token_written, task);
}

static void
try_next (GTask *task)
{
  Connect *c = g_task_get_task_data (task);
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GInetSocketAddress) address = NULL;

  while (!c->timed_out && c->candidates[c->next] != NULL)
    {
      const char *candidate = c->candidates[c->next++];

      address = rh_direct_parse_candidate (candidate, NULL);
      if (address == NULL)
        continue;
      client = g_socket_client_new ();
      g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), c->attempt,
                                     on_tcp_connected, g_object_ref (task));
      return;
    }
  g_task_return_new_error (task, RH_RDP_ERROR, RH_ERROR_RDP_CONNECT,
                           c->timed_out ? "No direct path to the sharer in time"
                                        : "No direct path to the sharer");
}

static gboolean
on_connect_deadline (gpointer user_data)
{
  Connect *c = user_data;

  c->deadline_timer = 0;
  c->timed_out = TRUE;
  g_cancellable_cancel (c->attempt);
  return G_SOURCE_REMOVE;
}

static void
cancel_attempt (GCancellable *parent,
                gpointer      attempt)
{
  g_cancellable_cancel (attempt);
}

void
rh_direct_link_connect_async (const char *const  *candidates,
                              GBytes             *token,
                              guint               timeout_ms,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Connect *c = g_new0 (Connect, 1);

  g_return_if_fail (token != NULL && g_bytes_get_size (token) == RH_DIRECT_TOKEN_LEN);

  c->candidates = g_strdupv ((GStrv) candidates);
  if (c->candidates == NULL)
    c->candidates = g_new0 (char *, 1);
  c->token = g_bytes_ref (token);
  c->attempt = g_cancellable_new ();
  if (cancellable)
    g_cancellable_connect (cancellable, G_CALLBACK (cancel_attempt),
                           g_object_ref (c->attempt), g_object_unref);
  c->deadline_timer = g_timeout_add (timeout_ms, on_connect_deadline, c);
  g_task_set_task_data (task, c, (GDestroyNotify) connect_free);
  try_next (task);
}

RhDirectLink *
rh_direct_link_connect_finish (GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
rh_direct_link_get_socket_path (RhDirectLink *self)
{
  g_return_val_if_fail (RH_IS_DIRECT_LINK (self), NULL);

  return self->socket_path;
}

void
rh_direct_link_close (RhDirectLink *self)
{
  g_return_if_fail (RH_IS_DIRECT_LINK (self));

  g_cancellable_cancel (self->cancellable);
  if (self->service)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);
    }
  if (self->tcp)
    g_io_stream_close (G_IO_STREAM (self->tcp), NULL, NULL);
  if (self->socket_path)
    g_unlink (self->socket_path);
  if (self->dir)
    g_rmdir (self->dir);
}

static void
rh_direct_link_dispose (GObject *object)
{
  RhDirectLink *self = RH_DIRECT_LINK (object);

  rh_direct_link_close (self);
  g_clear_object (&self->tcp);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (rh_direct_link_parent_class)->dispose (object);
}

static void
rh_direct_link_finalize (GObject *object)
{
  RhDirectLink *self = RH_DIRECT_LINK (object);

  g_free (self->dir);
  g_free (self->socket_path);

  G_OBJECT_CLASS (rh_direct_link_parent_class)->finalize (object);
}

static void
rh_direct_link_class_init (RhDirectLinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rh_direct_link_dispose;
  object_class->finalize = rh_direct_link_finalize;

  g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
rh_direct_link_init (RhDirectLink *self)
{
  self->cancellable = g_cancellable_new ();
}
