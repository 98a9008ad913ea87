/* rh-shadow-x11.c: our X11 subsystem for FreeRDP 2's shadow server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Debian's FreeRDP 2.11 X11 subsystem is built without XShm and XDamage: it takes a full-screen
 * XGetImage on every tick, compares it with the last one and merges every change into one
 * bounding box, so a static screen costs 8-32 % of a core. This one is registered through the
 * public entry points (shadow_subsystem_set_entry) and does no work while nothing changes:
 *
 * - Change detection: XDamage on the root window in "non-empty" mode. One event arrives when
 *   damage appears; XDamageSubtract then hands over the whole damaged region (a list of
 *   rectangles) and re-arms the notification. Nothing polls.
 * - Capture: XShmGetImage of each damaged rectangle only (XGetImage when the display is not
 *   local), copied into the shadow surface under its lock.
 * - Cursor: XFixes cursor-change events; the shape goes to the clients as an RDP pointer update
 *   (it is never painted into frames); XInput2 raw motion events drive pointer position updates.
 * - Input: XTest, on a Display of its own. The sharer's view-only gate wraps these handlers.
 *   Unicode keyboard events (non-ASCII text from rh-rdp-viewer's send_text, which the stock
 *   subsystem ignores) become keysyms: an existing key when the layout has one, otherwise a spare
 *   keycode remapped to that keysym.
 *
 * What the shadow server (libfreerdp-shadow 2.11, not ours to change) does with our surface,
 * and what we do about it:
 * - On each shadow_subsystem_frame_update() every client thread takes the union of the
 *   surface's invalid region and its own refresh region, and encodes only the BOUNDING BOX of
 *   it. Two small changes in opposite corners would become a full-screen update. So we publish
 *   one frame update per rectangle (after merging rectangles until few are left; each publish
 *   waits until every client has encoded and written it).
 * - The codec is picked from the client's settings on every update: RemoteFX if RemoteFxCodec,
 *   else NSCodec if NSCodec, else bitmap updates (planar at 32 bpp, lossless, in 64x64 tiles).
 *   The subsystem's ClientCapabilities runs before the server announces its capabilities, so
 *   what it turns off there is never offered: NSCodec (lossy at its default colour loss level,
 *   and no better than planar for text) and the GFX pipeline (2.11 encodes the whole desktop
 *   for every GFX update). RemoteFX stays offered; once a client is active its RemoteFxCodec
 *   says whether it took it, and from then on we switch it per update: on only for large
 *   rectangles while the screen keeps changing a lot (video, scrolling, dragging). A quarter
 *   of a second after the screen goes still, whatever went out as RemoteFX is sent again
 *   losslessly, so a still picture is always exact.
 * - Pacing: publishing blocks until every client has written its update (the socket applies
 *   back-pressure), and while it blocks, damage piles up in the X server and is captured fresh
 *   afterwards: a slow link gets fewer, newer frames, never a queue of stale ones. With RemoteFX
 *   the client acknowledges frames; we hold back while a client has more than MAX_IN_FLIGHT
 *   unacknowledged (shadow_encoder_inflight_frames), for half a second at most. Frames start
 *   at most MAX_FPS a second, BUSY_FPS while large frames keep coming.
 * - Bitmap updates carry no frame acknowledgement in RDP, so the planar path relies on the
 *   socket's back-pressure only.
 * - Not handled: a screen whose depth or pixel format is not 24/32-bit BGRX (init fails and
 *   the sharer falls back to the stock subsystem); X errors after start-up go to whatever
 *   handler the process has (Xlib's default one exits).
 */
#define G_LOG_DOMAIN "rh-rdp"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <poll.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/XKBlib.h>
#include <X11/keysym.h>
#include <X11/extensions/XShm.h>
#include <X11/extensions/Xdamage.h>
#include <X11/extensions/Xfixes.h>
#include <X11/extensions/XInput2.h>
#include <X11/extensions/XTest.h>
#include <X11/extensions/Xrandr.h>
#include <X11/extensions/Xinerama.h>

#include <cairo.h>

#include <freerdp/freerdp.h>
#include <freerdp/settings.h>
#include <freerdp/codec/color.h>
#include <freerdp/codec/region.h>
#include <winpr/collections.h>
#include <winpr/input.h>
#include <winpr/synch.h>

#include <freerdp/server/shadow.h>

#include "rh-rdp-sharer.h"
#include "rh-shadow-x11.h"

#define MAX_FPS 30
#define BUSY_FPS 16
#define MAX_RECTS_PER_FRAME 8        /* frame updates per frame before merging further */
#define MAX_IN_FLIGHT 2              /* unacknowledged RemoteFX frames a client may have */
#define MAX_DEFER_USEC (G_USEC_PER_SEC / 2)
#define LARGE_RECT_PIXELS (256 * 256)
#define BUSY_FRAMES 3                /* consecutive large frames that make the screen "busy" */
#define BUSY_GAP_USEC (G_USEC_PER_SEC / 4)   /* a pause this long ends a busy spell */
#define REFINE_USEC (G_USEC_PER_SEC / 4)     /* quiet time before lossy areas are re-sent */
#define MAX_CURSOR_SIZE 96           /* the largest pointer RDP's PointerNew carries */
#define N_SPARE_KEYCODES 4
/* Our own message on the subsystem's input queue (FreeRDP's ids are 1001-1999). */
#define RH_MSG_SELECT_MONITOR 0x5248

typedef struct
{
  rdpShadowClient *client;
  int remotefx;                    /* the client negotiated RemoteFX; -1: not known yet */
} ClientCodecs;

typedef struct
{
  rdpShadowSubsystem base;         /* first: FreeRDP casts between the two */

  /* Capture thread only (after Init) */
  Display *display;
  Window root;
  Visual *visual;
  int depth;
  int screen_width;
  int screen_height;
  int damage_event_base;
  int fixes_event_base;
  int xi_opcode;                   /* 0: no XInput2, no pointer position updates */
  Damage damage;
  XserverRegion damage_parts;
  gboolean use_shm;
  XShmSegmentInfo shm;
  XImage *shm_image;
  REGION16 pending;                /* damage not sent yet (surface coordinates) */
  gboolean need_full;              /* a client asked for a refresh: capture the whole area */
  gboolean surface_stale;          /* no client was watching: the surface is out of date */
  gboolean cursor_changed;
  gboolean pointer_moved;
  gboolean resized;
  int randr_event_base;            /* -1: no RandR */
  int pointer_x, pointer_y;
  gint64 last_frame_time;
  guint busy_frames;
  REGION16 lossy;                  /* sent with RemoteFX: to be sent again losslessly */
  gint64 last_damage_time;
  gboolean refining;               /* this frame re-sends lossy areas: never RemoteFX */
  RECTANGLE_16 area;               /* shared part of the screen, root coordinates */
  int monitor;                     /* what is shared: -1 all, else a monitor index */
  gboolean area_changed;           /* another monitor was selected: resize the surface */

  GThread *thread;
  int stop_pipe[2];

  /* Client threads (input) */
  GMutex input_lock;
  Display *input_display;
  KeyCode spare_keycodes[N_SPARE_KEYCODES];
  int n_spare_keycodes;
  int next_spare;
  guint16 high_surrogate;

  /* Client threads (capabilities) and the capture thread */
  GMutex clients_lock;
  GArray *client_codecs;           /* ClientCodecs */

  /* Authentication-prompt guard: set from any thread under private_lock, applied by the
   * capture thread (woken through wake_pipe). */
  GMutex private_lock;
  GArray *private_wanted;          /* RECTANGLE_16, root coordinates, from the sharer */
  char **guard_classes;            /* lowercase; NULL: no detection of our own */
  char *notice;
  gboolean private_dirty;
  gboolean classes_dirty;
  gint masked_flag;                /* (atomic) what rh_shadow_x11_is_masked() says */
  int wake_pipe[2];

  /* Capture thread only */
  char **classes;                  /* the capture thread's copy of guard_classes */
  GArray *wanted;                  /* its copy of private_wanted */
  GArray *guard_windows;           /* GuardWindow: guarded top-levels we saw mapped */
  gboolean guard_tripped;          /* a guarded window mapped since this was cleared */
  gboolean masked;
  gboolean mask_dirty;             /* the masked frame must be composed and published again */
  guint8 *frozen;                  /* the surface when masking began */
  gsize frozen_size;
} RhShadowX11;

typedef struct
{
  Window window;                   /* a child of the root */
  int x, y, width, height;         /* with its border */
} GuardWindow;

static int selected_monitor = -1;

static struct
{
  guint64 damage_events;
  guint64 frames;
  guint64 updates;
  guint64 pixels;
  guint64 cursor_updates;
  guint64 deferred;
  guint64 remotefx_updates;
  guint64 masked_frames;
  guint64 guard_trips;
} stats;

void
rh_shadow_x11_select_monitor (int monitor)
{
  g_atomic_int_set (&selected_monitor, monitor < 0 ? -1 : monitor);
}

void
rh_shadow_x11_get_stats (RhShadowX11Stats *out)
{
  g_return_if_fail (out != NULL);

  out->damage_events = __atomic_load_n (&stats.damage_events, __ATOMIC_RELAXED);
  out->frames = __atomic_load_n (&stats.frames, __ATOMIC_RELAXED);
  out->updates = __atomic_load_n (&stats.updates, __ATOMIC_RELAXED);
  out->pixels = __atomic_load_n (&stats.pixels, __ATOMIC_RELAXED);
  out->cursor_updates = __atomic_load_n (&stats.cursor_updates, __ATOMIC_RELAXED);
  out->deferred = __atomic_load_n (&stats.deferred, __ATOMIC_RELAXED);
  out->remotefx_updates = __atomic_load_n (&stats.remotefx_updates, __ATOMIC_RELAXED);
  out->masked_frames = __atomic_load_n (&stats.masked_frames, __ATOMIC_RELAXED);
  out->guard_trips = __atomic_load_n (&stats.guard_trips, __ATOMIC_RELAXED);
}

static void
stat_add (guint64 *counter,
          guint64  n)
{
  __atomic_fetch_add (counter, n, __ATOMIC_RELAXED);
}

/* ---- Monitors ---- */

static gint
compare_monitors (gconstpointer a,
                  gconstpointer b)
{
  const RhRdpMonitor *ma = a, *mb = b;

  if (ma->x != mb->x)
    return ma->x < mb->x ? -1 : 1;
  if (ma->y != mb->y)
    return ma->y < mb->y ? -1 : 1;
  return 0;
}

/* Real multi-monitor desktops expose RandR 1.5 monitors (one per output, or set with xrandr
 * --setmonitor); servers without RandR 1.5 may still have Xinerama screens. Sorted so that
 * "monitor 1" is the leftmost one, whatever order the server keeps them in. Only monitors that
 * lie within the screen are kept: the capture cannot read outside it. */
static GArray *
list_monitors_on (Display *display)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (RhRdpMonitor));
  int screen_w = DisplayWidth (display, DefaultScreen (display));
  int screen_h = DisplayHeight (display, DefaultScreen (display));
  int event_base, error_base, major = 0, minor = 0;

  if (XRRQueryExtension (display, &event_base, &error_base) &&
      XRRQueryVersion (display, &major, &minor) && (major > 1 || (major == 1 && minor >= 5)))
    {
      int count = 0;
      XRRMonitorInfo *info = XRRGetMonitors (display, DefaultRootWindow (display), True,
                                             &count);

      for (int i = 0; info && i < count; i++)
        {
          RhRdpMonitor m = { info[i].x, info[i].y, info[i].width, info[i].height,
                             info[i].primary != 0 };

          g_array_append_val (out, m);
        }
      if (info)
        XRRFreeMonitors (info);
    }
  if (out->len == 0 && XineramaQueryExtension (display, &event_base, &error_base) &&
      XineramaIsActive (display))
    {
      int count = 0;
      XineramaScreenInfo *info = XineramaQueryScreens (display, &count);

      for (int i = 0; info && i < count; i++)
        {
          RhRdpMonitor m = { info[i].x_org, info[i].y_org, info[i].width, info[i].height,
                             i == 0 };

          g_array_append_val (out, m);
        }
      if (info)
        XFree (info);
    }
  for (guint i = 0; i < out->len; )
    {
      const RhRdpMonitor *m = &g_array_index (out, RhRdpMonitor, i);

      if (m->width <= 0 || m->height <= 0 || m->x < 0 || m->y < 0 ||
          m->x + m->width > screen_w || m->y + m->height > screen_h)
        g_array_remove_index (out, i);
      else
        i++;
    }
  if (out->len > 16)
    g_array_set_size (out, 16);      /* what the shadow server's monitor table holds */
  if (out->len == 0)
    {
      RhRdpMonitor whole = { 0, 0, screen_w, screen_h, TRUE };

      g_array_append_val (out, whole);
    }
  g_array_sort (out, compare_monitors);
  return out;
}

GArray *
rh_shadow_x11_list_monitors (const char *display_name)
{
  Display *display = XOpenDisplay (display_name);
  GArray *out;

  if (!display)
    return NULL;
  out = list_monitors_on (display);
  XCloseDisplay (display);
  return out;
}

static UINT32
enum_monitors_on (Display    *display,
                  MONITOR_DEF *monitors,
                  UINT32      max_monitors)
{
  g_autoptr(GArray) list = list_monitors_on (display);
  UINT32 n = 0;

  for (guint i = 0; i < list->len && n < max_monitors; i++, n++)
    {
      const RhRdpMonitor *m = &g_array_index (list, RhRdpMonitor, i);

      monitors[n].left = m->x;
      monitors[n].top = m->y;
      monitors[n].right = m->x + m->width;
      monitors[n].bottom = m->y + m->height;
      monitors[n].flags = m->primary ? 1 : 0;
    }
  return n;
}

static UINT32
rh_shadow_x11_enum_monitors (MONITOR_DEF *monitors,
                             UINT32       max_monitors)
{
  Display *display = XOpenDisplay (NULL);
  UINT32 n;

  if (!display)
    return 0;
  n = enum_monitors_on (display, monitors, max_monitors);
  XCloseDisplay (display);
  return n;
}

/* The shadow server shares subsystem->monitors[selectedMonitor]. Our default is the whole
 * screen (what the stock subsystem shares without Xinerama), so it is offered as the only
 * "monitor" unless one monitor was selected. */
static void
setup_area (RhShadowX11 *self)
{
  rdpShadowSubsystem *base = &self->base;
  MONITOR_DEF monitors[16];
  UINT32 n = enum_monitors_on (self->display, monitors, G_N_ELEMENTS (monitors));
  int wanted = self->monitor;

  if (wanted >= 0 && (UINT32) wanted < n)
    {
      memcpy (base->monitors, monitors, n * sizeof monitors[0]);
      base->numMonitors = (int) n;
      base->selectedMonitor = wanted;
    }
  else
    {
      if (wanted >= 0)
        g_warning ("Monitor %d does not exist; sharing the whole screen", wanted);
      base->monitors[0].left = 0;
      base->monitors[0].top = 0;
      base->monitors[0].right = self->screen_width;
      base->monitors[0].bottom = self->screen_height;
      base->monitors[0].flags = 1;
      base->numMonitors = 1;
      base->selectedMonitor = 0;
    }
  base->virtualScreen.left = 0;
  base->virtualScreen.top = 0;
  base->virtualScreen.right = self->screen_width;
  base->virtualScreen.bottom = self->screen_height;
  base->virtualScreen.flags = 1;

  {
    const MONITOR_DEF *m = &base->monitors[base->selectedMonitor];

    self->area.left = (UINT16) CLAMP (m->left, 0, self->screen_width);
    self->area.top = (UINT16) CLAMP (m->top, 0, self->screen_height);
    self->area.right = (UINT16) CLAMP (m->right, self->area.left, self->screen_width);
    self->area.bottom = (UINT16) CLAMP (m->bottom, self->area.top, self->screen_height);
  }
}

/* ---- Capture ---- */

static gboolean
display_is_local (void)
{
  const char *name = g_getenv ("DISPLAY");

  return name && (name[0] == ':' || g_str_has_prefix (name, "unix:"));
}

static void
shm_release (RhShadowX11 *self)
{
  if (self->shm_image)
    {
      XShmDetach (self->display, &self->shm);
      self->shm_image->data = NULL;
      XDestroyImage (self->shm_image);
      self->shm_image = NULL;
      XSync (self->display, False);
    }
  if (self->shm.shmaddr && self->shm.shmaddr != (char *) -1)
    shmdt (self->shm.shmaddr);
  self->shm.shmaddr = NULL;
}

/* X errors on our display while shm_setup() runs are collected instead of going to Xlib's
 * default handler, which exits: an X server that cannot attach our segment (another user, a
 * sandbox) answers XShmAttach with BadAccess. Errors on other displays go to whoever handled
 * them before. Installed and removed on the thread that starts the server (the main one). */
static Display *trap_display;
static int trap_error;
static XErrorHandler trap_previous;

static int
trap_handler (Display     *display,
              XErrorEvent *event)
{
  if (display == trap_display)
    {
      trap_error = event->error_code;
      return 0;
    }
  return trap_previous ? trap_previous (display, event) : 0;
}

static gboolean
shm_setup (RhShadowX11 *self)
{
  XImage *image;
  gsize size;

  /* RH_SHADOW_NO_SHM: tests take the XGetImage path that remote displays get. */
  if (!display_is_local () || g_getenv ("RH_SHADOW_NO_SHM") ||
      !XShmQueryExtension (self->display))
    return FALSE;
  image = XShmCreateImage (self->display, self->visual, self->depth, ZPixmap, NULL, &self->shm,
                           self->screen_width, self->screen_height);
  if (!image)
    return FALSE;
  if (image->bits_per_pixel != 32)
    {
      XDestroyImage (image);
      return FALSE;
    }
  size = (gsize) image->bytes_per_line * image->height;
  self->shm.shmid = shmget (IPC_PRIVATE, size, IPC_CREAT | 0600);
  if (self->shm.shmid < 0)
    {
      XDestroyImage (image);
      return FALSE;
    }
  self->shm.shmaddr = shmat (self->shm.shmid, NULL, 0);
  /* Marked for removal now: it goes away with the last detach, even if we crash. */
  shmctl (self->shm.shmid, IPC_RMID, NULL);
  if (self->shm.shmaddr == (char *) -1)
    {
      self->shm.shmaddr = NULL;
      XDestroyImage (image);
      return FALSE;
    }
  image->data = self->shm.shmaddr;
  self->shm.readOnly = False;
  XSync (self->display, False);
  trap_display = self->display;
  trap_error = 0;
  trap_previous = XSetErrorHandler (trap_handler);
  if (XShmAttach (self->display, &self->shm))
    XSync (self->display, False);
  else
    trap_error = -1;
  XSetErrorHandler (trap_previous);
  trap_display = NULL;
  if (trap_error != 0)
    {
      g_message ("Screen capture: the X server cannot share memory with us (%d)", trap_error);
      image->data = NULL;
      XDestroyImage (image);
      shmdt (self->shm.shmaddr);
      self->shm.shmaddr = NULL;
      return FALSE;
    }
  self->shm_image = image;
  return TRUE;
}

/* Copies rect (root coordinates, inside the area) from the screen into the surface. Called
 * with the surface locked. */
static gboolean
capture_rect (RhShadowX11         *self,
              rdpShadowSurface    *surface,
              const RECTANGLE_16  *rect)
{
  int w = rect->right - rect->left;
  int h = rect->bottom - rect->top;
  const BYTE *src;
  int src_step;
  XImage *image = NULL;
  gboolean ok;
  BYTE *dst;

  if (w <= 0 || h <= 0)
    return TRUE;
  if (self->use_shm)
    {
      /* The server writes w x h pixels packed at the start of the segment (32-bit lines need
       * no padding), so one full-screen segment serves every rectangle. */
      self->shm_image->width = w;
      self->shm_image->height = h;
      self->shm_image->bytes_per_line = w * 4;
      if (!XShmGetImage (self->display, self->root, self->shm_image, rect->left, rect->top,
                         AllPlanes))
        return FALSE;
      src = (const BYTE *) self->shm_image->data;
      src_step = w * 4;
    }
  else
    {
      image = XGetImage (self->display, self->root, rect->left, rect->top, w, h, AllPlanes,
                         ZPixmap);
      if (!image)
        return FALSE;
      if (image->bits_per_pixel != 32)
        {
          XDestroyImage (image);
          return FALSE;
        }
      src = (const BYTE *) image->data;
      src_step = image->bytes_per_line;
    }

  dst = surface->data;
  ok = freerdp_image_copy (dst, surface->format, surface->scanline,
                           rect->left - surface->x, rect->top - surface->y, w, h,
                           src, PIXEL_FORMAT_BGRX32, src_step, 0, 0, NULL, FREERDP_FLIP_NONE);
  if (image)
    XDestroyImage (image);
  stat_add (&stats.pixels, (guint64) w * h);
  return ok;
}

/* ---- Codec choice per client ---- */

static ClientCodecs *
find_client (RhShadowX11     *self,
             rdpShadowClient *client,
             guint           *index)
{
  for (guint i = 0; i < self->client_codecs->len; i++)
    {
      ClientCodecs *c = &g_array_index (self->client_codecs, ClientCodecs, i);

      if (c->client == client)
        {
          if (index)
            *index = i;
          return c;
        }
    }
  return NULL;
}

/* Called on the client's thread when the capability exchange starts, before the server
 * announces its own (demand active): what we turn off here is never offered. RemoteFX stays
 * offered; whether the client took it is known once it is active (see prepare_clients). */
static BOOL
rh_shadow_x11_client_capabilities (rdpShadowSubsystem *subsystem,
                                   rdpShadowClient    *client)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;
  rdpSettings *settings = client->context.settings;
  ClientCodecs entry = { client, -1 };

  /* NSCodec: lossy at its default colour loss level and no better than planar for text.
   * GFX: 2.11's shadow server encodes the whole desktop for every GFX update. */
  freerdp_settings_set_bool (settings, FreeRDP_NSCodec, FALSE);
  freerdp_settings_set_bool (settings, FreeRDP_SupportGraphicsPipeline, FALSE);

  g_mutex_lock (&self->clients_lock);
  if (!find_client (self, client, NULL))
    g_array_append_val (self->client_codecs, entry);
  g_mutex_unlock (&self->clients_lock);
  return TRUE;
}

static void
rh_shadow_x11_client_disconnect (rdpShadowSubsystem *subsystem,
                                 rdpShadowClient    *client)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;
  guint index;

  g_mutex_lock (&self->clients_lock);
  if (find_client (self, client, &index))
    g_array_remove_index_fast (self->client_codecs, index);
  g_mutex_unlock (&self->clients_lock);
}

/* Sets each client's codec for the next update; FALSE if a client still has too many frames
 * in flight (then nothing is sent now). Called with server->clients locked. */
static gboolean
prepare_clients (RhShadowX11 *self,
                 gboolean     remotefx,
                 gboolean    *lossy)
{
  wArrayList *clients = self->base.server->clients;
  gboolean ready = TRUE;

  g_mutex_lock (&self->clients_lock);
  for (int i = 0; i < ArrayList_Count (clients); i++)
    {
      rdpShadowClient *client = ArrayList_GetItem (clients, i);
      rdpSettings *settings = client->context.settings;
      ClientCodecs *c = find_client (self, client, NULL);

      /* Not through its capability exchange yet: its settings are not ours to touch. */
      if (!c || !client->activated)
        continue;
      if (c->remotefx < 0)
        {
          /* Active: the capability exchange is over, and RemoteFxCodec says whether both
           * sides have RemoteFX. From now on it is ours to switch per update. */
          c->remotefx = freerdp_settings_get_bool (settings, FreeRDP_RemoteFxCodec);
          g_debug ("Viewer codecs: RemoteFX %s", c->remotefx ? "yes" : "no");
        }
      if (c->remotefx && client->encoder &&
          shadow_encoder_inflight_frames (client->encoder) > MAX_IN_FLIGHT)
        ready = FALSE;
      /* Read by the client's thread only while it handles our update event. */
      freerdp_settings_set_bool (settings, FreeRDP_RemoteFxCodec, c->remotefx && remotefx);
      if (lossy && c->remotefx && remotefx)
        *lossy = TRUE;
    }
  g_mutex_unlock (&self->clients_lock);
  return ready;
}

/* ---- Sending frames ---- */

static guint64
rect_area (const RECTANGLE_16 *r)
{
  return (guint64) (r->right - r->left) * (guint64) (r->bottom - r->top);
}

static RECTANGLE_16
rect_union (const RECTANGLE_16 *a,
            const RECTANGLE_16 *b)
{
  RECTANGLE_16 u = {
    MIN (a->left, b->left), MIN (a->top, b->top),
    MAX (a->right, b->right), MAX (a->bottom, b->bottom)
  };

  return u;
}

/* Turns the pending region into at most MAX_RECTS_PER_FRAME rectangles: repeatedly merges the
 * two whose bounding box adds the least area, since each rectangle costs a round of client
 * wake-ups and an update header, and a merged box re-sends pixels that did not change. */
static GArray *
plan_rects (RhShadowX11 *self)
{
  UINT32 n = 0;
  const RECTANGLE_16 *rects = region16_rects (&self->pending, &n);
  GArray *out = g_array_sized_new (FALSE, FALSE, sizeof (RECTANGLE_16), n);

  if (n > 64)
    {
      /* Hundreds of fragments (text scrolling, a gradient): one box. */
      g_array_append_vals (out, region16_extents (&self->pending), 1);
      return out;
    }
  g_array_append_vals (out, rects, n);
  while (out->len > MAX_RECTS_PER_FRAME)
    {
      guint best_i = 0, best_j = 1;
      guint64 best_cost = G_MAXUINT64;

      for (guint i = 0; i < out->len; i++)
        for (guint j = i + 1; j < out->len; j++)
          {
            RECTANGLE_16 *a = &g_array_index (out, RECTANGLE_16, i);
            RECTANGLE_16 *b = &g_array_index (out, RECTANGLE_16, j);
            RECTANGLE_16 u = rect_union (a, b);
            guint64 cost = rect_area (&u) - MIN (rect_area (&u), rect_area (a) + rect_area (b));

            if (cost < best_cost)
              {
                best_cost = cost;
                best_i = i;
                best_j = j;
              }
          }
      g_array_index (out, RECTANGLE_16, best_i) =
        rect_union (&g_array_index (out, RECTANGLE_16, best_i),
                    &g_array_index (out, RECTANGLE_16, best_j));
      g_array_remove_index_fast (out, best_j);
    }
  return out;
}

static void handle_x_events (RhShadowX11 *self);
static void fill_rect (rdpShadowSurface   *surface,
                       const RECTANGLE_16 *r,
                       guint32             rgb);
#define PANEL_RGB 0x1e2a38

/* After a capture, with the surface locked: did a prompt map (or the sharer make an area
 * private) since the events were last handled? Queued events are handled now: a MapNotify for
 * a window mapped before the X server answered our capture came before that answer. */
static gboolean
guard_tripped_during_capture (RhShadowX11 *self)
{
  gboolean private_set;

  self->guard_tripped = FALSE;
  handle_x_events (self);
  g_mutex_lock (&self->private_lock);
  private_set = self->private_dirty && self->private_wanted->len > 0;
  g_mutex_unlock (&self->private_lock);
  return self->guard_tripped || private_set;
}

static void
send_frame (RhShadowX11 *self)
{
  rdpShadowServer *server = self->base.server;
  rdpShadowSurface *surface = server->surface;
  g_autoptr (GArray) rects = NULL;
  guint64 total = 0;
  gboolean remotefx;
  gboolean ok = TRUE;

  gint64 now = g_get_monotonic_time ();

  /* "Busy" is large frames in quick succession (video, scrolling, dragging). */
  if (now - self->last_frame_time > BUSY_GAP_USEC)
    self->busy_frames = 0;
  /* Frames start at most MAX_FPS a second; the time spent encoding counts. */
  self->last_frame_time = now;
  rects = plan_rects (self);
  for (guint i = 0; i < rects->len; i++)
    total += rect_area (&g_array_index (rects, RECTANGLE_16, i));
  self->busy_frames = total >= LARGE_RECT_PIXELS ? self->busy_frames + 1 : 0;

  /* Damage that the check below picks up belongs to the next frame. */
  region16_clear (&self->pending);

  /* Capture everything first, so the rectangles of one frame show one moment. */
  EnterCriticalSection (&surface->lock);
  for (guint i = 0; i < rects->len && ok; i++)
    {
      RECTANGLE_16 root_rect = g_array_index (rects, RECTANGLE_16, i);

      root_rect.left += surface->x;
      root_rect.right += surface->x;
      root_rect.top += surface->y;
      root_rect.bottom += surface->y;
      ok = capture_rect (self, surface, &root_rect);
    }
  if (ok && guard_tripped_during_capture (self))
    {
      /* A prompt mapped while we captured: what we took may show it. Paint over all of it
       * before anyone can encode it; the caller pauses, and captures these areas again when
       * nothing is private any more. */
      for (guint i = 0; i < rects->len; i++)
        {
          const RECTANGLE_16 *r = &g_array_index (rects, RECTANGLE_16, i);

          fill_rect (surface, r, PANEL_RGB);
          region16_union_rect (&self->pending, &self->pending, r);
        }
      LeaveCriticalSection (&surface->lock);
      stat_add (&stats.guard_trips, 1);
      g_message ("Screen capture: a frame raced an authentication prompt; not sent");
      return;
    }
  LeaveCriticalSection (&surface->lock);
  if (!ok)
    {
      g_warning ("Could not capture the screen");
      self->surface_stale = TRUE;
      return;
    }

  /* One frame update per rectangle: the shadow server encodes the bounding box of whatever
   * is invalid when it handles an update. The clients take the surface lock while encoding,
   * so it must not be held here. */
  for (guint i = 0; i < rects->len; i++)
    {
      const RECTANGLE_16 *r = &g_array_index (rects, RECTANGLE_16, i);

      gboolean lossy = FALSE;

      remotefx = !self->refining && self->busy_frames >= BUSY_FRAMES &&
                 rect_area (r) >= LARGE_RECT_PIXELS;
      ArrayList_Lock (server->clients);
      prepare_clients (self, remotefx, &lossy);
      ArrayList_Unlock (server->clients);
      if (lossy)
        {
          region16_union_rect (&self->lossy, &self->lossy, r);
          stat_add (&stats.remotefx_updates, 1);
        }

      EnterCriticalSection (&surface->lock);
      region16_clear (&surface->invalidRegion);
      region16_union_rect (&surface->invalidRegion, &surface->invalidRegion, r);
      LeaveCriticalSection (&surface->lock);

      shadow_subsystem_frame_update (&self->base);
      stat_add (&stats.updates, 1);
    }
  EnterCriticalSection (&surface->lock);
  region16_clear (&surface->invalidRegion);
  LeaveCriticalSection (&surface->lock);
  stat_add (&stats.frames, 1);
}

/* ---- Cursor ---- */

static void
message_free (UINT32          id,
              SHADOW_MSG_OUT *msg)
{
  if (id == SHADOW_MSG_OUT_POINTER_ALPHA_UPDATE_ID)
    {
      SHADOW_MSG_OUT_POINTER_ALPHA_UPDATE *alpha = (SHADOW_MSG_OUT_POINTER_ALPHA_UPDATE *) msg;

      free (alpha->xorMaskData);
      free (alpha->andMaskData);
    }
  free (msg);
}

static void
send_cursor_shape (RhShadowX11 *self)
{
  XFixesCursorImage *cursor = XFixesGetCursorImage (self->display);
  SHADOW_MSG_OUT_POINTER_ALPHA_UPDATE *msg;
  g_autofree guint32 *pixels = NULL;
  gsize n;

  if (!cursor)
    return;
  if (cursor->width == 0 || cursor->height == 0 || cursor->width > MAX_CURSOR_SIZE ||
      cursor->height > MAX_CURSOR_SIZE)
    {
      g_debug ("Not sending a %ux%u cursor", cursor->width, cursor->height);
      XFree (cursor);
      return;
    }
  /* XFixes gives premultiplied ARGB in unsigned longs (64 bits here); FreeRDP wants 32-bit
   * BGRA in memory order, which is ARGB as a little-endian word. */
  n = (gsize) cursor->width * cursor->height;
  pixels = g_new (guint32, n);
  for (gsize i = 0; i < n; i++)
    pixels[i] = GUINT32_TO_LE ((guint32) cursor->pixels[i]);

  msg = calloc (1, sizeof *msg);
  if (!msg)
    {
      XFree (cursor);
      return;
    }
  msg->xHot = cursor->xhot;
  msg->yHot = cursor->yhot;
  msg->width = cursor->width;
  msg->height = cursor->height;
  XFree (cursor);
  if (shadow_subsystem_pointer_convert_alpha_pointer_data ((BYTE *) pixels, TRUE, msg->width,
                                                           msg->height, msg) < 0)
    {
      message_free (SHADOW_MSG_OUT_POINTER_ALPHA_UPDATE_ID, &msg->common);
      return;
    }
  msg->common.Free = message_free;
  shadow_client_boardcast_msg (self->base.server, NULL, SHADOW_MSG_OUT_POINTER_ALPHA_UPDATE_ID,
                               &msg->common, NULL);
  stat_add (&stats.cursor_updates, 1);
}

static void
send_pointer_position (RhShadowX11 *self)
{
  rdpShadowSurface *surface = self->base.server->surface;
  SHADOW_MSG_OUT_POINTER_POSITION_UPDATE *msg;
  Window root, child;
  int x, y, wx, wy;
  unsigned int mask;

  if (!XQueryPointer (self->display, self->root, &root, &child, &x, &y, &wx, &wy, &mask))
    return;
  x -= surface->x;
  y -= surface->y;
  if (x < 0 || y < 0 || x >= surface->width || y >= surface->height)
    return;
  if (x == self->pointer_x && y == self->pointer_y)
    return;
  self->pointer_x = x;
  self->pointer_y = y;
  self->base.pointerX = x;
  self->base.pointerY = y;
  msg = calloc (1, sizeof *msg);
  if (!msg)
    return;
  msg->xPos = x;
  msg->yPos = y;
  msg->common.Free = message_free;
  shadow_client_boardcast_msg (self->base.server, NULL,
                               SHADOW_MSG_OUT_POINTER_POSITION_UPDATE_ID, &msg->common, NULL);
}

/* ---- Authentication-prompt guard ----
 *
 * While any area is private (rh_shadow_x11_set_private from the sharer, or a window of a guarded
 * class that this thread saw map), nothing is captured: the surface is frozen as it was, each
 * private area (clipped to the shared area) is covered by an opaque panel with a notice, and
 * that composed frame is published once (and again for a viewer that asks for a refresh). When
 * the last private area goes, a full refresh is captured.
 *
 * The race this closes: a prompt maps, its pixels are drawn, and a capture may run before the
 * app's watcher (another connection, the main loop) reacts. The X server sends events in order
 * on each connection, and MapNotify (SubstructureNotify on the root, and on each top-level so
 * that a client mapped inside a window manager's frame is seen too) is generated before the
 * window is painted. So:
 * - events are handled before each capture: a prompt that mapped before that is known, and its
 *   area is never captured;
 * - a prompt that maps while a frame is being captured: its MapNotify was queued before the
 *   reply to our XShmGetImage/XGetImage. After capturing, still holding the surface lock (so
 *   no client thread can encode from it), the queued events are handled; if a guarded window
 *   mapped, everything just captured is painted over and not published.
 * Residual risks (README): a window whose WM_CLASS is set or changed only after it mapped, and
 * "title=" entries, are only seen by the app's watcher, a few milliseconds later; a prompt
 * drawn by a compositor into another window, or one that maps and is destroyed before we look
 * at its class, is not recognised here. */

#define PANEL_BORDER_RGB 0xffcc00
#define PANEL_BORDER 3
#define GUARD_DEPTH 3         /* root child → WM frame → (decoration) → client */
#define GUARD_MAX_CHILDREN 32
#define GUARD_MAX_WINDOWS 64   /* windows looked at per mapped top-level */

static int client_count (RhShadowX11 *self);

static Display *guarded_display;   /* (atomic) the capture connection of the running server */
static XErrorHandler guard_previous_handler;

/* Windows vanish while we look at their class (BadWindow): on the capture connection that is
 * expected and harmless; errors on other connections go to the handler that was there before.
 * Installed once, on the thread that starts the first server. */
static int
guard_error_handler (Display     *display,
                     XErrorEvent *event)
{
  if (display == g_atomic_pointer_get (&guarded_display))
    return 0;
  return guard_previous_handler ? guard_previous_handler (display, event) : 0;
}

static void
guard_install_error_handler (Display *display)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      guard_previous_handler = XSetErrorHandler (guard_error_handler);
      g_once_init_leave (&once, 1);
    }
  g_atomic_pointer_set (&guarded_display, display);
}

static void
wake_capture (RhShadowX11 *self)
{
  char byte = 1;

  /* Non-blocking: a full pipe already means "look again". */
  if (self->wake_pipe[1] >= 0 && write (self->wake_pipe[1], &byte, 1) < 0 && errno != EAGAIN)
    g_debug ("Could not wake the capture thread: %s", g_strerror (errno));
}

void
rh_shadow_x11_set_private (rdpShadowSubsystem *subsystem,
                           const int          *xywh,
                           guint               n)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;

  g_return_if_fail (self != NULL);
  g_return_if_fail (n == 0 || xywh != NULL);

  g_mutex_lock (&self->private_lock);
  g_array_set_size (self->private_wanted, 0);
  for (guint i = 0; i < n; i++)
    {
      gint64 x = xywh[4 * i], y = xywh[4 * i + 1];
      gint64 w = xywh[4 * i + 2], h = xywh[4 * i + 3];
      RECTANGLE_16 r;

      if (w <= 0 || h <= 0)
        continue;
      r.left = (UINT16) CLAMP (x, 0, G_MAXUINT16);
      r.top = (UINT16) CLAMP (y, 0, G_MAXUINT16);
      r.right = (UINT16) CLAMP (x + w, 0, G_MAXUINT16);
      r.bottom = (UINT16) CLAMP (y + h, 0, G_MAXUINT16);
      g_array_append_val (self->private_wanted, r);
    }
  /* Input is dropped from now on, before the capture thread gets to it. */
  if (n > 0)
    g_atomic_int_set (&self->masked_flag, TRUE);
  self->private_dirty = TRUE;
  g_mutex_unlock (&self->private_lock);
  wake_capture (self);
}

void
rh_shadow_x11_set_guard_classes (rdpShadowSubsystem *subsystem,
                                 const char * const *classes)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint n = 0;

  g_return_if_fail (self != NULL);

  for (guint i = 0; classes && classes[i]; i++)
    if (*classes[i] && !g_str_has_prefix (classes[i], "title="))
      {
        g_autofree char *lower = g_ascii_strdown (classes[i], -1);

        g_strv_builder_add (builder, lower);
        n++;
      }
  {
    g_auto(GStrv) wanted = n > 0 ? g_strv_builder_end (builder) : NULL;
    gboolean same;

    g_mutex_lock (&self->private_lock);
    same = (wanted == NULL && self->guard_classes == NULL) ||
           (wanted && self->guard_classes &&
            g_strv_equal ((const char * const *) wanted,
                          (const char * const *) self->guard_classes));
    if (!same)
      {
        /* A new list: the capture thread looks at every top-level again. */
        g_strfreev (self->guard_classes);
        self->guard_classes = g_steal_pointer (&wanted);
        self->classes_dirty = TRUE;
      }
    g_mutex_unlock (&self->private_lock);
    if (!same)
      wake_capture (self);
  }
}

void
rh_shadow_x11_set_notice (rdpShadowSubsystem *subsystem,
                          const char         *notice)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;

  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->private_lock);
  g_free (self->notice);
  self->notice = g_strdup (notice);
  self->private_dirty = TRUE;
  g_mutex_unlock (&self->private_lock);
  wake_capture (self);
}

gboolean
rh_shadow_x11_is_masked (rdpShadowSubsystem *subsystem)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;

  return self && g_atomic_int_get (&self->masked_flag);
}

static gboolean
class_guarded (RhShadowX11 *self,
               const char  *name)
{
  g_autofree char *lower = NULL;

  if (!name || !self->classes)
    return FALSE;
  lower = g_ascii_strdown (name, -1);
  return g_strv_contains ((const char * const *) self->classes, lower);
}

/* Does window, or a window below it (a WM frame holds the client), have a guarded class?
 * *budget bounds the windows looked at: a large application can have hundreds of children,
 * and each costs round trips on the capture thread. */
static gboolean
window_guarded_within (RhShadowX11 *self,
                       Window       window,
                       int          depth,
                       int         *budget)
{
  XClassHint hint = { NULL, NULL };
  gboolean match = FALSE;
  Window root_ret, parent, *children = NULL;
  unsigned int n = 0;

  if (--*budget < 0)
    return FALSE;
  if (XGetClassHint (self->display, window, &hint))
    {
      match = class_guarded (self, hint.res_name) || class_guarded (self, hint.res_class);
      if (hint.res_name)
        XFree (hint.res_name);
      if (hint.res_class)
        XFree (hint.res_class);
    }
  if (match || depth <= 1)
    return match;
  if (XQueryTree (self->display, window, &root_ret, &parent, &children, &n))
    {
      for (unsigned int i = 0; i < n && i < GUARD_MAX_CHILDREN && !match && *budget > 0; i++)
        match = window_guarded_within (self, children[i], depth - 1, budget);
    }
  if (children)
    XFree (children);
  return match;
}

static gboolean
window_guarded (RhShadowX11 *self,
                Window       window,
                int          depth)
{
  int budget = GUARD_MAX_WINDOWS;

  return window_guarded_within (self, window, depth, &budget);
}

static GuardWindow *
find_guard (RhShadowX11 *self,
            Window       window,
            guint       *index)
{
  for (guint i = 0; i < self->guard_windows->len; i++)
    {
      GuardWindow *g = &g_array_index (self->guard_windows, GuardWindow, i);

      if (g->window == window)
        {
          if (index)
            *index = i;
          return g;
        }
    }
  return NULL;
}

/* A guarded top-level: until we know better, all of the shared area is private (it may have
 * been destroyed already, and then its geometry is unknown). */
static void
guard_add (RhShadowX11 *self,
           Window       window)
{
  XWindowAttributes attrs;
  GuardWindow g = { window, 0, 0, self->screen_width, self->screen_height };

  if (find_guard (self, window, NULL))
    return;
  if (XGetWindowAttributes (self->display, window, &attrs))
    {
      if (attrs.map_state == IsUnmapped)
        return;
      g.x = attrs.x;
      g.y = attrs.y;
      g.width = attrs.width + 2 * attrs.border_width;
      g.height = attrs.height + 2 * attrs.border_width;
    }
  g_array_append_val (self->guard_windows, g);
  g_message ("Screen capture: an authentication prompt appeared (%dx%d); covering it",
             g.width, g.height);
}

static void
guard_remove (RhShadowX11 *self,
              Window       window)
{
  guint index;

  if (find_guard (self, window, &index))
    {
      g_array_remove_index_fast (self->guard_windows, index);
      g_message ("Screen capture: an authentication prompt went away");
    }
}

/* Re-reads every top-level when the classes change (a prompt may already be up). */
static void
guard_scan (RhShadowX11 *self)
{
  Window root_ret, parent, *children = NULL;
  unsigned int n = 0;

  g_array_set_size (self->guard_windows, 0);
  if (!self->classes)
    return;
  if (!XQueryTree (self->display, self->root, &root_ret, &parent, &children, &n))
    return;
  for (unsigned int i = 0; i < n; i++)
    {
      XWindowAttributes attrs;

      if (!XGetWindowAttributes (self->display, children[i], &attrs) ||
          attrs.map_state != IsViewable)
        continue;
      XSelectInput (self->display, children[i], SubstructureNotifyMask);
      if (window_guarded (self, children[i], GUARD_DEPTH))
        guard_add (self, children[i]);
    }
  if (children)
    XFree (children);
}

/* Structure events on the root (top-levels) and on top-levels (what a WM frame holds). */
static void
guard_handle_event (RhShadowX11 *self,
                    XEvent      *event)
{
  switch (event->type)
    {
    case MapNotify:
      if (!self->classes)
        return;
      if (event->xmap.event == self->root)
        {
          /* Before the class check, so a client mapped into this frame later is seen. */
          XSelectInput (self->display, event->xmap.window, SubstructureNotifyMask);
          if (window_guarded (self, event->xmap.window, GUARD_DEPTH))
            {
              self->guard_tripped = TRUE;
              guard_add (self, event->xmap.window);
            }
        }
      else if (window_guarded (self, event->xmap.window, GUARD_DEPTH - 1))
        {
          /* A client mapped inside a top-level (frame): the top-level is what is private. */
          self->guard_tripped = TRUE;
          guard_add (self, event->xmap.event);
        }
      break;
    case UnmapNotify:
      if (event->xunmap.event == self->root)
        guard_remove (self, event->xunmap.window);
      break;
    case DestroyNotify:
      if (event->xdestroywindow.event == self->root)
        guard_remove (self, event->xdestroywindow.window);
      break;
    case ReparentNotify:
      if (event->xreparent.event == self->root && event->xreparent.parent != self->root)
        guard_remove (self, event->xreparent.window);
      break;
    case ConfigureNotify:
      if (event->xconfigure.event == self->root)
        {
          GuardWindow *g = find_guard (self, event->xconfigure.window, NULL);

          if (g)
            {
              g->x = event->xconfigure.x;
              g->y = event->xconfigure.y;
              g->width = event->xconfigure.width + 2 * event->xconfigure.border_width;
              g->height = event->xconfigure.height + 2 * event->xconfigure.border_width;
            }
        }
      break;
    default:
      break;
    }
}

/* Takes over what the sharer set (capture thread). */
static void
guard_apply_settings (RhShadowX11 *self)
{
  gboolean rescan = FALSE;

  g_mutex_lock (&self->private_lock);
  if (self->private_dirty)
    {
      g_array_set_size (self->wanted, 0);
      g_array_append_vals (self->wanted, self->private_wanted->data,
                           self->private_wanted->len);
      self->private_dirty = FALSE;
      self->mask_dirty = TRUE;
    }
  if (self->classes_dirty)
    {
      g_strfreev (self->classes);
      self->classes = g_strdupv (self->guard_classes);
      self->classes_dirty = FALSE;
      rescan = TRUE;
    }
  g_mutex_unlock (&self->private_lock);
  if (rescan)
    {
      guard_scan (self);
      self->mask_dirty = TRUE;
    }
}

static void
append_clipped (RhShadowX11 *self,
                GArray      *out,
                gint64       left,
                gint64       top,
                gint64       right,
                gint64       bottom)
{
  rdpShadowSurface *surface = self->base.server->surface;
  RECTANGLE_16 r;

  left = MAX (left, self->area.left);
  top = MAX (top, self->area.top);
  right = MIN (right, self->area.right);
  bottom = MIN (bottom, self->area.bottom);
  if (right <= left || bottom <= top)
    return;
  r.left = (UINT16) (left - surface->x);
  r.top = (UINT16) (top - surface->y);
  r.right = (UINT16) (right - surface->x);
  r.bottom = (UINT16) (bottom - surface->y);
  g_array_append_val (out, r);
}

/* Every private area in surface coordinates, clipped to the shared area. */
static GArray *
private_rects (RhShadowX11 *self)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (RECTANGLE_16));

  for (guint i = 0; i < self->wanted->len; i++)
    {
      const RECTANGLE_16 *w = &g_array_index (self->wanted, RECTANGLE_16, i);

      append_clipped (self, out, w->left, w->top, w->right, w->bottom);
    }
  for (guint i = 0; i < self->guard_windows->len; i++)
    {
      const GuardWindow *g = &g_array_index (self->guard_windows, GuardWindow, i);

      append_clipped (self, out, g->x, g->y, (gint64) g->x + g->width,
                      (gint64) g->y + g->height);
    }
  return out;
}

static void
fill_rect (rdpShadowSurface   *surface,
           const RECTANGLE_16 *r,
           guint32             rgb)
{
  freerdp_image_fill (surface->data, surface->format, surface->scanline, r->left, r->top,
                      r->right - r->left, r->bottom - r->top,
                      FreeRDPGetColor (surface->format, (rgb >> 16) & 0xff, (rgb >> 8) & 0xff,
                                       rgb & 0xff, 0xff));
}

static void
set_source_rgb (cairo_t *cr,
                guint32  rgb)
{
  cairo_set_source_rgb (cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                        (rgb & 0xff) / 255.0);
}

/* An opaque panel with the notice, one line per '\n', centred, as large as fits. Drawn with
 * cairo straight into the surface (32-bit BGRX, which is cairo's RGB24 in memory). Called with
 * the surface locked. */
static void
paint_panel (RhShadowX11        *self,
             rdpShadowSurface   *surface,
             const RECTANGLE_16 *r,
             const char         *notice)
{
  int w = r->right - r->left;
  int h = r->bottom - r->top;
  cairo_surface_t *target;
  cairo_t *cr;
  g_auto(GStrv) lines = NULL;
  guint n_lines;
  double size;
  double widest = 0;

  fill_rect (surface, r, PANEL_RGB);
  if (GetBytesPerPixel (surface->format) != 4 || w < 16 || h < 16)
    return;
  target = cairo_image_surface_create_for_data (surface->data + (gsize) r->top * surface->scanline +
                                                (gsize) r->left * 4,
                                                CAIRO_FORMAT_RGB24, w, h, surface->scanline);
  cr = cairo_create (target);
  if (cairo_status (cr) != CAIRO_STATUS_SUCCESS)
    goto out;

  set_source_rgb (cr, PANEL_BORDER_RGB);
  cairo_set_line_width (cr, PANEL_BORDER);
  cairo_rectangle (cr, PANEL_BORDER / 2.0, PANEL_BORDER / 2.0, w - PANEL_BORDER,
                   h - PANEL_BORDER);
  cairo_stroke (cr);

  lines = g_strsplit (notice && *notice ? notice
                                         : "Password prompt hidden \xe2\x80\x94\n"
                                           "the person is typing privately", "\n", 4);
  n_lines = g_strv_length (lines);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  /* 20 px reads well at 1280x800; smaller only when the panel is narrow. */
  for (size = MIN (20.0, (h - 2 * PANEL_BORDER) / (n_lines * 1.5 + 0.5)); size >= 7.0;
       size -= 1.0)
    {
      widest = 0;
      cairo_set_font_size (cr, size);
      for (guint i = 0; i < n_lines; i++)
        {
          cairo_text_extents_t ext;

          cairo_text_extents (cr, lines[i], &ext);
          widest = MAX (widest, ext.x_advance);
        }
      if (widest <= w - 4 * PANEL_BORDER - 8)
        break;
    }
  if (size >= 7.0)
    {
      cairo_font_extents_t fext;
      double line_h;
      double y;

      cairo_font_extents (cr, &fext);
      line_h = size * 1.5;
      y = (h - line_h * n_lines) / 2.0 + (line_h - fext.height) / 2.0 + fext.ascent;
      set_source_rgb (cr, 0xffffff);
      for (guint i = 0; i < n_lines; i++)
        {
          cairo_text_extents_t ext;

          cairo_text_extents (cr, lines[i], &ext);
          cairo_move_to (cr, (int) ((w - ext.x_advance) / 2.0), (int) (y + i * line_h));
          cairo_show_text (cr, lines[i]);
        }
    }
out:
  cairo_destroy (cr);
  cairo_surface_flush (target);
  cairo_surface_destroy (target);
}

/* Publishes the frozen frame with a panel over each private area, losslessly. */
static void
publish_masked (RhShadowX11 *self,
                GArray      *rects)
{
  rdpShadowServer *server = self->base.server;
  rdpShadowSurface *surface = server->surface;
  RECTANGLE_16 all = { 0, 0, (UINT16) surface->width, (UINT16) surface->height };
  g_autofree char *notice = NULL;

  g_mutex_lock (&self->private_lock);
  notice = g_strdup (self->notice);
  g_mutex_unlock (&self->private_lock);

  EnterCriticalSection (&surface->lock);
  if (self->frozen && self->frozen_size == (gsize) surface->scanline * surface->height)
    memcpy (surface->data, self->frozen, self->frozen_size);
  else
    fill_rect (surface, &all, PANEL_RGB);
  for (guint i = 0; i < rects->len; i++)
    paint_panel (self, surface, &g_array_index (rects, RECTANGLE_16, i), notice);
  region16_clear (&surface->invalidRegion);
  region16_union_rect (&surface->invalidRegion, &surface->invalidRegion, &all);
  LeaveCriticalSection (&surface->lock);

  ArrayList_Lock (server->clients);
  prepare_clients (self, FALSE, NULL);
  ArrayList_Unlock (server->clients);
  shadow_subsystem_frame_update (&self->base);

  EnterCriticalSection (&surface->lock);
  region16_clear (&surface->invalidRegion);
  LeaveCriticalSection (&surface->lock);
  stat_add (&stats.masked_frames, 1);
}

/* Enters, updates or leaves the masked state (capture thread, every turn of the loop). */
static void
guard_update (RhShadowX11 *self)
{
  rdpShadowSurface *surface = self->base.server->surface;
  gsize size = (gsize) surface->scanline * surface->height;
  gboolean private = self->wanted->len > 0 || self->guard_windows->len > 0;
  g_autoptr(GArray) rects = NULL;

  g_atomic_int_set (&self->masked_flag, private);
  if (!private)
    {
      if (self->masked)
        {
          g_message ("Screen capture resumed: no private area left");
          self->masked = FALSE;
          g_clear_pointer (&self->frozen, g_free);
          self->frozen_size = 0;
          region16_clear (&self->pending);
          region16_clear (&self->lossy);
          self->need_full = TRUE;
          self->cursor_changed = TRUE;
          self->pointer_moved = TRUE;
        }
      return;
    }
  if (!self->masked || self->frozen_size != size)
    {
      /* The surface holds only what was published or captured before any prompt was known
       * (a capture that raced a prompt was painted over): the paused frame. */
      EnterCriticalSection (&surface->lock);
      g_free (self->frozen);
      self->frozen = g_memdup2 (surface->data, size);
      self->frozen_size = size;
      LeaveCriticalSection (&surface->lock);
      if (!self->masked)
        g_message ("Screen capture paused: an authentication prompt is private");
      self->masked = TRUE;
      self->mask_dirty = TRUE;
      region16_clear (&self->pending);
      region16_clear (&self->lossy);
    }
  if ((self->mask_dirty || self->need_full || self->surface_stale) && client_count (self) > 0)
    {
      rects = private_rects (self);
      publish_masked (self, rects);
      self->mask_dirty = FALSE;
      self->need_full = FALSE;
      self->surface_stale = FALSE;
    }
  region16_clear (&self->pending);
}

/* ---- The capture thread ---- */

static void
add_damage (RhShadowX11 *self)
{
  rdpShadowSurface *surface = self->base.server->surface;
  XRectangle *rects;
  int n = 0;

  XDamageSubtract (self->display, self->damage, None, self->damage_parts);
  rects = XFixesFetchRegion (self->display, self->damage_parts, &n);
  for (int i = 0; rects && i < n; i++)
    {
      int left = MAX (rects[i].x, self->area.left);
      int top = MAX (rects[i].y, self->area.top);
      int right = MIN (rects[i].x + rects[i].width, self->area.right);
      int bottom = MIN (rects[i].y + rects[i].height, self->area.bottom);
      RECTANGLE_16 r;

      if (right <= left || bottom <= top)
        continue;
      r.left = (UINT16) (left - surface->x);
      r.top = (UINT16) (top - surface->y);
      r.right = (UINT16) (right - surface->x);
      r.bottom = (UINT16) (bottom - surface->y);
      region16_union_rect (&self->pending, &self->pending, &r);
    }
  if (rects)
    XFree (rects);
}

static void
handle_x_events (RhShadowX11 *self)
{
  gboolean damaged = FALSE;

  while (XPending (self->display))
    {
      XEvent event;

      XNextEvent (self->display, &event);
      if (event.type == self->damage_event_base + XDamageNotify)
        damaged = TRUE;
      else if (event.type == self->fixes_event_base + XFixesCursorNotify)
        self->cursor_changed = TRUE;
      else if (self->randr_event_base >= 0 &&
               event.type == self->randr_event_base + RRScreenChangeNotify)
        {
          XRRUpdateConfiguration (&event);
          self->resized = TRUE;
        }
      else if (event.type == GenericEvent && event.xcookie.extension == self->xi_opcode &&
               self->xi_opcode != 0)
        self->pointer_moved = TRUE;   /* raw motion carries no data we need */
      else
        guard_handle_event (self, &event);
    }
  if (damaged)
    {
      self->last_damage_time = g_get_monotonic_time ();
      stat_add (&stats.damage_events, 1);
      add_damage (self);
    }
}

static void
handle_messages (RhShadowX11 *self)
{
  wMessage message;

  while (MessageQueue_Peek (self->base.MsgPipe->In, &message, TRUE))
    {
      if (message.id == WMQ_QUIT)
        break;
      if (message.id == SHADOW_MSG_IN_REFRESH_REQUEST_ID)
        {
          /* A client (re)activated: it needs everything, its cursor and where it is. */
          self->need_full = TRUE;
          self->cursor_changed = TRUE;
          self->pointer_moved = TRUE;
        }
      if (message.id == RH_MSG_SELECT_MONITOR)
        {
          self->monitor = GPOINTER_TO_INT (message.wParam);
          self->area_changed = TRUE;
        }
      if (message.Free)
        message.Free (&message);
    }
}

static int
client_count (RhShadowX11 *self)
{
  return ArrayList_Count (self->base.server->clients);
}

/* The shared area changed (another monitor, or the screen's size): the shadow server resizes
 * its surfaces; the publish below makes every client notice and send a desktop resize when the
 * size differs, after which it reactivates and asks for a full refresh. Either way the whole
 * new area goes out again. */
static void
reshape_area (RhShadowX11 *self)
{
  rdpShadowSurface *surface = self->base.server->surface;

  setup_area (self);
  region16_clear (&self->pending);
  region16_clear (&self->lossy);
  /* shadow_surface_resize() reallocates the pixels without the lock; client threads hold it
   * while they encode (a refresh they were asked for directly, not through us). */
  EnterCriticalSection (&surface->lock);
  region16_clear (&surface->invalidRegion);
  if (!shadow_screen_resize (self->base.server->screen))
    g_warning ("Screen capture: FreeRDP could not resize its surface");
  LeaveCriticalSection (&surface->lock);
  shadow_subsystem_frame_update (&self->base);
  self->need_full = TRUE;
  self->pointer_x = self->pointer_y = -1;
  self->pointer_moved = TRUE;
}

/* The screen changed size (RandR): a new segment and a new area. */
static void
handle_resize (RhShadowX11 *self)
{
  int screen = DefaultScreen (self->display);
  int width = DisplayWidth (self->display, screen);
  int height = DisplayHeight (self->display, screen);

  if (width == self->screen_width && height == self->screen_height)
    return;
  g_message ("Screen capture: the screen is now %dx%d", width, height);
  self->screen_width = width;
  self->screen_height = height;
  shm_release (self);
  self->use_shm = shm_setup (self);
  reshape_area (self);
}

static void
handle_area_change (RhShadowX11 *self)
{
  reshape_area (self);
  g_message ("Screen capture: sharing %s, area %d,%d %dx%d",
             self->monitor < 0 ? "all monitors" : "one monitor", self->area.left,
             self->area.top, self->area.right - self->area.left,
             self->area.bottom - self->area.top);
}

/* Typing and pointing get MAX_FPS; a busy screen (large frames in quick succession) gets
 * BUSY_FPS, which is what the stock subsystem captures at: each such frame costs about as many
 * bytes as the stock one, and more of them would cost more bytes than stock. */
static gint64
frame_interval (RhShadowX11 *self)
{
  return G_USEC_PER_SEC / (self->busy_frames >= BUSY_FRAMES ? BUSY_FPS : MAX_FPS);
}

static gpointer
capture_thread (gpointer data)
{
  RhShadowX11 *self = data;
  rdpShadowSurface *surface = self->base.server->surface;
  int msg_fd = GetEventFileDescriptor (MessageQueue_Event (self->base.MsgPipe->In));
  const gint64 interval = G_USEC_PER_SEC / MAX_FPS;
  gint64 deferred_since = 0;
  gint64 last_pointer_time = 0;

  self->surface_stale = TRUE;
  for (;;)
    {
      struct pollfd fds[4] = {
        { .fd = ConnectionNumber (self->display), .events = POLLIN },
        { .fd = self->stop_pipe[0], .events = POLLIN },
        { .fd = self->wake_pipe[0], .events = POLLIN },
        { .fd = msg_fd, .events = POLLIN },
      };
      gint64 due = G_MAXINT64;
      int timeout = -1;
      gint64 now;

      /* Sleep until something happens, or until what is waiting may go out. */
      if (!region16_is_empty (&self->pending) || self->need_full)
        due = self->last_frame_time + frame_interval (self);
      if (self->pointer_moved)
        due = MIN (due, last_pointer_time + interval);
      if (!region16_is_empty (&self->lossy))
        due = MIN (due, self->last_damage_time + REFINE_USEC);
      if (due != G_MAXINT64)
        {
          now = g_get_monotonic_time ();
          timeout = due > now ? (int) ((due - now + 999) / 1000) : 0;
        }
      XFlush (self->display);
      /* Replies (XShmGetImage, XFixesFetchRegion) make Xlib read the socket: events that
       * came with them already wait in its queue, and poll() would not see them. */
      if (XEventsQueued (self->display, QueuedAlready) > 0)
        timeout = 0;
      if (poll (fds, msg_fd >= 0 ? 4 : 3, timeout) < 0 && errno != EINTR)
        {
          g_warning ("Screen capture stopped: poll: %s", g_strerror (errno));
          break;
        }
      if (fds[1].revents)
        break;
      if (fds[2].revents)
        {
          char buf[64];

          while (read (self->wake_pipe[0], buf, sizeof buf) > 0)
            ;
        }
      if (msg_fd >= 0 && fds[3].revents)
        handle_messages (self);
      handle_x_events (self);
      if (self->resized)
        {
          self->resized = FALSE;
          handle_resize (self);
        }
      if (self->area_changed)
        {
          self->area_changed = FALSE;
          handle_area_change (self);
        }
      /* The guard first: while anything is private, nothing below runs. */
      guard_apply_settings (self);
      guard_update (self);
      if (self->masked)
        {
          if (client_count (self) == 0)
            {
              /* A viewer that connects later asks for a refresh and gets the paused frame. */
              self->surface_stale = TRUE;
              self->need_full = FALSE;
            }
          if (self->cursor_changed && client_count (self) > 0)
            {
              self->cursor_changed = FALSE;
              send_cursor_shape (self);
            }
          /* Where the pointer is stays private too. */
          self->pointer_moved = FALSE;
          continue;
        }

      if (client_count (self) == 0)
        {
          /* Nobody watches: keep nothing, capture nothing; a new viewer's refresh request
           * makes us capture the whole area. */
          region16_clear (&self->pending);
          region16_clear (&self->lossy);
          self->surface_stale = TRUE;
          self->need_full = FALSE;
          self->pointer_moved = FALSE;
          continue;
        }
      now = g_get_monotonic_time ();
      if (self->cursor_changed)
        {
          self->cursor_changed = FALSE;
          send_cursor_shape (self);
        }
      /* Pointer positions at most at the frame rate: a moving mouse sends hundreds of raw
       * events a second. */
      if (self->pointer_moved && now >= last_pointer_time + interval)
        {
          self->pointer_moved = FALSE;
          last_pointer_time = now;
          send_pointer_position (self);
        }
      if (self->need_full || self->surface_stale)
        {
          RECTANGLE_16 all = { 0, 0, (UINT16) surface->width, (UINT16) surface->height };

          region16_union_rect (&self->pending, &self->pending, &all);
          self->need_full = FALSE;
          self->surface_stale = FALSE;
        }
      /* Once the screen has been still for a moment, what went out lossy (RemoteFX) goes out
       * again losslessly, so a still picture ends up exact. */
      if (region16_is_empty (&self->pending) && !region16_is_empty (&self->lossy) &&
          now >= self->last_damage_time + REFINE_USEC)
        {
          region16_copy (&self->pending, &self->lossy);
          region16_clear (&self->lossy);
          self->refining = TRUE;
        }
      if (region16_is_empty (&self->pending) ||
          now < self->last_frame_time + frame_interval (self))
        continue;
      {
        gboolean ready;

        ArrayList_Lock (self->base.server->clients);
        ready = prepare_clients (self, FALSE, NULL);
        ArrayList_Unlock (self->base.server->clients);
        /* Hold back while a client is behind, but not for ever: some clients stop
         * acknowledging frames (mstsc when minimised), and a frozen screen is worse. */
        if (!ready && (deferred_since == 0 || now - deferred_since < MAX_DEFER_USEC))
          {
            if (deferred_since == 0)
              deferred_since = now;
            stat_add (&stats.deferred, 1);
            self->last_frame_time = now;
            continue;
          }
      }
      deferred_since = 0;
      send_frame (self);
      self->refining = FALSE;
    }
  return NULL;
}

/* ---- Input (client threads; the sharer's gate wraps these) ---- */

static KeyCode
spare_keycode_for (RhShadowX11 *self,
                   KeySym       keysym)
{
  KeySym syms[2] = { keysym, keysym };
  KeyCode kc;

  if (self->n_spare_keycodes == 0)
    return 0;
  /* Rotate, so a client still reading the previous mapping change is not confused. */
  kc = self->spare_keycodes[self->next_spare];
  self->next_spare = (self->next_spare + 1) % self->n_spare_keycodes;
  XChangeKeyboardMapping (self->input_display, kc, 2, syms, 1);
  XSync (self->input_display, False);
  return kc;
}

static void
find_spare_keycodes (RhShadowX11 *self)
{
  int min_kc, max_kc, per = 0;
  KeySym *map;

  XDisplayKeycodes (self->input_display, &min_kc, &max_kc);
  map = XGetKeyboardMapping (self->input_display, min_kc, max_kc - min_kc + 1, &per);
  if (!map)
    return;
  for (int kc = max_kc; kc >= min_kc && self->n_spare_keycodes < N_SPARE_KEYCODES; kc--)
    {
      gboolean empty = TRUE;

      for (int i = 0; i < per; i++)
        if (map[(kc - min_kc) * per + i] != NoSymbol)
          empty = FALSE;
      if (empty)
        self->spare_keycodes[self->n_spare_keycodes++] = kc;
    }
  XFree (map);
}

static void
restore_spare_keycodes (RhShadowX11 *self)
{
  KeySym none[2] = { NoSymbol, NoSymbol };

  for (int i = 0; i < self->n_spare_keycodes; i++)
    XChangeKeyboardMapping (self->input_display, self->spare_keycodes[i], 2, none, 1);
  XSync (self->input_display, False);
}

static KeySym
keysym_for_char (gunichar c)
{
  switch (c)
    {
    case '\n':
    case '\r':
      return XK_Return;
    case '\t':
      return XK_Tab;
    case '\b':
      return XK_BackSpace;
    case 0x1b:
      return XK_Escape;
    case 0x7f:
      return XK_Delete;
    default:
      break;
    }
  if (c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0xd800 && c < 0xe000) || c > 0x10ffff)
    return NoSymbol;
  if (c < 0x100)
    return c;                       /* Latin-1 keysyms are the code points */
  return 0x01000000 | c;            /* X's Unicode keysyms */
}

/* Types one character: a key of the current layout (with Shift if that level has it) or a
 * spare keycode mapped to the keysym. Called with input_lock held. */
static void
type_keysym (RhShadowX11 *self,
             KeySym       keysym)
{
  Display *dpy = self->input_display;
  KeyCode kc = XKeysymToKeycode (dpy, keysym);
  KeyCode shift = 0;

  if (kc != 0)
    {
      if (XkbKeycodeToKeysym (dpy, kc, 0, 0) != keysym)
        {
          if (XkbKeycodeToKeysym (dpy, kc, 0, 1) == keysym)
            shift = XKeysymToKeycode (dpy, XK_Shift_L);
          else
            kc = 0;
        }
    }
  if (kc == 0)
    kc = spare_keycode_for (self, keysym);
  if (kc == 0)
    {
      g_debug ("No key for keysym 0x%lx", (unsigned long) keysym);
      return;
    }
  if (shift)
    XTestFakeKeyEvent (dpy, shift, True, CurrentTime);
  XTestFakeKeyEvent (dpy, kc, True, CurrentTime);
  XTestFakeKeyEvent (dpy, kc, False, CurrentTime);
  if (shift)
    XTestFakeKeyEvent (dpy, shift, False, CurrentTime);
  XFlush (dpy);
}

static BOOL
rh_shadow_x11_keyboard (rdpShadowSubsystem *subsystem,
                        rdpShadowClient    *client,
                        UINT16              flags,
                        UINT16              code)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;
  DWORD scancode = code;
  DWORD vkcode;
  DWORD keycode;

  if (flags & KBD_FLAGS_EXTENDED)
    scancode |= KBDEXT;
  vkcode = GetVirtualKeyCodeFromVirtualScanCode (scancode, 4);
  if (flags & KBD_FLAGS_EXTENDED)
    vkcode |= KBDEXT;
  keycode = GetKeycodeFromVirtualKeyCode (vkcode, KEYCODE_TYPE_EVDEV);
  if (keycode == 0 || keycode > 255)
    return TRUE;
  g_mutex_lock (&self->input_lock);
  XTestFakeKeyEvent (self->input_display, keycode, (flags & KBD_FLAGS_RELEASE) ? False : True,
                     CurrentTime);
  XFlush (self->input_display);
  g_mutex_unlock (&self->input_lock);
  return TRUE;
}

static BOOL
rh_shadow_x11_unicode (rdpShadowSubsystem *subsystem,
                       rdpShadowClient    *client,
                       UINT16              flags,
                       UINT16              code)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;
  gunichar c;
  KeySym keysym;

  /* A press types the character; the release has nothing left to do. */
  if (flags & KBD_FLAGS_RELEASE)
    return TRUE;
  g_mutex_lock (&self->input_lock);
  if (code >= 0xd800 && code < 0xdc00)
    {
      self->high_surrogate = code;
      g_mutex_unlock (&self->input_lock);
      return TRUE;
    }
  if (code >= 0xdc00 && code < 0xe000)
    {
      if (self->high_surrogate == 0)
        {
          g_mutex_unlock (&self->input_lock);
          return TRUE;
        }
      c = 0x10000 + ((gunichar) (self->high_surrogate - 0xd800) << 10) + (code - 0xdc00);
    }
  else
    c = code;
  self->high_surrogate = 0;
  keysym = keysym_for_char (c);
  if (keysym != NoSymbol)
    type_keysym (self, keysym);
  g_mutex_unlock (&self->input_lock);
  return TRUE;
}

/* Clients send their lock-key state when they connect: applying it would switch the
 * sharer's Caps/Num Lock as the helper arrives, so (like the stock subsystem) we leave the
 * sharer's keyboard alone. */
static BOOL
rh_shadow_x11_synchronize (rdpShadowSubsystem *subsystem,
                           rdpShadowClient    *client,
                           UINT32              flags)
{
  return TRUE;
}

static void
fake_click (Display     *dpy,
            unsigned int button,
            gboolean     pressed)
{
  XTestFakeButtonEvent (dpy, button, pressed ? True : False, CurrentTime);
}

static void
move_pointer (RhShadowX11 *self,
              UINT16       x,
              UINT16       y)
{
  rdpShadowSurface *surface = self->base.server->surface;
  int rx = MIN ((int) x, surface->width - 1) + surface->x;
  int ry = MIN ((int) y, surface->height - 1) + surface->y;

  XTestFakeMotionEvent (self->input_display, DefaultScreen (self->input_display), rx, ry,
                        CurrentTime);
}

static BOOL
rh_shadow_x11_mouse (rdpShadowSubsystem *subsystem,
                     rdpShadowClient    *client,
                     UINT16              flags,
                     UINT16              x,
                     UINT16              y)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;
  Display *dpy = self->input_display;
  gboolean down = (flags & PTR_FLAGS_DOWN) != 0;

  g_mutex_lock (&self->input_lock);
  if (flags & PTR_FLAGS_WHEEL)
    {
      /* One click per event: the viewer sends one event per notch. Positive is up. */
      unsigned int button = (flags & PTR_FLAGS_WHEEL_NEGATIVE) ? 5 : 4;

      fake_click (dpy, button, TRUE);
      fake_click (dpy, button, FALSE);
    }
  else if (flags & PTR_FLAGS_HWHEEL)
    {
      unsigned int button = (flags & PTR_FLAGS_WHEEL_NEGATIVE) ? 6 : 7;

      fake_click (dpy, button, TRUE);
      fake_click (dpy, button, FALSE);
    }
  else
    {
      if (flags & PTR_FLAGS_MOVE)
        move_pointer (self, x, y);
      if (flags & PTR_FLAGS_BUTTON1)
        {
          move_pointer (self, x, y);
          fake_click (dpy, 1, down);
        }
      if (flags & PTR_FLAGS_BUTTON2)
        {
          move_pointer (self, x, y);
          fake_click (dpy, 3, down);
        }
      if (flags & PTR_FLAGS_BUTTON3)
        {
          move_pointer (self, x, y);
          fake_click (dpy, 2, down);
        }
    }
  XFlush (dpy);
  g_mutex_unlock (&self->input_lock);
  return TRUE;
}

static BOOL
rh_shadow_x11_extended_mouse (rdpShadowSubsystem *subsystem,
                              rdpShadowClient    *client,
                              UINT16              flags,
                              UINT16              x,
                              UINT16              y)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;
  gboolean down = (flags & PTR_XFLAGS_DOWN) != 0;

  g_mutex_lock (&self->input_lock);
  move_pointer (self, x, y);
  if (flags & PTR_XFLAGS_BUTTON1)
    fake_click (self->input_display, 8, down);
  if (flags & PTR_XFLAGS_BUTTON2)
    fake_click (self->input_display, 9, down);
  XFlush (self->input_display);
  g_mutex_unlock (&self->input_lock);
  return TRUE;
}

/* ---- Entry points ---- */

static rdpShadowSubsystem *
rh_shadow_x11_new (void)
{
  RhShadowX11 *self = calloc (1, sizeof *self);

  if (!self)
    return NULL;
  g_mutex_init (&self->input_lock);
  g_mutex_init (&self->clients_lock);
  self->client_codecs = g_array_new (FALSE, FALSE, sizeof (ClientCodecs));
  self->stop_pipe[0] = self->stop_pipe[1] = -1;
  self->wake_pipe[0] = self->wake_pipe[1] = -1;
  if (!g_unix_open_pipe (self->wake_pipe, FD_CLOEXEC, NULL) ||
      !g_unix_set_fd_nonblocking (self->wake_pipe[0], TRUE, NULL) ||
      !g_unix_set_fd_nonblocking (self->wake_pipe[1], TRUE, NULL))
    g_warning ("Screen capture: could not create a pipe");
  g_mutex_init (&self->private_lock);
  self->private_wanted = g_array_new (FALSE, FALSE, sizeof (RECTANGLE_16));
  self->wanted = g_array_new (FALSE, FALSE, sizeof (RECTANGLE_16));
  self->guard_windows = g_array_new (FALSE, FALSE, sizeof (GuardWindow));
  region16_init (&self->pending);
  region16_init (&self->lossy);
  self->pointer_x = self->pointer_y = -1;
  self->monitor = g_atomic_int_get (&selected_monitor);

  self->base.SynchronizeEvent = rh_shadow_x11_synchronize;
  self->base.KeyboardEvent = rh_shadow_x11_keyboard;
  self->base.UnicodeKeyboardEvent = rh_shadow_x11_unicode;
  self->base.MouseEvent = rh_shadow_x11_mouse;
  self->base.ExtendedMouseEvent = rh_shadow_x11_extended_mouse;
  self->base.ClientCapabilities = rh_shadow_x11_client_capabilities;
  self->base.ClientDisconnect = rh_shadow_x11_client_disconnect;
  self->base.Authenticate = NULL;   /* never PAM: NLA with one-time credentials only */
  return &self->base;
}

static void
rh_shadow_x11_free (rdpShadowSubsystem *subsystem)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;

  if (!self)
    return;
  region16_uninit (&self->pending);
  region16_uninit (&self->lossy);
  g_array_unref (self->client_codecs);
  for (int i = 0; i < 2; i++)
    if (self->wake_pipe[i] >= 0)
      close (self->wake_pipe[i]);
  g_array_unref (self->private_wanted);
  g_array_unref (self->wanted);
  g_array_unref (self->guard_windows);
  g_strfreev (self->guard_classes);
  g_strfreev (self->classes);
  g_free (self->notice);
  g_free (self->frozen);
  g_mutex_clear (&self->private_lock);
  g_mutex_clear (&self->input_lock);
  g_mutex_clear (&self->clients_lock);
  free (self);
}

static int rh_shadow_x11_stop (rdpShadowSubsystem *subsystem);

static int
rh_shadow_x11_uninit (rdpShadowSubsystem *subsystem)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;

  /* The shadow server stops us first; should it not, the thread must not outlive the
   * display. */
  rh_shadow_x11_stop (subsystem);

  if (self->input_display)
    {
      restore_spare_keycodes (self);
      XCloseDisplay (self->input_display);
      self->input_display = NULL;
    }
  if (self->display)
    {
      shm_release (self);
      if (self->damage_parts)
        XFixesDestroyRegion (self->display, self->damage_parts);
      if (self->damage)
        XDamageDestroy (self->display, self->damage);
      self->damage_parts = 0;
      self->damage = 0;
      g_atomic_pointer_compare_and_exchange (&guarded_display, self->display, NULL);
      XCloseDisplay (self->display);
      self->display = NULL;
    }
  return 1;
}

static gboolean
check_visual (RhShadowX11 *self)
{
  Display *dpy = self->display;

  /* The surface is filled with 32-bit BGRX pixels straight from the server. */
  return (self->depth == 24 || self->depth == 32) &&
         self->visual->red_mask == 0xff0000 && self->visual->green_mask == 0xff00 &&
         self->visual->blue_mask == 0xff && ImageByteOrder (dpy) == LSBFirst;
}

static int
rh_shadow_x11_init (rdpShadowSubsystem *subsystem)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;
  int error_base, major, minor, event_base;
  int screen;

  self->display = XOpenDisplay (NULL);
  if (!self->display)
    {
      g_warning ("Screen capture: could not open the display");
      return -1;
    }
  screen = DefaultScreen (self->display);
  self->root = RootWindow (self->display, screen);
  self->visual = DefaultVisual (self->display, screen);
  self->depth = DefaultDepth (self->display, screen);
  self->screen_width = DisplayWidth (self->display, screen);
  self->screen_height = DisplayHeight (self->display, screen);
  if (!check_visual (self))
    {
      g_message ("Screen capture: unsupported visual (depth %d)", self->depth);
      goto fail;
    }
  if (!XDamageQueryExtension (self->display, &self->damage_event_base, &error_base) ||
      !XFixesQueryExtension (self->display, &self->fixes_event_base, &error_base))
    {
      g_message ("Screen capture: the display has no XDamage or XFixes");
      goto fail;
    }
  major = minor = 0;
  if (!XTestQueryExtension (self->display, &event_base, &error_base, &major, &minor))
    {
      g_message ("Screen capture: the display has no XTest");
      goto fail;
    }
  {
    int opcode, ev, err;

    major = 2;
    minor = 0;
    if (XQueryExtension (self->display, "XInputExtension", &opcode, &ev, &err) &&
        XIQueryVersion (self->display, &major, &minor) == Success)
      {
        unsigned char bits[XIMaskLen (XI_LASTEVENT)] = { 0 };
        XIEventMask mask = { XIAllMasterDevices, sizeof bits, bits };

        XISetMask (bits, XI_RawMotion);
        XISelectEvents (self->display, self->root, &mask, 1);
        self->xi_opcode = opcode;
      }
  }

  setup_area (self);
  /* The guard: top-levels mapping, moving, going (see "Authentication-prompt guard"). */
  guard_install_error_handler (self->display);
  XSelectInput (self->display, self->root, SubstructureNotifyMask);
  self->damage = XDamageCreate (self->display, self->root, XDamageReportNonEmpty);
  self->damage_parts = XFixesCreateRegion (self->display, NULL, 0);
  XFixesSelectCursorInput (self->display, self->root, XFixesDisplayCursorNotifyMask);
  {
    int rr_error_base;

    self->randr_event_base = -1;
    if (XRRQueryExtension (self->display, &self->randr_event_base, &rr_error_base))
      XRRSelectInput (self->display, self->root, RRScreenChangeNotifyMask);
    else
      self->randr_event_base = -1;
  }
  self->use_shm = shm_setup (self);

  self->input_display = XOpenDisplay (NULL);
  if (!self->input_display)
    goto fail;
  find_spare_keycodes (self);
  XSync (self->display, False);
  g_message ("Screen capture: XDamage%s, area %d,%d %dx%d of %dx%d",
             self->use_shm ? " + XShm" : " + XGetImage", self->area.left, self->area.top,
             self->area.right - self->area.left, self->area.bottom - self->area.top,
             self->screen_width, self->screen_height);
  return 1;

fail:
  rh_shadow_x11_uninit (subsystem);
  return -1;
}

static int
rh_shadow_x11_start (rdpShadowSubsystem *subsystem)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;

  if (!self->base.server || !self->base.server->surface)
    return -1;
  if (!g_unix_open_pipe (self->stop_pipe, FD_CLOEXEC, NULL))
    return -1;
  /* The surface's and the server's idea of where it is come from our monitors. */
  self->thread = g_thread_new ("rh-shadow-x11", capture_thread, self);
  return 1;
}

static int
rh_shadow_x11_stop (rdpShadowSubsystem *subsystem)
{
  RhShadowX11 *self = (RhShadowX11 *) subsystem;

  if (self->thread)
    {
      char byte = 1;

      while (write (self->stop_pipe[1], &byte, 1) < 0 && errno == EINTR)
        ;
      g_thread_join (self->thread);
      self->thread = NULL;
    }
  for (int i = 0; i < 2; i++)
    if (self->stop_pipe[i] >= 0)
      {
        close (self->stop_pipe[i]);
        self->stop_pipe[i] = -1;
      }
  return 1;
}

gboolean
rh_shadow_x11_switch_monitor (rdpShadowSubsystem *subsystem,
                              int                 monitor)
{
  g_return_val_if_fail (subsystem != NULL && subsystem->MsgPipe != NULL, FALSE);

  return MessageQueue_Post (subsystem->MsgPipe->In, NULL, RH_MSG_SELECT_MONITOR,
                            GINT_TO_POINTER (monitor < 0 ? -1 : monitor), NULL) ? TRUE : FALSE;
}

int
rh_shadow_x11_entry (RDP_SHADOW_ENTRY_POINTS *entry_points)
{
  entry_points->New = rh_shadow_x11_new;
  entry_points->Free = rh_shadow_x11_free;
  entry_points->Init = rh_shadow_x11_init;
  entry_points->Uninit = rh_shadow_x11_uninit;
  entry_points->Start = rh_shadow_x11_start;
  entry_points->Stop = rh_shadow_x11_stop;
  entry_points->EnumMonitors = rh_shadow_x11_enum_monitors;
  return 1;
}
