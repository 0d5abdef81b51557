// Sweeps under process faults (#17 items 1-2): a sweep killed with SIGKILL takes its workers
// with it, and two sweeps of one suite on one store run each cell once. Real `dfq sweep`
// processes on LeNet-5 cells.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "core/store/run_store.h"
#include "models/zoo.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

using testing::slurp;

// Starts `dfq --store STORE sweep --suite SUITE --configs DIR <extra>` with its output in `log`.
pid_t start_sweep(const testing::TempDir& dir, const std::string& suite, const std::vector<std::string>& extra,
                  const std::string& log) {
  std::vector<std::string> argv = {DFQ_CLI, "--quiet", "--store", dir.file("runs.sqlite"), "sweep", "--suite", suite,
                                   "--configs", dir.path()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* out = freopen(log.c_str(), "w", stdout);
    dup2(fileno(out), 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Alive and not a zombie (an orphan's zombie waits for whoever adopted it).
bool process_running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// A suite file of gdfq W4A4 LeNet-5 cells at the tiny preset, one per seed (`seeds`: YAML,
// e.g. "[0, 1]"), each `iters` iterations of batch 8.
std::string gdfq_suite(const std::string& name, const std::string& seeds, int iters) {
  return "\nname: " + name + "\ndataset: fashion-mnist\nmodel: lenet5\nmethods: [gdfq]\nbits: [4]\nseeds: " + seeds +
         "\npreset: tiny\nset: {epochs: 1, iters_per_epoch: " + std::to_string(iters) + ", batch_size: 8}\n";
}

// One gdfq cell long enough (thousands of LeNet iterations) to be killed mid-run.
const std::string kSlowSuite = gdfq_suite("slow", "[0]", 100000);

TEST(SweepFaults, KilledSweepTakesItsWorkersAlongAndAReRunDoesNotDuplicate) {
  testing::TempDir dir;
  std::ofstream(dir.file("slow.yaml")) << kSlowSuite;
  const pid_t sweep = start_sweep(dir, "slow", {"-j", "1"}, dir.file("sweep1.log"));
  // Wait until the worker has taken its claimed run over (the run's pid is the worker's).
  int64_t worker = 0, run_id = 0;
  for (int i = 0; i < 600 && worker == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // The sweep creates the store: until its schema is written the file may be empty.
    if (RunStore::schema_version_of(dir.file("runs.sqlite")) == 0) continue;
    RunStore store(dir.file("runs.sqlite"));
    for (const auto& r : store.list_runs())
      if (r.status == "running" && r.pid != sweep && r.pid > 0) {
        worker = r.pid;
        run_id = r.id;
      }
  }
  ASSERT_GT(worker, 0) << slurp(dir.file("sweep1.log"));
  kill(sweep, SIGKILL);
  EXPECT_EQ(wait_exit(sweep), 128 + SIGKILL);
  // The worker gets SIGTERM from the kernel when its parent dies, records the run
  // `interrupted` and exits (before the fix it trained on as an orphan).
  bool gone = false;
  for (int i = 0; i < 300 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    gone = !process_running(static_cast<pid_t>(worker));
  }
  ASSERT_TRUE(gone) << "worker " << worker << " still runs after its sweep was killed";
  {
    RunStore store(dir.file("runs.sqlite"));
    const auto run = store.get_run(run_id);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, "interrupted") << run->error;
  }
  // A re-run claims the cell again: one new run, nothing left running twice. It is
  // stopped the same way (SIGTERM to the sweep: its worker records `interrupted`).
  const pid_t again = start_sweep(dir, "slow", {"-j", "1"}, dir.file("sweep2.log"));
  int64_t second = 0;
  for (int i = 0; i < 600 && second == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    RunStore store(dir.file("runs.sqlite"));
    for (const auto& r : store.list_runs())
      if (r.status == "running" && r.id != run_id && r.pid != again && r.pid > 0) second = r.id;
  }
  ASSERT_GT(second, 0) << slurp(dir.file("sweep2.log"));
  kill(again, SIGTERM);
  EXPECT_EQ(wait_exit(again), 130) << slurp(dir.file("sweep2.log"));
  RunStore store(dir.file("runs.sqlite"));
  const auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& r : runs) EXPECT_EQ(r.status, "interrupted") << r.id << " " << r.error;
}

// Waits up to `seconds` for `pid` to exit; kills it (and fails) if it does not.
int wait_exit_within(pid_t pid, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  wait_exit(pid);
  ADD_FAILURE() << "process " << pid << " did not exit within " << seconds << " s";
  return -1;
}

// The slow suite's worker once it is adopted and has written its first progress line
// (waits up to 90 s; pid 0 when none appeared).
struct SlowWorker {
  pid_t pid = 0;
  int64_t run_id = 0;
};
SlowWorker wait_for_slow_worker(const testing::TempDir& dir, pid_t sweep) {
  for (int i = 0; i < 900; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!std::filesystem::exists(dir.file("runs.sqlite"))) continue;
    RunStore store(dir.file("runs.sqlite"));
    for (const auto& r : store.list_runs()) {
      const auto log = dir.file("logs/slow/gdfq-fashion-mnist-lenet5-W4A4-seed0.run" + std::to_string(r.id) + ".log");
      std::error_code ec;
      if (r.status == "running" && r.pid != sweep && r.pid > 0 && std::filesystem::file_size(log, ec) > 0 && !ec)
        return {static_cast<pid_t>(r.pid), r.id};
    }
  }
  return {};
}

// #17 item 12b: a stopped (hung) worker used to stall the sweep forever. With
// --kill-stalled the sweep kills a worker silent for --stall-after seconds and records its
// run failed with the reason. A healthy worker writes its first progress line at once and
// then one every 10 s, so 30 s leaves it a margin under load.
TEST(SweepFaults, AStoppedWorkerIsKilledAndItsRunRecordedFailed) {
  testing::TempDir dir;
  std::ofstream(dir.file("slow.yaml")) << kSlowSuite;
  const pid_t sweep =
      start_sweep(dir, "slow", {"-j", "1", "--stall-after", "30", "--kill-stalled"}, dir.file("sweep.log"));
  const SlowWorker worker = wait_for_slow_worker(dir, sweep);
  ASSERT_GT(worker.pid, 0) << slurp(dir.file("sweep.log"));
  kill(worker.pid, SIGSTOP);
  EXPECT_EQ(wait_exit_within(sweep, 120), 1) << slurp(dir.file("sweep.log"));
  EXPECT_NE(slurp(dir.file("sweep.log")).find("has written nothing for"), std::string::npos)
      << slurp(dir.file("sweep.log"));
  RunStore store(dir.file("runs.sqlite"));
  const auto run = store.get_run(worker.run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, "failed");
  EXPECT_NE(run->error.find("stalled: the worker wrote nothing for 30 s"), std::string::npos) << run->error;
  EXPECT_FALSE(process_running(worker.pid));
}

// Without --kill-stalled the sweep only reports a silent worker ("still waiting"), once, and
// leaves it running: a worker that resumes is not lost. Stopping the sweep then ends the run
// `interrupted`, not `failed`.
TEST(SweepFaults, AStalledWorkerIsReportedAndLeftRunningWithoutKillStalled) {
  testing::TempDir dir;
  std::ofstream(dir.file("slow.yaml")) << kSlowSuite;
  const pid_t sweep = start_sweep(dir, "slow", {"-j", "1", "--stall-after", "10"}, dir.file("sweep.log"));
  const SlowWorker worker = wait_for_slow_worker(dir, sweep);
  ASSERT_GT(worker.pid, 0) << slurp(dir.file("sweep.log"));
  kill(worker.pid, SIGSTOP);
  bool reported = false;
  for (int i = 0; i < 600 && !reported; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    reported = slurp(dir.file("sweep.log")).find("still waiting (--kill-stalled would end it)") != std::string::npos;
  }
  EXPECT_TRUE(reported) << slurp(dir.file("sweep.log"));
  EXPECT_TRUE(process_running(worker.pid)) << "a report-only sweep killed its worker";
  kill(worker.pid, SIGCONT);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_TRUE(process_running(worker.pid));
  kill(sweep, SIGTERM);
  wait_exit_within(sweep, 60);
  const std::string log = slurp(dir.file("sweep.log"));
  size_t reports = 0;
  for (size_t at = log.find("has written nothing for"); at != std::string::npos;
       at = log.find("has written nothing for", at + 1))
    ++reports;
  EXPECT_EQ(reports, 1u) << log;
  RunStore store(dir.file("runs.sqlite"));
  const auto run = store.get_run(worker.run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, "interrupted") << run->error;
}

// A sweep killed mid-cell (SIGKILL: its worker gets SIGTERM and records the run
// interrupted) leaves the cell's checkpoint of its last finished epoch beside the store; the
// next sweep's run of the cell resumes from it, records every epoch's curves, ends with the
// top-1 of an uninterrupted sweep and removes the checkpoint.
TEST(SweepFaults, AKilledCellResumesFromItsLastEpochInTheNextSweep) {
  const std::string suite = "\nname: resume\ndataset: fashion-mnist\nmodel: lenet5\nmethods: [gdfq]\nbits: [4]\n"
                            "seeds: [0]\npreset: tiny\nset: {epochs: 4, iters_per_epoch: 2, batch_size: 8}\n";
  testing::TempDir whole, dir;
  std::ofstream(whole.file("resume.yaml")) << suite;
  std::ofstream(dir.file("resume.yaml")) << suite;
  ASSERT_EQ(wait_exit(start_sweep(whole, "resume", {"-j", "1", "--no-measure"}, whole.file("sweep.log"))), 0)
      << slurp(whole.file("sweep.log"));
  const auto folder = std::filesystem::path(dir.file("runs.checkpoints")) / "resume";
  const auto checkpoints = [&] {
    int n = 0;
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(folder, ec))
      if (f.path().extension() == ".pt") ++n;
    return n;
  };
  const pid_t sweep = start_sweep(dir, "resume", {"-j", "1", "--no-measure"}, dir.file("sweep1.log"));
  for (int i = 0; i < 3000 && checkpoints() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(checkpoints(), 1) << slurp(dir.file("sweep1.log"));
  kill(sweep, SIGKILL);
  wait_exit(sweep);
  int64_t first = 0;
  for (int i = 0; i < 300 && first == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    RunStore store(dir.file("runs.sqlite"));
    for (const auto& r : store.list_runs())
      if (r.status == "interrupted") first = r.id;
  }
  ASSERT_GT(first, 0) << "the killed sweep's run did not end interrupted";
  EXPECT_EQ(checkpoints(), 1);
  ASSERT_EQ(wait_exit(start_sweep(dir, "resume", {"--dry-run"}, dir.file("dry.log"))), 0) << slurp(dir.file("dry.log"));
  EXPECT_NE(slurp(dir.file("dry.log")).find("(resumes from its checkpoint)"), std::string::npos)
      << slurp(dir.file("dry.log"));

  ASSERT_EQ(wait_exit(start_sweep(dir, "resume", {"-j", "1", "--no-measure"}, dir.file("sweep2.log"))), 0)
      << slurp(dir.file("sweep2.log"));
  EXPECT_EQ(checkpoints(), 0);
  RunStore store(dir.file("runs.sqlite")), reference(whole.file("runs.sqlite"));
  const auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 2u);
  const auto& resumed = runs[0].id == first ? runs[1] : runs[0];
  EXPECT_EQ(resumed.status, "done") << resumed.error;
  const auto m = store.metrics(resumed.id);
  ASSERT_TRUE(m.count("resumed_epochs"));
  EXPECT_GE(m.at("resumed_epochs"), 1.0);
  EXPECT_LT(m.at("resumed_epochs"), 4.0);
  int epochs = 0;
  for (const auto& c : store.curves(resumed.id)) epochs += c.key == "test_top1";
  EXPECT_EQ(epochs, 4);
  const auto ref = reference.list_runs().at(0);
  for (const auto& [k, v] : reference.metrics(ref.id)) {  // bit-identical, but for timings and memory
    if (k.find("seconds") != std::string::npos || k == "peak_rss_bytes") continue;
    ASSERT_TRUE(m.count(k)) << k;
    EXPECT_EQ(m.at(k), v) << k;
  }
  const auto ref_curves = reference.curves(ref.id), curves = store.curves(resumed.id);
  ASSERT_EQ(curves.size(), ref_curves.size());
  for (size_t i = 0; i < curves.size(); ++i) {
    EXPECT_EQ(curves[i].key, ref_curves[i].key);
    if (curves[i].key.find("seconds") == std::string::npos)
      EXPECT_EQ(curves[i].value, ref_curves[i].value) << curves[i].key << " epoch " << curves[i].step;
  }
}

// Two gdfq cells of 300 LeNet iterations each (about 15 s each on 2 cores).
const std::string kTwoDrainCells = gdfq_suite("slow", "[0, 1]", 300);

// A drain (SIGUSR1, for ending a chunk of a long sweep without losing a cell): the running
// cell trains to the end and is recorded done, the next one is never started, and the sweep
// exits 0 saying how many cells are left for the next run of the same command.
TEST(SweepFaults, ADrainedSweepFinishesItsRunningCellAndStartsNoOther) {
  testing::TempDir dir;
  std::ofstream(dir.file("slow.yaml")) << kTwoDrainCells;
  const pid_t sweep = start_sweep(dir, "slow", {"-j", "1", "--no-measure"}, dir.file("sweep.log"));
  const SlowWorker worker = wait_for_slow_worker(dir, sweep);
  ASSERT_GT(worker.pid, 0) << slurp(dir.file("sweep.log"));
  kill(sweep, SIGUSR1);
  EXPECT_EQ(wait_exit_within(sweep, 600), 0) << slurp(dir.file("sweep.log"));
  const std::string log = slurp(dir.file("sweep.log"));
  EXPECT_NE(log.find("draining (SIGUSR1): the 1 running cell(s) finish"), std::string::npos) << log;
  EXPECT_NE(log.find("drained with 1 cell(s) not started; rerun the same command"), std::string::npos) << log;
  RunStore store(dir.file("runs.sqlite"));
  const auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u) << "the second cell was started: " << log;
  EXPECT_EQ(runs[0].id, worker.run_id);
  EXPECT_EQ(runs[0].status, "done") << runs[0].error;
  EXPECT_EQ(runs[0].key.seed, 0);
}

const std::string kThreeCells = gdfq_suite("three", "[0, 1, 2]", 20);

TEST(SweepFaults, TwoSweepsOfOneSuiteOnOneStoreRunEachCellOnce) {
  testing::TempDir dir;
  std::ofstream(dir.file("three.yaml")) << kThreeCells;
  // Create the store first, so that both sweeps open an existing one.
  { RunStore store(dir.file("runs.sqlite")); }
  const pid_t a = start_sweep(dir, "three", {"-j", "1"}, dir.file("a.log"));
  const pid_t b = start_sweep(dir, "three", {"-j", "1"}, dir.file("b.log"));
  EXPECT_EQ(wait_exit(a), 0) << slurp(dir.file("a.log"));
  EXPECT_EQ(wait_exit(b), 0) << slurp(dir.file("b.log"));
  RunStore store(dir.file("runs.sqlite"));
  std::map<int64_t, int> done_per_seed;
  for (const auto& r : store.list_runs()) {
    EXPECT_EQ(r.status, "done") << r.id << " " << r.error;
    ++done_per_seed[r.key.seed];
  }
  EXPECT_EQ(done_per_seed, (std::map<int64_t, int>{{0, 1}, {1, 1}, {2, 1}}))
      << slurp(dir.file("a.log")) << slurp(dir.file("b.log"));
  // Each run has its own log, named after the run.
  for (const auto& r : store.list_runs())
    EXPECT_TRUE(std::filesystem::exists(
        dir.file("logs/three/gdfq-fashion-mnist-lenet5-W4A4-seed" + std::to_string(r.key.seed) + ".run" +
                 std::to_string(r.id) + ".log")))
        << r.id;
}

// A worker that fails before it takes its claimed run over (here: the teacher's files pass
// the sweep's sha256 check, but its accuracy is not its manifest's, which the worker finds
// before it adopts the run) leaves no `running` row: the sweep ends the claim `failed` with
// the worker's own error line.
TEST(SweepFaults, ClaimOfAWorkerThatFailedEarlyIsEndedWithItsCause) {
  testing::TempDir dir;
  std::ofstream(dir.file("three.yaml")) << kThreeCells + "zoo: " + dir.file("zoo") + "\n";
  TeacherManifest m;  // an untrained LeNet said to score 90 %
  m.dataset = "fashion-mnist";
  m.model = "lenet5";
  m.test_top1 = 90.0;
  save_teacher(make_model({"lenet5", 1, 10, 28}), m, dir.file("zoo"));
  const pid_t s = start_sweep(dir, "three", {"-j", "1", "--seeds", "0"}, dir.file("s.log"));
  EXPECT_EQ(wait_exit(s), 1) << slurp(dir.file("s.log"));
  RunStore store(dir.file("runs.sqlite"));
  const auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "failed");
  EXPECT_NE(runs[0].error.find("without ending the run"), std::string::npos) << runs[0].error;
  EXPECT_NE(runs[0].error.find("lenet5"), std::string::npos) << runs[0].error;  // the worker's error line
}

}  // namespace
}  // namespace dfq
