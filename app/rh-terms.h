/* rh-terms.h: the terms of use, and whether this user (or the administrator) accepted them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "rh-config.h"

G_BEGIN_DECLS

/* Raised whenever the text changes in a way users must see again: an acceptance recorded
 * for another version asks again. */
#define RH_TERMS_VERSION 2

/* The terms, translated: what a helper can see and do, what is logged and for how long. */
const char *rh_terms_text     (void);
/* $XDG_CONFIG_HOME/remote-help/terms-accepted (newly allocated). */
char       *rh_terms_path     (void);
/* TRUE when the system policy says acceptTerms=1 (config may be NULL: user acceptance only)
 * or this user accepted RH_TERMS_VERSION. */
gboolean    rh_terms_accepted (RhConfig  *config);
/* Like rh_terms_accepted(), but explains with RH_ERROR_TERMS_NOT_ACCEPTED how to accept. */
gboolean    rh_terms_check    (RhConfig  *config,
                               GError   **error);
/* Records that this user accepted RH_TERMS_VERSION (file mode 0600). */
gboolean    rh_terms_accept   (GError   **error);

G_END_DECLS
