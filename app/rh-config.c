/* rh-config.c: not written yet */
