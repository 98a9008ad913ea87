/* rh-headless.c: not written yet */
