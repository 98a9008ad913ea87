/* rh-identity-card-view.h: who is on the other end, as the organisation vouches for them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "rh-identity-card.h"

G_BEGIN_DECLS

#define RH_TYPE_IDENTITY_CARD_VIEW (rh_identity_card_view_get_type ())
G_DECLARE_FINAL_TYPE (RhIdentityCardView, rh_identity_card_view, RH, IDENTITY_CARD_VIEW, GtkBox)

/* Shows the card (NULL clears it); verified adds the "Verified by your organisation" mark. */
void rh_identity_card_view_set_card (RhIdentityCardView   *self,
                                     const RhIdentityCard *card,
                                     gboolean              verified);

G_END_DECLS
