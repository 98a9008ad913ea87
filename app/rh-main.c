/* rh-main.c: remote-help, the app for helpers and sharers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-app"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <X11/Xlib.h>

#include "rh-config.h"
#include "rh-direct-link.h"
#include "rh-error.h"
#include "rh-headless.h"
#include "rh-log.h"
#include "rh-monitor-list.h"
#include "rh-terms.h"
#include "rh-ui.h"

static gboolean
read_password (const char  *path,
               char       **out,
               GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  char *nl;

  if (path == NULL)
    {
      g_set_error_literal (error, RH_CONFIG_ERROR, RH_ERROR_PASSWORD_FILE,
                           _("No password given: use --password-file FILE (or - for standard "
                             "input)"));
      return FALSE;
    }
  if (g_str_equal (path, "-"))
    {
      char buf[1100];

      if (fgets (buf, sizeof buf, stdin) == NULL)
        buf[0] = '\0';
      contents = g_strdup (buf);
      explicit_bzero (buf, sizeof buf);
    }
  else if (!g_file_get_contents (path, &contents, NULL, &local_error))
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_PASSWORD_FILE, "%s", local_error->message);
      return FALSE;
    }
  if ((nl = strpbrk (contents, "\r\n")) != NULL)
    *nl = '\0';
  if (*contents == '\0')
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_PASSWORD_FILE,
                   _("The password file %s is empty"), path);
      return FALSE;
    }
  *out = g_steal_pointer (&contents);
  return TRUE;
}

/* accept-terms --headless [--yes]: shows the terms; records acceptance only when told so. */
static int
accept_terms (gboolean yes)
{
  g_autoptr(GError) error = NULL;

  g_print ("%s\n", rh_terms_text ());
  if (!yes)
    {
      g_printerr (_("Nothing was recorded. To accept these terms, run: "
                    "remote-help accept-terms --headless --yes\n"));
      return 1;
    }
  if (!rh_terms_accept (&error))
    {
      rh_print_error ("remote-help", error);
      return 1;
    }
  g_print ("terms-accepted: %d\n", RH_TERMS_VERSION);
  return 0;
}

static int
usage_error (GOptionContext *context,
             const char     *message)
{
  g_autoptr(GError) error = g_error_new_literal (RH_CONFIG_ERROR, RH_ERROR_USAGE, message);
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  rh_print_error ("remote-help", error);
  g_printerr ("\n%s", help);
  return 2;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhConfig) config = NULL;
  g_autofree char *password = NULL;
  g_autofree char *server = NULL;
  g_autofree char *server_fp = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *org_key = NULL;
  g_autofree char *user = NULL;
  g_autofree char *password_file = NULL;
  gboolean headless = FALSE;
  gboolean verbose = FALSE;
  gboolean version = FALSE;
  gboolean yes = FALSE;
  int timeout = 0;
  g_autofree char *mode = NULL;
  g_autofree char *allow = NULL;
  g_autofree char *snapshot = NULL;
  g_autofree char *type_text = NULL;
  g_autofree char *click = NULL;
  g_autofree char *display = NULL;
  g_autofree char *path = NULL;
  g_autofree char *direct = NULL;
  g_autofree char *chat = NULL;
  g_autofree char *laser = NULL;
  g_autofree char *elevate = NULL;
  g_autofree char *monitor = NULL;
  gboolean allow_elevation = FALSE;
  int duration = 0;
  RhHeadlessOptions options = { 0 };
  const char *command;
  int status;
  GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless, N_("Run without windows, for scripts and tests"), NULL },
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, N_("Service address (wss://HOST:PORT/)"), "URL" },
    { "server-fingerprint", 0, 0, G_OPTION_ARG_STRING, &server_fp, N_("SHA-256 fingerprint of the service's certificate"), "SHA256" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, N_("Verify the service with this CA certificate"), "FILE" },
    { "org-key", 0, 0, G_OPTION_ARG_STRING, &org_key, N_("Fingerprint of the organisation key"), "SHA256" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, N_("Sign in as this user"), "LOGIN" },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, N_("Read the password from FILE (- for standard input)"), "FILE" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, N_("get-help: give up pairing after SECONDS"), "SECONDS" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode, N_("give-help: ask to see the screen (view) or to control it (control)"), "view|control" },
    { "snapshot", 0, 0, G_OPTION_ARG_FILENAME, &snapshot, N_("give-help: save the first full frame as PNG"), "FILE" },
    { "duration", 0, 0, G_OPTION_ARG_INT, &duration, N_("give-help: stay this long after the first frame"), "SECONDS" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &type_text, N_("give-help: type this text (control only)"), "TEXT" },
    { "click", 0, 0, G_OPTION_ARG_STRING, &click, N_("give-help: click at this position (control only)"), "X,Y" },
    { "allow", 0, 0, G_OPTION_ARG_STRING, &allow, N_("get-help: your answer to the helper's request"), "view|control|deny" },
    { "path", 0, 0, G_OPTION_ARG_STRING, &path, N_("give-help: how the screen travels: auto (direct if possible, else relay), relay or direct"), "auto|relay|direct" },
    { "direct", 0, 0, G_OPTION_ARG_STRING, &direct, N_("get-help: addresses offered for a direct connection: all, loopback (tests on one machine) or off"), "all|loopback|off" },
    { "laser", 0, 0, G_OPTION_ARG_STRING, &laser, N_("give-help: point the laser at this spot (fractions of the screen) before the snapshot"), "X,Y" },
    { "monitor", 0, 0, G_OPTION_ARG_STRING, &monitor, N_("give-help: share only this monitor of the sharer's (1 is the leftmost), or all, before the snapshot"), "N|all" },
    { "elevate", 0, 0, G_OPTION_ARG_STRING, &elevate, N_("give-help: ask for administrator access after the first frame, then start this tool of the sharer's menu (control only)"), "TOOL" },
    { "allow-elevation", 0, 0, G_OPTION_ARG_NONE, &allow_elevation, N_("get-help: allow administrator access when the helper asks (otherwise it is refused)"), NULL },
    { "chat", 0, 0, G_OPTION_ARG_STRING, &chat, N_("Send this chat message once the screen is shared (with --mode or --allow)"), "TEXT" },
    { "display", 0, 0, G_OPTION_ARG_STRING, &display, N_("get-help: the X11 display to share (default $DISPLAY)"), ":N" },
    { "yes", 0, 0, G_OPTION_ARG_NONE, &yes, N_("accept-terms: accept the terms shown"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Log more"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version"), NULL },
    { NULL }
  };

  /* FreeRDP's threads and ours share Xlib. */
  XInitThreads ();
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Without --headless this is the desktop app, which parses its own command line. */
  if (!g_strv_contains ((const char *const *) argv, "--headless"))
    return rh_ui_run (argc, argv);

  context = g_option_context_new (_("give-help | get-help CODE | accept-terms"));
  g_option_context_set_summary (context,
                                _("Remote Help: get help from your IT support, or give it.\n\n"
                                  "  give-help         get a security code and wait for the person you help\n"
                                  "  get-help CODE     connect to the helper who read you CODE\n"
                                  "  accept-terms      read the terms of use and accept them (with --yes)"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (context, error->message);
  if (version)
    {
      g_print ("remote-help %s\n", PACKAGE_VERSION);
      return 0;
    }
  rh_log_init ("remote-help", verbose);
  /* FreeRDP's own log goes to stdout, where scripts read our "key: value" lines; its failures
   * reach the user as RH- errors anyway. */
  g_setenv ("WLOG_LEVEL", verbose ? "WARN" : "OFF", FALSE);

  if (argc < 2)
    return usage_error (context, _("Say give-help or get-help"));
  command = argv[1];
  if (g_str_equal (command, "accept-terms"))
    {
      if (argc != 2)
        return usage_error (context, _("accept-terms takes no arguments"));
      return accept_terms (yes);
    }
  if (yes)
    return usage_error (context, _("--yes is for accept-terms"));
  if (!g_str_equal (command, "give-help") && !g_str_equal (command, "get-help"))
    return usage_error (context, _("Unknown command; say give-help or get-help"));
  if (g_str_equal (command, "get-help") ? argc != 3 : argc != 2)
    return usage_error (context, g_str_equal (command, "get-help")
                                 ? _("get-help takes the security code the helper read to you")
                                 : _("give-help takes no arguments"));

  config = rh_config_load (&error);
  if (config == NULL ||
      (server && !rh_config_set_server (config, server, &error)) ||
      (server_fp && !rh_config_set_server_fingerprint (config, server_fp, &error)) ||
      (org_key && !rh_config_set_org_key (config, org_key, &error)))
    {
      rh_print_error ("remote-help", error);
      return 1;
    }
  if (ca_file)
    {
      g_free (config->ca_file);
      config->ca_file = g_strdup (ca_file);
    }
  if (user == NULL)
    return usage_error (context, _("Say who signs in with --user LOGIN"));
  if (!read_password (password_file, &password, &error))
    {
      rh_print_error ("remote-help", error);
      return 1;
    }

  if (mode != NULL)
    {
      if (!g_str_equal (command, "give-help"))
        return usage_error (context, _("--mode is for give-help"));
      if (!g_str_equal (mode, "view") && !g_str_equal (mode, "control"))
        return usage_error (context, _("--mode takes view or control"));
      options.with_session = TRUE;
      options.session.requested_mode = g_str_equal (mode, "control") ? RH_RDP_MODE_CONTROL
                                                                     : RH_RDP_MODE_VIEW;
      options.session.snapshot_path = snapshot;
      options.session.duration_s = duration > 0 ? (guint) duration : 0;
      options.session.type_text = type_text;
      if (path == NULL || g_str_equal (path, "auto"))
        options.session.path = RH_SESSION_PATH_AUTO;
      else if (g_str_equal (path, "relay"))
        options.session.path = RH_SESSION_PATH_RELAY;
      else if (g_str_equal (path, "direct"))
        options.session.path = RH_SESSION_PATH_DIRECT;
      else
        return usage_error (context, _("--path takes auto, relay or direct"));
      if (laser != NULL)
        {
          char *end = NULL;
          double x = g_ascii_strtod (laser, &end), y = -1;

          if (end != NULL && *end == ',')
            y = g_ascii_strtod (end + 1, &end);
          if (end == NULL || *end != '\0' || !(x >= 0 && x <= 1) || !(y >= 0 && y <= 1))
            return usage_error (context, _("--laser takes X,Y as fractions of the screen, "
                                           "from 0 to 1"));
          options.session.laser = TRUE;
          options.session.laser_x = x;
          options.session.laser_y = y;
        }
      if (monitor != NULL)
        {
          if (!rh_monitor_parse_choice (monitor, &options.session.monitor))
            return usage_error (context, _("--monitor takes a monitor number (1 is the leftmost) "
                                           "or all"));
          options.session.select_monitor = TRUE;
        }
      if (elevate != NULL)
        {
          if (options.session.requested_mode != RH_RDP_MODE_CONTROL)
            return usage_error (context, _("--elevate needs --mode control"));
          options.session.elevated_tool = elevate;
        }
      if (click != NULL)
        {
          if (sscanf (click, "%d,%d", &options.session.click_x, &options.session.click_y) != 2 ||
              options.session.click_x < 0 || options.session.click_y < 0)
            return usage_error (context, _("--click takes X,Y in pixels"));
          options.session.click = TRUE;
        }
    }
  else if (snapshot || duration || type_text || click || path || laser || elevate || monitor)
    return usage_error (context, _("--snapshot, --duration, --type, --click, --laser, "
                                   "--elevate and --monitor need --mode"));
  if (allow != NULL)
    {
      if (!g_str_equal (command, "get-help"))
        return usage_error (context, _("--allow is for get-help"));
      if (g_str_equal (allow, "view"))
        options.session.allow = RH_SESSION_ALLOW_VIEW;
      else if (g_str_equal (allow, "control"))
        options.session.allow = RH_SESSION_ALLOW_CONTROL;
      else if (g_str_equal (allow, "deny"))
        options.session.allow = RH_SESSION_ALLOW_DENY;
      else
        return usage_error (context, _("--allow takes view, control or deny"));
      options.with_session = TRUE;
      options.session.display = display;
      /* Never by default, even headless: the flag is the person's explicit yes. */
      options.session.elevation = allow_elevation ? RH_SESSION_ELEVATION_ALLOW
                                                  : RH_SESSION_ELEVATION_DENY;
      if (direct == NULL || g_str_equal (direct, "all"))
        options.session.direct_addresses = RH_DIRECT_ADDRESSES_ALL;
      else if (g_str_equal (direct, "loopback"))
        options.session.direct_addresses = RH_DIRECT_ADDRESSES_LOOPBACK;
      else if (g_str_equal (direct, "off"))
        options.session.direct_addresses = RH_DIRECT_ADDRESSES_OFF;
      else
        return usage_error (context, _("--direct takes all, loopback or off"));
    }
  else if (direct || display || allow_elevation)
    return usage_error (context, _("--direct, --display and --allow-elevation need --allow"));
  if (chat != NULL && !options.with_session)
    return usage_error (context, _("--chat needs --mode or --allow"));
  options.chat_text = chat;

  /* Nothing connects anywhere before the terms were accepted, by the user or by policy. */
  if (!rh_terms_check (config, &error))
    {
      rh_print_error ("remote-help", error);
      explicit_bzero (password, strlen (password));
      return 1;
    }

  options.config = config;
  options.login = user;
  options.password = password;
  options.timeout_s = timeout > 0 ? (guint) timeout : 0;
  if (g_str_equal (command, "give-help"))
    status = rh_headless_give_help (&options);
  else
    {
      options.code = argv[2];
      status = rh_headless_get_help (&options);
    }
  explicit_bzero (password, strlen (password));
  return status;
}
