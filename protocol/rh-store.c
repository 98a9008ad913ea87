/* rh-store.c: not written yet */
