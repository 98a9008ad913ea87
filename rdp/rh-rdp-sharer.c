/* rh-rdp-sharer.c: the sharer's screen as an RDP server (FreeRDP shadow server, X11)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Embeds the FreeRDP 2.11 shadow server with our X11 subsystem (rh-shadow-x11.c), or FreeRDP's
 * stock one when asked to (capture=stock) or when ours cannot run. Everything the server needs
 * lives in a fresh 0700 directory $XDG_RUNTIME_DIR/remote-help/rdp-XXXXXX:
 *
 *   rdp.sock            the listening Unix socket (the server's ipcSocket; never TCP)
 *   sam                 one-time NLA credentials (0600, the line `winpr-hash -f sam` prints)
 *   shadow/shadow.crt   per-session self-signed RSA certificate
 *   shadow/shadow.key   its key (0600)
 *
 * FreeRDP 2.11 facts this relies on (server/shadow/shadow_server.c):
 * - shadow_server_init() keeps a ConfigPath set before it is called, and reads the certificate
 *   and key from <ConfigPath>/shadow/shadow.{crt,key}; it only runs makecert (which writes the
 *   key 0644) when one of them is missing. We write both first, so FreeRDP writes nothing.
 * - The key is also used as RdpKeyFile, which FreeRDP 2 loads as an RSA key: hence RSA, not the
 *   EC key of rh-tls-cert.c.
 * - An ipcSocket that does not start with "bind-address," makes shadow_server_start() call
 *   listener->OpenLocal() on that path instead of opening a TCP port.
 * - server->authentication makes the subsystem's Authenticate (PAM for X11) run when NLA is
 *   off; we keep it FALSE and require NLA, which checks the SAM file.
 * - client->mayInteract is copied from the server when a client connects and checked for every
 *   input event, so set_mode() updates the server and every connected client. It is not ours
 *   alone: the shadow server's ENCOMSP handler sets it for any client that asks for control. So
 *   the X11 subsystem's input handlers (the only code that injects input, through XTest) are
 *   wrapped by a gate that checks our own mode and drops every event in VIEW mode.
 * - The X11 subsystem opens the display named by $DISPLAY (XOpenDisplay (NULL)).
 *
 * Threads: call XInitThreads() at the very start of main(), before GTK or anything else
 * touches Xlib; start() calls it too (once) for programs that do not. FreeRDP runs the listener,
 * the capture and one thread per client; the signals are emitted on the main context of the
 * thread that created the sharer.
 */
#define G_LOG_DOMAIN "rh-rdp"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <X11/Xlib.h>

#include <freerdp/freerdp.h>
#include <freerdp/settings.h>
#include <freerdp/server/shadow.h>
#include <winpr/ntlm.h>
#include <winpr/ssl.h>

#include "rh-error.h"
#include "rh-rdp-sharer.h"
#include "rh-shadow-x11.h"

#define CREDENTIAL_LENGTH 16

static void apply_private_to_subsystem (RhRdpSharer *self);
#define CERT_VALIDITY_DAYS 30

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_free)

/* What FreeRDP's threads use to reach the sharer: stored in server->ext, freed after the
 * server (and with it every FreeRDP thread) is gone. */
typedef struct
{
  GWeakRef sharer;
  GMainContext *context;
  gint mode;                   /* RhRdpMode (atomic): what the input gate below checks */
  gint drop_logged;            /* (atomic) a drop was logged since the last mode change */
  pfnShadowClientConnect chained_connect;
  pfnShadowClientDisconnect chained_disconnect;
  pfnShadowSynchronizeEvent chained_synchronize;
  pfnShadowKeyboardEvent chained_keyboard;
  pfnShadowUnicodeKeyboardEvent chained_unicode;
  pfnShadowMouseEvent chained_mouse;
  pfnShadowExtendedMouseEvent chained_extended_mouse;

  /* The authentication-prompt guard */
  gint private_active;         /* (atomic) regions are set: drop input, pause frames */
  gint private_logged;         /* (atomic) a drop was logged since private_active changed */
  gboolean builtin;            /* our capture runs (it masks); else stock (fail closed) */
  rdpShadowSubsystem *subsystem;
  GMutex suppress_lock;        /* private_active changes vs. viewers' SuppressOutput */
  pSuppressOutput chained_suppress;
} SharerLink;

struct _RhRdpSharer
{
  GObject parent_instance;

  char *display;
  gint mode;                   /* RhRdpMode, read by FreeRDP threads through the server */
  RhRdpCapture capture;        /* wanted */
  RhRdpCapture capture_running;
  int monitor;                 /* RH_RDP_MONITOR_ALL or an index into list_monitors() */
  GMainContext *context;

  rdpShadowServer *server;
  gboolean server_initialized;  /* shadow_server_init() succeeded: uninit() is ours to call */
  SharerLink *link;

  char *dir;
  char *socket_path;
  char *sam_path;
  char *shadow_dir;
  char *cert_path;
  char *key_path;
  char *username;
  char *password;
  GBytes *cert_sha256;

  /* The guard's state, kept across start/stop and applied to each server (main thread) */
  GArray *private_rects;       /* RhRdpRect */
  char **guarded_classes;
  char *notice;
};

enum
{
  SIGNAL_CLIENT_CONNECTED,
  SIGNAL_CLIENT_DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RhRdpSharer, rh_rdp_sharer, G_TYPE_OBJECT)

static void
init_x_threads (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      if (!XInitThreads ())
        g_warning ("XInitThreads() failed");
      g_once_init_leave (&once, 1);
    }
}

static gboolean
start_error (GError    **error,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

static gboolean
start_error (GError    **error,
             const char *format,
             ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, RH_RDP_ERROR, RH_ERROR_RDP_START, message);
  return FALSE;
}

static gboolean
openssl_error (GError    **error,
               const char *what)
{
  unsigned long e = ERR_get_error ();
  char buf[256] = "";

  if (e != 0)
    ERR_error_string_n (e, buf, sizeof buf);
  ERR_clear_error ();
  return start_error (error, "Could not create the screen sharing certificate: %s%s%s", what,
                      buf[0] ? ": " : "", buf);
}

/* A random string of letters and digits from the OS RNG, without modulo bias. */
static char *
random_credential (GError **error)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const guint n = sizeof alphabet - 1;           /* 62 */
  const guint limit = 256 - (256 % n);           /* 248 */
  g_autofree char *out = g_malloc0 (CREDENTIAL_LENGTH + 1);
  guint filled = 0;

  while (filled < CREDENTIAL_LENGTH)
    {
      unsigned char buf[32];

      if (RAND_bytes (buf, sizeof buf) != 1)
        {
          openssl_error (error, "RAND_bytes");
          return NULL;
        }
      for (gsize i = 0; i < sizeof buf && filled < CREDENTIAL_LENGTH; i++)
        if (buf[i] < limit)
          out[filled++] = alphabet[buf[i] % n];
      OPENSSL_cleanse (buf, sizeof buf);
    }
  return g_steal_pointer (&out);
}

/* Creates path with O_EXCL and 0600, and writes data to it. */
static gboolean
write_private_file (const char *path,
                    const char *data,
                    gsize       len,
                    GError    **error)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  gsize done = 0;

  if (fd < 0)
    return start_error (error, "Could not create %s: %s", path, g_strerror (errno));
  while (done < len)
    {
      gssize r = write (fd, data + done, len - done);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int saved = errno;

          close (fd);
          return start_error (error, "Could not write %s: %s", path, g_strerror (saved));
        }
      done += r;
    }
  if (fsync (fd) < 0 || close (fd) < 0)
    return start_error (error, "Could not write %s: %s", path, g_strerror (errno));
  return TRUE;
}

/* The SAM file: one line "user:::nthash:::", as `winpr-hash -u U -p P -f sam` prints it. The
 * file is made with mkstemp (0600) inside our 0700 directory. */
static gboolean
write_sam_file (RhRdpSharer *self,
                GError     **error)
{
  BYTE nt_hash[16];
  g_autofree char *hex = NULL;
  g_autofree char *line = NULL;
  g_autofree char *template = g_build_filename (self->dir, "sam-XXXXXX", NULL);
  gsize len;
  gsize done = 0;
  int fd;

  if (!NTOWFv1A (self->password, strlen (self->password), nt_hash))
    return start_error (error, "Could not compute the NTLM hash of the one-time password");
  hex = g_malloc (sizeof nt_hash * 2 + 1);
  for (gsize i = 0; i < sizeof nt_hash; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", nt_hash[i]);
  OPENSSL_cleanse (nt_hash, sizeof nt_hash);
  line = g_strdup_printf ("%s:::%s:::\n", self->username, hex);
  OPENSSL_cleanse (hex, strlen (hex));
  len = strlen (line);

  fd = g_mkstemp_full (template, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return start_error (error, "Could not create the SAM file: %s", g_strerror (errno));
  self->sam_path = g_strdup (template);
  while (done < len)
    {
      gssize r = write (fd, line + done, len - done);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int saved = errno;

          close (fd);
          OPENSSL_cleanse (line, len);
          return start_error (error, "Could not write the SAM file: %s", g_strerror (saved));
        }
      done += r;
    }
  OPENSSL_cleanse (line, len);
  if (close (fd) < 0)
    return start_error (error, "Could not write the SAM file: %s", g_strerror (errno));
  return TRUE;
}

/* A self-signed RSA-2048 certificate and its key, valid for a short while: only its SHA-256
 * pin matters to the helper. */
static gboolean
write_certificate (RhRdpSharer *self,
                   GError     **error)
{
  g_autoptr (EVP_PKEY) key = NULL;
  g_autoptr (X509) cert = NULL;
  g_autoptr (BIGNUM) serial = NULL;
  X509_NAME *name;
  BIO *bio;
  char *pem = NULL;
  long pem_len;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;

  key = EVP_RSA_gen (2048);
  if (!key)
    return openssl_error (error, "key generation");

  cert = X509_new ();
  serial = BN_new ();
  if (!cert || !serial || !BN_rand (serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
      !BN_to_ASN1_INTEGER (serial, X509_get_serialNumber (cert)) ||
      !X509_set_version (cert, 2) ||
      !X509_gmtime_adj (X509_getm_notBefore (cert), -3600) ||
      !X509_gmtime_adj (X509_getm_notAfter (cert), (long) CERT_VALIDITY_DAYS * 24 * 3600))
    return openssl_error (error, "certificate fields");

  name = X509_get_subject_name (cert);
  if (!X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC,
                                   (const unsigned char *) "Remote Help screen sharing",
                                   -1, -1, 0) ||
      !X509_set_issuer_name (cert, name) ||
      !X509_set_pubkey (cert, key) ||
      !X509_sign (cert, key, EVP_sha256 ()))
    return openssl_error (error, "signature");

  /* Key: written straight from memory into a file created 0600. */
  bio = BIO_new (BIO_s_mem ());
  if (!bio || !PEM_write_bio_PrivateKey_traditional (bio, key, NULL, NULL, 0, NULL, NULL))
    {
      BIO_free (bio);
      return openssl_error (error, "key encoding");
    }
  pem_len = BIO_get_mem_data (bio, &pem);
  if (!write_private_file (self->key_path, pem, pem_len, error))
    {
      BIO_free (bio);
      return FALSE;
    }
  BIO_free (bio);

  bio = BIO_new (BIO_s_mem ());
  if (!bio || !PEM_write_bio_X509 (bio, cert))
    {
      BIO_free (bio);
      return openssl_error (error, "certificate encoding");
    }
  pem_len = BIO_get_mem_data (bio, &pem);
  if (!write_private_file (self->cert_path, pem, pem_len, error))
    {
      BIO_free (bio);
      return FALSE;
    }
  BIO_free (bio);

  if (!X509_digest (cert, EVP_sha256 (), digest, &digest_len) || digest_len != 32)
    return openssl_error (error, "fingerprint");
  self->cert_sha256 = g_bytes_new (digest, digest_len);
  return TRUE;
}

/* Creates $XDG_RUNTIME_DIR/remote-help (0700) and a fresh rdp-XXXXXX (0700) inside it. */
static gboolean
make_session_dir (RhRdpSharer *self,
                  GError     **error)
{
  g_autofree char *parent = g_build_filename (g_get_user_runtime_dir (), "remote-help", NULL);
  g_autofree char *template = NULL;
  GStatBuf st;

  if (g_mkdir_with_parents (parent, 0700) < 0)
    return start_error (error, "Could not create %s: %s", parent, g_strerror (errno));
  if (g_lstat (parent, &st) < 0 || !S_ISDIR (st.st_mode) || st.st_uid != getuid ())
    return start_error (error, "%s is not a directory owned by this user", parent);
  if ((st.st_mode & 077) != 0 && g_chmod (parent, 0700) < 0)
    return start_error (error, "Could not make %s private: %s", parent, g_strerror (errno));

  template = g_build_filename (parent, "rdp-XXXXXX", NULL);
  if (!g_mkdtemp_full (template, 0700))
    return start_error (error, "Could not create a directory in %s: %s", parent,
                        g_strerror (errno));
  self->dir = g_steal_pointer (&template);
  self->socket_path = g_build_filename (self->dir, "rdp.sock", NULL);
  self->shadow_dir = g_build_filename (self->dir, "shadow", NULL);
  self->cert_path = g_build_filename (self->shadow_dir, "shadow.crt", NULL);
  self->key_path = g_build_filename (self->shadow_dir, "shadow.key", NULL);

  if (strlen (self->socket_path) >= sizeof ((struct sockaddr_un *) NULL)->sun_path)
    return start_error (error, "The socket path %s is too long", self->socket_path);
  if (g_mkdir (self->shadow_dir, 0700) < 0)
    return start_error (error, "Could not create %s: %s", self->shadow_dir, g_strerror (errno));
  return TRUE;
}

/* Signals, on the creating thread's main context. */

typedef struct
{
  RhRdpSharer *sharer;         /* strong */
  guint signal;
} Emission;

static gboolean
emit_in_main (gpointer user_data)
{
  Emission *e = user_data;

  g_signal_emit (e->sharer, signals[e->signal], 0);
  return G_SOURCE_REMOVE;
}

static void
emission_free (gpointer user_data)
{
  Emission *e = user_data;

  g_object_unref (e->sharer);
  g_free (e);
}

static void
link_emit (SharerLink *link,
           guint       signal)
{
  RhRdpSharer *sharer = g_weak_ref_get (&link->sharer);
  Emission *e;

  if (!sharer)
    return;
  e = g_new0 (Emission, 1);
  e->sharer = sharer;
  e->signal = signal;
  g_main_context_invoke_full (link->context, G_PRIORITY_DEFAULT, emit_in_main, e,
                              emission_free);
}

/* Replaces the shadow server's ENCOMSP handler, which lets a client grant itself control: only
 * the sharer (set_mode) decides. */
static UINT
on_control_level_request (EncomspServerContext                         *context,
                          ENCOMSP_CHANGE_PARTICIPANT_CONTROL_LEVEL_PDU *pdu)
{
  g_message ("Ignoring a viewer's request to change its control level (flags 0x%04x)",
             (guint) pdu->Flags);
  return CHANNEL_RC_OK;
}

/* The input gate: the X11 subsystem's input handlers are the only code that injects input into
 * the shared display (XTest), so they are wrapped and check our own mode, whatever FreeRDP's
 * flags say. FreeRDP checks client->mayInteract first, but a client can change its own flag:
 * the shadow server grants any ENCOMSP ChangeParticipantControlLevel request for "may interact"
 * (shadow_encomsp.c). Called on FreeRDP client threads. */
static gboolean
gate_allows (rdpShadowSubsystem *subsystem,
             rdpShadowClient    *client)
{
  SharerLink *link = subsystem->server->ext;

  /* Should the ENCOMSP channel appear after ClientConnect, take its handler over too. */
  if (client && client->encomsp &&
      client->encomsp->ChangeParticipantControlLevel != on_control_level_request)
    client->encomsp->ChangeParticipantControlLevel = on_control_level_request;
  /* An authentication prompt is private, whatever the mode. */
  if (g_atomic_int_get (&link->private_active) ||
      (link->builtin && rh_shadow_x11_is_masked (subsystem)))
    {
      if (g_atomic_int_compare_and_exchange (&link->private_logged, FALSE, TRUE))
        g_message ("Dropping the viewer's input: an authentication prompt is private");
      return FALSE;
    }
  if (g_atomic_int_get (&link->mode) == RH_RDP_MODE_CONTROL)
    return TRUE;
  if (g_atomic_int_compare_and_exchange (&link->drop_logged, FALSE, TRUE))
    g_message ("Dropping the viewer's input: viewers may only watch%s",
               client && client->mayInteract ? " (FreeRDP would have let it through)" : "");
  return FALSE;
}

static BOOL
gate_synchronize (rdpShadowSubsystem *subsystem,
                  rdpShadowClient    *client,
                  UINT32              flags)
{
  SharerLink *link = subsystem->server->ext;

  if (!gate_allows (subsystem, client))
    return TRUE;
  return link->chained_synchronize ? link->chained_synchronize (subsystem, client, flags) : TRUE;
}

static BOOL
gate_keyboard (rdpShadowSubsystem *subsystem,
               rdpShadowClient    *client,
               UINT16              flags,
               UINT16              code)
{
  SharerLink *link = subsystem->server->ext;

  if (!gate_allows (subsystem, client))
    return TRUE;
  return link->chained_keyboard ? link->chained_keyboard (subsystem, client, flags, code) : TRUE;
}

static BOOL
gate_unicode (rdpShadowSubsystem *subsystem,
              rdpShadowClient    *client,
              UINT16              flags,
              UINT16              code)
{
  SharerLink *link = subsystem->server->ext;

  if (!gate_allows (subsystem, client))
    return TRUE;
  return link->chained_unicode ? link->chained_unicode (subsystem, client, flags, code) : TRUE;
}

static BOOL
gate_mouse (rdpShadowSubsystem *subsystem,
            rdpShadowClient    *client,
            UINT16              flags,
            UINT16              x,
            UINT16              y)
{
  SharerLink *link = subsystem->server->ext;

  if (!gate_allows (subsystem, client))
    return TRUE;
  return link->chained_mouse ? link->chained_mouse (subsystem, client, flags, x, y) : TRUE;
}

static BOOL
gate_extended_mouse (rdpShadowSubsystem *subsystem,
                     rdpShadowClient    *client,
                     UINT16              flags,
                     UINT16              x,
                     UINT16              y)
{
  SharerLink *link = subsystem->server->ext;

  if (!gate_allows (subsystem, client))
    return TRUE;
  return link->chained_extended_mouse ?
         link->chained_extended_mouse (subsystem, client, flags, x, y) : TRUE;
}

/* A viewer's Suppress Output PDU (its window minimised, or a viewer trying to lift our
 * pause): with FreeRDP's capture, while anything is private, output stays suppressed. Called on
 * the client's thread. */
static BOOL
on_suppress_output (rdpContext         *context,
                    BYTE                allow,
                    const RECTANGLE_16 *area)
{
  rdpShadowClient *client = (rdpShadowClient *) context;
  SharerLink *link = client->server->ext;
  BOOL ok = TRUE;

  g_mutex_lock (&link->suppress_lock);
  if (!link->builtin && g_atomic_int_get (&link->private_active))
    client->suppressOutput = TRUE;
  else if (link->chained_suppress)
    ok = link->chained_suppress (context, allow, area);
  g_mutex_unlock (&link->suppress_lock);
  return ok;
}

/* FreeRDP's capture cannot mask: while anything is private, every viewer's output is
 * suppressed (the shadow server then only records what changed); afterwards each viewer gets a
 * full refresh. Main thread. */
static void
stock_apply_private (SharerLink      *link,
                     rdpShadowServer *server,
                     gboolean         private)
{
  rdpShadowSurface *surface = server->surface;

  /* While output was suppressed, FreeRDP's capture went on filling the surface, prompt
   * included. Blank it before any viewer may encode from it again: that capture compares the
   * screen with the surface, so its next grab finds everything changed and copies the screen
   * as it is now (the prompt gone) before it publishes. */
  if (!private && surface && surface->data)
    {
      EnterCriticalSection (&surface->lock);
      memset (surface->data, 0, (gsize) surface->scanline * surface->height);
      region16_clear (&surface->invalidRegion);
      LeaveCriticalSection (&surface->lock);
    }
  g_mutex_lock (&link->suppress_lock);
  ArrayList_Lock (server->clients);
  for (int i = 0; i < ArrayList_Count (server->clients); i++)
    {
      rdpShadowClient *client = ArrayList_GetItem (server->clients, i);

      if (private)
        client->suppressOutput = TRUE;
      else if (link->chained_suppress)
        link->chained_suppress (&client->context, 1, NULL);
      else
        client->suppressOutput = FALSE;
    }
  ArrayList_Unlock (server->clients);
  g_mutex_unlock (&link->suppress_lock);
}

/* Called on a FreeRDP client thread once the client is authenticated and active. */
static BOOL
on_client_connect (rdpShadowSubsystem *subsystem,
                   rdpShadowClient    *client)
{
  SharerLink *link = subsystem->server->ext;
  BOOL ok = TRUE;
  rdpUpdate *update = client->context.update;

  /* The shadow server installed its handler when the client's thread started; every client
   * has the same one. */
  g_mutex_lock (&link->suppress_lock);
  if (update && update->SuppressOutput != on_suppress_output)
    {
      if (!link->chained_suppress)
        link->chained_suppress = update->SuppressOutput;
      update->SuppressOutput = on_suppress_output;
    }
  if (!link->builtin && g_atomic_int_get (&link->private_active))
    client->suppressOutput = TRUE;
  g_mutex_unlock (&link->suppress_lock);

  /* FreeRDP starts ENCOMSP (if the client joined it) before this call; the gate below also
   * takes the handler over, should it appear later. */
  if (client->encomsp)
    client->encomsp->ChangeParticipantControlLevel = on_control_level_request;
  if (link->chained_connect)
    ok = link->chained_connect (subsystem, client);
  if (ok)
    {
      g_message ("A viewer connected");
      link_emit (link, SIGNAL_CLIENT_CONNECTED);
    }
  return ok;
}

static void
on_client_disconnect (rdpShadowSubsystem *subsystem,
                      rdpShadowClient    *client)
{
  SharerLink *link = subsystem->server->ext;

  if (link->chained_disconnect)
    link->chained_disconnect (subsystem, client);
  g_message ("A viewer disconnected");
  link_emit (link, SIGNAL_CLIENT_DISCONNECTED);
}

static void
remove_path (const char *path)
{
  if (path && g_remove (path) < 0 && errno != ENOENT)
    g_warning ("Could not remove %s: %s", path, g_strerror (errno));
}

/* Empties (one level) and removes a directory of ours. */
static void
remove_dir (const char *path)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (!path)
    return;
  dir = g_dir_open (path, 0, NULL);
  if (dir)
    while ((name = g_dir_read_name (dir)))
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        remove_path (child);
      }
  remove_path (path);
}

void
rh_rdp_sharer_stop (RhRdpSharer *self)
{
  g_return_if_fail (RH_IS_RDP_SHARER (self));

  if (self->server)
    {
      g_debug ("Stopping the RDP server");
      if (self->server_initialized)
        {
          shadow_server_stop (self->server);
          shadow_server_uninit (self->server);   /* also frees ConfigPath */
        }
      else
        {
          /* Never initialised, or init failed and undid itself (but may leave ConfigPath). */
          free (self->server->ConfigPath);
          self->server->ConfigPath = NULL;
        }
      self->server_initialized = FALSE;
      shadow_server_free (self->server);         /* frees ipcSocket and the settings */
      self->server = NULL;
    }
  if (self->link)
    {
      g_weak_ref_clear (&self->link->sharer);
      g_main_context_unref (self->link->context);
      g_mutex_clear (&self->link->suppress_lock);
      g_clear_pointer (&self->link, g_free);
    }

  remove_path (self->socket_path);
  remove_path (self->sam_path);
  remove_path (self->cert_path);
  remove_path (self->key_path);
  if (self->dir)
    {
      remove_dir (self->shadow_dir);
      remove_dir (self->dir);
    }

  g_clear_pointer (&self->dir, g_free);
  g_clear_pointer (&self->socket_path, g_free);
  g_clear_pointer (&self->sam_path, g_free);
  g_clear_pointer (&self->shadow_dir, g_free);
  g_clear_pointer (&self->cert_path, g_free);
  g_clear_pointer (&self->key_path, g_free);
  g_clear_pointer (&self->username, g_free);
  if (self->password)
    OPENSSL_cleanse (self->password, strlen (self->password));
  g_clear_pointer (&self->password, g_free);
  g_clear_pointer (&self->cert_sha256, g_bytes_unref);
}

static gboolean
check_display (RhRdpSharer *self,
               GError     **error)
{
  const char *name = self->display ? self->display : g_getenv ("DISPLAY");
  Display *display;

  if (!name || !*name)
    {
      g_set_error_literal (error, RH_RDP_ERROR, RH_ERROR_RDP_NO_DISPLAY,
                           "No X11 display to share: DISPLAY is not set");
      return FALSE;
    }
  display = XOpenDisplay (name);
  if (!display)
    {
      g_set_error (error, RH_RDP_ERROR, RH_ERROR_RDP_NO_DISPLAY,
                   "Could not open the X11 display %s", name);
      return FALSE;
    }
  XCloseDisplay (display);

  /* The X11 subsystem opens $DISPLAY; this is process-wide. */
  if (self->display)
    g_setenv ("DISPLAY", self->display, TRUE);
  return TRUE;
}

static gboolean
configure_server (RhRdpSharer *self,
                  GError     **error)
{
  rdpShadowServer *server = self->server;
  rdpSettings *settings = server->settings;

  if (!settings)
    return start_error (error, "FreeRDP could not create the server settings");

  /* A local socket path (anything not starting with "bind-address,"): no TCP listener. */
  server->ipcSocket = strdup (self->socket_path);
  /* Our directory: FreeRDP reads <ConfigPath>/shadow/shadow.{crt,key}, which we wrote. */
  server->ConfigPath = strdup (self->dir);
  if (!server->ipcSocket || !server->ConfigPath)
    return start_error (error, "Out of memory");

  server->mayView = TRUE;
  server->mayInteract = g_atomic_int_get (&self->mode) == RH_RDP_MODE_CONTROL;
  /* Never PAM (the subsystem's Authenticate with the sharer's account): NLA against the
   * one-time SAM file is the only authentication. */
  server->authentication = FALSE;

  if (!freerdp_settings_set_bool (settings, FreeRDP_RdpSecurity, FALSE) ||
      !freerdp_settings_set_bool (settings, FreeRDP_TlsSecurity, FALSE) ||
      !freerdp_settings_set_bool (settings, FreeRDP_NlaSecurity, TRUE) ||
      !freerdp_settings_set_bool (settings, FreeRDP_ExtSecurity, FALSE) ||
      !freerdp_settings_set_bool (settings, FreeRDP_UseRdpSecurityLayer, FALSE) ||
      !freerdp_settings_set_string (settings, FreeRDP_NtlmSamFile, self->sam_path))
    return start_error (error, "Could not apply the RDP security settings");
  return TRUE;
}

/* Creates and initialises the shadow server with one capture subsystem. FALSE without an
 * error when the subsystem's initialisation failed (nothing is left behind then). The entry
 * point is process-wide in FreeRDP, which is fine: servers are started one at a time on the
 * main thread. */
static gboolean
create_server (RhRdpSharer  *self,
               RhRdpCapture  capture,
               GError      **error)
{
  if (capture == RH_RDP_CAPTURE_BUILTIN)
    shadow_subsystem_set_entry (rh_shadow_x11_entry);
  else
    shadow_subsystem_set_entry_builtin ("X11");
  self->server = shadow_server_new ();
  if (!self->server)
    return start_error (error, "FreeRDP could not create the shadow server");
  if (!configure_server (self, error))
    return FALSE;
  self->server->ext = self->link;
  if (shadow_server_init (self->server) < 0)
    {
      /* init undid itself, except ConfigPath. */
      free (self->server->ConfigPath);
      self->server->ConfigPath = NULL;
      shadow_server_free (self->server);
      self->server = NULL;
      return FALSE;
    }
  self->capture_running = capture;
  return TRUE;
}

/* FreeRDP's X11 capture shares the first monitor it enumerates (all of the screen only when
 * the display has no monitors), chosen once at init: which of ours is it? */
static int
stock_monitor (RhRdpSharer *self)
{
  rdpShadowSubsystem *subsystem = self->server->subsystem;
  g_autoptr(GArray) monitors = rh_rdp_sharer_list_monitors (self, NULL);
  const MONITOR_DEF *shared;
  int index = RH_RDP_MONITOR_ALL;

  if (monitors == NULL || subsystem->numMonitors <= 0 || subsystem->selectedMonitor < 0 ||
      subsystem->selectedMonitor >= subsystem->numMonitors)
    return RH_RDP_MONITOR_ALL;
  shared = &subsystem->monitors[subsystem->selectedMonitor];
  for (guint i = 0; i < monitors->len; i++)
    {
      const RhRdpMonitor *m = &g_array_index (monitors, RhRdpMonitor, i);

      if (m->x == shared->left && m->y == shared->top && m->x + m->width == shared->right &&
          m->y + m->height == shared->bottom)
        index = (int) i;
    }
  /* One monitor covering the whole screen is "all". */
  if (monitors->len == 1)
    index = RH_RDP_MONITOR_ALL;
  if (self->monitor != index)
    g_message ("FreeRDP's screen capture shares %s%d", index < 0 ? "all monitors" : "monitor ",
               index + 1);
  return index;
}

gboolean
rh_rdp_sharer_start (RhRdpSharer *self,
                     GError     **error)
{
  rdpShadowSubsystem *subsystem;

  g_return_val_if_fail (RH_IS_RDP_SHARER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->server)
    return start_error (error, "Screen sharing is already running");

  init_x_threads ();
  /* Also loads OpenSSL 3's legacy provider, which winpr's MD4 (the NTLM hash) needs. */
  winpr_InitializeSSL (WINPR_SSL_INIT_DEFAULT);
  if (!check_display (self, error))
    return FALSE;

  if (!make_session_dir (self, error))
    goto fail;
  if (!(self->username = random_credential (error)) ||
      !(self->password = random_credential (error)))
    goto fail;
  if (!write_sam_file (self, error) || !write_certificate (self, error))
    goto fail;

  self->link = g_new0 (SharerLink, 1);
  g_mutex_init (&self->link->suppress_lock);
  g_atomic_int_set (&self->link->private_active, self->private_rects->len > 0);
  g_weak_ref_init (&self->link->sharer, self);
  self->link->context = g_main_context_ref (self->context);
  g_atomic_int_set (&self->link->mode, g_atomic_int_get (&self->mode));

  /* Read when the subsystem is created. */
  rh_shadow_x11_select_monitor (self->monitor);
  {
    g_autoptr (GError) local_error = NULL;

    if (!create_server (self, self->capture, &local_error) && !local_error &&
        self->capture == RH_RDP_CAPTURE_BUILTIN)
      {
        g_message ("Our screen capture cannot work on this display; using FreeRDP's");
        create_server (self, RH_RDP_CAPTURE_STOCK, &local_error);
      }
    if (local_error)
      {
        g_propagate_error (error, g_steal_pointer (&local_error));
        goto fail;
      }
  }
  if (!self->server)
    {
      start_error (error, "FreeRDP could not initialise the shadow server");
      goto fail;
    }
  self->server_initialized = TRUE;
  rh_shadow_x11_select_monitor (RH_RDP_MONITOR_ALL);
  if (self->capture_running == RH_RDP_CAPTURE_STOCK)
    self->monitor = stock_monitor (self);

  subsystem = self->server->subsystem;
  self->link->subsystem = subsystem;
  self->link->builtin = self->capture_running == RH_RDP_CAPTURE_BUILTIN;
  if (self->link->builtin)
    {
      /* Before the capture thread starts: a prompt already up is never captured. */
      rh_shadow_x11_set_notice (subsystem, self->notice);
      rh_shadow_x11_set_guard_classes (subsystem, (const char * const *) self->guarded_classes);
      apply_private_to_subsystem (self);
    }
  /* Belt and braces: with authentication off and NLA required, FreeRDP never calls the X11
   * subsystem's PAM Authenticate; without it, any path that would fails closed. */
  subsystem->Authenticate = NULL;
  self->link->chained_connect = subsystem->ClientConnect;
  self->link->chained_disconnect = subsystem->ClientDisconnect;
  subsystem->ClientConnect = on_client_connect;
  subsystem->ClientDisconnect = on_client_disconnect;
  /* Every input event the X11 subsystem would inject passes our gate first. */
  self->link->chained_synchronize = subsystem->SynchronizeEvent;
  self->link->chained_keyboard = subsystem->KeyboardEvent;
  self->link->chained_unicode = subsystem->UnicodeKeyboardEvent;
  self->link->chained_mouse = subsystem->MouseEvent;
  self->link->chained_extended_mouse = subsystem->ExtendedMouseEvent;
  subsystem->SynchronizeEvent = gate_synchronize;
  subsystem->KeyboardEvent = gate_keyboard;
  subsystem->UnicodeKeyboardEvent = gate_unicode;
  subsystem->MouseEvent = gate_mouse;
  subsystem->ExtendedMouseEvent = gate_extended_mouse;

  if (shadow_server_start (self->server) < 0)
    {
      start_error (error, "FreeRDP could not listen on %s", self->socket_path);
      goto fail;
    }
  if (!g_file_test (self->socket_path, G_FILE_TEST_EXISTS))
    {
      start_error (error, "FreeRDP did not create the socket %s", self->socket_path);
      goto fail;
    }

  g_message ("Sharing display %s on %s (%s, %s capture)", g_getenv ("DISPLAY"),
             self->socket_path, self->server->mayInteract ? "control" : "view only",
             self->capture_running == RH_RDP_CAPTURE_BUILTIN ? "our" : "FreeRDP's");
  return TRUE;

fail:
  rh_rdp_sharer_stop (self);
  return FALSE;
}

static void
apply_private_to_subsystem (RhRdpSharer *self)
{
  g_autofree int *xywh = g_new0 (int, 4 * MAX (self->private_rects->len, 1));

  for (guint i = 0; i < self->private_rects->len; i++)
    {
      const RhRdpRect *r = &g_array_index (self->private_rects, RhRdpRect, i);

      xywh[4 * i] = r->x;
      xywh[4 * i + 1] = r->y;
      xywh[4 * i + 2] = r->width;
      xywh[4 * i + 3] = r->height;
    }
  rh_shadow_x11_set_private (self->link->subsystem, xywh, self->private_rects->len);
}

void
rh_rdp_sharer_set_private_regions (RhRdpSharer     *self,
                                   const RhRdpRect *rects,
                                   guint            n)
{
  gboolean private;
  gboolean was_private;

  g_return_if_fail (RH_IS_RDP_SHARER (self));
  g_return_if_fail (n == 0 || rects != NULL);

  g_array_set_size (self->private_rects, 0);
  for (guint i = 0; i < n; i++)
    if (rects[i].width > 0 && rects[i].height > 0)
      g_array_append_val (self->private_rects, rects[i]);
  /* A region set with nothing in it is still a prompt somewhere: keep it private. */
  if (n > 0 && self->private_rects->len == 0)
    {
      RhRdpRect none = { 0, 0, 1, 1 };

      g_array_append_val (self->private_rects, none);
    }
  private = self->private_rects->len > 0;
  if (!self->link)
    return;

  /* Input first: from here on nothing reaches the display. */
  was_private = g_atomic_int_get (&self->link->private_active);
  g_atomic_int_set (&self->link->private_active, private);
  if (was_private != private)
    g_atomic_int_set (&self->link->private_logged, FALSE);
  if (!self->link->subsystem)
    return;
  if (self->link->builtin)
    apply_private_to_subsystem (self);
  else if (was_private != private)
    stock_apply_private (self->link, self->server, private);
  if (was_private != private)
    g_message ("%s", private ? "Screen sharing paused: an authentication prompt is private" :
               "Screen sharing resumed");
}

void
rh_rdp_sharer_set_guarded_classes (RhRdpSharer        *self,
                                   const char * const *classes)
{
  g_return_if_fail (RH_IS_RDP_SHARER (self));

  g_strfreev (self->guarded_classes);
  self->guarded_classes = classes && classes[0] ? g_strdupv ((char **) classes) : NULL;
  if (self->link && self->link->subsystem && self->link->builtin)
    rh_shadow_x11_set_guard_classes (self->link->subsystem,
                                     (const char * const *) self->guarded_classes);
}

void
rh_rdp_sharer_set_private_notice (RhRdpSharer *self,
                                  const char  *notice)
{
  g_return_if_fail (RH_IS_RDP_SHARER (self));

  g_free (self->notice);
  self->notice = g_strdup (notice);
  if (self->link && self->link->subsystem && self->link->builtin)
    rh_shadow_x11_set_notice (self->link->subsystem, self->notice);
}

gboolean
rh_rdp_sharer_is_private (RhRdpSharer *self)
{
  g_return_val_if_fail (RH_IS_RDP_SHARER (self), FALSE);

  if (self->private_rects->len > 0)
    return TRUE;
  return self->link && self->link->subsystem && self->link->builtin &&
         rh_shadow_x11_is_masked (self->link->subsystem);
}

const char *
rh_rdp_sharer_get_socket_path (RhRdpSharer *self)
{
  g_return_val_if_fail (RH_IS_RDP_SHARER (self), NULL);
  return self->socket_path;
}

const char *
rh_rdp_sharer_get_username (RhRdpSharer *self)
{
  g_return_val_if_fail (RH_IS_RDP_SHARER (self), NULL);
  return self->username;
}

const char *
rh_rdp_sharer_get_password (RhRdpSharer *self)
{
  g_return_val_if_fail (RH_IS_RDP_SHARER (self), NULL);
  return self->password;
}

GBytes *
rh_rdp_sharer_get_certificate_sha256 (RhRdpSharer *self)
{
  g_return_val_if_fail (RH_IS_RDP_SHARER (self), NULL);
  return self->cert_sha256 ? g_bytes_ref (self->cert_sha256) : NULL;
}

void
rh_rdp_sharer_set_mode (RhRdpSharer *self,
                        RhRdpMode    mode)
{
  rdpShadowServer *server;
  BOOL may_interact = mode == RH_RDP_MODE_CONTROL;

  g_return_if_fail (RH_IS_RDP_SHARER (self));
  g_return_if_fail (mode == RH_RDP_MODE_VIEW || mode == RH_RDP_MODE_CONTROL);

  g_atomic_int_set (&self->mode, mode);
  server = self->server;
  if (!server)
    return;

  /* Our gate first: from here on, nothing reaches the X11 subsystem in VIEW mode. */
  if (self->link)
    {
      g_atomic_int_set (&self->link->mode, mode);
      g_atomic_int_set (&self->link->drop_logged, FALSE);
    }

  /* New clients copy the server's flag; connected ones check their own for every event. */
  server->mayInteract = may_interact;
  if (server->clients)
    {
      ArrayList_Lock (server->clients);
      for (int i = 0; i < ArrayList_Count (server->clients); i++)
        {
          rdpShadowClient *client = ArrayList_GetItem (server->clients, i);

          client->mayInteract = may_interact;
        }
      ArrayList_Unlock (server->clients);
    }
  g_message ("Viewers may %s", may_interact ? "control the screen" : "only watch");
}

RhRdpMode
rh_rdp_sharer_get_mode (RhRdpSharer *self)
{
  g_return_val_if_fail (RH_IS_RDP_SHARER (self), RH_RDP_MODE_VIEW);
  return g_atomic_int_get (&self->mode);
}

void
rh_rdp_sharer_set_capture (RhRdpSharer  *self,
                           RhRdpCapture  capture)
{
  g_return_if_fail (RH_IS_RDP_SHARER (self));
  g_return_if_fail (capture == RH_RDP_CAPTURE_BUILTIN || capture == RH_RDP_CAPTURE_STOCK);
  self->capture = capture;
}

RhRdpCapture
rh_rdp_sharer_get_capture (RhRdpSharer *self)
{
  g_return_val_if_fail (RH_IS_RDP_SHARER (self), RH_RDP_CAPTURE_STOCK);
  return self->server ? self->capture_running : self->capture;
}

gboolean
rh_rdp_capture_from_string (const char   *name,
                            RhRdpCapture *capture)
{
  if (g_strcmp0 (name, "builtin") == 0)
    *capture = RH_RDP_CAPTURE_BUILTIN;
  else if (g_strcmp0 (name, "stock") == 0)
    *capture = RH_RDP_CAPTURE_STOCK;
  else
    return FALSE;
  return TRUE;
}

GArray *
rh_rdp_sharer_list_monitors (RhRdpSharer  *self,
                             GError      **error)
{
  const char *name;
  GArray *monitors;

  g_return_val_if_fail (RH_IS_RDP_SHARER (self), NULL);

  init_x_threads ();
  name = self->display ? self->display : g_getenv ("DISPLAY");
  monitors = name && *name ? rh_shadow_x11_list_monitors (name) : NULL;
  if (monitors == NULL)
    g_set_error (error, RH_RDP_ERROR, RH_ERROR_MONITOR_LIST,
                 "Could not open the X11 display %s to list its monitors",
                 name ? name : "(none)");
  return monitors;
}

gboolean
rh_rdp_sharer_select_monitor (RhRdpSharer  *self,
                              int           index,
                              GError      **error)
{
  g_autoptr(GArray) monitors = NULL;

  g_return_val_if_fail (RH_IS_RDP_SHARER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (index < RH_RDP_MONITOR_ALL)
    {
      g_set_error (error, RH_RDP_ERROR, RH_ERROR_MONITOR_INVALID, "No monitor %d", index);
      return FALSE;
    }
  if (index != RH_RDP_MONITOR_ALL)
    {
      monitors = rh_rdp_sharer_list_monitors (self, error);
      if (monitors == NULL)
        return FALSE;
      if ((guint) index >= monitors->len)
        {
          g_set_error (error, RH_RDP_ERROR, RH_ERROR_MONITOR_INVALID,
                       "No monitor %d: the display has %u", index + 1, monitors->len);
          return FALSE;
        }
    }
  if (self->server && self->capture_running == RH_RDP_CAPTURE_STOCK && index != self->monitor)
    {
      g_set_error_literal (error, RH_RDP_ERROR, RH_ERROR_MONITOR_UNSUPPORTED,
                           "FreeRDP's screen capture cannot change what it shares");
      return FALSE;
    }
  if (self->server && index != self->monitor &&
      !rh_shadow_x11_switch_monitor (self->server->subsystem, index))
    {
      g_set_error_literal (error, RH_RDP_ERROR, RH_ERROR_INTERNAL,
                           "Could not reach the screen capture");
      return FALSE;
    }
  self->monitor = index;
  return TRUE;
}

int
rh_rdp_sharer_get_monitor (RhRdpSharer *self)
{
  g_return_val_if_fail (RH_IS_RDP_SHARER (self), RH_RDP_MONITOR_ALL);
  return self->monitor;
}

static void
rh_rdp_sharer_dispose (GObject *object)
{
  RhRdpSharer *self = RH_RDP_SHARER (object);

  rh_rdp_sharer_stop (self);
  G_OBJECT_CLASS (rh_rdp_sharer_parent_class)->dispose (object);
}

static void
rh_rdp_sharer_finalize (GObject *object)
{
  RhRdpSharer *self = RH_RDP_SHARER (object);

  g_clear_pointer (&self->display, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->private_rects, g_array_unref);
  g_clear_pointer (&self->guarded_classes, g_strfreev);
  g_clear_pointer (&self->notice, g_free);
  G_OBJECT_CLASS (rh_rdp_sharer_parent_class)->finalize (object);
}

static void
rh_rdp_sharer_class_init (RhRdpSharerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rh_rdp_sharer_dispose;
  object_class->finalize = rh_rdp_sharer_finalize;

  signals[SIGNAL_CLIENT_CONNECTED] =
    g_signal_new ("client-connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_CLIENT_DISCONNECTED] =
    g_signal_new ("client-disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
rh_rdp_sharer_init (RhRdpSharer *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->private_rects = g_array_new (FALSE, FALSE, sizeof (RhRdpRect));
  self->monitor = RH_RDP_MONITOR_ALL;
}

RhRdpSharer *
rh_rdp_sharer_new (const char *display,
                   RhRdpMode   mode)
{
  RhRdpSharer *self;

  g_return_val_if_fail (mode == RH_RDP_MODE_VIEW || mode == RH_RDP_MODE_CONTROL, NULL);

  self = g_object_new (RH_TYPE_RDP_SHARER, NULL);
  self->display = g_strdup (display);
  self->mode = mode;
  return self;
}
