/* rh-error.c: the RH- error table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <glib/gi18n.h>

#include "rh-error.h"

G_DEFINE_QUARK (rh-protocol-error-quark, rh_protocol_error)
G_DEFINE_QUARK (rh-crypto-error-quark, rh_crypto_error)
G_DEFINE_QUARK (rh-store-error-quark, rh_store_error)
G_DEFINE_QUARK (rh-config-error-quark, rh_config_error)
G_DEFINE_QUARK (rh-rdp-error-quark, rh_rdp_error)

/* README's error table is checked against this one by tests/test-error-table.c. */
static const RhErrorInfo error_table[] = {
  { RH_ERROR_CONFIG_INVALID, N_("Configuration file is invalid"),
    N_("A configuration file could not be read or has a value of the wrong form."),
    N_("Fix the file named in the message (/etc/remote-help/remote-help.conf or ~/.config/remote-help/remote-help.conf).") },
  { RH_ERROR_BAD_SERVER_URL, N_("Server address is invalid"),
    N_("The server URL is missing or is not a wss:// URL."),
    N_("Set server=wss://HOST:PORT in the configuration or pass --server.") },
  { RH_ERROR_BAD_FINGERPRINT, N_("Server fingerprint is invalid"),
    N_("The server certificate fingerprint is not 32 bytes of hexadecimal (colons allowed)."),
    N_("Copy the fingerprint that remote-help-server printed at start-up.") },
  { RH_ERROR_PASSWORD_FILE, N_("Password could not be read"),
    N_("The password file is missing, unreadable or empty."),
    N_("Check the path given to --password-file.") },
  { RH_ERROR_DATA_DIR, N_("Data directory is unusable"),
    N_("The server data directory could not be created, has unsafe permissions, or its key files are damaged."),
    N_("Give the server a directory it owns (mode 0700); restore key files from backup if they were damaged.") },
  { RH_ERROR_TERMS_NOT_ACCEPTED, N_("Terms of use not accepted"),
    N_("Remote Help needs the terms of use to be accepted before first use."),
    N_("Accept the terms in the app (or run: remote-help accept-terms --headless --yes), or have an administrator set acceptTerms=1 in /etc/remote-help/remote-help.conf.") },
  { RH_ERROR_BAD_ORG_KEY, N_("Organisation key fingerprint is invalid"),
    N_("The organisation key fingerprint is missing or is not 32 bytes of hexadecimal."),
    N_("Set org-key= in the configuration or pass --org-key with what 'remote-help-server admin org-key' prints.") },
  { RH_ERROR_USAGE, N_("Invalid command line"),
    N_("An option or argument is missing or malformed."),
    N_("Run the command with --help to see its usage.") },
  { RH_ERROR_NO_TRUST, N_("No way to verify the server"),
    N_("Neither a server certificate fingerprint nor a CA file is configured, and TLS is never used unverified."),
    N_("Set server-fingerprint= or ca-file= in the configuration, or pass --server-fingerprint.") },

  { RH_ERROR_CONNECT_FAILED, N_("Cannot reach the Remote Help service"),
    N_("The connection to the server could not be opened."),
    N_("Check the server address and that remote-help-server is running and reachable.") },
  { RH_ERROR_TLS_VERIFY_FAILED, N_("Server identity could not be verified"),
    N_("The server's TLS certificate does not match the configured fingerprint or CA."),
    N_("Do not continue on this network. Ask your administrator for the right server fingerprint.") },
  { RH_ERROR_CONNECTION_LOST, N_("Connection to the service was lost"),
    N_("The server closed the connection or the network went away."),
    N_("Try again; if it persists, check the network and the server log.") },
  { RH_ERROR_TIMEOUT, N_("The operation timed out"),
    N_("The other side or the server did not answer in time."),
    N_("Try again; check that the other person is still connected.") },

  { RH_ERROR_SIGN_IN_FAILED, N_("Sign-in failed"),
    N_("The user name or password is wrong, or the account does not exist."),
    N_("Check the user name and password; ask your administrator to reset them.") },
  { RH_ERROR_TOKEN_INVALID, N_("Your sign-in has expired"),
    N_("The session token is unknown, expired or was revoked."),
    N_("Sign in again.") },
  { RH_ERROR_ACCOUNT_DISABLED, N_("Account disabled"),
    N_("The administrator disabled this account."),
    N_("Ask your administrator to enable the account.") },
  { RH_ERROR_SERVICE_DISABLED, N_("Remote Help is disabled for your organisation"),
    N_("The setting remote-help-enabled is false."),
    N_("An administrator can enable it: remote-help-server --data-dir DIR admin settings set remote-help-enabled true.") },
  { RH_ERROR_NOT_SIGNED_IN, N_("Not signed in"),
    N_("A request arrived without a valid sign-in."),
    N_("Sign in first.") },
  { RH_ERROR_RATE_LIMITED, N_("Too many attempts or requests"),
    N_("Several attempts from this address failed, or an app sent more chat messages, reports or administrator-tool starts than allowed in a short time, so more are refused for a while."),
    N_("Wait a moment (the time given in the message, if any) before trying again; check the code or password.") },

  { RH_ERROR_CODE_INVALID, N_("Security code not valid"),
    N_("The security code is wrong, expired or was already used."),
    N_("Ask your helper to read the code again, or to get a new one.") },
  { RH_ERROR_CODE_BURNED, N_("Security code blocked"),
    N_("Three attempts with this code failed, so it can no longer be used."),
    N_("The helper must get a new security code.") },
  { RH_ERROR_CODE_FORMAT, N_("Security code has the wrong form"),
    N_("A security code has 9 letters and digits; this one has other characters or another length."),
    N_("Type the code exactly as the helper reads it; spaces, dashes and lower case are fine.") },
  { RH_ERROR_CODE_BUSY, N_("Someone else is using this code"),
    N_("Another attempt with this code is in progress."),
    N_("Wait a moment and try again, or ask the helper for a new code.") },
  { RH_ERROR_KEY_CONFIRMATION, N_("Secure pairing failed"),
    N_("The two apps did not derive the same key: the code was wrong or someone interfered with the connection."),
    N_("Ask the helper for a new code. If it happens again, report it to your IT security team.") },
  { RH_ERROR_CARD_SIGNATURE, N_("Helper identity could not be verified"),
    N_("The identity card is not signed by your organisation's key."),
    N_("Do not continue. Report it to your IT security team.") },
  { RH_ERROR_ORG_KEY_MISMATCH, N_("Organisation key does not match"),
    N_("The service presented an organisation key other than the one this computer is configured with."),
    N_("Do not continue. Check org-key= in the configuration with your administrator.") },
  { RH_ERROR_CARD_INVALID, N_("Identity card is not valid"),
    N_("The identity card is malformed, expired, or issued for another code or person."),
    N_("Do not continue. Ask the helper to get a new code.") },
  { RH_ERROR_PEER_LEFT, N_("The other person left"),
    N_("The other side ended the pairing or lost its connection."),
    N_("Start again with a new security code if help is still needed.") },
  { RH_ERROR_NO_FREE_SLOT, N_("No security code available"),
    N_("The service has too many codes in use right now."),
    N_("Try again in a minute.") },
  { RH_ERROR_CODE_EXPIRED, N_("Security code expired"),
    N_("The security code was not used within its lifetime."),
    N_("Get a new security code.") },
  { RH_ERROR_DENIED, N_("The request was declined"),
    N_("The person sharing the screen declined the session or the requested level of access."),
    N_("Talk to the person; ask again or with view-only access.") },
  { RH_ERROR_CONSENT_TIMEOUT, N_("No answer to the request"),
    N_("The person sharing the screen did not answer within 5 minutes, so the request expired."),
    N_("Call the person and ask again.") },
  { RH_ERROR_CHAT_DISABLED, N_("Chat is turned off"),
    N_("Your organisation turned chat off (setting chat-disabled), so the service refuses chat "
       "messages."),
    N_("Talk on the phone instead, or ask an administrator to set chat-disabled to false.") },
  { RH_ERROR_CHAT_INVALID, N_("Chat message not sent"),
    N_("The message was empty, longer than 4000 characters, or contained control characters."),
    N_("Shorten the message or split it into several, and send it again.") },

  { RH_ERROR_MALFORMED_MESSAGE, N_("Malformed message"),
    N_("A message was not valid JSON or had fields of the wrong type."),
    N_("Use matching versions of Remote Help and the server.") },
  { RH_ERROR_MESSAGE_TOO_LARGE, N_("Message too large"),
    N_("A message exceeded the size limit (64 KiB)."),
    N_("Use matching versions of Remote Help and the server; use a smaller photo.") },
  { RH_ERROR_UNKNOWN_MESSAGE, N_("Unknown message"),
    N_("A message of an unknown type arrived."),
    N_("Use matching versions of Remote Help and the server.") },
  { RH_ERROR_UNEXPECTED_MESSAGE, N_("Unexpected message"),
    N_("A message arrived that does not fit the current state of the exchange."),
    N_("Start again; use matching versions of Remote Help and the server.") },
  { RH_ERROR_PEER_CHANNEL, N_("Secure channel error"),
    N_("A message between the two apps failed decryption or authentication."),
    N_("Start again with a new code; report repeated failures to your IT security team.") },
  { RH_ERROR_INTERNAL, N_("Internal error"),
    N_("The service or app hit an unexpected condition."),
    N_("Try again; if it persists, send the log (--verbose) to your administrator.") },
  { RH_ERROR_CRYPTO, N_("Cryptographic operation failed"),
    N_("A cryptographic operation (key generation, signing, key exchange) failed or got invalid input."),
    N_("Try again; check that OpenSSL 3 is installed correctly.") },

  { RH_ERROR_UNKNOWN_SETTING, N_("Unknown setting"),
    N_("The setting name is not one the server knows."),
    N_("Use one of: remote-help-enabled, allow-unenrolled-devices, chat-disabled.") },
  { RH_ERROR_BAD_SETTING_VALUE, N_("Invalid setting value"),
    N_("The value is not allowed for this setting."),
    N_("Use true or false for these settings.") },
  { RH_ERROR_UNKNOWN_USER, N_("Unknown user"),
    N_("No account with that login exists."),
    N_("Check the login with 'admin user list'.") },
  { RH_ERROR_USER_EXISTS, N_("User already exists"),
    N_("An account with that login exists already."),
    N_("Choose another login or remove the existing account first.") },
  { RH_ERROR_BAD_LOGIN, N_("Invalid login name"),
    N_("Logins are 1-64 characters: letters, digits, '.', '_', '-' and '@'."),
    N_("Choose a login of that form.") },
  { RH_ERROR_FIELD_INVALID, N_("Invalid field"),
    N_("A text field is empty where required, too long (over 128 characters) or not valid UTF-8."),
    N_("Shorten or correct the field named in the message.") },
  { RH_ERROR_PHOTO_INVALID, N_("Invalid photo"),
    N_("The photo is not a PNG or JPEG file, or is larger than 24 KiB."),
    N_("Use a small PNG or JPEG (for example 96x96 pixels).") },
  { RH_ERROR_PASSWORD_INVALID, N_("Invalid password"),
    N_("The new password is shorter than 8 characters or longer than 1024."),
    N_("Choose a password of 8 to 1024 characters.") },
  { RH_ERROR_STORE, N_("Database error"),
    N_("The server's database could not be opened, read or written."),
    N_("Check disk space and permissions of the data directory; the server log has details.") },

  { RH_ERROR_RDP_START, N_("Screen sharing could not start"),
    N_("The built-in RDP server could not be set up (runtime directory, certificate or listening socket)."),
    N_("Check that XDG_RUNTIME_DIR exists and is writable; the log (--verbose) has details.") },
  { RH_ERROR_RDP_NO_DISPLAY, N_("No screen to share"),
    N_("No X11 display could be opened (DISPLAY unset or the X server refused the connection)."),
    N_("Run Remote Help inside your desktop session; Wayland-only sessions are not supported yet.") },
  { RH_ERROR_RDP_CONNECT, N_("Could not connect to the shared screen"),
    N_("The RDP connection to the sharer could not be established."),
    N_("Ask the sharer to try again; check the network and the log (--verbose).") },
  { RH_ERROR_RDP_CERTIFICATE, N_("Shared screen's identity did not match"),
    N_("The sharer's RDP certificate is not the one announced over the encrypted pairing channel."),
    N_("Do not continue. Start a new session; report repeated failures to your IT security team.") },
  { RH_ERROR_RDP_AUTH, N_("Shared screen refused the sign-in"),
    N_("The one-time RDP credentials were not accepted."),
    N_("Start a new session.") },
  { RH_ERROR_RDP_DISCONNECTED, N_("Screen sharing ended"),
    N_("The RDP connection closed or the network went away."),
    N_("Start a new session if help is still needed.") },
  { RH_ERROR_VIEW_ONLY, N_("Input not allowed"),
    N_("This is a view-only session, so keyboard and mouse input are not sent."),
    N_("Ask the sharer for full control.") },
  { RH_ERROR_RELAY, N_("Relay connection failed"),
    N_("The relay through the Remote Help service could not be opened or broke, or a limit was exceeded."),
    N_("Try again; if it persists, check the service's log.") },
  { RH_ERROR_SNAPSHOT, N_("Could not save the screenshot"),
    N_("The screenshot file could not be written."),
    N_("Check the path and free disk space.") },
  /* Roles, groups and assignments (issue #5) */
  { RH_ERROR_UNKNOWN_ROLE, N_("No such role"),
    N_("The role named in the request does not exist."),
    N_("List the roles with 'remote-help-server admin role list' and use one of their names.") },
  { RH_ERROR_ROLE_EXISTS, N_("Role exists already"),
    N_("Another role has this name (names are compared without case)."),
    N_("Choose another name, or update the existing role.") },
  { RH_ERROR_UNKNOWN_GROUP, N_("No such group"),
    N_("A group named in the request does not exist."),
    N_("List the groups with 'remote-help-server admin group list' and use one of their names.") },
  { RH_ERROR_GROUP_EXISTS, N_("Group exists already"),
    N_("Another group has this name (names are compared without case)."),
    N_("Choose another name, or update the existing group.") },
  { RH_ERROR_UNKNOWN_ASSIGNMENT, N_("No such assignment"),
    N_("No role assignment has this number."),
    N_("List the assignments with 'remote-help-server admin assignment list'.") },
  { RH_ERROR_BAD_NAME, N_("Name or description is invalid"),
    N_("A role or group name is empty, longer than 64 characters, has control characters or leading or trailing spaces, or a description is longer than 256 characters."),
    N_("Use a short printable name and a shorter description.") },
  { RH_ERROR_UNKNOWN_PERMISSION, N_("Unknown permission"),
    N_("A permission name is not one of view-screen, take-full-control, elevation."),
    N_("Use only those names, separated by commas.") },
  { RH_ERROR_BUILTIN_ROLE, N_("The built-in role cannot be changed"),
    N_("Help Desk Operator is built in: it cannot be renamed, changed or deleted."),
    N_("Create a custom role with the permissions you want instead.") },
  { RH_ERROR_IN_USE, N_("Still in use"),
    N_("The role or group is used by a role assignment."),
    N_("Delete or change the assignments that use it first (see 'remote-help-server admin assignment list').") },
  { RH_ERROR_BAD_SCOPE, N_("Assignment scope is invalid"),
    N_("An assignment needs a scope: either all users, or one or more groups, not both."),
    N_("Pass --scope-all or one or more --scope GROUP.") },
  { RH_ERROR_BAD_PERMISSIONS, N_("Role permissions are invalid"),
    N_("A role must include view-screen: every session shows the sharer's screen."),
    N_("Add view-screen to the role's permissions.") },
  { RH_ERROR_NOT_ASSIGNED, N_("You are not allowed to help anyone"),
    N_("No role assignment makes this account a helper."),
    N_("Ask your administrator to add you to a helper group that has a role assignment.") },
  { RH_ERROR_OUT_OF_SCOPE, N_("This person is outside your scope"),
    N_("None of the helper's role assignments covers this sharer, so the server refused the pairing."),
    N_("Ask a helper whose scope includes this person, or ask your administrator to extend the scope.") },
  { RH_ERROR_MODE_NOT_PERMITTED, N_("Your role does not allow this"),
    N_("The requested session mode (for example full control) needs a permission the helper's role does not have."),
    N_("Ask for view-only, or ask your administrator for a role with take-full-control.") },

  { RH_ERROR_CONSOLE_SIGN_IN, N_("Console sign-in failed"),
    N_("The login or password is wrong, or the account is disabled."),
    N_("Check the login and password; 'admin user list' shows whether the account is enabled.") },
  { RH_ERROR_CONSOLE_NO_SESSION, N_("Not signed in to the console"),
    N_("The request carried no console session cookie, or the session expired or was signed out."),
    N_("Sign in to the admin console again.") },
  { RH_ERROR_CONSOLE_NOT_ADMIN, N_("Not an administrator"),
    N_("The account is valid but does not have the admin flag, so the console refuses it."),
    N_("Ask an administrator to run 'admin user add … --admin' for an administrator account.") },
  { RH_ERROR_CONSOLE_CSRF, N_("Request not confirmed by the console"),
    N_("A request that changes something lacked the console's X-CSRF-Token header or carried a wrong one."),
    N_("Reload the console page and try again; other sites cannot make changes on your behalf.") },
  { RH_ERROR_CONSOLE_BAD_REQUEST, N_("Malformed console request"),
    N_("The request body is not a JSON object of the expected shape, or its Content-Type is not application/json."),
    N_("Send a JSON object with Content-Type: application/json, as the console does.") },
  { RH_ERROR_CONSOLE_TOO_LARGE, N_("Console request too large"),
    N_("The request body is over 16 KiB, or its size was not announced with Content-Length."),
    N_("Send a smaller request with a Content-Length header.") },
  { RH_ERROR_CONSOLE_INVALID_VALUE, N_("Invalid value"),
    N_("A field of the request is missing, of the wrong type, too long or out of range."),
    N_("Correct the field named in the message.") },
  { RH_ERROR_CONSOLE_NOT_FOUND, N_("No such console page or API"),
    N_("The path or method is not one the console serves."),
    N_("Check the address; the API is under /api/.") },
  { RH_ERROR_CONSOLE_RATE_LIMITED, N_("Too many console sign-in failures"),
    N_("Sign-in from this address failed too often and is blocked for a while."),
    N_("Wait for the time given in the message, then sign in with the right password.") },
  { RH_ERROR_CONSOLE_ASSETS, N_("Console files missing"),
    N_("The server cannot find the admin console's HTML, CSS and JavaScript files."),
    N_("Reinstall the package, or point --console-dir (or RH_CONSOLE_DIR) at data/console.") },
  /* Issue #6 cores: elevation, laser pointer, authentication prompts */
  { RH_ERROR_ELEVATED_TOOLS_INVALID, N_("Administrator tool list is invalid"),
    N_("An elevated-tools entry is not Name=/absolute/path [arguments], a name is repeated, or the list is too long."),
    N_("Fix elevated-tools= in the [remote-help] group: entries separated by ';', each Name=/absolute/program args (no shell is used).") },
  { RH_ERROR_AUTH_PROMPT_CLASSES_INVALID, N_("Authentication prompt list is invalid"),
    N_("An auth-prompt-classes entry is empty, too long or has characters a window class cannot have."),
    N_("Fix auth-prompt-classes= in the [remote-help] group: window classes separated by ';'.") },
  { RH_ERROR_ELEVATED_END_INVALID, N_("End-of-elevation policy is invalid"),
    N_("elevated-session-end has a value other than sign-out or lock."),
    N_("Set elevated-session-end=sign-out or elevated-session-end=lock.") },
  { RH_ERROR_OVERLAY, N_("Laser pointer could not be shown"),
    N_("The overlay window could not be created on the shared display, or the shared area is invalid."),
    N_("Check that the display is reachable; the session goes on without the laser pointer.") },
  { RH_ERROR_ELEVATED_TOOL_START, N_("Administrator tool could not be started"),
    N_("The tool is not in the menu, its program is missing, or pkexec could not be started."),
    N_("Check that pkexec (package pkexec or policykit-1) and the tool's program are installed.") },
  { RH_ERROR_ELEVATION_NOT_GRANTED, N_("Administrator access was not granted"),
    N_("An elevated tool was requested before the sharer allowed administrator access, or after it ended."),
    N_("Ask the sharer to allow administrator access first.") },
  { RH_ERROR_ELEVATION_CLEANUP, N_("Clean-up after administrator access was incomplete"),
    N_("A step of the end of elevation (ending tools, revoking authorisations, clearing sudo, signing out or locking) failed."),
    N_("Sign out of the computer by hand; the session record names the step that failed.") },
  { RH_ERROR_AUTH_PROMPT_WATCH, N_("Authentication prompts cannot be watched"),
    N_("The shared display could not be opened to look for system authentication prompts."),
    N_("Check that the display is reachable and restart the session.") },
  { RH_ERROR_ELEVATION_DENIED, N_("Administrator access was denied"),
    N_("The person declined or did not answer within 5 minutes, the session is not in full control, or the helper's role does not include elevation."),
    N_("Take full control first, check the role's permissions, and ask the person to press Allow.") },

  { RH_ERROR_ELEVATION_NEEDS_CONTROL, N_("Administrator access needs full control"),
    N_("Administrator access was asked for or granted while the session was not in full control (view-only, or before the sharer consented)."),
    N_("Ask for full control first; once the sharer allowed it, ask for administrator access.") },
  { RH_ERROR_ELEVATION_NO_GRANT, N_("Administrator access was not granted"),
    N_("The sharer's app reported an administrator tool or the end of administrator access in a pairing where administrator access was never granted."),
    N_("Report a bug against the sharer's app: it must report the grant first.") },

  /* Authentication-prompt guard in sessions (7211-7215) */
  { RH_ERROR_AUTH_PROMPT_GUARD, N_("Screen sharing refused: password prompts could not be hidden"),
    N_("The shared display could not be watched for system authentication prompts, so the "
       "helper might have seen a password being typed; the session was not started."),
    N_("Check that the display is reachable and start the session again.") },

  /* Issue #6: monitor selection */
  { RH_ERROR_MONITOR_INVALID, N_("No such monitor"),
    N_("The monitor asked for is not a number between 1 and the number of the sharer's monitors (or all), or the sharer's monitors changed meanwhile."),
    N_("Pick one of the monitors the session lists, or all monitors.") },
  { RH_ERROR_MONITOR_UNSUPPORTED, N_("This screen capture cannot change monitors"),
    N_("The sharer uses FreeRDP's stock screen capture (capture=stock, or ours could not run on the display), which picks the monitor it shares when it starts and cannot change it."),
    N_("Set capture=builtin on the sharer's computer to choose monitors during a session.") },
  { RH_ERROR_MONITOR_LIST, N_("The monitors could not be listed"),
    N_("The shared X11 display could not be opened to read its monitors (RandR or Xinerama)."),
    N_("Check that the display is reachable; all monitors are shared meanwhile.") },
};

const RhErrorInfo *
rh_error_info_table (gsize *n_entries)
{
  *n_entries = G_N_ELEMENTS (error_table);
  return error_table;
}

const RhErrorInfo *
rh_error_info_lookup (int code)
{
  for (gsize i = 0; i < G_N_ELEMENTS (error_table); i++)
    if ((int) error_table[i].code == code)
      return &error_table[i];
  return NULL;
}

gboolean
rh_error_is_rh (const GError *error)
{
  return error != NULL &&
         (error->domain == RH_PROTOCOL_ERROR || error->domain == RH_CRYPTO_ERROR ||
          error->domain == RH_STORE_ERROR || error->domain == RH_CONFIG_ERROR ||
          error->domain == RH_RDP_ERROR) &&
         rh_error_info_lookup (error->code) != NULL;
}

/* What a user sees: "RH-4001: Security code not valid: <detail>". Errors from outside our
 * domains (GIO, GLib) are presented as internal errors so that every message has a code. */
char *
rh_error_format (const GError *error)
{
  const RhErrorInfo *info;
  int code;

  g_return_val_if_fail (error != NULL, NULL);

  code = rh_error_is_rh (error) ? error->code : RH_ERROR_INTERNAL;
  info = rh_error_info_lookup (code);
  return g_strdup_printf ("RH-%04d: %s: %s", code, _(info->summary), error->message);
}
