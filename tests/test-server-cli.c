/* test-server-cli.c: the remote-help-server binary, its data directory and admin commands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-test"

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "rh-identity-card.h"
#include "rh-password.h"
#include "rh-store-sqlite.h"

/* Every wait on a child process is bounded by this. */
#define TIMEOUT_SECONDS 10

#define PASSWORD_ALICE "correct horse battery"
#define PASSWORD_BOB   "bob-password-1"
#define PASSWORD_NEW   "a brand new password"

typedef struct
{
  char        *tmp;
  char        *data_dir;
  GSubprocess *server;
  char        *url;
  int          port;
  char        *tls_fingerprint;
  char        *org_key;
} Fixture;

typedef struct
{
  int   status;    /* exit status, or -1 if killed by a signal */
  char *out;
  char *err;
} Result;

static void
result_clear (Result *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Result, result_clear)

/* Helpers */

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
  g_rmdir (path);
}

/* A child outlives no failed assertion: it gets SIGKILL when the test process dies. */
static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocessLauncher *
launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  return launcher;
}

static gboolean
on_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until *done or the time is up; returns *done. */
static gboolean
wait_for (gboolean *done,
          guint     seconds)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (seconds, on_timeout, &timed_out);

  while (!*done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return *done;
}

static const char *
server_bin (void)
{
  const char *bin = g_getenv ("RH_SERVER_BIN");

  g_assert_nonnull (bin);
  return bin;
}

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
  GError   *error;
} Communicate;

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Communicate *c = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &c->out, &c->err,
                                        &c->error);
  c->done = TRUE;
}

/* Runs the binary with argv (after the program name) and stdin_text as its input. */
static void
run_argv (const char *const *argv,
          const char        *stdin_text,
          Result            *out)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  Communicate c = { 0 };

  g_ptr_array_add (args, (gpointer) server_bin ());
  for (gsize i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);

  launcher = launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                           G_SUBPROCESS_FLAGS_STDERR_PIPE);
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) args->pdata, &error);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8_async (proc, stdin_text, NULL, on_communicated, &c);
  if (!wait_for (&c.done, TIMEOUT_SECONDS))
    {
      g_subprocess_force_exit (proc);
      g_subprocess_wait (proc, NULL, NULL);
      wait_for (&c.done, TIMEOUT_SECONDS);
      g_error ("%s %s did not finish within %d s", server_bin (), argv[0], TIMEOUT_SECONDS);
    }
  g_assert_no_error (c.error);

  out->out = c.out;
  out->err = c.err;
  out->status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", out->status, out->out, out->err);
}

/* remote-help-server --data-dir DIR admin ARGS... */
static void
run_admin_v (Fixture    *f,
             const char *stdin_text,
             Result     *out,
             const char *first,
             va_list     ap)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();

  g_ptr_array_add (args, (gpointer) "--data-dir");
  g_ptr_array_add (args, f->data_dir);
  g_ptr_array_add (args, (gpointer) "admin");
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) a);
  g_ptr_array_add (args, NULL);
  run_argv ((const char *const *) args->pdata, stdin_text, out);
}

static void G_GNUC_NULL_TERMINATED
run_admin (Fixture    *f,
           const char *stdin_text,
           Result     *out,
           const char *first,
           ...)
{
  va_list ap;

  va_start (ap, first);
  run_admin_v (f, stdin_text, out, first, ap);
  va_end (ap);
}

/* Runs an admin command that must succeed. */
static void G_GNUC_NULL_TERMINATED
admin_ok (Fixture    *f,
          const char *stdin_text,
          Result     *out,
          const char *first,
          ...)
{
  va_list ap;

  va_start (ap, first);
  run_admin_v (f, stdin_text, out, first, ap);
  va_end (ap);
  if (out->status != 0)
    g_error ("admin %s failed (%d): %s", first, out->status, out->err);
}

static void
assert_failed (const Result *r,
               int           exit_status,
               const char   *code)
{
  if (r->status != exit_status || strstr (r->err, code) == NULL)
    g_error ("expected exit %d with %s, got exit %d; stderr: %s", exit_status, code,
             r->status, r->err);
  /* Every error line names the program and carries the code. */
  g_assert_true (g_str_has_prefix (r->err, "remote-help-server: RH-") ||
                 strstr (r->err, "\nremote-help-server: RH-") != NULL);
}

static char *
write_file (Fixture    *f,
            const char *name,
            const void *data,
            gssize      len)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (f->tmp, name, NULL);

  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
  return path;
}

static char *
write_photo (Fixture    *f,
             const char *name,
             gsize       len)
{
  static const guint8 png_magic[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autofree guint8 *data = g_malloc0 (len);

  memcpy (data, png_magic, MIN (len, sizeof png_magic));
  return write_file (f, name, data, len);
}

static int
file_mode (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    g_error ("%s is missing", path);
  return st.st_mode & 07777;
}

static gboolean
is_fingerprint (const char *text)
{
  g_autoptr(GRegex) re = g_regex_new ("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", 0, 0, NULL);

  return g_regex_match (re, text, 0, NULL);
}

static void
assert_password (Fixture    *f,
                 const char *login,
                 const char *password)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *db = g_build_filename (f->data_dir, "remote-help.db", NULL);
  g_autoptr(RhStore) store = rh_store_sqlite_new (db, &error);
  g_autoptr(RhUser) user = NULL;
  gboolean match = FALSE;

  g_assert_no_error (error);
  user = rh_store_user_get (store, login, &error);
  g_assert_no_error (error);
  rh_password_verify (password, user->password_hash, &match, &error);
  g_assert_no_error (error);
  g_assert_true (match);
}

/* The audit rows, one "actor|action|detail" string each. */
static GPtrArray *
read_audit (Fixture *f)
{
  g_autofree char *db = g_build_filename (f->data_dir, "remote-help.db", NULL);
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_free);
  sqlite3 *handle = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (db, &handle, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (handle,
                                       "SELECT actor, action, coalesce (detail, '') FROM audit "
                                       "ORDER BY id", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (rows, g_strdup_printf ("%s|%s|%s", sqlite3_column_text (stmt, 0),
                                            sqlite3_column_text (stmt, 1),
                                            sqlite3_column_text (stmt, 2)));
  sqlite3_finalize (stmt);
  sqlite3_close (handle);
  return rows;
}

/* The server */

typedef struct
{
  gboolean  done;
  char     *line;
  GError   *error;
} ReadLine;

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  ReadLine *r = user_data;

  r->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                       NULL, &r->error);
  r->done = TRUE;
}

static char *
read_server_line (GDataInputStream *stream,
                  const char       *prefix)
{
  ReadLine r = { 0 };

  g_data_input_stream_read_line_async (stream, G_PRIORITY_DEFAULT, NULL, on_line, &r);
  if (!wait_for (&r.done, TIMEOUT_SECONDS))
    g_error ("The server printed no “%s” line within %d s", prefix, TIMEOUT_SECONDS);
  g_assert_no_error (r.error);
  if (r.line == NULL || !g_str_has_prefix (r.line, prefix))
    g_error ("Expected a line starting with “%s”, got “%s”", prefix, r.line);
  return r.line;
}

static void
start_server (Fixture *f)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *listening = NULL;
  g_autofree char *tls = NULL;
  g_autofree char *org = NULL;
  g_autofree char *digits = NULL;
  guint64 port = 0;
  const char *p;

  g_assert_null (f->server);
  /* stderr goes to the test log. */
  launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  f->server = g_subprocess_launcher_spawn (launcher, &error, server_bin (),
                                           "--data-dir", f->data_dir,
                                           "--listen", "127.0.0.1:0", NULL);
  g_assert_no_error (error);

  stream = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->server));
  listening = read_server_line (stream, "listening: wss://127.0.0.1:");
  tls = read_server_line (stream, "tls-fingerprint: ");
  org = read_server_line (stream, "org-key: ");

  p = listening + strlen ("listening: wss://127.0.0.1:");
  g_assert_true (g_str_has_suffix (p, "/"));
  digits = g_strndup (p, strlen (p) - 1);
  g_assert_true (g_ascii_string_to_unsigned (digits, 10, 1, 65535, &port, NULL));

  g_clear_pointer (&f->url, g_free);
  g_clear_pointer (&f->tls_fingerprint, g_free);
  g_clear_pointer (&f->org_key, g_free);
  f->url = g_strdup (listening + strlen ("listening: "));
  f->port = (int) port;
  f->tls_fingerprint = g_strdup (tls + strlen ("tls-fingerprint: "));
  f->org_key = g_strdup (org + strlen ("org-key: "));
  g_assert_true (is_fingerprint (f->tls_fingerprint));
  g_assert_true (is_fingerprint (f->org_key));
}

static void
on_waited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

/* SIGTERM must stop the server cleanly (exit 0) within the time limit. */
static void
stop_server (Fixture *f)
{
  g_autoptr(GSubprocess) server = g_steal_pointer (&f->server);
  gboolean done = FALSE;

  g_assert_nonnull (server);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait_async (server, NULL, on_waited, &done);
  if (!wait_for (&done, TIMEOUT_SECONDS))
    {
      g_subprocess_force_exit (server);
      g_subprocess_wait (server, NULL, NULL);
      g_error ("The server did not stop within %d s of SIGTERM", TIMEOUT_SECONDS);
    }
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);
}

/* Fixture */

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  f->tmp = g_dir_make_tmp ("rh-test-server-cli-XXXXXX", &error);
  g_assert_no_error (error);
  /* A directory that does not exist yet, below one that does not either. */
  f->data_dir = g_build_filename (f->tmp, "var", "remote-help", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  if (f->server != NULL)
    {
      g_subprocess_force_exit (f->server);
      g_subprocess_wait (f->server, NULL, NULL);
      g_clear_object (&f->server);
    }
  remove_tree (f->tmp);
  g_free (f->tmp);
  g_free (f->data_dir);
  g_free (f->url);
  g_free (f->tls_fingerprint);
  g_free (f->org_key);
}

static void
add_alice (Fixture *f)
{
  g_auto(Result) r = { 0 };
  g_autofree char *pw = write_file (f, "alice.pw", PASSWORD_ALICE "\n", -1);
  g_autofree char *photo = write_photo (f, "alice.png", 200);

  admin_ok (f, NULL, &r, "user", "add", "alice", "--display-name", "Alice Example",
            "--job-title", "IT support", "--company", "Example Ltd", "--domain", "example.com",
            "--photo", photo, "--password-file", pw, "--admin", NULL);
}

/* Tests */

static void
test_data_dir_created (Fixture       *f,
                       gconstpointer  user_data)
{
  g_auto(Result) list = { 0 };
  g_auto(Result) org = { 0 };
  g_auto(Result) tls = { 0 };

  admin_ok (f, NULL, &list, "user", "list", NULL);
  g_assert_cmpstr (list.out, ==, "login\tdisplay-name\tjob-title\tcompany\tdomain\tstate\tadmin\n");
  admin_ok (f, NULL, &org, "org-key", NULL);
  admin_ok (f, NULL, &tls, "tls-fingerprint", NULL);

  g_assert_cmpint (file_mode (f->data_dir, ""), ==, 0700);
  g_assert_cmpint (file_mode (f->data_dir, "remote-help.db"), ==, 0600);
  g_assert_cmpint (file_mode (f->data_dir, "org-key.pem"), ==, 0600);
  g_assert_cmpint (file_mode (f->data_dir, "tls-key.pem"), ==, 0600);
  file_mode (f->data_dir, "tls-cert.pem");
}

static void
test_data_dir_refused (Fixture       *f,
                       gconstpointer  user_data)
{
  g_auto(Result) admin = { 0 };
  g_auto(Result) server = { 0 };
  g_autofree char *db = g_build_filename (f->data_dir, "remote-help.db", NULL);
  const char *argv[] = { "--data-dir", f->data_dir, "--listen", "127.0.0.1:0", NULL };

  g_assert_cmpint (g_mkdir_with_parents (f->data_dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (f->data_dir, 0755), ==, 0);

  run_admin (f, NULL, &admin, "user", "list", NULL);
  assert_failed (&admin, 1, "RH-1005");
  g_assert_nonnull (strstr (admin.err, "chmod 700"));

  run_argv (argv, NULL, &server);
  assert_failed (&server, 1, "RH-1005");

  /* Nothing was written into it, and it was left as it was. */
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
  g_assert_cmpint (file_mode (f->data_dir, ""), ==, 0755);
}

static void
test_user_add_list (Fixture       *f,
                    gconstpointer  user_data)
{
  g_auto(Result) bob = { 0 };
  g_auto(Result) list = { 0 };
  g_autoptr(GPtrArray) audit = NULL;

  add_alice (f);
  /* Password on standard input. */
  admin_ok (f, PASSWORD_BOB "\n", &bob, "user", "add", "bob.smith@example", "--display-name",
            "Bob Smîth", "--job-title", "Helpdesk", "--company", "Example Ltd", "--domain",
            "example.com", NULL);

  admin_ok (f, NULL, &list, "user", "list", NULL);
  g_assert_cmpstr (list.out, ==,
                   "login\tdisplay-name\tjob-title\tcompany\tdomain\tstate\tadmin\n"
                   "alice\tAlice Example\tIT support\tExample Ltd\texample.com\tenabled\tyes\n"
                   "bob.smith@example\tBob Smîth\tHelpdesk\tExample Ltd\texample.com\tenabled\tno\n");

  assert_password (f, "alice", PASSWORD_ALICE);
  assert_password (f, "bob.smith@example", PASSWORD_BOB);

  /* Audited by the admin, without passwords or hashes. */
  audit = read_audit (f);
  g_assert_cmpuint (audit->len, ==, 2);
  for (guint i = 0; i < audit->len; i++)
    {
      const char *row = g_ptr_array_index (audit, i);

      g_assert_true (g_str_has_prefix (row, "admin-cli:"));
      g_assert_nonnull (strstr (row, "|user.added|"));
      g_assert_null (strstr (row, PASSWORD_ALICE));
      g_assert_null (strstr (row, PASSWORD_BOB));
      g_assert_null (strstr (row, "scrypt"));
    }
  g_assert_nonnull (strstr (g_ptr_array_index (audit, 0), "\"login\":\"alice\""));
}

typedef struct
{
  const char *name;
  const char *code;
  int         exit_status;
} Expect;

static char *
repeat (const char *unit,
        guint       times)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < times; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

static gboolean
is_field_option (const char *option)
{
  return g_strcmp0 (option, "--display-name") == 0 || g_strcmp0 (option, "--job-title") == 0 ||
         g_strcmp0 (option, "--company") == 0 || g_strcmp0 (option, "--domain") == 0;
}

static void
test_user_add_invalid (Fixture       *f,
                       gconstpointer  user_data)
{
  g_autofree char *pw = write_file (f, "good.pw", "good password\n", -1);
  g_autofree char *pw_short = write_file (f, "short.pw", "1234567\n", -1);
  g_autofree char *pw_empty = write_file (f, "empty.pw", "", 0);
  g_autofree char *pw_missing = g_build_filename (f->tmp, "missing.pw", NULL);
  g_autofree char *long_password = g_strnfill (1025, 'p');
  g_autofree char *pw_long = write_file (f, "long.pw", long_password, -1);
  g_autofree char *photo_big = write_photo (f, "big.png", RH_IDENTITY_CARD_MAX_PHOTO + 1);
  g_autofree char *photo_text = write_file (f, "photo.png", "not an image at all", -1);
  g_autofree char *photo_missing = g_build_filename (f->tmp, "missing.png", NULL);
  g_autofree char *login_65 = g_strnfill (65, 'a');
  g_autofree char *field_129 = g_strnfill (129, 'x');
  /* 129 characters in fewer than 256 bytes are still too many. */
  g_autofree char *chars_129 = repeat ("\u00e9", 129);
  g_auto(Result) list = { 0 };
  const struct
  {
    const char *login;
    const char *option;        /* a field option replaced (value NULL: left out), or extra */
    const char *value;
    const char *password_file; /* NULL: the password comes from stdin_text */
    const char *stdin_text;
    const char *code;
    int         exit_status;
  } cases[] = {
    { "bad login", NULL, NULL, pw, NULL, "RH-6005", 1 },
    { "", NULL, NULL, pw, NULL, "RH-6005", 1 },
    { login_65, NULL, NULL, pw, NULL, "RH-6005", 1 },
    { "\u00e9mile", NULL, NULL, pw, NULL, "RH-6005", 1 },
    { "a/b", NULL, NULL, pw, NULL, "RH-6005", 1 },
    { "carol", "--display-name", field_129, pw, NULL, "RH-6006", 1 },
    { "carol", "--display-name", chars_129, pw, NULL, "RH-6006", 1 },
    { "carol", "--display-name", NULL, pw, NULL, "RH-6006", 1 },
    { "carol", "--display-name", "", pw, NULL, "RH-6006", 1 },
    { "carol", "--display-name", "   ", pw, NULL, "RH-6006", 1 },
    { "carol", "--display-name", "two\tcolumns", pw, NULL, "RH-6006", 1 },
    { "carol", "--display-name", "bad \xff utf8", pw, NULL, "RH-6006", 1 },
    { "carol", "--job-title", NULL, pw, NULL, "RH-6006", 1 },
    { "carol", "--job-title", field_129, pw, NULL, "RH-6006", 1 },
    { "carol", "--company", NULL, pw, NULL, "RH-6006", 1 },
    { "carol", "--company", field_129, pw, NULL, "RH-6006", 1 },
    { "carol", "--domain", NULL, pw, NULL, "RH-6006", 1 },
    { "carol", "--domain", "", pw, NULL, "RH-6006", 1 },
    { "carol", "--photo", photo_big, pw, NULL, "RH-6007", 1 },
    { "carol", "--photo", photo_text, pw, NULL, "RH-6007", 1 },
    { "carol", "--photo", photo_missing, pw, NULL, "RH-6007", 1 },
    { "carol", NULL, NULL, pw_short, NULL, "RH-6008", 1 },
    { "carol", NULL, NULL, pw_long, NULL, "RH-6008", 1 },
    { "carol", NULL, NULL, pw_empty, NULL, "RH-1004", 1 },
    { "carol", NULL, NULL, pw_missing, NULL, "RH-1004", 1 },
    { "carol", NULL, NULL, NULL, "short\n", "RH-6008", 1 },
    { "carol", NULL, NULL, NULL, "", "RH-6008", 1 },
    { "carol", NULL, NULL, NULL, NULL, "RH-6008", 1 },
    { "alice", NULL, NULL, pw, NULL, "RH-6004", 1 },
    { "carol", "--no-such-option", "x", pw, NULL, "RH-1008", 2 },
  };
  const char *fields[][2] = {
    { "--display-name", "Carol" },
    { "--job-title", "Support" },
    { "--company", "Example Ltd" },
    { "--domain", "example.com" },
  };

  add_alice (f);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Result) r = { 0 };
      g_autoptr(GPtrArray) args = g_ptr_array_new ();

      g_ptr_array_add (args, (gpointer) "--data-dir");
      g_ptr_array_add (args, f->data_dir);
      g_ptr_array_add (args, (gpointer) "admin");
      g_ptr_array_add (args, (gpointer) "user");
      g_ptr_array_add (args, (gpointer) "add");
      g_ptr_array_add (args, (gpointer) cases[i].login);
      for (gsize j = 0; j < G_N_ELEMENTS (fields); j++)
        {
          const char *value = g_strcmp0 (cases[i].option, fields[j][0]) == 0
                              ? cases[i].value : fields[j][1];

          if (value != NULL)
            {
              g_ptr_array_add (args, (gpointer) fields[j][0]);
              g_ptr_array_add (args, (gpointer) value);
            }
        }
      if (cases[i].option != NULL && !is_field_option (cases[i].option))
        {
          g_ptr_array_add (args, (gpointer) cases[i].option);
          g_ptr_array_add (args, (gpointer) cases[i].value);
        }
      if (cases[i].password_file != NULL)
        {
          g_ptr_array_add (args, (gpointer) "--password-file");
          g_ptr_array_add (args, (gpointer) cases[i].password_file);
        }
      g_ptr_array_add (args, NULL);

      g_test_message ("case %" G_GSIZE_FORMAT ": expecting %s", i, cases[i].code);
      run_argv ((const char *const *) args->pdata, cases[i].stdin_text, &r);
      assert_failed (&r, cases[i].exit_status, cases[i].code);
    }

  /* Nothing but alice was added. */
  admin_ok (f, NULL, &list, "user", "list", NULL);
  g_assert_null (strstr (list.out, "carol"));
  g_assert_nonnull (strstr (list.out, "\nalice\t"));
}

static void
test_user_add_limits (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autofree char *pw = write_file (f, "eight.pw", "12345678\r\nsecond line ignored\n", -1);
  g_autofree char *max_password = g_strnfill (1024, 'p');
  g_autofree char *pw_max = write_file (f, "max.pw", max_password, -1);
  g_autofree char *photo = write_photo (f, "max.png", RH_IDENTITY_CARD_MAX_PHOTO);
  g_autofree char *login_64 = g_strnfill (64, 'a');
  g_autofree char *field_128 = g_strnfill (128, 'x');
  g_auto(Result) r1 = { 0 };
  g_auto(Result) r2 = { 0 };
  g_auto(Result) list = { 0 };
  static const guint8 jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0 };
  g_autofree char *jpeg_path = write_file (f, "photo.jpg", jpeg, sizeof jpeg);

  admin_ok (f, NULL, &r1, "user", "add", login_64, "--display-name", field_128,
            "--job-title", field_128, "--company", field_128, "--domain", field_128,
            "--photo", photo, "--password-file", pw, NULL);
  /* A login that starts like an option comes after "--". */
  admin_ok (f, NULL, &r2, "user", "add", "--display-name", "D", "--job-title", "J",
            "--company", "C", "--domain", "d", "--photo", jpeg_path, "--password-file",
            pw_max, "--", "-dash_.@", NULL);
  admin_ok (f, NULL, &list, "user", "list", NULL);
  g_assert_nonnull (strstr (list.out, login_64));
  assert_password (f, login_64, "12345678");
  assert_password (f, "-dash_.@", max_password);
}

static void
test_user_manage (Fixture       *f,
                  gconstpointer  user_data)
{
  g_autofree char *pw_new = write_file (f, "new.pw", PASSWORD_NEW "\n", -1);
  const char *commands[] = { "disable", "enable", "remove", "set-password" };
  g_autoptr(GPtrArray) audit = NULL;

  add_alice (f);

  {
    g_auto(Result) r = { 0 };
    g_auto(Result) list = { 0 };

    admin_ok (f, NULL, &r, "user", "disable", "alice", NULL);
    admin_ok (f, NULL, &list, "user", "list", NULL);
    g_assert_nonnull (strstr (list.out, "\texample.com\tdisabled\tyes\n"));
  }
  {
    g_auto(Result) r = { 0 };
    g_auto(Result) list = { 0 };

    admin_ok (f, NULL, &r, "user", "enable", "alice", NULL);
    admin_ok (f, NULL, &list, "user", "list", NULL);
    g_assert_nonnull (strstr (list.out, "\texample.com\tenabled\tyes\n"));
  }
  {
    g_auto(Result) r = { 0 };
    g_auto(Result) bad = { 0 };

    admin_ok (f, NULL, &r, "user", "set-password", "alice", "--password-file", pw_new, NULL);
    assert_password (f, "alice", PASSWORD_NEW);
    run_admin (f, "short\n", &bad, "user", "set-password", "alice", NULL);
    assert_failed (&bad, 1, "RH-6008");
    assert_password (f, "alice", PASSWORD_NEW);
  }
  {
    g_auto(Result) r = { 0 };

    admin_ok (f, "stdin password\n", &r, "user", "set-password", "alice", NULL);
    assert_password (f, "alice", "stdin password");
  }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto(Result) r = { 0 };

      run_admin (f, PASSWORD_NEW "\n", &r, "user", commands[i], "nobody", NULL);
      assert_failed (&r, 1, "RH-6003");
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto(Result) r = { 0 };

      run_admin (f, NULL, &r, "user", commands[i], NULL);
      assert_failed (&r, 2, "RH-1008");
    }

  {
    g_auto(Result) r = { 0 };
    g_auto(Result) list = { 0 };
    g_auto(Result) again = { 0 };

    admin_ok (f, NULL, &r, "user", "remove", "alice", NULL);
    admin_ok (f, NULL, &list, "user", "list", NULL);
    g_assert_null (strstr (list.out, "alice"));
    run_admin (f, NULL, &again, "user", "remove", "alice", NULL);
    assert_failed (&again, 1, "RH-6003");
  }

  audit = read_audit (f);
  {
    g_autofree char *all = NULL;

    g_ptr_array_add (audit, NULL);
    all = g_strjoinv ("\n", (GStrv) audit->pdata);
    g_test_message ("audit:\n%s", all);
    g_assert_nonnull (strstr (all, "|user.disabled|{\"login\":\"alice\"}"));
    g_assert_nonnull (strstr (all, "|user.enabled|{\"login\":\"alice\"}"));
    g_assert_nonnull (strstr (all, "|user.password-changed|"));
    g_assert_nonnull (strstr (all, "|user.removed|{\"login\":\"alice\"}"));
    g_assert_null (strstr (all, PASSWORD_NEW));
    g_assert_null (strstr (all, "stdin password"));
    g_assert_null (strstr (all, "scrypt"));
  }
}

static void
test_settings (Fixture       *f,
               gconstpointer  user_data)
{
  g_auto(Result) get1 = { 0 };
  g_auto(Result) set = { 0 };
  g_auto(Result) get2 = { 0 };
  g_auto(Result) list = { 0 };
  g_auto(Result) unknown_get = { 0 };
  g_auto(Result) unknown_set = { 0 };
  g_auto(Result) bad_value = { 0 };
  g_auto(Result) missing = { 0 };
  g_autoptr(GPtrArray) audit = NULL;

  admin_ok (f, NULL, &get1, "settings", "get", "remote-help-enabled", NULL);
  g_assert_cmpstr (get1.out, ==, "false\n");
  admin_ok (f, NULL, &set, "settings", "set", "remote-help-enabled", "true", NULL);
  admin_ok (f, NULL, &get2, "settings", "get", "remote-help-enabled", NULL);
  g_assert_cmpstr (get2.out, ==, "true\n");

  admin_ok (f, NULL, &list, "settings", "list", NULL);
  g_assert_cmpstr (list.out, ==,
                   "remote-help-enabled=true\n"
                   "allow-unenrolled-devices=false\n"
                   "chat-disabled=false\n"
                   "session-retention-days=30\n"
                   "audit-retention-days=30\n"
                   "chat-retention-days=90\n");

  run_admin (f, NULL, &unknown_get, "settings", "get", "no-such-setting", NULL);
  assert_failed (&unknown_get, 1, "RH-6001");
  run_admin (f, NULL, &unknown_set, "settings", "set", "no-such-setting", "true", NULL);
  assert_failed (&unknown_set, 1, "RH-6001");
  run_admin (f, NULL, &bad_value, "settings", "set", "chat-disabled", "perhaps", NULL);
  assert_failed (&bad_value, 1, "RH-6002");
  run_admin (f, NULL, &missing, "settings", "set", "chat-disabled", NULL);
  assert_failed (&missing, 2, "RH-1008");

  audit = read_audit (f);
  g_assert_cmpuint (audit->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (audit, 0), "admin-cli:"));
  g_assert_nonnull (strstr (g_ptr_array_index (audit, 0), "|setting.changed|"));
}

static void
test_fingerprints (Fixture       *f,
                   gconstpointer  user_data)
{
  g_auto(Result) org1 = { 0 };
  g_auto(Result) org2 = { 0 };
  g_auto(Result) tls1 = { 0 };
  g_auto(Result) tls2 = { 0 };
  g_autofree char *org = NULL;
  g_autofree char *tls = NULL;

  admin_ok (f, NULL, &org1, "org-key", NULL);
  admin_ok (f, NULL, &org2, "org-key", NULL);
  g_assert_true (g_str_has_suffix (org1.out, "\n"));
  org = g_strchomp (g_strdup (org1.out));
  g_assert_true (is_fingerprint (org));
  g_assert_cmpstr (org1.out, ==, org2.out);

  admin_ok (f, NULL, &tls1, "tls-fingerprint", NULL);
  admin_ok (f, NULL, &tls2, "tls-fingerprint", NULL);
  tls = g_strchomp (g_strdup (tls1.out));
  g_assert_true (is_fingerprint (tls));
  g_assert_cmpstr (tls1.out, ==, tls2.out);
  g_assert_cmpstr (tls, !=, org);

  /* The server presents the same ones. */
  start_server (f);
  g_assert_cmpstr (f->org_key, ==, org);
  g_assert_cmpstr (f->tls_fingerprint, ==, tls);
  stop_server (f);
}

static void
test_server_run (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autofree char *first_org_key = NULL;
  g_autofree char *first_tls = NULL;
  g_autofree char *listen = NULL;

  start_server (f);
  g_assert_cmpint (f->port, >, 0);
  g_assert_cmpint (file_mode (f->data_dir, ""), ==, 0700);
  g_assert_cmpint (file_mode (f->data_dir, "remote-help.db"), ==, 0600);
  g_assert_cmpint (file_mode (f->data_dir, "org-key.pem"), ==, 0600);
  g_assert_cmpint (file_mode (f->data_dir, "tls-key.pem"), ==, 0600);
  first_org_key = g_strdup (f->org_key);
  first_tls = g_strdup (f->tls_fingerprint);

  /* Admin commands work while the server runs. */
  add_alice (f);
  {
    g_auto(Result) r = { 0 };

    admin_ok (f, NULL, &r, "settings", "set", "remote-help-enabled", "yes", NULL);
    g_assert_cmpstr (r.out, ==, "remote-help-enabled=true\n");
  }

  /* A second server on the same port fails, with an RH- code. */
  listen = g_strdup_printf ("127.0.0.1:%d", f->port);
  {
    const char *argv[] = { "--data-dir", f->data_dir, "--listen", listen, NULL };
    g_auto(Result) r = { 0 };

    run_argv (argv, NULL, &r);
    assert_failed (&r, 1, "RH-");
    g_assert_null (strstr (r.out, "listening:"));
  }

  stop_server (f);

  /* Everything survives a restart. */
  start_server (f);
  g_assert_cmpstr (f->org_key, ==, first_org_key);
  g_assert_cmpstr (f->tls_fingerprint, ==, first_tls);
  {
    g_auto(Result) list = { 0 };
    g_auto(Result) get = { 0 };

    admin_ok (f, NULL, &list, "user", "list", NULL);
    g_assert_nonnull (strstr (list.out, "\nalice\tAlice Example\tIT support\tExample Ltd\t"
                                        "example.com\tenabled\tyes\n"));
    admin_ok (f, NULL, &get, "settings", "get", "remote-help-enabled", NULL);
    g_assert_cmpstr (get.out, ==, "true\n");
  }
  stop_server (f);
}

static void
test_usage (Fixture       *f,
            gconstpointer  user_data)
{
  struct
  {
    const char *argv[8];
    const char *code;
    int         exit_status;
  } cases[] = {
    { { "--listen", "127.0.0.1:0", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "--listen", "localhost:8443", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "--listen", "127.0.0.1", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "--listen", "127.0.0.1:65536", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "--listen", "::1:8443", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "--listen", "[127.0.0.1]:8443", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "--tls-cert", "/nonexistent.pem", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "--tls-key", "/nonexistent.pem", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "--code-lifetime", "0", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "--code-lifetime", "86401", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "--token-lifetime", "soon", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "--auth-timeout", "-1", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "--bogus", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "serve", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "admin", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "admin", "frobnicate", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "admin", "user", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "admin", "user", "rename", "a", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "admin", "settings", "get", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "admin", "org-key", "extra", NULL }, "RH-1008", 2 },
    { { "admin", "user", "list", NULL }, "RH-1008", 2 },
    { { "--data-dir", f->data_dir, "--tls-cert", "/nonexistent.pem", "--tls-key",
        "/nonexistent.pem", NULL }, "RH-1001", 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Result) r = { 0 };

      g_test_message ("case %" G_GSIZE_FORMAT, i);
      run_argv (cases[i].argv, NULL, &r);
      assert_failed (&r, cases[i].exit_status, cases[i].code);
      g_assert_cmpstr (r.out, ==, "");
    }

  {
    const char *argv[] = { "--help", NULL };
    g_auto(Result) r = { 0 };

    run_argv (argv, NULL, &r);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_nonnull (strstr (r.out, "--data-dir"));
    g_assert_nonnull (strstr (r.out, "--code-lifetime"));
  }
  {
    g_auto(Result) r = { 0 };

    admin_ok (f, NULL, &r, "help", NULL);
    g_assert_nonnull (strstr (r.out, "user set-password LOGIN"));
  }
}

/* Roles, groups and assignments (issue #5) */

static void
test_roles (Fixture       *f,
            gconstpointer  user_data)
{
  g_auto(Result) r = { 0 };
  g_auto(Result) roles = { 0 };
  g_auto(Result) groups = { 0 };
  g_auto(Result) assignments = { 0 };
  g_auto(Result) bad = { 0 };
  g_auto(Result) csv = { 0 };
  g_auto(Result) json = { 0 };
  g_autoptr(GPtrArray) audit = NULL;
  g_autoptr(JsonNode) parsed = NULL;
  g_autoptr(GError) error = NULL;
  guint n_audit;

  add_alice (f);

  admin_ok (f, NULL, &r, "role", "create", "Viewer", "--permissions", "view-screen",
            "--description", "Looks only", NULL);
  g_assert_cmpstr (r.out, ==, "Created role Viewer.\n");
  result_clear (&r);
  admin_ok (f, NULL, &roles, "role", "list", NULL);
  g_assert_cmpstr (roles.out, ==,
                   "name\tpermissions\tbuilt-in\tdescription\n"
                   "Help Desk Operator\tview-screen,take-full-control,elevation\tyes\t"
                   "View the screen, take full control and use elevation\n"
                   "Viewer\tview-screen\tno\tLooks only\n");

  admin_ok (f, NULL, &r, "group", "create", "Helpers", "--member", "alice", NULL);
  result_clear (&r);
  admin_ok (f, NULL, &r, "group", "create", "Finance", "--description", "Money people", NULL);
  result_clear (&r);
  admin_ok (f, NULL, &r, "assignment", "create", "--role", "viewer", "--helpers", "helpers",
            "--scope", "Finance", NULL);
  g_assert_cmpstr (r.out, ==, "Created assignment 1.\n");
  result_clear (&r);
  admin_ok (f, NULL, &r, "role", "update", "Viewer", "--permissions",
            "view-screen,take-full-control", "--name", "Controller", NULL);
  result_clear (&r);
  admin_ok (f, NULL, &r, "assignment", "update", "1", "--scope-all", NULL);
  result_clear (&r);
  admin_ok (f, NULL, &assignments, "assignment", "list", NULL);
  g_assert_cmpstr (assignments.out, ==, "id\trole\thelpers\tscope\n1\tController\tHelpers\tall-users\n");
  admin_ok (f, NULL, &groups, "group", "list", NULL);
  g_assert_cmpstr (groups.out, ==, "name\tmembers\tdescription\nFinance\t\tMoney people\n"
                                   "Helpers\talice\t\n");

  /* Bad input: each with its code and exit status, nothing written. */
  audit = read_audit (f);
  n_audit = audit->len;
  g_clear_pointer (&audit, g_ptr_array_unref);
  {
    const struct
    {
      const char *args[8];
      int         status;
      const char *code;
    } cases[] = {
      { { "role", "create", "X", "--permissions", "view-screen,reboot" }, 1, "RH-6107" },
      { { "role", "create", "X", "--permissions", "take-full-control" }, 1, "RH-6111" },
      { { "role", "create", "X" }, 2, "RH-1008" },
      { { "role", "create", "controller", "--permissions", "view-screen" }, 1, "RH-6102" },
      { { "role", "create", " X", "--permissions", "view-screen" }, 1, "RH-6106" },
      { { "role", "delete", "Help Desk Operator" }, 1, "RH-6108" },
      { { "role", "delete", "Controller" }, 1, "RH-6109" },
      { { "role", "delete", "Nobody" }, 1, "RH-6101" },
      { { "group", "create", "G", "--member", "mallory" }, 1, "RH-6003" },
      { { "group", "delete", "Helpers" }, 1, "RH-6109" },
      { { "group", "update", "Nobody", "--name", "X" }, 1, "RH-6103" },
      { { "assignment", "create", "--role", "Controller", "--helpers", "Helpers" }, 2,
        "RH-1008" },
      { { "assignment", "create", "--role", "Controller", "--helpers", "Nobody",
          "--scope-all" }, 1, "RH-6103" },
      { { "assignment", "create", "--role", "Nobody", "--helpers", "Helpers", "--scope-all" },
        1, "RH-6101" },
      { { "assignment", "delete", "42" }, 1, "RH-6105" },
      { { "assignment", "delete", "x" }, 2, "RH-1008" },
      { { "sessions", "export", "--format", "xml" }, 2, "RH-1008" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_auto(Result) c = { 0 };

        run_admin (f, NULL, &c, cases[i].args[0], cases[i].args[1], cases[i].args[2],
                   cases[i].args[3], cases[i].args[4], cases[i].args[5], cases[i].args[6],
                   NULL);
        assert_failed (&c, cases[i].status, cases[i].code);
      }
  }
  audit = read_audit (f);
  g_assert_cmpuint (audit->len, ==, n_audit);
  g_clear_pointer (&audit, g_ptr_array_unref);

  /* Exports. */
  admin_ok (f, NULL, &csv, "audit", "export", "--format", "csv", NULL);
  g_assert_true (g_str_has_prefix (csv.out, "id,at,actor,action,detail\r\n"));
  g_assert_nonnull (strstr (csv.out, "\"role.updated\""));
  admin_ok (f, NULL, &json, "audit", "export", "--format", "json", NULL);
  parsed = json_from_string (json.out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (parsed)), ==, n_audit);
  result_clear (&r);
  admin_ok (f, NULL, &r, "sessions", "export", "--format", "csv", NULL);
  g_assert_true (g_str_has_prefix (r.out, "id,helper,sharer,device,"));

  /* Clean-up in order. */
  result_clear (&r);
  admin_ok (f, NULL, &r, "assignment", "delete", "1", NULL);
  result_clear (&r);
  admin_ok (f, NULL, &r, "role", "delete", "controller", NULL);
  result_clear (&r);
  admin_ok (f, NULL, &r, "group", "delete", "Helpers", NULL);
  result_clear (&bad);
  run_admin (f, NULL, &bad, "role", "list", "extra", NULL);
  assert_failed (&bad, 2, "RH-1008");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server-cli/data-dir/created", Fixture, NULL, fixture_setup,
              test_data_dir_created, fixture_teardown);
  g_test_add ("/server-cli/data-dir/refused", Fixture, NULL, fixture_setup,
              test_data_dir_refused, fixture_teardown);
  g_test_add ("/server-cli/user/add-list", Fixture, NULL, fixture_setup,
              test_user_add_list, fixture_teardown);
  g_test_add ("/server-cli/user/add-invalid", Fixture, NULL, fixture_setup,
              test_user_add_invalid, fixture_teardown);
  g_test_add ("/server-cli/user/add-limits", Fixture, NULL, fixture_setup,
              test_user_add_limits, fixture_teardown);
  g_test_add ("/server-cli/user/manage", Fixture, NULL, fixture_setup,
              test_user_manage, fixture_teardown);
  g_test_add ("/server-cli/settings", Fixture, NULL, fixture_setup,
              test_settings, fixture_teardown);
  g_test_add ("/server-cli/fingerprints", Fixture, NULL, fixture_setup,
              test_fingerprints, fixture_teardown);
  g_test_add ("/server-cli/server/run", Fixture, NULL, fixture_setup,
              test_server_run, fixture_teardown);
  g_test_add ("/server-cli/roles", Fixture, NULL, fixture_setup, test_roles,
              fixture_teardown);
  g_test_add ("/server-cli/usage", Fixture, NULL, fixture_setup,
              test_usage, fixture_teardown);

  return g_test_run ();
}
