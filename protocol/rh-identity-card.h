/* rh-identity-card.h: who is on the other end, signed by the organisation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "rh-org-key.h"
#include "rh-permissions.h"

G_BEGIN_DECLS

/* The server signs a card for each side of a pairing with the organisation key, naming the
 * slot it was issued for. The apps exchange their cards inside the PAKE-keyed channel, so a
 * card only reaches the other side from someone who knows the code, and each app verifies the
 * card against the organisation key it was configured with. */
typedef struct
{
  char   *role;          /* "helper" or "sharer" */
  char   *login;
  char   *display_name;
  char   *job_title;
  char   *company;
  char   *domain;        /* verified: set by the organisation's administrator */
  GBytes *photo;         /* PNG or JPEG, or NULL */
  char   *slot;
  gint64  issued_at;
  gint64  expires_at;
  /* Helper cards signed at pairing time (issue #5) also carry what the helper may do towards
   * this one sharer, and that sharer's login. A card without them grants nothing: the
   * sharer's app then refuses the session. Unknown permission names are ignored, so that a
   * newer server's card never grants more than this app understands. */
  gboolean       has_permissions;
  RhPermissions  permissions;
  char          *sharer;         /* NULL unless has_permissions */
} RhIdentityCard;

#define RH_IDENTITY_CARD_MAX_PHOTO (24 * 1024)
#define RH_IDENTITY_CARD_SKEW      300

RhIdentityCard *rh_identity_card_new    (void);
void            rh_identity_card_free   (RhIdentityCard        *card);
/* The exact bytes that are signed, and the signature over a domain-separated form of them. */
gboolean        rh_identity_card_sign   (const RhIdentityCard  *card,
                                         RhOrgKey              *key,
                                         char                 **out_json,
                                         GBytes               **out_signature,
                                         GError               **error);
/* RH_ERROR_CARD_SIGNATURE if the signature does not verify; RH_ERROR_CARD_INVALID if the card
 * is malformed, for another role or slot, or not valid at `now`. */
RhIdentityCard *rh_identity_card_verify (const char            *json,
                                         GBytes                *signature,
                                         RhOrgKey              *key,
                                         const char            *expected_role,
                                         const char            *expected_slot,
                                         gint64                 now,
                                         GError               **error);
/* A few lines for a terminal: name, title, company, domain. */
char           *rh_identity_card_describe (const RhIdentityCard *card);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhIdentityCard, rh_identity_card_free)

G_END_DECLS
