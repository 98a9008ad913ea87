/* rh-password.c: not written yet */
