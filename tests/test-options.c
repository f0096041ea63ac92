/*
 * Unit tests for the backend's device URI parser (backend/options.c) and
 * the transports' part of it, reached through the registry (transport.h):
 * each scheme's address, its own options and its device key.
 */

#include <check.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "../backend/live-status.h"
#include "../backend/options.h"
#include "../backend/transport.h"
#include "check-main.h"
#include "flushprinter.h"

/* Parse `uri`, expecting success. */
static fp_options_t parse_ok(const char *uri)
{
  fp_options_t o;
  char         message[512] = "";

  ck_assert_msg(fp_options_parse(uri, &o, message, sizeof(message)) == FP_OK, "%s: %s", uri,
                message);
  return o;
}

/* Parse `uri`, expecting a syntax error whose message contains `needle`. */
static void parse_bad(const char *uri, const char *needle)
{
  fp_options_t o;
  char         message[512] = "";

  ck_assert_int_eq(fp_options_parse(uri, &o, message, sizeof(message)), FP_ERROR_SYNTAX);
  ck_assert_msg(strstr(message, needle), "message for %s was '%s', expected '%s'", uri, message,
                needle);
}

START_TEST(socket_with_port_and_options)
{
  fp_options_t o = parse_ok("flushprinter+socket://Printer.local:9101/?reset=escpos&idle=2000"
                            "&grace=250&timeout=5000&contimeout=100&retries=2");

  ck_assert_str_eq(o.transport->name, "socket");
  ck_assert_int_eq(o.idle_ms, 2000);
  ck_assert_int_eq(o.grace_ms, 250);
  ck_assert_int_eq(o.timeout_ms, 5000);
  ck_assert_int_eq(o.contimeout_ms, 100);
  ck_assert_int_eq(o.retries, 2);
  ck_assert_uint_eq(o.reset_len, 2);
  ck_assert_int_eq(o.reset[0], 0x1b);
  ck_assert_int_eq(o.reset[1], '@');
  /* reset=escpos implies the ESC/POS tracker */
  ck_assert_str_eq(o.language->name, "escpos");
  ck_assert_str_eq(o.device_key, "socket://printer.local:9101");
  fp_options_free(&o);
}
END_TEST

START_TEST(socket_defaults)
{
  fp_options_t o = parse_ok("flushprinter+socket://10.0.0.5");

  ck_assert_str_eq(o.device_key, "socket://10.0.0.5:9100");
  ck_assert_uint_eq(o.reset_len, 0);
  ck_assert_str_eq(o.language->name, "none");
  ck_assert_int_eq(o.idle_ms, 1000);
  fp_options_free(&o);

  /* CUPS 2.4 needs "/" before "?"; we accept both spellings */
  o = parse_ok("flushprinter+socket://10.0.0.5:9100?idle=5");
  ck_assert_int_eq(o.idle_ms, 5);
  fp_options_free(&o);
}
END_TEST

/* maxflush=: bytes, bounded; without it, the language's default. */
START_TEST(max_flush)
{
  fp_options_t o = parse_ok("flushprinter+socket://10.0.0.5/?reset=escpos");
  char         message[256];

  ck_assert_int_eq(o.max_flush, -1);
  ck_assert_uint_eq(fp_options_flush_ceiling(&o, &fp_language_escpos), FP_MAX_FLUSH_PRINTING);
  ck_assert_uint_eq(fp_options_flush_ceiling(&o, &fp_language_zpl), FP_MAX_FLUSH_STORED);
  fp_options_free(&o);
  o = parse_ok("flushprinter+socket://10.0.0.5/?reset=escpos&maxflush=0");
  ck_assert_uint_eq(fp_options_flush_ceiling(&o, &fp_language_escpos), 0);
  fp_options_free(&o);
  o = parse_ok("flushprinter+socket://10.0.0.5/?maxflush=1073741824");
  ck_assert_uint_eq(fp_options_flush_ceiling(&o, &fp_language_pcl), 1073741824u);
  fp_options_free(&o);
  ck_assert_int_eq(fp_options_parse("flushprinter+socket://h/?maxflush=1073741825", &o, message,
                                    sizeof(message)), FP_ERROR_SYNTAX);
  ck_assert_ptr_nonnull(strstr(message, "maxflush"));
  fp_options_free(&o);
  ck_assert_int_eq(fp_options_parse("flushprinter+socket://h/?maxflush=-1", &o, message,
                                    sizeof(message)), FP_ERROR_SYNTAX);
  fp_options_free(&o);
}
END_TEST

/* band=: rows, 0 (off) to 65535; 24 without it; anything else names the option. */
/* status=, confirm=, verify=: off, auto (the default) or on, in any case. */
START_TEST(listening_modes)
{
  fp_options_t o = parse_ok("flushprinter+socket://10.0.0.5/");

  ck_assert_int_eq(o.status_mode, FP_STATUS_MODE_AUTO);
  ck_assert_int_eq(o.confirm_mode, FP_STATUS_MODE_AUTO);
  ck_assert_int_eq(o.verify_mode, FP_STATUS_MODE_AUTO);
  fp_options_free(&o);
  o = parse_ok("flushprinter+socket://10.0.0.5/?status=ON&confirm=off&verify=on");
  ck_assert_int_eq(o.status_mode, FP_STATUS_MODE_ON);
  ck_assert_int_eq(o.confirm_mode, FP_STATUS_MODE_OFF);
  ck_assert_int_eq(o.verify_mode, FP_STATUS_MODE_ON);
  fp_options_free(&o);
  parse_bad("flushprinter+socket://h/?status=yes", "option 'status' needs off, auto or on, not 'yes'");
  parse_bad("flushprinter+socket://h/?confirm=", "option 'confirm' needs off, auto or on, not ''");
  parse_bad("flushprinter+socket://h/?verify=1", "option 'verify' needs off, auto or on, not '1'");
}
END_TEST

START_TEST(band_rows)
{
  static const char *const bad[] = { "65536", "-1", "24rows", "", "0x18" };
  fp_options_t             o = parse_ok("flushprinter+socket://10.0.0.5/");
  char                     uri[64], message[256];

  ck_assert_int_eq(o.band_rows, 24);
  fp_options_free(&o);
  o = parse_ok("flushprinter+file:/dev/usb/lp0?band=0");
  ck_assert_int_eq(o.band_rows, 0);
  fp_options_free(&o);
  o = parse_ok("flushprinter+socket://10.0.0.5/?band=65535");
  ck_assert_int_eq(o.band_rows, 65535);
  fp_options_free(&o);
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
  {
    snprintf(uri, sizeof(uri), "flushprinter+socket://h/?band=%s", bad[i]);
    ck_assert_int_eq(fp_options_parse(uri, &o, message, sizeof(message)), FP_ERROR_SYNTAX);
    ck_assert_msg(strstr(message, "band") != NULL, "%s: %s", uri, message);
    fp_options_free(&o);
  }
}
END_TEST

START_TEST(socket_ipv6_literal)
{
  fp_options_t o = parse_ok("flushprinter+socket://[::1]:9200/");

  ck_assert_str_eq(o.device_key, "socket://::1:9200");
  fp_options_free(&o);

  /* joined presets: the tracker comes from the one that has a language */
  o = parse_ok("flushprinter+socket://h/?reset=pjl%2Bescpos");
  ck_assert_str_eq(o.language->name, "escpos");
  ck_assert_uint_eq(o.reset_len, 9 + 2);
  fp_options_free(&o);
}
END_TEST

START_TEST(file_paths)
{
  fp_options_t o = parse_ok("flushprinter+file:/dev/usb/lp0?reset=hex:1b40&language=escpos");

  ck_assert_str_eq(o.transport->name, "file");
  ck_assert_str_eq(o.device_key, "file:/dev/usb/lp0");
  ck_assert_uint_eq(o.reset_len, 2);
  fp_options_free(&o);

  o = parse_ok("flushprinter+file:///tmp/a%20b");
  ck_assert_str_eq(o.device_key, "file:/tmp/a b");
  fp_options_free(&o);
}
END_TEST

START_TEST(usb_uri)
{
  fp_options_t o = parse_ok("flushprinter+usb://EPSON/TM-T20%20II?serial=X1&softreset=no");

  ck_assert_str_eq(o.transport->name, "usb");
  ck_assert_int_eq(o.soft_reset, 0);
  ck_assert_str_eq(o.device_key, "usb://EPSON/TM-T20 II?serial=X1");
  fp_options_free(&o);

  o = parse_ok("flushprinter+usb://EPSON/TM?serial=X1&softreset=yes");
  ck_assert_int_eq(o.soft_reset, 1);
  fp_options_free(&o);
  o = parse_ok("flushprinter+file:/dev/usb/lp0");
  ck_assert_int_eq(o.soft_reset, 0); /* off unless asked for */
  fp_options_free(&o);
}
END_TEST

START_TEST(percent_encoded_reset)
{
  /* "text:\e@" encoded in the URI */
  fp_options_t o = parse_ok("flushprinter+socket://h/?reset=text:%5Ce%40");

  ck_assert_uint_eq(o.reset_len, 2);
  ck_assert_int_eq(o.reset[0], 0x1b);
  ck_assert_int_eq(o.reset[1], '@');
  fp_options_free(&o);
}
END_TEST

START_TEST(errors_name_the_culprit)
{
  parse_bad("socket://h:9100/", "does not start with flushprinter+");
  parse_bad("flushprinter+lpd://h/", "unknown scheme 'flushprinter+lpd' (use socket, file or usb)");
  parse_bad("flushprinter+socket://h/?serial=X1", "unknown option 'serial'"); /* usb's only */
  parse_bad("flushprinter+usb://A/B?colour=red", "unknown option 'colour'");
  parse_bad("flushprinter+socket://h/?colour=red", "unknown option 'colour'");
  parse_bad("flushprinter+socket://h/?idle=abc", "option 'idle' needs a whole number");
  parse_bad("flushprinter+socket://h/?idle=-5", "option 'idle'");
  parse_bad("flushprinter+socket://h/?timeout=99999999999", "option 'timeout'");
  parse_bad("flushprinter+socket://h/?reset=hex:1g", "option 'reset=hex:1g'");
  parse_bad("flushprinter+socket://h/?language=klingon", "unknown printer language 'klingon'");
  parse_bad("flushprinter+socket://h/?idle", "malformed option 'idle'");
  parse_bad("flushprinter+socket://h/?idle=%zz", "malformed option");
  parse_bad("flushprinter+socket://h:0/", "bad port");
  parse_bad("flushprinter+socket://h:70000/", "bad port");
  parse_bad("flushprinter+socket://:9100/", "bad host");
  parse_bad("flushprinter+socket://h:9100/queue?idle=5", "unexpected path '/queue'");
  parse_bad("flushprinter+socket://[::1]x/", "unexpected path 'x/'");
  parse_bad("flushprinter+file:relative/path", "bad path");
  parse_bad("flushprinter+usb://EPSON", "bad device");
  parse_bad("flushprinter+socket://h/?softreset=maybe", "option 'softreset'");
  /* a host that cannot name a printer fails at once, not after contimeout */
  parse_bad("flushprinter+socket://a%2Fb:9100/", "bad host 'a/b'");
  parse_bad("flushprinter+socket://a%20b/", "bad host 'a b'");
  parse_bad("flushprinter+socket://%0A/", "bad host");
  parse_bad("flushprinter+socket://[::1%2F]/", "bad host");
  parse_bad("flushprinter+socket://[fe80::1%25]/", "bad host");
  parse_bad("flushprinter+socket://[printer]/", "bad host");
  /* the reset grammar is strict: a stray separator is an error, never letters */
  parse_bad("flushprinter+socket://h/?reset=escpos%2B",
            "option 'reset=escpos+': missing preset name at offset 7");
  parse_bad("flushprinter+socket://h/?reset=escpos,pcl",
            "option 'reset=escpos,pcl': unknown preset 'escpos,pcl' at offset 0");
}
END_TEST

/* Hosts that do name printers still parse. */
START_TEST(valid_hosts)
{
  static const char *const uris[] = {
    "flushprinter+socket://printer_1.example-site.com/",
    "flushprinter+socket://192.168.1.50:9100/",
    "flushprinter+socket://[fe80::1%25eth0]:9100/",
    "flushprinter+socket://[::ffff:127.0.0.1]/",
  };

  for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++)
  {
    fp_options_t o = parse_ok(uris[i]);

    fp_options_free(&o);
  }
}
END_TEST

/* "text:" alone is a reset of no bytes, as flushprinter(7) says. */
START_TEST(empty_text_reset)
{
  fp_options_t o = parse_ok("flushprinter+socket://h/?reset=text:");

  ck_assert(o.reset_set);
  ck_assert_uint_eq(o.reset_len, 0);
  fp_options_free(&o);
}
END_TEST

/*
 * Device keys never collide: a 247-character host with ports 9100 and 9101
 * gives two keys (it gave one, cut at 255 characters); short keys are
 * unchanged; case is folded before a long key is hashed.
 */
START_TEST(long_device_keys_stay_distinct)
{
  char         host[248], uri[600];
  fp_options_t a, b, c;

  memset(host, 'h', sizeof(host) - 1);
  host[sizeof(host) - 1] = '\0';
  snprintf(uri, sizeof(uri), "flushprinter+socket://%s:9100/", host);
  a = parse_ok(uri);
  snprintf(uri, sizeof(uri), "flushprinter+socket://%s:9101/", host);
  b = parse_ok(uri);
  host[0] = 'H';
  snprintf(uri, sizeof(uri), "flushprinter+socket://%s:9100/", host);
  c = parse_ok(uri);
  ck_assert_str_ne(a.device_key, b.device_key);
  ck_assert_str_eq(a.device_key, c.device_key);
  ck_assert_uint_eq(strlen(a.device_key), FP_DEVICE_KEY_MAX - 1);
  fp_options_free(&a);
  fp_options_free(&b);
  fp_options_free(&c);

  /* long file paths too */
  memset(uri, 0, sizeof(uri));
  strcpy(uri, "flushprinter+file:/");
  memset(uri + strlen(uri), 'p', 400);
  a = parse_ok(uri);
  strcat(uri, "2");
  b = parse_ok(uri);
  ck_assert_str_ne(a.device_key, b.device_key);
  fp_options_free(&a);
  fp_options_free(&b);

  a = parse_ok("flushprinter+file:/dev/usb/lp0");
  ck_assert_str_eq(a.device_key, "file:/dev/usb/lp0");
  fp_options_free(&a);
}
END_TEST

START_TEST(language_auto)
{
  fp_options_t o = parse_ok("flushprinter+socket://h/");

  /* neither language= nor a reset preset with a language: detect it */
  ck_assert(o.language_auto);
  ck_assert(!o.reset_set);
  ck_assert_str_eq(o.language->name, "none");
  fp_options_free(&o);

  o = parse_ok("flushprinter+socket://h/?reset=hex:1b40");
  ck_assert(o.language_auto);
  ck_assert(o.reset_set);
  fp_options_free(&o);

  o = parse_ok("flushprinter+socket://h/?reset=none");
  ck_assert(o.language_auto);
  ck_assert(o.reset_set);
  fp_options_free(&o);

  /* a preset with a language, or language=, decide without detection */
  o = parse_ok("flushprinter+socket://h/?reset=escpos");
  ck_assert(!o.language_auto);
  ck_assert_str_eq(o.language->name, "escpos");
  fp_options_free(&o);
  o = parse_ok("flushprinter+socket://h/?language=none");
  ck_assert(!o.language_auto);
  fp_options_free(&o);

  /* language=auto (any case) overrides the preset's language; the last one counts */
  o = parse_ok("flushprinter+socket://h/?reset=escpos&language=AUTO");
  ck_assert(o.language_auto);
  ck_assert_str_eq(o.language->name, "none");
  ck_assert_uint_eq(o.reset_len, 2);
  fp_options_free(&o);
  o = parse_ok("flushprinter+socket://h/?language=auto&language=escpos");
  ck_assert(!o.language_auto);
  ck_assert_str_eq(o.language->name, "escpos");
  fp_options_free(&o);
  o = parse_ok("flushprinter+socket://h/?language=escpos&language=auto");
  ck_assert(o.language_auto);
  fp_options_free(&o);
}
END_TEST

/* Parse `text` as the address of transport `name` and give its device key; FP_OK expected. */
static void address_key(const char *name, const char *text, char key[FP_DEVICE_KEY_MAX])
{
  const fp_transport_t *t = fp_transport_find(name);
  void                 *address;
  char                  message[256] = "";

  ck_assert_ptr_nonnull(t);
  ck_assert_ptr_nonnull(address = calloc(1, t->address_size));
  ck_assert_msg(t->parse(address, text, strlen(text), message, sizeof(message)) == FP_OK,
                "%s address '%s': %s", name, text, message);
  t->device_key(address, key);
  free(address);
}

/* Parse `text` as the address of transport `name`, expecting an error containing `needle`. */
static void address_bad(const char *name, const char *text, const char *needle)
{
  const fp_transport_t *t = fp_transport_find(name);
  void                 *address = calloc(1, t->address_size);
  char                  message[256] = "";

  ck_assert_int_eq(t->parse(address, text, strlen(text), message, sizeof(message)),
                   FP_ERROR_SYNTAX);
  ck_assert_msg(strstr(message, needle), "message for '%s' was '%s'", text, message);
  free(address);
}

/* The registry holds the three schemes, found by name in any case; each parses its own address. */
START_TEST(registry_and_addresses)
{
  const fp_transport_t *const *all = fp_transport_list();
  char                         key[FP_DEVICE_KEY_MAX];

  ck_assert_str_eq(all[0]->name, "socket");
  ck_assert_str_eq(all[1]->name, "file");
  ck_assert_str_eq(all[2]->name, "usb");
  ck_assert_ptr_null(all[3]);
  ck_assert_ptr_eq(fp_transport_find("USB"), all[2]);
  ck_assert_ptr_null(fp_transport_find("lpd"));
  for (int i = 0; all[i]; i++)
    ck_assert(all[i]->address_size && all[i]->parse && all[i]->device_key);

  /* The address alone: what follows "flushprinter+SCHEME:" up to '?'. */
  address_key("socket", "//Printer.Local:9101/", key);
  ck_assert_str_eq(key, "socket://printer.local:9101");
  address_key("socket", "//[fe80::1%25eth0]", key);
  ck_assert_str_eq(key, "socket://fe80::1%eth0:9100");
  address_key("file", "/dev/usb/lp0", key);
  ck_assert_str_eq(key, "file:/dev/usb/lp0");
  address_key("usb", "//EPSON/TM%2FT20", key);
  ck_assert_str_eq(key, "usb://EPSON/TM/T20?serial=");
  address_bad("socket", "//h:99999/", "bad port");
  address_bad("socket", "h", "bad host");
  address_bad("file", "", "bad path");
  address_bad("usb", "//EPSON/", "bad device");
}
END_TEST

/* usb's own option, serial=: applied by the transport, refused by the others. */
START_TEST(transport_options)
{
  const fp_transport_t *usb = fp_transport_find("usb");
  void                 *address = calloc(1, usb->address_size);
  char                  message[256] = "", key[FP_DEVICE_KEY_MAX], serial[200];

  ck_assert_int_eq(usb->parse(address, "//A/B", 5, message, sizeof(message)), FP_OK);
  ck_assert_int_eq(usb->option(address, "serial", "SN 1", message, sizeof(message)), FP_OK);
  usb->device_key(address, key);
  ck_assert_str_eq(key, "usb://A/B?serial=SN 1");
  ck_assert_int_eq(usb->option(address, "idle", "5", message, sizeof(message)),
                   FP_ERROR_NOT_SUPPORTED);
  memset(serial, 's', sizeof(serial) - 1);
  serial[sizeof(serial) - 1] = '\0';
  ck_assert_int_eq(usb->option(address, "serial", serial, message, sizeof(message)),
                   FP_ERROR_SYNTAX);
  ck_assert_str_eq(message, "option 'serial' is too long");
  free(address);
  ck_assert_ptr_null(fp_transport_find("socket")->option);
  ck_assert_ptr_null(fp_transport_find("file")->option);
}
END_TEST

/* file's check: a directory never becomes a printer; a missing device may still appear. */
START_TEST(file_check)
{
  char         dir[] = "/tmp/fp-options-XXXXXX", uri[64], message[256] = "";
  fp_options_t o;

  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(uri, sizeof(uri), "flushprinter+file:%s", dir);
  o = parse_ok(uri);
  ck_assert_ptr_nonnull(o.transport->check);
  ck_assert_int_eq(o.transport->check(o.address, message, sizeof(message)), FP_ERROR_SYNTAX);
  ck_assert_ptr_nonnull(strstr(message, "is a directory, not a device"));
  fp_options_free(&o);
  snprintf(uri, sizeof(uri), "flushprinter+file:%s/lp0", dir);
  o = parse_ok(uri);
  ck_assert_int_eq(o.transport->check(o.address, message, sizeof(message)), FP_OK);
  fp_options_free(&o);
  ck_assert_ptr_null(o.address);
  rmdir(dir);
}
END_TEST

/* The options suite: parsing of every scheme, options, and error messages. */
static Suite *options_suite(void)
{
  Suite *s = suite_create("options");
  TCase *tc = tcase_create("parse");

  tcase_add_test(tc, socket_with_port_and_options);
  tcase_add_test(tc, socket_defaults);
  tcase_add_test(tc, max_flush);
  tcase_add_test(tc, band_rows);
  tcase_add_test(tc, listening_modes);
  tcase_add_test(tc, socket_ipv6_literal);
  tcase_add_test(tc, file_paths);
  tcase_add_test(tc, usb_uri);
  tcase_add_test(tc, language_auto);
  tcase_add_test(tc, percent_encoded_reset);
  tcase_add_test(tc, errors_name_the_culprit);
  tcase_add_test(tc, valid_hosts);
  tcase_add_test(tc, empty_text_reset);
  tcase_add_test(tc, long_device_keys_stay_distinct);
  tcase_add_test(tc, registry_and_addresses);
  tcase_add_test(tc, transport_options);
  tcase_add_test(tc, file_check);
  suite_add_tcase(s, tc);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(options_suite());
}
