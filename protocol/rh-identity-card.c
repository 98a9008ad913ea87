/* rh-identity-card.c: not written yet */
