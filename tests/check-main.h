/*
 * The main() of every Check test program: run a suite and turn its result
 * into an exit status.
 */

#ifndef FP_CHECK_MAIN_H
#define FP_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

/* Run every test of `suite` (and free it); EXIT_SUCCESS only when all passed. */
static inline int fp_run_suite(Suite *suite)
{
  SRunner *runner = srunner_create(suite);
  int      failed;

  srunner_run_all(runner, CK_NORMAL);
  failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* FP_CHECK_MAIN_H */
