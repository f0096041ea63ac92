"""The documented comparison: the same canceled receipt through the stock CUPS
socket backend (the next receipt is swallowed as pixels) and through
flushprinter (the next receipt prints, after the quiet window)."""

import os
import unittest

import fptest
import scenario


class StockComparison(fptest.TestCase):

    @unittest.skipUnless(os.path.exists(scenario.STOCK_SOCKET), "stock socket backend missing")
    def test_stock_socket_backend_leaves_the_next_job_swallowed(self):
        outcome = scenario.run(self.tmp, "stock")
        self.assertFalse(outcome.next_printed, outcome.timeline)
        self.assertGreater(outcome.swallowed, 0)

    def test_flushprinter_prints_the_next_job_after_the_quiet_window(self):
        outcome = scenario.run(self.tmp, "flushprinter", idle_ms=1000)
        self.assertTrue(outcome.clean, outcome.timeline)
        self.assertEqual(outcome.exit_code, fptest.CUPS_BACKEND_OK)
        self.assertGreater(outcome.padding, 0)
        self.assertGreaterEqual(outcome.first_byte_after, 1.0)


if __name__ == "__main__":
    fptest.main()
