/* rh-message.c: not written yet */
