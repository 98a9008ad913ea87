/* rh-log.c: not written yet */
