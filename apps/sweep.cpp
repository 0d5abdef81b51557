#include "apps/sweep.h"

#include "apps/measure.h"
#include "apps/runner.h"
#include "apps/slurm.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (in format.h before fmt 11)
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "core/data/dataset.h"
#include "core/store/run_store.h"
#include "core/util/env.h"
#include "core/util/error.h"
#include "core/util/interrupt.h"
#include "core/util/paths.h"
#include "core/util/progress.h"
#include "core/util/rng.h"
#include "core/util/unknown_key.h"
#include "methods/registry.h"
#include "methods/train/schedule.h"
#include "models/zoo.h"

namespace dfq {
namespace fs = std::filesystem;

std::string cell_name(const RunKey& k) {
  auto name = fmt::format("{}-{}-{}-W{}A{}-seed{}", k.method, k.dataset, k.model, k.w_bits, k.a_bits, k.seed);
  const auto at = k.suite.find('@');
  if (at != std::string::npos) name += "@" + safe_component(k.suite.substr(at + 1));
  return name;
}

std::vector<CellRequest> expand_suite(const Suite& s, const SweepOptions& o) {
  for (const auto& m : s.methods) find_method(m);  // unknown names fail with the valid list
  for (const auto& m : o.methods)
    if (std::find(s.methods.begin(), s.methods.end(), m) == s.methods.end())
      throw InvalidInputError(fmt::format("method '{}' is not in suite '{}' ({}); add it to {} or pick from the suite",
                                          m, s.name, fmt::join(s.methods, ", "), s.path));
  for (const auto& [m, kv] : s.method_set)
    if (std::find(s.methods.begin(), s.methods.end(), m) == s.methods.end())
      throw InvalidInputError(fmt::format("{}: method_set names '{}', which is not in methods", s.path, m));
  // A `set` key must belong to at least one method of the suite (a typo would otherwise
  // silently change nothing).
  auto check_keys = [&](const std::vector<std::pair<std::string, std::string>>& settings, const std::string& what) {
    for (const auto& [k, v] : settings) {
      bool used = false;
      for (const auto& m : s.methods) used |= find_method(m).has_setting(k);
      if (!used) {
        std::vector<std::string> keys;
        for (const auto& m : s.methods)
          for (const auto& p : find_method(m).params) keys.push_back(p.key);
        throw InvalidInputError(fmt::format("{}: {}: {} (the settings of the suite's methods: {})", s.path, what,
                                            unknown_key_message(k, keys), fmt::join(s.methods, ", ")));
      }
    }
  };
  check_keys(s.set, "set");
  // Without variants the suite is one grid with no extra settings.
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> variants = s.variants;
  for (const auto& [name, settings] : variants) check_keys(settings, "variants." + name);
  for (const auto& v : o.variants)
    if (std::none_of(variants.begin(), variants.end(), [&](const auto& x) { return x.first == v; })) {
      std::vector<std::string> names;
      for (const auto& x : variants) names.push_back(x.first);
      throw InvalidInputError(fmt::format("variant '{}' is not in suite '{}' ({})", v, s.name,
                                          names.empty() ? "it has none" : fmt::format("{}", fmt::join(names, ", "))));
    }
  if (variants.empty()) variants.emplace_back("", std::vector<std::pair<std::string, std::string>>{});
  std::vector<CellRequest> cells;
  for (const auto& m : s.methods) {
    if (!o.methods.empty() && std::find(o.methods.begin(), o.methods.end(), m) == o.methods.end()) continue;
    const auto& method = find_method(m);
    std::vector<BitWidth> bits = s.bits;
    if (s.extra_bits.count(m))
      for (const auto& b : s.extra_bits.at(m))
        if (std::find(bits.begin(), bits.end(), b) == bits.end()) bits.push_back(b);
    for (const auto& [variant, variant_set] : variants) {
      if (!o.variants.empty() && std::find(o.variants.begin(), o.variants.end(), variant) == o.variants.end()) continue;
      for (const auto& b : bits) {
        if (!o.bits.empty() && std::find(o.bits.begin(), o.bits.end(), b) == o.bits.end()) continue;
        for (auto seed : s.seeds_for(b)) {
          if (!o.seeds.empty() && std::find(o.seeds.begin(), o.seeds.end(), seed) == o.seeds.end()) continue;
          CellRequest r;
          r.key.suite = variant_suite_name(s.name, variant);
          r.key.method = m;
          r.key.model = s.model;
          r.key.dataset = s.dataset;
          r.key.w_bits = b.w;
          r.key.a_bits = b.a;
          r.key.seed = seed;
          r.preset = s.preset;
          r.data_root = s.data_root;
          r.zoo = s.zoo;
          r.cache_dir = o.cache;
          r.checkpoint_dir = o.checkpoints;
          r.device = !o.device.empty() ? o.device : s.device;
          for (const auto& [k, v] : s.set)
            if (method.has_setting(k)) r.overrides.push_back(k + "=" + v);
          if (s.method_set.count(m))
            for (const auto& [k, v] : s.method_set.at(m)) r.overrides.push_back(k + "=" + v);
          for (const auto& [k, v] : variant_set)
            if (method.has_setting(k)) r.overrides.push_back(k + "=" + v);
          if (o.smoke) {
            if (!method.presets.count("tiny"))
              throw InvalidInputError(fmt::format("--smoke: method '{}' has no tiny preset", m));
            for (const auto& a : method.presets.at("tiny")) r.overrides.push_back(a);
          }
          cells.push_back(r);
        }
      }
    }
  }
  if (cells.empty()) throw InvalidInputError(fmt::format("the filters leave no cell of suite '{}' to run", s.name));
  return cells;
}

namespace {

// Data and teacher must be there before anything starts.
void check_inputs(const Suite& s) {
  try {
    dataset_info(s.dataset);
  } catch (const InvalidInputError& e) {
    throw InvalidInputError(fmt::format("suite '{}': {} (this version reads no other data set). {}", s.name, e.what(),
                                        s.needs));
  }
  auto loc = locate_dataset(s.dataset, s.data_root);
  if (!loc.missing.empty())
    throw MissingFileError(fmt::format("suite '{}' needs the {} data set in {} (missing: {}). {}", s.name, s.dataset,
                                       loc.root, fmt::join(loc.missing, ", "),
                                       s.needs.empty() ? dataset_info(s.dataset).how_to_get : s.needs));
  const auto zoo = s.zoo.empty() ? default_zoo_dir() : s.zoo;
  const auto manifest = teacher_manifest_path(zoo, s.dataset, s.model);
  if (!fs::exists(manifest))
    throw MissingFileError(fmt::format("suite '{}' needs a {} teacher for {}: {} is missing. {}", s.name, s.model,
                                       s.dataset, manifest,
                                       s.needs.empty() ? fmt::format("Train one with `dfq teacher --model {} --dataset {}`",
                                                                     s.model, s.dataset)
                                                       : s.needs));
  // #17 item 16: every teacher's files are checked (manifest, sha256) before any cell
  // starts, rather than in each worker after the sweep began.
  check_teacher_files(s.dataset, s.model, zoo);
}

// A worker runs exactly the cell the sweep resolved: `dfq run --config FILE`.
std::vector<std::string> worker_argv(const std::string& cell_file, const SweepOptions& o, int threads) {
  return {o.executable, "--threads",     std::to_string(threads), "--store", o.store, "--cache", o.cache,
          "--checkpoints", o.checkpoints, "run", "--config", cell_file};
}

// The worker dies with the sweep (SIGTERM: it records its run `interrupted`), also when the
// sweep is killed with SIGKILL; a worker whose parent is already gone exits at once.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw Error("fork failed: cannot start a sweep worker");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(130);
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    std::vector<char*> args;
    for (const auto& s : argv) args.push_back(const_cast<char*>(s.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// The last `bytes` bytes of a worker's log ("" when it has none).
std::string log_tail(const std::string& path, std::streamoff bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - bytes);
  in.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  return tail;
}

// The last progress line a worker wrote to its log (its progress reporter writes one
// every few seconds when not on a terminal), shortened for the sweep's status line.
std::string last_log_line(const std::string& path) {
  auto tail = log_tail(path, 400);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r' || tail.back() == ' ')) tail.pop_back();
  auto cut = tail.find_last_of("\r\n");
  std::string line = cut == std::string::npos ? tail : tail.substr(cut + 1);
  if (line.size() > 90) line = line.substr(0, 87) + "...";
  return line;
}

// Why the store's disk is full, when it is: a failed worker's own words (SQLite's
// "database or disk is full", the system's "No space left on device"), or the file system
// of the store's folder with (almost) no free space left; "" when it is not. Its log may
// be on that same disk and empty, hence the second test.
std::string disk_full_cause(const std::string& log, const fs::path& store_dir) {
  for (const char* words : {"database or disk is full", "No space left on device"})
    if (log.find(words) != std::string::npos) return words;
  std::error_code ec;
  const auto space = fs::space(store_dir.empty() ? fs::path(".") : store_dir, ec);
  if (!ec) {
    const uintmax_t free_bytes = space.available;
    if (free_bytes < (uintmax_t{1} << 20))
      return fmt::format("{} bytes free on the file system of {}", free_bytes,
                         store_dir.empty() ? std::string(".") : store_dir.string());
  }
  return "";
}

// The cells not yet done with the same configuration, resolved (bad keys or values fail
// here, before anything runs).
// A dry run only reads: a missing store has nothing done, and an existing one is opened
// read-only.
std::vector<ResolvedCell> cells_to_run(const std::vector<CellRequest>& cells, const std::string& store_path,
                                       bool dry_run, SweepSummary& sum) {
  std::unique_ptr<RunStore> store;
  if (!dry_run) store = std::make_unique<RunStore>(store_path);  // also marks runs of dead processes interrupted
  else if (fs::exists(store_path)) store = std::make_unique<RunStore>(store_path, RunStore::Access::ReadOnly);
  if (store) store->verify_integrity();
  std::vector<ResolvedCell> todo;
  for (const auto& c : cells) {
    auto resolved = resolve_cell(c);
    if (store && store->find_done(c.key, resolved.config.hash())) {
      ++sum.skipped;
      continue;
    }
    todo.push_back(std::move(resolved));
  }
  return todo;
}

// Thread counts change the numbers by rounding (sums in another order), and they are not
// part of a cell's identity: say so when this sweep would add runs at another count than
// the suite's finished ones (reports list such a mix per row).
void warn_thread_mix(const std::vector<CellRequest>& cells, const std::string& store_path, int threads) {
  std::set<std::string> suites;
  for (const auto& c : cells) suites.insert(c.key.suite);
  std::set<int> seen;
  RunStore store(store_path);
  for (const auto& suite : suites) {
    RunFilter f;
    f.suite = suite;
    f.status = "done";
    for (const auto& r : store.list_runs(f))
      if (r.device.empty() || r.device == "cpu") seen.insert(r.threads);
  }
  seen.erase(threads);
  if (seen.empty()) return;
  fmt::print(stderr,
             "note: this suite has finished runs at {} thread(s) per run; this sweep runs {} per worker, which gives "
             "slightly different numbers; the report will list the mix (pass --threads-per-job {} to match)\n",
             fmt::join(seen, "/"), threads, *seen.begin());
}

// Worker processes, one per running cell. Each cell is first claimed in the store (so a
// second sweep on the same store skips it), then its worker gets the resolved cell as a
// file, the claimed run's id and a log named after that run; exit codes are counted into
// the summary, and a run its worker left `running` (it died, or failed before taking the
// claim over) is ended with the cause.
class WorkerPool {
 public:
  WorkerPool(const SweepOptions& o, RunStore& store, fs::path log_dir, int threads, SweepSummary& sum)
      : o_(o), store_(store), log_dir_(std::move(log_dir)), threads_(threads), sum_(sum),
        env_(capture_environment("cpu")) {}

  size_t size() const { return running_.size(); }

  // Starts the cell's worker; false when the cell was done or running elsewhere meanwhile.
  bool start(const ResolvedCell& c) {
    const auto claim = store_.claim_run(c.key, c.config.dump(), c.config.hash(), env_, c.method->paper,
                                        c.method->year, c.notes);
    if (claim.outcome == RunStore::Claim::Done) {
      ++sum_.skipped;
      return false;
    }
    if (claim.outcome == RunStore::Claim::Running) {
      ++sum_.elsewhere;
      fmt::print(stderr, "sweep: {} is running in another process (pid {}); skipped\n", cell_name(c.key), claim.pid);
      return false;
    }
    const auto stem = fmt::format("{}.run{}", cell_name(c.key), claim.run_id);
    const auto log = (log_dir_ / (stem + ".log")).string();
    const auto cell_file = (log_dir_ / (stem + ".cell.json")).string();
    write_resolved_cell(cell_file, c);
    auto argv = worker_argv(cell_file, o_, threads_);
    argv.push_back("--claimed-run");
    argv.push_back(std::to_string(claim.run_id));
    running_[spawn(argv, log)] = {c.key, log, claim.run_id, std::chrono::steady_clock::now()};
    return true;
  }

  // Reports (once) each worker whose log has not grown for o.stall_seconds, and kills it
  // when o.kill_stalled.
  void watch_stalls() {
    const auto now = std::chrono::steady_clock::now();
    for (auto& [pid, w] : running_) {
      std::error_code ec;
      const auto size = fs::file_size(w.log, ec);
      if (!ec && size != w.log_size) {
        w.log_size = size;
        w.last_output = now;
        continue;
      }
      const double silent = std::chrono::duration<double>(now - w.last_output).count();
      if (silent < o_.stall_seconds || w.stalled) continue;
      w.stalled = true;
      fmt::print(stderr, "\nsweep: {} has written nothing for {:.0f} s (pid {}, log {}){}\n", cell_name(w.key), silent,
                 pid, w.log, o_.kill_stalled ? "; killed" : "; still waiting (--kill-stalled would end it)");
      if (o_.kill_stalled) kill(pid, SIGKILL);
    }
  }

  void stop_all() {
    for (const auto& [pid, cell] : running_) kill(pid, SIGTERM);  // workers record `interrupted`
  }

  // Counts a worker that ended, or waits 200 ms when none did.
  void reap(bool stopping) {
    int wstatus = 0;
    const pid_t pid = waitpid(-1, &wstatus, WNOHANG);
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      return;
    }
    auto it = running_.find(pid);
    if (it == running_.end()) return;
    const Worker w = it->second;
    running_.erase(it);
    const int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    const bool killed_stalled = w.stalled && o_.kill_stalled;
    const bool interrupted = code != 0 && !killed_stalled && (stopping || code == 130);
    if (!interrupted) resumed_ended_ += w.start_fraction;  // now counted as ended
    if (code == 0) {
      ++sum_.done;
      finished_.push_back(w.run_id);
    } else if (interrupted) {
      ++sum_.interrupted;
    } else {
      ++sum_.failed;
      sum_.failures.push_back(fmt::format("{} ({}; log {})", cell_name(w.key),
                                          killed_stalled ? "stalled, killed" : fmt::format("exit {}", code), w.log));
    }
    const auto last = last_log_line(w.log);
    // #17 item 7: after a failure on a full disk no further cell is started (each would fail
    // the same way); the sweep ends naming the cause.
    if (code != 0 && !interrupted && disk_full_.empty()) {
      const auto cause = disk_full_cause(log_tail(w.log, 4000), fs::path(o_.store).parent_path());
      if (!cause.empty()) disk_full_ = fmt::format("{} failed on a full disk ({}; log {})", cell_name(w.key), cause, w.log);
    }
    try {
      store_.end_if_running(
          w.run_id, interrupted ? "interrupted" : "failed",
          killed_stalled
              ? fmt::format("stalled: the worker wrote nothing for {:.0f} s and the sweep killed it "
                            "(--kill-stalled); log {}",
                            o_.stall_seconds, w.log)
              : fmt::format("the worker exited with code {} without ending the run{}; log {}", code,
                            last.empty() ? "" : ": " + last, w.log));
    } catch (const Error& e) {
      // The store cannot take the cause (a full disk): it is said here, and the run stays
      // `running` until the next sweep finds its worker dead.
      fmt::print(stderr, "\nsweep: cannot record run {} ({}) as ended in the store: {}\n", w.run_id, cell_name(w.key),
                 e.what());
      const auto cause = disk_full_cause(e.what(), fs::path(o_.store).parent_path());
      if (disk_full_.empty() && !cause.empty())
        disk_full_ = fmt::format("the store cannot record run {} ({})", w.run_id, cause);
    }
  }

  // The runs the workers finished (`done`), in the order they ended.
  const std::vector<int64_t>& finished() const { return finished_; }

  // Non-empty once a worker failed on a full disk: what happened, for the sweep's last line.
  const std::string& disk_full() const { return disk_full_; }

  // The running cells' progress, in cells (two at 60 % and 80 %: 1.4), as their logs said
  // at the last status().
  double under_way() const {
    double cells = 0;
    for (const auto& [pid, w] : running_) cells += w.fraction;
    return cells;
  }

  // The work of the counted and running cells done before this sweep, in cells: a cell that
  // resumed from its checkpoint at 70 % adds 0.7 (not this sweep's pace: the ETA leaves it out).
  double resumed() const {
    double cells = resumed_ended_;
    for (const auto& [pid, w] : running_) cells += w.start_fraction;
    return cells;
  }

  // Counts and each running cell's last log line; reads the logs once, noting how far each
  // cell is (a phase line without a fraction, e.g. "int8 export", keeps its last fraction).
  std::string status() {
    std::string s = fmt::format("{} running, {} done, {} failed", running_.size(), sum_.done, sum_.failed);
    for (auto& [pid, w] : running_) {
      const auto last = last_log_line(w.log);
      const double now = progress_fraction(last);
      // A resumed cell's first line says where it starts (methods/train/trainer.cpp: "gdfq ...:
      // resuming after epoch 2/36 from ..."); the next line follows an iteration later.
      if (last.find(": resuming after ") != std::string::npos) w.start_fraction = now;
      w.fraction = std::max(w.fraction, now);
      s += " | " + (last.empty() ? cell_name(w.key) : last);
    }
    return s;
  }

 private:
  struct Worker {
    RunKey key;
    std::string log;
    int64_t run_id = 0;
    std::chrono::steady_clock::time_point last_output;  // when the log last grew
    uintmax_t log_size = 0;
    bool stalled = false;
    double fraction = 0;  // of the cell done, as its log last said
    double start_fraction = 0;  // where it resumed from its checkpoint, 0 for a fresh start
  };
  const SweepOptions& o_;
  RunStore& store_;
  fs::path log_dir_;
  int threads_;
  SweepSummary& sum_;
  Environment env_;
  std::map<pid_t, Worker> running_;
  std::string disk_full_;
  std::vector<int64_t> finished_;
  double resumed_ended_ = 0;  // resumed() of the cells that ended done or failed
};

}  // namespace

namespace {

// One line per cell: its name, its training schedule as resolved (iterations, batch, images
// seen) and, with measured rates, the time the iterations take (evaluation and synthesis
// not included).
void print_dry_run(const std::vector<ResolvedCell>& cells, const std::string& rates_file,
                   const std::string& checkpoints) {
  std::map<std::string, double> ms;
  if (!rates_file.empty()) {
    try {
      for (const auto& kv : YAML::LoadFile(rates_file)) ms[kv.first.as<std::string>()] = kv.second.as<double>();
    } catch (const YAML::Exception& e) {
      throw InvalidInputError(fmt::format("--rates {}: expected a YAML map method: ms per iteration ({})", rates_file,
                                          e.what()));
    }
  }
  double total_hours = 0;
  for (const auto& c : cells) {
    std::string line = cell_name(c.key);
    // zeroq's released code is post-training: its schedule keys apply only with finetune=true.
    const bool finetunes = !c.method->has_setting("finetune") || c.config.json().at("finetune").get<bool>();
    if (!finetunes) {
      line += "  (post-training, finetune=false: distillation and calibration only)";
    } else if (c.method->has_setting("iters_per_epoch")) {
      const auto s = Schedule::block().read(c.config);
      const int64_t iterations = s.epochs * s.iters_per_epoch;
      line += fmt::format("  {} iterations x batch {} = {} images", iterations, s.batch_size, iterations * s.batch_size);
      if (ms.count(c.key.method)) {
        const double hours = iterations * ms.at(c.key.method) / 3.6e6;
        total_hours += hours;
        line += fmt::format("  ~{:.1f} h at {} ms/iteration", hours, ms.at(c.key.method));
      } else if (!ms.empty()) {
        line += "  (no measured rate)";
      }
    } else {
      line += "  (no training schedule: synthesis and calibration only)";
    }
    if (!checkpoints.empty() && std::filesystem::exists(checkpoint_path(checkpoints, c)))
      line += "  (resumes from its checkpoint)";
    fmt::print("{}\n", line);
  }
  if (!ms.empty()) fmt::print("estimated training time of the cells with a rate: {:.1f} h\n", total_hours);
}

}  // namespace

namespace {

// #16 §4: latency is measured here, after every worker has ended, one run at a time, so no
// sibling trains on the cores being timed.
void measure_finished(RunStore& store, const std::vector<int64_t>& ids, const Suite& suite) {
  std::vector<RunRecord> runs;
  for (const int64_t id : ids)
    if (auto run = store.get_run(id); run && run->status == "done") runs.push_back(std::move(*run));
  if (runs.empty()) return;
  ProgressReporter progress("latency " + suite.name, static_cast<int64_t>(runs.size()), "runs");
  const int noisy = measure_runs(store, runs, suite.zoo, fmt::format("`dfq measure --suite {}` measures the rest",
                                                                     suite.name),
                                 [&](int done, const RunRecord& run, const std::map<std::string, double>& m) {
                                   progress.update(done, fmt::format("run {} {} W{}A{}: {}", run.id, run.key.method,
                                                                     run.key.w_bits, run.key.a_bits,
                                                                     describe_latency(m)));
                                 });
  progress.finish(fmt::format("{} measured, {} noisy", runs.size(), noisy));
  if (noisy > 0)
    fmt::print(stderr, "sweep {}: {} of {} latency measurements are noisy (another process used the cores); "
                       "`dfq measure --suite {} --again` when the machine is idle\n",
               suite.name, noisy, runs.size(), suite.name);
}

}  // namespace

SweepSummary run_sweep(const SweepOptions& o) {
  const auto configs = o.configs_dir.empty() ? default_configs_dir() : o.configs_dir;
  Suite suite = load_suite(o.suite, configs);
  if (!o.data_root.empty()) suite.data_root = o.data_root;
  if (!o.zoo.empty()) suite.zoo = o.zoo;
  if (o.smoke) suite.name += "-smoke";
  auto cells = expand_suite(suite, o);
  if (o.backend != "local" && o.backend != "slurm")
    throw InvalidInputError(fmt::format("--backend must be local or slurm, got '{}'", o.backend));
  if (o.status) return print_sweep_status(suite, cells, o);  // reads only; needs no data
  try {
    check_inputs(suite);
  } catch (const Error& e) {
    if (!o.dry_run) throw;
    fmt::print(stderr, "note (the listing goes on): {}\n", e.what());  // planning needs no data
  }
  check_parallelism(o.jobs, "-j", false);
  check_parallelism(o.threads_per_job, "--threads-per-job", true);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = o.threads_per_job > 0 ? o.threads_per_job : std::max(1, cores / o.jobs);
  if (o.backend == "slurm" && !o.dry_run) {
    check_parallelism(o.slurm.cpus_per_task, "--cpus-per-task", false);
    return run_slurm_sweep(suite, cells, o);
  }

  SweepSummary sum;
  sum.total = static_cast<int>(cells.size());
  const auto todo = cells_to_run(cells, o.store, o.dry_run, sum);
  fmt::print(stderr, "sweep {}: {} cells, {} already done, {} to run with {} worker(s) x {} thread(s)\n", suite.name,
             sum.total, sum.skipped, todo.size(), o.jobs, threads);
  if (o.dry_run) {
    print_dry_run(todo, o.rates, o.checkpoints);
    return sum;
  }
  if (!todo.empty()) warn_thread_mix(cells, o.store, threads);
  const auto log_dir = fs::path(o.store).parent_path() / "logs" / suite.name;
  fs::create_directories(log_dir);

  install_stop_handlers();
  const auto t0 = std::chrono::steady_clock::now();
  ProgressReporter progress("sweep " + suite.name, static_cast<int64_t>(todo.size()), "cells");
  RunStore store(o.store);
  WorkerPool pool(o, store, log_dir, threads, sum);
  const int skipped_before = sum.skipped;
  size_t next = 0;
  bool stopping = false, draining = false;
  while (next < todo.size() || pool.size() > 0) {
    if (stop_requested() && !stopping) {
      stopping = true;
      pool.stop_all();
    }
    if (drain_requested() && !draining && !stopping) {
      draining = true;
      fmt::print(stderr, "sweep {}: draining (SIGUSR1): the {} running cell(s) finish, no further cell starts\n",
                 suite.name, pool.size());
    }
    while (!stopping && !draining && pool.disk_full().empty() && next < todo.size() &&
           static_cast<int>(pool.size()) < o.jobs)
      pool.start(todo[next++]);
    if (draining && pool.size() == 0) break;
    if (!pool.disk_full().empty() && pool.size() == 0) break;
    if (pool.size() > 0) pool.reap(stopping);
    pool.watch_stalls();
    // Cells that ended (an interrupted one did not: the next sweep runs it again).
    const std::string status = pool.status();  // before under_way(): it reads the logs
    progress.update(sum.done + sum.failed + sum.elsewhere + (sum.skipped - skipped_before), status,
                    pool.under_way(), pool.resumed());
    if (stopping && pool.size() == 0) break;
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  sum.not_started = static_cast<int>(todo.size() - next);
  progress.finish(sum.interrupted > 0 || stopping || draining
                      ? fmt::format("{}: {} interrupted, {} not started", draining ? "drained" : "stopped",
                                    sum.interrupted, sum.not_started)
                      : pool.status());
  fmt::print(stderr,
             "sweep {}: {} done, {} skipped (already done), {} running in another process, {} failed, {} "
             "interrupted; wall time {}\n",
             suite.name, sum.done, sum.skipped, sum.elsewhere, sum.failed, sum.interrupted,
             format_duration(sum.seconds));
  for (const auto& f : sum.failures) fmt::print(stderr, "  failed: {}\n", f);
  if (stopping) throw InterruptedError("sweep stopped; rerun the same command to finish the remaining cells");
  if (draining && sum.not_started > 0) {
    // The finished cells are kept; their latency is left to `dfq measure` (a drain is a
    // request to end soon).
    fmt::print(stderr, "sweep {}: drained with {} cell(s) not started; rerun the same command to run them{}\n",
               suite.name, sum.not_started,
               o.measure ? fmt::format(", and `dfq measure --suite {}` for the latency of these", suite.name) : "");
    return sum;
  }
  if (!pool.disk_full().empty())
    throw Error(fmt::format("sweep stopped starting cells: {}; {} cell(s) not started; free space, then rerun the "
                            "same command",
                            pool.disk_full(), todo.size() - next));
  if (o.measure) measure_finished(store, pool.finished(), suite);
  return sum;
}

}  // namespace dfq
