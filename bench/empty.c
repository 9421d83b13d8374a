/* empty.c: a program that does nothing, linked with libc only: the start-up every process pays, against which
 * the discovery benchmark shows what apmatrix's own start-up (GLib, its code, the locale) costs on top. */
int
main(void)
{
    return 0;
}
