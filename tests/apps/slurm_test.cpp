// The Slurm backend of `dfq sweep`: the job script it writes, and a real single-node Slurm
// (munged, slurmctld and slurmd started as root on 127.0.0.1 from a configuration in a
// temporary folder) that runs part of the ci suite as a job array, two tasks at a time.
// The merged store must give the same report as the local backend; a cancelled task's
// cell must be the only one a re-run submits. Without root or Slurm the test is skipped
// with the reason.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "apps/slurm.h"
#include "apps/sweep.h"
#include "core/store/run_store.h"
#include "core/util/error.h"
#include "core/util/process.h"
#include "core/util/progress.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

using testing::slurp;
namespace fs = std::filesystem;

int count_lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

const char* kSuite = R"(
name: tiny
dataset: fashion-mnist
model: lenet5
methods: [noise, gdfq]
bits: [4, 8]
seeds: [0]
preset: tiny
)";

TEST(SlurmScript, CarriesTheRequestedResourcesAndRunsEachCellIntoItsShard) {
  SlurmScript s;
  s.job_name = "dfq-cpu";
  s.tasks = 6;
  s.max_parallel = 2;
  s.cpus_per_task = 4;
  s.partition = "gpu";
  s.gres = "gpu:1";
  s.time = "12:00:00";
  s.account = "lab";
  s.sweep_dir = "/shared/sweep it";
  s.submission = "submissions/3";
  s.workdir = "/home/me/dfqbench";
  s.executable = "/home/me/dfqbench/build/dfq";
  s.cache = "/shared/cache";
  s.checkpoints = "/shared/sweep it/checkpoints";
  const auto text = sbatch_script(s);
  for (const char* line :
       {"#SBATCH --job-name=dfq-cpu\n", "#SBATCH --array=0-5%2\n", "#SBATCH --cpus-per-task=4\n",
        "#SBATCH --partition=gpu\n", "#SBATCH --gres=gpu:1\n", "#SBATCH --time=12:00:00\n", "#SBATCH --account=lab\n",
        "#SBATCH --chdir=/home/me/dfqbench\n", "#SBATCH --output=/shared/sweep it/logs/task-%A_%a.log\n",
        "dir='/shared/sweep it'\n", "shard=\"$dir/shards/task-$task.sqlite\"\n",
        "'/home/me/dfqbench/build/dfq' --threads 4 --store \"$shard\" --cache '/shared/cache' --checkpoints "
        "'/shared/sweep it/checkpoints' run --config \"$dir/cells/$cell\""})
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "\nin:\n" << text;
  // Unset resources are left to the cluster's defaults; no limit means no %N.
  SlurmScript plain = s;
  plain.partition = plain.gres = plain.time = plain.account = "";
  plain.max_parallel = 0;
  const auto p = sbatch_script(plain);
  EXPECT_EQ(p.find("--partition"), std::string::npos);
  EXPECT_EQ(p.find("--gres"), std::string::npos);
  EXPECT_NE(p.find("#SBATCH --array=0-5\n"), std::string::npos);
}

TEST(SlurmSweep, EmitOnlyWritesTheScriptAndTheTasksAndSubmitsNothing) {
  ProgressReporter::set_enabled(false);
  testing::TempDir dir;
  std::ofstream(dir.file("tiny.yaml")) << kSuite;
  SweepOptions o;
  o.suite = "tiny";
  o.configs_dir = dir.path();
  o.store = dir.file("runs.sqlite");
  o.cache = "";
  o.executable = DFQ_CLI;
  o.backend = "slurm";
  o.slurm.emit_only = true;
  o.slurm.cells_per_task = 3;
  o.slurm.max_parallel = 2;
  o.slurm.partition = "cpu";
  run_sweep(o);
  const auto sweep_dir = fs::path(dir.path()) / "slurm" / "tiny";
  const auto tasks = slurp((sweep_dir / "submissions/0/tasks.txt").string());
  EXPECT_EQ(count_lines(tasks), 2) << tasks;  // 4 cells, 3 per task
  EXPECT_NE(tasks.find("noise-fashion-mnist-lenet5-W4A4-seed0."), std::string::npos) << tasks;
  const auto script = slurp((sweep_dir / "submissions/0/job.sbatch").string());
  EXPECT_NE(script.find("#SBATCH --array=0-1%2\n"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --partition=cpu\n"), std::string::npos) << script;
  EXPECT_FALSE(fs::exists(sweep_dir / "submissions/0/job_id"));
  // Every cell file a task names exists and is a resolved cell.
  std::stringstream words(tasks);
  std::string w;
  int cells = 0;
  while (words >> w) {
    EXPECT_TRUE(fs::exists(sweep_dir / "cells" / w)) << w;
    ++cells;
  }
  EXPECT_EQ(cells, 4);
  // The status says the cells were only written.
  o.status = true;
  ::testing::internal::CaptureStdout();
  const auto st = run_sweep(o);
  const auto out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(st.done, 0);
  EXPECT_NE(out.find("4 not submitted"), std::string::npos) << out;
  // A value that would break the script's #SBATCH line is refused.
  o.status = false;
  o.slurm.partition = "cpu\n#SBATCH --x";
  EXPECT_THROW(run_sweep(o), InvalidInputError);
}

// A Slurm cluster of one node on loopback, stopped (by pid) when the test ends.
class LocalSlurm {
 public:
  // Empty when it runs; otherwise why not.
  std::string start() {
    if (geteuid() != 0) return "needs root to start slurmctld and slurmd";
    for (const char* b : {"munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel"})
      if (!on_path(b) && !fs::exists(std::string("/usr/sbin/") + b))
        return std::string(b) + " is not installed (Debian: apt-get install slurm-wlm munge)";
    const auto d = dir_.path();
    for (const char* sub : {"state", "spool", "log", "munge"}) fs::create_directories(d + "/" + sub);
    {
      std::ofstream key(d + "/munge/munge.key", std::ios::binary);
      std::ifstream rnd("/dev/urandom", std::ios::binary);
      char buf[1024];
      rnd.read(buf, sizeof(buf));
      key.write(buf, sizeof(buf));
    }
    fs::permissions(d + "/munge/munge.key", fs::perms::owner_read | fs::perms::owner_write);
    fs::permissions(d + "/munge", fs::perms::owner_all);
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    std::string h = host;
    h = h.substr(0, h.find('.'));
    const int port = 20000 + static_cast<int>(getpid() % 20000);  // away from a cluster of this host
    std::ofstream(d + "/slurm.conf") << "ClusterName=dfqtest\nSlurmctldHost=" << h << "(127.0.0.1)\nSlurmUser=root\n"
                                     << "AuthType=auth/munge\nAuthInfo=socket=" << d << "/munge/munge.sock\n"
                                     << "CredType=cred/munge\nSlurmctldPort=" << port << "\nSlurmdPort=" << port + 1
                                     << "\nStateSaveLocation=" << d << "/state\nSlurmdSpoolDir=" << d
                                     << "/spool\nSlurmctldPidFile=" << d << "/slurmctld.pid\nSlurmdPidFile=" << d
                                     << "/slurmd.pid\nSlurmctldLogFile=" << d << "/log/slurmctld.log\nSlurmdLogFile="
                                     << d << "/log/slurmd.log\n"
                                     << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
                                     << "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n"
                                     << "MpiDefault=none\nReturnToService=2\nJobAcctGatherType=jobacct_gather/none\n"
                                     << "AccountingStorageType=accounting_storage/none\n"
                                     << "NodeName=" << h << " NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN\n"
                                     << "PartitionName=debug Nodes=" << h << " Default=YES MaxTime=INFINITE State=UP\n";
    conf_ = d + "/slurm.conf";
    setenv("SLURM_CONF", conf_.c_str(), 1);
    started_ = true;
    auto run = [&](std::vector<std::string> argv) {
      const auto r = run_program(argv);
      return r.exit_code == 0 ? std::string() : argv[0] + " failed: " + r.err + r.out;
    };
    auto why = run({"munged", "--key-file=" + d + "/munge/munge.key", "--socket=" + d + "/munge/munge.sock",
                    "--pid-file=" + d + "/munge/munged.pid", "--log-file=" + d + "/log/munged.log",
                    "--seed-file=" + d + "/munge/seed", "-f"});
    if (why.empty()) why = run({"slurmctld", "-f", conf_, "-i"});
    if (why.empty()) why = run({"slurmd", "-f", conf_, "-N", h});
    if (!why.empty()) return why;
    // Up when sinfo sees the node idle.
    for (int i = 0; i < 100; ++i) {
      const auto r = run_program({"sinfo", "-h", "-o", "%t"});
      if (r.exit_code == 0 && r.out.find("idle") != std::string::npos) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return "the node did not come up within 20 s; see " + d + "/log";
  }

  ~LocalSlurm() {
    if (!started_) return;
    const auto d = dir_.path();
    for (const auto& pid_file : {d + "/slurmd.pid", d + "/slurmctld.pid", d + "/munge/munged.pid"}) {
      std::ifstream in(pid_file);
      pid_t pid = 0;
      if (!(in >> pid) || pid <= 0) continue;
      kill(pid, SIGTERM);
      for (int i = 0; i < 100 && kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (kill(pid, 0) == 0) kill(pid, SIGKILL);
    }
    unsetenv("SLURM_CONF");
  }

 private:
  testing::TempDir dir_;
  std::string conf_;
  bool started_ = false;
};

bool job_in_queue(const std::string& job) {
  const auto r = run_program({"squeue", "-h", "-r", "-j", job, "-o", "%i"});
  return r.exit_code == 0 && !r.out.empty();
}

TEST(SlurmSweep, ARealClusterRunsTheArrayMergesAndResubmitsOnlyTheCancelledCell) {
  ProgressReporter::set_enabled(false);
  LocalSlurm cluster;
  const auto why = cluster.start();
  if (!why.empty()) GTEST_SKIP() << "no Slurm for this test: " << why;
  testing::TempDir dir;
  SweepOptions o;
  o.suite = "ci";  // configs/ci.yaml; the tests run in the source folder
  o.methods = {"noise", "zeroq"};  // 4 cells: W4A4 and W8A8 of each
  o.store = dir.file("slurm.sqlite");
  o.cache = "";
  o.executable = DFQ_CLI;
  o.backend = "slurm";
  o.slurm.max_parallel = 2;
  o.slurm.cpus_per_task = 1;
  o.slurm.poll_seconds = 0.5;

  // Submit, and cancel the last task while it waits for a free slot.
  const auto first = run_sweep(o);
  EXPECT_EQ(first.total, 4);
  const auto sweep_dir = fs::path(dir.path()) / "slurm" / "ci";
  std::ifstream job_file(sweep_dir / "submissions/0/job_id");
  std::string job;
  ASSERT_TRUE(job_file >> job) << "no job id written";
  const auto cancelled = run_program({"scancel", job + "_3"});
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.err;
  for (int i = 0; i < 600 && job_in_queue(job); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_FALSE(job_in_queue(job)) << "job " << job << " still queued after 2 minutes";

  // The status tells the three finished cells from the lost one.
  o.status = true;
  ::testing::internal::CaptureStdout();
  const auto status = run_sweep(o);
  const auto screen = ::testing::internal::GetCapturedStdout();
  std::cout << screen;  // the status screen, for the log
  EXPECT_EQ(status.done, 3) << screen;
  EXPECT_EQ(status.failed, 1) << screen;
  EXPECT_NE(screen.find("lost          zeroq-fashion-mnist-lenet5-W8A8-seed0"), std::string::npos) << screen;
  EXPECT_NE(screen.find("task-" + job + "_3.log"), std::string::npos) << screen;

  // A re-run merges the three and submits only the cancelled cell, then waits for it.
  o.status = false;
  o.slurm.wait = true;
  const auto second = run_sweep(o);
  EXPECT_EQ(second.skipped, 3);
  EXPECT_EQ(second.done, 1);
  EXPECT_EQ(second.failed, 0) << (second.failures.empty() ? "" : second.failures[0]);
  EXPECT_EQ(count_lines(slurp((sweep_dir / "submissions/1/tasks.txt").string())), 1);
  RunFilter done;
  done.status = "done";
  {
    RunStore merged(o.store, RunStore::Access::ReadOnly);
    const auto runs = merged.list_runs(done);
    ASSERT_EQ(runs.size(), 4u);
    for (const auto& r : runs) {
      EXPECT_FALSE(r.slurm_job.empty()) << r.key.method;
      EXPECT_NE(r.merged_from.find("/shards/task-"), std::string::npos) << r.merged_from;
      EXPECT_EQ(r.threads, 1);
    }
  }
  // Running it once more submits nothing.
  const auto third = run_sweep(o);
  EXPECT_EQ(third.skipped, 4);
  EXPECT_FALSE(fs::exists(sweep_dir / "submissions/2"));

  // The same cells with the local backend at one thread per worker give the same report.
  SweepOptions local = o;
  local.backend = "local";
  local.slurm = {};
  local.store = dir.file("local.sqlite");
  local.jobs = 2;
  local.threads_per_job = 1;
  const auto l = run_sweep(local);
  EXPECT_EQ(l.done, 4);
  for (const auto& [store, out] : {std::pair{o.store, dir.file("report-slurm")}, {local.store, dir.file("report-local")}}) {
    const auto r = run_program({DFQ_CLI, "--store", store, "report", "--suite", "ci", "--methods", "noise,zeroq",
                                "--claims", "none", "--out", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto slurm_csv = slurp(dir.file("report-slurm/report.csv"));
  EXPECT_GT(count_lines(slurm_csv), 4) << slurm_csv;
  EXPECT_EQ(slurm_csv, slurp(dir.file("report-local/report.csv")));
}

}  // namespace
}  // namespace dfq
