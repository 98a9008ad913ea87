/* test-terms.c: who has accepted the terms of use, and the headless CLI's refusal until then
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "rh-config.h"
#include "rh-elevation.h"
#include "rh-error.h"
#include "rh-terms.h"

/* Every test runs with its own empty XDG_CONFIG_HOME (G_TEST_OPTION_ISOLATE_DIRS). */

static void
write_file (const char *path,
            const char *contents)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* Loads a system policy with these lines and says whether the terms count as accepted. */
static gboolean
accepted_with_system_policy (const char *lines)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "system.conf", NULL);
  g_autofree char *contents = g_strconcat ("[remote-help]\n", lines, "\n", NULL);
  g_autoptr(RhConfig) config = rh_config_new ();
  g_autoptr(GError) error = NULL;

  write_file (path, contents);
  g_assert_true (rh_config_load_file (config, path, TRUE, &error));
  g_assert_no_error (error);
  return rh_terms_accepted (config);
}

static void
test_system_policy (void)
{
  g_assert_true (accepted_with_system_policy ("acceptTerms=1"));
  g_assert_true (accepted_with_system_policy ("acceptTerms = 1"));
}

static void
test_system_policy_wrong (void)
{
  /* The key is case-sensitive and the value is exactly 1. */
  g_assert_false (accepted_with_system_policy ("accepterms=1"));
  g_assert_false (accepted_with_system_policy ("AcceptTerms=1"));
  g_assert_false (accepted_with_system_policy ("ACCEPTTERMS=1"));
  g_assert_false (accepted_with_system_policy ("acceptTerms=true"));
  g_assert_false (accepted_with_system_policy ("acceptTerms=yes"));
  g_assert_false (accepted_with_system_policy ("acceptTerms = 0"));
  g_assert_false (accepted_with_system_policy ("acceptTerms=01"));
  g_assert_false (accepted_with_system_policy ("acceptTerms="));
  g_assert_false (accepted_with_system_policy ("# acceptTerms=1"));
  g_assert_false (accepted_with_system_policy (""));
}

static void
test_user_file_does_not_count (void)
{
  g_autofree char *user = g_build_filename (g_get_user_config_dir (), "remote-help",
                                            "remote-help.conf", NULL);
  g_autoptr(RhConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  /* Only an administrator's policy accepts for everyone; a user's own file cannot. */
  write_file (user, "[remote-help]\nacceptTerms=1\n");
  g_setenv ("RH_SYSTEM_CONFIG", "/nonexistent/remote-help.conf", TRUE);
  config = rh_config_load (&error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_false (config->accept_terms);
  g_assert_false (rh_terms_accepted (config));
  g_assert_false (rh_terms_accepted (NULL));
}

static void
test_accept (void)
{
  g_autofree char *path = rh_terms_path ();
  g_autoptr(RhConfig) config = rh_config_new ();
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_assert_true (g_str_has_prefix (path, g_get_user_config_dir ()));
  g_assert_true (g_str_has_suffix (path, "/remote-help/terms-accepted"));
  g_assert_false (rh_terms_accepted (config));
  g_assert_false (rh_terms_check (config, &error));
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_TERMS_NOT_ACCEPTED);
  g_assert_nonnull (strstr (error->message, "remote-help accept-terms --headless"));
  g_clear_error (&error);

  g_assert_true (rh_terms_accept (&error));
  g_assert_no_error (error);
  g_assert_true (rh_terms_accepted (config));
  g_assert_true (rh_terms_accepted (NULL));
  g_assert_true (rh_terms_check (config, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);

  /* Accepting again (for example after a new version) is fine and keeps the mode. */
  g_assert_true (rh_terms_accept (&error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
}

static void
test_other_version (void)
{
  g_autofree char *path = rh_terms_path ();
  g_autofree char *older = g_strdup_printf ("[terms]\nversion=%d\n", RH_TERMS_VERSION - 1);
  g_autofree char *newer = g_strdup_printf ("[terms]\nversion=%d\n", RH_TERMS_VERSION + 1);
  g_autofree char *current = g_strdup_printf ("[terms]\nversion=%d\n", RH_TERMS_VERSION);

  write_file (path, older);
  g_assert_false (rh_terms_accepted (NULL));
  write_file (path, newer);
  g_assert_false (rh_terms_accepted (NULL));
  write_file (path, "[terms]\nversion=one\n");
  g_assert_false (rh_terms_accepted (NULL));
  write_file (path, "garbage");
  g_assert_false (rh_terms_accepted (NULL));
  write_file (path, current);
  g_assert_true (rh_terms_accepted (NULL));
}

static void
test_text (void)
{
  const char *text = rh_terms_text ();

  /* What the helper can see and do, and what is kept for how long. */
  g_assert_nonnull (strstr (text, "view-only"));
  g_assert_nonnull (strstr (text, "full control"));
  g_assert_nonnull (strstr (text, "30 days"));
  g_assert_nonnull (strstr (text, "90 days"));
}

/* Runs the real remote-help binary; returns its exit status. */
static int
run_client (char       **out_stdout,
            char       **out_stderr,
            const char  *first,
            ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (char *) g_getenv ("RH_CLIENT_BIN"));
  g_ptr_array_add (argv, (char *) first);
  va_start (ap, first);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "RH_SYSTEM_CONFIG", "/nonexistent/remote-help.conf",
                                TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  /* The isolated directories of this test case, which GLib does not export by itself. */
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", g_get_user_runtime_dir (), TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, out_stdout, out_stderr, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_test_message ("%s: exit %d, stderr: %s", first, g_subprocess_get_exit_status (proc),
                  out_stderr ? *out_stderr : "(not read)");
  return g_subprocess_get_exit_status (proc);
}

#define FAKE_FP "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"

static int
run_give_help (char **out_stderr)
{
  g_autofree char *pw = g_build_filename (g_get_user_config_dir (), "pw", NULL);

  write_file (pw, "not-a-real-password\n");
  /* Port 1 on loopback refuses at once: with the terms accepted this fails later, at
   * connecting, which is how the test tells the two apart. */
  return run_client (NULL, out_stderr, "give-help", "--headless",
                     "--server", "wss://127.0.0.1:1/", "--server-fingerprint", FAKE_FP,
                     "--org-key", FAKE_FP, "--user", "helen", "--password-file", pw, NULL);
}

static void
test_cli (void)
{
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autofree char *path = rh_terms_path ();

  /* meson test sets it; without it this test cannot say anything. */
  g_assert_nonnull (g_getenv ("RH_CLIENT_BIN"));

  /* Refused, with the code and the way out. */
  g_assert_cmpint (run_give_help (&err), ==, 1);
  g_assert_nonnull (strstr (err, "RH-1006"));
  g_assert_nonnull (strstr (err, "remote-help accept-terms --headless"));
  g_clear_pointer (&err, g_free);

  /* Without --yes: the terms are shown, nothing is recorded. */
  g_assert_cmpint (run_client (&out, &err, "accept-terms", "--headless", NULL), !=, 0);
  g_assert_nonnull (strstr (out, "30 days"));
  g_assert_nonnull (strstr (err, "--yes"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_give_help (&err), ==, 1);
  g_assert_nonnull (strstr (err, "RH-1006"));
  g_clear_pointer (&err, g_free);

  /* With --yes: shown, recorded, exit 0. */
  g_assert_cmpint (run_client (&out, &err, "accept-terms", "--headless", "--yes", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "90 days"));
  g_assert_nonnull (strstr (out, "terms-accepted:"));
  g_assert_true (rh_terms_accepted (NULL));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Now give-help goes on, and fails only because nothing listens on port 1. */
  g_assert_cmpint (run_give_help (&err), ==, 1);
  g_assert_null (strstr (err, "RH-1006"));
  g_assert_nonnull (strstr (err, "RH-2001"));
}

/* Administrator access is configured by the system policy only; a user's own file can add
 * prompt classes to mask but cannot name a program to run as root or soften the sign-out. */
static void
test_elevation_policy (void)
{
  g_autofree char *system = g_build_filename (g_get_user_config_dir (), "system.conf", NULL);
  g_autofree char *user = g_build_filename (g_get_user_config_dir (), "user.conf", NULL);
  g_autoptr(RhConfig) config = rh_config_new ();
  g_autoptr(RhConfig) bad = rh_config_new ();
  g_autoptr(GError) error = NULL;
  RhElevatedTool *tool;

  g_assert_cmpuint (config->elevated_tools->len, ==, 0);
  g_assert_cmpint (config->elevated_end, ==, RH_ELEVATED_END_SIGN_OUT);
  write_file (system, "[remote-help]\nelevated-tools=Disks=/usr/bin/gnome-disks\n"
                      "elevated-session-end=lock\nauth-prompt-classes=Corp-Agent\n");
  write_file (user, "[remote-help]\nelevated-tools=Evil=/home/u/evil\n"
                    "elevated-session-end=sign-out\nauth-prompt-classes=title=Unlock\n");
  g_assert_true (rh_config_load_file (config, system, TRUE, &error));
  g_assert_no_error (error);
  g_test_expect_message ("rh-app", G_LOG_LEVEL_WARNING, "*elevated-tools= is ignored*");
  g_test_expect_message ("rh-app", G_LOG_LEVEL_WARNING, "*elevated-session-end= is ignored*");
  g_assert_true (rh_config_load_file (config, user, FALSE, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (config->elevated_tools->len, ==, 1);
  tool = g_ptr_array_index (config->elevated_tools, 0);
  g_assert_cmpstr (tool->name, ==, "Disks");
  g_assert_cmpstr (tool->argv[0], ==, "/usr/bin/gnome-disks");
  g_assert_cmpint (config->elevated_end, ==, RH_ELEVATED_END_LOCK);
  g_assert_cmpuint (g_strv_length (config->auth_prompt_classes), ==, 2);
  g_assert_true (g_strv_contains ((const char * const *) config->auth_prompt_classes,
                                  "Corp-Agent"));

  /* A relative program, or an unknown end action, is refused with its own code. */
  write_file (system, "[remote-help]\nelevated-tools=Disks=gnome-disks\n");
  g_assert_false (rh_config_load_file (bad, system, TRUE, &error));
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOLS_INVALID);
  g_clear_error (&error);
  write_file (system, "[remote-help]\nelevated-session-end=nothing\n");
  g_assert_false (rh_config_load_file (bad, system, TRUE, &error));
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_END_INVALID);
  g_assert_cmpint (bad->elevated_end, ==, RH_ELEVATED_END_SIGN_OUT);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/terms/system-policy", test_system_policy);
  g_test_add_func ("/terms/system-policy-wrong", test_system_policy_wrong);
  g_test_add_func ("/terms/user-file-does-not-count", test_user_file_does_not_count);
  g_test_add_func ("/terms/accept", test_accept);
  g_test_add_func ("/terms/other-version", test_other_version);
  g_test_add_func ("/terms/text", test_text);
  g_test_add_func ("/terms/cli", test_cli);
  g_test_add_func ("/terms/elevation-policy", test_elevation_policy);
  return g_test_run ();
}
