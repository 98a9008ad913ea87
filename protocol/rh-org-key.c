/* rh-org-key.c: not written yet */
