/* rh-settings.c: not written yet */
