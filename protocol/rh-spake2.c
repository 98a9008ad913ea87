/* rh-spake2.c: not written yet */
