/* rh-peer-channel.c: not written yet */
