/* rh-ws-echo-server.c: not written yet */
int main (void) { return 77; }
