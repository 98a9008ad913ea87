/* rh-server-main.c: remote-help-server, the rendezvous service and its admin commands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-server"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-log.h"
#include "rh-org-key.h"
#include "rh-rendezvous-server.h"
#include "rh-server-admin.h"
#include "rh-store.h"
#include "rh-tls-cert.h"

#define PROGRAM "remote-help-server"

#define EXIT_ERROR 1
#define EXIT_USAGE 2

typedef struct
{
  char     *data_dir;
  char     *listen;
  char     *tls_cert;
  char     *tls_key;
  char     *code_lifetime;
  char     *token_lifetime;
  char     *auth_timeout;
  char     *console_dir;
  gboolean  verbose;
} ServerArgs;

static void
server_args_clear (ServerArgs *args)
{
  g_clear_pointer (&args->data_dir, g_free);
  g_clear_pointer (&args->listen, g_free);
  g_clear_pointer (&args->tls_cert, g_free);
  g_clear_pointer (&args->tls_key, g_free);
  g_clear_pointer (&args->code_lifetime, g_free);
  g_clear_pointer (&args->token_lifetime, g_free);
  g_clear_pointer (&args->auth_timeout, g_free);
  g_clear_pointer (&args->console_dir, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ServerArgs, server_args_clear)

/* "ADDR:PORT" with a numeric IPv4 address, or "[ADDR]:PORT" with an IPv6 one; port 0 asks
 * for any free port. */
static gboolean
parse_listen (const char  *text,
              char       **out_address,
              int         *out_port,
              GError     **error)
{
  g_autofree char *address = NULL;
  const char *port_text = NULL;
  guint64 port;

  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');

      if (close != NULL && close[1] == ':')
        {
          address = g_strndup (text + 1, close - text - 1);
          port_text = close + 2;
          if (strchr (address, ':') == NULL)
            g_clear_pointer (&address, g_free);
        }
    }
  else
    {
      const char *colon = strrchr (text, ':');

      if (colon != NULL)
        {
          address = g_strndup (text, colon - text);
          port_text = colon + 1;
          /* An IPv6 address needs brackets, or its last group would be taken as the port. */
          if (strchr (address, ':') != NULL)
            g_clear_pointer (&address, g_free);
        }
    }

  if (address == NULL || !g_hostname_is_ip_address (address) ||
      !g_ascii_string_to_unsigned (port_text, 10, 0, 65535, &port, NULL))
    {
      g_autofree char *shown = g_utf8_make_valid (text, -1);

      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_USAGE,
                   _("--listen “%s” is not ADDRESS:PORT with a numeric address and a port "
                     "from 0 to 65535 (for example 127.0.0.1:8443, 0.0.0.0:8443 or "
                     "[::1]:8443)"),
                   shown);
      return FALSE;
    }

  *out_address = g_steal_pointer (&address);
  *out_port = (int) port;
  return TRUE;
}

static gboolean
parse_seconds (const char  *option,
               const char  *text,
               guint        min,
               guint        max,
               guint       *out,
               GError     **error)
{
  guint64 value;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, min, max, &value, NULL))
    {
      g_autofree char *shown = g_utf8_make_valid (text, -1);

      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_USAGE,
                   _("%s “%s” is not a number of seconds from %u to %u"), option, shown, min,
                   max);
      return FALSE;
    }
  *out = (guint) value;
  return TRUE;
}

static int
fail (const GError *error)
{
  rh_print_error (PROGRAM, error);
  return g_error_matches (error, RH_CONFIG_ERROR, RH_ERROR_USAGE) ? EXIT_USAGE : EXIT_ERROR;
}

static int
run_server (const ServerArgs *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autoptr(RhOrgKey) org_key = NULL;
  g_autoptr(RhRendezvousServer) server = NULL;
  g_autofree char *address = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *url = NULL;
  g_autofree char *tls_text = NULL;
  g_autofree char *org_text = NULL;
  guint8 tls_fingerprint[RH_FINGERPRINT_LEN];
  guint8 org_fingerprint[RH_FINGERPRINT_LEN];
  RhRendezvousServerOptions options;
  int port = 8443;

  rh_rendezvous_server_options_init (&options);

  /* The whole command line is checked before anything is created. */
  if (args->listen != NULL && !parse_listen (args->listen, &address, &port, &error))
    return fail (error);
  if (!parse_seconds ("--code-lifetime", args->code_lifetime, 1, 86400,
                      &options.code_lifetime, &error) ||
      !parse_seconds ("--token-lifetime", args->token_lifetime, 60, 30 * 86400,
                      &options.token_lifetime, &error) ||
      !parse_seconds ("--auth-timeout", args->auth_timeout, 1, 3600,
                      &options.auth_timeout, &error))
    return fail (error);
  if ((args->tls_cert == NULL) != (args->tls_key == NULL))
    {
      g_set_error_literal (&error, RH_CONFIG_ERROR, RH_ERROR_USAGE,
                           _("--tls-cert and --tls-key must be given together"));
      return fail (error);
    }

  if (!rh_server_data_dir_prepare (args->data_dir, &error))
    return fail (error);
  store = rh_server_open_store (args->data_dir, &error);
  if (store == NULL)
    return fail (error);
  org_key = rh_server_open_org_key (args->data_dir, &error);
  if (org_key == NULL)
    return fail (error);

  if (args->tls_cert != NULL)
    {
      g_autoptr(GError) local_error = NULL;

      cert_path = g_strdup (args->tls_cert);
      key_path = g_strdup (args->tls_key);
      if (!rh_tls_cert_fingerprint (cert_path, tls_fingerprint, &local_error))
        {
          g_set_error (&error, RH_CONFIG_ERROR, RH_ERROR_CONFIG_INVALID,
                       _("Cannot use the certificate given with --tls-cert: %s"),
                       local_error->message);
          return fail (error);
        }
    }
  else if (!rh_server_ensure_tls_cert (args->data_dir, &cert_path, &key_path, &error) ||
           !rh_tls_cert_fingerprint (cert_path, tls_fingerprint, &error))
    return fail (error);

  if (address != NULL)
    options.address = address;
  options.port = port;
  options.tls_cert = cert_path;
  options.tls_key = key_path;
  /* The admin console: --console-dir, else RH_CONSOLE_DIR (tests, a source tree), else the
   * installed files. */
  options.console_dir = args->console_dir;
  if (options.console_dir == NULL)
    options.console_dir = g_getenv ("RH_CONSOLE_DIR");
  if (options.console_dir == NULL)
    options.console_dir = CONSOLE_DIR;
  if (!g_file_test (options.console_dir, G_FILE_TEST_IS_DIR))
    g_warning ("RH-%04d: the admin console files are missing (%s); the console will not work",
               RH_ERROR_CONSOLE_ASSETS, options.console_dir);

  server = rh_rendezvous_server_new (store, org_key, &options, &error);
  if (server == NULL)
    return fail (error);

  if (strchr (options.address, ':') != NULL)
    url = g_strdup_printf ("wss://[%s]:%d/", options.address,
                           rh_rendezvous_server_get_port (server));
  else
    url = g_strdup_printf ("wss://%s:%d/", options.address,
                           rh_rendezvous_server_get_port (server));
  tls_text = rh_fingerprint_format (tls_fingerprint);
  rh_org_key_get_fingerprint (org_key, org_fingerprint);
  org_text = rh_fingerprint_format (org_fingerprint);

  /* Parsed by scripts and tests: not translated. */
  printf ("listening: %s\n", url);
  printf ("tls-fingerprint: %s\n", tls_text);
  printf ("org-key: %s\n", org_text);
  printf ("console: https%s\n", url + strlen ("wss"));
  fflush (stdout);
  g_message ("Remote Help server listening on %s (TLS certificate %s, organisation key %s)",
             url, tls_text, org_text);

  if (!rh_rendezvous_server_run (server, &error))
    return fail (error);

  g_message ("Remote Help server stopped");
  return 0;
}

int
main (int    argc,
      char **argv)
{
  g_auto(ServerArgs) args = { 0 };
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &args.data_dir,
      N_("Directory with the database and keys (required; created with mode 0700)"),
      N_("DIR") },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &args.listen,
      N_("Numeric address and port to listen on (default 127.0.0.1:8443; [::1]:PORT for "
         "IPv6; port 0 picks a free port)"),
      N_("ADDR:PORT") },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &args.tls_cert,
      N_("TLS certificate (PEM) instead of the generated one; needs --tls-key"), N_("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &args.tls_key,
      N_("Private key (PEM) of --tls-cert"), N_("FILE") },
    { "code-lifetime", 0, 0, G_OPTION_ARG_STRING, &args.code_lifetime,
      N_("Seconds a security code stays valid unused (default 600, 1-86400; short values "
         "are useful for tests)"),
      N_("SECONDS") },
    { "token-lifetime", 0, 0, G_OPTION_ARG_STRING, &args.token_lifetime,
      N_("Seconds a helper's sign-in lasts (default 43200, 60-2592000)"), N_("SECONDS") },
    { "auth-timeout", 0, 0, G_OPTION_ARG_STRING, &args.auth_timeout,
      N_("Seconds a connection may stay without signing in or pairing (default 30, 1-3600)"),
      N_("SECONDS") },
    { "console-dir", 0, 0, G_OPTION_ARG_FILENAME, &args.console_dir,
      N_("Directory with the admin web console's files (default: the installed ones)"),
      N_("DIR") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &args.verbose,
      N_("Log informational and debug messages"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv_copy = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname (PROGRAM);
  rh_log_init (PROGRAM, FALSE);

  context = g_option_context_new (_("[admin COMMAND…]"));
  g_option_context_set_summary (context,
                                _("Runs the Remote Help rendezvous service, or with “admin”, "
                                  "manages its accounts and settings."));
  g_option_context_set_description (context,
                                    _("On start-up the server prints “listening:”, "
                                      "“tls-fingerprint:” and “org-key:” lines.\n"
                                      "Run “remote-help-server --data-dir DIR admin help” "
                                      "for the admin commands."));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  /* Options stop at "admin": what follows belongs to the admin command. */
  g_option_context_set_strict_posix (context, TRUE);

  argv_copy = g_strdupv (argv);
  if (!g_option_context_parse_strv (context, &argv_copy, &error))
    {
      g_autoptr(GError) usage = g_error_new_literal (RH_CONFIG_ERROR, RH_ERROR_USAGE,
                                                     error->message);
      return fail (usage);
    }
  rh_log_init (PROGRAM, args.verbose);

  if (args.data_dir == NULL)
    {
      g_set_error_literal (&error, RH_CONFIG_ERROR, RH_ERROR_USAGE,
                           _("--data-dir is required"));
      return fail (error);
    }

  if (argv_copy[1] != NULL && strcmp (argv_copy[1], "admin") == 0)
    return rh_server_admin_run (args.data_dir, (int) g_strv_length (argv_copy) - 1,
                                argv_copy + 1);
  if (argv_copy[1] != NULL)
    {
      g_autofree char *shown = g_utf8_make_valid (argv_copy[1], -1);

      g_set_error (&error, RH_CONFIG_ERROR, RH_ERROR_USAGE,
                   _("Unexpected argument “%s” (the only command is “admin”)"), shown);
      return fail (error);
    }

  return run_server (&args);
}
