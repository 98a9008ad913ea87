/* rh-rdp-viewer.c: not written yet */
