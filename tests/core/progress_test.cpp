// The progress line's final position: work that stops early must not print "total/total".
#include <gtest/gtest.h>

#include <string>

#include "core/util/progress.h"

namespace dfq {
namespace {

// The last line a reporter wrote to stderr (captured to a file: no terminal, one line an event).
std::string last_line(const std::string& err) {
  const auto end = err.find_last_not_of('\n');
  const auto newline = err.rfind('\n', end);
  const size_t from = newline == std::string::npos ? 0 : newline + 1;
  return err.substr(from, end + 1 - from);
}

TEST(Progress, FinishSaysHowFarTheWorkGot) {
  ProgressReporter::set_enabled(true);
  testing::internal::CaptureStderr();
  {
    ProgressReporter p("sweep s", 22, "cells");
    p.update(0, "2 running");
    p.update(3, "2 running");  // drawn or not (10 s between lines), it is the position
    p.finish("stopped: 2 interrupted, 17 not started");
  }
  const std::string stopped = last_line(testing::internal::GetCapturedStderr());
  EXPECT_NE(stopped.find("sweep s: 3/22 cells in "), std::string::npos) << stopped;
  EXPECT_NE(stopped.find("stopped: 2 interrupted, 17 not started"), std::string::npos) << stopped;

  testing::internal::CaptureStderr();
  {
    ProgressReporter p("train", 5, "it");
    for (int i = 1; i <= 5; ++i) p.update(i);
    p.finish("done");
  }
  const std::string done = last_line(testing::internal::GetCapturedStderr());
  EXPECT_NE(done.find("train: 5/5 it in "), std::string::npos) << done;

  testing::internal::CaptureStderr();
  {
    ProgressReporter p("idle", 4, "it");
    p.finish();
  }
  const std::string none = last_line(testing::internal::GetCapturedStderr());
  EXPECT_NE(none.find("idle: 0/4 it in "), std::string::npos) << none;
  EXPECT_NE(none.find("(0.00 it/s)"), std::string::npos) << none;
}

// A sweep's ETA counts the running cells' own progress: with no cell finished yet it is an
// estimate, not "?" (it used to say "ETA ?" for the whole first cell, up to an hour).
TEST(Progress, TheEtaCountsWorkUnderWay) {
  ProgressReporter::set_enabled(true);
  testing::internal::CaptureStderr();
  {
    ProgressReporter p("sweep s", 4, "cells");
    p.update(0, "2 running", 0.0);
  }
  const std::string none = last_line(testing::internal::GetCapturedStderr());
  EXPECT_NE(none.find("ETA ?"), std::string::npos) << none;
  testing::internal::CaptureStderr();
  {
    ProgressReporter p("sweep s", 4, "cells");
    p.update(0, "2 running", 1.4);
  }
  const std::string some = last_line(testing::internal::GetCapturedStderr());
  EXPECT_EQ(some.find("ETA ?"), std::string::npos) << some;
  EXPECT_NE(some.find(" 0/4 cells"), std::string::npos) << "work under way is not counted as done: " << some;
}

// A sweep that resumes a cell at 70 % did not make that 70 %: with no other work under way
// the ETA has no pace yet ("?"), where it used to count the earlier work as this sweep's and
// say the sweep would end soon.
TEST(Progress, TheEtaLeavesOutWorkDoneBeforeTheStart) {
  ProgressReporter::set_enabled(true);
  testing::internal::CaptureStderr();
  {
    ProgressReporter p("sweep s", 4, "cells");
    p.update(0, "1 running", 0.7, 0.7);
  }
  const std::string resumed = last_line(testing::internal::GetCapturedStderr());
  EXPECT_NE(resumed.find("ETA ?"), std::string::npos) << resumed;
  testing::internal::CaptureStderr();
  {
    ProgressReporter p("sweep s", 4, "cells");
    p.update(1, "1 running", 0.0, 0.7);  // the resumed cell ended: its 0.3 is this sweep's work
  }
  const std::string ended = last_line(testing::internal::GetCapturedStderr());
  EXPECT_EQ(ended.find("ETA ?"), std::string::npos) << ended;
  EXPECT_NE(ended.find(" 1/4 cells"), std::string::npos) << ended;
}

TEST(Progress, ReadsAWorkersFractionAndFitsTheTerminal) {
  EXPECT_DOUBLE_EQ(progress_fraction("gdfq W4A4 resnet20 seed 0:  55% 221/400 it | 0.12 it/s | epoch 5/8 g_loss"),
                   221.0 / 400.0);
  EXPECT_DOUBLE_EQ(progress_fraction("teacher resnet20 on fashion-mnist: 100% 10/10 it in 3s"), 1.0);
  EXPECT_DOUBLE_EQ(progress_fraction("starting"), 0.0);
  // A resumed worker's first line: where the cell starts.
  EXPECT_DOUBLE_EQ(progress_fraction("gdfq W4A4 resnet20 seed 2: resuming after epoch 3/12 from ckpt/a.pt"), 0.25);
  EXPECT_EQ(fit_width("abcdef", 4), "abcd");
  EXPECT_EQ(fit_width("ab", 4), "ab");
  EXPECT_EQ(fit_width("85.00 ± 1.00", 7), "85.00 ±");  // ± is one character of two bytes
}

TEST(Progress, DurationsReadAsHoursMinutesSeconds) {
  EXPECT_EQ(format_duration(59.4), "59s");
  EXPECT_EQ(format_duration(61), "1m01s");
  EXPECT_EQ(format_duration(3 * 3600 + 5 * 60 + 9), "3h05m");
  EXPECT_EQ(format_duration(-1), "?");
}

}  // namespace
}  // namespace dfq
