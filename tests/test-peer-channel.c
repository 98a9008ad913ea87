/* test-peer-channel.c: not written yet */
int main (void) { return 77; }
