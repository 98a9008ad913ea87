/* rh-session.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here travels inside the PAKE-encrypted peer channel: the helper asks for a mode,
 * the sharer answers (never automatically: the answer is the person's, passed in), and only
 * then starts its RDP server and sends the certificate fingerprint and one-time credentials
 * the helper's viewer needs. The RDP stream itself goes through the blind relay, with its own
 * TLS end to end; the viewer pins the fingerprint it received here.
 */
#define G_LOG_DOMAIN "rh-app"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "rh-direct-link.h"
#include "rh-elevation.h"
#include "rh-error.h"
#include "rh-message.h"
#include "rh-rdp-viewer.h"
#include "rh-relay-client.h"
#include "rh-laser-overlay.h"
#include "rh-auth-prompt-watch.h"
#include "rh-monitor-list.h"
#include "rh-session.h"

struct _RhSession
{
  GObject             parent_instance;

  RhRendezvousClient *client;
  RhConfig           *config;
  gboolean            is_helper;
  RhSessionOptions    options;
  char               *snapshot_path;
  char               *type_text;
  char               *display;

  GTask              *task;
  gboolean            answered;
  gboolean            upgrading;   /* a request for control after the start is open */
  RhRdpMode           mode;
  RhRdpMode           requested;
  RhRdpSharer        *sharer;
  RhRdpViewer        *viewer;
  RhRelayClient      *relay;
  RhDirectListener   *listener;
  RhDirectLink       *link;
  GCancellable       *cancellable;
  /* What the sharer's offer said, until the path is chosen. */
  GBytes             *cert;
  char               *rdp_user;
  char               *rdp_password;
  guint               consent_timer;
  guint               duration_timer;
  GPtrArray          *chat;        /* RhChatMessage, the thread as the service delivered it */
  /* Laser pointer: the helper sends at most LASER_HZ positions a second, the newest one. */
  RhLaserOverlay     *laser;       /* sharer, created on the first position */
  gboolean            laser_failed;
  gboolean            laser_pending;
  double              laser_x;
  double              laser_y;
  guint               laser_timer;
  guint               laser_demo_timer;   /* headless --laser */
  guint               laser_demo_ticks;
  /* Administrator access. Sharer: */
  RhElevation        *elevation;          /* created at the first grant (or by a test) */
  GPtrArray          *elevated_menu;      /* RhElevatedTool offered to the helper */
  gboolean            elevation_asking;   /* the person is being asked */
  gboolean            elevation_reporting; /* waiting for the service to record the grant */
  guint               elevation_timer;
  gint64              last_tool_start;    /* monotonic µs */
  gboolean            elevation_ending;   /* the end of a granted session is running */
  GError             *end_error;          /* what finish() was called with meanwhile */
  char               *end_reason;
  /* Both: */
  gboolean            elevation_granted;
  RhElevatedEnd       elevated_end;
  /* Helper: */
  gboolean            elevation_requesting;
  GStrv               elevated_tools;
  char               *elevated_tool;      /* headless: start this once granted */
  /* Authentication-prompt guard (sharer): see update_auth_prompt_guard(). */
  RhAuthPromptWatch  *auth_watch;
  gboolean            auth_visible;     /* the watch sees a prompt on screen */
  int                 auth_reported;    /* -1: nothing said yet; else the last "masked" said */
  guint               auth_snapshot_timer;   /* helper: headless snapshot once unmasked */
  /* Monitors. Helper: the sharer's list and choice; headless --monitor waits for it. */
  GArray             *monitors;           /* RhRdpMonitor */
  int                 monitor;
  gboolean            monitor_pending;    /* headless: selected, the snapshot waits */
  gboolean            monitor_confirmed;
  guint               monitor_timer;
  gint64              monitor_since;
  gint64              monitor_last_frame;
};

enum
{
  SIGNAL_STATUS,
  SIGNAL_CONSENT_REQUESTED,
  SIGNAL_VIEWER_READY,
  SIGNAL_CHAT_MESSAGE,
  SIGNAL_ELEVATION_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RhSession, rh_session, G_TYPE_OBJECT)

static const char *
mode_name (RhRdpMode mode)
{
  return mode == RH_RDP_MODE_CONTROL ? "control" : "view";
}

static void
status (RhSession  *self,
        const char *key,
        const char *value)
{
  g_signal_emit (self, signals[SIGNAL_STATUS], 0, key, value);
}

/* Objects are let go from an idle: teardown often runs inside one of their own signals. */
static gboolean
unref_later (gpointer object)
{
  g_object_unref (object);
  return G_SOURCE_REMOVE;
}

static void stop_auth_prompt_guard (RhSession *self);

static void
teardown (RhSession *self)
{
  stop_auth_prompt_guard (self);
  g_clear_handle_id (&self->laser_timer, g_source_remove);
  g_clear_handle_id (&self->laser_demo_timer, g_source_remove);
  g_clear_pointer (&self->laser, rh_laser_overlay_free);
  g_clear_handle_id (&self->consent_timer, g_source_remove);
  g_clear_handle_id (&self->duration_timer, g_source_remove);
  g_clear_handle_id (&self->elevation_timer, g_source_remove);
  g_clear_handle_id (&self->monitor_timer, g_source_remove);
  if (self->viewer)
    {
      g_signal_handlers_disconnect_by_data (self->viewer, self);
      rh_rdp_viewer_disconnect (self->viewer);
      g_idle_add (unref_later, g_steal_pointer (&self->viewer));
    }
  if (self->relay)
    {
      g_signal_handlers_disconnect_by_data (self->relay, self);
      rh_relay_client_close (self->relay);
      g_idle_add (unref_later, g_steal_pointer (&self->relay));
    }
  g_cancellable_cancel (self->cancellable);
  if (self->link)
    {
      rh_direct_link_close (self->link);
      g_idle_add (unref_later, g_steal_pointer (&self->link));
    }
  if (self->listener)
    {
      rh_direct_listener_stop (self->listener);
      g_idle_add (unref_later, g_steal_pointer (&self->listener));
    }
  if (self->sharer)
    {
      /* The server, its credentials, certificate and socket go with it. */
      rh_rdp_sharer_stop (self->sharer);
      g_idle_add (unref_later, g_steal_pointer (&self->sharer));
    }
  if (self->client)
    g_signal_handlers_disconnect_by_data (self->client, self);
}

static void end_elevation (RhSession *self);

/* Ends the session once: tells the other side (unless it left first) and completes. A sharer
 * who granted administrator access first ends it (tools, polkit, sudo, sign-out or lock). */
static void
finish (RhSession  *self,
        GError     *error,
        const char *reason)
{
  g_autoptr(GTask) task = NULL;

  if (self->task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (!self->is_helper && self->elevation != NULL && rh_elevation_was_used (self->elevation))
    {
      if (self->elevation_ending)
        {
          g_clear_error (&error);
          return;
        }
      self->elevation_ending = TRUE;
      self->end_error = error;
      self->end_reason = g_strdup (reason);
      end_elevation (self);
      return;
    }
  task = g_steal_pointer (&self->task);
  if (reason != NULL && rh_rendezvous_client_is_paired (self->client))
    rh_rendezvous_client_leave (self->client, reason);
  teardown (self);
  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
send_peer (RhSession  *self,
           JsonObject *msg)
{
  g_autoptr(GError) error = NULL;

  if (!rh_rendezvous_client_send_peer (self->client, msg, &error))
    finish (self, g_steal_pointer (&error), NULL);
}

static RhRelayClient *
new_relay (RhSession *self)
{
  guint8 relay_id[RH_RELAY_ID_LEN];
  RhRelayClient *relay;

  if (!rh_rendezvous_client_get_relay_id (self->client, relay_id))
    return NULL;
  relay = rh_relay_client_new (self->config->server_url, self->config->server_fingerprint,
                               self->config->ca_file,
                               rh_rendezvous_client_get_token (self->client),
                               rh_rendezvous_client_get_pairing_id (self->client), relay_id);
  explicit_bzero (relay_id, sizeof relay_id);
  return relay;
}

static void
on_relay_closed (RhRelayClient *relay,
                 const GError  *error,
                 gpointer       user_data)
{
  RhSession *self = user_data;

  /* A clean close follows the session's own end; the viewer reports a lost stream itself. */
  if (error)
    finish (self, g_error_copy (error), "relay-closed");
}

/* Helper */

static gboolean
on_duration_over (gpointer user_data)
{
  RhSession *self = user_data;

  self->duration_timer = 0;
  status (self, "ended", "duration reached");
  finish (self, NULL, "done");
  return G_SOURCE_REMOVE;
}

/* Returns whether input went out, so that the session gives it time to arrive. */
static gboolean
send_input (RhSession *self)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  if (self->options.click)
    ok = rh_rdp_viewer_send_pointer (self->viewer, self->options.click_x, self->options.click_y,
                                     0, FALSE, &error) &&
         rh_rdp_viewer_send_pointer (self->viewer, self->options.click_x, self->options.click_y,
                                     1, TRUE, &error) &&
         rh_rdp_viewer_send_pointer (self->viewer, self->options.click_x, self->options.click_y,
                                     1, FALSE, &error);
  if (ok && self->type_text)
    ok = rh_rdp_viewer_send_text (self->viewer, self->type_text, &error);

  if (!self->options.click && self->type_text == NULL)
    return FALSE;
  if (ok)
    status (self, "input", "sent");
  else
    {
      g_autofree char *text = rh_error_format (error);

      status (self, "input", text);
    }
  return ok;
}

static void after_first_frame (RhSession *self);
static void first_frame_next (RhSession *self);
static gboolean monitor_before_snapshot (RhSession *self);

static gboolean
on_laser_demo_tick (gpointer user_data)
{
  RhSession *self = user_data;

  if (++self->laser_demo_ticks <= 15)
    {
      rh_session_point_laser (self, self->options.laser_x, self->options.laser_y);
      return G_SOURCE_CONTINUE;
    }
  self->laser_demo_timer = 0;
  after_first_frame (self);
  rh_session_laser_off (self);
  return G_SOURCE_REMOVE;
}

static void
on_first_frame (RhRdpViewer *viewer,
                gpointer     user_data)
{
  RhSession *self = user_data;
  int width = 0, height = 0;
  g_autoptr(GBytes) frame = rh_rdp_viewer_get_frame (viewer, &width, &height);
  g_autofree char *size = g_strdup_printf ("%dx%d", width, height);

  status (self, "first-frame", size);
  if (monitor_before_snapshot (self))
    return;   /* first_frame_next() runs once the chosen monitor is shown */
  first_frame_next (self);
}

static void
first_frame_next (RhSession *self)
{
  if (self->elevated_tool != NULL)
    {
      /* Headless --elevate: the snapshot and input wait for the tool's start. */
      rh_session_request_elevation (self);
      return;
    }
  if (self->options.laser)
    {
      /* Point the laser for a moment first, so the snapshot shows the dot as it came back in
       * the stream from the sharer's screen. */
      self->laser_demo_ticks = 0;
      self->laser_demo_timer = g_timeout_add (100, on_laser_demo_tick, self);
      return;
    }
  after_first_frame (self);
}

static void
after_first_frame (RhSession *self)
{
  g_autoptr(GError) error = NULL;
  RhRdpViewer *viewer = self->viewer;

  if (self->snapshot_path)
    {
      if (!rh_rdp_viewer_save_png (viewer, self->snapshot_path, &error))
        {
          finish (self, g_steal_pointer (&error), "error");
          return;
        }
      status (self, "snapshot", self->snapshot_path);
    }
  if (self->options.duration_s > 0)
    {
      send_input (self);
      self->duration_timer = g_timeout_add_seconds (self->options.duration_s, on_duration_over,
                                                    self);
    }
  else if (send_input (self))
    /* Input is queued for FreeRDP's thread: leave it a moment to reach the sharer. */
    self->duration_timer = g_timeout_add (1000, on_duration_over, self);
  else
    {
      status (self, "ended", "snapshot taken");
      finish (self, NULL, "done");
    }
}

static void
on_viewer_disconnected (RhRdpViewer  *viewer,
                        const GError *error,
                        gpointer      user_data)
{
  RhSession *self = user_data;

  finish (self, error ? g_error_copy (error)
                      : g_error_new_literal (RH_RDP_ERROR, RH_ERROR_RDP_DISCONNECTED,
                                             _("The screen sharing connection ended")),
          "rdp-ended");
}

static void
on_viewer_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(RhSession) self = user_data;
  g_autoptr(GError) error = NULL;

  if (self->task == NULL)
    return;
  if (!rh_rdp_viewer_connect_finish (RH_RDP_VIEWER (source), result, &error))
    {
      finish (self, g_steal_pointer (&error), "rdp-failed");
      return;
    }
  status (self, "connected", mode_name (self->mode));
}

static void
on_relay_ready_helper (RhRelayClient *relay,
                       gpointer       user_data)
{
  RhSession *self = user_data;

  rh_rdp_viewer_connect_async (self->viewer, NULL, on_viewer_connected, g_object_ref (self));
}

static void
start_viewer (RhSession  *self,
              const char *socket_path)
{
  self->viewer = rh_rdp_viewer_new (socket_path, self->rdp_user, self->rdp_password, self->cert,
                                    self->mode);
  g_signal_connect (self->viewer, "first-frame", G_CALLBACK (on_first_frame), self);
  g_signal_connect (self->viewer, "disconnected", G_CALLBACK (on_viewer_disconnected), self);
  g_signal_emit (self, signals[SIGNAL_VIEWER_READY], 0, self->viewer);
}

static void
start_relay_path (RhSession *self)
{
  g_autoptr(GError) error = NULL;

  self->relay = new_relay (self);
  if (self->relay == NULL)
    {
      finish (self, g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE,
                                         _("Not paired")), "error");
      return;
    }
  g_signal_connect (self->relay, "ready", G_CALLBACK (on_relay_ready_helper), self);
  g_signal_connect (self->relay, "closed", G_CALLBACK (on_relay_closed), self);
  if (!rh_relay_client_start (self->relay, RH_RELAY_MODE_LISTEN, NULL, &error))
    {
      finish (self, g_steal_pointer (&error), "error");
      return;
    }
  status (self, "path", "relay");
  start_viewer (self, rh_relay_client_get_socket_path (self->relay));
}

static void
on_direct_link (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(RhSession) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhDirectLink) link = rh_direct_link_connect_finish (result, &error);

  if (self->task == NULL)
    return;
  if (link == NULL)
    {
      if (self->options.path == RH_SESSION_PATH_DIRECT)
        {
          finish (self, g_steal_pointer (&error), "no-direct-path");
          return;
        }
      g_info ("No direct path, using the relay: %s", error->message);
      start_relay_path (self);
      return;
    }
  self->link = g_steal_pointer (&link);
  status (self, "path", "direct");
  start_viewer (self, rh_direct_link_get_socket_path (self->link));
  rh_rdp_viewer_connect_async (self->viewer, NULL, on_viewer_connected, g_object_ref (self));
}

static void
handle_rdp_offer (RhSession  *self,
                  JsonObject *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) token = NULL;
  g_autoptr(GPtrArray) candidates = g_ptr_array_new ();
  const char *user, *password;
  JsonNode *direct;

  if (!self->answered || self->cert != NULL)
    return;
  self->cert = rh_message_get_bytes (msg, "cert_sha256", 32, 0, &error);
  user = self->cert ? rh_message_get_string (msg, "user", 64, &error) : NULL;
  password = user ? rh_message_get_string (msg, "password", 128, &error) : NULL;
  if (password == NULL)
    {
      finish (self, g_error_new (RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE, "%s",
                                 error->message), "error");
      return;
    }
  self->rdp_user = g_strdup (user);
  self->rdp_password = g_strdup (password);

  /* Direct candidates are optional; anything malformed just means "use the relay". */
  direct = json_object_get_member (msg, "direct");
  if (direct && JSON_NODE_HOLDS_ARRAY (direct) && json_object_has_member (msg, "direct_token"))
    {
      JsonArray *array = json_node_get_array (direct);

      token = rh_message_get_bytes (msg, "direct_token", RH_DIRECT_TOKEN_LEN, 0, NULL);
      for (guint i = 0; i < json_array_get_length (array) && i < 16; i++)
        {
          JsonNode *node = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            g_ptr_array_add (candidates, (char *) json_node_get_string (node));
        }
    }
  g_ptr_array_add (candidates, NULL);

  if (self->options.path != RH_SESSION_PATH_RELAY && token != NULL && candidates->len > 1)
    rh_direct_link_connect_async ((const char *const *) candidates->pdata, token,
                                  RH_SESSION_DIRECT_TIMEOUT_MS, self->cancellable,
                                  on_direct_link, g_object_ref (self));
  else if (self->options.path == RH_SESSION_PATH_DIRECT)
    finish (self, g_error_new_literal (RH_RDP_ERROR, RH_ERROR_RDP_CONNECT,
                                       _("The sharer offered no direct connection")),
            "no-direct-path");
  else
    start_relay_path (self);
}

static void
handle_answer (RhSession  *self,
               JsonObject *msg)
{
  const char *answer = json_object_get_string_member_with_default (msg, "mode", "");

  if (self->answered && self->upgrading)
    {
      /* The answer to a request for control during the session: view stays if not. */
      self->upgrading = FALSE;
      if (g_str_equal (answer, "control") && self->viewer != NULL)
        {
          self->mode = RH_RDP_MODE_CONTROL;
          rh_rdp_viewer_set_mode (self->viewer, RH_RDP_MODE_CONTROL);
          status (self, "mode", mode_name (self->mode));
        }
      else
        status (self, "upgrade", "declined");
      return;
    }
  if (self->answered)
    return;
  self->answered = TRUE;
  g_clear_handle_id (&self->consent_timer, g_source_remove);

  if (g_str_equal (answer, "control") || g_str_equal (answer, "view"))
    {
      /* The sharer can only lower what was asked for, never raise it. */
      self->mode = g_str_equal (answer, "control") ? self->options.requested_mode
                                                    : RH_RDP_MODE_VIEW;
      status (self, "mode", mode_name (self->mode));
      return;
    }
  status (self, "ended", "declined");
  finish (self, g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_DENIED,
                                     _("The person declined the session")), NULL);
}

/* Sharer */

static gboolean
helper_may (RhSession     *self,
            RhPermissions  permission)
{
  return (rh_rendezvous_client_get_helper_permissions (self->client) & permission) == permission;
}

static void
on_relay_ready_sharer (RhRelayClient *relay,
                       gpointer       user_data)
{
  RhSession *self = user_data;

  status (self, "sharing", mode_name (self->mode));
  status (self, "path", "relay");
}

static void
on_direct_connected (RhDirectListener *listener,
                     gpointer          user_data)
{
  RhSession *self = user_data;

  status (self, "sharing", mode_name (self->mode));
  status (self, "path", "direct");
}

static void
report_session (RhSession *self)
{
  /* The device name is only a label in the session record: truncate, never fail on it. */
  g_autofree char *device = g_utf8_substring (g_get_host_name (), 0,
                                              MIN (64, g_utf8_strlen (g_get_host_name (), -1)));

  rh_rendezvous_client_report_session (self->client, mode_name (self->mode), device);
}

/* ---- Authentication-prompt guard (issue #6) ----
 *
 * Sharer: a watch on the shared display reports system authentication prompts (polkit agents,
 * askpass, pinentry; the config's auth-prompt-classes extend the list). Unless elevation is
 * granted, the sharer's RDP server makes their areas private (paused frame with a notice, all
 * helper input dropped) and also looks for those classes itself as windows map, so that no
 * frame captured before the watch reacts can show a prompt (rh-shadow-x11.c). Both sides get
 * status "auth-prompt" "masked"/"clear"; the helper learns it from the peer message
 * auth-prompt {"visible": bool, "masked": bool}. */

/* Sharer: administrator access is granted and its end has not begun. Then the helper sees and
 * uses prompts: they type the administrator credentials. */
static gboolean
elevation_granted (RhSession *self)
{
  return self->elevation_granted && self->elevation != NULL &&
         rh_elevation_is_granted (self->elevation);
}

/* The classes the sharer's capture looks for itself: the built-in list and the config's
 * (its "title=" entries only the watch can check). */
static GStrv
auth_prompt_classes (RhSession *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_strv_builder_addv (builder, (const char **) rh_auth_prompt_default_classes ());
  if (self->config->auth_prompt_classes)
    g_strv_builder_addv (builder, (const char **) self->config->auth_prompt_classes);
  return g_strv_builder_end (builder);
}

/* Re-applies the guard to the sharer's server and tells both sides when masking changes. Call
 * it whenever elevation is granted or ends. */
static void
update_auth_prompt_guard (RhSession *self)
{
  gboolean masked = FALSE;

  if (self->is_helper || self->sharer == NULL)
    return;
  if (elevation_granted (self))
    {
      rh_rdp_sharer_set_guarded_classes (self->sharer, NULL);
      rh_rdp_sharer_set_private_regions (self->sharer, NULL, 0);
    }
  else
    {
      g_auto(GStrv) classes = auth_prompt_classes (self);
      GArray *rects = self->auth_watch ? rh_auth_prompt_watch_get_rects (self->auth_watch)
                                       : NULL;
      g_autofree RhRdpRect *regions = g_new0 (RhRdpRect, rects && rects->len ? rects->len : 1);
      guint n = 0;

      rh_rdp_sharer_set_guarded_classes (self->sharer, (const char * const *) classes);
      for (guint i = 0; self->auth_visible && rects && i < rects->len; i++)
        {
          const RhAuthPromptRect *r = &g_array_index (rects, RhAuthPromptRect, i);

          regions[n++] = (RhRdpRect) { r->x, r->y, r->width, r->height };
        }
      rh_rdp_sharer_set_private_regions (self->sharer, regions, n);
      masked = n > 0;
    }
  if (self->auth_reported == (int) masked)
    return;
  /* "clear" needs no announcement at the start. */
  if (self->auth_reported < 0 && !masked)
    {
      self->auth_reported = 0;
      return;
    }
  self->auth_reported = masked;
  g_message ("Authentication prompt %s", masked ? "masked for the helper" : "no longer masked");
  status (self, "auth-prompt", masked ? "masked" : "clear");
  {
    g_autoptr(JsonObject) msg = rh_message_new ("auth-prompt");

    json_object_set_boolean_member (msg, "visible", self->auth_visible);
    json_object_set_boolean_member (msg, "masked", masked);
    send_peer (self, msg);
  }
}

static void
on_auth_prompt_changed (gboolean  visible,
                        GArray   *rects,
                        gpointer  user_data)
{
  RhSession *self = user_data;

  self->auth_visible = visible;
  update_auth_prompt_guard (self);
}

/* Before the server starts, so that a prompt already on screen is never shared. */
static gboolean
start_auth_prompt_guard (RhSession  *self,
                         GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  self->auth_reported = -1;
  self->auth_visible = FALSE;
  self->auth_watch = rh_auth_prompt_watch_new (self->display,
                                               (const char * const *)
                                               self->config->auth_prompt_classes,
                                               on_auth_prompt_changed, self, &local_error);
  if (self->auth_watch == NULL)
    {
      g_warning ("Authentication prompts cannot be watched: %s", local_error->message);
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_AUTH_PROMPT_GUARD,
                   _("Screen sharing was not started: system password prompts on this screen "
                     "could not be hidden from the helper (%s)"), local_error->message);
      return FALSE;
    }
  /* The panel's words, in the sharer's language. */
  rh_rdp_sharer_set_private_notice (self->sharer,
                                    _("Password prompt hidden —\n"
                                      "the person is typing privately"));
  update_auth_prompt_guard (self);
  return TRUE;
}

static void
stop_auth_prompt_guard (RhSession *self)
{
  g_clear_pointer (&self->auth_watch, rh_auth_prompt_watch_free);
  g_clear_handle_id (&self->auth_snapshot_timer, g_source_remove);
}

/* Headless helper with --snapshot: once the prompt is gone, what it sees again is saved next to
 * the first snapshot (NAME-clear.png), a moment later so the resumed frames have arrived. */
static gboolean
on_auth_snapshot_timeout (gpointer user_data)
{
  RhSession *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *path = NULL;

  self->auth_snapshot_timer = 0;
  if (self->viewer == NULL || self->snapshot_path == NULL)
    return G_SOURCE_REMOVE;
  base = g_str_has_suffix (self->snapshot_path, ".png")
         ? g_strndup (self->snapshot_path, strlen (self->snapshot_path) - 4)
         : g_strdup (self->snapshot_path);
  path = g_strconcat (base, "-clear.png", NULL);
  if (rh_rdp_viewer_save_png (self->viewer, path, &error))
    status (self, "snapshot-clear", path);
  else
    g_warning ("Could not save %s: %s", path, error->message);
  return G_SOURCE_REMOVE;
}

/* Helper: what the sharer says about prompts on its screen. */
static void
handle_auth_prompt (RhSession  *self,
                    JsonObject *msg)
{
  gboolean masked = FALSE;

  if (!rh_message_get_bool (msg, "masked", &masked, NULL) &&
      !rh_message_get_bool (msg, "visible", &masked, NULL))
    {
      g_debug ("Ignoring an auth-prompt message without a boolean");
      return;
    }
  status (self, "auth-prompt", masked ? "masked" : "clear");
  g_clear_handle_id (&self->auth_snapshot_timer, g_source_remove);
  if (!masked && self->snapshot_path != NULL && self->viewer != NULL)
    self->auth_snapshot_timer = g_timeout_add (1000, on_auth_snapshot_timeout, self);
}

static void send_monitors (RhSession *self, const GError *refusal);

static void
apply_answer (RhSession      *self,
              RhSessionAllow  allow)
{
  g_autoptr(JsonObject) answer = rh_message_new ("session-answer");
  g_autoptr(JsonObject) offer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) cert = NULL;

  g_clear_handle_id (&self->consent_timer, g_source_remove);
  if (allow == RH_SESSION_ALLOW_DENY)
    {
      json_object_set_string_member (answer, "mode", "deny");
      send_peer (self, answer);
      /* For the audit log: the person said no. */
      rh_rendezvous_client_report_session (self->client, "deny", "-");
      status (self, "ended", "declined");
      finish (self, NULL, "declined");
      return;
    }
  /* Control was asked for but only view allowed: offer view-only. */
  self->mode = (self->requested == RH_RDP_MODE_CONTROL && allow == RH_SESSION_ALLOW_CONTROL &&
                helper_may (self, RH_PERMISSION_TAKE_FULL_CONTROL))
               ? RH_RDP_MODE_CONTROL : RH_RDP_MODE_VIEW;
  self->sharer = rh_rdp_sharer_new (self->display, self->mode);
  {
    RhRdpCapture capture;

    if (rh_rdp_capture_from_string (self->config->capture, &capture))
      rh_rdp_sharer_set_capture (self->sharer, capture);
  }
  if (!start_auth_prompt_guard (self, &error))
    {
      /* Never share unguarded: a password typed into a prompt would be seen. */
      json_object_set_string_member (answer, "mode", "deny");
      send_peer (self, answer);
      status (self, "auth-prompt", "unavailable");
      finish (self, g_steal_pointer (&error), "error");
      return;
    }
  if (!rh_rdp_sharer_start (self->sharer, &error))
    {
      json_object_set_string_member (answer, "mode", "deny");
      send_peer (self, answer);
      finish (self, g_steal_pointer (&error), "error");
      return;
    }
  self->relay = new_relay (self);
  g_signal_connect (self->relay, "ready", G_CALLBACK (on_relay_ready_sharer), self);
  g_signal_connect (self->relay, "closed", G_CALLBACK (on_relay_closed), self);
  if (!rh_relay_client_start (self->relay, RH_RELAY_MODE_CONNECT,
                              rh_rdp_sharer_get_socket_path (self->sharer), &error))
    {
      json_object_set_string_member (answer, "mode", "deny");
      send_peer (self, answer);
      finish (self, g_steal_pointer (&error), "error");
      return;
    }

  json_object_set_string_member (answer, "mode", mode_name (self->mode));
  send_peer (self, answer);
  if (self->task == NULL)
    return;
  report_session (self);

  cert = rh_rdp_sharer_get_certificate_sha256 (self->sharer);
  offer = rh_message_new ("rdp-offer");
  self->listener = rh_direct_listener_new (rh_rdp_sharer_get_socket_path (self->sharer),
                                           self->options.direct_addresses);
  if (rh_direct_listener_start (self->listener, &error))
    {
      g_autoptr(GBytes) token = rh_direct_listener_get_token (self->listener);
      JsonArray *array = json_array_new ();
      const char *const *candidates = rh_direct_listener_get_candidates (self->listener);

      for (guint i = 0; candidates[i]; i++)
        json_array_add_string_element (array, candidates[i]);
      json_object_set_array_member (offer, "direct", array);
      rh_message_set_bytes (offer, "direct_token", g_bytes_get_data (token, NULL),
                            g_bytes_get_size (token));
      g_signal_connect (self->listener, "connected", G_CALLBACK (on_direct_connected), self);
    }
  else
    {
      /* The relay still works; say why the faster path is missing. */
      g_message ("No direct connection offered: %s", error->message);
      g_clear_error (&error);
      g_clear_object (&self->listener);
    }
  rh_message_set_bytes (offer, "cert_sha256", g_bytes_get_data (cert, NULL),
                        g_bytes_get_size (cert));
  json_object_set_string_member (offer, "user", rh_rdp_sharer_get_username (self->sharer));
  json_object_set_string_member (offer, "password", rh_rdp_sharer_get_password (self->sharer));
  send_peer (self, offer);
  status (self, "mode", mode_name (self->mode));
  send_monitors (self, NULL);
}

/* The person's answer to a request for control while the screen is already shared. */
static void
apply_upgrade (RhSession      *self,
               RhSessionAllow  allow)
{
  g_autoptr(JsonObject) answer = rh_message_new ("session-answer");

  self->upgrading = FALSE;
  if (allow == RH_SESSION_ALLOW_CONTROL && !helper_may (self, RH_PERMISSION_TAKE_FULL_CONTROL))
    allow = RH_SESSION_ALLOW_VIEW;
  if (allow == RH_SESSION_ALLOW_CONTROL)
    {
      rh_rdp_sharer_set_mode (self->sharer, RH_RDP_MODE_CONTROL);
      self->mode = RH_RDP_MODE_CONTROL;
      report_session (self);
    }
  json_object_set_string_member (answer, "mode", allow == RH_SESSION_ALLOW_CONTROL ? "control"
                                                 : allow == RH_SESSION_ALLOW_VIEW ? "view"
                                                 : "deny");
  send_peer (self, answer);
  if (self->task == NULL)
    return;
  if (allow == RH_SESSION_ALLOW_CONTROL)
    status (self, "mode", mode_name (self->mode));
  else
    status (self, "upgrade", "declined");
}

static void
handle_request (RhSession  *self,
                JsonObject *msg)
{
  const char *requested = json_object_get_string_member_with_default (msg, "mode", "");

  if (self->answered && self->sharer != NULL && self->mode == RH_RDP_MODE_VIEW &&
      !self->upgrading && g_str_equal (requested, "control") &&
      !helper_may (self, RH_PERMISSION_TAKE_FULL_CONTROL))
    {
      /* Whatever the helper's app does, its role does not give it control: the person is not
       * even asked. */
      g_autoptr(JsonObject) answer = rh_message_new ("session-answer");

      json_object_set_string_member (answer, "mode", "view");
      send_peer (self, answer);
      if (self->task)
        status (self, "refused", "control: not permitted by the helper's role");
      return;
    }
  if (self->answered && self->sharer != NULL && self->mode == RH_RDP_MODE_VIEW &&
      !self->upgrading && g_str_equal (requested, "control"))
    {
      /* A new consent round: the screen stays shared, view-only, while the person decides. */
      self->upgrading = TRUE;
      status (self, "requested", requested);
      if (self->options.allow == RH_SESSION_ALLOW_ASK)
        g_signal_emit (self, signals[SIGNAL_CONSENT_REQUESTED], 0, requested);
      else
        apply_upgrade (self, self->options.allow);
      return;
    }
  if (self->answered)
    return;
  self->answered = TRUE;

  if (!g_str_equal (requested, "view") && !g_str_equal (requested, "control"))
    {
      finish (self, g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                                         _("The helper asked for an unknown mode")), "error");
      return;
    }
  self->requested = g_str_equal (requested, "control") ? RH_RDP_MODE_CONTROL : RH_RDP_MODE_VIEW;
  status (self, "requested", requested);

  if (!helper_may (self, RH_PERMISSION_VIEW_SCREEN))
    {
      g_autoptr(JsonObject) answer = rh_message_new ("session-answer");

      json_object_set_string_member (answer, "mode", "deny");
      send_peer (self, answer);
      status (self, "ended", "not permitted by the helper's role");
      finish (self, g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_MODE_NOT_PERMITTED,
                                         _("The helper's role does not allow seeing your "
                                           "screen")), "not-permitted");
      return;
    }
  if (self->requested == RH_RDP_MODE_CONTROL &&
      !helper_may (self, RH_PERMISSION_TAKE_FULL_CONTROL))
    {
      /* Never offer the person more than the role allows: the question becomes view-only. */
      self->requested = RH_RDP_MODE_VIEW;
      requested = "view";
      status (self, "permitted", requested);
    }

  /* The person decides: either already (headless --allow) or when they press a button. */
  if (self->options.allow == RH_SESSION_ALLOW_ASK)
    g_signal_emit (self, signals[SIGNAL_CONSENT_REQUESTED], 0, requested);
  else
    apply_answer (self, self->options.allow);
}

RhPermissions
rh_session_get_helper_permissions (RhSession *self)
{
  g_return_val_if_fail (RH_IS_SESSION (self), RH_PERMISSION_NONE);
  return rh_rendezvous_client_get_helper_permissions (self->client);
}

RhRdpMode
rh_session_get_mode (RhSession *self)
{
  g_return_val_if_fail (RH_IS_SESSION (self), RH_RDP_MODE_VIEW);
  return self->mode;
}

void
rh_session_leave (RhSession *self)
{
  g_return_if_fail (RH_IS_SESSION (self));

  if (self->task == NULL)
    return;
  status (self, "ended", "left");
  finish (self, NULL, "done");
}

void
rh_session_answer (RhSession      *self,
                   RhSessionAllow  allow)
{
  g_return_if_fail (RH_IS_SESSION (self));
  g_return_if_fail (allow != RH_SESSION_ALLOW_ASK);

  if (self->is_helper || !self->answered || self->task == NULL)
    return;
  if (self->sharer != NULL)
    {
      if (self->upgrading)
        apply_upgrade (self, allow);
      return;
    }
  apply_answer (self, allow);
}

static void
on_upgrade_allowed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(RhSession) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) request = NULL;
  gboolean allowed;

  allowed = rh_rendezvous_client_request_mode_finish (RH_RENDEZVOUS_CLIENT (source), result,
                                                      &error);
  if (self->task == NULL)
    return;
  if (!allowed)
    {
      /* The session goes on as it was. */
      g_autofree char *text = rh_error_format (error);

      /* "declined" is what a window already shows as "kept view only"; the reason follows. */
      self->upgrading = FALSE;
      status (self, "upgrade", "declined");
      status (self, "not-permitted", text);
      return;
    }
  request = rh_message_new ("session-request");
  json_object_set_string_member (request, "mode", "control");
  send_peer (self, request);
  if (self->task)
    status (self, "upgrade", "requested");
}

void
rh_session_request_control (RhSession *self)
{
  g_return_if_fail (RH_IS_SESSION (self));

  if (!self->is_helper || self->task == NULL || self->viewer == NULL || self->upgrading ||
      self->mode == RH_RDP_MODE_CONTROL)
    return;
  self->upgrading = TRUE;
  rh_rendezvous_client_request_mode_async (self->client, "control", self->cancellable,
                                           on_upgrade_allowed, g_object_ref (self));
}

/* Both */

/* Laser pointer: positions go over the encrypted peer channel, never as RDP input, so they
 * work in view-only sessions and can never click. */

#define LASER_HZ 30

static void
send_laser (RhSession *self)
{
  g_autoptr(JsonObject) msg = rh_message_new ("laser");

  if (self->laser_x < 0)
    json_object_set_boolean_member (msg, "off", TRUE);
  else
    {
      json_object_set_double_member (msg, "x", self->laser_x);
      json_object_set_double_member (msg, "y", self->laser_y);
    }
  send_peer (self, msg);
}

static gboolean
on_laser_tick (gpointer user_data)
{
  RhSession *self = user_data;

  if (!self->laser_pending)
    {
      self->laser_timer = 0;
      return G_SOURCE_REMOVE;
    }
  self->laser_pending = FALSE;
  send_laser (self);
  return G_SOURCE_CONTINUE;
}

void
rh_session_point_laser (RhSession *self,
                        double     x,
                        double     y)
{
  g_return_if_fail (RH_IS_SESSION (self));

  if (!self->is_helper || self->task == NULL || !isfinite (x) || !isfinite (y))
    return;
  self->laser_x = CLAMP (x, 0.0, 1.0);
  self->laser_y = CLAMP (y, 0.0, 1.0);
  if (self->laser_timer != 0)
    {
      self->laser_pending = TRUE;
      return;
    }
  send_laser (self);
  self->laser_timer = g_timeout_add (1000 / LASER_HZ, on_laser_tick, self);
}

void
rh_session_laser_off (RhSession *self)
{
  g_return_if_fail (RH_IS_SESSION (self));

  if (!self->is_helper || self->task == NULL)
    return;
  g_clear_handle_id (&self->laser_timer, g_source_remove);
  self->laser_pending = FALSE;
  self->laser_x = self->laser_y = -1;
  send_laser (self);
}

static const RhLaserArea *shared_monitor_area (RhSession *self, RhLaserArea *area);

static void
handle_laser (RhSession  *self,
              JsonObject *msg)
{
  g_autoptr(GError) error = NULL;
  gboolean off = FALSE;
  JsonNode *xn, *yn;
  double x, y;

  /* Only on a screen the person agreed to share. */
  if (self->sharer == NULL || self->laser_failed)
    return;
  if (json_object_has_member (msg, "off") && rh_message_get_bool (msg, "off", &off, NULL) && off)
    {
      if (self->laser)
        rh_laser_overlay_hide (self->laser);
      return;
    }
  xn = json_object_get_member (msg, "x");
  yn = json_object_get_member (msg, "y");
  /* A number at an edge may arrive as an integer ("x":1). */
  if (xn == NULL || yn == NULL || !JSON_NODE_HOLDS_VALUE (xn) || !JSON_NODE_HOLDS_VALUE (yn) ||
      (json_node_get_value_type (xn) != G_TYPE_DOUBLE &&
       json_node_get_value_type (xn) != G_TYPE_INT64) ||
      (json_node_get_value_type (yn) != G_TYPE_DOUBLE &&
       json_node_get_value_type (yn) != G_TYPE_INT64))
    {
      g_debug ("Ignoring a laser position that is not two numbers");
      return;
    }
  x = json_node_get_double (xn);
  y = json_node_get_double (yn);
  if (self->laser == NULL)
    {
      RhLaserArea area;

      self->laser = rh_laser_overlay_new (self->display, shared_monitor_area (self, &area),
                                          RH_LASER_MODE_AUTO, &error);
      if (self->laser == NULL)
        {
          /* The session goes on without it; say so once. */
          self->laser_failed = TRUE;
          g_warning ("The laser pointer cannot be shown: %s", error->message);
          status (self, "laser", "unavailable");
          return;
        }
      status (self, "laser", "shown");
    }
  rh_laser_overlay_move (self->laser, x, y);
}

/* Administrator access (issue #6). The helper asks the service (which checks the role and
 * that the session is in full control), then the sharer's app, which checks the same from the
 * signed card and asks the person. Only an Allow grants it; the service records the grant
 * before the helper hears of it. */

#define MAX_TOOL_NAME 64
#define MAX_TOOLS 32
#define MAX_RUNNING_TOOLS 8
#define TOOL_START_INTERVAL_US (2 * G_USEC_PER_SEC)
#define END_REPORT_TIMEOUT_S 5

static void
on_elevation_reported (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!rh_rendezvous_client_report_elevation_finish (RH_RENDEZVOUS_CLIENT (source), result,
                                                     &error))
    g_warning ("The service did not record an administrator-access event: %s",
               error->message);
}

/* Fire and forget: a record the service refuses is logged; the session goes on. */
static void
report_elevation (RhSession  *self,
                  const char *event,
                  const char *key,
                  const char *value)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  json_object_set_string_member (fields, "event", event);
  if (key != NULL)
    json_object_set_string_member (fields, key, value);
  rh_rendezvous_client_report_elevation_async (self->client, fields, NULL,
                                               on_elevation_reported, NULL);
}


static void
deny_elevation (RhSession  *self,
                const char *reason,
                gboolean    report)
{
  g_autoptr(JsonObject) answer = rh_message_new ("elevation-answer");
  g_autofree char *text = g_strdup_printf ("denied: %s", reason);

  self->elevation_asking = FALSE;
  g_clear_handle_id (&self->elevation_timer, g_source_remove);
  if (report)
    report_elevation (self, "denied", "reason", reason);
  status (self, "elevation", text);
  json_object_set_boolean_member (answer, "granted", FALSE);
  json_object_set_string_member (answer, "reason", reason);
  send_peer (self, answer);
}

static void
send_elevation_grant (RhSession *self)
{
  g_autoptr(JsonObject) answer = rh_message_new ("elevation-answer");
  JsonArray *tools = json_array_new ();

  for (guint i = 0; i < self->elevated_menu->len && i < MAX_TOOLS; i++)
    json_array_add_string_element (tools,
                                   ((RhElevatedTool *) self->elevated_menu->pdata[i])->name);
  json_object_set_boolean_member (answer, "granted", TRUE);
  json_object_set_array_member (answer, "tools", tools);
  json_object_set_string_member (answer, "end", rh_elevated_end_to_string (self->elevated_end));
  send_peer (self, answer);
}

static void
on_grant_recorded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(RhSession) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean recorded;

  recorded = rh_rendezvous_client_report_elevation_finish (RH_RENDEZVOUS_CLIENT (source), result,
                                                           &error);
  self->elevation_reporting = FALSE;
  if (self->task == NULL || self->elevation_ending)
    return;
  if (!recorded)
    {
      /* The service refused (and audited) it: never grant what it would not record. */
      g_autofree char *text = rh_error_format (error);
      g_autofree char *refused = g_strdup_printf ("refused: %s", text);

      status (self, "elevation", refused);
      deny_elevation (self, "not-permitted", FALSE);
      return;
    }
  if (self->elevation == NULL)
    self->elevation = rh_elevation_new ();
  rh_elevation_grant (self->elevation);
  if (!rh_elevation_is_granted (self->elevation))
    {
      deny_elevation (self, "busy", TRUE);
      return;
    }
  self->elevation_granted = TRUE;
  self->elevated_end = self->config->elevated_end;
  if (self->elevated_menu == NULL)
    self->elevated_menu = rh_elevated_tools_menu (self->config->elevated_tools);
  status (self, "elevation", "granted");
  send_elevation_grant (self);
  update_auth_prompt_guard (self);
}

static void
grant_elevation (RhSession *self)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  self->elevation_asking = FALSE;
  g_clear_handle_id (&self->elevation_timer, g_source_remove);
  self->elevation_reporting = TRUE;
  json_object_set_string_member (fields, "event", "granted");
  rh_rendezvous_client_report_elevation_async (self->client, fields, self->cancellable,
                                               on_grant_recorded, g_object_ref (self));
}

static gboolean
on_elevation_timeout (gpointer user_data)
{
  RhSession *self = user_data;

  self->elevation_timer = 0;
  /* Unanswered counts as no, as for the screen itself. */
  deny_elevation (self, "no-answer", TRUE);
  return G_SOURCE_REMOVE;
}

static void
handle_elevation_request (RhSession  *self,
                          JsonObject *msg)
{
  if (self->elevation_ending || self->elevation_asking || self->elevation_reporting)
    return;
  if (elevation_granted (self))
    {
      send_elevation_grant (self);
      return;
    }
  if (self->sharer == NULL || self->mode != RH_RDP_MODE_CONTROL)
    {
      if (self->task)
        status (self, "refused", "elevation: the session is not in full control");
      deny_elevation (self, "not-in-control", TRUE);
      return;
    }
  if (!helper_may (self, RH_PERMISSION_ELEVATION))
    {
      /* Whatever the helper's app does, its role does not include elevation: the person is
       * not even asked. */
      if (self->task)
        status (self, "refused", "elevation: not permitted by the helper's role");
      deny_elevation (self, "not-permitted", TRUE);
      return;
    }
  status (self, "elevation", "requested");
  switch (self->options.elevation)
    {
    case RH_SESSION_ELEVATION_ALLOW:
      grant_elevation (self);
      break;
    case RH_SESSION_ELEVATION_ASK:
      self->elevation_asking = TRUE;
      self->elevation_timer = g_timeout_add_seconds (RH_SESSION_CONSENT_TIMEOUT_S,
                                                     on_elevation_timeout, self);
      status (self, "elevation", "asked");
      g_signal_emit (self, signals[SIGNAL_ELEVATION_REQUESTED], 0);
      break;
    case RH_SESSION_ELEVATION_DENY:
    default:
      deny_elevation (self, "declined", TRUE);
      break;
    }
}

void
rh_session_answer_elevation (RhSession *self,
                             gboolean   allow)
{
  g_return_if_fail (RH_IS_SESSION (self));

  if (self->is_helper || !self->elevation_asking || self->task == NULL)
    return;
  if (allow)
    grant_elevation (self);
  else
    deny_elevation (self, "declined", TRUE);
}

static void
reply_tool (RhSession    *self,
            const char   *name,
            const GError *error)
{
  g_autoptr(JsonObject) reply = rh_message_new ("elevated-tool-result");
  g_autofree char *text = error ? rh_error_format (error) : NULL;
  g_autofree char *line = error ? g_strdup_printf ("%s: failed: %s", name, text)
                                : g_strdup_printf ("%s: started", name);
  g_autoptr(JsonObject) fields = json_object_new ();

  json_object_set_string_member (fields, "event", "tool-started");
  json_object_set_string_member (fields, "tool", name);
  json_object_set_boolean_member (fields, "ok", error == NULL);
  if (error)
    json_object_set_string_member (fields, "error", text);
  if (elevation_granted (self))
    rh_rendezvous_client_report_elevation_async (self->client, fields, NULL,
                                                 on_elevation_reported, NULL);
  status (self, "elevated-tool", line);
  json_object_set_string_member (reply, "name", name);
  json_object_set_boolean_member (reply, "ok", error == NULL);
  if (error)
    json_object_set_string_member (reply, "error", text);
  send_peer (self, reply);
}

static void
handle_elevated_tool (RhSession  *self,
                      JsonObject *msg)
{
  g_autoptr(GError) error = NULL;
  const RhElevatedTool *tool = NULL;
  const char *name = rh_message_get_string (msg, "name", MAX_TOOL_NAME, &error);

  if (name == NULL)
    {
      g_debug ("Ignoring an elevated-tool message without a valid name");
      return;
    }
  if (self->elevation_ending || !elevation_granted (self) ||
      self->mode != RH_RDP_MODE_CONTROL)
    {
      g_set_error_literal (&error, RH_CONFIG_ERROR, RH_ERROR_ELEVATION_NOT_GRANTED,
                           _("Administrator access was not granted"));
      reply_tool (self, name, error);
      return;
    }
  for (guint i = 0; self->elevated_menu && i < self->elevated_menu->len; i++)
    if (g_str_equal (((RhElevatedTool *) self->elevated_menu->pdata[i])->name, name))
      tool = self->elevated_menu->pdata[i];
  if (tool == NULL)
    {
      g_set_error (&error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOL_START,
                   _("“%s” is not in the menu of administrator tools"), name);
      reply_tool (self, name, error);
      return;
    }
  /* Each start puts a system prompt in front of the person: a flood from a misbehaving helper
   * app must not bury their screen in prompts. */
  if (g_get_monotonic_time () - self->last_tool_start < TOOL_START_INTERVAL_US ||
      rh_elevation_n_running (self->elevation) >= MAX_RUNNING_TOOLS)
    {
      g_set_error (&error, RH_PROTOCOL_ERROR, RH_ERROR_RATE_LIMITED,
                   _("Too many administrator tools at once: wait a moment, or close one"));
      reply_tool (self, name, error);
      return;
    }
  self->last_tool_start = g_get_monotonic_time ();
  if (rh_elevation_start_tool (self->elevation, tool, &error) == 0)
    reply_tool (self, name, error);
  else
    reply_tool (self, name, NULL);
}

/* Sharer: the end of a session with administrator access. The screen stops at once; then the
 * helper and the service are told, tools, polkit and sudo are cleaned up, the service records
 * how, and only then the desktop session is signed out or locked (which may end this app). */

static void complete_end (RhSession *self, RhElevationResult *result);

static char *
steps_text (RhElevationResult *result)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < result->steps->len; i++)
    {
      RhElevationStep *step = result->steps->pdata[i];

      g_string_append_printf (text, "%s%s: %s (%s)", i ? "; " : "", step->name,
                              step->skipped ? "skipped" : step->ok ? "ok" : "failed",
                              step->detail);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

typedef struct
{
  RhSession         *self;
  RhElevationResult *clean_up;
  GCancellable      *cancellable;
  guint              timeout;
} EndRun;

static void
end_run_free (EndRun *run)
{
  g_clear_handle_id (&run->timeout, g_source_remove);
  g_clear_object (&run->cancellable);
  g_clear_pointer (&run->clean_up, rh_elevation_result_free);
  g_object_unref (run->self);
  g_free (run);
}

static void
on_session_closed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  EndRun *run = user_data;
  RhSession *self = run->self;
  g_autoptr(RhElevationResult) closed = rh_elevation_end_finish (self->elevation, result, NULL);

  if (closed != NULL)
    {
      if (!closed->ok)
        {
          g_autofree char *text = steps_text (closed);
          g_autoptr(JsonObject) fields = json_object_new ();

          json_object_set_string_member (fields, "event", "ended");
          json_object_set_string_member (fields, "action",
                                         rh_elevated_end_to_string (self->elevated_end));
          json_object_set_boolean_member (fields, "ok", FALSE);
          json_object_set_string_member (fields, "steps", text);
          rh_rendezvous_client_report_elevation_async (self->client, fields, NULL,
                                                       on_elevation_reported, NULL);
        }
      /* Put the two halves together for the session's own result: the steps move. */
      g_ptr_array_set_free_func (closed->steps, NULL);
      for (guint i = 0; i < closed->steps->len; i++)
        g_ptr_array_add (run->clean_up->steps, closed->steps->pdata[i]);
      run->clean_up->ok = run->clean_up->ok && closed->ok;
    }
  complete_end (self, run->clean_up);
  end_run_free (run);
}

static void
close_desktop_session (EndRun *run)
{
  g_clear_handle_id (&run->timeout, g_source_remove);
  rh_elevation_close_session_async (run->self->elevation, run->self->elevated_end, NULL,
                                    on_session_closed, run);
}

static void
on_end_recorded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  EndRun *run = user_data;
  g_autoptr(GError) error = NULL;

  if (!rh_rendezvous_client_report_elevation_finish (RH_RENDEZVOUS_CLIENT (source), result,
                                                     &error))
    g_warning ("The service did not record the end of administrator access: %s",
               error->message);
  close_desktop_session (run);
}

static gboolean
on_end_report_timeout (gpointer user_data)
{
  EndRun *run = user_data;

  /* The sign-out does not wait for an unreachable service. */
  run->timeout = 0;
  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_cleaned_up (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  EndRun *run = user_data;
  RhSession *self = run->self;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;

  run->clean_up = rh_elevation_end_finish (self->elevation, result, NULL);
  if (run->clean_up == NULL)
    {
      /* Not cancellable: cannot happen, but never skip the sign-out. */
      run->clean_up = g_new0 (RhElevationResult, 1);
      run->clean_up->steps = g_ptr_array_new_with_free_func (g_free);
      run->clean_up->ok = FALSE;
    }
  text = steps_text (run->clean_up);
  line = g_strdup_printf ("cleaned-up: %s", text);
  status (self, "elevation", line);
  json_object_set_string_member (fields, "event", "ended");
  json_object_set_string_member (fields, "action", rh_elevated_end_to_string (self->elevated_end));
  json_object_set_boolean_member (fields, "ok", run->clean_up->ok);
  json_object_set_string_member (fields, "steps", text);
  run->cancellable = g_cancellable_new ();
  run->timeout = g_timeout_add_seconds (END_REPORT_TIMEOUT_S, on_end_report_timeout, run);
  rh_rendezvous_client_report_elevation_async (self->client, fields, run->cancellable,
                                               on_end_recorded, run);
}

static void
end_elevation (RhSession *self)
{
  const char *action = rh_elevated_end_to_string (self->elevated_end);
  g_autofree char *line = g_strdup_printf ("ending: %s", action);
  g_autoptr(JsonObject) ending = rh_message_new ("elevation-ending");
  EndRun *run = g_new0 (EndRun, 1);

  status (self, "elevation", line);
  self->elevation_granted = FALSE;
  /* Prompts are private again for the moment the screen still runs. */
  update_auth_prompt_guard (self);
  /* The helper, if still there, hears what happens to the person's desktop. */
  json_object_set_string_member (ending, "action", action);
  if (rh_rendezvous_client_is_paired (self->client))
    rh_rendezvous_client_send_peer (self->client, ending, NULL);
  report_elevation (self, "ending", "action", action);
  teardown (self);
  run->self = g_object_ref (self);
  rh_elevation_clean_up_async (self->elevation, self->elevated_end, NULL, on_cleaned_up, run);
}

static void
complete_end (RhSession         *self,
              RhElevationResult *result)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);
  g_autofree char *line = NULL;
  GError *error = g_steal_pointer (&self->end_error);

  line = g_strdup_printf ("ended: %s%s", rh_elevated_end_to_string (self->elevated_end),
                          result->ok ? "" : " (a step failed)");
  status (self, "elevation", line);
  if (self->end_reason != NULL && rh_rendezvous_client_is_paired (self->client))
    rh_rendezvous_client_leave (self->client, self->end_reason);
  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  /* A failed clean-up is what the person must hear about: sign out by hand. */
  if (error == NULL && !result->ok)
    error = rh_elevation_result_to_error (result);
  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Helper */

static void
on_elevation_allowed (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(RhSession) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) request = NULL;

  if (!rh_rendezvous_client_request_mode_finish (RH_RENDEZVOUS_CLIENT (source), result, &error))
    {
      g_autofree char *text = NULL;
      g_autofree char *line = NULL;

      if (self->task == NULL)
        return;
      self->elevation_requesting = FALSE;
      text = rh_error_format (error);
      line = g_strdup_printf ("refused: %s", text);
      status (self, "elevation", line);
      if (self->elevated_tool)
        finish (self, g_steal_pointer (&error), "not-permitted");
      return;
    }
  if (self->task == NULL)
    return;
  request = rh_message_new ("elevation-request");
  send_peer (self, request);
  if (self->task)
    status (self, "elevation", "requested");
}

void
rh_session_request_elevation (RhSession *self)
{
  g_return_if_fail (RH_IS_SESSION (self));

  if (!self->is_helper || self->task == NULL || self->viewer == NULL ||
      self->elevation_requesting || self->elevation_granted)
    return;
  self->elevation_requesting = TRUE;
  /* The service decides even when this app already knows the answer: it audits refusals. */
  rh_rendezvous_client_request_mode_async (self->client, "elevation", self->cancellable,
                                           on_elevation_allowed, g_object_ref (self));
}

static void
handle_elevation_answer (RhSession  *self,
                         JsonObject *msg)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gboolean granted = FALSE;
  const char *end;
  JsonNode *tools;

  if (!self->elevation_requesting && !self->elevation_granted)
    return;
  self->elevation_requesting = FALSE;
  if (!rh_message_get_bool (msg, "granted", &granted, NULL) || !granted)
    {
      const char *reason = json_object_get_string_member_with_default (msg, "reason", "");
      g_autofree char *safe = g_utf8_make_valid (reason, MIN (strlen (reason), 32));
      g_autofree char *line = g_strdup_printf ("denied: %s", safe);

      status (self, "elevation", line);
      if (self->elevated_tool)
        finish (self, g_error_new (RH_PROTOCOL_ERROR, RH_ERROR_ELEVATION_DENIED,
                                   _("The person did not allow administrator access (%s)"),
                                   safe), "done");
      return;
    }
  end = json_object_get_string_member_with_default (msg, "end", "");
  self->elevated_end = g_strcmp0 (end, "lock") == 0 ? RH_ELEVATED_END_LOCK
                                                    : RH_ELEVATED_END_SIGN_OUT;
  tools = json_object_get_member (msg, "tools");
  if (tools != NULL && JSON_NODE_HOLDS_ARRAY (tools))
    {
      JsonArray *array = json_node_get_array (tools);

      for (guint i = 0; i < json_array_get_length (array) && i < MAX_TOOLS; i++)
        {
          JsonNode *node = json_array_get_element (array, i);
          const char *name = JSON_NODE_HOLDS_VALUE (node) &&
                             json_node_get_value_type (node) == G_TYPE_STRING
                             ? json_node_get_string (node) : NULL;

          if (name != NULL && *name != '\0' && strlen (name) <= MAX_TOOL_NAME &&
              g_utf8_validate (name, -1, NULL))
            g_ptr_array_add (names, g_strdup (name));
        }
    }
  g_ptr_array_add (names, NULL);
  g_strfreev (self->elevated_tools);
  self->elevated_tools = (GStrv) g_ptr_array_steal (names, NULL);
  self->elevation_granted = TRUE;
  status (self, "elevation", "granted");
  if (self->elevated_tool)
    {
      if (g_strv_contains ((const char * const *) self->elevated_tools, self->elevated_tool))
        rh_session_start_elevated_tool (self, self->elevated_tool);
      else
        finish (self, g_error_new (RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOL_START,
                                   _("“%s” is not in the menu of administrator tools"),
                                   self->elevated_tool), "done");
    }
}

static void
handle_elevated_tool_result (RhSession  *self,
                             JsonObject *msg)
{
  const char *name = json_object_get_string_member_with_default (msg, "name", "");
  const char *error = json_object_get_string_member_with_default (msg, "error", "");
  gboolean ok = FALSE;
  g_autofree char *safe_name = g_utf8_make_valid (name, MIN (strlen (name), MAX_TOOL_NAME));
  g_autofree char *safe_error = g_utf8_make_valid (error, MIN (strlen (error), 300));
  g_autofree char *line = NULL;

  rh_message_get_bool (msg, "ok", &ok, NULL);
  line = ok ? g_strdup_printf ("%s: started", safe_name)
            : g_strdup_printf ("%s: failed: %s", safe_name, safe_error);
  status (self, "elevated-tool", line);
  if (self->elevated_tool != NULL && g_str_equal (safe_name, self->elevated_tool))
    {
      g_clear_pointer (&self->elevated_tool, g_free);
      after_first_frame (self);
    }
}

static void
handle_elevation_ending (RhSession  *self,
                         JsonObject *msg)
{
  const char *action = json_object_get_string_member_with_default (msg, "action", "");
  g_autofree char *line = NULL;

  if (!self->elevation_granted)
    return;
  self->elevation_granted = FALSE;
  self->elevated_end = g_strcmp0 (action, "lock") == 0 ? RH_ELEVATED_END_LOCK
                                                       : RH_ELEVATED_END_SIGN_OUT;
  line = g_strdup_printf ("ending: %s", rh_elevated_end_to_string (self->elevated_end));
  status (self, "elevation", line);
}

void
rh_session_start_elevated_tool (RhSession  *self,
                                const char *name)
{
  g_autoptr(JsonObject) msg = NULL;

  g_return_if_fail (RH_IS_SESSION (self));
  g_return_if_fail (name != NULL);

  if (!self->is_helper || self->task == NULL || !self->elevation_granted ||
      self->elevated_tools == NULL ||
      !g_strv_contains ((const char * const *) self->elevated_tools, name))
    return;
  msg = rh_message_new ("elevated-tool");
  json_object_set_string_member (msg, "name", name);
  send_peer (self, msg);
}

gboolean
rh_session_get_elevation_granted (RhSession *self)
{
  g_return_val_if_fail (RH_IS_SESSION (self), FALSE);

  return self->is_helper ? self->elevation_granted
                         : elevation_granted (self);
}

const char * const *
rh_session_get_elevated_tools (RhSession *self)
{
  g_return_val_if_fail (RH_IS_SESSION (self), NULL);

  return self->elevation_granted ? (const char * const *) self->elevated_tools : NULL;
}

const char *
rh_session_get_elevation_end_action (RhSession *self)
{
  g_return_val_if_fail (RH_IS_SESSION (self), NULL);

  if (self->is_helper ? !self->elevation_granted
                      : self->elevation == NULL || !rh_elevation_was_used (self->elevation))
    return NULL;
  return rh_elevated_end_to_string (self->elevated_end);
}

void
rh_session_set_elevation_for_testing (RhSession           *self,
                                      struct _RhElevation *elevation)
{
  g_return_if_fail (RH_IS_SESSION (self));

  g_clear_pointer (&self->elevation, rh_elevation_free);
  self->elevation = elevation;
}

/* ---- Monitors (issue #6) ----
 * The sharer lists its monitors once the screen is shared and after every change; the helper
 * picks one or all. The sharer checks the choice against its own list, whatever the helper's
 * app sends, and the RDP stream follows without a reconnect (rh_rdp_sharer_select_monitor). */

/* Sharer: the laser is drawn over the shared monitor only, in its coordinates. */
static const RhLaserArea *
shared_monitor_area (RhSession   *self,
                     RhLaserArea *area)
{
  g_autoptr(GArray) monitors = NULL;
  int index = self->sharer ? rh_rdp_sharer_get_monitor (self->sharer) : RH_RDP_MONITOR_ALL;
  const RhRdpMonitor *m;

  if (index < 0)
    return NULL;
  monitors = rh_rdp_sharer_list_monitors (self->sharer, NULL);
  if (monitors == NULL || (guint) index >= monitors->len)
    return NULL;
  m = &g_array_index (monitors, RhRdpMonitor, index);
  *area = (RhLaserArea) { m->x, m->y, m->width, m->height };
  return area;
}

static void
send_monitors (RhSession    *self,
               const GError *refusal)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) monitors = NULL;
  g_autoptr(JsonObject) msg = NULL;
  g_autofree char *text = NULL;
  int selected;

  if (self->sharer == NULL || self->task == NULL)
    return;
  monitors = rh_rdp_sharer_list_monitors (self->sharer, &error);
  if (monitors == NULL)
    {
      g_message ("Not offering a choice of monitors: %s", error->message);
      return;
    }
  selected = rh_rdp_sharer_get_monitor (self->sharer);
  msg = rh_monitor_list_to_message (monitors, selected, refusal);
  send_peer (self, msg);
  text = rh_monitor_describe (monitors, selected);
  g_clear_pointer (&self->monitors, g_array_unref);
  self->monitors = g_steal_pointer (&monitors);
  self->monitor = selected;
  status (self, "monitor", text);
}

static void
handle_select_monitor (RhSession  *self,
                       JsonObject *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) monitors = NULL;
  int index;

  /* Only on a screen the person agreed to share; view-only or control alike. */
  if (self->sharer == NULL)
    return;
  monitors = rh_rdp_sharer_list_monitors (self->sharer, &error);
  if (monitors == NULL ||
      !rh_monitor_parse_select (msg, monitors->len, &index, &error) ||
      !rh_rdp_sharer_select_monitor (self->sharer, index, &error))
    {
      g_autofree char *text = rh_error_format (error);

      if (g_error_matches (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE))
        {
          g_debug ("Ignoring a monitor choice: %s", error->message);
          return;
        }
      status (self, "monitor-refused", text);
      send_monitors (self, error);
      return;
    }
  /* The laser's window follows on its next position. */
  g_clear_pointer (&self->laser, rh_laser_overlay_free);
  send_monitors (self, NULL);
}

static void
handle_monitors (RhSession  *self,
                 JsonObject *msg)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *refusal = NULL;
  g_autofree char *text = NULL;
  GArray *monitors;
  int selected;

  monitors = rh_monitor_list_from_message (msg, &selected, &refusal, &error);
  if (monitors == NULL)
    {
      g_debug ("Ignoring the sharer's monitors: %s", error->message);
      return;
    }
  g_clear_pointer (&self->monitors, g_array_unref);
  self->monitors = monitors;
  self->monitor = selected;
  if (refusal != NULL)
    {
      status (self, "monitor-refused", refusal);
      if (self->monitor_pending)
        {
          /* Headless: the snapshot was to show that monitor; it cannot. */
          RhErrorCode code = g_str_has_prefix (refusal, "RH-7222")
                             ? RH_ERROR_MONITOR_UNSUPPORTED : RH_ERROR_MONITOR_INVALID;

          finish (self, g_error_new_literal (RH_RDP_ERROR, code,
                                             _("The sharer could not share the chosen monitor")),
                  "error");
          return;
        }
    }
  text = rh_monitor_describe (self->monitors, self->monitor);
  status (self, "monitor", text);
  if (self->monitor_pending && self->monitor == self->options.monitor)
    self->monitor_confirmed = TRUE;
}

GArray *
rh_session_get_monitors (RhSession *self,
                         int       *selected)
{
  g_return_val_if_fail (RH_IS_SESSION (self), NULL);

  if (selected)
    *selected = self->monitor;
  return self->monitors;
}

void
rh_session_select_monitor (RhSession *self,
                           int        index)
{
  g_autoptr(JsonObject) msg = NULL;

  g_return_if_fail (RH_IS_SESSION (self));

  if (!self->is_helper || self->task == NULL)
    return;
  msg = rh_monitor_select_message (index < 0 ? RH_RDP_MONITOR_ALL : index);
  send_peer (self, msg);
}

static void
on_monitor_frame (RhRdpViewer *viewer,
                  int x, int y, int w, int h,
                  gpointer     user_data)
{
  RhSession *self = user_data;

  self->monitor_last_frame = g_get_monotonic_time ();
}

/* The size frames have once the chosen part is shared: a monitor's, or for "all" the screen
 * the monitors span. */
static void
expected_size (RhSession *self,
               int       *width,
               int       *height)
{
  *width = *height = 0;
  for (guint i = 0; self->monitors && i < self->monitors->len; i++)
    {
      const RhRdpMonitor *m = &g_array_index (self->monitors, RhRdpMonitor, i);

      if (self->monitor >= 0 && (guint) self->monitor != i)
        continue;
      *width = self->monitor >= 0 ? m->width : MAX (*width, m->x + m->width);
      *height = self->monitor >= 0 ? m->height : MAX (*height, m->y + m->height);
    }
}

#define MONITOR_SETTLE_USEC (G_USEC_PER_SEC * 3 / 10)
#define MONITOR_WAIT_USEC (G_USEC_PER_SEC * 10)

/* Headless: the snapshot waits until the sharer confirmed the choice, frames have the new size
 * and the repaint that follows a switch went quiet (bounded: after 10 s it goes on). */
static gboolean
on_monitor_wait (gpointer user_data)
{
  RhSession *self = user_data;
  gint64 now = g_get_monotonic_time ();
  int width = 0, height = 0, want_w, want_h;
  g_autoptr(GBytes) frame = NULL;

  if (now - self->monitor_since < MONITOR_WAIT_USEC)
    {
      if (!self->monitor_confirmed)
        return G_SOURCE_CONTINUE;
      frame = rh_rdp_viewer_get_frame (self->viewer, &width, &height);
      expected_size (self, &want_w, &want_h);
      if (width != want_w || height != want_h ||
          now - self->monitor_last_frame < MONITOR_SETTLE_USEC)
        return G_SOURCE_CONTINUE;
    }
  else
    g_message ("The chosen monitor did not settle in time; going on");
  self->monitor_timer = 0;
  self->monitor_pending = FALSE;
  g_signal_handlers_disconnect_by_func (self->viewer, on_monitor_frame, self);
  first_frame_next (self);
  return G_SOURCE_REMOVE;
}

static gboolean
monitor_before_snapshot (RhSession *self)
{
  if (!self->options.select_monitor)
    return FALSE;
  self->options.select_monitor = FALSE;
  /* Already shared (the sharer's list came before the first frame): nothing to wait for. */
  if (self->monitors != NULL && self->monitor == self->options.monitor)
    return FALSE;
  self->monitor_pending = TRUE;
  self->monitor_confirmed = FALSE;
  self->monitor_since = self->monitor_last_frame = g_get_monotonic_time ();
  g_signal_connect (self->viewer, "frame-updated", G_CALLBACK (on_monitor_frame), self);
  rh_session_select_monitor (self, self->options.monitor);
  self->monitor_timer = g_timeout_add (50, on_monitor_wait, self);
  return TRUE;
}

static void
on_peer_message (RhRendezvousClient *client,
                 JsonObject         *msg,
                 gpointer            user_data)
{
  RhSession *self = user_data;
  const char *type = rh_message_get_type (msg);

  if (self->is_helper && g_str_equal (type, "session-answer"))
    handle_answer (self, msg);
  else if (self->is_helper && g_str_equal (type, "rdp-offer"))
    handle_rdp_offer (self, msg);
  else if (!self->is_helper && g_str_equal (type, "session-request"))
    handle_request (self, msg);
  else if (!self->is_helper && g_str_equal (type, "laser"))
    handle_laser (self, msg);
  else if (!self->is_helper && g_str_equal (type, "elevation-request"))
    handle_elevation_request (self, msg);
  else if (!self->is_helper && g_str_equal (type, "elevated-tool"))
    handle_elevated_tool (self, msg);
  else if (self->is_helper && g_str_equal (type, "elevation-answer"))
    handle_elevation_answer (self, msg);
  else if (self->is_helper && g_str_equal (type, "elevated-tool-result"))
    handle_elevated_tool_result (self, msg);
  else if (self->is_helper && g_str_equal (type, "elevation-ending"))
    handle_elevation_ending (self, msg);
  else if (self->is_helper && g_str_equal (type, "auth-prompt"))
    handle_auth_prompt (self, msg);
  else if (!self->is_helper && g_str_equal (type, "select-monitor"))
    handle_select_monitor (self, msg);
  else if (self->is_helper && g_str_equal (type, "monitors"))
    handle_monitors (self, msg);
  else
    g_debug ("Ignoring a peer message of type %.32s", type);
}

static void
on_peer_left (RhRendezvousClient *client,
              const char         *who,
              const char         *reason,
              gpointer            user_data)
{
  RhSession *self = user_data;
  g_autofree char *text = g_strdup_printf ("%s left (%s)", who, reason);

  status (self, "ended", text);
  if (g_strcmp0 (who, "server") == 0 && g_strcmp0 (reason, "not-permitted") == 0)
    {
      finish (self, g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_MODE_NOT_PERMITTED,
                                         _("The service ended the session: the helper's role "
                                           "does not allow it")), NULL);
      return;
    }
  /* For the sharer, the helper leaving is the normal end. */
  if (!self->is_helper)
    finish (self, NULL, NULL);
  else
    finish (self, g_error_new (RH_PROTOCOL_ERROR, RH_ERROR_PEER_LEFT,
                               _("%s ended the session (%s)"), who, reason), NULL);
}

static void
on_disconnected (RhRendezvousClient *client,
                 const GError       *error,
                 gpointer            user_data)
{
  RhSession *self = user_data;

  finish (self, error ? g_error_copy (error)
                      : g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_CONNECTION_LOST,
                                             _("The connection to the service ended")), NULL);
}

static gboolean
on_consent_timeout (gpointer user_data)
{
  RhSession *self = user_data;

  self->consent_timer = 0;
  if (!self->is_helper && self->answered && self->sharer == NULL)
    {
      /* Unanswered counts as declined: nothing is ever accepted by default. */
      g_autoptr(JsonObject) answer = rh_message_new ("session-answer");

      json_object_set_string_member (answer, "mode", "deny");
      send_peer (self, answer);
    }
  status (self, "ended", "no answer");
  finish (self, g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_CONSENT_TIMEOUT,
                                     _("The request was not answered within 5 minutes")),
          "no-answer");
  return G_SOURCE_REMOVE;
}

static void
announce_permissions (RhSession *self)
{
  g_autofree char *names =
    rh_permissions_to_string (rh_rendezvous_client_get_helper_permissions (self->client));

  status (self, "permissions", names[0] != '\0' ? names : "none");
}

static void
on_mode_allowed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(RhSession) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) request = NULL;

  if (!rh_rendezvous_client_request_mode_finish (RH_RENDEZVOUS_CLIENT (source), result, &error))
    {
      if (self->task == NULL)
        return;
      status (self, "ended", "not permitted");
      finish (self, g_steal_pointer (&error), "not-permitted");
      return;
    }
  if (self->task == NULL)
    return;
  request = rh_message_new ("session-request");
  json_object_set_string_member (request, "mode", mode_name (self->options.requested_mode));
  send_peer (self, request);
  if (self->task)
    status (self, "requested", mode_name (self->options.requested_mode));
}

void
rh_session_run_async (RhSession           *self,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_return_if_fail (RH_IS_SESSION (self));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_signal_connect (self->client, "peer-message", G_CALLBACK (on_peer_message), self);
  g_signal_connect (self->client, "peer-left", G_CALLBACK (on_peer_left), self);
  g_signal_connect (self->client, "disconnected", G_CALLBACK (on_disconnected), self);
  self->consent_timer = g_timeout_add_seconds (RH_SESSION_CONSENT_TIMEOUT_S, on_consent_timeout,
                                               self);

  announce_permissions (self);
  if (self->is_helper)
    /* The service checks the role first; the sharer is asked only once it agreed. */
    rh_rendezvous_client_request_mode_async (self->client,
                                             mode_name (self->options.requested_mode),
                                             self->cancellable, on_mode_allowed,
                                             g_object_ref (self));
}

gboolean
rh_session_run_finish (RhSession     *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_chat_message (RhRendezvousClient *client,
                 RhChatMessage      *message,
                 gpointer            user_data)
{
  RhSession *self = user_data;

  /* The service numbers the thread; a repeat (e.g. after a reconnect) is shown once. */
  if (self->chat->len > 0 &&
      ((RhChatMessage *) g_ptr_array_index (self->chat, self->chat->len - 1))->seq >= message->seq)
    return;
  g_ptr_array_add (self->chat, rh_chat_message_copy (message));
  g_signal_emit (self, signals[SIGNAL_CHAT_MESSAGE], 0, message);
}

gboolean
rh_session_get_chat_enabled (RhSession *self)
{
  g_return_val_if_fail (RH_IS_SESSION (self), FALSE);

  return rh_rendezvous_client_get_chat_enabled (self->client);
}

GPtrArray *
rh_session_get_chat (RhSession *self)
{
  g_return_val_if_fail (RH_IS_SESSION (self), NULL);

  return self->chat;
}

static void
on_chat_sent (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gint64 seq = rh_rendezvous_client_send_chat_finish (RH_RENDEZVOUS_CLIENT (source), result,
                                                      &error);

  if (seq == 0)
    {
      g_message ("Chat message not sent: RH-%04d %s", error->code, error->message);
      g_task_return_error (task, error);
    }
  else
    g_task_return_boolean (task, TRUE);
}

void
rh_session_send_chat_async (RhSession           *self,
                            const char          *text,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (RH_IS_SESSION (self));
  g_return_if_fail (text != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rh_session_send_chat_async);
  if (!rh_session_get_chat_enabled (self))
    {
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_CHAT_DISABLED,
                               _("Chat is turned off for this organisation"));
      return;
    }
  rh_rendezvous_client_send_chat_async (self->client, text, cancellable, on_chat_sent,
                                        g_steal_pointer (&task));
}

gboolean
rh_session_send_chat_finish (RhSession     *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
rh_session_dispose (GObject *object)
{
  RhSession *self = RH_SESSION (object);

  teardown (self);
  g_clear_object (&self->task);
  if (self->client)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (rh_session_parent_class)->dispose (object);
}

static void
rh_session_finalize (GObject *object)
{
  RhSession *self = RH_SESSION (object);

  g_free (self->snapshot_path);
  g_free (self->type_text);
  g_clear_pointer (&self->elevation, rh_elevation_free);
  g_clear_pointer (&self->elevated_menu, g_ptr_array_unref);
  g_clear_error (&self->end_error);
  g_free (self->end_reason);
  g_strfreev (self->elevated_tools);
  g_free (self->elevated_tool);
  g_free (self->display);
  g_clear_pointer (&self->monitors, g_array_unref);
  g_clear_pointer (&self->cert, g_bytes_unref);
  g_clear_pointer (&self->chat, g_ptr_array_unref);
  g_free (self->rdp_user);
  if (self->rdp_password)
    explicit_bzero (self->rdp_password, strlen (self->rdp_password));
  g_free (self->rdp_password);

  G_OBJECT_CLASS (rh_session_parent_class)->finalize (object);
}

static void
rh_session_class_init (RhSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rh_session_dispose;
  object_class->finalize = rh_session_finalize;

  signals[SIGNAL_STATUS] =
    g_signal_new ("status", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_CONSENT_REQUESTED] =
    g_signal_new ("consent-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_VIEWER_READY] =
    g_signal_new ("viewer-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, RH_TYPE_RDP_VIEWER);
  signals[SIGNAL_ELEVATION_REQUESTED] =
    g_signal_new ("elevation-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_CHAT_MESSAGE] =
    g_signal_new ("chat-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, RH_TYPE_CHAT_MESSAGE);
}

static void
rh_session_init (RhSession *self)
{
  self->cancellable = g_cancellable_new ();
  self->chat = g_ptr_array_new_with_free_func ((GDestroyNotify) rh_chat_message_free);
  self->monitor = RH_RDP_MONITOR_ALL;
}

RhSession *
rh_session_new (RhRendezvousClient     *client,
                RhConfig               *config,
                gboolean                is_helper,
                const RhSessionOptions *options)
{
  RhSession *self;

  g_return_val_if_fail (RH_IS_RENDEZVOUS_CLIENT (client), NULL);
  g_return_val_if_fail (config != NULL && options != NULL, NULL);

  self = g_object_new (RH_TYPE_SESSION, NULL);
  self->client = g_object_ref (client);
  self->config = config;
  self->is_helper = is_helper;
  self->options = *options;
  self->snapshot_path = g_strdup (options->snapshot_path);
  self->type_text = g_strdup (options->type_text);
  self->display = g_strdup (options->display);
  self->elevated_tool = is_helper ? g_strdup (options->elevated_tool) : NULL;
  self->elevated_end = config->elevated_end;
  self->options.elevated_tool = NULL;
  self->options.snapshot_path = NULL;
  self->options.type_text = NULL;
  self->options.display = NULL;
  self->mode = RH_RDP_MODE_VIEW;
  /* Chat may start while the request still waits for the person's answer. */
  g_signal_connect (client, "chat-message", G_CALLBACK (on_chat_message), self);
  return self;
}
