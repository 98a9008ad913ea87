/* rh-bench-rendezvous.c: load generator for the rendezvous service, on loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   rh-bench-rendezvous --helper-login L --helper-password-file F
 *                       --sharer-login L --sharer-password-file F --server-pid PID
 *                       [--idle N] [--concurrency C] [--pair-seconds S]
 *                       [--relay-sessions N] [--relay-seconds S] [--hold-file F]
 *                       --out FILE.json
 * --hold-file: once the idle connections are up, print "idle-ready" and keep them until F is
 * removed (bench.py runs pairing processes meanwhile). 0 skips a phase.
 * The service and its trust come from the app's configuration (RH_SYSTEM_CONFIG).
 *
 * Phases, each bounded in count and time:
 * 1. Idle: N WSS connections on one lws context (a per-client context, as the app has, would
 *    cost a descriptor table each), each presenting the helper's token once (a "code-cancel"
 *    with nothing to cancel binds the connection to the user: "signed in"), then left idle.
 *    The server's RSS before and after gives the memory per connection.
 * 2. Pairings, while the idle connections stay open: C workers, each pairing a helper and a
 *    sharer end to end with the app's RhRendezvousClient (TLS connections, code, SPAKE2,
 *    verified cards), again and again. The two accounts sign in once (scrypt) and every
 *    further connection reuses the tokens.
 * 3. Relay: one session pumping bytes helper -> sharer through the relay (both ends are
 *    RhRelayClients bridged to local sockets, as in the app), then ping-pong round trips
 *    through it and through a plain loopback TCP connection for comparison, then N sessions
 *    pumping at once.
 * Client and server share the machine's cores: the numbers are what one box does with both.
 */
#define G_LOG_DOMAIN "rh-bench"

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <libwebsockets.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "rh-config.h"
#include "rh-message.h"
#include "rh-relay-client.h"
#include "rh-rendezvous-client.h"

/* ---- shared state ---- */

typedef struct
{
  RhConfig *config;
  const char *helper_login, *sharer_login;
  char *helper_password, *sharer_password;
  char *helper_token, *sharer_token;
  int server_pid;
  int idle_target;
  int concurrency;
  double pair_seconds;
  int relay_sessions;
  double relay_seconds;
  GString *json;
  GMainLoop *loop;
  char *tmpdir;
} Load;

static Load load;

static long
server_rss_kib (void)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", load.server_pid);
  g_autofree char *text = NULL;
  const char *p;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (p = strstr (text, "VmRSS:")) == NULL)
    return -1;
  return strtol (p + 6, NULL, 10);
}

/* CPU seconds of the server, and of this process, so the results can say which side limits. */
static double
server_cpu_s (void)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", load.server_pid);
  g_autofree char *text = NULL;
  char *p;
  unsigned long utime = 0, stime = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (p = strrchr (text, ')')) == NULL)
    return -1;
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
              &stime) != 2)
    return -1;
  return (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
}

static double
own_cpu_s (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double
percentile (GArray *values, double p)
{
  double *v = (double *) (void *) values->data;
  double k;
  guint lo, hi;

  if (values->len == 0)
    return -1;
  k = (values->len - 1) * p / 100.0;
  lo = (guint) k;
  hi = MIN (lo + 1, values->len - 1);
  return v[lo] + (v[hi] - v[lo]) * (k - lo);
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
json_num (const char *key, double value)
{
  g_string_append_printf (load.json, "%s\"%s\": %.6g", load.json->len > 2 ? ",\n " : "", key,
                          value);
}

static void
json_array (const char *key, GArray *values)
{
  g_string_append_printf (load.json, "%s\"%s\": [", load.json->len > 2 ? ",\n " : "", key);
  for (guint i = 0; i < values->len; i++)
    g_string_append_printf (load.json, "%s%.3f", i ? ", " : "",
                            g_array_index (values, double, i));
  g_string_append (load.json, "]");
}

static void
json_str (const char *key, const char *value)
{
  g_autofree char *esc = g_strescape (value, NULL);

  g_string_append_printf (load.json, "%s\"%s\": \"%s\"", load.json->len > 2 ? ",\n " : "",
                          key, esc);
}

/* ---- phase 1: idle signed-in connections on one lws context ---- */

typedef struct
{
  struct lws *wsi;
  int state;          /* 0 unused, 1 connecting, 2 established, 3 signed in, 4 failed */
} IdleConn;

static IdleConn *idle_conns;
static int idle_started, idle_signed, idle_failed, idle_inflight;
static guint8 server_pin[32];
static char *url_host, *url_path;
static int url_port;

static gboolean
pin_matches (struct lws *wsi)
{
  SSL *ssl = lws_get_ssl (wsi);
  X509 *cert = ssl ? SSL_get0_peer_certificate (ssl) : NULL;
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;

  return cert != NULL && X509_digest (cert, EVP_sha256 (), md, &len) && len == 32 &&
         memcmp (md, server_pin, 32) == 0;
}

static int
idle_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
               size_t len)
{
  IdleConn *c = user;

  switch (reason)
    {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
      /* Before the first application byte: the server is the one we pin, or nothing. */
      return pin_matches (wsi) ? 0 : -1;

    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      c->state = 2;
      lws_callback_on_writable (wsi);
      return 0;

    case LWS_CALLBACK_CLIENT_WRITEABLE:
      if (c->state == 2)
        {
          g_autofree char *msg = g_strdup_printf ("{\"type\":\"code-cancel\",\"id\":1,"
                                                  "\"token\":\"%s\"}", load.helper_token);
          size_t n = strlen (msg);
          guchar *buf = g_malloc (LWS_PRE + n);

          memcpy (buf + LWS_PRE, msg, n);
          lws_write (wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
          g_free (buf);
        }
      return 0;

    case LWS_CALLBACK_CLIENT_RECEIVE:
      /* Any reply: the server looked the token up and bound the connection to the user
       * (the reply says there was no code to cancel). */
      if (c->state == 2 && lws_is_final_fragment (wsi))
        {
          c->state = 3;
          idle_signed++;
          idle_inflight--;
        }
      return 0;

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
      if (c != NULL)
        {
          if (c->state == 3)
            idle_signed--;
          else
            idle_inflight--;
          c->state = 4;
          c->wsi = NULL;
          idle_failed++;
        }
      return 0;

    default:
      return 0;
    }
}

static const struct lws_protocols idle_protocols[] = {
  { RH_SUBPROTOCOL, idle_callback, 0, 4096, 0, NULL, 0 },
  { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static struct lws_context *idle_context;

static void
idle_open_one (int i)
{
  struct lws_client_connect_info ci = { 0 };

  ci.context = idle_context;
  ci.address = url_host;
  ci.port = url_port;
  /* Self-signed is accepted by lws here because we check the pin ourselves above. */
  ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
                      LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
  ci.path = url_path;
  ci.host = url_host;
  ci.origin = url_host;
  ci.protocol = RH_SUBPROTOCOL;
  ci.ietf_version_or_minus_one = -1;
  ci.userdata = &idle_conns[i];
  ci.pwsi = &idle_conns[i].wsi;
  idle_conns[i].state = 1;
  idle_inflight++;
  idle_started++;
  if (lws_client_connect_via_info (&ci) == NULL && idle_conns[i].state == 1)
    {
      idle_conns[i].state = 4;
      idle_inflight--;
      idle_failed++;
    }
}

static void
phase_idle (void)
{
  struct lws_context_creation_info info = { 0 };
  gint64 t0, deadline;
  long rss0, rss1;

  if (load.idle_target <= 0)
    return;
  lws_set_log_level (LLL_ERR, NULL);
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = idle_protocols;
  info.fd_limit_per_thread = (unsigned int) load.idle_target + 64;
  info.timeout_secs = 30;
  info.connect_timeout_secs = 30;
  idle_context = lws_create_context (&info);
  if (idle_context == NULL)
    {
      json_str ("idle_error", "could not create the lws context");
      return;
    }
  idle_conns = g_new0 (IdleConn, load.idle_target);
  rss0 = server_rss_kib ();
  t0 = g_get_monotonic_time ();
  deadline = t0 + 180 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      /* At most 64 handshakes in flight: the server's TLS handshakes are the bottleneck. */
      while (idle_started < load.idle_target && idle_inflight < 64)
        idle_open_one (idle_started);
      if (idle_started >= load.idle_target && idle_inflight <= 0)
        break;
      lws_service (idle_context, 0);
    }
  /* Let the server settle, then read its memory with everything idle. */
  g_usleep (G_USEC_PER_SEC);
  rss1 = server_rss_kib ();
  fprintf (stderr, "idle: %d signed in, %d failed, %.1f s; server RSS %ld -> %ld KiB\n",
           idle_signed, idle_failed, (g_get_monotonic_time () - t0) / 1e6, rss0, rss1);
  json_num ("idle_target", load.idle_target);
  json_num ("idle_signed_in", idle_signed);
  json_num ("idle_failed", idle_failed);
  json_num ("idle_setup_seconds", (g_get_monotonic_time () - t0) / 1e6);
  json_num ("server_rss_before_kib", rss0);
  json_num ("server_rss_idle_kib", rss1);
  if (idle_signed > 0 && rss0 > 0 && rss1 > 0)
    json_num ("server_kib_per_idle_connection", (double) (rss1 - rss0) / idle_signed);
}

static void
idle_close_all (void)
{
  if (idle_context != NULL)
    lws_context_destroy (idle_context);
  idle_context = NULL;
  g_clear_pointer (&idle_conns, g_free);
}

/* ---- sign-in once per account ---- */

typedef struct
{
  RhRendezvousClient *client;
  const char *login;
  const char *password;
  char **token_out;
  gboolean done;
  GError *error;
} SignIn;

static void
sign_in_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SignIn *s = user_data;

  if (rh_rendezvous_client_sign_in_finish (s->client, result, &s->error))
    *s->token_out = g_strdup (rh_rendezvous_client_get_token (s->client));
  s->done = TRUE;
}

static void
sign_in_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SignIn *s = user_data;

  if (!rh_rendezvous_client_connect_finish (s->client, result, &s->error))
    s->done = TRUE;
  else
    rh_rendezvous_client_sign_in_async (s->client, s->login, s->password, NULL, sign_in_done, s);
}

static RhRendezvousClient *
new_client (void)
{
  return rh_rendezvous_client_new (load.config->server_url, load.config->server_fingerprint,
                                   load.config->ca_file, load.config->org_key);
}

static gboolean
sign_in (const char *login, const char *password, char **token)
{
  SignIn s = { new_client (), login, password, token, FALSE, NULL };

  rh_rendezvous_client_connect_async (s.client, NULL, sign_in_connected, &s);
  while (!s.done)
    g_main_context_iteration (NULL, TRUE);
  /* The token stays valid after this connection goes (it is reused by the others). */
  g_object_unref (s.client);
  if (s.error != NULL)
    {
      fprintf (stderr, "sign-in as %s: %s\n", login, s.error->message);
      g_error_free (s.error);
      return FALSE;
    }
  return TRUE;
}

/* ---- phase 2 (and set-up of 3): pairings ---- */

typedef struct _Pair Pair;
typedef void (*PairDone) (Pair *pair, gboolean ok);

struct _Pair
{
  RhRendezvousClient *helper;
  RhRendezvousClient *sharer;
  int pending;           /* connects / completions outstanding */
  gboolean failed;
  gint64 t_start;        /* the helper starts connecting */
  gint64 t_redeem;       /* the sharer sends the code */
  gint64 t_paired;
  char *code;
  PairDone done;
  gpointer data;
};

static void pair_step (Pair *pair);

/* TLS connects of this process, one at a time: with several handshakes in flight on one
 * thread, libwebsockets 4.1.6 fails some of them with "connect SSL err 1" (OpenSSL's error
 * queue is per thread and shared by every context). The server side is not limited by this. */
typedef struct
{
  RhRendezvousClient *client;
  GAsyncReadyCallback callback;
  gpointer data;
} PendingConnect;

static GQueue connect_queue = G_QUEUE_INIT;
static int max_connecting = 1;
static int n_connecting;

static void gate_next (void);

static void
gate_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PendingConnect *pc = user_data;

  n_connecting--;
  pc->callback (source, result, pc->data);
  g_object_unref (pc->client);
  g_free (pc);
  gate_next ();
}

static void
gate_next (void)
{
  while (n_connecting < max_connecting && !g_queue_is_empty (&connect_queue))
    {
      PendingConnect *pc = g_queue_pop_head (&connect_queue);

      n_connecting++;
      rh_rendezvous_client_connect_async (pc->client, NULL, gate_done, pc);
    }
}

static void
gated_connect (RhRendezvousClient *client, GAsyncReadyCallback callback, gpointer data)
{
  PendingConnect *pc = g_new0 (PendingConnect, 1);

  pc->client = g_object_ref (client);
  pc->callback = callback;
  pc->data = data;
  g_queue_push_tail (&connect_queue, pc);
  gate_next ();
}

static void
pair_fail (Pair *pair, GError *error)
{
  static int reported;

  if (error != NULL && reported++ < 5)
    fprintf (stderr, "pairing: %s\n", error->message);
  g_clear_error (&error);
  if (!pair->failed)
    {
      pair->failed = TRUE;
      pair->done (pair, FALSE);
    }
}

static void
pair_paired_part (Pair *pair)
{
  if (--pair->pending == 0 && !pair->failed)
    {
      pair->t_paired = g_get_monotonic_time ();
      pair->done (pair, TRUE);
    }
}

static void
on_helper_paired (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pair *pair = user_data;
  GError *error = NULL;
  RhIdentityCard *card = rh_rendezvous_client_wait_for_sharer_finish (RH_RENDEZVOUS_CLIENT (source),
                                                                      result, &error);
  if (card == NULL)
    {
      pair_fail (pair, error);
      return;
    }
  rh_identity_card_free (card);
  pair_paired_part (pair);
}

static void
on_sharer_paired (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pair *pair = user_data;
  GError *error = NULL;
  RhIdentityCard *card = rh_rendezvous_client_redeem_code_finish (RH_RENDEZVOUS_CLIENT (source),
                                                                  result, &error);
  if (card == NULL)
    {
      pair_fail (pair, error);
      return;
    }
  rh_identity_card_free (card);
  pair_paired_part (pair);
}

static void
on_sharer_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pair *pair = user_data;
  GError *error = NULL;

  if (!rh_rendezvous_client_connect_finish (pair->sharer, result, &error))
    {
      pair_fail (pair, error);
      return;
    }
  pair->t_redeem = g_get_monotonic_time ();
  pair->pending = 2;
  rh_rendezvous_client_wait_for_sharer_async (pair->helper, NULL, on_helper_paired, pair);
  rh_rendezvous_client_redeem_code_async (pair->sharer, pair->code, NULL, on_sharer_paired,
                                          pair);
}

static void
on_code (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pair *pair = user_data;
  GError *error = NULL;

  pair->code = rh_rendezvous_client_request_code_finish (pair->helper, result, NULL, &error);
  if (pair->code == NULL)
    {
      pair_fail (pair, error);
      return;
    }
  pair->sharer = new_client ();
  rh_rendezvous_client_set_token (pair->sharer, load.sharer_login, load.sharer_token);
  gated_connect (pair->sharer, on_sharer_connected, pair);
}

static void
on_helper_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pair *pair = user_data;
  GError *error = NULL;

  if (!rh_rendezvous_client_connect_finish (pair->helper, result, &error))
    {
      pair_fail (pair, error);
      return;
    }
  rh_rendezvous_client_request_code_async (pair->helper, NULL, on_code, pair);
}

static void
pair_step (Pair *pair)
{
  pair->failed = FALSE;
  pair->t_start = g_get_monotonic_time ();
  pair->helper = new_client ();
  rh_rendezvous_client_set_token (pair->helper, load.helper_login, load.helper_token);
  gated_connect (pair->helper, on_helper_connected, pair);
}

static GPtrArray *graveyard;

static void
pair_clear (Pair *pair)
{
  if (pair->helper)
    rh_rendezvous_client_leave (pair->helper, "done");
  if (graveyard == NULL)
    graveyard = g_ptr_array_new_with_free_func (g_object_unref);
  if (pair->helper)
    g_ptr_array_add (graveyard, g_steal_pointer (&pair->helper));
  if (pair->sharer)
    g_ptr_array_add (graveyard, g_steal_pointer (&pair->sharer));
  g_clear_pointer (&pair->code, g_free);
  /* Closing a TLS connection can leave an error in this thread's OpenSSL queue, and
   * libwebsockets 4.1.6 reads the queue (SSL_get_error) during other connections' handshakes,
   * which then fail with "SSL err 1". Many clients on one thread make it likely. */
  ERR_clear_error ();
}

typedef struct
{
  gint64 end;
  int running;
  int ok, failed;
  GArray *pair_ms;     /* code redeemed -> both sides paired */
  GArray *total_ms;    /* helper connects -> both sides paired (two TLS connections) */
} PairRun;

static PairRun pair_run;

static gboolean
pair_restart (gpointer data)
{
  pair_step (data);
  return G_SOURCE_REMOVE;
}

static void
on_pair_loop_done (Pair *pair, gboolean ok)
{
  if (ok)
    {
      double a = (pair->t_paired - pair->t_redeem) / 1000.0;
      double b = (pair->t_paired - pair->t_start) / 1000.0;

      pair_run.ok++;
      g_array_append_val (pair_run.pair_ms, a);
      g_array_append_val (pair_run.total_ms, b);
    }
  else
    pair_run.failed++;
  /* Not from inside the client's callback: its references go in an idle. */
  pair_clear (pair);
  if (g_get_monotonic_time () < pair_run.end && pair_run.failed < 50)
    g_idle_add (pair_restart, pair);
  else if (--pair_run.running == 0)
    g_main_loop_quit (load.loop);
}

static void
phase_pairings (void)
{
  Pair *pairs = g_new0 (Pair, load.concurrency);
  gint64 t0 = g_get_monotonic_time ();
  double secs;
  double scpu0 = server_cpu_s (), ocpu0 = own_cpu_s ();

  if (load.pair_seconds <= 0)
    {
      g_free (pairs);
      return;
    }

  pair_run.pair_ms = g_array_new (FALSE, FALSE, sizeof (double));
  pair_run.total_ms = g_array_new (FALSE, FALSE, sizeof (double));
  pair_run.end = t0 + (gint64) (load.pair_seconds * G_USEC_PER_SEC);
  pair_run.running = load.concurrency;
  for (int i = 0; i < load.concurrency; i++)
    {
      pairs[i].done = on_pair_loop_done;
      pair_step (&pairs[i]);
    }
  g_main_loop_run (load.loop);
  secs = (g_get_monotonic_time () - t0) / 1e6;
  json_num ("pairing_server_cpu_cores", (server_cpu_s () - scpu0) / secs);
  json_num ("pairing_generator_cpu_cores", (own_cpu_s () - ocpu0) / secs);
  g_array_sort (pair_run.pair_ms, cmp_double);
  g_array_sort (pair_run.total_ms, cmp_double);
  fprintf (stderr, "pairings: %d ok, %d failed in %.1f s (%.1f/s), p50 %.1f ms p99 %.1f ms\n",
           pair_run.ok, pair_run.failed, secs, pair_run.ok / secs,
           percentile (pair_run.pair_ms, 50), percentile (pair_run.pair_ms, 99));
  json_num ("pair_concurrency", load.concurrency);
  json_num ("pairings_ok", pair_run.ok);
  json_num ("pairings_failed", pair_run.failed);
  json_num ("pairings_per_second", pair_run.ok / secs);
  json_num ("pairing_p50_ms", percentile (pair_run.pair_ms, 50));
  json_num ("pairing_p99_ms", percentile (pair_run.pair_ms, 99));
  json_num ("pairing_with_connects_p50_ms", percentile (pair_run.total_ms, 50));
  json_num ("pairing_with_connects_p99_ms", percentile (pair_run.total_ms, 99));
  json_num ("pairing_seconds", secs);
  json_array ("pairing_ms", pair_run.pair_ms);
  json_array ("pairing_with_connects_ms", pair_run.total_ms);
  g_free (pairs);
}

/* ---- phase 3: relay ---- */

typedef struct
{
  Pair pair;
  RhRelayClient *helper_relay;
  RhRelayClient *sharer_relay;
  char *sink_path;
  int sink_listen;
  gboolean ready_helper, ready_sharer;
  int ready_count;       /* shared counter target */
  /* pump */
  GThread *source_thread, *sink_thread;
  gint64 stop_at;
  guint64 bytes;         /* atomic-ish: written by the sink thread, read after join */
  gboolean ping;         /* ping-pong instead of a one-way pump */
  gint source_done;      /* atomic: the source thread returned, joining cannot block */
  GArray *rtt_us;
} Session;

static int sessions_ready, sessions_failed;
static gboolean closing;

static int
listen_unix (const char *path)
{
  struct sockaddr_un sun = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_strlcpy (sun.sun_path, path, sizeof sun.sun_path);
  if (fd < 0 || bind (fd, (struct sockaddr *) &sun, sizeof sun) < 0 || listen (fd, 4) < 0)
    return -1;
  return fd;
}

static int
connect_unix (const char *path)
{
  struct sockaddr_un sun = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_strlcpy (sun.sun_path, path, sizeof sun.sun_path);
  if (connect (fd, (struct sockaddr *) &sun, sizeof sun) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

static gboolean
read_full (int fd, char *buf, size_t n)
{
  for (size_t off = 0; off < n;)
    {
      ssize_t r = read (fd, buf + off, n - off);

      if (r <= 0)
        return FALSE;
      off += (size_t) r;
    }
  return TRUE;
}

/* The sharer's end: what the RDP server would be. Counts, or echoes for ping-pong. */
static gpointer
sink_thread (gpointer data)
{
  Session *s = data;
  int fd = accept (s->sink_listen, NULL, NULL);
  char buf[65536];

  if (fd < 0)
    return NULL;
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);

      if (n <= 0)
        break;
      s->bytes += (guint64) n;
      if (s->ping && write (fd, buf, (size_t) n) != n)
        break;
    }
  close (fd);
  return NULL;
}

static void
ping_pong (int fd, GArray *rtt_us, int count)
{
  char msg[64] = { 0 };

  for (int i = 0; i < count; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double us;

      if (write (fd, msg, sizeof msg) != sizeof msg || !read_full (fd, msg, sizeof msg))
        break;
      us = (double) (g_get_monotonic_time () - t0);
      g_array_append_val (rtt_us, us);
    }
}

/* The helper's end: what the RDP client would be. */
static gpointer
source_thread (gpointer data)
{
  Session *s = data;
  int fd = connect_unix (rh_relay_client_get_socket_path (s->helper_relay));
  char *buf;

  if (fd < 0)
    goto out;
  if (s->ping)
    {
      ping_pong (fd, s->rtt_us, 2000);
      close (fd);
      goto out;
    }
  buf = g_malloc0 (65536);
  while (g_get_monotonic_time () < s->stop_at)
    if (write (fd, buf, 65536) <= 0)
      break;
  g_free (buf);
  shutdown (fd, SHUT_WR);
  close (fd);
out:
  /* The main loop must keep serving the relay until here: a write above can wait for it. */
  g_atomic_int_set (&s->source_done, 1);
  return NULL;
}

static void
on_relay_ready (RhRelayClient *relay, gpointer user_data)
{
  Session *s = user_data;

  if (relay == s->helper_relay)
    s->ready_helper = TRUE;
  else
    s->ready_sharer = TRUE;
  if (s->ready_helper && s->ready_sharer)
    sessions_ready++;
}

static void
on_relay_closed (RhRelayClient *relay, const GError *error, gpointer user_data)
{
  if (error != NULL && !closing)
    {
      static int reported;

      if (reported++ < 5)
        fprintf (stderr, "relay closed: %s\n", error->message);
    }
}

static void
on_session_paired (Pair *pair, gboolean ok)
{
  Session *s = (Session *) pair;
  guint8 relay_id[RH_RELAY_ID_LEN];
  g_autoptr(GError) error = NULL;
  RhRendezvousClient *sides[2] = { pair->helper, pair->sharer };
  RhRelayClient **relays[2] = { &s->helper_relay, &s->sharer_relay };

  if (!ok)
    {
      sessions_failed++;
      return;
    }
  for (int i = 0; i < 2; i++)
    {
      if (!rh_rendezvous_client_get_relay_id (sides[i], relay_id))
        {
          sessions_failed++;
          return;
        }
      *relays[i] = rh_relay_client_new (load.config->server_url,
                                        load.config->server_fingerprint, load.config->ca_file,
                                        rh_rendezvous_client_get_token (sides[i]),
                                        rh_rendezvous_client_get_pairing_id (sides[i]),
                                        relay_id);
      g_signal_connect (*relays[i], "ready", G_CALLBACK (on_relay_ready), s);
      g_signal_connect (*relays[i], "closed", G_CALLBACK (on_relay_closed), s);
    }
  if (!rh_relay_client_start (s->sharer_relay, RH_RELAY_MODE_CONNECT, s->sink_path, &error) ||
      !rh_relay_client_start (s->helper_relay, RH_RELAY_MODE_LISTEN, NULL, &error))
    {
      fprintf (stderr, "relay: %s\n", error->message);
      sessions_failed++;
    }
}

/* A tick so that blocking main-context iterations come back to check the time. */
static gboolean
on_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
wait_until (gboolean (*cond) (gpointer), gpointer data, double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  guint tick = g_timeout_add (5, on_tick, NULL);
  gboolean ok = TRUE;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        {
          ok = FALSE;
          break;
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
  return ok;
}

static int want_sessions;

static gboolean
all_sessions_settled (gpointer data)
{
  return sessions_ready + sessions_failed >= want_sessions;
}

typedef struct
{
  Session *sessions;
  int n;
} Threads;

static gboolean
threads_done (gpointer data)
{
  Threads *t = data;

  for (int i = 0; i < t->n; i++)
    {
      Session *s = &t->sessions[i];

      if (s->source_thread != NULL)
        return FALSE;
    }
  return TRUE;
}

static Session *
open_sessions (int n)
{
  Session *sessions = g_new0 (Session, n);

  sessions_ready = sessions_failed = 0;
  /* One after the other: the relay clients' TLS connects are not gated like the pairings'
   * (see gated_connect), and opening is not what is measured here. */
  for (int i = 0; i < n; i++)
    {
      Session *s = &sessions[i];

      s->sink_path = g_strdup_printf ("%s/sink-%d.sock", load.tmpdir, i);
      s->sink_listen = listen_unix (s->sink_path);
      s->pair.done = on_session_paired;
      s->rtt_us = g_array_new (FALSE, FALSE, sizeof (double));
      want_sessions = i + 1;
      pair_step (&s->pair);
      wait_until (all_sessions_settled, NULL, 30);
    }
  return sessions;
}

static void
close_sessions (Session *sessions, int n)
{
  closing = TRUE;
  for (int i = 0; i < n; i++)
    {
      Session *s = &sessions[i];

      if (s->helper_relay)
        rh_relay_client_close (s->helper_relay);
      if (s->sharer_relay)
        rh_relay_client_close (s->sharer_relay);
    }
  /* Let the closes go out. */
  for (gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC / 2; g_get_monotonic_time () < end;)
    g_main_context_iteration (NULL, FALSE);
  for (int i = 0; i < n; i++)
    {
      Session *s = &sessions[i];

      if (s->sink_thread)
        g_thread_join (s->sink_thread);
      g_clear_object (&s->helper_relay);
      g_clear_object (&s->sharer_relay);
      pair_clear (&s->pair);
      close (s->sink_listen);
      g_unlink (s->sink_path);
      g_free (s->sink_path);
      g_array_unref (s->rtt_us);
    }
  for (gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC / 2; g_get_monotonic_time () < end;)
    g_main_context_iteration (NULL, FALSE);
  g_free (sessions);
  closing = FALSE;
}

/* Runs the pumps (or ping-pongs) of every ready session while the main loop serves the relay
 * clients; the source threads are joined from the loop as they finish. */
static double
pump (Session *sessions, int n, gboolean ping, double seconds)
{
  Threads t = { sessions, n };
  gint64 t0 = g_get_monotonic_time ();
  guint64 total = 0;

  for (int i = 0; i < n; i++)
    {
      Session *s = &sessions[i];

      if (!(s->ready_helper && s->ready_sharer))
        continue;
      s->ping = ping;
      s->stop_at = t0 + (gint64) (seconds * G_USEC_PER_SEC);
      s->sink_thread = g_thread_new ("sink", sink_thread, s);
      s->source_thread = g_thread_new ("source", source_thread, s);
    }
  guint tick = g_timeout_add (5, on_tick, NULL);

  while (!threads_done (&t))
    {
      /* Blocking: a busy loop here would take CPU from the relay being measured. */
      g_main_context_iteration (NULL, TRUE);
      for (int i = 0; i < n; i++)
        {
          Session *s = &sessions[i];

          if (s->source_thread != NULL && g_atomic_int_get (&s->source_done))
            {
              g_thread_join (s->source_thread);
              s->source_thread = NULL;
            }
        }
      if (g_get_monotonic_time () > t0 + (gint64) ((seconds + 30) * G_USEC_PER_SEC))
        break;
    }
  g_source_remove (tick);
  closing = TRUE;   /* a source that finished closes its relay: not an error */
  /* Drain: what was written but not yet relayed arrives now. */
  for (gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC / 2; g_get_monotonic_time () < end;)
    g_main_context_iteration (NULL, FALSE);
  for (int i = 0; i < n; i++)
    total += sessions[i].bytes;
  return total * 8.0 / ((g_get_monotonic_time () - t0 - G_USEC_PER_SEC / 2) / 1e6);
}

/* The comparison for the relay's added latency: the same ping-pong over loopback TCP. */
static gpointer
tcp_echo_thread (gpointer data)
{
  int lfd = GPOINTER_TO_INT (data);
  int fd = accept (lfd, NULL, NULL);
  char buf[4096];

  if (fd >= 0)
    {
      int one = 1;
      ssize_t n;

      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      while ((n = read (fd, buf, sizeof buf)) > 0)
        if (write (fd, buf, (size_t) n) != n)
          break;
      close (fd);
    }
  return NULL;
}

static void
direct_rtt (GArray *rtt_us)
{
  struct sockaddr_in sin = { .sin_family = AF_INET };
  socklen_t len = sizeof sin;
  int lfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), fd, one = 1;
  GThread *echo;

  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (bind (lfd, (struct sockaddr *) &sin, sizeof sin) < 0 || listen (lfd, 1) < 0 ||
      getsockname (lfd, (struct sockaddr *) &sin, &len) < 0)
    return;
  echo = g_thread_new ("echo", tcp_echo_thread, GINT_TO_POINTER (lfd));
  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect (fd, (struct sockaddr *) &sin, sizeof sin) == 0)
    ping_pong (fd, rtt_us, 2000);
  close (fd);
  g_thread_join (echo);
  close (lfd);
}

static void
phase_relay (void)
{
  Session *one;
  Session *many;
  GArray *direct = g_array_new (FALSE, FALSE, sizeof (double));
  double bps;

  if (load.relay_sessions <= 0)
    return;
  one = open_sessions (1);
  if (sessions_ready == 1)
    {
      double scpu0 = server_cpu_s (), ocpu0 = own_cpu_s ();
      gint64 t0 = g_get_monotonic_time ();

      bps = pump (one, 1, FALSE, load.relay_seconds);
      json_num ("relay_server_cpu_cores",
                (server_cpu_s () - scpu0) / ((g_get_monotonic_time () - t0) / 1e6));
      json_num ("relay_generator_cpu_cores",
                (own_cpu_s () - ocpu0) / ((g_get_monotonic_time () - t0) / 1e6));
      fprintf (stderr, "relay, one session: %.2f Gbit/s\n", bps / 1e9);
      json_num ("relay_one_session_gbit_s", bps / 1e9);
    }
  close_sessions (one, 1);

  one = open_sessions (1);
  if (sessions_ready == 1)
    {
      pump (one, 1, TRUE, 30);
      direct_rtt (direct);
      g_array_sort (one[0].rtt_us, cmp_double);
      g_array_sort (direct, cmp_double);
      fprintf (stderr, "round trip 64 B: relay p50 %.0f us, loopback TCP p50 %.0f us\n",
               percentile (one[0].rtt_us, 50), percentile (direct, 50));
      json_num ("relay_rtt_p50_us", percentile (one[0].rtt_us, 50));
      json_num ("relay_rtt_p99_us", percentile (one[0].rtt_us, 99));
      json_num ("direct_tcp_rtt_p50_us", percentile (direct, 50));
      json_num ("direct_tcp_rtt_p99_us", percentile (direct, 99));
      json_num ("relay_added_one_way_p50_us",
                (percentile (one[0].rtt_us, 50) - percentile (direct, 50)) / 2);
    }
  close_sessions (one, 1);
  g_array_unref (direct);

  many = open_sessions (load.relay_sessions);
  fprintf (stderr, "relay: %d of %d sessions ready\n", sessions_ready, load.relay_sessions);
  json_num ("relay_sessions_target", load.relay_sessions);
  json_num ("relay_sessions_ready", sessions_ready);
  if (sessions_ready > 0)
    {
      bps = pump (many, load.relay_sessions, FALSE, load.relay_seconds);
      fprintf (stderr, "relay, %d sessions: %.2f Gbit/s total\n", sessions_ready, bps / 1e9);
      json_num ("relay_many_sessions_gbit_s", bps / 1e9);
    }
  close_sessions (many, load.relay_sessions);
}

static gint hold_released;

/* lws_service() sleeps until lws has something to do: wake it when the hold is over. */
static gpointer
hold_watcher (gpointer data)
{
  const char *hold_file = data;

  while (g_file_test (hold_file, G_FILE_TEST_EXISTS))
    g_usleep (100000);
  g_atomic_int_set (&hold_released, 1);
  if (idle_context != NULL)
    lws_cancel_service (idle_context);
  return NULL;
}

/* ---- main ---- */

static char *
read_password (const char *path)
{
  char *text = NULL;

  if (path == NULL || !g_file_get_contents (path, &text, NULL, NULL))
    {
      fprintf (stderr, "cannot read the password file %s\n", path ? path : "(none)");
      exit (2);
    }
  return g_strstrip (text);
}

static gboolean
parse_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "wss") != 0)
    return FALSE;
  url_host = g_strdup (g_uri_get_host (uri));
  url_port = g_uri_get_port (uri);
  url_path = g_strdup (*g_uri_get_path (uri) ? g_uri_get_path (uri) : "/");
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  const char *out = NULL, *helper_pw = NULL, *sharer_pw = NULL, *hold_file = NULL;
  struct rlimit rl;

  load.idle_target = 1000;
  load.concurrency = 16;
  load.pair_seconds = 10;
  load.relay_sessions = 100;
  load.relay_seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2)
    {
      const char *a = argv[i], *v = argv[i + 1];

      if (!strcmp (a, "--helper-login"))
        load.helper_login = v;
      else if (!strcmp (a, "--helper-password-file"))
        helper_pw = v;
      else if (!strcmp (a, "--sharer-login"))
        load.sharer_login = v;
      else if (!strcmp (a, "--sharer-password-file"))
        sharer_pw = v;
      else if (!strcmp (a, "--server-pid"))
        load.server_pid = atoi (v);
      else if (!strcmp (a, "--idle"))
        load.idle_target = atoi (v);
      else if (!strcmp (a, "--concurrency"))
        load.concurrency = MAX (1, atoi (v));
      else if (!strcmp (a, "--pair-seconds"))
        load.pair_seconds = g_ascii_strtod (v, NULL);
      else if (!strcmp (a, "--relay-sessions"))
        load.relay_sessions = atoi (v);
      else if (!strcmp (a, "--relay-seconds"))
        load.relay_seconds = g_ascii_strtod (v, NULL);
      else if (!strcmp (a, "--out"))
        out = v;
      else if (!strcmp (a, "--hold-file"))
        hold_file = v;
      else
        {
          fprintf (stderr, "unknown option %s; see the comment at the top of %s\n", a,
                   __FILE__);
          return 2;
        }
    }
  if (out == NULL || load.helper_login == NULL || load.sharer_login == NULL ||
      load.server_pid <= 0)
    {
      fprintf (stderr, "usage: see the comment at the top of bench/rh-bench-rendezvous.c\n");
      return 2;
    }
  load.helper_password = read_password (helper_pw);
  load.sharer_password = read_password (sharer_pw);

  /* One descriptor per idle connection, and the relay's sockets. */
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
      if ((rlim_t) load.idle_target + 1000 > rl.rlim_cur)
        {
          fprintf (stderr, "RLIMIT_NOFILE %lu: only %lu idle connections\n",
                   (unsigned long) rl.rlim_cur, (unsigned long) rl.rlim_cur - 1000);
          load.idle_target = (int) rl.rlim_cur - 1000;
        }
    }

  load.config = rh_config_load (&error);
  if (load.config == NULL || !rh_config_check (load.config, &error) ||
      load.config->server_fingerprint == NULL || !parse_url (load.config->server_url))
    {
      fprintf (stderr, "configuration: %s\n",
               error ? error->message : "needs a wss:// server and a pinned fingerprint");
      return 1;
    }
  memcpy (server_pin, g_bytes_get_data (load.config->server_fingerprint, NULL), 32);
  load.loop = g_main_loop_new (NULL, FALSE);
  load.tmpdir = g_dir_make_tmp ("rh-bench-load-XXXXXX", &error);
  load.json = g_string_new ("{ ");

  if (!sign_in (load.helper_login, load.helper_password, &load.helper_token) ||
      !sign_in (load.sharer_login, load.sharer_password, &load.sharer_token))
    return 1;

  phase_idle ();
  if (hold_file != NULL)
    {
      /* Other processes pair while this one holds the idle connections, and keeps serving
       * them: the server pings a connection after 30 s without traffic and drops it when no
       * pong comes within 60 s. */
      int held = idle_signed;
      GThread *watcher;

      printf ("idle-ready\n");
      fflush (stdout);
      watcher = g_thread_new ("hold", hold_watcher, (gpointer) hold_file);
      while (!g_atomic_int_get (&hold_released))
        lws_service (idle_context, 0);
      g_thread_join (watcher);
      json_num ("idle_held_until_the_end", idle_signed);
      fprintf (stderr, "idle: %d of %d still signed in at the end\n", idle_signed, held);
    }
  phase_pairings ();
  json_num ("server_rss_after_pairings_kib", server_rss_kib ());
  idle_close_all ();
  phase_relay ();

  g_string_append (load.json, "\n}\n");
  if (!g_file_set_contents (out, load.json->str, -1, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  g_rmdir (load.tmpdir);
  return 0;
}
