/* rh-rdp-viewer.c: the helper's RDP client (libfreerdp, software GDI, BGRA32)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Threading: every FreeRDP call after connect_async() happens on one GThread of ours, which
 * waits on FreeRDP's event handles plus a stop event and an input event. That thread never
 * touches the GObject's signals: it posts small messages to the main context of the thread
 * that called connect_async(), through a "link" that holds only a weak reference, so a message
 * arriving after the viewer is gone is dropped. The frame buffer is the one thing both sides
 * read, under frame_lock. dispose() and disconnect() stop and join the thread.
 *
 * "first-frame" is emitted once every pixel of the desktop has been painted at least once since
 * the connection (tracked on a grid of 16x16 cells), not after the first EndPaint: a server may
 * paint the first screen in several updates.
 */
#define G_LOG_DOMAIN "rh-rdp"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include <cairo.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <freerdp/error.h>
#include <freerdp/freerdp.h>
#include <freerdp/gdi/gdi.h>
#include <freerdp/graphics.h>
#include <freerdp/input.h>
#include <freerdp/primitives.h>
#include <freerdp/settings.h>
#include <winpr/synch.h>

#include "rh-error.h"
#include "rh-rdp-viewer.h"

#define SHA256_LEN      32
#define CELL            16
#define MAX_DESKTOP_DIM 8192

typedef enum
{
  CERT_UNSEEN,
  CERT_MATCH,
  CERT_MISMATCH,
} CertState;

/* What the FreeRDP thread shares with the main context: a weak reference to the viewer. */
typedef struct
{
  gatomicrefcount ref_count;
  GWeakRef viewer;
  GMainContext *context;
} ViewerLink;

typedef struct
{
  rdpContext base;
  RhRdpViewer *viewer;   /* not a reference: the viewer joins the thread before it goes away */
} ViewerContext;

typedef enum
{
  INPUT_MOUSE,
  INPUT_SCANCODE,
  INPUT_UNICODE,
} InputKind;

typedef struct
{
  InputKind kind;
  guint16 flags;
  guint16 x;     /* or the UTF-16 code unit */
  guint16 y;
} InputEvent;

struct _RhRdpViewer
{
  GObject parent_instance;

  char *socket_path;
  char *username;
  char *password;
  GBytes *cert_sha256;
  int mode;                 /* atomic RhRdpMode */

  char *config_dir;         /* FreeRDP's ConfigPath: private, removed in dispose */

  freerdp *instance;
  GThread *thread;
  HANDLE stop_event;
  HANDLE input_event;
  GAsyncQueue *input_queue;
  ViewerLink *link;

  GTask *connect_task;
  GCancellable *cancellable;
  gulong cancelled_id;
  gboolean connected;       /* main context only */
  guint16 pointer_x;        /* main context only: where the last pointer event went */
  guint16 pointer_y;

  int cert_state;           /* atomic CertState */

  GMutex frame_lock;
  guint8 *frame;            /* BGRA32, stride = frame_width * 4 */
  int frame_width;
  int frame_height;
  gboolean have_frame;
  /* Damage not yet reported: one "frame-updated" message is in flight at most, carrying the
   * union of everything painted since the last one, so a slow main loop never builds a
   * backlog. */
  gboolean pending_damage;
  int pending_x, pending_y, pending_w, pending_h;
  gboolean damage_posted;
  /* The sharer's pointer (under frame_lock): BGRA32 image, NULL while hidden or unknown. */
  GBytes *pointer_image;
  int pointer_width, pointer_height, pointer_hot_x, pointer_hot_y;
  int pointer_pos_x, pointer_pos_y;   /* -1 until the sharer says */

  /* FreeRDP thread only */
  guint8 *coverage;
  int cov_cols;
  int cov_rows;
  int cov_left;
  gboolean first_frame_posted;
  gboolean connect_reported;   /* frame messages wait until the connect result is posted */

  RhRdpViewerPaintHook paint_hook;   /* set before connecting, called on the FreeRDP thread */
  gpointer paint_hook_data;
};

enum
{
  SIGNAL_FRAME_UPDATED,
  SIGNAL_FIRST_FRAME,
  SIGNAL_DISCONNECTED,
  SIGNAL_POINTER_CHANGED,
  SIGNAL_POINTER_MOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RhRdpViewer, rh_rdp_viewer, G_TYPE_OBJECT)

/* ---- The link and messages to the main context ---- */

static ViewerLink *
viewer_link_new (RhRdpViewer  *viewer,
                 GMainContext *context)
{
  ViewerLink *link = g_new0 (ViewerLink, 1);

  g_atomic_ref_count_init (&link->ref_count);
  g_weak_ref_init (&link->viewer, viewer);
  link->context = g_main_context_ref (context);
  return link;
}

static ViewerLink *
viewer_link_ref (ViewerLink *link)
{
  g_atomic_ref_count_inc (&link->ref_count);
  return link;
}

static void
viewer_link_unref (ViewerLink *link)
{
  if (!g_atomic_ref_count_dec (&link->ref_count))
    return;
  g_weak_ref_clear (&link->viewer);
  g_main_context_unref (link->context);
  g_free (link);
}

typedef enum
{
  MSG_CONNECT_RESULT,
  MSG_FRAME_UPDATED,
  MSG_FIRST_FRAME,
  MSG_DISCONNECTED,
  MSG_POINTER_CHANGED,
  MSG_POINTER_MOVED,
} MessageKind;

typedef struct
{
  ViewerLink *link;
  MessageKind kind;
  int x, y, width, height;
  GError *error;
} Message;

static void
message_free (gpointer data)
{
  Message *msg = data;

  viewer_link_unref (msg->link);
  g_clear_error (&msg->error);
  g_free (msg);
}

static void viewer_join_thread (RhRdpViewer *self);

static gboolean
message_dispatch (gpointer data)
{
  Message *msg = data;
  g_autoptr (RhRdpViewer) self = g_weak_ref_get (&msg->link->viewer);

  if (self == NULL || self->link != msg->link)
    return G_SOURCE_REMOVE;

  switch (msg->kind)
    {
    case MSG_CONNECT_RESULT:
      {
        g_autoptr (GTask) task = g_steal_pointer (&self->connect_task);

        if (self->cancellable != NULL)
          g_cancellable_disconnect (self->cancellable, self->cancelled_id);
        self->cancelled_id = 0;
        g_clear_object (&self->cancellable);

        if (msg->error != NULL)
          {
            viewer_join_thread (self);
            if (task != NULL)
              {
                if (g_task_return_error_if_cancelled (task))
                  break;
                g_task_return_error (task, g_steal_pointer (&msg->error));
              }
          }
        else if (task != NULL)
          {
            if (g_task_return_error_if_cancelled (task))
              {
                viewer_join_thread (self);
                break;
              }
            self->connected = TRUE;
            g_task_return_boolean (task, TRUE);
          }
      }
      break;

    case MSG_FRAME_UPDATED:
      {
        gboolean damaged;
        int x, y, w, h;

        g_mutex_lock (&self->frame_lock);
        damaged = self->pending_damage;
        x = self->pending_x;
        y = self->pending_y;
        w = self->pending_w;
        h = self->pending_h;
        self->pending_damage = FALSE;
        self->damage_posted = FALSE;
        g_mutex_unlock (&self->frame_lock);

        if (damaged && self->connected)
          g_signal_emit (self, signals[SIGNAL_FRAME_UPDATED], 0, x, y, w, h);
      }
      break;

    case MSG_FIRST_FRAME:
      if (self->connected)
        g_signal_emit (self, signals[SIGNAL_FIRST_FRAME], 0);
      break;

    case MSG_DISCONNECTED:
      if (self->connected)
        {
          self->connected = FALSE;
          viewer_join_thread (self);
          g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, msg->error);
        }
      break;

    case MSG_POINTER_CHANGED:
      if (self->connected)
        g_signal_emit (self, signals[SIGNAL_POINTER_CHANGED], 0, msg->x, msg->y, msg->width,
                       msg->height);
      break;

    case MSG_POINTER_MOVED:
      if (self->connected)
        g_signal_emit (self, signals[SIGNAL_POINTER_MOVED], 0, msg->x, msg->y);
      break;

    default:
      g_assert_not_reached ();
    }

  return G_SOURCE_REMOVE;
}

/* Any thread. Takes the error. */
static void
post_message (ViewerLink  *link,
              MessageKind  kind,
              int          x,
              int          y,
              int          width,
              int          height,
              GError      *error)
{
  Message *msg = g_new0 (Message, 1);
  GSource *source;

  msg->link = viewer_link_ref (link);
  msg->kind = kind;
  msg->x = x;
  msg->y = y;
  msg->width = width;
  msg->height = height;
  msg->error = error;

  /* Not g_main_context_invoke(): it runs the function right here when it can acquire the
   * context, which would emit signals on the FreeRDP thread. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, message_dispatch, msg, message_free);
  g_source_set_static_name (source, "[rh-rdp-viewer] message");
  g_source_attach (source, link->context);
  g_source_unref (source);
}

/* ---- FreeRDP callbacks (FreeRDP thread) ---- */

static RhRdpViewer *
viewer_from_context (rdpContext *context)
{
  return ((ViewerContext *) context)->viewer;
}

static int
viewer_verify_x509 (freerdp    *instance,
                    const BYTE *data,
                    size_t      length,
                    const char *hostname,
                    UINT16      port,
                    DWORD       flags)
{
  RhRdpViewer *self = viewer_from_context (instance->context);
  BIO *bio = NULL;
  X509 *cert = NULL;
  unsigned char *der = NULL;
  int der_len;
  unsigned char digest[SHA256_LEN];
  unsigned int digest_len = 0;
  gsize pin_len = 0;
  const guint8 *pin = g_bytes_get_data (self->cert_sha256, &pin_len);
  gboolean match = FALSE;

  (void) hostname;
  (void) port;
  (void) flags;

  if (data == NULL || length == 0 || length > G_MAXINT)
    goto out;

  bio = BIO_new_mem_buf (data, (int) length);
  if (bio == NULL)
    goto out;
  /* The PEM holds the leaf first, then any chain. */
  cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  if (cert == NULL)
    goto out;
  der_len = i2d_X509 (cert, &der);
  if (der_len <= 0)
    goto out;
  if (!EVP_Digest (der, (size_t) der_len, digest, &digest_len, EVP_sha256 (), NULL) ||
      digest_len != SHA256_LEN)
    goto out;

  match = pin_len == SHA256_LEN && CRYPTO_memcmp (digest, pin, SHA256_LEN) == 0;

out:
  OPENSSL_free (der);
  X509_free (cert);
  BIO_free (bio);

  g_atomic_int_set (&self->cert_state, match ? CERT_MATCH : CERT_MISMATCH);
  if (!match)
    {
      g_message ("The RDP server's certificate does not match the pinned SHA-256");
      return -1;   /* a hard failure: FreeRDP does not fall back to known_hosts or a prompt */
    }
  return 2;        /* accept for this session only */
}

static void
coverage_reset (RhRdpViewer *self,
                int          width,
                int          height)
{
  g_free (self->coverage);
  self->cov_cols = (width + CELL - 1) / CELL;
  self->cov_rows = (height + CELL - 1) / CELL;
  self->cov_left = self->cov_cols * self->cov_rows;
  self->coverage = g_malloc0 ((gsize) MAX (self->cov_left, 1));
}

/* Marks the cells that lie entirely inside the rectangle (already clipped to the desktop). */
static void
coverage_add (RhRdpViewer *self,
              int          x,
              int          y,
              int          width,
              int          height,
              int          desktop_width,
              int          desktop_height)
{
  int x1 = x + width, y1 = y + height;

  if (self->coverage == NULL || width <= 0 || height <= 0)
    return;

  for (int cy = y / CELL; cy <= (y1 - 1) / CELL && cy < self->cov_rows; cy++)
    {
      int top = cy * CELL, bottom = MIN (top + CELL, desktop_height);

      if (top < y || bottom > y1)
        continue;
      for (int cx = x / CELL; cx <= (x1 - 1) / CELL && cx < self->cov_cols; cx++)
        {
          int left = cx * CELL, right = MIN (left + CELL, desktop_width);
          guint8 *cell = &self->coverage[cy * self->cov_cols + cx];

          if (left < x || right > x1 || *cell)
            continue;
          *cell = 1;
          self->cov_left--;
        }
    }
}

static gboolean
clip_rect (int *x,
           int *y,
           int *width,
           int *height,
           int  limit_width,
           int  limit_height)
{
  gint64 x0 = MAX (*x, 0), y0 = MAX (*y, 0);
  gint64 x1 = MIN ((gint64) *x + *width, limit_width);
  gint64 y1 = MIN ((gint64) *y + *height, limit_height);

  if (x1 <= x0 || y1 <= y0)
    return FALSE;
  *x = (int) x0;
  *y = (int) y0;
  *width = (int) (x1 - x0);
  *height = (int) (y1 - y0);
  return TRUE;
}

static BOOL
viewer_begin_paint (rdpContext *context)
{
  rdpGdi *gdi = context->gdi;
  HGDI_WND hwnd;

  if (gdi == NULL || gdi->primary == NULL || gdi->primary->hdc == NULL)
    return FALSE;
  hwnd = gdi->primary->hdc->hwnd;
  if (hwnd == NULL || hwnd->invalid == NULL)
    return FALSE;
  hwnd->invalid->null = TRUE;
  hwnd->ninvalid = 0;
  return TRUE;
}

static BOOL
viewer_end_paint (rdpContext *context)
{
  RhRdpViewer *self = viewer_from_context (context);
  rdpGdi *gdi = context->gdi;
  HGDI_WND hwnd;
  int x, y, w, h;
  gboolean first = FALSE;
  gboolean post;

  if (gdi == NULL || gdi->primary == NULL || gdi->primary->hdc == NULL)
    return FALSE;
  hwnd = gdi->primary->hdc->hwnd;
  if (hwnd == NULL || hwnd->invalid == NULL || hwnd->invalid->null)
    return TRUE;
  if (gdi->width <= 0 || gdi->height <= 0 || gdi->primary_buffer == NULL ||
      gdi->stride < (UINT32) gdi->width * 4)
    return FALSE;

  x = hwnd->invalid->x;
  y = hwnd->invalid->y;
  w = hwnd->invalid->w;
  h = hwnd->invalid->h;
  if (!clip_rect (&x, &y, &w, &h, gdi->width, gdi->height))
    return TRUE;

  for (INT32 i = 0; hwnd->cinvalid != NULL && i < hwnd->ninvalid; i++)
    {
      int rx = hwnd->cinvalid[i].x, ry = hwnd->cinvalid[i].y;
      int rw = hwnd->cinvalid[i].w, rh = hwnd->cinvalid[i].h;

      if (clip_rect (&rx, &ry, &rw, &rh, gdi->width, gdi->height))
        coverage_add (self, rx, ry, rw, rh, gdi->width, gdi->height);
    }

  g_mutex_lock (&self->frame_lock);
  if (self->frame == NULL || self->frame_width != gdi->width ||
      self->frame_height != gdi->height)
    {
      g_free (self->frame);
      self->frame = g_malloc0 ((gsize) gdi->width * (gsize) gdi->height * 4);
      self->frame_width = gdi->width;
      self->frame_height = gdi->height;
      /* A resize after the first frame keeps the frame available (the server repaints) */
      self->have_frame = self->first_frame_posted;
      self->pending_damage = FALSE;   /* old coordinates */
    }
  for (int row = y; row < y + h; row++)
    memcpy (self->frame + ((gsize) row * (gsize) self->frame_width + (gsize) x) * 4,
            gdi->primary_buffer + (gsize) row * gdi->stride + (gsize) x * 4,
            (gsize) w * 4);
  if (!self->first_frame_posted && self->cov_left == 0)
    {
      self->first_frame_posted = TRUE;
      self->have_frame = TRUE;
      first = TRUE;
    }
  if (self->paint_hook != NULL)
    self->paint_hook (self->frame, self->frame_width, self->frame_height, x, y, w, h, first,
                      self->paint_hook_data);
  if (self->pending_damage)
    {
      int x1 = MAX (self->pending_x + self->pending_w, x + w);
      int y1 = MAX (self->pending_y + self->pending_h, y + h);

      x = MIN (self->pending_x, x);
      y = MIN (self->pending_y, y);
      w = x1 - x;
      h = y1 - y;
    }
  self->pending_damage = TRUE;
  self->pending_x = x;
  self->pending_y = y;
  self->pending_w = w;
  self->pending_h = h;
  /* Painted inside freerdp_connect(): reported once the connection result is out */
  post = self->connect_reported && !self->damage_posted;
  if (post)
    self->damage_posted = TRUE;
  g_mutex_unlock (&self->frame_lock);

  if (post)
    post_message (self->link, MSG_FRAME_UPDATED, 0, 0, 0, 0, NULL);
  if (first && self->connect_reported)
    post_message (self->link, MSG_FIRST_FRAME, 0, 0, 0, 0, NULL);
  return TRUE;
}

/* FreeRDP thread, right after the connection result is posted. */
static void
viewer_flush_pending_frame (RhRdpViewer *self)
{
  gboolean first, post;

  g_mutex_lock (&self->frame_lock);
  self->connect_reported = TRUE;
  post = self->pending_damage && !self->damage_posted;
  if (post)
    self->damage_posted = TRUE;
  first = self->first_frame_posted;
  g_mutex_unlock (&self->frame_lock);
  if (post)
    post_message (self->link, MSG_FRAME_UPDATED, 0, 0, 0, 0, NULL);
  if (first)
    post_message (self->link, MSG_FIRST_FRAME, 0, 0, 0, 0, NULL);
}

static BOOL
viewer_desktop_resize (rdpContext *context)
{
  RhRdpViewer *self = viewer_from_context (context);
  UINT32 width = freerdp_settings_get_uint32 (context->settings, FreeRDP_DesktopWidth);
  UINT32 height = freerdp_settings_get_uint32 (context->settings, FreeRDP_DesktopHeight);

  if (width == 0 || height == 0 || width > MAX_DESKTOP_DIM || height > MAX_DESKTOP_DIM)
    {
      g_message ("The RDP server asked for an invalid desktop size %ux%u", width, height);
      return FALSE;
    }
  if (!gdi_resize (context->gdi, width, height))
    return FALSE;
  g_debug ("Desktop resized to %ux%u", width, height);
  coverage_reset (self, (int) width, (int) height);
  return TRUE;
}

static BOOL
viewer_pre_connect (freerdp *instance)
{
  (void) instance;
  return TRUE;
}

/* Pointer shapes: the sharer sends its cursor as pointer updates (it is not in the frames).
 * Each pointer keeps its image in BGRA32; Set makes it the current one, which
 * rh_rdp_viewer_get_pointer() hands to the UI, and "pointer-changed" says so. */
typedef struct
{
  rdpPointer base;
  GBytes *image;
} ViewerPointer;

#define MAX_POINTER_DIM 384   /* RDP's large pointers; anything larger is hostile */

static BOOL
viewer_pointer_new (rdpContext *context,
                    rdpPointer *pointer)
{
  ViewerPointer *vp = (ViewerPointer *) pointer;
  gsize size;
  guint8 *data;

  vp->image = NULL;
  if (pointer->width == 0 || pointer->height == 0 || pointer->width > MAX_POINTER_DIM ||
      pointer->height > MAX_POINTER_DIM)
    return TRUE;
  size = (gsize) pointer->width * pointer->height * 4;
  data = g_malloc0 (size);
  if (!freerdp_image_copy_from_pointer_data (data, PIXEL_FORMAT_BGRA32, pointer->width * 4, 0, 0,
                                             pointer->width, pointer->height,
                                             pointer->xorMaskData, pointer->lengthXorMask,
                                             pointer->andMaskData, pointer->lengthAndMask,
                                             pointer->xorBpp, &context->gdi->palette))
    {
      g_free (data);
      return TRUE;   /* an unusable shape is not worth the connection */
    }
  vp->image = g_bytes_new_take (data, size);
  return TRUE;
}

static void
viewer_pointer_free (rdpContext *context,
                     rdpPointer *pointer)
{
  g_clear_pointer (&((ViewerPointer *) pointer)->image, g_bytes_unref);
}

static void
viewer_pointer_use (rdpContext *context,
                    GBytes     *image,
                    int         width,
                    int         height,
                    int         hot_x,
                    int         hot_y)
{
  RhRdpViewer *self = viewer_from_context (context);

  g_mutex_lock (&self->frame_lock);
  g_clear_pointer (&self->pointer_image, g_bytes_unref);
  self->pointer_image = image ? g_bytes_ref (image) : NULL;
  self->pointer_width = image ? width : 0;
  self->pointer_height = image ? height : 0;
  self->pointer_hot_x = hot_x;
  self->pointer_hot_y = hot_y;
  g_mutex_unlock (&self->frame_lock);
  post_message (self->link, MSG_POINTER_CHANGED, hot_x, hot_y, image ? width : 0,
                image ? height : 0, NULL);
}

static BOOL
viewer_pointer_set (rdpContext       *context,
                    const rdpPointer *pointer)
{
  const ViewerPointer *vp = (const ViewerPointer *) pointer;

  viewer_pointer_use (context, vp->image, (int) pointer->width, (int) pointer->height,
                      (int) MIN (pointer->xPos, pointer->width),
                      (int) MIN (pointer->yPos, pointer->height));
  return TRUE;
}

static BOOL
viewer_pointer_set_null (rdpContext *context)
{
  viewer_pointer_use (context, NULL, 0, 0, 0, 0);
  return TRUE;
}

static BOOL
viewer_pointer_set_default (rdpContext *context)
{
  /* "The system's default pointer": the UI shows its own. */
  viewer_pointer_use (context, NULL, 0, 0, 0, 0);
  return TRUE;
}

static BOOL
viewer_pointer_set_position (rdpContext *context,
                             UINT32      x,
                             UINT32      y)
{
  RhRdpViewer *self = viewer_from_context (context);

  g_mutex_lock (&self->frame_lock);
  self->pointer_pos_x = (int) MIN (x, MAX_DESKTOP_DIM);
  self->pointer_pos_y = (int) MIN (y, MAX_DESKTOP_DIM);
  g_mutex_unlock (&self->frame_lock);
  post_message (self->link, MSG_POINTER_MOVED, (int) MIN (x, MAX_DESKTOP_DIM),
                (int) MIN (y, MAX_DESKTOP_DIM), 0, 0, NULL);
  return TRUE;
}

static BOOL
viewer_post_connect (freerdp *instance)
{
  rdpPointer pointer = {
    .size = sizeof (ViewerPointer),
    .New = viewer_pointer_new,
    .Free = viewer_pointer_free,
    .Set = viewer_pointer_set,
    .SetNull = viewer_pointer_set_null,
    .SetDefault = viewer_pointer_set_default,
    .SetPosition = viewer_pointer_set_position,
  };
  RhRdpViewer *self = viewer_from_context (instance->context);
  rdpGdi *gdi;

  if (!gdi_init (instance, PIXEL_FORMAT_BGRA32))
    return FALSE;
  gdi = instance->context->gdi;
  if (gdi->width <= 0 || gdi->height <= 0 || gdi->width > MAX_DESKTOP_DIM ||
      gdi->height > MAX_DESKTOP_DIM)
    return FALSE;
  coverage_reset (self, gdi->width, gdi->height);
  instance->update->BeginPaint = viewer_begin_paint;
  instance->update->EndPaint = viewer_end_paint;
  instance->update->DesktopResize = viewer_desktop_resize;
  graphics_register_pointer (instance->context->graphics, &pointer);
  g_debug ("Connected, desktop %dx%d", gdi->width, gdi->height);
  return TRUE;
}

static void
viewer_post_disconnect (freerdp *instance)
{
  gdi_free (instance);
}

/* ---- The FreeRDP thread ---- */

static GError *
viewer_connect_error (RhRdpViewer *self)
{
  UINT32 code = freerdp_get_last_error (self->instance->context);
  const char *name = freerdp_get_last_error_name (code);
  CertState cert = g_atomic_int_get (&self->cert_state);

  g_debug ("freerdp_connect failed: %s (0x%08x)", name ? name : "?", code);

  if (cert == CERT_MISMATCH)
    return g_error_new (RH_RDP_ERROR, RH_ERROR_RDP_CERTIFICATE,
                        "The screen-sharing certificate is not the one the sharer announced");

  switch (code)
    {
    case FREERDP_ERROR_AUTHENTICATION_FAILED:
    case FREERDP_ERROR_CONNECT_LOGON_FAILURE:
    case FREERDP_ERROR_CONNECT_WRONG_PASSWORD:
    case FREERDP_ERROR_CONNECT_NO_OR_MISSING_CREDENTIALS:
    case FREERDP_ERROR_CONNECT_ACCOUNT_DISABLED:
    case FREERDP_ERROR_CONNECT_ACCOUNT_RESTRICTION:
    case FREERDP_ERROR_CONNECT_ACCOUNT_LOCKED_OUT:
    case FREERDP_ERROR_CONNECT_ACCOUNT_EXPIRED:
    case FREERDP_ERROR_CONNECT_PASSWORD_EXPIRED:
    case FREERDP_ERROR_CONNECT_PASSWORD_CERTAINLY_EXPIRED:
    case FREERDP_ERROR_CONNECT_PASSWORD_MUST_CHANGE:
      return g_error_new (RH_RDP_ERROR, RH_ERROR_RDP_AUTH,
                          "The screen-sharing credentials were refused (%s)", name);
    case FREERDP_ERROR_CONNECT_TRANSPORT_FAILED:
      /* FreeRDP 2 reports a refused NLA login as a transport failure; NLA runs after TLS, so
       * a transport failure after an accepted certificate is an authentication failure. */
      if (cert == CERT_MATCH)
        return g_error_new (RH_RDP_ERROR, RH_ERROR_RDP_AUTH,
                            "The screen-sharing credentials were refused (%s)", name);
      break;
    default:
      break;
    }

  return g_error_new (RH_RDP_ERROR, RH_ERROR_RDP_CONNECT,
                      "Could not connect to the shared screen: %s",
                      code != FREERDP_ERROR_SUCCESS ? freerdp_get_last_error_string (code)
                                                    : "unknown error");
}

static void
viewer_send_queued_input (RhRdpViewer *self)
{
  rdpInput *input = self->instance->input;
  InputEvent *ev;

  while ((ev = g_async_queue_try_pop (self->input_queue)) != NULL)
    {
      /* The mode may have changed since the event was queued. */
      if (g_atomic_int_get (&self->mode) == RH_RDP_MODE_CONTROL)
        {
          gboolean ok = FALSE;

          if (ev->kind == INPUT_MOUSE)
            ok = freerdp_input_send_mouse_event (input, ev->flags, ev->x, ev->y);
          else if (ev->kind == INPUT_SCANCODE)
            ok = freerdp_input_send_keyboard_event (input, ev->flags, ev->x);
          else
            ok = freerdp_input_send_unicode_keyboard_event (input, ev->flags, ev->x);
          if (!ok)
            g_debug ("Could not send an input event");
        }
      g_free (ev);
    }
}

/* Returns TRUE when the session was lost, FALSE when we were asked to stop. */
static gboolean
viewer_run_session (RhRdpViewer *self)
{
  rdpContext *context = self->instance->context;

  for (;;)
    {
      HANDLE handles[MAXIMUM_WAIT_OBJECTS];
      DWORD count = freerdp_get_event_handles (context, handles, MAXIMUM_WAIT_OBJECTS - 2);
      DWORD status;

      if (count == 0)
        {
          g_debug ("freerdp_get_event_handles failed");
          return TRUE;
        }
      handles[count++] = self->stop_event;
      handles[count++] = self->input_event;

      /* Data that arrived together with the end of the connection sequence can sit in the
       * TLS layer without the socket becoming readable again: never block indefinitely, and
       * always let FreeRDP check its transport. */
      status = WaitForMultipleObjects (count, handles, FALSE, 100);
      if (WaitForSingleObject (self->stop_event, 0) == WAIT_OBJECT_0)
        return FALSE;
      if (status == WAIT_FAILED)
        {
          g_debug ("WaitForMultipleObjects failed");
          return TRUE;
        }
      if (WaitForSingleObject (self->input_event, 0) == WAIT_OBJECT_0)
        {
          ResetEvent (self->input_event);
          viewer_send_queued_input (self);
        }
      if (!freerdp_check_event_handles (context))
        {
          g_debug ("freerdp_check_event_handles failed: %s",
                   freerdp_get_last_error_name (freerdp_get_last_error (context)));
          return WaitForSingleObject (self->stop_event, 0) != WAIT_OBJECT_0;
        }
      if (freerdp_shall_disconnect (self->instance))
        return WaitForSingleObject (self->stop_event, 0) != WAIT_OBJECT_0;
    }
}

static gpointer
viewer_thread (gpointer data)
{
  RhRdpViewer *self = data;
  ViewerLink *link = self->link;

  if (!freerdp_connect (self->instance))
    {
      GError *error = viewer_connect_error (self);

      if (self->instance->context->gdi != NULL)
        gdi_free (self->instance);
      post_message (link, MSG_CONNECT_RESULT, 0, 0, 0, 0, error);
      return NULL;
    }

  post_message (link, MSG_CONNECT_RESULT, 0, 0, 0, 0, NULL);
  viewer_flush_pending_frame (self);

  if (viewer_run_session (self))
    {
      g_debug ("The RDP session was lost");
      post_message (link, MSG_DISCONNECTED, 0, 0, 0, 0,
                    g_error_new (RH_RDP_ERROR, RH_ERROR_RDP_DISCONNECTED,
                                 "The screen-sharing connection was lost"));
    }
  freerdp_disconnect (self->instance);
  return NULL;
}

/* Main context. Stops the FreeRDP thread, joins it and frees the FreeRDP instance. */
static void
viewer_join_thread (RhRdpViewer *self)
{
  if (self->thread != NULL)
    {
      SetEvent (self->stop_event);
      /* The session loop wakes on the stop event; only freerdp_connect() needs aborting. */
      if (self->instance != NULL && !self->connected)
        freerdp_abort_connect (self->instance);
      g_thread_join (g_steal_pointer (&self->thread));
    }
  if (self->instance != NULL)
    {
      freerdp_context_free (self->instance);
      freerdp_free (g_steal_pointer (&self->instance));
    }
  if (self->input_queue != NULL)
    {
      InputEvent *ev;

      while ((ev = g_async_queue_try_pop (self->input_queue)) != NULL)
        g_free (ev);
    }
  self->connected = FALSE;
}

static void
viewer_cancelled (GCancellable *cancellable,
                  gpointer      data)
{
  RhRdpViewer *self = data;

  (void) cancellable;
  /* Any thread; the instance lives until this handler is disconnected. */
  SetEvent (self->stop_event);
  if (self->instance != NULL)
    freerdp_abort_connect (self->instance);
}

/* ---- Private configuration directory ---- */

static gboolean
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
              !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
    }
  return g_rmdir (path) == 0;
}

/* ---- GObject ---- */

static void
rh_rdp_viewer_dispose (GObject *object)
{
  RhRdpViewer *self = RH_RDP_VIEWER (object);

  if (self->cancellable != NULL && self->cancelled_id != 0)
    g_cancellable_disconnect (self->cancellable, self->cancelled_id);
  self->cancelled_id = 0;
  g_clear_object (&self->cancellable);
  viewer_join_thread (self);
  g_clear_object (&self->connect_task);
  g_clear_pointer (&self->link, viewer_link_unref);
  if (self->config_dir != NULL)
    {
      remove_tree (self->config_dir);
      g_clear_pointer (&self->config_dir, g_free);
    }

  G_OBJECT_CLASS (rh_rdp_viewer_parent_class)->dispose (object);
}

static void
rh_rdp_viewer_finalize (GObject *object)
{
  RhRdpViewer *self = RH_RDP_VIEWER (object);

  g_free (self->socket_path);
  g_free (self->username);
  if (self->password != NULL)
    {
      explicit_bzero (self->password, strlen (self->password));
      g_free (self->password);
    }
  g_clear_pointer (&self->cert_sha256, g_bytes_unref);
  if (self->stop_event != NULL)
    CloseHandle (self->stop_event);
  if (self->input_event != NULL)
    CloseHandle (self->input_event);
  g_clear_pointer (&self->input_queue, g_async_queue_unref);
  g_mutex_clear (&self->frame_lock);
  g_clear_pointer (&self->pointer_image, g_bytes_unref);
  g_free (self->frame);
  g_free (self->coverage);

  G_OBJECT_CLASS (rh_rdp_viewer_parent_class)->finalize (object);
}

static void
rh_rdp_viewer_class_init (RhRdpViewerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rh_rdp_viewer_dispose;
  object_class->finalize = rh_rdp_viewer_finalize;

  signals[SIGNAL_FRAME_UPDATED] =
    g_signal_new ("frame-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT,
                  G_TYPE_INT);
  signals[SIGNAL_FIRST_FRAME] =
    g_signal_new ("first-frame", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_POINTER_CHANGED] =
    g_signal_new ("pointer-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT,
                  G_TYPE_INT);
  signals[SIGNAL_POINTER_MOVED] =
    g_signal_new ("pointer-moved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
}

static void
rh_rdp_viewer_init (RhRdpViewer *self)
{
  g_mutex_init (&self->frame_lock);
  self->stop_event = CreateEventA (NULL, TRUE, FALSE, NULL);
  self->input_event = CreateEventA (NULL, TRUE, FALSE, NULL);
  self->input_queue = g_async_queue_new ();
  self->pointer_pos_x = self->pointer_pos_y = -1;
}

RhRdpViewer *
rh_rdp_viewer_new (const char *socket_path,
                   const char *username,
                   const char *password,
                   GBytes     *cert_sha256,
                   RhRdpMode   mode)
{
  RhRdpViewer *self;

  g_return_val_if_fail (socket_path != NULL && socket_path[0] == '/', NULL);
  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (cert_sha256 != NULL, NULL);

  self = g_object_new (RH_TYPE_RDP_VIEWER, NULL);
  self->socket_path = g_strdup (socket_path);
  self->username = g_strdup (username);
  self->password = g_strdup (password);
  self->cert_sha256 = g_bytes_ref (cert_sha256);
  self->mode = mode;
  return self;
}

static gboolean
viewer_configure (RhRdpViewer *self,
                  GError     **error)
{
  rdpSettings *settings = self->instance->settings;
  gboolean ok = TRUE;

  if (self->config_dir == NULL)
    {
      g_autoptr (GError) local_error = NULL;

      self->config_dir = g_dir_make_tmp ("rh-rdp-viewer-XXXXXX", &local_error);
      if (self->config_dir == NULL)
        {
          g_set_error (error, RH_RDP_ERROR, RH_ERROR_RDP_CONNECT,
                       "Could not create a private FreeRDP directory: %s",
                       local_error->message);
          return FALSE;
        }
    }

  /* Unix socket: FreeRDP 2's transport connects to a ServerHostname that starts with '/' as a
   * Unix domain socket (the port is then ignored). */
  ok &= freerdp_settings_set_string (settings, FreeRDP_ServerHostname, self->socket_path);
  ok &= freerdp_settings_set_uint32 (settings, FreeRDP_ServerPort, 3389);
  ok &= freerdp_settings_set_string (settings, FreeRDP_Username, self->username);
  ok &= freerdp_settings_set_string (settings, FreeRDP_Password, self->password);
  ok &= freerdp_settings_set_string (settings, FreeRDP_Domain, NULL);

  /* NLA only */
  ok &= freerdp_settings_set_bool (settings, FreeRDP_NlaSecurity, TRUE);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_TlsSecurity, FALSE);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_RdpSecurity, FALSE);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_ExtSecurity, FALSE);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_NegotiateSecurityLayer, TRUE);

  /* Certificate: only our pin decides; no store, no prompt. ConfigPath (where FreeRDP keeps
   * known_hosts2 and may create directories) points at a private directory, never $HOME. */
  ok &= freerdp_settings_set_bool (settings, FreeRDP_ExternalCertificateManagement, TRUE);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_IgnoreCertificate, FALSE);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_AutoAcceptCertificate, FALSE);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_AutoDenyCertificate, TRUE);
  ok &= freerdp_settings_set_string (settings, FreeRDP_ConfigPath, self->config_dir);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_CredentialsFromStdin, FALSE);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_AutoReconnectionEnabled, FALSE);

  /* Software GDI, plain bitmap updates; one thread does everything */
  ok &= freerdp_settings_set_bool (settings, FreeRDP_SoftwareGdi, TRUE);
  ok &= freerdp_settings_set_uint32 (settings, FreeRDP_ColorDepth, 32);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_SupportGraphicsPipeline, FALSE);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_AsyncUpdate, FALSE);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_AsyncInput, FALSE);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_AsyncChannels, FALSE);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_UnicodeInput, TRUE);
  ok &= freerdp_settings_set_bool (settings, FreeRDP_RedirectClipboard, FALSE);
  /* FreeRDP passes the server's pointer positions on only with GrabMouse (an xfreerdp
   * notion); we grab nothing, we only report them. */
  ok &= freerdp_settings_set_bool (settings, FreeRDP_GrabMouse, TRUE);

  if (!ok)
    {
      g_set_error (error, RH_RDP_ERROR, RH_ERROR_RDP_CONNECT,
                   "Could not configure the RDP client");
      return FALSE;
    }
  return TRUE;
}

void
rh_rdp_viewer_connect_async (RhRdpViewer        *self,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();
  ViewerContext *vctx;

  g_return_if_fail (RH_IS_RDP_VIEWER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rh_rdp_viewer_connect_async);

  if (self->thread != NULL || self->connect_task != NULL)
    {
      g_task_return_new_error (task, RH_RDP_ERROR, RH_ERROR_RDP_CONNECT,
                               "The viewer is already connected or connecting");
      return;
    }
  viewer_join_thread (self);   /* frees what a lost session left */

  primitives_set_hints (PRIMITIVES_ONLY_CPU);

  self->instance = freerdp_new ();
  if (self->instance == NULL)
    {
      g_task_return_new_error (task, RH_RDP_ERROR, RH_ERROR_RDP_CONNECT,
                               "Could not create the RDP client");
      return;
    }
  self->instance->ContextSize = sizeof (ViewerContext);
  self->instance->PreConnect = viewer_pre_connect;
  self->instance->PostConnect = viewer_post_connect;
  self->instance->PostDisconnect = viewer_post_disconnect;
  self->instance->VerifyX509Certificate = viewer_verify_x509;
  if (!freerdp_context_new (self->instance))
    {
      freerdp_free (g_steal_pointer (&self->instance));
      g_task_return_new_error (task, RH_RDP_ERROR, RH_ERROR_RDP_CONNECT,
                               "Could not create the RDP client context");
      return;
    }
  vctx = (ViewerContext *) self->instance->context;
  vctx->viewer = self;

  if (!viewer_configure (self, &error))
    {
      viewer_join_thread (self);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  ResetEvent (self->stop_event);
  ResetEvent (self->input_event);
  g_atomic_int_set (&self->cert_state, CERT_UNSEEN);
  self->first_frame_posted = FALSE;
  self->connect_reported = FALSE;
  g_mutex_lock (&self->frame_lock);
  self->have_frame = FALSE;
  self->pending_damage = FALSE;
  self->damage_posted = FALSE;
  g_mutex_unlock (&self->frame_lock);

  g_clear_pointer (&self->link, viewer_link_unref);
  self->link = viewer_link_new (self, context);
  self->connect_task = g_steal_pointer (&task);

  if (cancellable != NULL)
    {
      self->cancellable = g_object_ref (cancellable);
      self->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (viewer_cancelled),
                                                  self, NULL);
    }

  self->thread = g_thread_new ("rh-rdp-viewer", viewer_thread, self);
}

gboolean
rh_rdp_viewer_connect_finish (RhRdpViewer  *self,
                              GAsyncResult *result,
                              GError      **error)
{
  g_return_val_if_fail (RH_IS_RDP_VIEWER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
rh_rdp_viewer_disconnect (RhRdpViewer *self)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (RH_IS_RDP_VIEWER (self));

  if (self->cancellable != NULL && self->cancelled_id != 0)
    g_cancellable_disconnect (self->cancellable, self->cancelled_id);
  self->cancelled_id = 0;
  g_clear_object (&self->cancellable);

  task = g_steal_pointer (&self->connect_task);
  viewer_join_thread (self);
  /* Messages still queued from the old thread are dropped (the link changes on reconnect). */
  g_clear_pointer (&self->link, viewer_link_unref);

  if (task != NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "The connection was cancelled");
}

GBytes *
rh_rdp_viewer_get_frame (RhRdpViewer *self,
                         int         *width,
                         int         *height)
{
  GBytes *bytes = NULL;

  g_return_val_if_fail (RH_IS_RDP_VIEWER (self), NULL);

  g_mutex_lock (&self->frame_lock);
  if (self->have_frame && self->frame != NULL)
    {
      bytes = g_bytes_new (self->frame,
                           (gsize) self->frame_width * (gsize) self->frame_height * 4);
      if (width != NULL)
        *width = self->frame_width;
      if (height != NULL)
        *height = self->frame_height;
    }
  g_mutex_unlock (&self->frame_lock);

  if (bytes == NULL)
    {
      if (width != NULL)
        *width = 0;
      if (height != NULL)
        *height = 0;
    }
  return bytes;
}

GBytes *
rh_rdp_viewer_get_pointer (RhRdpViewer *self,
                           int         *width,
                           int         *height,
                           int         *hot_x,
                           int         *hot_y,
                           int         *x,
                           int         *y)
{
  GBytes *image;

  g_return_val_if_fail (RH_IS_RDP_VIEWER (self), NULL);

  g_mutex_lock (&self->frame_lock);
  image = self->pointer_image ? g_bytes_ref (self->pointer_image) : NULL;
  if (width)
    *width = self->pointer_width;
  if (height)
    *height = self->pointer_height;
  if (hot_x)
    *hot_x = self->pointer_hot_x;
  if (hot_y)
    *hot_y = self->pointer_hot_y;
  if (x)
    *x = self->pointer_pos_x;
  if (y)
    *y = self->pointer_pos_y;
  g_mutex_unlock (&self->frame_lock);
  return image;
}

gboolean
rh_rdp_viewer_save_png (RhRdpViewer *self,
                        const char  *path,
                        GError     **error)
{
  cairo_surface_t *surface;
  cairo_status_t status;
  guint8 *data;
  int width, height, stride;
  g_autoptr (GBytes) frame = NULL;
  const guint8 *src;

  g_return_val_if_fail (RH_IS_RDP_VIEWER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  frame = rh_rdp_viewer_get_frame (self, &width, &height);
  if (frame == NULL)
    {
      g_set_error (error, RH_RDP_ERROR, RH_ERROR_SNAPSHOT, "No frame has arrived yet");
      return FALSE;
    }

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, RH_RDP_ERROR, RH_ERROR_SNAPSHOT, "Could not create an image: %s",
                   cairo_status_to_string (cairo_surface_status (surface)));
      cairo_surface_destroy (surface);
      return FALSE;
    }

  /* CAIRO_FORMAT_ARGB32 is a native-endian 32-bit word: B, G, R, A in memory on little-endian
   * machines, like PIXEL_FORMAT_BGRA32. Write whole words so big-endian works as well. */
  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  src = g_bytes_get_data (frame, NULL);
  for (int y = 0; y < height; y++)
    {
      guint32 *dst = (guint32 *) (gpointer) (data + (gsize) y * (gsize) stride);
      const guint8 *s = src + (gsize) y * (gsize) width * 4;

      for (int x = 0; x < width; x++, s += 4)
        dst[x] = 0xff000000u | ((guint32) s[2] << 16) | ((guint32) s[1] << 8) | s[0];
    }
  cairo_surface_mark_dirty (surface);

  status = cairo_surface_write_to_png (surface, path);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, RH_RDP_ERROR, RH_ERROR_SNAPSHOT, "Could not write %s: %s", path,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}

static gboolean
viewer_check_input (RhRdpViewer *self,
                    GError     **error)
{
  if (g_atomic_int_get (&self->mode) != RH_RDP_MODE_CONTROL)
    {
      g_set_error (error, RH_RDP_ERROR, RH_ERROR_VIEW_ONLY,
                   "This is a view-only session");
      return FALSE;
    }
  if (!self->connected || self->thread == NULL)
    {
      g_set_error (error, RH_RDP_ERROR, RH_ERROR_RDP_DISCONNECTED,
                   "The screen-sharing session is not connected");
      return FALSE;
    }
  return TRUE;
}

static void
viewer_queue_input (RhRdpViewer *self,
                    InputKind    kind,
                    guint16      flags,
                    guint16      x,
                    guint16      y)
{
  InputEvent *ev = g_new0 (InputEvent, 1);

  ev->kind = kind;
  ev->flags = flags;
  ev->x = x;
  ev->y = y;
  g_async_queue_push (self->input_queue, ev);
}

gboolean
rh_rdp_viewer_send_pointer (RhRdpViewer *self,
                            int          x,
                            int          y,
                            guint        button,
                            gboolean     pressed,
                            GError     **error)
{
  guint16 px, py;

  g_return_val_if_fail (RH_IS_RDP_VIEWER (self), FALSE);
  g_return_val_if_fail (button <= 3, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!viewer_check_input (self, error))
    return FALSE;

  px = (guint16) CLAMP (x, 0, G_MAXUINT16);
  py = (guint16) CLAMP (y, 0, G_MAXUINT16);
  self->pointer_x = px;
  self->pointer_y = py;
  viewer_queue_input (self, INPUT_MOUSE, PTR_FLAGS_MOVE, px, py);
  if (button != 0)
    {
      /* X11 numbering (1 left, 2 middle, 3 right) to RDP's (1 left, 2 right, 3 middle) */
      static const guint16 button_flags[] = { 0, PTR_FLAGS_BUTTON1, PTR_FLAGS_BUTTON3,
                                              PTR_FLAGS_BUTTON2 };

      viewer_queue_input (self, INPUT_MOUSE,
                          (guint16) (button_flags[button] | (pressed ? PTR_FLAGS_DOWN : 0)),
                          px, py);
    }
  SetEvent (self->input_event);
  return TRUE;
}

#define SC_LSHIFT 0x2a

/* US-layout set-1 scancodes for printable ASCII, indexed by character - 0x20; bit 0x100 means
 * "with Shift". */
static const guint16 ascii_scancodes[95] = {
  /* space ! " # $ % & ' */
  0x039, 0x102, 0x128, 0x104, 0x105, 0x106, 0x108, 0x028,
  /* ( ) * + , - . / */
  0x10a, 0x10b, 0x109, 0x10d, 0x033, 0x00c, 0x034, 0x035,
  /* 0-9 */
  0x00b, 0x002, 0x003, 0x004, 0x005, 0x006, 0x007, 0x008, 0x009, 0x00a,
  /* : ; < = > ? @ */
  0x127, 0x027, 0x133, 0x00d, 0x134, 0x135, 0x103,
  /* A-Z */
  0x11e, 0x130, 0x12e, 0x120, 0x112, 0x121, 0x122, 0x123, 0x117, 0x124, 0x125, 0x126, 0x132,
  0x131, 0x118, 0x119, 0x110, 0x113, 0x11f, 0x114, 0x116, 0x12f, 0x111, 0x12d, 0x115, 0x12c,
  /* [ \ ] ^ _ ` */
  0x01a, 0x02b, 0x01b, 0x107, 0x10c, 0x029,
  /* a-z */
  0x01e, 0x030, 0x02e, 0x020, 0x012, 0x021, 0x022, 0x023, 0x017, 0x024, 0x025, 0x026, 0x032,
  0x031, 0x018, 0x019, 0x010, 0x013, 0x01f, 0x014, 0x016, 0x02f, 0x011, 0x02d, 0x015, 0x02c,
  /* { | } ~ */
  0x11a, 0x12b, 0x11b, 0x129,
};

/* Returns the scancode (with 0x100 for Shift) or 0 when the character has none. */
static guint16
char_to_scancode (gunichar c)
{
  if (c == '\n' || c == '\r')
    return 0x01c;   /* Enter */
  if (c == '\t')
    return 0x00f;
  if (c == '\b')
    return 0x00e;
  if (c >= 0x20 && c < 0x7f)
    return ascii_scancodes[c - 0x20];
  return 0;
}

static void
viewer_queue_key (RhRdpViewer *self,
                  guint16      scancode)
{
  gboolean shift = (scancode & 0x100) != 0;
  guint16 code = scancode & 0xff;

  if (shift)
    viewer_queue_input (self, INPUT_SCANCODE, KBD_FLAGS_DOWN, SC_LSHIFT, 0);
  viewer_queue_input (self, INPUT_SCANCODE, KBD_FLAGS_DOWN, code, 0);
  viewer_queue_input (self, INPUT_SCANCODE, KBD_FLAGS_RELEASE, code, 0);
  if (shift)
    viewer_queue_input (self, INPUT_SCANCODE, KBD_FLAGS_RELEASE, SC_LSHIFT, 0);
}

/* ASCII goes as US-layout scancodes, because FreeRDP 2's X11 shadow subsystem (the sharer)
 * ignores Unicode keyboard events; everything else goes as Unicode events for servers that
 * handle them. On a sharer with another keyboard layout, the X server maps the scancodes
 * through that layout. */
gboolean
rh_rdp_viewer_send_text (RhRdpViewer *self,
                         const char  *utf8,
                         GError     **error)
{
  g_return_val_if_fail (RH_IS_RDP_VIEWER (self), FALSE);
  g_return_val_if_fail (utf8 != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!viewer_check_input (self, error))
    return FALSE;

  if (!g_utf8_validate (utf8, -1, NULL))
    {
      g_set_error (error, RH_RDP_ERROR, RH_ERROR_INTERNAL, "The text is not valid UTF-8");
      return FALSE;
    }
  for (const char *p = utf8; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      guint16 scancode = char_to_scancode (c);
      gunichar2 units[2];
      int n_units = 1;

      if (scancode != 0)
        {
          viewer_queue_key (self, scancode);
          continue;
        }
      if (c > 0xffff)
        {
          units[0] = (gunichar2) (0xd800 + ((c - 0x10000) >> 10));
          units[1] = (gunichar2) (0xdc00 + ((c - 0x10000) & 0x3ff));
          n_units = 2;
        }
      else
        units[0] = (gunichar2) c;
      for (int i = 0; i < n_units; i++)
        {
          viewer_queue_input (self, INPUT_UNICODE, 0, units[i], 0);
          viewer_queue_input (self, INPUT_UNICODE, KBD_FLAGS_RELEASE, units[i], 0);
        }
    }
  SetEvent (self->input_event);
  return TRUE;
}

gboolean
rh_rdp_viewer_send_key (RhRdpViewer *self,
                        guint32      rdp_scancode,
                        gboolean     extended,
                        gboolean     pressed,
                        GError     **error)
{
  guint16 flags;

  g_return_val_if_fail (RH_IS_RDP_VIEWER (self), FALSE);
  g_return_val_if_fail (rdp_scancode > 0 && rdp_scancode <= 0xff, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!viewer_check_input (self, error))
    return FALSE;

  flags = pressed ? KBD_FLAGS_DOWN : KBD_FLAGS_RELEASE;
  if (extended)
    flags |= KBD_FLAGS_EXTENDED;
  viewer_queue_input (self, INPUT_SCANCODE, flags, (guint16) rdp_scancode, 0);
  SetEvent (self->input_event);
  return TRUE;
}

/* One wheel event per notch of 120 units (WHEEL_DELTA); the rotation is a 9-bit two's
 * complement value whose sign bit is PTR_FLAGS_WHEEL_NEGATIVE. */
static void
viewer_queue_wheel (RhRdpViewer *self,
                    guint16      axis_flag,
                    int          notches)
{
  int n = MIN (ABS (notches), 64);   /* a burst larger than this is not a person scrolling */

  for (int i = 0; i < n; i++)
    {
      guint16 flags = axis_flag;

      if (notches < 0)
        flags |= PTR_FLAGS_WHEEL_NEGATIVE | ((0x200 - 120) & 0xff);
      else
        flags |= 120;
      viewer_queue_input (self, INPUT_MOUSE, flags, self->pointer_x, self->pointer_y);
    }
}

gboolean
rh_rdp_viewer_send_scroll (RhRdpViewer *self,
                           int          dx,
                           int          dy,
                           GError     **error)
{
  g_return_val_if_fail (RH_IS_RDP_VIEWER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!viewer_check_input (self, error))
    return FALSE;

  /* RDP: a positive vertical rotation scrolls up (away from the user); a positive horizontal
   * one scrolls right. */
  if (dy != 0)
    viewer_queue_wheel (self, PTR_FLAGS_WHEEL, -dy);
  if (dx != 0)
    viewer_queue_wheel (self, PTR_FLAGS_HWHEEL, dx);
  SetEvent (self->input_event);
  return TRUE;
}

void
rh_rdp_viewer_set_mode (RhRdpViewer *self,
                        RhRdpMode    mode)
{
  g_return_if_fail (RH_IS_RDP_VIEWER (self));

  g_atomic_int_set (&self->mode, mode);
}

void
rh_rdp_viewer_set_paint_hook (RhRdpViewer          *self,
                              RhRdpViewerPaintHook  hook,
                              gpointer              user_data)
{
  g_return_if_fail (RH_IS_RDP_VIEWER (self));
  g_return_if_fail (self->thread == NULL);

  self->paint_hook = hook;
  self->paint_hook_data = user_data;
}
