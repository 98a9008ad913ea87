/* rh-bench-client.c: the measuring end of a screen-sharing benchmark run
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   rh-bench-client rdp    --port N --user U --password P --cert-sha256 HEX   (stock shadow)
 *   rh-bench-client vnc    --port N                                          (x11vnc)
 *   rh-bench-client helper --login L --password-file F --path relay|direct   (ours, helper)
 *   rh-bench-client sharer --login L --password-file F --code C --display :N (ours, sharer)
 * common: --marker fixed|typing --duration S --out FILE.json
 *
 * The receivers (rdp, vnc, helper) record, on the thread that paints the frame buffer, the
 * time of the first full frame, the first arrival of every marker sequence number, and every
 * 100 ms the number of paints and the TCP payload bytes received. After `duration` seconds
 * past the first full frame they write it all as JSON and exit. The sharer writes the time it
 * answered the helper's request ("Allow") and runs until the helper ends the session. The
 * helper and the sharer run the same session code as the app (RhSession), with the viewer's
 * paint hook as the only addition. Times are CLOCK_MONOTONIC microseconds, comparable across
 * the processes of one machine.
 */
#define G_LOG_DOMAIN "rh-bench"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <rfb/rfbclient.h>

#include "rh-bench-marker.h"
#include "rh-bench-net.h"
#include "rh-config.h"
#include "rh-direct-link.h"
#include "rh-error.h"
#include "rh-rdp-viewer.h"
#include "rh-rendezvous-client.h"
#include "rh-session.h"

#define MAX_SAMPLES 100000

typedef struct
{
  /* options */
  const char *kind;
  RhMarkerLayout layout;
  double duration;
  const char *out_path;
  const char *login;
  const char *password;
  const char *code;
  const char *display;
  const char *path;
  const char *user;
  const char *cert_hex;
  int port;

  /* measurements; paint-side fields are written by one thread, read after it stopped or
   * atomically */
  gint64 t_start;
  gint64 t_first_frame;       /* atomic */
  gint64 arrivals[RH_MARKER_SEQ_MASK + 1];
  gint paints;                /* atomic */
  int fixed_x, fixed_y;
  GArray *samples;            /* Sample, main thread */
  gint64 t_allow;
  gint64 t_connected;         /* peers: the TCP connection to the server succeeded */

  GMainLoop *loop;
  RhRendezvousClient *client;
  RhSession *session;
  RhRdpViewer *viewer;
  RhConfig *config;
  GCancellable *cancellable;
  guint end_id;
  int status;
} Bench;

typedef struct
{
  gint64 t;
  gint64 paints;
  guint64 bytes;
} Sample;

static void
scan_markers (Bench        *b,
              const guint8 *frame,
              gsize         stride,
              int           width,
              int           height,
              int           x,
              int           y,
              int           w,
              int           h,
              gint64        now)
{
  if (b->layout == RH_MARKER_FIXED)
    {
      int mx, my, seq;

      rh_marker_position (RH_MARKER_FIXED, width, height, 0, &mx, &my);
      if (mx + RH_MARKER_SIZE <= x || my + RH_MARKER_SIZE <= y || mx >= x + w || my >= y + h)
        return;
      seq = rh_marker_read (frame, stride, width, height, mx, my);
      if (seq > 0 && b->arrivals[seq] == 0)
        b->arrivals[seq] = now;
      return;
    }
  /* Typing: every grid place the painted rectangle touches. */
  for (int gy = 96 + MAX (0, (y - 96 - RH_MARKER_SIZE) / 32) * 32; gy < y + h; gy += 32)
    for (int gx = 32 + MAX (0, (x - 32 - RH_MARKER_SIZE) / 16) * 16; gx < x + w; gx += 16)
      {
        int seq = rh_marker_read (frame, stride, width, height, gx, gy);
        int px, py;

        if (seq <= 0 || b->arrivals[seq] != 0)
          continue;
        rh_marker_position (RH_MARKER_TYPING, width, height, (guint) seq, &px, &py);
        if (px == gx && py == gy)
          b->arrivals[seq] = now;
      }
}

static void
on_paint (const guint8 *frame,
          int           width,
          int           height,
          int           x,
          int           y,
          int           w,
          int           h,
          gboolean      first,
          gpointer      user_data)
{
  Bench *b = user_data;
  gint64 now = g_get_monotonic_time ();

  if (first)
    __atomic_store_n (&b->t_first_frame, now, __ATOMIC_RELEASE);
  g_atomic_int_inc (&b->paints);
  scan_markers (b, frame, (gsize) width * 4, width, height, x, y, w, h, now);
}

static gint64
first_frame_time (Bench *b)
{
  return __atomic_load_n (&b->t_first_frame, __ATOMIC_ACQUIRE);
}

static void
take_sample (Bench *b)
{
  static gboolean announced;
  Sample s = { g_get_monotonic_time (), g_atomic_int_get (&b->paints),
               rh_bench_tcp_bytes_received () };

  if (b->samples->len < MAX_SAMPLES)
    g_array_append_val (b->samples, s);
  /* Tells the driver (bench/bench.py) when to start the workload. */
  if (!announced && first_frame_time (b) != 0)
    {
      announced = TRUE;
      printf ("bench-first-frame: %" G_GINT64_FORMAT "\n", first_frame_time (b));
      fflush (stdout);
    }
}

static gboolean
write_results (Bench   *b,
               GError **error)
{
  GString *s = g_string_new ("{\n");
  gboolean ok;

  g_string_append_printf (s, "  \"kind\": \"%s\",\n", b->kind);
  g_string_append_printf (s, "  \"t_start\": %" G_GINT64_FORMAT ",\n", b->t_start);
  g_string_append_printf (s, "  \"t_first_frame\": %" G_GINT64_FORMAT ",\n",
                          first_frame_time (b));
  g_string_append_printf (s, "  \"t_allow\": %" G_GINT64_FORMAT ",\n", b->t_allow);
  if (b->t_connected == 0)
    b->t_connected = rh_bench_bridge_connected_at ();
  g_string_append_printf (s, "  \"t_connected\": %" G_GINT64_FORMAT ",\n", b->t_connected);
  g_string_append (s, "  \"samples\": [");
  for (guint i = 0; i < b->samples->len; i++)
    {
      Sample *p = &g_array_index (b->samples, Sample, i);

      g_string_append_printf (s, "%s[%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %"
                              G_GUINT64_FORMAT "]", i ? ", " : "", p->t, p->paints, p->bytes);
    }
  g_string_append (s, "],\n  \"arrivals\": [");
  for (guint seq = 0, n = 0; seq <= RH_MARKER_SEQ_MASK; seq++)
    if (b->arrivals[seq] != 0)
      g_string_append_printf (s, "%s[%u, %" G_GINT64_FORMAT "]", n++ ? ", " : "", seq,
                              b->arrivals[seq]);
  g_string_append (s, "]\n}\n");
  ok = g_file_set_contents (b->out_path, s->str, (gssize) s->len, error);
  g_string_free (s, TRUE);
  return ok;
}

/* ---- GLib-driven receivers (rdp, helper) ---- */

static gboolean
on_sample_tick (gpointer user_data)
{
  Bench *b = user_data;

  take_sample (b);
  if (first_frame_time (b) != 0 && b->end_id == 0)
    {
      gint64 end = first_frame_time (b) + (gint64) (b->duration * G_USEC_PER_SEC);
      gint64 now = g_get_monotonic_time ();

      if (now >= end)
        {
          if (b->session)
            rh_session_leave (b->session);
          else
            g_main_loop_quit (b->loop);
          b->end_id = 1;
        }
    }
  return G_SOURCE_CONTINUE;
}

static void
fail (Bench        *b,
      const GError *error)
{
  fprintf (stderr, "rh-bench-client: %s\n", error ? error->message : "failed");
  b->status = 1;
  g_main_loop_quit (b->loop);
}

static void
on_viewer_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Bench *b = user_data;
  g_autoptr(GError) error = NULL;

  if (!rh_rdp_viewer_connect_finish (RH_RDP_VIEWER (source), result, &error))
    fail (b, error);
}

static void
on_viewer_disconnected (RhRdpViewer  *viewer,
                        const GError *error,
                        gpointer      user_data)
{
  Bench *b = user_data;

  if (b->end_id == 0)
    fail (b, error);
}

static int
run_rdp (Bench *b)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("rh-bench-XXXXXX", &error);
  g_autofree char *sock = NULL;
  g_autoptr(GBytes) pin = NULL;
  guint8 digest[32];

  if (dir == NULL || b->cert_hex == NULL || strlen (b->cert_hex) != 64)
    {
      fprintf (stderr, "rh-bench-client rdp: --port, --user, --password, --cert-sha256\n");
      return 2;
    }
  for (int i = 0; i < 32; i++)
    digest[i] = (guint8) (g_ascii_xdigit_value (b->cert_hex[2 * i]) << 4 |
                          g_ascii_xdigit_value (b->cert_hex[2 * i + 1]));
  pin = g_bytes_new (digest, sizeof digest);
  sock = g_build_filename (dir, "rdp.sock", NULL);
  if (!rh_bench_bridge_start (sock, b->port, b->t_start + 30 * G_USEC_PER_SEC, &error))
    {
      fail (b, error);
      return 1;
    }
  b->viewer = rh_rdp_viewer_new (sock, b->user, b->password, pin, RH_RDP_MODE_VIEW);
  rh_rdp_viewer_set_paint_hook (b->viewer, on_paint, b);
  g_signal_connect (b->viewer, "disconnected", G_CALLBACK (on_viewer_disconnected), b);
  rh_rdp_viewer_connect_async (b->viewer, NULL, on_viewer_connected, b);
  g_timeout_add (100, on_sample_tick, b);
  g_main_loop_run (b->loop);
  take_sample (b);
  b->end_id = 1;
  rh_rdp_viewer_disconnect (b->viewer);
  g_clear_object (&b->viewer);
  unlink (sock);
  g_rmdir (dir);
  return b->status;
}

/* ---- ours: helper and sharer ---- */

static void
on_session_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Bench *b = user_data;
  g_autoptr(GError) error = NULL;

  if (!rh_session_run_finish (RH_SESSION (source), result, &error))
    fail (b, error);
  else
    g_main_loop_quit (b->loop);
}

static void
on_viewer_ready (RhSession   *session,
                 RhRdpViewer *viewer,
                 gpointer     user_data)
{
  rh_rdp_viewer_set_paint_hook (viewer, on_paint, user_data);
}

static void
on_status (RhSession  *session,
           const char *key,
           const char *value,
           gpointer    user_data)
{
  printf ("%s: %s\n", key, value);
  fflush (stdout);
}

static void
on_consent_requested (RhSession  *session,
                      const char *mode,
                      gpointer    user_data)
{
  Bench *b = user_data;

  /* The person's click: what "Allow" to first frame is measured from. */
  b->t_allow = g_get_monotonic_time ();
  printf ("allow: %" G_GINT64_FORMAT "\n", b->t_allow);
  fflush (stdout);
  rh_session_answer (session, RH_SESSION_ALLOW_VIEW);
}

static void
on_paired (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Bench *b = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhIdentityCard) card = NULL;
  gboolean helper = !strcmp (b->kind, "helper");
  RhSessionOptions options = { 0 };

  if (helper)
    card = rh_rendezvous_client_wait_for_sharer_finish (b->client, result, &error);
  else
    card = rh_rendezvous_client_redeem_code_finish (b->client, result, &error);
  if (card == NULL)
    {
      fail (b, error);
      return;
    }
  options.requested_mode = RH_RDP_MODE_VIEW;
  options.duration_s = 3600;   /* we leave ourselves once measured */
  options.path = g_strcmp0 (b->path, "direct") == 0 ? RH_SESSION_PATH_DIRECT
                                                     : RH_SESSION_PATH_RELAY;
  options.allow = RH_SESSION_ALLOW_ASK;
  options.display = b->display;
  options.direct_addresses = g_strcmp0 (b->path, "relay") == 0 ? RH_DIRECT_ADDRESSES_OFF
                                                               : RH_DIRECT_ADDRESSES_LOOPBACK;
  b->session = rh_session_new (b->client, b->config, helper, &options);
  g_signal_connect (b->session, "status", G_CALLBACK (on_status), b);
  if (helper)
    g_signal_connect (b->session, "viewer-ready", G_CALLBACK (on_viewer_ready), b);
  else
    g_signal_connect (b->session, "consent-requested", G_CALLBACK (on_consent_requested), b);
  rh_session_run_async (b->session, b->cancellable, on_session_done, b);
}

static void
on_code (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Bench *b = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  gint64 expires = 0;

  code = rh_rendezvous_client_request_code_finish (b->client, result, &expires, &error);
  if (code == NULL)
    {
      fail (b, error);
      return;
    }
  printf ("code: %s\n", code);
  fflush (stdout);
  rh_rendezvous_client_wait_for_sharer_async (b->client, b->cancellable, on_paired, b);
}

static void
on_signed_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Bench *b = user_data;
  g_autoptr(GError) error = NULL;

  if (!rh_rendezvous_client_sign_in_finish (b->client, result, &error))
    {
      fail (b, error);
      return;
    }
  if (!strcmp (b->kind, "helper"))
    rh_rendezvous_client_request_code_async (b->client, b->cancellable, on_code, b);
  else
    rh_rendezvous_client_redeem_code_async (b->client, b->code, b->cancellable, on_paired, b);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Bench *b = user_data;
  g_autoptr(GError) error = NULL;

  if (!rh_rendezvous_client_connect_finish (b->client, result, &error))
    {
      fail (b, error);
      return;
    }
  rh_rendezvous_client_sign_in_async (b->client, b->login, b->password, b->cancellable,
                                      on_signed_in, b);
}

static gboolean
on_give_up (gpointer user_data)
{
  Bench *b = user_data;
  GError error = { RH_PROTOCOL_ERROR, RH_ERROR_TIMEOUT, (char *) "benchmark run timed out" };

  fail (b, &error);
  return G_SOURCE_REMOVE;
}

static int
run_ours (Bench *b)
{
  g_autoptr(GError) error = NULL;

  b->config = rh_config_load (&error);
  if (b->config == NULL || !rh_config_check (b->config, &error))
    {
      fail (b, error);
      return 1;
    }
  b->cancellable = g_cancellable_new ();
  b->client = rh_rendezvous_client_new (b->config->server_url, b->config->server_fingerprint,
                                        b->config->ca_file, b->config->org_key);
  rh_rendezvous_client_connect_async (b->client, b->cancellable, on_connected, b);
  if (!strcmp (b->kind, "helper"))
    g_timeout_add (100, on_sample_tick, b);
  g_timeout_add_seconds ((guint) b->duration + 60, on_give_up, b);
  g_main_loop_run (b->loop);
  take_sample (b);
  b->end_id = 1;
  g_cancellable_cancel (b->cancellable);
  if (b->session)
    g_signal_handlers_disconnect_by_data (b->session, b);
  g_clear_object (&b->session);
  rh_rendezvous_client_disconnect (b->client);
  g_clear_object (&b->client);
  g_clear_object (&b->cancellable);
  rh_config_free (b->config);
  return b->status;
}

/* ---- x11vnc through libvncclient ---- */

typedef struct
{
  Bench *b;
  int x0, y0, x1, y1;      /* damage of the update being received */
  guint8 *covered;         /* 16x16 cells painted since connecting, until the first frame */
  int cols, rows, left;
} VncState;

static VncState vnc_state;

static rfbBool
vnc_resize (rfbClient *client)
{
  size_t size = (size_t) client->width * (size_t) client->height * 4;

  free (client->frameBuffer);
  client->frameBuffer = calloc (1, size);
  client->format.bitsPerPixel = 32;
  vnc_state.cols = (client->width + 15) / 16;
  vnc_state.rows = (client->height + 15) / 16;
  g_free (vnc_state.covered);
  vnc_state.covered = g_malloc0 ((gsize) vnc_state.cols * (gsize) vnc_state.rows);
  vnc_state.left = vnc_state.cols * vnc_state.rows;
  return client->frameBuffer != NULL ? TRUE : FALSE;
}

static void
vnc_got_update (rfbClient *client, int x, int y, int w, int h)
{
  VncState *s = &vnc_state;

  if (s->x1 <= s->x0)
    {
      s->x0 = x, s->y0 = y, s->x1 = x + w, s->y1 = y + h;
    }
  else
    {
      s->x0 = MIN (s->x0, x), s->y0 = MIN (s->y0, y);
      s->x1 = MAX (s->x1, x + w), s->y1 = MAX (s->y1, y + h);
    }
  if (s->left > 0)
    for (int r = MAX (0, y / 16); r < MIN (s->rows, (y + h + 15) / 16); r++)
      for (int c = MAX (0, x / 16); c < MIN (s->cols, (x + w + 15) / 16); c++)
        if (!s->covered[r * s->cols + c])
          {
            s->covered[r * s->cols + c] = 1;
            s->left--;
          }
}

static void
vnc_finished_update (rfbClient *client)
{
  VncState *s = &vnc_state;
  Bench *b = s->b;
  gint64 now = g_get_monotonic_time ();
  gboolean first = FALSE;

  if (s->x1 <= s->x0)
    return;
  if (s->left == 0 && first_frame_time (b) == 0)
    first = TRUE;
  on_paint (client->frameBuffer, client->width, client->height, s->x0, s->y0, s->x1 - s->x0,
            s->y1 - s->y0, first, b);
  (void) now;
  s->x0 = s->x1 = 0;
}

static void
vnc_log_nothing (const char *format, ...)
{
}

static void
vnc_log_error (const char *format, ...)
{
  /* Connection attempts fail while x11vnc starts; those are expected. */
}

static int
run_vnc (Bench *b)
{
  rfbClient *client = NULL;
  gint64 deadline = b->t_start + 30 * G_USEC_PER_SEC;
  gint64 next_sample = 0;
  char *argv[] = { (char *) "rh-bench-client", NULL };
  int argc = 1;

  vnc_state.b = b;
  rfbClientLog = vnc_log_nothing;
  rfbClientErr = vnc_log_error;
  /* x11vnc may still be starting: retry the connection until the deadline. */
  while (g_get_monotonic_time () < deadline)
    {
      client = rfbGetClient (8, 3, 4);
      client->MallocFrameBuffer = vnc_resize;
      client->GotFrameBufferUpdate = vnc_got_update;
      client->FinishedFrameBufferUpdate = vnc_finished_update;
      client->canHandleNewFBSize = TRUE;
      client->serverHost = strdup ("127.0.0.1");
      client->serverPort = b->port;
      /* What a LAN viewer asks for: Tight (lossless zlib for text, JPEG for photos). */
      client->appData.encodingsString = "tight zrle copyrect hextile zlib raw";
      client->appData.compressLevel = 1;
      client->appData.qualityLevel = 8;
      if (rfbInitClient (client, &argc, argv))
        {
          /* Connected and through the RFB handshake (no authentication with -nopw). */
          b->t_connected = g_get_monotonic_time ();
          break;
        }
      /* rfbInitClient frees the client when it fails */
      client = NULL;
      g_usleep (5000);
    }
  if (client == NULL)
    {
      fprintf (stderr, "rh-bench-client: no VNC server on port %d\n", b->port);
      return 1;
    }
  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      int n;

      if (now >= next_sample)
        {
          take_sample (b);
          next_sample = now + 100000;
        }
      if (first_frame_time (b) != 0 &&
          now >= first_frame_time (b) + (gint64) (b->duration * G_USEC_PER_SEC))
        break;
      if (now > deadline + (gint64) (b->duration * G_USEC_PER_SEC))
        {
          fprintf (stderr, "rh-bench-client: no full frame from the VNC server\n");
          b->status = 1;
          break;
        }
      n = WaitForMessage (client, 10000);
      if (n < 0)
        {
          b->status = 1;
          break;
        }
      if (n > 0 && !HandleRFBServerMessage (client))
        {
          b->status = 1;
          break;
        }
    }
  take_sample (b);
  rfbClientCleanup (client);
  return b->status;
}

int
main (int argc, char **argv)
{
  static Bench bench;
  Bench *b = &bench;
  g_autofree char *password = NULL;
  const char *password_file = NULL;
  int status;

  if (argc < 2)
    goto usage;
  b->kind = argv[1];
  b->duration = 5;
  b->layout = RH_MARKER_FIXED;
  for (int i = 2; i < argc; i++)
    {
      const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

      if (v == NULL)
        goto usage;
      i++;
      if (!strcmp (a, "--marker"))
        b->layout = !strcmp (v, "typing") ? RH_MARKER_TYPING : RH_MARKER_FIXED;
      else if (!strcmp (a, "--duration"))
        b->duration = g_ascii_strtod (v, NULL);
      else if (!strcmp (a, "--out"))
        b->out_path = v;
      else if (!strcmp (a, "--login"))
        b->login = v;
      else if (!strcmp (a, "--password-file"))
        password_file = v;
      else if (!strcmp (a, "--code"))
        b->code = v;
      else if (!strcmp (a, "--display"))
        b->display = v;
      else if (!strcmp (a, "--path"))
        b->path = v;
      else if (!strcmp (a, "--port"))
        b->port = atoi (v);
      else if (!strcmp (a, "--user"))
        b->user = v;
      else if (!strcmp (a, "--password"))
        b->password = v;
      else if (!strcmp (a, "--cert-sha256"))
        b->cert_hex = v;
      else
        goto usage;
    }
  if (b->out_path == NULL)
    goto usage;
  if (password_file != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!g_file_get_contents (password_file, &password, NULL, &error))
        {
          fprintf (stderr, "rh-bench-client: %s\n", error->message);
          return 1;
        }
      g_strstrip (password);
      b->password = password;
    }

  b->t_start = g_get_monotonic_time ();
  b->samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  b->loop = g_main_loop_new (NULL, FALSE);
  if (!strcmp (b->kind, "rdp"))
    status = run_rdp (b);
  else if (!strcmp (b->kind, "vnc"))
    status = run_vnc (b);
  else if (!strcmp (b->kind, "helper") || !strcmp (b->kind, "sharer"))
    {
      if (b->login == NULL || b->password == NULL ||
          (!strcmp (b->kind, "sharer") && b->code == NULL))
        goto usage;
      status = run_ours (b);
    }
  else
    goto usage;
  {
    g_autoptr(GError) error = NULL;

    if (!write_results (b, &error))
      {
        fprintf (stderr, "rh-bench-client: %s\n", error->message);
        status = 1;
      }
  }
  g_main_loop_unref (b->loop);
  g_array_unref (b->samples);
  return status;

usage:
  fprintf (stderr, "usage: see the comment at the top of bench/rh-bench-client.c\n");
  return 2;
}
