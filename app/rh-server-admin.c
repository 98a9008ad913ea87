/* rh-server-admin.c: the server's data directory and the `admin` commands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-server"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "rh-admin.h"
#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-identity-card.h"
#include "rh-log.h"
#include "rh-password.h"
#include "rh-server-admin.h"
#include "rh-settings.h"
#include "rh-store-sqlite.h"
#include "rh-tls-cert.h"

#define LOGIN_MAX_LEN     64
#define FIELD_MAX_CHARS   128
/* Identity cards carry each field in at most 256 bytes (rh-identity-card.c). */
#define FIELD_MAX_BYTES   256
#define PASSWORD_MIN_LEN  8
#define PASSWORD_MAX_LEN  1024

/* The data directory */

gboolean
rh_server_data_dir_prepare (const char  *data_dir,
                            GError     **error)
{
  GStatBuf st;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_stat (data_dir, &st) != 0)
    {
      int saved_errno = errno;

      if (saved_errno != ENOENT)
        {
          g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_DATA_DIR,
                       _("Cannot use the data directory %s: %s"), data_dir,
                       g_strerror (saved_errno));
          return FALSE;
        }
      if (g_mkdir_with_parents (data_dir, 0700) != 0 || g_chmod (data_dir, 0700) != 0)
        {
          saved_errno = errno;
          g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_DATA_DIR,
                       _("Cannot create the data directory %s: %s"), data_dir,
                       g_strerror (saved_errno));
          return FALSE;
        }
      g_message ("Created the data directory %s", data_dir);
      return TRUE;
    }

  if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_DATA_DIR,
                   _("The data directory %s is not a directory"), data_dir);
      return FALSE;
    }
  /* It holds the organisation's signing key and the TLS key: fail closed. */
  if ((st.st_mode & 077) != 0)
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_DATA_DIR,
                   _("The data directory %s can be accessed by other users (mode %04o); "
                     "run “chmod 700 %s” first"),
                   data_dir, (unsigned) (st.st_mode & 07777), data_dir);
      return FALSE;
    }
  return TRUE;
}

RhStore *
rh_server_open_store (const char  *data_dir,
                      GError     **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);

  path = g_build_filename (data_dir, RH_SERVER_DB_FILE, NULL);
  return rh_store_sqlite_new (path, error);
}

RhOrgKey *
rh_server_open_org_key (const char  *data_dir,
                        GError     **error)
{
  g_autofree char *path = NULL;
  g_autoptr(RhOrgKey) key = NULL;
  GStatBuf st;

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  path = g_build_filename (data_dir, RH_SERVER_ORG_KEY_FILE, NULL);
  /* Only a missing file means "first start"; anything else must not replace the key that
   * every client pins. */
  if (g_lstat (path, &st) == 0 || errno != ENOENT)
    return rh_org_key_load (path, error);

  key = rh_org_key_generate (error);
  if (key == NULL || !rh_org_key_save (key, path, error))
    return NULL;
  g_message ("Generated a new organisation key in %s", path);
  return g_steal_pointer (&key);
}

gboolean
rh_server_ensure_tls_cert (const char  *data_dir,
                           char       **out_cert_path,
                           char       **out_key_path,
                           GError     **error)
{
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  gboolean have_cert, have_key;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  cert = g_build_filename (data_dir, RH_SERVER_TLS_CERT_FILE, NULL);
  key = g_build_filename (data_dir, RH_SERVER_TLS_KEY_FILE, NULL);
  have_cert = g_file_test (cert, G_FILE_TEST_EXISTS);
  have_key = g_file_test (key, G_FILE_TEST_EXISTS);

  if (have_cert != have_key)
    {
      /* Generating a new pair would silently change the fingerprint clients pin. */
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_DATA_DIR,
                   _("Only one of %s and %s exists; restore the other from a backup, or remove "
                     "it to generate a new certificate (clients must then be given the new "
                     "fingerprint)"),
                   cert, key);
      return FALSE;
    }
  if (!have_cert)
    {
      if (!rh_tls_cert_generate (cert, key, g_get_host_name (), error))
        return FALSE;
      g_message ("Generated a self-signed TLS certificate in %s", cert);
    }

  if (out_cert_path != NULL)
    *out_cert_path = g_steal_pointer (&cert);
  if (out_key_path != NULL)
    *out_key_path = g_steal_pointer (&key);
  return TRUE;
}

static RhStore *
open_store (const char  *data_dir,
            GError     **error)
{
  if (!rh_server_data_dir_prepare (data_dir, error))
    return NULL;
  return rh_server_open_store (data_dir, error);
}

/* Secrets: wiped before they are freed */

typedef char RhSecret;

static void
rh_secret_free (RhSecret *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhSecret, rh_secret_free)

static gboolean
check_password (const char  *password,
                GError     **error)
{
  gsize len = strlen (password);

  if (len < PASSWORD_MIN_LEN || len > PASSWORD_MAX_LEN)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_PASSWORD_INVALID,
                   _("The password has %" G_GSIZE_FORMAT " bytes; it must have %d to %d"),
                   len, PASSWORD_MIN_LEN, PASSWORD_MAX_LEN);
      return FALSE;
    }
  if (!g_utf8_validate (password, -1, NULL))
    {
      g_set_error_literal (error, RH_STORE_ERROR, RH_ERROR_PASSWORD_INVALID,
                           _("The password is not valid UTF-8 text"));
      return FALSE;
    }
  return TRUE;
}

static RhSecret *
read_password_file (const char  *path,
                    GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *contents = NULL;
  gsize len = 0, line_len;
  const char *newline;
  RhSecret *password = NULL;

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_PASSWORD_FILE,
                   _("Cannot read the password file: %s"), local_error->message);
      return NULL;
    }

  newline = memchr (contents, '\n', len);
  line_len = newline != NULL ? (gsize) (newline - contents) : len;
  if (line_len > 0 && contents[line_len - 1] == '\r')
    line_len--;

  if (line_len == 0)
    g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_PASSWORD_FILE,
                 _("The password file %s is empty"), path);
  else if (memchr (contents, '\0', line_len) != NULL)
    g_set_error (error, RH_STORE_ERROR, RH_ERROR_PASSWORD_INVALID,
                 _("The password in %s contains a NUL byte"), path);
  else
    password = g_strndup (contents, line_len);

  explicit_bzero (contents, len);
  g_free (contents);
  return password;
}

/* One line from fd, read byte by byte so nothing after it is consumed; NULL at end of input
 * without a line. Lines longer than PASSWORD_MAX_LEN are refused. */
static RhSecret *
read_secret_line (int       fd,
                  GError  **error)
{
  char buf[PASSWORD_MAX_LEN + 2];
  gsize len = 0;
  gboolean got_any = FALSE;
  RhSecret *line = NULL;

  for (;;)
    {
      char c;
      ssize_t n = read (fd, &c, 1);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;
          g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_PASSWORD_FILE,
                       _("Cannot read the password from standard input: %s"),
                       g_strerror (saved_errno));
          goto out;
        }
      if (n == 0 || c == '\n')
        break;
      got_any = TRUE;
      if (len >= sizeof buf - 1)
        {
          g_set_error (error, RH_STORE_ERROR, RH_ERROR_PASSWORD_INVALID,
                       _("The password is longer than %d bytes"), PASSWORD_MAX_LEN);
          goto out;
        }
      buf[len++] = c;
    }
  if (len > 0 && buf[len - 1] == '\r')
    len--;

  if (memchr (buf, '\0', len) != NULL)
    g_set_error_literal (error, RH_STORE_ERROR, RH_ERROR_PASSWORD_INVALID,
                         _("The password contains a NUL byte"));
  else if (!got_any && len == 0)
    g_set_error_literal (error, RH_STORE_ERROR, RH_ERROR_PASSWORD_INVALID,
                         _("No password was given on standard input"));
  else
    line = g_strndup (buf, len);

out:
  explicit_bzero (buf, sizeof buf);
  return line;
}

static RhSecret *
prompt_secret (const char  *prompt,
               GError     **error)
{
  struct termios saved, quiet;
  gboolean echo_off = FALSE;
  RhSecret *line;

  fputs (prompt, stderr);
  fflush (stderr);
  if (tcgetattr (STDIN_FILENO, &saved) == 0)
    {
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      quiet.c_lflag |= ECHONL;
      echo_off = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
  line = read_secret_line (STDIN_FILENO, error);
  if (echo_off)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  return line;
}

/* From --password-file (its first line), else one line of standard input; asked twice,
 * without echo, when standard input is a terminal. */
static RhSecret *
read_new_password (const char  *password_file,
                   const char  *login,
                   GError     **error)
{
  g_autoptr(RhSecret) password = NULL;

  if (password_file != NULL)
    password = read_password_file (password_file, error);
  else if (isatty (STDIN_FILENO))
    {
      g_autofree char *prompt = g_strdup_printf (_("New password for %s: "), login);
      g_autoptr(RhSecret) again = NULL;

      password = prompt_secret (prompt, error);
      if (password == NULL)
        return NULL;
      again = prompt_secret (_("Repeat the password: "), error);
      if (again == NULL)
        return NULL;
      if (strcmp (password, again) != 0)
        {
          g_set_error_literal (error, RH_STORE_ERROR, RH_ERROR_PASSWORD_INVALID,
                               _("The two passwords differ"));
          return NULL;
        }
    }
  else
    password = read_secret_line (STDIN_FILENO, error);

  if (password == NULL || !check_password (password, error))
    return NULL;
  return g_steal_pointer (&password);
}

/* Validation */

static gboolean
check_login (const char  *login,
             GError     **error)
{
  gsize len = strlen (login);

  if (len == 0 || len > LOGIN_MAX_LEN ||
      strspn (login, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") != len)
    {
      g_autofree char *shown = g_utf8_make_valid (login, -1);

      g_set_error (error, RH_STORE_ERROR, RH_ERROR_BAD_LOGIN,
                   _("“%s” is not a valid login: use 1 to %d letters, digits, “.”, “_”, “-” "
                     "or “@”"),
                   shown, LOGIN_MAX_LEN);
      return FALSE;
    }
  return TRUE;
}

/* Arguments are taken as bytes (G_OPTION_ARG_FILENAME) so that invalid UTF-8 reaches us
 * instead of failing in the option parser; in a non-UTF-8 locale they are converted. */
static char *
check_field (const char  *value,
             const char  *option,
             const char  *label,
             GError     **error)
{
  g_autofree char *text = NULL;
  glong n_chars;
  gboolean blank = TRUE;

  if (value == NULL)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_FIELD_INVALID,
                   _("The %s is required (%s)"), label, option);
      return NULL;
    }

  if (g_utf8_validate (value, -1, NULL))
    text = g_strdup (value);
  else if (!g_get_charset (NULL))
    text = g_locale_to_utf8 (value, -1, NULL, NULL, NULL);
  if (text == NULL)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_FIELD_INVALID,
                   _("The %s (%s) is not valid UTF-8 text"), label, option);
      return NULL;
    }

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* Tabs and newlines would break `user list` and the card's layout. */
      if (g_unichar_iscntrl (c))
        {
          g_set_error (error, RH_STORE_ERROR, RH_ERROR_FIELD_INVALID,
                       _("The %s (%s) contains a control character"), label, option);
          return NULL;
        }
      if (!g_unichar_isspace (c))
        blank = FALSE;
    }

  n_chars = g_utf8_strlen (text, -1);
  if (blank)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_FIELD_INVALID,
                   _("The %s (%s) is empty"), label, option);
      return NULL;
    }
  if (n_chars > FIELD_MAX_CHARS || strlen (text) > FIELD_MAX_BYTES)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_FIELD_INVALID,
                   _("The %s (%s) is too long: at most %d characters (and %d bytes) are "
                     "allowed"),
                   label, option, FIELD_MAX_CHARS, FIELD_MAX_BYTES);
      return NULL;
    }
  return g_steal_pointer (&text);
}

static GBytes *
load_photo (const char  *path,
            GError     **error)
{
  static const guint8 png_magic[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  static const guint8 jpeg_magic[] = { 0xff, 0xd8, 0xff };
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  GStatBuf st;

  /* Look at the size first so that a huge file is not read. */
  if (g_stat (path, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, RH_STORE_ERROR, RH_ERROR_PHOTO_INVALID,
                   _("Cannot read the photo %s: %s"), path, g_strerror (saved_errno));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_PHOTO_INVALID,
                   _("The photo %s is not a regular file"), path);
      return NULL;
    }
  if (st.st_size > RH_IDENTITY_CARD_MAX_PHOTO)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_PHOTO_INVALID,
                   _("The photo %s has %" G_GINT64_FORMAT " bytes; at most %d are allowed"),
                   path, (gint64) st.st_size, RH_IDENTITY_CARD_MAX_PHOTO);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_PHOTO_INVALID,
                   _("Cannot read the photo: %s"), local_error->message);
      return NULL;
    }
  if (len > RH_IDENTITY_CARD_MAX_PHOTO)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_PHOTO_INVALID,
                   _("The photo %s has %" G_GSIZE_FORMAT " bytes; at most %d are allowed"),
                   path, len, RH_IDENTITY_CARD_MAX_PHOTO);
      return NULL;
    }
  if (!(len >= sizeof png_magic && memcmp (contents, png_magic, sizeof png_magic) == 0) &&
      !(len >= sizeof jpeg_magic && memcmp (contents, jpeg_magic, sizeof jpeg_magic) == 0))
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_PHOTO_INVALID,
                   _("The photo %s is neither a PNG nor a JPEG file"), path);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

/* Audit */

static char *
admin_actor (void)
{
  return g_strconcat ("admin-cli:", g_get_user_name (), NULL);
}

/* builder holds an open object; it is closed here. Never put a password or hash in it. */
static gboolean
audit (RhStore      *store,
       const char   *action,
       JsonBuilder  *builder,
       GError      **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *actor = admin_actor ();

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  detail = json_to_string (root, FALSE);
  return rh_store_audit_append (store, g_get_real_time () / G_USEC_PER_SEC, actor, action,
                                detail, error);
}

static JsonBuilder *
audit_detail_new (const char *login)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "login");
  json_builder_add_string_value (builder, login);
  return builder;
}

/* Command line */

static const char *
usage_text (void)
{
  return _("Usage: remote-help-server --data-dir DIR admin COMMAND\n"
           "\n"
           "Commands:\n"
           "  user add LOGIN --display-name NAME --job-title TITLE --company COMPANY\n"
           "           --domain DOMAIN [--photo FILE] [--password-file FILE] [--admin]\n"
           "  user list\n"
           "  user disable LOGIN\n"
           "  user enable LOGIN\n"
           "  user remove LOGIN\n"
           "  user set-password LOGIN [--password-file FILE]\n"
           "  settings list\n"
           "  settings get KEY\n"
           "  settings set KEY VALUE\n"
           "  chat show PAIRING [--format text|json]\n"
           "  org-key\n"
           "  tls-fingerprint [--tls-cert FILE]\n"
           "  role create NAME --permissions LIST [--description TEXT]\n"
           "  role list\n"
           "  role update NAME [--name NEW] [--permissions LIST] [--description TEXT]\n"
           "  role delete NAME\n"
           "  group create NAME [--member LOGIN]... [--description TEXT]\n"
           "  group list\n"
           "  group update NAME [--name NEW] [--members LIST] [--add-member LOGIN]...\n"
           "           [--remove-member LOGIN]... [--description TEXT]\n"
           "  group delete NAME\n"
           "  assignment create --role ROLE --helpers GROUP (--scope GROUP... | --scope-all)\n"
           "  assignment list\n"
           "  assignment update ID [--role ROLE] [--helpers GROUP] [--scope GROUP... | --scope-all]\n"
           "  assignment delete ID\n"
           "  sessions export --format csv|json [--since SECONDS]\n"
           "  audit export --format csv|json [--since SECONDS]\n"
           "\n"
           "Permissions: view-screen (every role needs it), take-full-control, elevation.\n"
           "\n"
           "Without --password-file the password is read from standard input (one line).\n"
           "Run a command with --help for its options.\n");
}

static gboolean
usage_error (GError     **error,
             const char  *format,
             ...) G_GNUC_PRINTF (2, 3);

static gboolean
usage_error (GError     **error,
             const char  *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, RH_CONFIG_ERROR, RH_ERROR_USAGE, message);
  return FALSE;
}

/* Parses the options of one command; *args then holds the command name and its positional
 * arguments, of which there must be exactly n_positional. */
static gboolean
parse_command (const char    *command,
               const char    *parameters,
               const char    *summary,
               GOptionEntry  *entries,
               int            argc,
               char         **argv,
               int            n_positional,
               GStrv         *out_args,
               GError       **error)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *prgname = NULL;
  g_autofree char *usage = NULL;
  GStrvBuilder *builder;
  guint n, i;

  prgname = g_strdup_printf ("%s admin %s", g_get_prgname (), command);
  builder = g_strv_builder_new ();
  g_strv_builder_add (builder, prgname);
  for (int j = 0; j < argc; j++)
    g_strv_builder_add (builder, argv[j]);
  args = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);

  usage = g_strdup_printf ("admin %s%s%s", command, parameters[0] != '\0' ? " " : "",
                           parameters);
  context = g_option_context_new (usage);
  g_option_context_set_summary (context, summary);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse_strv (context, &args, &local_error))
    return usage_error (error, "%s", local_error->message);

  /* A "--" that GLib left in place (it separates options from a login starting with "-"). */
  n = g_strv_length (args);
  for (i = 1; i < n; i++)
    if (strcmp (args[i], "--") == 0)
      {
        g_free (args[i]);
        memmove (&args[i], &args[i + 1], (n - i) * sizeof (char *));
        n--;
        break;
      }

  if ((int) n - 1 != n_positional)
    return usage_error (error, _("Wrong number of arguments; the usage is “%s”"), usage);

  *out_args = g_steal_pointer (&args);
  return TRUE;
}

/* Commands */

static gboolean
cmd_user_add (const char  *data_dir,
              int          argc,
              char       **argv,
              GError     **error)
{
  g_autofree char *display_name_arg = NULL;
  g_autofree char *job_title_arg = NULL;
  g_autofree char *company_arg = NULL;
  g_autofree char *domain_arg = NULL;
  g_autofree char *photo_path = NULL;
  g_autofree char *password_file = NULL;
  gboolean admin = FALSE;
  GOptionEntry entries[] = {
    { "display-name", 0, 0, G_OPTION_ARG_FILENAME, &display_name_arg,
      N_("Name shown on the identity card (required)"), N_("NAME") },
    { "job-title", 0, 0, G_OPTION_ARG_FILENAME, &job_title_arg,
      N_("Job title shown on the identity card (required)"), N_("TITLE") },
    { "company", 0, 0, G_OPTION_ARG_FILENAME, &company_arg,
      N_("Company shown on the identity card (required)"), N_("COMPANY") },
    { "domain", 0, 0, G_OPTION_ARG_FILENAME, &domain_arg,
      N_("The organisation's domain, shown as verified (required)"), N_("DOMAIN") },
    { "photo", 0, 0, G_OPTION_ARG_FILENAME, &photo_path,
      N_("PNG or JPEG photo of at most 24 KiB"), N_("FILE") },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
      N_("Read the password from the first line of FILE instead of standard input"),
      N_("FILE") },
    { "admin", 0, 0, G_OPTION_ARG_NONE, &admin,
      N_("Make the user an administrator"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autoptr(RhUser) existing = NULL;
  g_autoptr(RhSecret) password = NULL;
  g_autoptr(GBytes) photo = NULL;
  g_autoptr(JsonBuilder) detail = NULL;
  g_autofree char *display_name = NULL;
  g_autofree char *job_title = NULL;
  g_autofree char *company = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *hash = NULL;
  RhUser user = { 0 };

  if (!parse_command ("user add", _("LOGIN"), _("Adds a helper account."), entries, argc, argv,
                      1, &args, error))
    return FALSE;

  if (!check_login (args[1], error) ||
      !(display_name = check_field (display_name_arg, "--display-name", _("display name"),
                                    error)) ||
      !(job_title = check_field (job_title_arg, "--job-title", _("job title"), error)) ||
      !(company = check_field (company_arg, "--company", _("company"), error)) ||
      !(domain = check_field (domain_arg, "--domain", _("domain"), error)))
    return FALSE;
  if (photo_path != NULL && (photo = load_photo (photo_path, error)) == NULL)
    return FALSE;

  store = open_store (data_dir, error);
  if (store == NULL)
    return FALSE;
  /* Say so before asking for a password. */
  existing = rh_store_user_get (store, args[1], &local_error);
  if (existing != NULL)
    {
      g_set_error (error, RH_STORE_ERROR, RH_ERROR_USER_EXISTS,
                   _("User “%s” exists already"), args[1]);
      return FALSE;
    }
  if (!g_error_matches (local_error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_USER))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  password = read_new_password (password_file, args[1], error);
  if (password == NULL)
    return FALSE;
  hash = rh_password_hash (password, error);
  if (hash == NULL)
    return FALSE;

  user.login = args[1];
  user.display_name = display_name;
  user.job_title = job_title;
  user.company = company;
  user.domain = domain;
  user.photo = photo;
  user.password_hash = hash;
  user.disabled = FALSE;
  user.admin = admin;
  user.created_at = g_get_real_time () / G_USEC_PER_SEC;
  if (!rh_store_user_add (store, &user, error))
    return FALSE;

  detail = audit_detail_new (args[1]);
  json_builder_set_member_name (detail, "display_name");
  json_builder_add_string_value (detail, display_name);
  json_builder_set_member_name (detail, "job_title");
  json_builder_add_string_value (detail, job_title);
  json_builder_set_member_name (detail, "company");
  json_builder_add_string_value (detail, company);
  json_builder_set_member_name (detail, "domain");
  json_builder_add_string_value (detail, domain);
  json_builder_set_member_name (detail, "photo_bytes");
  json_builder_add_int_value (detail, photo != NULL ? (gint64) g_bytes_get_size (photo) : 0);
  json_builder_set_member_name (detail, "admin");
  json_builder_add_boolean_value (detail, admin);
  if (!audit (store, "user.added", detail, error))
    return FALSE;

  g_print (_("Added user %s.\n"), args[1]);
  return TRUE;
}

/* The list commands differ only in what they read and how one item reads as a row. */
static gboolean
run_list_command (const char  *command,
                  const char  *summary,
                  const char  *data_dir,
                  int          argc,
                  char       **argv,
                  GPtrArray  *(*list) (RhStore *store, GError **error),
                  const char  *header,
                  char       *(*row) (gconstpointer item),
                  GError     **error)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autoptr(GPtrArray) items = NULL;

  if (!parse_command (command, "", summary, NULL, argc, argv, 0, &args, error))
    return FALSE;
  store = open_store (data_dir, error);
  if (store == NULL || (items = list (store, error)) == NULL)
    return FALSE;

  /* A stable format for scripts: not translated. */
  g_print ("%s\n", header);
  for (guint i = 0; i < items->len; i++)
    {
      g_autofree char *line = row (g_ptr_array_index (items, i));

      g_print ("%s\n", line);
    }
  return TRUE;
}

static char *
user_row (gconstpointer item)
{
  const RhUser *user = item;

  return g_strdup_printf ("%s\t%s\t%s\t%s\t%s\t%s\t%s", user->login, user->display_name,
                          user->job_title, user->company, user->domain,
                          user->disabled ? "disabled" : "enabled", user->admin ? "yes" : "no");
}

static gboolean
cmd_user_list (const char  *data_dir,
               int          argc,
               char       **argv,
               GError     **error)
{
  return run_list_command ("user list", _("Lists the helper accounts, tab-separated."),
                           data_dir, argc, argv, rh_store_user_list,
                           "login\tdisplay-name\tjob-title\tcompany\tdomain\tstate\tadmin",
                           user_row, error);
}

static gboolean
cmd_user_set_disabled (const char  *data_dir,
                       int          argc,
                       char       **argv,
                       gboolean     disabled,
                       GError     **error)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autoptr(JsonBuilder) detail = NULL;

  if (!parse_command (disabled ? "user disable" : "user enable", _("LOGIN"),
                      disabled ? _("Disables an account and ends its sign-ins.")
                               : _("Enables a disabled account."),
                      NULL, argc, argv, 1, &args, error))
    return FALSE;

  store = open_store (data_dir, error);
  if (store == NULL || !rh_store_user_set_disabled (store, args[1], disabled, error))
    return FALSE;

  detail = audit_detail_new (args[1]);
  if (!audit (store, disabled ? "user.disabled" : "user.enabled", detail, error))
    return FALSE;

  g_print (disabled ? _("Disabled user %s.\n") : _("Enabled user %s.\n"), args[1]);
  return TRUE;
}

static gboolean
cmd_user_disable (const char  *data_dir,
                  int          argc,
                  char       **argv,
                  GError     **error)
{
  return cmd_user_set_disabled (data_dir, argc, argv, TRUE, error);
}

static gboolean
cmd_user_enable (const char  *data_dir,
                 int          argc,
                 char       **argv,
                 GError     **error)
{
  return cmd_user_set_disabled (data_dir, argc, argv, FALSE, error);
}

static gboolean
cmd_user_remove (const char  *data_dir,
                 int          argc,
                 char       **argv,
                 GError     **error)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autoptr(JsonBuilder) detail = NULL;

  if (!parse_command ("user remove", _("LOGIN"),
                      _("Removes an account and ends its sign-ins."), NULL, argc, argv, 1,
                      &args, error))
    return FALSE;

  store = open_store (data_dir, error);
  if (store == NULL || !rh_store_user_remove (store, args[1], error))
    return FALSE;

  detail = audit_detail_new (args[1]);
  if (!audit (store, "user.removed", detail, error))
    return FALSE;

  g_print (_("Removed user %s.\n"), args[1]);
  return TRUE;
}

static gboolean
cmd_user_set_password (const char  *data_dir,
                       int          argc,
                       char       **argv,
                       GError     **error)
{
  g_autofree char *password_file = NULL;
  GOptionEntry entries[] = {
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
      N_("Read the password from the first line of FILE instead of standard input"),
      N_("FILE") },
    G_OPTION_ENTRY_NULL
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autoptr(RhUser) user = NULL;
  g_autoptr(RhSecret) password = NULL;
  g_autoptr(JsonBuilder) detail = NULL;
  g_autofree char *hash = NULL;

  if (!parse_command ("user set-password", _("LOGIN"),
                      _("Sets a new password and ends the account's current sign-ins."),
                      entries, argc, argv, 1, &args, error))
    return FALSE;

  store = open_store (data_dir, error);
  if (store == NULL)
    return FALSE;
  user = rh_store_user_get (store, args[1], error);
  if (user == NULL)
    return FALSE;

  password = read_new_password (password_file, args[1], error);
  if (password == NULL)
    return FALSE;
  hash = rh_password_hash (password, error);
  if (hash == NULL || !rh_store_user_set_password (store, args[1], hash, error))
    return FALSE;

  /* A new password must end the sessions signed in with the old one. RhStore revokes a user's
   * tokens when it is disabled; a disabled user has none left. */
  if (!user->disabled &&
      (!rh_store_user_set_disabled (store, args[1], TRUE, error) ||
       !rh_store_user_set_disabled (store, args[1], FALSE, error)))
    return FALSE;

  detail = audit_detail_new (args[1]);
  json_builder_set_member_name (detail, "sign_ins_revoked");
  json_builder_add_boolean_value (detail, TRUE);
  if (!audit (store, "user.password-changed", detail, error))
    return FALSE;

  g_print (_("Changed the password of %s.\n"), args[1]);
  return TRUE;
}

static gboolean
cmd_settings_list (const char  *data_dir,
                   int          argc,
                   char       **argv,
                   GError     **error)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  const char *const *keys;

  if (!parse_command ("settings list", "", _("Prints every setting as key=value."), NULL,
                      argc, argv, 0, &args, error))
    return FALSE;

  store = open_store (data_dir, error);
  if (store == NULL)
    return FALSE;
  keys = rh_settings_list_keys ();
  for (gsize i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *value = rh_settings_get (store, keys[i], error);

      if (value == NULL)
        return FALSE;
      g_print ("%s=%s\n", keys[i], value);
    }
  return TRUE;
}

static gboolean
cmd_settings_get (const char  *data_dir,
                  int          argc,
                  char       **argv,
                  GError     **error)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autofree char *value = NULL;

  if (!parse_command ("settings get", _("KEY"), _("Prints the value of a setting."), NULL,
                      argc, argv, 1, &args, error))
    return FALSE;

  store = open_store (data_dir, error);
  if (store == NULL)
    return FALSE;
  value = rh_settings_get (store, args[1], error);
  if (value == NULL)
    return FALSE;
  g_print ("%s\n", value);
  return TRUE;
}

static gboolean
cmd_settings_set (const char  *data_dir,
                  int          argc,
                  char       **argv,
                  GError     **error)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autofree char *normalized = NULL;
  g_autofree char *actor = admin_actor ();

  if (!parse_command ("settings set", _("KEY VALUE"), _("Changes a setting."), NULL,
                      argc, argv, 2, &args, error))
    return FALSE;
  normalized = rh_settings_normalize (args[1], args[2], error);
  if (normalized == NULL)
    return FALSE;

  store = open_store (data_dir, error);
  if (store == NULL || !rh_settings_set (store, actor, args[1], args[2], error))
    return FALSE;
  g_print ("%s=%s\n", args[1], normalized);
  return TRUE;
}

static gboolean
cmd_org_key (const char  *data_dir,
             int          argc,
             char       **argv,
             GError     **error)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(RhOrgKey) key = NULL;
  g_autofree char *text = NULL;
  guint8 fingerprint[RH_FINGERPRINT_LEN];

  if (!parse_command ("org-key", "",
                      _("Prints the organisation key fingerprint that clients pin with "
                        "--org-key."),
                      NULL, argc, argv, 0, &args, error))
    return FALSE;

  if (!rh_server_data_dir_prepare (data_dir, error))
    return FALSE;
  key = rh_server_open_org_key (data_dir, error);
  if (key == NULL)
    return FALSE;
  rh_org_key_get_fingerprint (key, fingerprint);
  text = rh_fingerprint_format (fingerprint);
  g_print ("%s\n", text);
  return TRUE;
}

static gboolean
cmd_tls_fingerprint (const char  *data_dir,
                     int          argc,
                     char       **argv,
                     GError     **error)
{
  g_autofree char *tls_cert = NULL;
  GOptionEntry entries[] = {
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
      N_("The certificate given to the server with --tls-cert, if any"), N_("FILE") },
    G_OPTION_ENTRY_NULL
  };
  g_auto(GStrv) args = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *text = NULL;
  guint8 fingerprint[RH_FINGERPRINT_LEN];

  if (!parse_command ("tls-fingerprint", "",
                      _("Prints the TLS certificate fingerprint that clients pin with "
                        "--server-fingerprint."),
                      entries, argc, argv, 0, &args, error))
    return FALSE;

  if (tls_cert != NULL)
    cert_path = g_steal_pointer (&tls_cert);
  else if (!rh_server_data_dir_prepare (data_dir, error) ||
           !rh_server_ensure_tls_cert (data_dir, &cert_path, NULL, error))
    return FALSE;

  if (!rh_tls_cert_fingerprint (cert_path, fingerprint, error))
    return FALSE;
  text = rh_fingerprint_format (fingerprint);
  g_print ("%s\n", text);
  return TRUE;
}

/* Reading a thread is itself audited: chat is kept for the organisation, not for anyone's
 * curiosity. */
static gboolean
cmd_chat_show (const char  *data_dir,
               int          argc,
               char       **argv,
               GError     **error)
{
  g_autofree char *format = NULL;
  GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format,
      N_("text (default) or json"), N_("FORMAT") },
    G_OPTION_ENTRY_NULL
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autoptr(GPtrArray) thread = NULL;
  g_autoptr(JsonBuilder) detail = NULL;
  gboolean json;

  if (!parse_command ("chat show", _("PAIRING"),
                      _("Prints the chat thread of a pairing (the id in session records)."),
                      entries, argc, argv, 1, &args, error))
    return FALSE;
  if (format != NULL && !g_str_equal (format, "text") && !g_str_equal (format, "json"))
    return usage_error (error, _("--format takes text or json"));
  json = format != NULL && g_str_equal (format, "json");
  if (strlen (args[1]) != 32 || strspn (args[1], "0123456789abcdef") != 32)
    return usage_error (error, _("A pairing id is 32 lower-case hexadecimal characters"));

  store = open_store (data_dir, error);
  if (store == NULL)
    return FALSE;
  thread = rh_store_chat_list (store, args[1], error);
  if (thread == NULL)
    return FALSE;
  detail = json_builder_new ();
  json_builder_begin_object (detail);
  json_builder_set_member_name (detail, "pairing");
  json_builder_add_string_value (detail, args[1]);
  json_builder_set_member_name (detail, "messages");
  json_builder_add_int_value (detail, thread->len);
  if (!audit (store, "chat.viewed", detail, error))
    return FALSE;

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autofree char *text = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < thread->len; i++)
        {
          RhChatEntry *e = g_ptr_array_index (thread, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_int_value (b, e->id);
          json_builder_set_member_name (b, "sent_at");
          json_builder_add_int_value (b, e->sent_at);
          json_builder_set_member_name (b, "from");
          json_builder_add_string_value (b, e->sender_login);
          json_builder_set_member_name (b, "role");
          json_builder_add_string_value (b, e->sender_role);
          json_builder_set_member_name (b, "text");
          json_builder_add_string_value (b, e->body);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      text = json_generator_to_data (gen, NULL);
      g_print ("%s\n", text);
      return TRUE;
    }

  for (guint i = 0; i < thread->len; i++)
    {
      RhChatEntry *e = g_ptr_array_index (thread, i);
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (e->sent_at);
      g_autofree char *stamp = when ? g_date_time_format_iso8601 (when) : g_strdup ("?");
      g_auto(GStrv) lines = g_strsplit (e->body, "\n", -1);

      /* Continuation lines are indented so that a message cannot pass for another one. */
      g_print ("%s %s (%s): %s\n", stamp, e->sender_login, e->sender_role, lines[0]);
      for (guint j = 1; lines[j] != NULL; j++)
        g_print ("    %s\n", lines[j]);
    }
  return TRUE;
}

/* Roles, groups, assignments, reports (issue #5): thin wrappers over rh-admin.h, which
 * validates and audits every change exactly as it does for the web console. */

static GStrv
split_list (const char *text)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) parts = NULL;

  if (text == NULL)
    return NULL;
  parts = g_strsplit (text, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (parts[i][0] != '\0')
        g_strv_builder_add (builder, parts[i]);
    }
  return g_strv_builder_end (builder);
}

static gboolean
parse_id (const char  *text,
          gint64      *out_id,
          GError     **error)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &value, NULL))
    return usage_error (error, _("“%.32s” is not an assignment number"), text);
  *out_id = (gint64) value;
  return TRUE;
}

static gboolean
cmd_role_create (const char  *data_dir,
                 int          argc,
                 char       **argv,
                 GError     **error)
{
  g_autofree char *description = NULL;
  g_autofree char *permissions_arg = NULL;
  GOptionEntry entries[] = {
    { "permissions", 0, 0, G_OPTION_ARG_FILENAME, &permissions_arg,
      N_("Comma-separated: view-screen, take-full-control, elevation (required)"),
      N_("LIST") },
    { "description", 0, 0, G_OPTION_ARG_FILENAME, &description,
      N_("What the role is for"), N_("TEXT") },
    G_OPTION_ENTRY_NULL
  };
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) permissions = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autofree char *actor = admin_actor ();

  if (!parse_command ("role create", _("NAME"), _("Creates a custom role."), entries, argc,
                      argv, 1, &args, error))
    return FALSE;
  if (permissions_arg == NULL)
    return usage_error (error, _("--permissions is required"));
  permissions = split_list (permissions_arg);

  store = open_store (data_dir, error);
  if (store == NULL ||
      !rh_admin_role_create (store, actor, args[1], description,
                             (const char *const *) permissions, error))
    return FALSE;
  g_print (_("Created role %s.\n"), args[1]);
  return TRUE;
}

static char *
role_row (gconstpointer item)
{
  const RhRole *role = item;
  g_autofree char *permissions = rh_permissions_to_string (role->permissions);

  return g_strdup_printf ("%s\t%s\t%s\t%s", role->name, permissions,
                          role->builtin ? "yes" : "no", role->description);
}

static gboolean
cmd_role_list (const char  *data_dir,
               int          argc,
               char       **argv,
               GError     **error)
{
  return run_list_command ("role list", _("Lists the roles, tab-separated."), data_dir, argc,
                           argv, rh_admin_role_list, "name\tpermissions\tbuilt-in\tdescription",
                           role_row, error);
}

static gboolean
cmd_role_update (const char  *data_dir,
                 int          argc,
                 char       **argv,
                 GError     **error)
{
  g_autofree char *new_name = NULL;
  g_autofree char *description = NULL;
  g_autofree char *permissions_arg = NULL;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_FILENAME, &new_name, N_("New name"), N_("NAME") },
    { "permissions", 0, 0, G_OPTION_ARG_FILENAME, &permissions_arg,
      N_("Comma-separated permissions, replacing the current ones"), N_("LIST") },
    { "description", 0, 0, G_OPTION_ARG_FILENAME, &description, N_("New description"),
      N_("TEXT") },
    G_OPTION_ENTRY_NULL
  };
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) permissions = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autofree char *actor = admin_actor ();

  if (!parse_command ("role update", _("NAME"), _("Changes a custom role."), entries, argc,
                      argv, 1, &args, error))
    return FALSE;
  permissions = split_list (permissions_arg);

  store = open_store (data_dir, error);
  if (store == NULL ||
      !rh_admin_role_update (store, actor, args[1], new_name, description,
                             (const char *const *) permissions, error))
    return FALSE;
  g_print (_("Updated role %s.\n"), new_name != NULL ? new_name : args[1]);
  return TRUE;
}

static gboolean
cmd_role_delete (const char  *data_dir,
                 int          argc,
                 char       **argv,
                 GError     **error)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autofree char *actor = admin_actor ();

  if (!parse_command ("role delete", _("NAME"), _("Deletes a custom role that no assignment uses."),
                      NULL, argc, argv, 1, &args, error))
    return FALSE;
  store = open_store (data_dir, error);
  if (store == NULL || !rh_admin_role_delete (store, actor, args[1], error))
    return FALSE;
  g_print (_("Deleted role %s.\n"), args[1]);
  return TRUE;
}

static gboolean
cmd_group_create (const char  *data_dir,
                  int          argc,
                  char       **argv,
                  GError     **error)
{
  g_autofree char *description = NULL;
  g_auto(GStrv) members = NULL;
  GOptionEntry entries[] = {
    { "member", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &members,
      N_("A member's login (repeat for more)"), N_("LOGIN") },
    { "description", 0, 0, G_OPTION_ARG_FILENAME, &description,
      N_("What the group is"), N_("TEXT") },
    G_OPTION_ENTRY_NULL
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autofree char *actor = admin_actor ();

  if (!parse_command ("group create", _("NAME"), _("Creates a group of users."), entries,
                      argc, argv, 1, &args, error))
    return FALSE;
  store = open_store (data_dir, error);
  if (store == NULL ||
      !rh_admin_group_create (store, actor, args[1], description,
                              (const char *const *) members, error))
    return FALSE;
  g_print (_("Created group %s.\n"), args[1]);
  return TRUE;
}

static char *
group_row (gconstpointer item)
{
  const RhGroup *group = item;
  g_autofree char *members = g_strjoinv (",", group->members);

  return g_strdup_printf ("%s\t%s\t%s", group->name, members, group->description);
}

static gboolean
cmd_group_list (const char  *data_dir,
                int          argc,
                char       **argv,
                GError     **error)
{
  return run_list_command ("group list", _("Lists the groups, tab-separated."), data_dir, argc,
                           argv, rh_admin_group_list, "name\tmembers\tdescription", group_row,
                           error);
}

static gboolean
cmd_group_update (const char  *data_dir,
                  int          argc,
                  char       **argv,
                  GError     **error)
{
  g_autofree char *new_name = NULL;
  g_autofree char *description = NULL;
  g_autofree char *members_arg = NULL;
  g_auto(GStrv) add = NULL;
  g_auto(GStrv) remove = NULL;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_FILENAME, &new_name, N_("New name"), N_("NAME") },
    { "description", 0, 0, G_OPTION_ARG_FILENAME, &description, N_("New description"),
      N_("TEXT") },
    { "members", 0, 0, G_OPTION_ARG_FILENAME, &members_arg,
      N_("Comma-separated logins replacing all members (\"\" for none)"), N_("LIST") },
    { "add-member", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &add, N_("Adds a member"),
      N_("LOGIN") },
    { "remove-member", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &remove, N_("Removes a member"),
      N_("LOGIN") },
    G_OPTION_ENTRY_NULL
  };
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) members = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autofree char *actor = admin_actor ();

  if (!parse_command ("group update", _("NAME"), _("Changes a group."), entries, argc, argv,
                      1, &args, error))
    return FALSE;
  members = split_list (members_arg);

  store = open_store (data_dir, error);
  if (store == NULL ||
      !rh_admin_group_update (store, actor, args[1], new_name, description,
                              (const char *const *) members, (const char *const *) add,
                              (const char *const *) remove, error))
    return FALSE;
  g_print (_("Updated group %s.\n"), new_name != NULL ? new_name : args[1]);
  return TRUE;
}

static gboolean
cmd_group_delete (const char  *data_dir,
                  int          argc,
                  char       **argv,
                  GError     **error)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autofree char *actor = admin_actor ();

  if (!parse_command ("group delete", _("NAME"),
                      _("Deletes a group that no assignment uses."), NULL, argc, argv, 1,
                      &args, error))
    return FALSE;
  store = open_store (data_dir, error);
  if (store == NULL || !rh_admin_group_delete (store, actor, args[1], error))
    return FALSE;
  g_print (_("Deleted group %s.\n"), args[1]);
  return TRUE;
}

static gboolean
scope_from_options (gboolean      scope_all,
                    char        **scope_groups,
                    gboolean      required,
                    RhAdminScope *out_scope,
                    GError      **error)
{
  gboolean has_groups = scope_groups != NULL && scope_groups[0] != NULL;

  if (scope_all && has_groups)
    return usage_error (error, _("Give either --scope-all or --scope, not both"));
  if (scope_all)
    *out_scope = RH_ADMIN_SCOPE_ALL_USERS;
  else if (has_groups)
    *out_scope = RH_ADMIN_SCOPE_GROUPS;
  else if (required)
    return usage_error (error, _("Give --scope-all or at least one --scope GROUP"));
  else
    *out_scope = RH_ADMIN_SCOPE_KEEP;
  return TRUE;
}

static gboolean
cmd_assignment_create (const char  *data_dir,
                       int          argc,
                       char       **argv,
                       GError     **error)
{
  g_autofree char *role = NULL;
  g_autofree char *helpers = NULL;
  g_auto(GStrv) scope_groups = NULL;
  gboolean scope_all = FALSE;
  GOptionEntry entries[] = {
    { "role", 0, 0, G_OPTION_ARG_FILENAME, &role, N_("The role (required)"), N_("ROLE") },
    { "helpers", 0, 0, G_OPTION_ARG_FILENAME, &helpers,
      N_("The group whose members may help (required)"), N_("GROUP") },
    { "scope", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &scope_groups,
      N_("A group they may help (repeat for more)"), N_("GROUP") },
    { "scope-all", 0, 0, G_OPTION_ARG_NONE, &scope_all, N_("They may help all users"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autofree char *actor = admin_actor ();
  RhAdminScope scope;
  gint64 id;

  if (!parse_command ("assignment create", "",
                      _("Lets a group of helpers help the scope with a role."), entries, argc,
                      argv, 0, &args, error))
    return FALSE;
  if (role == NULL || helpers == NULL)
    return usage_error (error, _("--role and --helpers are required"));
  if (!scope_from_options (scope_all, scope_groups, TRUE, &scope, error))
    return FALSE;

  store = open_store (data_dir, error);
  if (store == NULL ||
      !rh_admin_assignment_create (store, actor, role, helpers, scope,
                                   (const char *const *) scope_groups, &id, error))
    return FALSE;
  g_print (_("Created assignment %" G_GINT64_FORMAT ".\n"), id);
  return TRUE;
}

static char *
assignment_row (gconstpointer item)
{
  const RhAssignment *a = item;
  g_autofree char *scope = a->all_users ? g_strdup ("all-users")
                                        : g_strjoinv (",", a->scope_groups);

  return g_strdup_printf ("%" G_GINT64_FORMAT "\t%s\t%s\t%s", a->id, a->role,
                          a->helper_group, scope);
}

static gboolean
cmd_assignment_list (const char  *data_dir,
                     int          argc,
                     char       **argv,
                     GError     **error)
{
  return run_list_command ("assignment list", _("Lists the role assignments, tab-separated."),
                           data_dir, argc, argv, rh_admin_assignment_list,
                           "id\trole\thelpers\tscope", assignment_row, error);
}

static gboolean
cmd_assignment_update (const char  *data_dir,
                       int          argc,
                       char       **argv,
                       GError     **error)
{
  g_autofree char *role = NULL;
  g_autofree char *helpers = NULL;
  g_auto(GStrv) scope_groups = NULL;
  gboolean scope_all = FALSE;
  GOptionEntry entries[] = {
    { "role", 0, 0, G_OPTION_ARG_FILENAME, &role, N_("New role"), N_("ROLE") },
    { "helpers", 0, 0, G_OPTION_ARG_FILENAME, &helpers, N_("New helper group"), N_("GROUP") },
    { "scope", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &scope_groups,
      N_("New scope group (repeat for more; replaces the scope)"), N_("GROUP") },
    { "scope-all", 0, 0, G_OPTION_ARG_NONE, &scope_all, N_("New scope: all users"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autofree char *actor = admin_actor ();
  RhAdminScope scope;
  gint64 id;

  if (!parse_command ("assignment update", _("ID"), _("Changes a role assignment."), entries,
                      argc, argv, 1, &args, error) ||
      !parse_id (args[1], &id, error) ||
      !scope_from_options (scope_all, scope_groups, FALSE, &scope, error))
    return FALSE;

  store = open_store (data_dir, error);
  if (store == NULL ||
      !rh_admin_assignment_update (store, actor, id, role, helpers, scope,
                                   (const char *const *) scope_groups, error))
    return FALSE;
  g_print (_("Updated assignment %" G_GINT64_FORMAT ".\n"), id);
  return TRUE;
}

static gboolean
cmd_assignment_delete (const char  *data_dir,
                       int          argc,
                       char       **argv,
                       GError     **error)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autofree char *actor = admin_actor ();
  gint64 id;

  if (!parse_command ("assignment delete", _("ID"), _("Deletes a role assignment."), NULL,
                      argc, argv, 1, &args, error) ||
      !parse_id (args[1], &id, error))
    return FALSE;
  store = open_store (data_dir, error);
  if (store == NULL || !rh_admin_assignment_delete (store, actor, id, error))
    return FALSE;
  g_print (_("Deleted assignment %" G_GINT64_FORMAT ".\n"), id);
  return TRUE;
}

static gboolean
cmd_export (const char  *data_dir,
            int          argc,
            char       **argv,
            gboolean     audit_log,
            GError     **error)
{
  g_autofree char *format_arg = NULL;
  gint64 since = 0;
  GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_arg, N_("csv or json (required)"),
      N_("FORMAT") },
    { "since", 0, 0, G_OPTION_ARG_INT64, &since,
      N_("Only records from this time on (unix seconds)"), N_("SECONDS") },
    G_OPTION_ENTRY_NULL
  };
  g_auto(GStrv) args = NULL;
  g_autoptr(RhStore) store = NULL;
  g_autofree char *text = NULL;
  RhExportFormat format;

  if (!parse_command (audit_log ? "audit export" : "sessions export", "",
                      audit_log ? _("Writes the audit log to standard output.")
                                : _("Writes the session records to standard output."),
                      entries, argc, argv, 0, &args, error))
    return FALSE;
  if (format_arg == NULL)
    return usage_error (error, _("--format csv|json is required"));
  if (!rh_admin_export_format_parse (format_arg, &format, error))
    return FALSE;

  store = open_store (data_dir, error);
  if (store == NULL)
    return FALSE;
  text = audit_log ? rh_admin_export_audit (store, format, since, error)
                   : rh_admin_export_sessions (store, format, since, error);
  if (text == NULL)
    return FALSE;
  fputs (text, stdout);
  if (format == RH_EXPORT_JSON)
    fputc ('\n', stdout);
  return TRUE;
}

static gboolean
cmd_sessions_export (const char  *data_dir,
                     int          argc,
                     char       **argv,
                     GError     **error)
{
  return cmd_export (data_dir, argc, argv, FALSE, error);
}

static gboolean
cmd_audit_export (const char  *data_dir,
                  int          argc,
                  char       **argv,
                  GError     **error)
{
  return cmd_export (data_dir, argc, argv, TRUE, error);
}

typedef gboolean (*CommandFunc) (const char *data_dir, int argc, char **argv, GError **error);

static const struct
{
  const char  *group;    /* NULL for one-word commands */
  const char  *name;
  CommandFunc  func;
} commands[] = {
  { "user", "add", cmd_user_add },
  { "user", "list", cmd_user_list },
  { "user", "disable", cmd_user_disable },
  { "user", "enable", cmd_user_enable },
  { "user", "remove", cmd_user_remove },
  { "user", "set-password", cmd_user_set_password },
  { "settings", "list", cmd_settings_list },
  { "settings", "get", cmd_settings_get },
  { "settings", "set", cmd_settings_set },
  { "chat", "show", cmd_chat_show },
  { NULL, "org-key", cmd_org_key },
  { NULL, "tls-fingerprint", cmd_tls_fingerprint },
  { "role", "create", cmd_role_create },
  { "role", "list", cmd_role_list },
  { "role", "update", cmd_role_update },
  { "role", "delete", cmd_role_delete },
  { "group", "create", cmd_group_create },
  { "group", "list", cmd_group_list },
  { "group", "update", cmd_group_update },
  { "group", "delete", cmd_group_delete },
  { "assignment", "create", cmd_assignment_create },
  { "assignment", "list", cmd_assignment_list },
  { "assignment", "update", cmd_assignment_update },
  { "assignment", "delete", cmd_assignment_delete },
  { "sessions", "export", cmd_sessions_export },
  { "audit", "export", cmd_audit_export },
};

static gboolean
is_help (const char *arg)
{
  return g_strcmp0 (arg, "help") == 0 || g_strcmp0 (arg, "--help") == 0 ||
         g_strcmp0 (arg, "-h") == 0 || g_strcmp0 (arg, "-?") == 0;
}

int
rh_server_admin_run (const char  *data_dir,
                     int          argc,
                     char       **argv)
{
  g_autoptr(GError) error = NULL;
  CommandFunc func = NULL;
  int consumed = 0;

  g_return_val_if_fail (data_dir != NULL, 1);
  g_return_val_if_fail (argc >= 1, 1);

  if (argc >= 2 && is_help (argv[1]))
    {
      g_print ("%s", usage_text ());
      return 0;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands) && func == NULL; i++)
    {
      if (commands[i].group == NULL)
        {
          if (argc >= 2 && strcmp (argv[1], commands[i].name) == 0)
            {
              func = commands[i].func;
              consumed = 2;
            }
        }
      else if (argc >= 3 && strcmp (argv[1], commands[i].group) == 0 &&
               strcmp (argv[2], commands[i].name) == 0)
        {
          func = commands[i].func;
          consumed = 3;
        }
    }

  if (func == NULL)
    {
      if (argc < 2)
        usage_error (&error, _("No admin command given"));
      else if (argc < 3 && g_strv_contains ((const char *const[]) { "user", "settings", "chat",
                                                                    "role", "group",
                                                                    "assignment", "sessions",
                                                                    "audit", NULL }, argv[1]))
        usage_error (&error, _("“admin %s” needs a subcommand"), argv[1]);
      else
        {
          g_autofree char *shown = g_strjoinv (" ", &argv[1]);
          g_autofree char *valid = g_utf8_make_valid (shown, -1);

          usage_error (&error, _("Unknown admin command “%s”"), valid);
        }
    }
  else if (!func (data_dir, argc - consumed, argv + consumed, &error) && error == NULL)
    g_set_error_literal (&error, RH_PROTOCOL_ERROR, RH_ERROR_INTERNAL,
                         _("The command failed without saying why"));

  if (error == NULL)
    return 0;

  rh_print_error (g_get_prgname (), error);
  if (g_error_matches (error, RH_CONFIG_ERROR, RH_ERROR_USAGE))
    {
      fprintf (stderr, "\n%s", usage_text ());
      return 2;
    }
  return 1;
}
