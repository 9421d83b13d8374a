/* test-byteorder.c: every place where apmatrix meets memory as words or bytes, with the layout asserted, so that a
 * byte-order mistake fails here on s390x (big-endian) as well as on x86_64: AP masks (64-bit words whose bits
 * the kernel prints left to right), UUIDs (16 bytes in text order), APQN indexes (adapter in the high byte), the
 * s390-tools lock file's PID (decimal text) and inotify records (the kernel's struct in this machine's order). */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "apm-apqn.h"
#include "apm-lockfile.h"
#include "apm-mask.h"
#include "apm-test.h"
#include "apm-uuid.h"

/* the bytes of a 64-bit word as this machine stores it, most significant first whatever the machine */
static void
word_bytes_msb_first(guint64 w, guint8 out[8])
{
    guint64 be = GUINT64_TO_BE(w);

    memcpy(out, &be, 8);
}

static void
test_mask_words(void)
{
    ApmMask m;
    guint8 b[8];
    char hex[APM_MASK_HEX_LEN + 1];

    /* ID 0 is the most significant bit of word 0: the kernel's leftmost bit */
    apm_mask_clear_all(&m);
    apm_mask_set(&m, 0);
    g_assert_cmphex(m.w[0], ==, G_GUINT64_CONSTANT(0x8000000000000000));
    g_assert_cmphex(m.w[1] | m.w[2] | m.w[3], ==, 0);
    word_bytes_msb_first(m.w[0], b);
    g_assert_cmphex(b[0], ==, 0x80);
    g_assert_cmpstr(apm_mask_format_hex(&m, hex), ==,
                    "0x8000000000000000000000000000000000000000000000000000000000000000");

    /* 63 is the least significant bit of word 0, 64 the most significant of word 1, 255 the last of word 3 */
    apm_mask_clear_all(&m);
    apm_mask_set(&m, 63);
    apm_mask_set(&m, 64);
    apm_mask_set(&m, 255);
    g_assert_cmphex(m.w[0], ==, 1);
    g_assert_cmphex(m.w[1], ==, G_GUINT64_CONSTANT(0x8000000000000000));
    g_assert_cmphex(m.w[2], ==, 0);
    g_assert_cmphex(m.w[3], ==, 1);
    g_assert_cmpstr(apm_mask_format_hex(&m, hex), ==,
                    "0x0000000000000001800000000000000000000000000000000000000000000001");

    /* the kernel's text back into words: "0x0123..." fills from the left, nibble by nibble */
    g_assert_cmpint(apm_mask_parse_hex("0x0123456789abcdef fedcba9876543210", &m), ==, -EINVAL);
    g_assert_cmpint(apm_mask_parse_hex("0x0123456789abcdeffedcba9876543210", &m), ==, 0);
    g_assert_cmphex(m.w[0], ==, G_GUINT64_CONSTANT(0x0123456789abcdef));
    g_assert_cmphex(m.w[1], ==, G_GUINT64_CONSTANT(0xfedcba9876543210));
    g_assert_cmphex(m.w[2] | m.w[3], ==, 0);
    word_bytes_msb_first(m.w[0], b);
    g_assert_cmphex(b[0], ==, 0x01);
    g_assert_cmphex(b[7], ==, 0xef);
    /* ID 7 is bit 0x01 of the first byte: 0x01 = 0000 0001 */
    g_assert_true(apm_mask_test(&m, 7));
    g_assert_false(apm_mask_test(&m, 0));
    g_assert_cmpint(apm_mask_next(&m, 0), ==, 7);
    g_assert_cmpint(apm_mask_last(&m), ==, 123); /* "...3210": the 1 of "10" is ID 64 + 59 */

    /* ranges across a word boundary */
    apm_mask_clear_all(&m);
    apm_mask_set_range(&m, 60, 67);
    g_assert_cmphex(m.w[0], ==, 0xf);
    g_assert_cmphex(m.w[1], ==, G_GUINT64_CONSTANT(0xf000000000000000));
    g_assert_cmpuint(apm_mask_count(&m), ==, 8);
}

static void
test_uuid_bytes(void)
{
    ApmUuid u;
    char buf[APM_UUID_TEXT_LEN + 1];

    /* the 16 bytes in the order the text gives them (RFC 4122's network order, as the kernel's guid_parse keeps
     * them), not as integers of this machine */
    g_assert_true(apm_uuid_parse("00112233-4455-6677-8899-aabbccddeeff", &u));
    for (guint i = 0; i < 16; i++)
        g_assert_cmphex(u.bytes[i], ==, i * 0x11);
    for (guint i = 0; i < 16; i++)
        u.bytes[i] = (guint8) (0xf0 - i);
    g_assert_cmpstr(apm_uuid_format(&u, buf), ==, "f0efeeed-eceb-eae9-e8e7-e6e5e4e3e2e1");
    /* a generated UUID is version 4, variant 1: the version nibble is the high half of byte 6 */
    apm_uuid_generate(&u);
    g_assert_cmphex(u.bytes[6] >> 4, ==, 4);
    g_assert_cmphex(u.bytes[8] >> 6, ==, 2);
    apm_uuid_format(&u, buf);
    g_assert_cmpint(buf[14], ==, '4');
}

static void
test_apqn_index(void)
{
    ApmApqn a = { .adapter = 0x05, .domain = 0x47 };
    ApmApqn b = { .adapter = 0x06, .domain = 0x00 };
    guint indexes[] = { apm_apqn_index(a), apm_apqn_index((ApmApqn) { 0x05, 0x48 }),
                        apm_apqn_index((ApmApqn) { 0x05, 0x49 }), apm_apqn_index(b) };
    g_autofree char *ranges = NULL;

    /* the adapter is the high byte: ascending indexes are adapter-major, as the kernel lists APQNs */
    g_assert_cmphex(apm_apqn_index(a), ==, 0x0547);
    g_assert_cmphex(apm_apqn_index((ApmApqn) { 0xff, 0xff }), ==, 0xffff);
    g_assert_cmpuint(apm_apqn_index(b), >, apm_apqn_index((ApmApqn) { 0x05, 0xff }));
    ranges = apm_apqn_format_ranges(indexes, G_N_ELEMENTS(indexes));
    g_assert_cmpstr(ranges, ==, "05.0047-05.0049, 06.0000");
}

static void
test_lockfile_pid_text(void)
{
    g_autofree char *dir = g_dir_make_tmp("apm-byteorder-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "s390apconfig.lock", NULL);
    g_autofree char *content = NULL;
    g_autoptr(GError) error = NULL;
    ApmLockfile *lock;
    pid_t owner = 0;
    gint64 age = 0;
    gsize len;

    /* a PID whose four bytes differ, so that a binary write in either order would show */
    lock = apm_lockfile_acquire(path, (pid_t) 0x01020304, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(path, &content, &len, NULL));
    g_assert_cmpstr(content, ==, "16909060\n"); /* decimal text and a newline, as s390-tools writes it */
    g_assert_true(apm_lockfile_peek_owner(path, &owner, &age, &error));
    g_assert_cmpint(owner, ==, 0x01020304);
    apm_lockfile_free(lock);
    g_unlink(path);

    /* what s390-tools wrote is read as text too */
    g_assert_true(g_file_set_contents(path, "4660\n", -1, NULL));
    g_assert_true(apm_lockfile_peek_owner(path, &owner, &age, &error));
    g_assert_no_error(error);
    g_assert_cmpint(owner, ==, 0x1234);
    g_unlink(path);
    g_rmdir(dir);
}

/* one record as the kernel lays it out: the header in this machine's byte order, then len bytes of name */
static gsize
put_record(char *buf, gsize at, int wd, guint32 mask, const char *name, guint32 len)
{
    struct inotify_event ev = { .wd = wd, .mask = mask, .cookie = 0, .len = len };

    memcpy(buf + at, &ev, sizeof(ev));
    memset(buf + at + sizeof(ev), 0, len);
    if (name)
        memcpy(buf + at + sizeof(ev), name, strlen(name));
    return at + sizeof(ev) + len;
}

static void
test_inotify_records(void)
{
    char buf[256] __attribute__((aligned(__alignof__(struct inotify_event))));
    gsize n = 0;
    guint32 len_field;

    /* the layout the kernel writes: wd, mask, cookie, len, then the name */
    g_assert_cmpuint(offsetof(struct inotify_event, wd), ==, 0);
    g_assert_cmpuint(offsetof(struct inotify_event, mask), ==, 4);
    g_assert_cmpuint(offsetof(struct inotify_event, cookie), ==, 8);
    g_assert_cmpuint(offsetof(struct inotify_event, len), ==, 12);
    g_assert_cmpuint(sizeof(struct inotify_event), ==, 16);

    n = put_record(buf, n, 1, IN_DELETE, "other.lock", 16);
    n = put_record(buf, n, 1, IN_MOVED_FROM, "s390apconfig.lock", 32);
    /* the len field of the first record, read as bytes: in this machine's order */
    memcpy(&len_field, buf + 12, 4);
    g_assert_cmpuint(len_field, ==, 16);
    g_assert_true(apm_inotify_records_name(buf, n, "s390apconfig.lock"));
    g_assert_false(apm_inotify_records_name(buf, n, "s390apconfig"));
    /* only the first record */
    g_assert_false(apm_inotify_records_name(buf, 32, "s390apconfig.lock"));
    /* a cut record is not read past its end */
    g_assert_false(apm_inotify_records_name(buf, n - 1, "s390apconfig.lock"));
    /* a name that fills len without a NUL is not taken */
    n = put_record(buf, 0, 1, IN_DELETE, "0123456789abcdef", 16);
    g_assert_false(apm_inotify_records_name(buf, n, "0123456789abcdef"));

    /* and the real kernel (or qemu-user translating for it): a file removed in a watched folder */
    {
        g_autofree char *dir = g_dir_make_tmp("apm-inotify-XXXXXX", NULL);
        g_autofree char *path = g_build_filename(dir, "s390apconfig.lock", NULL);
        char real[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        int fd = inotify_init1(IN_CLOEXEC);
        ssize_t got;

        g_assert_cmpint(fd, >=, 0);
        g_assert_true(g_file_set_contents(path, "1\n", -1, NULL));
        g_assert_cmpint(inotify_add_watch(fd, dir, IN_DELETE | IN_MOVED_FROM), >=, 0);
        g_assert_cmpint(g_unlink(path), ==, 0);
        got = read(fd, real, sizeof(real));
        g_assert_cmpint(got, >=, (gssize) sizeof(struct inotify_event));
        g_assert_true(apm_inotify_records_name(real, (gsize) got, "s390apconfig.lock"));
        close(fd);
        g_rmdir(dir);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/byteorder/mask-bits-in-words-and-kernel-text", test_mask_words);
    g_test_add_func("/byteorder/uuid-bytes-in-text-order", test_uuid_bytes);
    g_test_add_func("/byteorder/apqn-index-adapter-high", test_apqn_index);
    g_test_add_func("/byteorder/lockfile-pid-as-decimal-text", test_lockfile_pid_text);
    g_test_add_func("/byteorder/inotify-records", test_inotify_records);
    return g_test_run();
}
