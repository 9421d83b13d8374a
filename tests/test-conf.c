/* test-conf.c: node-device XML and mdevctl JSON */
#include "config.h"
#include "apm-test-paths.h"

#include "apm-error.h"
#include "apm-mdevctl.h"
#include "apm-nodedev.h"
#include "apm-test.h"
#include "apm-hostdev.h"
#include "apm-xmldoc.h"

static const char *golden[] = { "ap_card01.xml", "ap_01_0002.xml", "ap_matrix.xml", "mdev-active.xml" };

static void
test_golden_round_trip(gconstpointer data)
{
    const char *file = data;
    g_autofree char *path = g_build_filename(APM_SOURCE_DIR, "tests", "data", "nodedev", file, NULL);
    g_autofree char *xml = NULL, *out = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmNodeDevDef) def = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(path, &xml, &len, NULL));
    def = apm_nodedev_def_parse(xml, len, NULL, FALSE, &error);
    g_assert_no_error(error);
    out = apm_nodedev_def_format(def);
    g_assert_cmpstr(out, ==, xml);
}

static void
test_names(void)
{
    ApmUuid uuid;
    g_autofree char *card = apm_nodedev_card_name(5), *queue = apm_nodedev_queue_name(5, 0x47), *mdev = NULL;

    g_assert_true(apm_uuid_parse("4B2D5F1E-3C4E-4F70-9BAC-1D2E3F4A5B6C", &uuid));
    mdev = apm_nodedev_mdev_name(&uuid);
    g_assert_cmpstr(card, ==, "ap_card05");
    g_assert_cmpstr(queue, ==, "ap_05_0047");
    g_assert_cmpstr(mdev, ==, "mdev_4b2d5f1e_3c4e_4f70_9bac_1d2e3f4a5b6c_matrix");
}

static void
test_define_input_form(void)
{
    const char *xml = "<device>\n  <parent>ap_matrix</parent>\n  <capability type='mdev'>\n"
                      "    <type id='vfio_ap-passthrough'/>\n"
                      "    <uuid>4b2d5f1e-3c4e-4f70-9bac-1d2e3f4a5b6c</uuid>\n"
                      "    <attr name='assign_adapter' value='5'/>\n"
                      "    <attr name='assign_domain' value='0x47'/>\n"
                      "    <attr name='assign_domain' value='0x48'/>\n"
                      "    <attr name='assign_control_domain' value='71'/>\n"
                      "  </capability>\n</device>\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmNodeDevDef) def = apm_nodedev_def_parse(xml, strlen(xml), NULL, FALSE, &error);
    g_autoptr(ApmMdevConfig) config = NULL;
    g_autofree char *json = NULL;

    g_assert_no_error(error);
    g_assert_true(apm_nodedev_def_validate_mdev(def, &error));
    g_assert_cmpstr(def->name, ==, "mdev_4b2d5f1e_3c4e_4f70_9bac_1d2e3f4a5b6c_matrix");
    g_assert_cmpuint(def->attrs->len, ==, 4);
    config = apm_mdev_config_from_nodedev(def, TRUE);
    json = apm_mdev_config_format(config);
    g_assert_cmpstr(json, ==,
                    "{\n  \"mdev_type\": \"vfio_ap-passthrough\",\n  \"start\": \"auto\",\n  \"attrs\": [\n"
                    "    {\n      \"assign_adapter\": \"5\"\n    },\n"
                    "    {\n      \"assign_domain\": \"0x47\"\n    },\n"
                    "    {\n      \"assign_domain\": \"0x48\"\n    },\n"
                    "    {\n      \"assign_control_domain\": \"71\"\n    }\n  ]\n}\n");
}

typedef struct {
    const char *name;
    const char *xml;
    const char *message; /* part of the error; NULL: parses, but validate_mdev refuses with validate */
    const char *validate;
} BadCase;

#define MDEV_DOC(parent, type, attrs)                                                                           \
    "<device><parent>" parent "</parent><capability type='mdev'><type id='" type "'/>" attrs                   \
    "</capability></device>"

static const BadCase bad_cases[] = {
    { "malformed", "<device><parent>ap_matrix</parent>", "not well-formed", NULL },
    { "truncated", "<device><parent>ap_matrix</par", "not well-formed", NULL },
    { "empty", "", "empty", NULL },
    { "wrong-root", "<domain/>", "root element must be <device>", NULL },
    { "no-capability", "<device><name>x</name></device>", "no <capability>", NULL },
    { "pci-capability", "<device><name>x</name><capability type='pci'/></device>", "not an AP device", NULL },
    { "entity", "<!DOCTYPE d [<!ENTITY x 'y'>]><device><name>&x;</name><capability type='ap_card'/></device>",
      "DTD or entities", NULL },
    { "bad-uuid-slash", MDEV_DOC("ap_matrix", "vfio_ap-passthrough", "<uuid>../../etc/passwd-0000-0000-000000000</uuid>"),
      "is not a UUID", NULL },
    { "bad-adapter", "<device><name>ap_card05</name><capability type='ap_card'><ap-adapter>0x100</ap-adapter>"
                     "</capability></device>", "not an adapter number", NULL },
    { "unknown-parent", MDEV_DOC("pci_0000_00_02_0", "vfio_ap-passthrough", ""), NULL, "is not the AP matrix" },
    { "not-vfio-ap", MDEV_DOC("ap_matrix", "nvidia-35", ""), NULL, "is not vfio_ap-passthrough" },
    { "attr-outside-set", MDEV_DOC("ap_matrix", "vfio_ap-passthrough", "<attr name='remove' value='1'/>"), NULL,
      "is not one a vfio_ap mdev takes" },
    { "attr-path-escape", MDEV_DOC("ap_matrix", "vfio_ap-passthrough", "<attr name='../remove' value='1'/>"), NULL,
      "is not one a vfio_ap mdev takes" },
    { "attr-bad-value", MDEV_DOC("ap_matrix", "vfio_ap-passthrough", "<attr name='assign_adapter' value='0x100'/>"),
      NULL, "value '0x100', which is not an ID from 0 to 255" },
    { "ap-config-bad", MDEV_DOC("ap_matrix", "vfio_ap-passthrough", "<attr name='ap_config' value='0x1,0x2'/>"),
      NULL, "ap_config '0x1,0x2' is not three masks" },
    /* what the kernel's kstrtoul refuses, and mdevctl would write as it is: refused at define time */
    { "attr-comma-list", MDEV_DOC("ap_matrix", "vfio_ap-passthrough", "<attr name='assign_domain' value='4,5'/>"),
      NULL, "value '4,5', which the kernel does not take: it takes one ID; write an assign_domain attribute for each" },
    { "attr-leading-space", MDEV_DOC("ap_matrix", "vfio_ap-passthrough", "<attr name='assign_adapter' value=' 4'/>"),
      NULL, "value ' 4', which the kernel does not take as a number" },
    { "attr-trailing-space", MDEV_DOC("ap_matrix", "vfio_ap-passthrough", "<attr name='assign_adapter' value='4 '/>"),
      NULL, "value '4 ', which the kernel does not take as a number" },
    { "unassign-bad-value", MDEV_DOC("ap_matrix", "vfio_ap-passthrough", "<attr name='unassign_domain' value='x'/>"),
      NULL, "Attribute unassign_domain has the value 'x'" },
};

static void
test_bad_case(gconstpointer data)
{
    const BadCase *c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmNodeDevDef) def = apm_nodedev_def_parse(c->xml, strlen(c->xml), NULL, FALSE, &error);

    if (c->message) {
        g_assert_null(def);
        g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
        if (!strstr(error->message, c->message))
            g_error("'%s' does not say '%s'", error->message, c->message);
        return;
    }
    g_assert_no_error(error);
    g_assert_false(apm_nodedev_def_validate_mdev(def, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
    if (!strstr(error->message, c->validate))
        g_error("'%s' does not say '%s'", error->message, c->validate);
}

static char *
matrix_text(const ApmMatrix *m)
{
    g_autofree char *a = apm_mask_format_list(&m->adapters, APM_LIST_DECIMAL);
    g_autofree char *d = apm_mask_format_list(&m->domains, APM_LIST_DECIMAL);
    g_autofree char *c = apm_mask_format_list(&m->control_domains, APM_LIST_DECIMAL);

    return g_strdup_printf("%s/%s/%s", a, d, c);
}

/* mdevctl writes the attributes in order, and the kernel applies each: an unassign takes back what came before it,
 * ap_config replaces everything, and every ID named counts for the host's limits */
static void
test_attrs_in_order(void)
{
    static const struct {
        const char *attrs;
        const char *matrix;  /* adapters/domains/control domains */
        const char *touched;
    } cases[] = {
        { "<attr name='assign_adapter' value='5'/><attr name='assign_domain' value='4'/>"
          "<attr name='assign_domain' value='5'/><attr name='unassign_domain' value='4'/>", "5/5/", "5/4,5/" },
        { "<attr name='unassign_adapter' value='9'/><attr name='assign_adapter' value='0x0a'/>", "10//", "9,10//" },
        /* ap_config's masks are left-aligned, as the kernel reads them: 0x04 is ID 5, 0x08 ID 4; 010 is octal */
        { "<attr name='assign_adapter' value='1'/><attr name='ap_config' value='0x04,0x08,0x08'/>"
          "<attr name='assign_control_domain' value='010&#10;'/>", "5/4/4,8", "1,5/4/4,8" },
        { "<attr name='assign_control_domain' value='+7'/><attr name='unassign_control_domain' value='7'/>", "//",
          "//7" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *xml = g_strconcat("<device><parent>ap_matrix</parent><capability type='mdev'>"
                                           "<type id='vfio_ap-passthrough'/>", cases[i].attrs,
                                           "</capability></device>", NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(ApmNodeDevDef) def = apm_nodedev_def_parse(xml, strlen(xml), NULL, FALSE, &error);
        ApmMatrix m, t;
        g_autofree char *got = NULL, *touched = NULL;

        g_assert_no_error(error);
        g_assert_true(apm_matrix_from_attrs(def->attrs, &m, &t, &error));
        got = matrix_text(&m);
        touched = matrix_text(&t);
        g_assert_cmpstr(got, ==, cases[i].matrix);
        g_assert_cmpstr(touched, ==, cases[i].touched);
    }
}

/* found by fuzz-nodedev: a repeated element leaked the first value; the first one counts, as libvirt reads it
 * (./name[1]) */
static void
test_repeated_elements(void)
{
    const char *xml = "<device><name>a</name><name>ap_card07</name><parent>x</parent><parent>computer</parent>"
                      "<driver><name>x</name><name>cex4card</name></driver><capability type='ap_card'>"
                      "<ap-adapter>7</ap-adapter></capability></device>";
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmNodeDevDef) def = apm_nodedev_def_parse(xml, strlen(xml), NULL, FALSE, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(def->name, ==, "a");
    g_assert_cmpstr(def->parent, ==, "x");
    g_assert_cmpstr(def->driver, ==, "x");
}

static void
test_ten_megabytes_refused(void)
{
    gsize len = 10 * 1024 * 1024;
    g_autofree char *big = g_malloc(len + 1);
    g_autoptr(GError) error = NULL;

    memset(big, ' ', len);
    memcpy(big, "<device>", 8);
    big[len] = '\0';
    g_assert_null(apm_nodedev_def_parse(big, len, NULL, FALSE, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "at most"));
}

static void
test_mdevctl_json(void)
{
    const char *mdevctl_written = "{\n  \"mdev_type\": \"vfio_ap-passthrough\",\n  \"start\": \"manual\",\n"
                                  "  \"attrs\": [\n    {\n      \"assign_adapter\": \"1\"\n    }\n  ]\n}\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmMdevConfig) c = apm_mdev_config_parse(mdevctl_written, -1, &error);
    g_autofree char *back = NULL;

    g_assert_no_error(error);
    g_assert_false(c->autostart);
    back = apm_mdev_config_format(c);
    g_assert_cmpstr(back, ==, mdevctl_written); /* byte for byte the file mdevctl writes */
    {
        g_autoptr(ApmMdevConfig) none = apm_mdev_config_parse("{\"mdev_type\":\"x\",\"start\":\"auto\"}", -1, &error);
        g_autofree char *text = apm_mdev_config_format(none);

        g_assert_cmpstr(text, ==, "{\n  \"mdev_type\": \"x\",\n  \"start\": \"auto\"\n}\n");
    }
}

static void
test_mdevctl_json_refused(void)
{
    const char *bad[][2] = {
        { "[]", "must be a JSON object" },
        { "{\"start\":\"auto\"}", "no \"mdev_type\"" },
        { "{\"mdev_type\":\"t\"}", "\"start\" must be" },
        { "{\"mdev_type\":\"t\",\"start\":\"sometimes\"}", "\"start\" must be" },
        { "{\"mdev_type\":\"t\",\"start\":\"auto\",\"attrs\":{}}", "must be an array" },
        { "{\"mdev_type\":\"t\",\"start\":\"auto\",\"attrs\":[1]}", "must be an object" },
        { "{\"mdev_type\":\"t\",\"start\":\"auto\",\"attrs\":[{\"a\":\"1\",\"b\":\"2\"}]}", "exactly one" },
        { "{\"mdev_type\":\"t\",\"start\":\"auto\",\"attrs\":[{\"a\":1}]}", "must be a string" },
        { "{\"mdev_type\":", "not valid JSON" },
        /* found by fuzz-mdevctl: json-glib reads "\615" as an octal escape, JSON and mdevctl do not */
        { "{\"mdev_type\":\"t\",\"start\":\"auto\",\"attrs\":[{\"assign_]\":\"\\615\"}]}", "is not an escape JSON knows" },
        { "{\"mdev_type\":\"t\",\"start\":\"auto\",\"attrs\":[{\"a\":\"x\ty\"}]}", "control character" },
        { "{\"mdev_type\":\"t\xff\",\"start\":\"auto\"}", "not UTF-8" },
        { "{\"mdev_type\":\"t\",\"start\":\"auto\",\"attrs\":[{\"a\":\"\\ud800\"}]}", "not valid JSON" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(ApmMdevConfig) c = apm_mdev_config_parse(bad[i][0], -1, &error);

        g_assert_null(c);
        if (!strstr(error->message, bad[i][1]))
            g_error("%s: '%s' does not say '%s'", bad[i][0], error->message, bad[i][1]);
    }
}

/* the reader the XML formats share (libxml2): what it takes and how it is read, what it refuses and how it says so */
static void
test_xml_reader(void)
{
    const char *good = "<?xml version='1.0' encoding='utf-8'?>\n<!-- libvirt writes no comments, users may -->\n"
                       "<device><name>a&amp;b&#x41;&#66;</name><parent><![CDATA[ap_<matrix>]]></parent>"
                       "<x:y xmlns:x='urn:x' k=\"v&apos;w\"><z>t1</z>t2</x:y><y k='plain'/><?pi text?></device>\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmXmlDoc) doc = apm_xmldoc_read(good, strlen(good), 4096, "test document", NULL, &error);
    g_autoptr(GPtrArray) ys = NULL;
    g_autofree char *name_text = NULL, *parent_text = NULL, *k = NULL, *none = NULL;

    g_assert_no_error(error);
    g_assert_true(apm_xmldoc_root_is(doc, "device"));
    name_text = apm_xpath_string(doc, NULL, "string(./name[1])");
    parent_text = apm_xpath_string(doc, NULL, "string(./parent[1])");
    g_assert_cmpstr(name_text, ==, "a&bAB");
    g_assert_cmpstr(parent_text, ==, "ap_<matrix>");
    /* a namespaced element is not the unprefixed one */
    ys = apm_xpath_nodes(doc, NULL, "./y");
    g_assert_cmpuint(ys->len, ==, 1);
    k = apm_xml_prop(g_ptr_array_index(ys, 0), "k");
    g_assert_cmpstr(k, ==, "plain");
    g_assert_null(apm_xml_prop(g_ptr_array_index(ys, 0), "missing"));
    none = apm_xpath_string(doc, NULL, "string(./missing[1])");
    g_assert_null(none);
    g_assert_cmpuint(apm_xpath_count(doc, NULL, "./*"), ==, 4);

    {
        /* libxml2 reads other encodings, as libvirt takes them */
        const char latin1[] = "<?xml version='1.0' encoding='ISO-8859-1'?><device><name>caf\xe9</name></device>";
        g_autoptr(ApmXmlDoc) l = apm_xmldoc_read(latin1, strlen(latin1), 4096, "test document", NULL, &error);
        g_autofree char *text = NULL;

        g_assert_no_error(error);
        text = apm_xpath_string(l, NULL, "string(./name)");
        g_assert_cmpstr(text, ==, "caf\xc3\xa9");
    }
    {
        const struct {
            const char *xml, *why;
        } bad[] = {
            { "<!DOCTYPE device SYSTEM 'http://example.org/x.dtd'><device/>", "may not carry a DTD or entities" },
            { "<!DOCTYPE d [<!ENTITY x 'y'>]><device>&x;</device>", "may not carry a DTD or entities" },
            { "<device>&nbsp;</device>", "names an entity XML does not define" },
            { "<device/><device/>", "there is more after the root element" },
            { "<device><a></b></device>", "an end tag does not match the element it closes" },
            { "<device a='1' a='2'/>", "an attribute is given twice" },
            { "<device>\xff</device>", "not text in its encoding" },
            { "   \n ", "not well-formed" },
            { "<!-- nothing else -->", "not well-formed" },
            { "<device><name>x</name>", "the text ends inside an element" },
        };
        g_autoptr(GError) nul = NULL;
        g_autoptr(GError) where = NULL;

        g_assert_null(apm_xmldoc_read("<a>\0</a>", 8, 4096, "test document", NULL, &nul));
        g_assert_nonnull(strstr(nul->message, "contains a NUL byte"));
        /* the file, the line and what is wrong */
        g_assert_null(apm_xmldoc_read("<device>\n<x>\n</device>", 22, 4096, "node device document", "m.xml", &where));
        g_assert_cmpstr(where->message, ==,
                        "m.xml, line 3: the node device document is not well-formed XML: an end tag does not match "
                        "the element it closes (Opening and ending tag mismatch: x line 2 and device)");

        for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
            g_autoptr(GError) e = NULL;
            g_autoptr(ApmXmlDoc) d = apm_xmldoc_read(bad[i].xml, strlen(bad[i].xml), 4096, "test document", NULL,
                                                     &e);

            g_assert_null(d);
            g_assert_error(e, APM_ERROR, APM_ERROR_INVALID);
            if (!strstr(e->message, bad[i].why))
                g_error("'%s': '%s' does not say '%s'", bad[i].xml, e->message, bad[i].why);
        }
    }
    /* nesting deeper than libxml2 takes is refused, not recursed into */
    {
        g_autoptr(GString) deep = g_string_new(NULL);
        g_autoptr(GError) e = NULL;

        for (int i = 0; i < 300; i++)
            g_string_append(deep, "<a>");
        for (int i = 0; i < 300; i++)
            g_string_append(deep, "</a>");
        g_assert_null(apm_xmldoc_read(deep->str, deep->len, 1 << 20, "test document", NULL, &e));
        g_assert_nonnull(strstr(e->message, "more than 256 levels of elements"));
    }
}

/* --validate: libvirt's own RelaxNG schemas, as virsh nodedev-define --validate checks a document */
static void
test_schema_validation(void)
{
    g_autofree char *rng = g_build_filename(apm_xml_schema_dir(), "nodedev.rng", NULL);
    /* libvirt 9.0's nodedev.rng wants a <name> even in the form nodedev-define takes */
    const char *good = "<device><name>mdev_4b2d5f1e_3c4e_4f70_9bac_1d2e3f4a5b6c_matrix</name><parent>ap_matrix</parent>"
                       "<capability type='mdev'><type id='vfio_ap-passthrough'/>"
                       "<uuid>4b2d5f1e-3c4e-4f70-9bac-1d2e3f4a5b6c</uuid><attr name='assign_adapter' value='5'/>"
                       "</capability></device>";
    /* well-formed, and nothing apmatrix's reader minds (it skips elements it does not know), but not libvirt's */
    const char *bad = "<device><name>x</name><parent>ap_matrix</parent><colour>red</colour><capability type='mdev'>"
                      "<type id='vfio_ap-passthrough'/></capability></device>";
    const char *hostdev = "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address "
                          "uuid='4b2d5f1e-3c4e-4f70-9bac-1d2e3f4a5b6c'/></source></hostdev>";
    const char *bad_hostdev = "<hostdev mode='subsystem' type='mdev' model='vfio-ap' managed='perhaps'><source>"
                              "<address uuid='4b2d5f1e-3c4e-4f70-9bac-1d2e3f4a5b6c'/></source></hostdev>";
    g_autoptr(GError) error = NULL;

    if (!g_file_test(rng, G_FILE_TEST_EXISTS)) {
        g_test_skip("libvirt's schemas are not installed");
        return;
    }
    {
        g_autoptr(ApmNodeDevDef) def = apm_nodedev_def_parse(good, strlen(good), "good.xml", TRUE, &error);

        g_assert_no_error(error);
        g_assert_nonnull(def);
    }
    {
        g_autoptr(ApmNodeDevDef) plain = apm_nodedev_def_parse(bad, strlen(bad), "bad.xml", FALSE, &error);
        g_autoptr(ApmNodeDevDef) def = NULL;

        g_assert_no_error(error);
        g_assert_nonnull(plain);
        def = apm_nodedev_def_parse(bad, strlen(bad), "bad.xml", TRUE, &error);
        g_assert_null(def);
        g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
        g_assert_nonnull(strstr(error->message, "does not validate against"));
        g_assert_nonnull(strstr(error->message, "nodedev.rng"));
        g_assert_nonnull(strstr(error->message, "line 1"));
        g_clear_error(&error);
    }
    {
        g_autoptr(ApmHostdev) h = apm_hostdev_parse(hostdev, strlen(hostdev), NULL, TRUE, &error);
        g_autoptr(ApmHostdev) plain = NULL, refused = NULL;

        g_assert_no_error(error);
        g_assert_nonnull(h);
        plain = apm_hostdev_parse(bad_hostdev, strlen(bad_hostdev), NULL, FALSE, &error);
        g_assert_no_error(error);
        refused = apm_hostdev_parse(bad_hostdev, strlen(bad_hostdev), NULL, TRUE, &error);
        g_assert_null(refused);
        g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
        g_assert_nonnull(strstr(error->message, "domain.rng"));
        g_assert_nonnull(strstr(error->message, "<hostdev>"));
        g_clear_error(&error);
    }
    /* a schema that is not there: said, not taken for a pass */
    {
        g_autoptr(ApmXmlDoc) doc = apm_xmldoc_read(good, strlen(good), 4096, "test document", NULL, &error);

        g_assert_no_error(error);
        g_assert_false(apm_xmldoc_validate(doc, "no-such-schema.rng", NULL, &error));
        g_assert_error(error, APM_ERROR, APM_ERROR_UNSUPPORTED);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(golden); i++) {
        g_autofree char *path = g_strdup_printf("/conf/nodedev/libvirt-output-round-trip/%s", golden[i]);

        g_test_add_data_func(path, golden[i], test_golden_round_trip);
    }
    g_test_add_func("/conf/nodedev/names-as-libvirt-gives-them", test_names);
    g_test_add_func("/conf/nodedev/define-input-form-to-mdevctl-config", test_define_input_form);
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/conf/nodedev/refused/%s", bad_cases[i].name);

        g_test_add_data_func(path, &bad_cases[i], test_bad_case);
    }
    g_test_add_func("/conf/nodedev/refused/ten-megabytes", test_ten_megabytes_refused);
    g_test_add_func("/conf/nodedev/repeated-elements-first-counts-as-libvirt-no-leak", test_repeated_elements);
    g_test_add_func("/conf/nodedev/mdev-attrs-apply-in-order-as-the-kernel-takes-them", test_attrs_in_order);
    g_test_add_func("/conf/xml/reader-takes-and-refuses", test_xml_reader);
    g_test_add_func("/conf/xml/validates-against-libvirt-schemas", test_schema_validation);
    g_test_add_func("/conf/mdevctl/file-layout-byte-for-byte", test_mdevctl_json);
    g_test_add_func("/conf/mdevctl/refused-as-mdevctl-refuses", test_mdevctl_json_refused);
    return g_test_run();
}
