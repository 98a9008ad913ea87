/* rh-pairing-code.c: not written yet */
