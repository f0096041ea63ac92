/*
 * What the parser fuzz targets (tests/fuzz-options.c, fuzz-reset.c,
 * fuzz-sidechannel.c, fuzz-state.c) share.  A target defines FUZZ_NAME,
 * check_input() (its properties on one input, calling fuzz_fail() when one
 * breaks) and generate_seeds() (real inputs, handed to emit()), then includes
 * this file.
 *
 * Built with libFuzzer (configure --enable-fuzzing) the program is a fuzz
 * target.  Built plainly, `fuzz-NAME FILE|DIR...` checks files (a directory:
 * every file in it), and `fuzz-NAME` alone checks the hand-written seeds in
 * $FP_SRCDIR/tests/fuzz-seeds/NAME and the generated seeds, which is what
 * `make check` runs.  Either build writes the generated seeds as files with
 * `fuzz-NAME --seeds DIR` (./build.sh fuzz seeds the fuzzer with them).
 */

#ifndef FP_FUZZ_MAIN_H
#define FP_FUZZ_MAIN_H

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void check_input(const uint8_t *data, size_t size);
static void generate_seeds(void);

/* The input being checked, for messages (a file name, or "generated seed N"). */
static char fuzz_current[1024] = "libFuzzer input";

/* Where emit() writes generated seeds; NULL when it checks them instead. */
static const char *fuzz_seed_dir;

/* Generated seeds emitted so far. */
static int fuzz_generated;

/* Report a broken property and abort (libFuzzer keeps the input). */
static void fuzz_fail(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fuzz_fail(const char *format, ...)
{
  va_list ap;

  fprintf(stderr, "fuzz-%s: %s: ", FUZZ_NAME, fuzz_current);
  va_start(ap, format);
  vfprintf(stderr, format, ap);
  va_end(ap);
  fputc('\n', stderr);
#ifndef FP_LIBFUZZER
  printf("REPLAY FAIL %s\n", FUZZ_NAME);
  fflush(stdout);
#endif
  abort();
}

/* A malloc that cannot fail (the fuzzer's own allocations). */
__attribute__((unused)) static void *fuzz_alloc(size_t size)
{
  void *p = malloc(size ? size : 1);

  if (!p)
  {
    fputs("out of memory\n", stderr);
    abort();
  }
  return p;
}

/* Read a whole file into a malloc'ed buffer (NUL-terminated too); false if unreadable. */
static bool fuzz_read_file(const char *path, uint8_t **data, size_t *size)
{
  FILE *f = fopen(path, "rb");
  long  n;
  bool  ok = false;

  *data = NULL;
  *size = 0;
  if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET))
  {
    *data = fuzz_alloc((size_t)n + 1);
    ok = fread(*data, 1, (size_t)n, f) == (size_t)n;
    (*data)[n] = 0;
    *size = (size_t)n;
  }
  if (!ok)
  {
    free(*data);
    *data = NULL;
  }
  if (f)
    fclose(f);
  return ok;
}

/* The source tree ($FP_SRCDIR, else the current directory). */
__attribute__((unused)) static const char *fuzz_srcdir(void)
{
  const char *dir = getenv("FP_SRCDIR");

  return dir && *dir ? dir : ".";
}

/* Hand one generated seed over: written into the seed directory, or checked. */
__attribute__((unused)) static void emit(const void *data, size_t size)
{
  char path[1024];
  FILE *f;

  fuzz_generated++;
  if (!fuzz_seed_dir)
  {
    snprintf(fuzz_current, sizeof(fuzz_current), "generated seed %d", fuzz_generated);
    check_input(data, size);
    return;
  }
  snprintf(path, sizeof(path), "%s/gen-%04d", fuzz_seed_dir, fuzz_generated);
  if (!(f = fopen(path, "wb")) || fwrite(data, 1, size, f) != size || fclose(f))
  {
    perror(path);
    exit(2);
  }
}

/* The documents whose examples are seeds, relative to the source tree. */
static const char *const fuzz_documents[] = {
  "README.md", "man/flushprinter.7", "man/flushprinter-filter.8", "man/flushprinter.3",
  "man/FlushPrinter.3", "filter/flushprinter-escpos.ppd",
};

/*
 * Copy the token starting at `s` into `out` (`size` bytes), ending at white
 * space, a quote, a backtick, a comma, a semicolon or a closing parenthesis;
 * in a man page (`roff`) undoing the escapes \- \e \& and ending at any other.
 */
__attribute__((unused)) static void fuzz_token(const char *s, bool roff, char *out, size_t size)
{
  size_t n = 0;

  for (; *s && n + 1 < size; s++)
  {
    if (roff && *s == '\\')
    {
      if (s[1] == '-' || s[1] == 'e')
        out[n++] = s[1] == '-' ? '-' : '\\';
      else if (s[1] != '&')
        break;
      s++;
      continue;
    }
    if (strchr(" \t\r\n'\"`,;)|", *s))
      break;
    out[n++] = *s;
  }
  out[n] = '\0';
}

/*
 * Call `fn` with every token of the documents that starts with `prefix`
 * (the token with its prefix when `keep_prefix`, else what follows it).
 */
__attribute__((unused)) static void fuzz_document_tokens(const char *prefix, bool keep_prefix,
                                                         void (*fn)(const char *token))
{
  for (size_t i = 0; i < sizeof(fuzz_documents) / sizeof(fuzz_documents[0]); i++)
  {
    char     path[1024], token[1024];
    uint8_t *text;
    size_t   size;
    bool     roff = strncmp(fuzz_documents[i], "man/", 4) == 0;

    snprintf(path, sizeof(path), "%s/%s", fuzz_srcdir(), fuzz_documents[i]);
    if (!fuzz_read_file(path, &text, &size))
    {
      perror(path);
      exit(2);
    }
    for (const char *p = (const char *)text; (p = strstr(p, prefix)); p += strlen(prefix))
    {
      fuzz_token(keep_prefix ? p : p + strlen(prefix), roff, token, sizeof(token));
      fn(token);
    }
    free(text);
  }
}

/* `fuzz-NAME --seeds DIR`: write the generated seeds into DIR (made if missing). */
static int write_seeds(const char *dir)
{
  if (mkdir(dir, 0777) && errno != EEXIST)
  {
    perror(dir);
    return 2;
  }
  fuzz_seed_dir = dir;
  generate_seeds();
  printf("%s: %d generated seeds in %s\n", FUZZ_NAME, fuzz_generated, dir);
  return 0;
}

#ifdef FP_LIBFUZZER

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer: `--seeds DIR` writes the generated seeds and exits (libFuzzer ignores "--" flags). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  for (int i = 1; i + 1 < *argc; i++)
    if (!strcmp((*argv)[i], "--seeds"))
      exit(write_seeds((*argv)[i + 1]));
  return 0;
}

/* libFuzzer: one input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  check_input(data, size);
  return 0;
}

#else

/* Check one file, or every file in a directory; the files checked, or -1 if unreadable. */
static int replay_path(const char *path)
{
  struct stat st;
  uint8_t    *data;
  size_t      size;
  int         count = 0;

  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
  {
    DIR           *dir = opendir(path);
    struct dirent *e;

    if (!dir)
    {
      perror(path);
      return -1;
    }
    while ((e = readdir(dir)))
    {
      char sub[1024];
      int  n;

      if (e->d_name[0] == '.')
        continue;
      snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
      if ((n = replay_path(sub)) < 0)
      {
        closedir(dir);
        return -1;
      }
      count += n;
    }
    closedir(dir);
    return count;
  }
  if (!fuzz_read_file(path, &data, &size))
  {
    perror(path);
    return -1;
  }
  snprintf(fuzz_current, sizeof(fuzz_current), "%s", path);
  check_input(data, size);
  free(data);
  return 1;
}

/* fuzz-NAME [FILE|DIR...] | --seeds DIR: the properties on files, or the seeds written. */
int main(int argc, char *argv[])
{
  char dir[1024];
  int  files = 0, n;

  if (argc == 3 && !strcmp(argv[1], "--seeds"))
    return write_seeds(argv[2]);
  if (argc > 1 && argv[1][0] == '-')
  {
    fprintf(stderr, "usage: fuzz-%s [FILE|DIR...] | --seeds DIR\n", FUZZ_NAME);
    return 2;
  }
  for (int i = 1; i < argc; i++)
  {
    if ((n = replay_path(argv[i])) < 0)
      return 1;
    files += n;
  }
  if (argc == 1)
  {
    snprintf(dir, sizeof(dir), "%s/tests/fuzz-seeds/%s", fuzz_srcdir(), FUZZ_NAME);
    if ((files = replay_path(dir)) < 0)
      return 1;
    generate_seeds();
  }
  printf("REPLAY PASS %s: %d files and %d generated seeds, properties hold\n", FUZZ_NAME, files,
         fuzz_generated);
  return 0;
}

#endif /* FP_LIBFUZZER */

#endif /* FP_FUZZ_MAIN_H */
