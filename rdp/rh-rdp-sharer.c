/* rh-rdp-sharer.c: not written yet */
